"""`torch.accelerator`: the device-agnostic view of the current accelerator.

ember's only accelerator is CUDA (through CuPy). Without it everything answers as PyTorch's
CPU build does: `is_available()` False, `current_accelerator()` None, `device_count()` 0,
and the calls that need a device raise "Cannot access accelerator device when none is
available.". With CUDA the calls go to `ember.cuda`.
"""
import warnings

from . import cuda as _cuda
from .device import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index",
           "current_stream", "device_count", "device_index", "empty_cache",
           "empty_host_cache", "get_device_capability", "get_memory_info", "is_available",
           "max_memory_allocated", "max_memory_reserved", "memory_allocated",
           "memory_reserved", "memory_stats", "reset_accumulated_memory_stats",
           "reset_peak_memory_stats", "set_device_idx", "set_device_index", "set_stream",
           "synchronize"]


def current_accelerator(check_available=False):
    """`device('cuda')` when ember can use CUDA here, else None (no index, as in PyTorch)."""
    return _device("cuda") if _cuda.is_available() else None


def is_available():
    return _cuda.is_available()


def device_count():
    return _cuda.device_count() if _cuda.is_available() else 0


def _require():
    if not _cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def _index(dev):
    if dev is None:
        return _cuda.current_device()
    if isinstance(dev, int):
        return dev
    d = _device(dev)
    return _cuda.current_device() if d.index is None else d.index


def current_device_index():
    _require()
    return _cuda.current_device()


def current_device_idx():
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_index(device, /):
    _require()
    _cuda.set_device(_index(device))


def set_device_idx(device, /):
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def synchronize(device=None, /):
    _require()
    _cuda.synchronize(device)


class device_index:
    """Context manager: `device` is the current accelerator index inside the block (None: a
    no-op, allowed without an accelerator)."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc):
        if self.idx is not None:
            set_device_index(self.prev_idx)
        return False


def _cuda_call(name, cuda_fn):
    """A memory/stream call forwarded to ember.cuda; without an accelerator PyTorch's
    "Cannot access accelerator device when none is available."."""
    def call(*args, **kwargs):
        _require()
        return cuda_fn(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"`torch.accelerator.{name}`: forwards to `ember.cuda` on CUDA."
    return call


def _host_cache_empty():
    # CuPy's pinned-memory pool is the host cache
    from .cuda import _state
    _state.cupy().get_default_pinned_memory_pool().free_all_blocks()


def _memory_info(device=None, /):
    return _cuda.mem_get_info(_index(device))


current_stream = _cuda_call("current_stream", lambda device=None, /: _cuda.current_stream(
    None if device is None else _index(device)))
set_stream = _cuda_call("set_stream", lambda stream, /: _cuda.set_stream(stream))
empty_cache = _cuda_call("empty_cache", lambda: _cuda.empty_cache())
empty_host_cache = _cuda_call("empty_host_cache", _host_cache_empty)


def _capability(device=None, /):
    """PyTorch's answer is {'supported_dtypes': {...}}: the dtypes CuPy arrays can hold."""
    from . import dtypes as _dt
    names = ("bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
             "float16", "float32", "float64", "complex64", "complex128")
    _index(device)
    return {"supported_dtypes": {getattr(_dt, n) for n in names if hasattr(_dt, n)}}


get_device_capability = _cuda_call("get_device_capability", _capability)
get_memory_info = _cuda_call("get_memory_info", _memory_info)
max_memory_allocated = _cuda_call(
    "max_memory_allocated", lambda device=None, /: _cuda.max_memory_allocated(_index(device)))
max_memory_reserved = _cuda_call(
    "max_memory_reserved", lambda device=None, /: _cuda.max_memory_reserved(_index(device)))
memory_allocated = _cuda_call(
    "memory_allocated", lambda device=None, /: _cuda.memory_allocated(_index(device)))
memory_reserved = _cuda_call(
    "memory_reserved", lambda device=None, /: _cuda.memory_reserved(_index(device)))
memory_stats = _cuda_call(
    "memory_stats", lambda device=None, /: _cuda.memory_stats(_index(device)))
reset_accumulated_memory_stats = _cuda_call(
    "reset_accumulated_memory_stats",
    lambda device=None, /: _cuda.reset_accumulated_memory_stats(_index(device)))
reset_peak_memory_stats = _cuda_call(
    "reset_peak_memory_stats",
    lambda device=None, /: _cuda.reset_peak_memory_stats(_index(device)))
