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


def _cuda_only(name):
    """Calls ember.cuda does not provide yet: PyTorch's error without a device, a clear
    NotImplementedError with one."""
    def call(*args, **kwargs):
        _require()
        raise NotImplementedError(f"torch.accelerator.{name} is not implemented in ember for "
                                  "CUDA devices yet")
    call.__name__ = call.__qualname__ = name
    return call


current_stream = _cuda_only("current_stream")
set_stream = _cuda_only("set_stream")
empty_cache = _cuda_only("empty_cache")
empty_host_cache = _cuda_only("empty_host_cache")
get_device_capability = _cuda_only("get_device_capability")
get_memory_info = _cuda_only("get_memory_info")
max_memory_allocated = _cuda_only("max_memory_allocated")
max_memory_reserved = _cuda_only("max_memory_reserved")
memory_allocated = _cuda_only("memory_allocated")
memory_reserved = _cuda_only("memory_reserved")
memory_stats = _cuda_only("memory_stats")
reset_accumulated_memory_stats = _cuda_only("reset_accumulated_memory_stats")
reset_peak_memory_stats = _cuda_only("reset_peak_memory_stats")
