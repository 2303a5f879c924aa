"""`torch.backends.mkldnn`: ember runs no oneDNN kernels, so `is_available()` is False
(PyTorch's x86 CPU build says True; a script that then calls `x.to_mkldnn()` would fail on
ember, so False is the honest answer). The flags are stored and checked, nothing else."""
import sys as _sys

from . import _flags

__all__ = ["is_available", "set_flags", "flags"]

enabled = True
deterministic = False


def is_available():
    return False


def set_flags(_enabled=None, _deterministic=None):
    m = _sys.modules[__name__]
    orig = (m.enabled, m.deterministic)
    if _enabled is not None:
        m.enabled = _enabled
    if _deterministic is not None:
        m.deterministic = _deterministic
    return orig


def flags(enabled=False, deterministic=False):
    """Context manager: these flag values inside the block, the previous ones after it."""
    return _flags.flag_context(_sys.modules[__name__], enabled=enabled,
                               deterministic=deterministic)


class _MkldnnModule(_flags.FlagModule):
    _checks = {"enabled": _flags.check_bool("set_enabled_mkldnn"),
               "deterministic": _flags.check_bool("set_deterministic_mkldnn")}


_sys.modules[__name__].__class__ = _MkldnnModule
