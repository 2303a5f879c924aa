"""ember.cuda: GPUs through CuPy. Without CuPy or a GPU everything answers as PyTorch 2.13's
CPU build does (mostly AssertionError "Torch not compiled with CUDA enabled"; the memory
statistics are 0) and creating a CUDA tensor raises PyTorch's error.

Modules: memory (statistics from CuPy's pool), streams (Stream, Event), device_info
(device context managers, properties), _state (the CuPy handle, device indices)."""
from ..backends import cuda as _cuda_backend
from . import _state
from ._state import current_index as _current_index   # ember.device uses it
from .device_info import (device, device_of, set_device, get_device_properties,  # noqa: F401
                          get_device_capability, get_device_name, is_bf16_supported,
                          get_arch_list, get_gencode_flags, can_device_access_peer,
                          ipc_collect, init, _CudaDeviceProperties)
from .memory import (memory_allocated, max_memory_allocated, memory_reserved,  # noqa: F401
                     max_memory_reserved, memory_cached, max_memory_cached, memory_stats,
                     memory_stats_as_nested_dict, memory_summary, reset_peak_memory_stats,
                     reset_max_memory_allocated, reset_max_memory_cached,
                     reset_accumulated_memory_stats, empty_cache, mem_get_info,
                     set_per_process_memory_fraction, get_per_process_memory_fraction,
                     host_memory_stats, caching_allocator_alloc, caching_allocator_delete)
from .streams import (Stream, ExternalStream, Event, StreamContext, stream,  # noqa: F401
                      current_stream, default_stream, set_stream,
                      is_current_stream_capturing)


def is_available():
    return _cuda_backend.is_available()


def device_count():
    if not is_available():
        return 0
    return _state.cupy().cuda.runtime.getDeviceCount()


def current_device():
    _state.require()
    return _current_index()


def synchronize(device=None):
    """Wait for all work queued on `device` (default: the current one)."""
    _state.require()
    cp = _state.cupy()
    idx = _state.device_index(device, optional=True)
    with cp.cuda.Device(idx):
        cp.cuda.Device(idx).synchronize()


def manual_seed(seed):
    if is_available():
        _state.cupy().random.seed(seed)


def manual_seed_all(seed):
    manual_seed(seed)


def is_initialized():
    return is_available()


# Legacy CUDA tensor types: `ember.cuda.FloatTensor(...)` builds a CUDA tensor (and raises
# PyTorch's error without a GPU); `isinstance(x, ember.cuda.FloatTensor)` checks dtype and device.
def _export_legacy_types():
    from ..tensor_types import _cuda_types
    globals().update(_cuda_types)


_export_legacy_types()


def __getattr__(name):
    # `ember.cuda.amp` (deprecated autocast/GradScaler spellings) is imported on first use
    if name == "amp":
        import importlib
        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
