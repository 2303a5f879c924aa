"""ember: a deep-learning framework with PyTorch's programming model, on NumPy and CuPy.

This module only re-exports; see DESIGN.md for the layers.
"""
__version__ = "0.1.0"

from . import _warnings  # noqa: F401  (NumPy's inf/nan warnings, silenced as in PyTorch)
from . import dtypes
from .dtypes import (dtype, float16, half, bfloat16, float32, float, float64, double,
                     complex64, cfloat, complex128, cdouble, uint8, int8, int16, short, int32,
                     int, int64, long, bool, uint16, uint32, uint64, finfo, iinfo,
                     get_default_dtype, set_default_dtype, promote_types, result_type, can_cast)
from .device import device, set_default_device, get_default_device
from .tensor import Tensor, Size, is_tensor
from . import autograd
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .autograd import is_inference_mode_enabled
from .ops import *  # noqa: F401,F403  (every op module's __all__)
from .ops import __all__ as _ops_all
from .tensor_types import *  # noqa: F401,F403
from . import _tensor_methods  # noqa: F401  (binds ops onto Tensor)
from . import cuda
from . import amp  # noqa: F401  (autocast state: the listed ops consult it)
from .amp.autocast_mode import (autocast, is_autocast_enabled, set_autocast_enabled,
                                get_autocast_dtype, set_autocast_dtype,
                                is_autocast_cache_enabled, set_autocast_cache_enabled,
                                clear_autocast_cache, autocast_increment_nesting,
                                autocast_decrement_nesting)
globals().update(amp.autocast_mode._LEGACY)  # torch.is_autocast_cpu_enabled & co. (deprecated)
from . import nn
from .nn.functional._toplevel import *  # noqa: F401,F403  (torch.softmax, torch.conv2d, ...)
from . import random
from . import fft
from .fft import stft, istft
from . import linalg
globals().update(linalg.__toplevel__)  # torch.det, torch.svd, torch.qr, ... (older API)
from .serialization import save, load
from ._tensor_str import set_printoptions, get_printoptions

strided = "torch.strided"


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def numel(input):
    return input.numel()


def typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    if module in ("builtins", "__builtin__", None):
        return type(obj).__qualname__
    return module + "." + type(obj).__qualname__


# Submodules imported on first use (PEP 562), to keep `import ember` fast: none of them binds
# Tensor methods or sets global state when imported, and `ember.optim`, `from ember import
# optim`, `import ember.optim` and unpickling their classes all import them on demand.
_LAZY_SUBMODULES = ("accelerator", "cpu", "distributed", "distributions", "func", "hub", "jit",
                    "multiprocessing", "onnx", "optim", "profiler", "special", "testing", "text",
                    "utils", "version", "vision")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module("." + name, __name__)   # also binds it in globals()
    if name == "vmap":   # torch.vmap is torch.func.vmap
        from .func import vmap
        return vmap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
