"""Settable flag modules behind `torch.backends.cudnn`, `torch.backends.mkldnn` and the
`torch.backends.cuda.matmul` object.

ember runs no cuDNN or oneDNN kernels, so these flags change nothing it computes; they exist
because training scripts set and read them (`torch.backends.cudnn.benchmark = True`), and
they answer and validate as PyTorch's CPU build does.
"""
import types
from contextlib import contextmanager


def check_bool(setter):
    """A validator raising PyTorch's error for a non-bool flag value."""
    def check(value):
        if not isinstance(value, bool):
            raise RuntimeError(f"{setter} expects a bool, but got {type(value).__name__}")
    return check


def check_choice(message, choices):
    def check(value):
        if value not in choices:
            raise RuntimeError(message.format(value=value))
    return check


class FlagModule(types.ModuleType):
    """A module whose flag attributes are checked when assigned (`_checks`: name ->
    validator). Modules become one with `sys.modules[__name__].__class__ = Subclass`."""
    _checks = {}

    def __setattr__(self, name, value):
        check = type(self)._checks.get(name)
        if check is not None:
            check(value)
        super().__setattr__(name, value)


@contextmanager
def flag_context(module, **values):
    """Set the module's flags (those not None) for the block, then restore them all."""
    saved = {k: getattr(module, k) for k in values}
    try:
        for k, v in values.items():
            if v is not None:
                setattr(module, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(module, k, v)


class CuBLASFlags:
    """`torch.backends.cuda.matmul`: `allow_tf32` is the float32 matmul precision seen as a
    bool (True <-> anything but "highest", as in PyTorch), the other flags are checked and
    stored; any other name is an AttributeError, as in PyTorch."""
    _defaults = {"allow_fp16_reduced_precision_reduction": True,
                 "allow_bf16_reduced_precision_reduction": True,
                 "allow_fp16_accumulation": False,
                 "fp32_precision": "none"}

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._defaults))

    def __getattr__(self, name):
        if name == "allow_tf32":
            from ..ops import misc
            return misc.get_float32_matmul_precision() != "highest"
        if name in self._defaults:
            return self._values[name]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            check_bool("set_allow_tf32_cublas")(value)
            from ..ops import misc
            misc.set_float32_matmul_precision("high" if value else "highest")
            return
        if name not in self._defaults:
            raise AttributeError("Unknown attribute " + name)
        if name == "fp32_precision":
            check_choice("Unknown precision: {value}", ("ieee", "tf32", "none"))(value)
        elif name == "allow_fp16_accumulation":
            check_bool("set_allow_fp16_accumulation_cublas")(value)
        elif not isinstance(value, bool):
            raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got "
                            f"{type(value)}")
        self._values[name] = value
