"""Activation functions: the functional forms behind nn's activation modules.

The pointwise activations are primitives (`_Activation` subclasses): forward evaluates f on
the raw array in one pass, backward is `_ActivationGrad`, itself an op that computes
`g * f'(x)` in one pass and whose own backward (the double backward) uses f'' written in
Tensor ops. softmax and log_softmax are primitives too (max-shifted, so large logits don't
overflow), with the same two-level backward. The rest (softsign, tanhshrink, glu, prelu,
softmin, gumbel_softmax) are compositions of ember ops.

Half-precision inputs are computed in float32 and rounded once, as PyTorch's CPU kernels do.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _make
from ..._optional import lazy_import
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...autograd import grad_mode
from ...ops import unary, creation, index as _index, random as _random
from ...ops._util import xp_of, wrap_dim, apply_inplace, _type_word
from ...ops.unary import sigmoid, tanh

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

# optional, imported on first use: a float32 erf loop (NumPy has no erf)
_sp = lazy_import("scipy.special")

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
           "elu", "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_",
           "prelu", "rrelu", "rrelu_", "glu", "gelu", "logsigmoid", "hardshrink",
           "tanhshrink", "softsign", "softplus", "softmin", "softmax", "log_softmax",
           "gumbel_softmax", "softshrink", "tanh", "sigmoid", "hardsigmoid", "silu", "mish",
           "hardswish"]

_enabled = grad_mode._enabled
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_C = 0.044715


def _kernel_error(kernel, np_dtype):
    return NotImplementedError(f'"{kernel}" not implemented for '
                               f"'{_type_word(_dt.from_np(np_dtype))}'")


def _work(a):
    """float16/bfloat16 (ml_dtypes: kind "V") arrays are computed in float32."""
    dt = a.dtype
    if dt.kind == "V" or (dt.kind == "f" and dt.itemsize < 4):
        return a.astype(np.float32)
    return a


def _quiet():
    return np.errstate(all="ignore")


_INT_OF_SIZE = {2: np.int16, 4: np.int32, 8: np.int64}


def _mask(cond, g):
    """g where cond else +0, bit-exact: g's bits ANDed with all-ones or all-zeros. As fast
    as a multiply (`where` is ~20x slower on random masks) without a multiply's nan * 0 = nan
    and -0.0 at masked-off places."""
    it = _INT_OF_SIZE.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
    if it is None:
        return xp_of(g).where(cond, g, g.dtype.type(0))
    m = cond.astype(it)
    m *= -1
    m &= g.view(it)
    return m.view(g.dtype)


# Multi-pass elementwise kernels run block by block: a block's float32 temporaries (256 KB)
# stay in L2 cache across the ~10-30 NumPy passes, which is 3-5x faster on large arrays than
# streaming every pass through memory.
_BLOCK = 1 << 16


def _blocked(fn, *arrays):
    """fn(*arrays) (elementwise, equal shapes) evaluated block by block: over the flattened
    arrays when they are contiguous, else over slices of the leading axis (a gradient that
    is a broadcast view, as `sum()`'s is, has no flat form)."""
    a0 = arrays[0]
    n = a0.size
    if n < 2 * _BLOCK or a0.__class__ is not np.ndarray:
        return fn(*arrays)
    if all(a.flags.c_contiguous for a in arrays):
        src = [a.reshape(-1) for a in arrays]
        step = _BLOCK
    else:
        step = max(1, _BLOCK // (n // a0.shape[0]))
        if step * 2 > a0.shape[0]:
            return fn(*arrays)
        src = arrays
    total = src[0].shape[0]
    first = fn(*(a[:step] for a in src))
    out = np.empty(src[0].shape, first.dtype)
    out[:step] = first
    for i in range(step, total, step):
        out[i:i + step] = fn(*(a[i:i + step] for a in src))
    return out.reshape(a0.shape)


def _where(cond, a, b):
    """xp.where, skipping the (slow, branchy) select when cond is all one way."""
    xp = xp_of(cond)
    if not cond.any():
        return b if isinstance(b, xp.ndarray) else xp.full(cond.shape, b)
    if cond.all():
        return a if isinstance(a, xp.ndarray) else xp.full(cond.shape, a)
    return xp.where(cond, a, b)


def _inplace(fn):
    """fn's in-place form: computed out of place (on a copy when autograd needs the input
    that the write destroys) and written back with PyTorch's in-place rules."""
    def method(input, *args, **kwargs):
        src = input
        if _enabled[0] and input._requires_grad:
            src = input.clone()
        return apply_inplace(input, fn(src, *args, **kwargs))
    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


# ================================================================ pointwise primitives
class _Activation(Op):
    """y = f(x) elementwise. Subclasses define on raw arrays `f(xp, x, *p)` and
    `df(xp, g, x, *p)` (g * f'(x)), and `d2(x, *p)`: f''(x) as a Tensor expression (None when
    f is piecewise linear). `kernel` names PyTorch's kernel for unsupported dtypes;
    `int_ok`: integer inputs are allowed (clamp-like functions). `may_warn`: f can make
    NumPy warn (inf * 0, ...), so it runs with warnings off (which costs a microsecond)."""
    kernel = None
    int_ok = False
    may_warn = True
    blocked = True      # run f and df block by block (see _blocked); off for one-pass ones
    saves_output = False  # backward reads f(x) instead of x (df and d2 then receive f(x))

    @staticmethod
    def forward(ctx, x, params=()):
        kind = x.dtype.kind
        if kind in "biuc" and not (ctx.int_ok and kind in "iu"):
            raise _kernel_error(ctx.kernel, x.dtype)
        xw = _work(x)
        if xw.ndim == 0:   # 0-dim: NumPy would hand back scalars, which `out=` can't take
            xw = xw.reshape(1)
        xp, f = xp_of(x), ctx.f
        if ctx.blocked:
            def run():
                return _blocked(lambda a: f(xp, a, *params), xw)
        else:
            def run():
                return f(xp, xw, *params)
        if ctx.may_warn:
            with _quiet():
                y = run()
        else:
            y = run()
        if y.shape != x.shape:
            y = y.reshape(x.shape)
        if y.dtype != x.dtype:
            y = y.astype(x.dtype)
        if ctx.needs_input_grad:
            ctx.save_for_backward(y if ctx.saves_output else x)
            ctx.params = params
        return y

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return _ActivationGrad.apply(g, x, spec=type(ctx), params=ctx.params), None


class _ActivationGrad(Op):
    """g * f'(x) for the activation `spec`; differentiable in g and (through f'') in x."""

    @staticmethod
    def forward(ctx, g, x, spec, params):
        ctx._name = spec.__name__ + "BackwardBackward0"
        ctx.spec, ctx.params = spec, params
        if ctx.needs_input_grad:
            ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, x)
        xw, gw = _work(x), _work(g)
        if xw.ndim == 0:
            xw, gw = xw.reshape(1), gw.reshape(1)
        xp, df = xp_of(x), spec.df
        if spec.blocked:
            def run():
                return _blocked(lambda b, a: df(xp, b, a, *params), gw, xw)
        else:
            def run():
                return df(xp, gw, xw, *params)
        if spec.may_warn:
            with _quiet():
                r = run()
        else:
            r = run()
        if r.shape != g.shape:
            r = r.reshape(g.shape)
        return r.astype(g.dtype) if r.dtype != g.dtype else r

    @staticmethod
    def backward(ctx, u):
        g, x = ctx.saved_tensors
        need = ctx.needs_input_grad
        gg = _ActivationGrad.apply(u, x, spec=ctx.spec, params=ctx.params) if need[0] else None
        gx = None
        if need[1]:
            d2 = ctx.spec.d2(x, *ctx.params)
            gx = None if d2 is None else u * g * d2
        return gg, gx, None, None


def _piecewise_linear():
    """d2 of a piecewise-linear f: f'' is zero (almost everywhere)."""
    return staticmethod(lambda x, *p: None)


class Relu(_Activation):
    """max(x, 0). As PyTorch's, the backward reads the output y (so relu_ needs no copy of
    its input) and passes the gradient except where y <= 0 (NaN outputs pass it)."""
    may_warn = False
    blocked = False
    saves_output = True

    @staticmethod
    def f(xp, x):
        if x.__class__ is not np.ndarray or x.dtype.kind != "f" or not x.flags.c_contiguous:
            return xp.maximum(x, x.dtype.type(0))
        return _relu_blocks(x)

    @staticmethod
    def df(xp, g, y):
        it = _INT_OF_SIZE.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
        if it is None or g.__class__ is not np.ndarray:
            return xp.where(y <= 0, g.dtype.type(0), g)
        # g's bits ANDed with 0 (y <= 0) or -1 (else): see _mask
        m = np.subtract(y <= 0, it(1), dtype=it)
        m &= g.view(it)
        return m.view(g.dtype)

    d2 = _piecewise_linear()


# NumPy's maximum of an array and a scalar runs a scalar loop, ~3x slower than its SIMD loop
# for two arrays: relu takes the maximum against a cached block of zeros, block by block.
_ZERO_BLOCK = 1 << 16
_zero_blocks = {}


def _relu_blocks(x):
    z = _zero_blocks.get(x.dtype)
    if z is None:
        z = _zero_blocks[x.dtype] = np.zeros(_ZERO_BLOCK, x.dtype)
        z.flags.writeable = False
    out = np.empty(x.shape, x.dtype)
    xf, of = x.reshape(-1), out.reshape(-1)
    n = xf.shape[0]
    for i in range(0, n, _ZERO_BLOCK):
        j = min(i + _ZERO_BLOCK, n)
        np.maximum(xf[i:j], z[:j - i], out=of[i:j])
    return out


class Threshold(_Activation):
    kernel = "threshold_cpu"
    may_warn = False
    int_ok = True

    @staticmethod
    def f(xp, x, th, value):
        return _where(x > th, x, x.dtype.type(value))

    @staticmethod
    def df(xp, g, x, th, value):
        return _mask(x > th, g)

    d2 = _piecewise_linear()


class Hardtanh(_Activation):
    may_warn = False
    int_ok = True

    @staticmethod
    def f(xp, x, lo, hi):
        return xp.clip(x, x.dtype.type(lo), x.dtype.type(hi))

    @staticmethod
    def df(xp, g, x, lo, hi):
        return _mask((x > lo) & (x < hi), g)

    d2 = _piecewise_linear()


class LeakyRelu(_Activation):
    kernel = "leaky_relu_cpu"

    @staticmethod
    def f(xp, x, slope):
        return x * _slopes(x, slope)

    @staticmethod
    def df(xp, g, x, slope):
        return g * _slopes(x, slope)

    d2 = _piecewise_linear()


def _slopes(x, slope):
    """1 where x > 0, else slope (as x's dtype): one multiply applies leaky_relu."""
    t = x.dtype.type
    f = (x > 0) * t(1 - slope)
    f += t(slope)
    return f


class Elu(_Activation):
    """scale * x for x > 0, else scale * alpha * (exp(input_scale * x) - 1): elu, selu and
    (with input_scale = 1/alpha) celu, as PyTorch's one kernel."""
    kernel = "elu_cpu"

    # branch-free: max(x, 0) + alpha * expm1(min(x, 0)), all times scale
    @staticmethod
    def f(xp, x, alpha, scale, in_scale):
        t = x.dtype.type
        neg = xp.minimum(x, t(0))
        if in_scale != 1:
            neg *= t(in_scale)
        xp.expm1(neg, out=neg)
        neg *= t(alpha)
        neg += xp.maximum(x, t(0))
        if scale != 1:
            neg *= t(scale)
        return neg

    @staticmethod
    def df(xp, g, x, alpha, scale, in_scale):
        t = x.dtype.type
        pos = x > 0
        d = xp.minimum(x, t(0))
        if in_scale != 1:
            d *= t(in_scale)
        xp.exp(d, out=d)
        d *= ~pos
        d *= t(alpha * in_scale)
        d += pos              # exactly 1 where x > 0
        if scale != 1:
            d *= t(scale)
        d *= g
        return d

    @staticmethod
    def d2(x, alpha, scale, in_scale):
        neg = unary.exp(x * in_scale) * (alpha * scale * in_scale * in_scale)
        return neg.masked_fill(x > 0, 0)


class Celu(Elu):
    pass


class Gelu(_Activation):
    """x * Phi(x) (approximate='none') or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    kernel = "GeluKernelImpl"

    @staticmethod
    def f(xp, x, tanh_approx):
        t = x.dtype.type
        if tanh_approx:
            inner = x * x
            inner *= t(_GELU_C)
            inner += 1
            inner *= x
            inner *= t(_SQRT_2_OVER_PI)
            y = xp.tanh(inner, out=inner)
        else:
            y = _erf(xp, x * t(_INV_SQRT_2))
        y += 1
        y *= x
        y *= t(0.5)
        return y

    @staticmethod
    def df(xp, g, x, tanh_approx):
        t = x.dtype.type
        if tanh_approx:
            x2 = x * x
            th = xp.tanh((x2 * t(_GELU_C) + 1) * x * t(_SQRT_2_OVER_PI))
            dinner = (x2 * t(3 * _GELU_C) + 1) * t(_SQRT_2_OVER_PI)
            d = (1 - th * th) * x * dinner
            d += 1 + th
            d *= t(0.5)
        else:
            d = xp.exp(x * x * t(-0.5))
            d *= x
            d *= t(_INV_SQRT_2PI)
            cdf = _erf(xp, x * t(_INV_SQRT_2))
            cdf += 1
            cdf *= t(0.5)
            d += cdf
        d *= g
        return d

    @staticmethod
    def d2(x, tanh_approx):
        if tanh_approx:
            k = _SQRT_2_OVER_PI
            x2 = x * x
            th = unary.tanh((x2 * _GELU_C + 1) * x * k)
            dinner = (x2 * (3 * _GELU_C) + 1) * k
            return (1 - th * th) * (dinner - x * th * dinner * dinner + x2 * (3 * k * _GELU_C))
        pdf = unary.exp(x * x * -0.5) * _INV_SQRT_2PI
        return pdf * (2 - x * x)


# erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (Eigen's float32 rational fit, |err| < 5e-7;
# beyond 4, erf is +-1 in float32): ~20 vectorised passes, 10x faster than scipy's erf
_ERF_P = (-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
          -5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08,
          -2.72614225801306e-10)
_ERF_Q = (-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
          -2.13374055278905e-04, -1.45660718464996e-05)


def _erf_f32(xp, a):
    t = np.float32
    x = xp.clip(a, t(-4), t(4))
    x2 = x * x
    p = x2 * t(_ERF_P[-1])
    for c in _ERF_P[-2:0:-1]:
        p += t(c)
        p *= x2
    p += t(_ERF_P[0])
    p *= x
    q = x2 * t(_ERF_Q[-1])
    for c in _ERF_Q[-2:0:-1]:
        q += t(c)
        q *= x2
    q += t(_ERF_Q[0])
    p /= q
    return p


def _erf(xp, a):
    if a.dtype == np.float32:
        return _erf_f32(xp, a)
    if _sp is not None and xp is np:
        return _sp.erf(a)
    return unary._special(unary._np_erf, None, a)


def _sigmoid_array(xp, x):
    s = xp.negative(x)
    xp.exp(s, out=s)
    s += 1
    return xp.reciprocal(s, out=s)


class Silu(_Activation):
    kernel = "silu_cpu"

    @staticmethod
    def f(xp, x):
        s = _sigmoid_array(xp, x)
        s *= x
        return s

    @staticmethod
    def df(xp, g, x):
        s = _sigmoid_array(xp, x)
        d = 1 - s      # s (1 + x (1 - s))
        d *= x
        d += 1
        d *= s
        d *= g
        return d

    @staticmethod
    def d2(x):
        s = unary.sigmoid(x)
        return s * (1 - s) * (2 + x * (1 - 2 * s))


def _softplus_array(xp, x):
    return xp.logaddexp(x.dtype.type(0), x)


class Mish(_Activation):
    kernel = "mish_cpu"

    @staticmethod
    def f(xp, x):
        return x * xp.tanh(_softplus_array(xp, x))

    @staticmethod
    def df(xp, g, x):
        th = xp.tanh(_softplus_array(xp, x))
        d = 1 - th * th
        d *= x
        d *= _sigmoid_array(xp, x)
        d += th
        d *= g
        return d

    @staticmethod
    def d2(x):
        th = unary.tanh(softplus(x, 1.0, 1e30))
        s = unary.sigmoid(x)
        return (1 - th * th) * s * (2 + x * (1 - s) - 2 * x * th * s)


class Hardsigmoid(_Activation):
    kernel = "hardsigmoid_cpu"

    @staticmethod
    def f(xp, x):
        y = x + 3
        xp.clip(y, 0, 6, out=y)
        y /= 6
        return y

    @staticmethod
    def df(xp, g, x):
        return _mask((x > -3) & (x < 3), g) / g.dtype.type(6)

    d2 = _piecewise_linear()


class Hardswish(_Activation):
    kernel = "hardswish_cpu"

    @staticmethod
    def f(xp, x):
        y = x + 3
        xp.clip(y, 0, 6, out=y)
        y *= x
        y /= 6
        return y

    @staticmethod
    def df(xp, g, x):
        t = x.dtype.type
        d = x / t(3)
        d += t(0.5)
        d *= (x <= 3)
        d += (x > 3)
        return _mask(x >= -3, g * d)

    @staticmethod
    def d2(x):
        return ((x >= -3) & (x <= 3)).to(x.dtype) / 3


class Softplus(_Activation):
    """log(1 + exp(beta x)) / beta; x itself where beta x > threshold."""
    kernel = "softplus_cpu"

    @staticmethod
    def f(xp, x, beta, threshold):
        t = x.dtype.type
        bx = x * t(beta) if beta != 1 else x
        y = xp.log1p(xp.exp(bx))
        if beta != 1:
            y /= t(beta)
        return _where(bx > threshold, x, y)

    @staticmethod
    def df(xp, g, x, beta, threshold):
        bx = x * x.dtype.type(beta) if beta != 1 else x
        return _where(bx > threshold, g, g * _sigmoid_array(xp, bx))

    @staticmethod
    def d2(x, beta, threshold):
        bx = x * beta
        s = unary.sigmoid(bx)
        return (s * (1 - s) * beta).masked_fill(bx > threshold, 0)


class LogSigmoid(_Activation):
    kernel = "log_sigmoid_cpu"

    @staticmethod
    def f(xp, x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def df(xp, g, x):
        return g * _sigmoid_array(xp, -x)

    @staticmethod
    def d2(x):
        s = unary.sigmoid(x)
        return -s * (1 - s)


class Softshrink(_Activation):
    kernel = "softshrink_check"

    @staticmethod
    def f(xp, x, lambd):
        t = x.dtype.type
        # x - clip(x, -lambd, lambd): branch-free; zeros inside the band carry x's sign
        return xp.copysign(x - xp.clip(x, t(-lambd), t(lambd)), x)

    @staticmethod
    def df(xp, g, x, lambd):
        return _mask((x > lambd) | (x < -lambd), g)

    d2 = _piecewise_linear()


class Hardshrink(_Activation):
    kernel = "hardshrink_cpu"
    may_warn = False

    @staticmethod
    def f(xp, x, lambd):
        return _mask((x < -lambd) | (x > lambd) | (x != x), x)

    @staticmethod
    def df(xp, g, x, lambd):
        return _mask((x < -lambd) | (x > lambd), g)

    d2 = _piecewise_linear()


def _act(cls, input, params=(), name=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"{(name or cls.__name__).lower()}(): argument 'input' (position 1) "
                        f"must be Tensor, not {type(input).__name__}")
    r = cls.apply(input, params=params)
    if name is not None and r.grad_fn is not None:
        r.grad_fn._name = name
    return r


# ================================================================ public pointwise functions
def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    if input.dtype is _dt.bool:
        raise _kernel_error("threshold_cpu", np.dtype(bool))
    if inplace:
        return threshold_(input, threshold, value)
    return _act(Threshold, input, (threshold, value))


def _threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value)


threshold_ = _inplace(_threshold_)
threshold_.__name__ = threshold_.__qualname__ = "threshold_"


def relu(input, inplace=False):   # noqa: F811 (replaces unary's import: a faster backward)
    if not isinstance(input, Tensor) or not input.dtype.is_floating_point:
        return unary.relu_(input) if inplace else unary.relu(input)   # its errors, int path
    if inplace:
        return relu_(input)
    return _act(Relu, input)


def relu_(input):
    """In-place version of :func:`relu`. Its backward reads the result, not the input, so
    the input needs no copy before it is overwritten."""
    if not isinstance(input, Tensor):
        raise TypeError("relu_(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not input.dtype.is_floating_point:
        return unary.relu_(input)
    return apply_inplace(input, _act(Relu, input))


def _check_hardtanh(input, min_val, max_val):
    if input.dtype is _dt.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.dtype.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    _check_hardtanh(input, min_val, max_val)
    if inplace:
        return hardtanh_(input, min_val, max_val)
    return _act(Hardtanh, input, (min_val, max_val))


def _hardtanh_out(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val)


hardtanh_ = _inplace(_hardtanh_out)
hardtanh_.__name__ = hardtanh_.__qualname__ = "hardtanh_"


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    if inplace:
        return elu_(input, alpha)
    return _act(Elu, input, (alpha, 1.0, 1.0))


def _elu(input, alpha=1.0):
    return elu(input, alpha)


elu_ = _inplace(_elu)
elu_.__name__ = elu_.__qualname__ = "elu_"


def selu(input, inplace=False):
    if inplace:
        return selu_(input)
    return _act(Elu, input, (_SELU_ALPHA, _SELU_SCALE, 1.0))


def _selu(input):
    return selu(input)


selu_ = _inplace(_selu)
selu_.__name__ = selu_.__qualname__ = "selu_"


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return celu_(input, alpha)
    return _act(Celu, input, (alpha, 1.0, 1.0 / alpha))


def _celu(input, alpha=1.0):
    return celu(input, alpha)


celu_ = _inplace(_celu)
celu_.__name__ = celu_.__qualname__ = "celu_"


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace:
        return leaky_relu_(input, negative_slope)
    return _act(LeakyRelu, input, (negative_slope,))


def _leaky_relu(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope)


leaky_relu_ = _inplace(_leaky_relu)
leaky_relu_.__name__ = leaky_relu_.__qualname__ = "leaky_relu_"


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _act(Gelu, input, (approximate == "tanh",))


def silu(input, inplace=False):
    if input.dtype.is_complex:   # complex: the composition (PyTorch supports it too)
        r = input * unary.sigmoid(input)
        return apply_inplace(input, r) if inplace else r
    if inplace:
        return _silu_(input)
    return _act(Silu, input)


def _silu(input):
    return silu(input)


_silu_ = _inplace(_silu)


def mish(input, inplace=False):
    if inplace:
        return _mish_(input)
    return _act(Mish, input)


def _mish(input):
    return mish(input)


_mish_ = _inplace(_mish)


def hardsigmoid(input, inplace=False):
    if inplace:
        return _hardsigmoid_(input)
    return _act(Hardsigmoid, input)


def _hardsigmoid(input):
    return hardsigmoid(input)


_hardsigmoid_ = _inplace(_hardsigmoid)


def hardswish(input, inplace=False):
    if inplace:
        return _hardswish_(input)
    return _act(Hardswish, input)


def _hardswish(input):
    return hardswish(input)


_hardswish_ = _inplace(_hardswish)


def softplus(input, beta=1.0, threshold=20.0):
    if _amp_on[0]:
        input, = _amp.maybe_cast("softplus", input)
    return _act(Softplus, input, (beta, threshold))


def logsigmoid(input):
    return _act(LogSigmoid, input)


def _check_lambd(input, lambd):
    if input.dtype.is_floating_point and lambd < 0:
        big = "3.40282e+38" if input.dtype is not _dt.float64 else "1.79769e+308"
        raise RuntimeError(f"lambda must be in range [0, {big}] for input dtype "
                           f"{_type_word(input.dtype)}, but found {lambd:g}")


def softshrink(input, lambd=0.5):
    _check_lambd(input, lambd)
    return _act(Softshrink, input, (lambd,))


def hardshrink(input, lambd=0.5):
    return _act(Hardshrink, input, (lambd,))


def tanhshrink(input):
    return input - unary.tanh(input)


def softsign(input):
    return input / (unary.abs(input) + 1)


# ================================================================ prelu, rrelu, glu
def prelu(input, weight):
    """max(0, x) + weight * min(0, x), weight per channel (dim 1) or one for all."""
    if _amp_on[0]:
        input, weight = _amp.maybe_cast("prelu", input, weight)
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{_type_word(input.dtype)} and {_type_word(weight.dtype)}")
    n = weight.numel()
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if input.ndim == 0 and n != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return _index.where(input > 0, input, weight * input)


class RreluWithNoise(Op):
    """Training-mode rrelu: negative inputs scaled by a slope drawn from U(lower, upper)
    per element (positive ones by 1); the gradient is the same scaling."""

    @staticmethod
    def forward(ctx, x, lower, upper, generator):
        kind = x.dtype.kind
        if kind in "biuc" or x.dtype.itemsize < 4:
            raise _kernel_error("rrelu_with_noise_out_cpu", x.dtype)
        src = _random._source(generator, ctx._device)
        noise = _random._uniform(src, x.shape, _dt.from_np(x.dtype), lower, upper)
        noise[x > 0] = 1
        ctx.noise = noise
        return x * noise

    @staticmethod
    def backward(ctx, g):
        return g * _make(ctx.noise, g._device), None, None, None


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if inplace:
        return rrelu_(input, lower, upper, training)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        if not input.dtype.is_floating_point:
            raise _kernel_error("leaky_relu_cpu", _dt.to_np(input.dtype))
        return _act(LeakyRelu, input, ((lower + upper) / 2,), name="RreluWithNoiseBackward0")
    return RreluWithNoise.apply(input, lower, upper, None)


def _rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training)


rrelu_ = _inplace(_rrelu)
rrelu_.__name__ = rrelu_.__qualname__ = "rrelu_"


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of input along dim."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if not input.dtype.is_floating_point:
        raise _kernel_error("glu_cpu", _dt.to_np(input.dtype))
    a, b = input.chunk(2, d)
    return a * unary.sigmoid(b)


# ================================================================ softmax family
def _softmax_kernel_check(x, name):
    if x.dtype.kind in "biuc":
        raise _kernel_error(f"{name}_lastdim_kernel_impl", x.dtype)


def _along_rows(fn, dim, *arrays):
    """fn(*arrays) for a reduction along `dim`, evaluated over blocks of another axis so the
    temporaries stay in cache (see _blocked)."""
    a0 = arrays[0]
    n = a0.size
    axis = 0 if dim != 0 else 1
    if n < 2 * _BLOCK or a0.ndim < 2 or a0.__class__ is not np.ndarray:
        return fn(*arrays)
    step = max(1, _BLOCK // (n // a0.shape[axis]))
    if step * 2 > a0.shape[axis]:
        return fn(*arrays)
    out = np.empty(a0.shape, np.result_type(*arrays))
    idx = [slice(None)] * a0.ndim
    for i in range(0, a0.shape[axis], step):
        idx[axis] = slice(i, i + step)
        t = tuple(idx)
        out[t] = fn(*(a[t] for a in arrays))
    return out


def _softmax_arr(x, dim):
    e = x - x.max(axis=dim, keepdims=True)
    xp_of(e).exp(e, out=e)
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _log_softmax_arr(x, dim):
    xp = xp_of(x)
    out = x - x.max(axis=dim, keepdims=True)
    out -= xp.log(xp.exp(out).sum(axis=dim, keepdims=True))
    return out


def _softmax_grad_arr(g, y, dim):          # y * (g - sum(g * y))
    r = g * y
    r -= y * r.sum(axis=dim, keepdims=True)
    return r


def _log_softmax_grad_arr(g, y, dim):      # g - exp(y) * sum(g)
    r = xp_of(y).exp(y)
    r *= g.sum(axis=dim, keepdims=True)
    return g - r


def _softmax_kernel(fn, dim, *arrays):
    """Run a softmax-family kernel on raw arrays: half precision in float32, 0-dim as 1-dim,
    blocked along a non-reduced axis; the result in the first array's dtype and shape."""
    ref = arrays[0]
    work = [_work(a) for a in arrays]
    if ref.ndim == 0:
        work = [a.reshape(1) for a in work]
    with _quiet():
        r = _along_rows(lambda *a: fn(*a, dim), dim, *work)
    return r.reshape(ref.shape).astype(ref.dtype, copy=False)


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        _softmax_kernel_check(x, "softmax")
        y = _softmax_kernel(_softmax_arr, dim, x)
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return SoftmaxBackwardData.apply(g, y, ctx.dim), None


class SoftmaxBackwardData(Op):
    """y * (g - sum(g * y)): softmax's input gradient from its output y."""

    @staticmethod
    def forward(ctx, g, y, dim):
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, y)
        return _softmax_kernel(_softmax_grad_arr, dim, g, y)

    @staticmethod
    def backward(ctx, u):
        g, y = ctx.saved_tensors
        need, dim = ctx.needs_input_grad, ctx.dim
        gg = SoftmaxBackwardData.apply(u, y, dim) if need[0] else None
        gy = None
        if need[1]:
            gy = u * (g - _tsum(g * y, dim)) - g * _tsum(u * y, dim)
        return gg, gy, None


def _tsum(t, dim):
    return t.sum(dim, keepdim=True) if t.ndim else t


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        _softmax_kernel_check(x, "log_softmax")
        y = _softmax_kernel(_log_softmax_arr, dim, x)
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return LogSoftmaxBackwardData.apply(g, y, ctx.dim), None


class LogSoftmaxBackwardData(Op):
    """g - exp(y) * sum(g): log_softmax's input gradient from its output y."""

    @staticmethod
    def forward(ctx, g, y, dim):
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, y)
        return _softmax_kernel(_log_softmax_grad_arr, dim, g, y)

    @staticmethod
    def backward(ctx, u):
        g, y = ctx.saved_tensors
        need, dim = ctx.needs_input_grad, ctx.dim
        p = unary.exp(y)
        gg = (u - _tsum(u * p, dim)) if need[0] else None
        gy = (-u * p * _tsum(g, dim)) if need[1] else None
        return gg, gy, None


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(op, name, input, dim, stacklevel, dtype):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if dim is None:
        dim = _get_softmax_dim(name, input.ndim, stacklevel + 1)
    d = wrap_dim(dim, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    elif _amp_on[0]:   # autocast (CUDA): softmax/log_softmax run in float32
        input, = _amp.maybe_cast("log_softmax" if op is LogSoftmax else "softmax", input)
    return op.apply(input, d)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim, computed stably."""
    return _softmax_like(Softmax, "softmax", input, dim, _stacklevel, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim, computed stably."""
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, _stacklevel, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along dim."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax_like(Softmax, "softmin", -input, dim, _stacklevel, None)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel noise) / tau); with hard=True a one-hot of its argmax whose
    gradient is the soft sample's (the straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -creation.empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    idx = y_soft.max(dim, keepdim=True)[1]
    y_hard = creation.zeros_like(logits).scatter_(dim, idx, 1.0)
    return y_hard - y_soft.detach() + y_soft
