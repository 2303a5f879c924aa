"""ember.cuda: GPU queries. Without CuPy or a GPU everything reports absence and creating a
CUDA tensor raises PyTorch's error."""
from ..backends import cuda as _cuda_backend


def is_available():
    return _cuda_backend.is_available()


def device_count():
    if not is_available():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def _require():
    if not is_available():
        raise _cuda_backend._lazy_init_error()


def current_device():
    _require()
    return _current_index()


_current = [0]


def _current_index():
    """The current CUDA device index (0 until set_device); no GPU needed to ask."""
    return _current[0]


def set_device(device):
    _require()
    import cupy
    from ..device import device as _d
    idx = device if isinstance(device, int) else (_d(device).index or 0)
    cupy.cuda.Device(idx).use()
    _current[0] = idx


def get_device_name(device=None):
    _require()
    import cupy
    idx = 0 if device is None else (device if isinstance(device, int) else device.index or 0)
    return cupy.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def synchronize(device=None):
    if is_available():
        import cupy
        cupy.cuda.Device().synchronize()


def manual_seed(seed):
    if is_available():
        import cupy
        cupy.random.seed(seed)


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
