"""Binary and ternary elementwise ops: floor_divide, remainder, fmod, pow, maximum/minimum,
fmax/fmin, atan2, hypot, logaddexp, xlogy, copysign, ldexp, lerp, addcmul/addcdiv, clamp,
bitwise and logical ops, nan_to_num, heaviside.

The pattern is arith.py's: the public function checks the operands the way PyTorch's
overloads do and computes the result dtype with `dtypes.result_type`; the Op's forward casts
array operands to it and works on raw arrays; backward returns gradients in the broadcast
result's shape (the engine sums them back to each input). Where PyTorch's formula is
`where(cond, grad, 0)` we use `_masked_zero`, which gives an exact zero even where the
incoming gradient is inf or nan; such masks are piecewise-constant, so they are computed as
raw arrays and cost no graph.
"""
import builtins
import cmath
import math
import numbers

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _make
from ..autograd import grad_mode
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ._util import (Pointwise as _Pointwise, broadcast_error as _broadcast_error, write_out,
                    apply_inplace, xp_of, _type_word)
from .arith import _cast as _cast_array, _conj, _check_tensor

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = [
    "floor_divide", "remainder", "fmod", "pow", "float_power", "maximum", "minimum", "fmax",
    "fmin", "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "xlogy_",
    "copysign", "ldexp", "ldexp_", "lerp", "addcmul", "addcdiv", "clamp", "clip", "clamp_",
    "clip_", "clamp_min", "clamp_max", "clamp_min_", "clamp_max_", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "logical_and", "logical_or", "logical_xor", "logical_not", "nan_to_num", "nan_to_num_",
    "heaviside",
]

_INT = _dt._INT


# ---------------------------------------------------------------- shared helpers
def _xp(*vals):
    """The array namespace of the first array among `vals` (others may be Python scalars)."""
    for v in vals:
        if hasattr(v, "dtype"):
            return xp_of(v)
    return np


def _cast(a, npdt):
    """arith's cast, plus Python ints wrapped into an integer dtype's range the way PyTorch
    (C) converts them (`uint8_tensor // -3` divides by 253); NumPy would raise instead."""
    if a.__class__ is int and npdt.kind in "iu":
        info = np.iinfo(npdt)
        if not info.min <= a <= info.max:
            a &= (1 << info.bits) - 1
            if info.min < 0 and a > info.max:
                a -= 1 << info.bits
        return a
    return _cast_array(a, npdt)


def _is_number(x):
    return isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, Tensor)


def _py(x):
    """NumPy scalars become Python numbers: only those are weakly typed in NumPy's promotion."""
    return x.item() if isinstance(x, np.generic) else x


def _operands(name, input, other, *, scalar_self=False, scalar_other=True,
              other_name="other"):
    """Check operand kinds the way PyTorch's overloads do (Tensor/Number combinations)."""
    ti, to = isinstance(input, Tensor), isinstance(other, Tensor)
    if ti and to:
        return input, other
    if ti and _is_number(other):
        if scalar_other:
            return input, _py(other)
        raise TypeError(f"{name}(): argument '{other_name}' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    if to and _is_number(input) and scalar_self:
        return _py(input), other
    if to or not scalar_self:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    raise TypeError(f"{name}() received an invalid combination of arguments - got "
                    f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
                    f" * (Tensor input, Tensor {other_name})\n * (Number self, Tensor "
                    f"{other_name})\n * (Tensor input, Number {other_name})")


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dt)}\'')


def _float_result(dt):
    """Ops that compute in floating point (atan2, xlogy, ...) make integers the default float."""
    return dt if dt.is_floating_point or dt.is_complex else _dt.get_default_dtype()


def _const(arr, like):
    """A constant (graph-free) Tensor on `like`'s device."""
    return _make(arr, like._device)


def _zeros_like(g):
    return _const(xp_of(g._data).zeros(g._data.shape, g._data.dtype), g)


def _check_int_divisor(b):
    """Integer division by zero raises in PyTorch (CPU) instead of producing garbage."""
    zero = (b == 0).any() if hasattr(b, "dtype") else b == 0
    if zero:
        raise RuntimeError("ZeroDivisionError")


class _NoDerivative(_Pointwise):
    """An op PyTorch has no derivative for: the output still gets a node (as in PyTorch),
    whose backward raises."""
    _name = "torch::autograd::NotImplemented"
    aten = ""

    def __repr__(self):
        return f"<NotImplemented object at {hex(id(self))}>"

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")


class _MaskedZero(Op):
    """`t.masked_fill(mask, 0)` for a constant bool array `mask`: how backward formulas drop
    gradient (exactly 0, even where the gradient is inf or nan)."""
    _name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, a, mask):
        ctx.mask = mask
        xp = xp_of(a)
        return xp.where(mask, xp.zeros((), a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return _masked_zero(g, ctx.mask), None


def _masked_zero(t, mask):
    if mask is None or not mask.any():
        return t
    return _MaskedZero.apply(t, mask)


def _ties_halved(g, eq):
    """Gradient halved where two inputs tie (PyTorch's maximum/minimum convention)."""
    if not eq.any():
        return g
    xp = xp_of(eq)
    return g * _const(xp.where(eq, 0.5, 1.0).astype(g._data.dtype), g)


# ---------------------------------------------------------------- floor_divide / div modes
def _floor_div(a, b):
    # NumPy's float floor division is the same algorithm as PyTorch's (CPython's divmod).
    with np.errstate(all="ignore"):
        return _xp(a, b).floor_divide(a, b)


def _trunc_div(a, b, npdt):
    xp = _xp(a, b)
    with np.errstate(all="ignore"):
        if npdt.kind in "fc":
            return xp.trunc(a / b)
        # exact for integers: a - fmod(a, b) is a multiple of b
        return (a - xp.fmod(a, b)) // b


def _check_division(kernel, dt):
    if dt is _dt.bool or dt.is_complex:
        raise _not_implemented(kernel, dt)


class FloorDivide(_NoDerivative):
    aten = "floor_divide"

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if npdt.kind in "iu":
            _check_int_divisor(b)
        return _floor_div(a, b)


def floor_divide(input, other, *, out=None):
    input, other = _operands("floor_divide", input, other, scalar_self=True)
    dt = _dt.result_type(input, other)
    _check_division("div_floor_cpu", dt)
    r = FloorDivide.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


class RoundedDiv(_Pointwise):
    """div(..., rounding_mode='trunc'|'floor'): piecewise constant, so zero gradients."""
    _name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if npdt.kind in "iu":
            _check_int_divisor(b)
        r = _floor_div(a, b) if mode == "floor" else _trunc_div(a, b, npdt)
        return r.astype(npdt, copy=False)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (_zeros_like(g) if n[0] else None, _zeros_like(g) if n[1] else None, None, None)


def _rounded_div(input, other, rounding_mode):
    """arith.div's rounding modes; integer inputs stay integer, as in PyTorch."""
    dt = _dt.result_type(input, other)
    _check_division(f"div_{rounding_mode}_cpu", dt)
    return RoundedDiv.apply(input, other, rounding_mode, dt.np)


# ---------------------------------------------------------------- remainder / fmod
class Remainder(_Pointwise):
    """remainder(Tensor, Scalar) is RemainderBackward0, (Tensor, Tensor) RemainderBackward1;
    d/d(other) = -floor(a / b) * grad."""

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if npdt.kind in "iu":
            _check_int_divisor(b)
        n = ctx.needs_input_grad
        if n:
            if hasattr(b, "dtype"):
                ctx._name = "RemainderBackward1"
            if n[1]:
                ctx.q = _floor_div(a, b)
        with np.errstate(all="ignore"):
            return _xp(a, b).remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return g if n[0] else None, (-g * _const(ctx.q, g)) if n[1] else None, None


class RemainderScalarSelf(_NoDerivative):
    aten = "remainder"

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if npdt.kind in "iu":
            _check_int_divisor(b)
        with np.errstate(all="ignore"):
            return _xp(b).remainder(a, b)


def remainder(input, other, *, out=None):
    input, other = _operands("remainder", input, other, scalar_self=True)
    dt = _dt.result_type(input, other)
    _check_division("remainder_cpu", dt)
    cls = Remainder if isinstance(input, Tensor) else RemainderScalarSelf
    r = cls.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


class Fmod(_Pointwise):
    """C's fmod (sign of the dividend); d/d(other) = -trunc(a / b) * grad."""

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if npdt.kind in "iu":
            _check_int_divisor(b)
        n = ctx.needs_input_grad
        if n:
            if hasattr(b, "dtype"):
                ctx._name = "FmodBackward1"
            if n[1]:
                ctx.q = _trunc_div(a, b, npdt)
        with np.errstate(all="ignore"):
            return _xp(a, b).fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return g if n[0] else None, (-g * _const(ctx.q, g)) if n[1] else None, None


def fmod(input, other, *, out=None):
    input, other = _operands("fmod", input, other)
    dt = _dt.result_type(input, other)
    _check_division("fmod_cpu", dt)
    r = Fmod.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- pow
def _int_pow(a, b, npdt):
    """Integer power with PyTorch's answer for negative exponents (NumPy raises): 1 for base
    1, +-1 for base -1, else 0."""
    xp = _xp(a, b)
    neg = b < 0
    if not hasattr(b, "dtype") or not neg.any():
        return xp.power(a, b)
    r = xp.power(a, xp.where(neg, 0, b).astype(npdt))
    odd = (b % 2) != 0
    negr = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(neg, negr, r).astype(npdt)


def _pow(a, b, npdt):
    if npdt.kind in "iu":
        return _int_pow(a, b, npdt)
    with np.errstate(all="ignore"):
        if npdt.kind == "V":   # bfloat16: computed in float32 and rounded (NumPy: float32)
            f32 = [x.astype(np.float32) if hasattr(x, "astype") else x for x in (a, b)]
            return _xp(a, b).power(*f32).astype(npdt)
        return _xp(a, b).power(a, b)


def _log(t):
    return t.log()


class PowTensorScalar(_Pointwise):
    _name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, e, npdt):
        a = _cast(a, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a)
            ctx.e = e
        return _pow(a, e, npdt)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        e = ctx.e
        if e == 0:
            return _zeros_like(g), None, None
        return g * _conj(e * pow(a, e - 1)), None, None


class PowTensorTensor(_Pointwise):
    _name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        out = _pow(a, b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = gb = None
        xp = xp_of(b._data)
        if n[0]:
            ga = _masked_zero(g * _conj(b * pow(a, b - 1)), b._data == 0)
        if n[1]:
            # 0 ** b has zero gradient for b >= 0 (out * log(0) would be nan)
            breal = xp.real(b._data) if b.dtype.is_complex else b._data
            cond = (a._data == 0) & (breal >= 0)
            gb = g * _conj(_masked_zero(out * _log(a), cond))
        return ga, gb, None


class PowScalarTensor(_Pointwise):
    _name = "PowBackward2"

    @staticmethod
    def forward(ctx, base, b, npdt):
        base, b = _cast(base, npdt), _cast(b, npdt)
        out = _pow(base, b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(b, out)
            ctx.base = base
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx.saved_tensors
        base = ctx.base
        if out.dtype.is_complex:
            lb = cmath.log(base) if base != 0 else -math.inf
        else:
            lb = math.log(base) if base > 0 else (-math.inf if base == 0 else math.nan)
        d = out * lb
        if base == 0:
            breal = xp_of(b._data).real(b._data) if b.dtype.is_complex else b._data
            d = _masked_zero(d, breal >= 0)
        return None, g * _conj(d), None


def pow(input, exponent, *, out=None):
    if _amp_on[0] and out is None:
        input, exponent = _amp.maybe_cast("pow", input, exponent)
    input, exponent = _operands("pow", input, exponent, scalar_self=True,
                                other_name="exponent")
    dt = _dt.result_type(input, exponent)
    if dt is _dt.bool:
        raise _not_implemented("pow", dt)
    if not isinstance(exponent, Tensor):
        if dt.category == _INT and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        r = PowTensorScalar.apply(input, exponent, dt.np)
    elif isinstance(input, Tensor):
        r = PowTensorTensor.apply(input, exponent, dt.np)
    else:
        r = PowScalarTensor.apply(input, exponent, dt.np)
    return r if out is None else write_out(r, out)


def _float_power_dtype(input, exponent):
    cplx = builtins.any(x.dtype.is_complex if isinstance(x, Tensor) else isinstance(x, complex)
                        for x in (input, exponent))
    return _dt.complex128 if cplx else _dt.float64


def _as_dtype(x, dt):
    if isinstance(x, Tensor):
        return x.to(dt)
    return complex(x) if dt.is_complex else float(x)


def float_power(input, exponent, *, out=None):
    """pow computed in double precision (complex128 if any operand is complex)."""
    input, exponent = _operands("float_power", input, exponent, scalar_self=True,
                                other_name="exponent")
    dt = _float_power_dtype(input, exponent)
    if out is not None and out.dtype is not dt:
        raise RuntimeError(f"the output given to float_power has dtype {_type_word(out.dtype)} "
                           f"but the operation's result requires dtype {_type_word(dt)}")
    r = pow(_as_dtype(input, dt), _as_dtype(exponent, dt))
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- maximum / minimum / fmax / fmin
class _MinMax(_Pointwise):
    """maximum/minimum propagate NaN; on ties each input gets half the gradient."""
    ufunc = ""

    @classmethod
    def forward(cls, ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            # masks: where each input loses (gets no gradient) and where they tie
            lt, gt = a < b, a > b
            ctx.masks = (a == b,) + ((lt, gt) if cls.ufunc == "maximum" else (gt, lt))
        return getattr(_xp(a, b), cls.ufunc)(a, b)

    @staticmethod
    def backward(ctx, g):
        eq, a_loses, b_loses = ctx.masks
        n = ctx.needs_input_grad
        g = _ties_halved(g, eq)
        return (_masked_zero(g, a_loses) if n[0] else None,
                _masked_zero(g, b_loses) if n[1] else None, None)


class Maximum(_MinMax):
    ufunc = "maximum"


class Minimum(_MinMax):
    ufunc = "minimum"


class _FMinMax(_Pointwise):
    """fmax/fmin ignore NaN; ties give the whole gradient to `input`."""
    ufunc = ""

    @classmethod
    def forward(cls, ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        xp = _xp(a, b)
        if ctx.needs_input_grad:
            wins = (a >= b) if cls.ufunc == "fmax" else (a <= b)
            ctx.a_wins = wins | xp.isnan(b)
        return getattr(xp, cls.ufunc)(a, b)

    @staticmethod
    def backward(ctx, g):
        w = ctx.a_wins
        n = ctx.needs_input_grad
        return (_masked_zero(g, ~w) if n[0] else None, _masked_zero(g, w) if n[1] else None,
                None)


class Fmax(_FMinMax):
    ufunc = "fmax"


class Fmin(_FMinMax):
    ufunc = "fmin"


def _minmax(cls, name, input, other, out):
    input, other = _operands(name, input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    if dt.is_complex:
        raise RuntimeError(f"{name} not implemented for complex tensors.")
    r = cls.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


def maximum(input, other, *, out=None):
    return _minmax(Maximum, "maximum", input, other, out)


def minimum(input, other, *, out=None):
    return _minmax(Minimum, "minimum", input, other, out)


def fmax(input, other, *, out=None):
    return _minmax(Fmax, "fmax", input, other, out)


def fmin(input, other, *, out=None):
    return _minmax(Fmin, "fmin", input, other, out)


# ---------------------------------------------------------------- atan2 / hypot
class Atan2(_Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
        return _xp(a, b).arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        recip = 1 / (a * a + b * b)
        # at a = b = 0 PyTorch gives a zero gradient instead of 0 * inf
        recip = _masked_zero(recip, xp_of(recip._data).isinf(recip._data))
        return (g * b * recip if n[0] else None, g * -a * recip if n[1] else None, None)


def atan2(input, other, *, out=None):
    if _amp_on[0] and out is None:
        input, other = _amp.maybe_cast("atan2", input, other)
    input, other = _operands("atan2", input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    if dt.is_complex:
        raise _not_implemented("atan2_cpu", dt)
    r = Atan2.apply(input, other, _float_result(dt).np)
    return r if out is None else write_out(r, out)


arctan2 = atan2


class Hypot(_Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        out = _xp(a, b).hypot(a, b)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * a / out if n[0] else None, g * b / out if n[1] else None, None)


def _float_only(kernel, dt):
    if not dt.is_floating_point:
        raise _not_implemented(kernel, dt)


def hypot(input, other, *, out=None):
    input, other = _operands("hypot", input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    _float_only("hypot_cpu", dt)
    r = Hypot.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- logaddexp / logaddexp2
def _complex_logaddexp(a, b, xp):
    m = xp.where(xp.real(a) >= xp.real(b), a, b)
    m = xp.where(xp.isfinite(m), m, 0)
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m))


class Logaddexp(_Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
        xp = _xp(a, b)
        if npdt.kind == "c":
            return _complex_logaddexp(a, b, xp)
        return xp.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g / _conj(1 + (b - a).exp()) if n[0] else None,
                g / _conj(1 + (a - b).exp()) if n[1] else None, None)


class Logaddexp2(_Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
        return _xp(a, b).logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g / (1 + pow(2, b - a)) if n[0] else None,
                g / (1 + pow(2, a - b)) if n[1] else None, None)


def logaddexp(input, other, *, out=None):
    input, other = _operands("logaddexp", input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        raise _not_implemented("logaddexp_cpu", dt)
    r = Logaddexp.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


def logaddexp2(input, other, *, out=None):
    input, other = _operands("logaddexp2", input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    _float_only("logaddexp2_cpu", dt)
    r = Logaddexp2.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- xlogy
def _as_array(v, npdt, xp):
    """Python scalars become 0-d arrays of the op's dtype, so a NumPy function applied to them
    (log, copysign, ...) can't produce a float64 scalar that widens the result."""
    return v if hasattr(v, "dtype") else xp.asarray(v, dtype=npdt)


class Xlogy(_Pointwise):
    """x * log(y), 0 where x == 0 (unless y is NaN). Tensor/Tensor is XlogyBackward0,
    Scalar/Tensor XlogyBackward1, Tensor/Scalar XlogyBackward2."""

    @staticmethod
    def forward(ctx, x, y, npdt):
        xp = _xp(x, y)
        if ctx.needs_input_grad:
            ctx._name = ("XlogyBackward2" if not hasattr(y, "dtype") else
                         "XlogyBackward1" if not hasattr(x, "dtype") else "XlogyBackward0")
        x, y = _as_array(_cast(x, npdt), npdt, xp), _as_array(_cast(y, npdt), npdt, xp)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, y)
        with np.errstate(all="ignore"):
            r = x * xp.log(y)
        r = xp.where(x == 0, 0, r)
        return xp.where(xp.isnan(y), xp.nan, r).astype(npdt, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            nonzero = _const((x._data != 0).astype(g._data.dtype), g)
            ga = g * xlogy(nonzero, y)
        if n[1]:
            gb = g * x / y
        return ga, gb, None


def xlogy(input, other, *, out=None):
    input, other = _operands("xlogy", input, other, scalar_self=True)
    dt = _dt.result_type(input, other)
    if dt.is_complex:
        raise _not_implemented("xlogy_cpu", dt)
    r = Xlogy.apply(input, other, _float_result(dt).np)
    return r if out is None else write_out(r, out)


def xlogy_(input, other):
    return apply_inplace(input, xlogy(input, other))


# ---------------------------------------------------------------- copysign / ldexp
class Copysign(_Pointwise):
    @staticmethod
    def forward(ctx, a, b, npdt):
        xp = _xp(a, b)
        tensor_b = hasattr(b, "dtype")
        a, b = _cast(a, npdt), _as_array(_cast(b, npdt), npdt, xp)
        out = xp.copysign(a, b)
        n = ctx.needs_input_grad
        if n:
            ctx._name = "CopysignBackward0" if tensor_b else "CopysignBackward1"
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = None
        if n[0]:
            ga = g * _masked_zero(out / a, a._data == 0)
        # the result doesn't depend on other's magnitude: a zero (not absent) gradient
        return ga, _zeros_like(g) if n[1] else None, None


def copysign(input, other, *, out=None):
    input, other = _operands("copysign", input, other)
    dt = _dt.result_type(input, other)
    if dt.is_complex:
        raise _not_implemented("copysign_cpu", dt)
    r = Copysign.apply(input, other, _float_result(dt).np)
    return r if out is None else write_out(r, out)


class Ldexp(_Pointwise):
    """input * 2 ** other."""

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = _cast(a, npdt), _cast(b, npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):
            return a * _xp(a, b).exp2(b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        p = pow(2, b)
        return (g * p if n[0] else None, g * a * p * math.log(2) if n[1] else None, None)


def ldexp(input, other, *, out=None):
    input, other = _operands("ldexp", input, other, scalar_other=False)
    dt = _float_result(_dt.result_type(input, other))
    r = Ldexp.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


def ldexp_(input, other):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"ldexp can't be cast to the desired output type "
                           f"{_type_word(input.dtype)}")
    return apply_inplace(input, ldexp(input, other))


# ---------------------------------------------------------------- lerp
_C10_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool"}


def _c10(dt):
    return _C10_NAMES.get(dt.name, dt.name)


def _lerp_arrays(a, b, w, xp):
    """PyTorch's formula: from the nearer end, so lerp(a, b, 1) is exactly b."""
    diff = b - a
    if not hasattr(w, "dtype"):
        return a + w * diff if builtins.abs(w) < 0.5 else b - diff * (1 - w)
    return xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))


class Lerp(_Pointwise):
    """LerpBackward0 for a scalar weight, LerpBackward1 for a tensor weight."""

    @staticmethod
    def forward(ctx, a, b, w, npdt):
        xp = _xp(a, b)
        tensor_w = hasattr(w, "dtype")
        w = _cast(w, npdt)
        n = ctx.needs_input_grad
        if n:
            ctx._name = "LerpBackward1" if tensor_w else "LerpBackward0"
            ctx.w = None if tensor_w else w
            ctx.save_for_backward(a if n[2] else None, b if n[2] else None,
                                  w if tensor_w else None)
        return _lerp_arrays(a, b, w, xp)

    @staticmethod
    def backward(ctx, g):
        a, b, wt = ctx.saved_tensors
        w = ctx.w if wt is None else wt
        n = ctx.needs_input_grad
        return (g * _conj(1 - w) if n[0] else None, g * _conj(w) if n[1] else None,
                g * _conj(b - a) if n[2] else None, None)


def lerp(input, end, weight, *, out=None):
    _check_tensor(input, "lerp")
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' (position 2) must be Tensor, not "
                        f"{type(end).__name__}")
    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {_c10(input.dtype)} for `end` but got dtype "
                           f"{_c10(end.dtype)}")
    tensor_w = isinstance(weight, Tensor)
    if tensor_w and weight.ndim and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {_c10(input.dtype)} for `weight` but got dtype "
                           f"{_c10(weight.dtype)}")
    if not tensor_w:
        if not _is_number(weight):
            raise TypeError(f"lerp(): argument 'weight' (position 3) must be Tensor, not "
                            f"{type(weight).__name__}")
        weight = _py(weight)
    dt = input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise _not_implemented("lerp_kernel_tensor" if tensor_w else "lerp_kernel_scalar", dt)
    r = Lerp.apply(input, end, weight, dt.np)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- addcmul / addcdiv
def _value_as(value, dt):
    """`value=` converted to the result dtype the way PyTorch does (ints truncate)."""
    value = _py(value)
    if isinstance(value, complex) and not dt.is_complex:
        if value.imag != 0 or dt.category <= _INT:
            raise RuntimeError(f"value cannot be converted to type {_c10(dt)} without overflow")
        value = value.real
    if dt is _dt.bool:
        return builtins.bool(value)
    if dt.category == _INT:
        return builtins.int(value)
    return value


def _check_tensors3(name, input, t1, t2):
    _check_tensor(input, name)
    for pos, (arg, t) in enumerate((("tensor1", t1), ("tensor2", t2)), start=2):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")


class Addcmul(_Pointwise):
    @staticmethod
    def forward(ctx, a, t1, t2, value, npdt):
        a, t1, t2 = _cast(a, npdt), _cast(t1, npdt), _cast(t2, npdt)
        n = ctx.needs_input_grad
        if n:
            ctx.value = value
            ctx.save_for_backward(t1 if n[2] else None, t2 if n[1] else None)
        return a + value * t1 * t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        n, v = ctx.needs_input_grad, ctx.value
        return (g if n[0] else None, g * _conj(t2 * v) if n[1] else None,
                g * _conj(t1 * v) if n[2] else None, None, None)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    if _amp_on[0] and out is None:
        input, tensor1, tensor2 = _amp.maybe_cast("addcmul", input, tensor1, tensor2)
    _check_tensors3("addcmul", input, tensor1, tensor2)
    dt = _dt.result_type(input, tensor1, tensor2)
    r = Addcmul.apply(input, tensor1, tensor2, _value_as(value, dt), dt.np)
    return r if out is None else write_out(r, out)


_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes.")


class Addcdiv(_Pointwise):
    @staticmethod
    def forward(ctx, a, t1, t2, value, npdt):
        a, t1, t2 = _cast(a, npdt), _cast(t1, npdt), _cast(t2, npdt)
        n = ctx.needs_input_grad
        if n:
            ctx.value = value
            ctx.save_for_backward(t1 if n[2] else None, t2 if (n[1] or n[2]) else None)
        with np.errstate(all="ignore"):
            return a + value * t1 / t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        n, v = ctx.needs_input_grad, ctx.value
        return (g if n[0] else None, g * _conj(v / t2) if n[1] else None,
                -g * _conj(v * t1 / (t2 * t2)) if n[2] else None, None, None)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if _amp_on[0] and out is None:
        input, tensor1, tensor2 = _amp.maybe_cast("addcdiv", input, tensor1, tensor2)
    _check_tensors3("addcdiv", input, tensor1, tensor2)
    if tensor1.dtype.category <= _INT and tensor2.dtype.category <= _INT:
        raise RuntimeError(_ADDCDIV_INT)
    dt = _dt.result_type(input, tensor1, tensor2)
    r = Addcdiv.apply(input, tensor1, tensor2, _value_as(value, dt), dt.np)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- clamp
def _clip_arrays(a, lo, hi, xp):
    # maximum/minimum propagate NaN from the input and from the bounds, as PyTorch does
    if lo is not None:
        a = xp.maximum(a, lo)
    if hi is not None:
        a = xp.minimum(a, hi)
    return a


def _between(a, lo, hi):
    """Where min <= x <= max (NaN x is outside): the input keeps its gradient there."""
    keep = None
    if lo is not None:
        keep = a >= lo
    if hi is not None:
        keep = (a <= hi) if keep is None else keep & (a <= hi)
    return keep


class ClampScalar(_Pointwise):
    """Scalar bounds: ClampBackward1 (clamp_min/clamp_max: ClampMin/ClampMaxBackward0)."""

    @staticmethod
    def forward(ctx, a, lo, hi, name, npdt):
        a = _cast(a, npdt)
        lo = None if lo is None else _cast(lo, npdt)
        hi = None if hi is None else _cast(hi, npdt)
        xp = _xp(a)
        if ctx.needs_input_grad:
            ctx._name = name
            ctx.drop = ~_between(a, lo, hi)
        return _clip_arrays(a, lo, hi, xp)

    @staticmethod
    def backward(ctx, g):
        return _masked_zero(g, ctx.drop), None, None, None, None


class ClampTensor(_Pointwise):
    """Tensor bounds: ClampBackward0 (ClampMin/ClampMaxBackward1). A bound gets the gradient
    where it is the one that clamped (min wins over max when min > max)."""

    @staticmethod
    def forward(ctx, a, lo, hi, name, npdt):
        a = _cast(a, npdt)
        lo = None if lo is None else _cast(lo, npdt)
        hi = None if hi is None else _cast(hi, npdt)
        xp = _xp(a)
        n = ctx.needs_input_grad
        if n:
            ctx._name = name
            ctx.drop = ~_between(a, lo, hi) if n[0] else None
            if n[1]:
                keep = a < lo if hi is None else (a < lo) & (lo < hi)
                ctx.drop_lo = ~keep
            if n[2]:
                keep = a > hi if lo is None else (a > hi) | (hi < lo)
                ctx.drop_hi = ~keep
        return _clip_arrays(a, lo, hi, xp)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (_masked_zero(g, ctx.drop) if n[0] else None,
                _masked_zero(g, ctx.drop_lo) if n[1] else None,
                _masked_zero(g, ctx.drop_hi) if n[2] else None, None, None)


_CLAMP_NAMES = {"clamp": ("ClampBackward0", "ClampBackward1"),
                "clamp_min": ("ClampMinBackward1", "ClampMinBackward0"),
                "clamp_max": ("ClampMaxBackward1", "ClampMaxBackward0")}


def _clamp(name, input, min, max, out):
    _check_tensor(input, name)
    tmin, tmax = isinstance(min, Tensor), isinstance(max, Tensor)
    for v, arg in ((min, "min"), (max, "max")):
        if v is not None and not isinstance(v, Tensor) and not _is_number(v):
            raise TypeError(f"{name}(): argument '{arg}' must be Tensor or Number, not "
                            f"{type(v).__name__}")
    if (tmin and max is not None and not tmax) or (tmax and min is not None and not tmin):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"min={type(min).__name__}, max={type(max).__name__}): min and max "
                        "must both be Tensors or both be Numbers")
    if input.dtype.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    min, max = _py(min), _py(max)
    dt = _dt.result_type(input, min, max)
    names = _CLAMP_NAMES[name]
    if tmin or tmax:
        r = ClampTensor.apply(input, min, max, names[0], dt.np)
    else:
        if dt is _dt.bool:
            kernel = ("clamp_scalar_cpu" if min is not None and max is not None else
                      "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu")
            raise _not_implemented(kernel, dt)
        r = ClampScalar.apply(input, min, max, names[1], dt.np)
    return r if out is None else write_out(r, out)


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return _clamp("clamp", input, min, max, out)


clip = clamp


def clamp_min(input, min, *, out=None):
    if min is None:
        raise TypeError("clamp_min() received an invalid combination of arguments - got "
                        "(Tensor, NoneType), but expected one of:\n * (Tensor input, Tensor min)"
                        "\n * (Tensor input, Number min)")
    return _clamp("clamp_min", input, min, None, out)


def clamp_max(input, max, *, out=None):
    if max is None:
        raise TypeError("clamp_max() received an invalid combination of arguments - got "
                        "(Tensor, NoneType), but expected one of:\n * (Tensor input, Tensor max)"
                        "\n * (Tensor input, Number max)")
    return _clamp("clamp_max", input, None, max, out)


def _clamp_inplace(input, result, bounds):
    # with Number bounds PyTorch names the dtype the C way here ("long int")
    if not builtins.any(isinstance(b, Tensor) for b in bounds) and \
            result.dtype.category > input.dtype.category:
        raise RuntimeError(f"result type {_type_word(result.dtype)} can't be cast to the "
                           f"desired output type {_c10(input.dtype)}")
    return apply_inplace(input, result)


def clamp_(input, min=None, max=None):
    return _clamp_inplace(input, clamp(input, min, max), (min, max))


clip_ = clamp_


def clamp_min_(input, min):
    return _clamp_inplace(input, clamp_min(input, min), (min,))


def clamp_max_(input, max):
    return _clamp_inplace(input, clamp_max(input, max), (max,))


# ---------------------------------------------------------------- bitwise
class _Bitwise(_Pointwise):
    """Integer/bool ops: no gradient (integer outputs never get a grad_fn)."""

    @staticmethod
    def forward(ctx, a, b, fn, npdt):
        return fn(_cast(a, npdt), _cast(b, npdt), npdt)


def _and(a, b, npdt):
    return _xp(a, b).bitwise_and(a, b)


def _or(a, b, npdt):
    return _xp(a, b).bitwise_or(a, b)


def _xor(a, b, npdt):
    return _xp(a, b).bitwise_xor(a, b)


def _shift(a, b, npdt, left):
    """Shifts by a negative amount or by >= the bit width give 0 (or -1 for a right shift of
    a negative number), as in PyTorch; C leaves them undefined."""
    xp = _xp(a, b)
    a = xp.asarray(a, dtype=npdt)
    b = xp.asarray(b).astype(np.int64)
    ok = (b >= 0) & (b < npdt.itemsize * 8)
    s = xp.where(ok, b, 0).astype(npdt)
    if left:
        return xp.where(ok, xp.left_shift(a, s), 0).astype(npdt)
    fill = xp.where(a < 0, -1, 0) if npdt.kind == "i" else 0
    return xp.where(ok, xp.right_shift(a, s), fill).astype(npdt)


def _lshift(a, b, npdt):
    return _shift(a, b, npdt, True)


def _rshift(a, b, npdt):
    return _shift(a, b, npdt, False)


def _bitwise(name, kernel, fn, input, other, out, allow_bool=True):
    input, other = _operands(name, input, other, scalar_self=True)
    dt = _dt.result_type(input, other)
    if dt.category > _INT or (dt is _dt.bool and not allow_bool):
        raise _not_implemented(kernel, dt)
    r = _Bitwise.apply(input, other, fn, dt.np)
    return r if out is None else write_out(r, out)


def bitwise_and(input, other, *, out=None):
    return _bitwise("bitwise_and", "bitwise_and_cpu", _and, input, other, out)


def bitwise_or(input, other, *, out=None):
    return _bitwise("bitwise_or", "bitwise_or_cpu", _or, input, other, out)


def bitwise_xor(input, other, *, out=None):
    return _bitwise("bitwise_xor", "bitwise_xor_cpu", _xor, input, other, out)


def bitwise_left_shift(input, other, *, out=None):
    return _bitwise("bitwise_left_shift", "lshift_cpu", _lshift, input, other, out,
                    allow_bool=False)


def bitwise_right_shift(input, other, *, out=None):
    return _bitwise("bitwise_right_shift", "rshift_cpu", _rshift, input, other, out,
                    allow_bool=False)


class _Unary(_Pointwise):
    @staticmethod
    def forward(ctx, a, fn):
        return fn(a)


def _invert(a):
    return xp_of(a).invert(a)


def bitwise_not(input, *, out=None):
    _check_tensor(input, "bitwise_not")
    if input.dtype.category > _INT:
        raise _not_implemented("bitwise_not_cpu", input.dtype)
    r = _Unary.apply(input, _invert)
    return r if out is None else write_out(r, out)


def _invert_op(self):
    """`~t`: bitwise not; on bool tensors that is logical not."""
    if self.dtype.category > _INT:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


# ---------------------------------------------------------------- logical
def _logical_and(a, b, npdt):
    return _xp(a, b).logical_and(a, b)


def _logical_or(a, b, npdt):
    return _xp(a, b).logical_or(a, b)


def _logical_xor(a, b, npdt):
    return _xp(a, b).logical_xor(a, b)


class _Logical(_Pointwise):
    @staticmethod
    def forward(ctx, a, b, fn):
        return fn(a, b, None)


def _logical(name, fn, input, other, out):
    input, other = _operands(name, input, other, scalar_other=False)
    r = _Logical.apply(input, other, fn)
    return r if out is None else write_out(r, out)


def logical_and(input, other, *, out=None):
    return _logical("logical_and", _logical_and, input, other, out)


def logical_or(input, other, *, out=None):
    return _logical("logical_or", _logical_or, input, other, out)


def logical_xor(input, other, *, out=None):
    return _logical("logical_xor", _logical_xor, input, other, out)


def _logical_not(a):
    return xp_of(a).logical_not(a)


def logical_not(input, *, out=None):
    _check_tensor(input, "logical_not")
    r = _Unary.apply(input, _logical_not)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- nan_to_num
class NanToNum(_Pointwise):
    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        xp = xp_of(a)
        if a.dtype.kind not in "fc":
            return a.copy()
        if ctx.needs_input_grad:
            ctx.drop = ~xp.isfinite(a)
        with np.errstate(all="ignore"):
            return xp.nan_to_num(a, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return _masked_zero(g, ctx.drop), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    _check_tensor(input, "nan_to_num")
    if input.dtype.is_complex and input._requires_grad and grad_mode._enabled[0]:
        raise RuntimeError("nan_to_num does not support automatic differentiation for outputs "
                           "with complex dtype.")
    r = NanToNum.apply(input, nan, posinf, neginf)
    return r if out is None else write_out(r, out)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return apply_inplace(input, nan_to_num(input, nan, posinf, neginf))


# ---------------------------------------------------------------- heaviside
class Heaviside(_NoDerivative):
    aten = "heaviside"

    @staticmethod
    def forward(ctx, a, v):
        xp = xp_of(a)
        return xp.where(a == 0, v, a > 0).astype(a.dtype, copy=False)


def heaviside(input, values, *, out=None):
    _check_tensor(input, "heaviside")
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if input.dtype.is_complex or values.dtype.is_complex:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    r = Heaviside.apply(input, values)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- in-place and reflected forms
def floor_divide_(self, other):
    return apply_inplace(self, floor_divide(self, other))


def remainder_(self, other):
    return apply_inplace(self, remainder(self, other))


def fmod_(self, other):
    return apply_inplace(self, fmod(self, other))


def pow_(self, exponent):
    return apply_inplace(self, pow(self, exponent))


def float_power_(self, exponent):
    dt = _float_power_dtype(self, exponent)
    if self.dtype is not dt:
        raise RuntimeError(f"the base given to float_power_ has dtype {_type_word(self.dtype)} "
                           f"but the operation's result requires dtype {_type_word(dt)}")
    return apply_inplace(self, float_power(self, exponent))


def atan2_(self, other):
    return apply_inplace(self, atan2(self, other))


def hypot_(self, other):
    return apply_inplace(self, hypot(self, other))


def copysign_(self, other):
    return apply_inplace(self, copysign(self, other))


def lerp_(self, end, weight):
    return apply_inplace(self, lerp(self, end, weight))


def addcmul_(self, tensor1, tensor2, *, value=1):
    return apply_inplace(self, addcmul(self, tensor1, tensor2, value=value))


def addcdiv_(self, tensor1, tensor2, *, value=1):
    return apply_inplace(self, addcdiv(self, tensor1, tensor2, value=value))


def bitwise_and_(self, other):
    return apply_inplace(self, bitwise_and(self, other))


def bitwise_or_(self, other):
    return apply_inplace(self, bitwise_or(self, other))


def bitwise_xor_(self, other):
    return apply_inplace(self, bitwise_xor(self, other))


def bitwise_not_(self):
    return apply_inplace(self, bitwise_not(self))


def bitwise_left_shift_(self, other):
    return apply_inplace(self, bitwise_left_shift(self, other))


def bitwise_right_shift_(self, other):
    return apply_inplace(self, bitwise_right_shift(self, other))


def logical_and_(self, other):
    return apply_inplace(self, logical_and(self, other))


def logical_or_(self, other):
    return apply_inplace(self, logical_or(self, other))


def logical_xor_(self, other):
    return apply_inplace(self, logical_xor(self, other))


def logical_not_(self):
    return apply_inplace(self, logical_not(self))


def heaviside_(self, values):
    return apply_inplace(self, heaviside(self, values))


def _rfloordiv(self, other):
    return floor_divide(other, self)


def _rmod(self, other):
    return remainder(other, self)


def _rpow(self, other):
    return pow(other, self)


def _rand(self, other):
    return bitwise_and(other, self)


def _ror(self, other):
    return bitwise_or(other, self)


def _rxor(self, other):
    return bitwise_xor(other, self)


def _rlshift(self, other):
    return bitwise_left_shift(other, self)


def _rrshift(self, other):
    return bitwise_right_shift(other, self)
