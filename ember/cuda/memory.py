"""GPU memory statistics from CuPy's default memory pool (`torch.cuda.memory_allocated` & co).

CuPy's pool knows what is in use (`used_bytes`) and what it holds (`total_bytes`) per device,
but keeps no peaks or counters. ember installs a thin allocator in front of the pool
(`cupy.cuda.set_allocator`) the first time CUDA is used: after every allocation it raises the
device's high-water marks and counts the allocation, so `max_memory_allocated` and
`max_memory_reserved` are exact for ember's (and the process's other CuPy) allocations. The
cost is one Python call per pool allocation (~1 us). If a program later installs its own CuPy
allocator, the peaks stop moving (current values stay right: they are read from the pool).

Without CUDA every call answers as PyTorch's CPU build does: the statistics are empty (so the
byte counts are 0), the peak resets raise its AttributeError, and the calls that need a
device raise "Torch not compiled with CUDA enabled".
"""
import collections
import warnings

from . import _state

__all__ = ["memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "memory_cached", "max_memory_cached", "memory_stats",
           "memory_stats_as_nested_dict", "memory_summary", "reset_peak_memory_stats",
           "reset_max_memory_allocated", "reset_max_memory_cached",
           "reset_accumulated_memory_stats", "empty_cache", "mem_get_info",
           "set_per_process_memory_fraction", "get_per_process_memory_fraction",
           "host_memory_stats", "caching_allocator_alloc", "caching_allocator_delete"]


class _DeviceCounters:
    """What the pool doesn't track for one device: peaks and cumulative counts."""
    __slots__ = ("peak_allocated", "peak_reserved", "n_alloc", "bytes_alloc", "num_ooms")

    def __init__(self):
        self.peak_allocated = self.peak_reserved = 0
        self.n_alloc = self.bytes_alloc = self.num_ooms = 0


_counters = collections.defaultdict(_DeviceCounters)
_tracker = {"installed": None}    # the pool our allocator feeds from, once installed
_fraction = {}                    # device index -> fraction set by the user


def _install_tracker():
    """Put the counting allocator in front of CuPy's default pool (once per process)."""
    if _tracker["installed"] is not None:
        return
    cp = _state.cupy()
    pool = cp.get_default_memory_pool()
    pool_malloc = pool.malloc
    oom_error = cp.cuda.memory.OutOfMemoryError

    def _counting_malloc(size):
        try:
            ptr = pool_malloc(size)
        except oom_error:
            _counters[cp.cuda.runtime.getDevice()].num_ooms += 1
            raise
        c = _counters[ptr.device_id]
        c.n_alloc += 1
        c.bytes_alloc += ptr.mem.size
        # the pool answers for the current device, which is the one just allocated on
        used = pool.used_bytes()
        if used > c.peak_allocated:
            c.peak_allocated = used
        held = pool.total_bytes()
        if held > c.peak_reserved:
            c.peak_reserved = held
        return ptr

    # whatever is in use before the tracker starts counts towards the peaks
    c = _counters[cp.cuda.runtime.getDevice()]
    c.peak_allocated = max(c.peak_allocated, pool.used_bytes())
    c.peak_reserved = max(c.peak_reserved, pool.total_bytes())
    cp.cuda.set_allocator(_counting_malloc)
    _tracker["installed"] = pool


def _on_device(idx, fn):
    cp = _state.cupy()
    with cp.cuda.Device(idx):
        return fn(cp.get_default_memory_pool())


def _index(device):
    idx = _state.device_index(device, optional=True)
    return _state.current_index() if idx is None else idx


def memory_stats(device=None):
    """PyTorch's flat statistics dict for the keys CuPy's pool can answer: allocated_bytes,
    reserved_bytes and active_bytes (`.all/.large_pool/.small_pool` x
    `.current/.peak/.allocated/.freed`), allocation.all.allocated and num_ooms.
    Without CUDA: empty."""
    if not _state.available():
        return collections.OrderedDict()
    _install_tracker()
    idx = _index(device)
    used, held = _on_device(idx, lambda p: (p.used_bytes(), p.total_bytes()))
    c = _counters[idx]
    c.peak_allocated = max(c.peak_allocated, used)
    c.peak_reserved = max(c.peak_reserved, held)
    stats = {}
    for name, cur, peak in (("allocated_bytes", used, c.peak_allocated),
                            ("active_bytes", used, c.peak_allocated),
                            ("reserved_bytes", held, c.peak_reserved)):
        # cumulative 'allocated': bytes handed out by the allocator (for reserved memory the
        # pool's own history isn't visible, so its peak stands in); 'freed' = allocated - current
        total = max(c.bytes_alloc if name != "reserved_bytes" else peak, cur)
        # CuPy's pool has one kind of block: all of it is reported as the large pool
        for pool_kind, scale in (("all", 1), ("large_pool", 1), ("small_pool", 0)):
            stats[f"{name}.{pool_kind}.current"] = cur * scale
            stats[f"{name}.{pool_kind}.peak"] = peak * scale
            stats[f"{name}.{pool_kind}.allocated"] = total * scale
            stats[f"{name}.{pool_kind}.freed"] = (total - cur) * scale
    stats["allocation.all.allocated"] = c.n_alloc
    stats["num_ooms"] = c.num_ooms
    # PyTorch's num_alloc_retries / num_device_alloc / num_sync_all_streams have no CuPy
    # counterpart that ember can observe, so they are left out rather than made up
    return collections.OrderedDict(sorted(stats.items()))


def memory_stats_as_nested_dict(device=None):
    """memory_stats with the dotted keys split into nested dicts (as PyTorch's)."""
    if not _state.available():
        return {}
    nested = {}
    for key, value in memory_stats(device).items():
        *path, last = key.split(".")
        d = nested
        for part in path:
            d = d.setdefault(part, {})
        d[last] = value
    return nested


def memory_allocated(device=None):
    """Bytes of GPU memory held by live tensors on `device` (CuPy pool: used_bytes)."""
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device=None):
    """Peak of memory_allocated since the start or the last reset_peak_memory_stats."""
    return memory_stats(device).get("allocated_bytes.all.peak", 0)


def memory_reserved(device=None):
    """Bytes the pool holds from the driver, in use or cached (CuPy pool: total_bytes)."""
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device=None):
    return memory_stats(device).get("reserved_bytes.all.peak", 0)


def memory_cached(device=None):
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    return memory_reserved(device)


def max_memory_cached(device=None):
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to "
                  "`torch.cuda.max_memory_reserved`", FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def _no_allocator(name):
    # PyTorch's CPU build fails inside these with an AttributeError from its C module;
    # ember raises the same, so `except AttributeError` in scripts behaves the same.
    raise AttributeError(f"module 'torch._C' has no attribute '{name}'")


def reset_peak_memory_stats(device=None):
    """The peaks restart from the current values."""
    if not _state.available():
        _no_allocator("_cuda_resetPeakMemoryStats")
    _install_tracker()
    idx = _index(device)
    used, held = _on_device(idx, lambda p: (p.used_bytes(), p.total_bytes()))
    c = _counters[idx]
    c.peak_allocated, c.peak_reserved = used, held


def reset_max_memory_allocated(device=None):
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device)


def reset_max_memory_cached(device=None):
    warnings.warn("torch.cuda.reset_max_memory_cached now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device=None):
    """The cumulative counters (allocations, bytes allocated, OOMs) restart from zero."""
    if not _state.available():
        _no_allocator("_cuda_resetAccumulatedMemoryStats")
    c = _counters[_index(device)]
    c.n_alloc = c.bytes_alloc = c.num_ooms = 0


def empty_cache():
    """Give the pool's unused blocks back to the driver (CuPy: free_all_blocks). Without
    CUDA a no-op, as in PyTorch."""
    if not _state.available():
        return
    _state.cupy().get_default_memory_pool().free_all_blocks()


def mem_get_info(device=None):
    """(free, total) bytes of the device, from cudaMemGetInfo."""
    _state.require()
    idx = _index(device)
    cp = _state.cupy()
    with cp.cuda.Device(idx):
        free, total = cp.cuda.runtime.memGetInfo()
    return free, total


def set_per_process_memory_fraction(fraction, device=None):
    """Cap the pool at `fraction` of the device's memory (CuPy: MemoryPool.set_limit);
    allocations past it raise CuPy's OutOfMemoryError."""
    _state.require()
    idx = _index(device)
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    _install_tracker()
    _on_device(idx, lambda p: p.set_limit(fraction=fraction))
    _fraction[idx] = fraction


def get_per_process_memory_fraction(device=None):
    _state.require()
    return _fraction.get(_index(device), 1.0)


def host_memory_stats():
    """PyTorch's pinned-host statistics; CuPy's pinned pool reports no byte counts, so this is
    empty (as PyTorch's CPU build answers)."""
    return collections.OrderedDict()


def caching_allocator_alloc(size, device=None, stream=None):
    _state.require()
    raise NotImplementedError("torch.cuda.caching_allocator_alloc is not implemented in ember "
                              "(allocate tensors, or use cupy.cuda.alloc directly)")


def caching_allocator_delete(mem_ptr):
    _state.require()
    raise NotImplementedError("torch.cuda.caching_allocator_delete is not implemented in ember")


def _fmt(n):
    for unit in ("B  ", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:7.0f} {unit}" if unit == "B  " else f"{n:7.2f} {unit}"
        n /= 1024


def memory_summary(device=None, abbreviated=False):
    """A readable table of memory_stats (layout after PyTorch's, fewer rows)."""
    stats = memory_stats(device)
    if not stats:
        # PyTorch's CPU build fails the same way: it looks the keys up in an empty dict
        raise KeyError("allocated_bytes.all.current")
    line = "|" + "=" * 75 + "|"
    rows = [line,
            "|{:^75}|".format("PyTorch CUDA memory summary, device ID "
                              f"{_index(device)} (ember, CuPy memory pool)"),
            line,
            "|        Metric         | Cur Usage  | Peak Usage | Tot Alloc  | Tot Freed  |",
            line]
    for key, label in (("allocated_bytes", "Allocated memory"),
                       ("active_bytes", "Active memory"),
                       ("reserved_bytes", "GPU reserved memory")):
        vals = [stats[f"{key}.all.{k}"] for k in ("current", "peak", "allocated", "freed")]
        rows.append("| {:<21} |".format(label) + "|".join(f"{_fmt(v):>11} " for v in vals)
                    + "|")
    rows.append(line)
    rows.append("| {:<21} | {:<49} |".format("Allocations", stats["allocation.all.allocated"]))
    rows.append("| {:<21} | {:<49} |".format("OOMs", stats["num_ooms"]))
    rows.append(line)
    return "\n".join(rows) + "\n"
