"""Array backends behind devices: NumPy for 'cpu', CuPy for 'cuda' (imported lazily).

A backend is a small object with `xp` (the array namespace), `asarray(array, device)`
(move an array onto the device) and `to_numpy(array)`. Tests register a stand-in backend
(`register_backend`) to exercise device placement and mismatch errors without a GPU.
"""
import numpy as _np

from . import cpu as _cpu
# torch.backends.* query/flag modules scripts use (`torch.backends.cudnn.benchmark = True`)
from . import cudnn, mkldnn, mps, openmp  # noqa: F401,E402

# Array classes ops may return without conversion; CuPy's ndarray joins when CUDA loads.
ndarray_types = {_np.ndarray}

_backends = {"cpu": _cpu.backend}
# Device types that name-parse; only those with a backend can hold tensors.
_known = {"cpu", "cuda", "meta", "mps", "xpu"}


def known_device_types():
    return _known


def register_backend(device_type, backend):
    """Register (or with backend=None, remove) the backend for a device type."""
    if backend is None:
        _backends.pop(device_type, None)
        if device_type not in ("cpu", "cuda", "meta", "mps", "xpu"):
            _known.discard(device_type)
        return
    _known.add(device_type)
    _backends[device_type] = backend


def get_backend(dev):
    """The backend for an `ember.device`; raises PyTorch's error when it isn't available."""
    b = _backends.get(dev.type)
    if b is not None:
        return b
    if dev.type == "cuda":
        from . import cuda as _cuda
        b = _cuda.load_backend()   # raises if CuPy or a GPU is missing
        ndarray_types.add(b.xp.ndarray)
        _backends["cuda"] = b
        return b
    raise RuntimeError(f"ember has no backend for device type '{dev.type}'")
