"""Tensor printing, character for character as PyTorch prints.

Everything works on the tensor's host NumPy array (`t._host_array()`), never through ember
ops, so printing a tensor can't recurse into autograd and works while ops are half-built.

Values are formatted as Python floats/ints (via `tolist()` after widening floats to float64,
which is exact for float16/bfloat16/float32), because PyTorch formats `tensor.item()` with
Python's `format`: that fixes rounding, `nan`/`inf` spelling and exponent digits.
"""
import contextlib
import dataclasses
import math

import numpy as np

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set options for printing (PyTorch's `torch.set_printoptions`).

    `profile` ('default', 'short', 'full') resets the four numeric options first; explicit
    arguments then override it. `sci_mode` is always set (None means automatic), as in
    PyTorch, so every call without it goes back to automatic scientific notation.
    """
    if profile is not None and profile in _PROFILES:
        for k, v in _PROFILES[profile].items():
            setattr(PRINT_OPTS, k, v)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current options as a dict that can be passed back as `set_printoptions(**d)`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (PyTorch's `torch._tensor_str.printoptions`)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------- formatting
def _py_values(arr):
    """Python scalars of a NumPy array, floats widened to float64 first (exact) so that
    float16/bfloat16 come out as Python floats rather than NumPy scalars."""
    kind = arr.dtype.kind
    if kind == "c":
        return arr.astype(np.complex128).tolist()
    if kind not in "biu":
        return arr.astype(np.float64).tolist()
    return arr.tolist()


def _is_floating(arr):
    return arr.dtype.kind not in "biuc"


class _Formatter:
    """Decides one column width and one notation for all printed values of a real array
    (integer mode, fixed point or scientific), as PyTorch's `_Formatter` does."""

    def __init__(self, arr):
        self.floating_dtype = _is_floating(arr)
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if arr.size == 0:
            return
        if not self.floating_dtype:
            self.max_width = max(self.max_width, _int_width(arr))
            return

        vals = arr.reshape(-1).astype(np.float64)
        # nan/inf/zero never influence the notation or the width (so they may overflow it).
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals)
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        p = PRINT_OPTS.precision
        if self.sci_mode:
            spec, extra = f".{p}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1   # room for the trailing "." of `1.`
        else:
            spec, extra = f".{p}f", 0
        for v in _extremes(vals):
            self.max_width = max(self.max_width, len(format(v, spec)) + extra)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = format(value, f"{self.max_width}.{p}e")
            elif self.int_mode:
                ret = format(value, ".0f")
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = format(value, f".{p}f")
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _int_width(arr):
    """Widest `str()` of the elements of an integer/bool array without visiting them all:
    the length grows with the magnitude on each side of zero."""
    if arr.dtype.kind == "b":
        return max(len(str(v)) for v in np.unique(arr).tolist())
    return max(len(str(arr.max().item())), len(str(arr.min().item())))


def _extremes(vals):
    """The values whose formatted text can be the longest: the smallest and largest
    magnitude on each side of zero (rounding is monotone, and the exponent's digit count
    is largest at an extreme magnitude)."""
    out = []
    for part in (vals[vals > 0], vals[vals < 0]):
        if part.size:
            out += [float(part.min()), float(part.max())]
    return out


def _format_value(val, formatter1, formatter2=None):
    if formatter2 is None:
        return formatter1.format(val)
    real_str = formatter1.format(val.real)
    imag_str = (formatter2.format(val.imag) + "j").lstrip()
    # the imaginary part's own sign (including -0.0) replaces the "+"
    if imag_str[0] in "+-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _vector_str(arr, indent, summarize, formatter1, formatter2=None):
    opts = PRINT_OPTS
    element_length = formatter1.width() + 2   # the value plus ", "
    if formatter2 is not None:
        element_length += formatter2.width() + 1   # the imaginary part plus "j"
    elements_per_line = max(1, math.floor((opts.linewidth - indent) / element_length))

    edge = opts.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        data = ([_format_value(v, formatter1, formatter2) for v in _py_values(arr[:edge])]
                + [" ..."]
                + [_format_value(v, formatter1, formatter2) for v in _py_values(arr[-edge:])])
    else:
        data = [_format_value(v, formatter1, formatter2) for v in _py_values(arr)]

    lines = [", ".join(data[i:i + elements_per_line])
             for i in range(0, len(data), elements_per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(arr, indent, summarize, formatter1, formatter2=None):
    dim = arr.ndim
    if dim == 0:
        return _format_value(_py_values(arr), formatter1, formatter2)
    if dim == 1:
        return _vector_str(arr, indent, summarize, formatter1, formatter2)

    edge = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(n - edge, n))
    else:
        rows = range(n)
    slices = ["..." if i is None else
              _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
              for i in rows]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(arr):
    """Only the elements a summarised print shows, so widths are computed from them alone."""
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edge:
            # arr[-0:] is the whole array, exactly as in PyTorch when edgeitems is 0
            return np.concatenate((arr[:edge], arr[-edge:]))
        return arr
    if not edge:
        return np.empty((0,) * arr.ndim, dtype=arr.dtype)
    n = arr.shape[0]
    rows = list(range(edge)) + list(range(n - edge, n)) if n > 2 * edge else range(n)
    return np.stack([_summarized_data(arr[i]) for i in rows])


def _tensor_str(arr, indent):
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    shown = _summarized_data(arr) if summarize else arr
    if arr.dtype.kind == "c":
        return _tensor_str_with_formatter(arr, indent, summarize,
                                          _Formatter(shown.real), _Formatter(shown.imag))
    return _tensor_str_with_formatter(arr, indent, summarize, _Formatter(shown))


def _add_suffixes(tensor_str, suffixes, indent, force_newline=False):
    parts = [tensor_str]
    # PyTorch's count (one more than the last line's length, two more without a newline)
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if force_newline or last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
            force_newline = False
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# ---------------------------------------------------------------------------- the repr
def _is_parameter_class(cls):
    # nn sits above this module, so Parameter is recognised by name, not imported
    return cls.__name__ == "Parameter" and cls.__module__.startswith("ember.")


def _is_plain(cls):
    from .tensor import Tensor
    return cls is Tensor or _is_parameter_class(cls)


def _device_suffix(dev):
    if dev.type == "cpu":
        return None
    index = dev.index if dev.index is not None else 0 if dev.type == "cuda" else None
    name = dev.type if index is None else f"{dev.type}:{index}"
    return f"device='{name}'"


def _dtype_suffixes(self, numel):
    from . import dtypes as _dt
    dtype, default = self.dtype, _dt.get_default_dtype()
    out = []
    if numel == 0:
        # an empty tensor shows no values to infer the dtype from, so anything but the
        # default float dtype is named (int64 and bool included)
        if len(self.shape) != 1:
            out.append("size=" + str(tuple(self.shape)))
        if dtype is not default:
            out.append("dtype=" + str(dtype))
        return out
    if not PRINT_OPTS.edgeitems:
        out.append("size=" + str(tuple(self.shape)))
    default_complex = _dt.complex128 if default is _dt.float64 else _dt.complex64
    if dtype not in (default, default_complex, _dt.int64, _dt.bool):
        out.append("dtype=" + str(dtype))
    return out


def _grad_suffix(self):
    grad_fn = self.grad_fn
    if grad_fn is not None:
        return f"grad_fn=<{grad_fn.name().rsplit('::', 1)[-1]}>"
    if self.requires_grad:
        return "requires_grad=True"
    return None


def _str(self, *, tensor_contents=None):
    """`repr(tensor)`; `tensor_contents` replaces the printed values (PyTorch's hook)."""
    cls = type(self)
    plain = _is_plain(cls)
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)

    arr = self._host_array()
    suffixes = [s for s in [_device_suffix(self.device)] if s]
    suffixes += _dtype_suffixes(self, arr.size)
    if tensor_contents is not None:
        tensor_str = tensor_contents
    else:
        tensor_str = _tensor_str(arr, indent)
    grad = _grad_suffix(self)
    if grad:
        suffixes.append(grad)

    out = _add_suffixes(prefix + tensor_str, suffixes, indent)
    if not plain and any(_is_parameter_class(c) for c in cls.__mro__):
        out = f"Parameter({out})"
    return out


def _param_repr(t):
    """`repr` of an `nn.Parameter`: PyTorch's "Parameter containing:" header over the
    tensor's repr (which shows `requires_grad=True` as the parameter normally does)."""
    return "Parameter containing:\n" + _str(t)
