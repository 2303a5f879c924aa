"""Binary arithmetic: add, sub, mul, div, ... with PyTorch's broadcasting and type promotion.

Pattern for every binary op here: the public function computes the result dtype with
`dtypes.result_type` (PyTorch's rules, not NumPy's), the Op's forward casts array operands
to it and computes on raw arrays, and backward returns gradients shaped like the broadcast
result: the engine sums them back to each input's shape (`_util.sum_to`) and casts them to
the input's dtype, so no op undoes broadcasting itself. Python scalars pass through as
scalars (NumPy treats them as weakly typed, as PyTorch does).
"""
import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Op
from ._util import write_out, apply_inplace, Pointwise

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
           "negative"]


def _cast(a, npdt):
    """Cast an array operand to the op's dtype (no copy if it already is); scalars pass."""
    dt = getattr(a, "dtype", None)
    if dt is None:
        if a.__class__ is int and npdt.kind in "iu":
            return _wrap_int(a, npdt)
        if npdt.kind == "V" and a.__class__ in (float, int):
            return npdt.type(a)   # bfloat16: NumPy would promote it with a Python float to float32
        return a
    if dt == npdt:
        return a
    return a.astype(npdt)


def _wrap_int(v, npdt):
    """A Python int in an integer op wraps to the op's dtype as in PyTorch (uint8 + 300 adds
    44); NumPy would raise OverflowError for an out-of-range int."""
    bits = 8 * npdt.itemsize
    lo = -(1 << (bits - 1)) if npdt.kind == "i" else 0
    if lo <= v < lo + (1 << bits):
        return v
    v %= 1 << bits
    return v - (1 << bits) if v >= lo + (1 << bits) else v


def _conj(t):
    if isinstance(t, complex):   # a Python complex operand is saved as it is
        return t.conjugate()
    return t.conj() if isinstance(t, Tensor) and t.dtype.is_complex else t


def _conj_raw(x):
    """_conj for backward_raw: arrays and Python scalars."""
    if isinstance(x, complex):
        return x.conjugate()
    dt = getattr(x, "dtype", None)
    return x.conj() if dt is not None and dt.kind == "c" else x


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


# ---------------------------------------------------------------- add / sub
class Add(Pointwise):
    alpha = 1   # the usual case, read by backward without a per-node attribute

    @staticmethod
    def forward(ctx, a, b, alpha, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if alpha != 1:
            ctx.alpha = alpha
            b = b * alpha
        return a + b

    @staticmethod
    def backward(ctx, g):
        a = ctx.alpha
        return g, (g if a == 1 else g * a), None, None

    backward_raw = backward   # the same formula works on arrays


def _check_alpha(alpha, dt):
    if alpha != 1 and not dt.is_floating_point and not dt.is_complex and \
            isinstance(alpha, float) and not float(alpha).is_integer():
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def add(input, other, *, alpha=1, out=None):
    dt = _dt.result_type(input, other)
    _check_alpha(alpha, dt)
    r = Add.apply(input, other, alpha, dt.np)
    return r if out is None else write_out(r, out)


class Sub(Pointwise):
    alpha = 1   # the usual case, read by backward without a per-node attribute

    @staticmethod
    def forward(ctx, a, b, alpha, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if alpha != 1:
            ctx.alpha = alpha
            b = b * alpha
        return a - b

    @staticmethod
    def backward(ctx, g):
        a = ctx.alpha
        return g, (-g if a == 1 else g * (-a)), None, None

    backward_raw = backward   # the same formula works on arrays


def sub(input, other, *, alpha=1, out=None):
    dt = _dt.result_type(input, other)
    if dt is _dt.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if input.__class__ is bool or other.__class__ is bool or \
            getattr(input, "dtype", None) is _dt.bool or getattr(other, "dtype", None) is _dt.bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    _check_alpha(alpha, dt)
    r = Sub.apply(input, other, alpha, dt.np)
    return r if out is None else write_out(r, out)


subtract = sub


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


# ---------------------------------------------------------------- mul / div
class Mul(Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            # a's gradient needs b and b's needs a; save only those
            ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                                  b if ctx.needs_input_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * _conj(b) if ctx.needs_input_grad[0] else None
        gb = g * _conj(a) if ctx.needs_input_grad[1] else None
        return ga, gb, None

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx._saved_arrays()
        ga = g * _conj_raw(b) if ctx.needs_input_grad[0] else None
        gb = g * _conj_raw(a) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def mul(input, other, *, out=None):
    r = Mul.apply(input, other, _dt.result_type(input, other).np)
    return r if out is None else write_out(r, out)


multiply = mul


_ROUNDING = (None, "trunc", "floor")


class Div(Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / _conj(b) if ctx.needs_input_grad[0] else None
        gb = -g * _conj(a) / _conj(b * b) if ctx.needs_input_grad[1] else None
        return ga, gb, None

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx._saved_arrays()
        ga = g / _conj_raw(b) if ctx.needs_input_grad[0] else None
        gb = -g * _conj_raw(a) / _conj_raw(b * b) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode not in _ROUNDING:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    if rounding_mode is not None:
        from .pointwise import _rounded_div
        r = _rounded_div(input, other, rounding_mode)
        return r if out is None else write_out(r, out)
    dt = _dt.result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        dt = _dt.get_default_dtype()
    r = Div.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


divide = div


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


# ---------------------------------------------------------------- neg
class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def backward_raw(ctx, g):
        return (-g,)


def neg(input, *, out=None):
    r = Neg.apply(input)
    return r if out is None else write_out(r, out)


negative = neg


# ---------------------------------------------------------------- in-place forms
_enabled = grad_mode._enabled


def _direct_inplace(self, other, ufunc, need_float):
    """`self.op_(other)` computed straight into self's array, when nothing about it needs the
    general path: no autograd, a NumPy array we may write, `other` a Python number or a
    same-dtype tensor on the same device that broadcasts to self's shape, and a result
    dtype equal to self's. Returns False when the general path must run (which also raises
    PyTorch's errors)."""
    a = self._data
    if a.__class__ is not np.ndarray or not a.flags.writeable:
        return False
    if _enabled[0] and (self._requires_grad or getattr(other, "_requires_grad", False)):
        return False
    kind = a.dtype.kind
    if kind not in "fciu" or (need_float and kind not in "fc"):
        return False   # bool (PyTorch's own rules), bfloat16 and friends take the general path
    oc = other.__class__
    if oc is float or oc is int:
        if kind not in "fc":
            return False   # int tensors: NumPy raises for out-of-range ints, PyTorch wraps
    elif isinstance(other, Tensor):
        b = other._data
        if b.__class__ is not np.ndarray or b.dtype != a.dtype or b.ndim > a.ndim or \
                other._device is not self._device:
            return False
        for n_b, n_a in zip(b.shape[::-1], a.shape[::-1]):
            if n_b != n_a and n_b != 1:
                return False
        other = b
    else:
        return False
    ufunc(a, other, out=a)
    self._vc[0] += 1
    return True


def add_(self, other, *, alpha=1):
    if alpha == 1 and _direct_inplace(self, other, np.add, False):
        return self
    return apply_inplace(self, add(self, other, alpha=alpha))


def sub_(self, other, *, alpha=1):
    if alpha == 1 and _direct_inplace(self, other, np.subtract, False):
        return self
    return apply_inplace(self, sub(self, other, alpha=alpha))


def mul_(self, other):
    if _direct_inplace(self, other, np.multiply, False):
        return self
    return apply_inplace(self, mul(self, other))


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and _direct_inplace(self, other, np.true_divide, True):
        return self
    return apply_inplace(self, div(self, other, rounding_mode=rounding_mode))


def neg_(self):
    return apply_inplace(self, neg(self))
