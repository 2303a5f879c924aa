"""`torch.backends.cudnn`: ember has no cuDNN (CuPy's backend convolves through im2col and
cuBLAS), so `is_available()` is False and `version()` None, as in PyTorch's CPU build. The
flags scripts set (`benchmark`, `deterministic`, `enabled`, `allow_tf32`, ...) are stored
and checked as PyTorch checks them, and change nothing ember computes."""
import sys as _sys

from . import _flags

__all__ = ["is_available", "version", "is_acceptable", "set_flags", "flags"]

enabled = True
benchmark = False
benchmark_limit = None       # PyTorch's CPU build: None (the limit exists only with cuDNN)
deterministic = False
allow_tf32 = True
fp32_precision = "none"
depthwise_kernel = "auto"


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    """Whether cuDNN could take this tensor: never, without cuDNN."""
    return False


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None):
    """Set the given flags (None leaves one as it is); returns the previous values in
    argument order, as PyTorch does."""
    m = _sys.modules[__name__]
    orig = (m.enabled, m.benchmark, None, m.deterministic, m.allow_tf32, m.fp32_precision,
            m.depthwise_kernel)
    for name, value in (("enabled", _enabled), ("benchmark", _benchmark),
                        ("deterministic", _deterministic), ("allow_tf32", _allow_tf32),
                        ("fp32_precision", _fp32_precision),
                        ("depthwise_kernel", _depthwise_kernel)):
        if value is not None:
            setattr(m, name, value)
    return orig


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """Context manager: these flag values inside the block (PyTorch's defaults for the ones
    not given: note `enabled=False`), the previous ones after it."""
    return _flags.flag_context(_sys.modules[__name__], enabled=enabled, benchmark=benchmark,
                               deterministic=deterministic, allow_tf32=allow_tf32,
                               fp32_precision=fp32_precision,
                               depthwise_kernel=depthwise_kernel)


class _CudnnModule(_flags.FlagModule):
    _checks = {
        "enabled": _flags.check_bool("set_enabled_cudnn"),
        "benchmark": _flags.check_bool("set_benchmark_cudnn"),
        "deterministic": _flags.check_bool("set_deterministic_cudnn"),
        "allow_tf32": _flags.check_bool("set_allow_tf32_cublas"),
        "fp32_precision": _flags.check_choice("Unknown precision: {value}",
                                              ("ieee", "tf32", "none")),
        "depthwise_kernel": _flags.check_choice(
            "Unknown cuDNN depthwise kernel mode: {value}. Expected one of: auto, cudnn, "
            "native", ("auto", "cudnn", "native")),
    }


_sys.modules[__name__].__class__ = _CudnnModule
