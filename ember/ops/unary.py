"""Unary elementwise ops: abs/sign, powers and logs, trigonometry, rounding, special functions
(erf, lgamma, digamma, polygamma, i0, ...) and the parts of complex numbers.

Result dtypes follow PyTorch: functions whose value is not an integer (exp, sin, sqrt, erf,
...) compute integer and bool inputs in the default float dtype; abs, sign, square, floor,
relu, ... keep integer dtypes. Every forward runs with NumPy's floating-point warnings off,
because PyTorch returns inf/nan for domain errors (log(0), sqrt(-1)) without a warning.

Gradients of complex inputs follow PyTorch's conjugate Wirtinger convention: for a
holomorphic f the input gradient is `grad * conj(f'(z))`.

The special functions have vectorised NumPy implementations (float64 internally, cast back
to the input's dtype); when SciPy is importable `scipy.special` computes them instead
(`_USE_SCIPY`), with PyTorch's conventions at poles and infinities applied to both paths.
"""
import builtins
import functools
import math
from fractions import Fraction

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _make
from .._optional import lazy_import
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ..autograd import grad_mode
from ._util import write_out, apply_inplace, xp_of, check_inplace_allowed, _type_word
from .shape import _mark_view
from .convert import clone

# optional, imported on first use: faster special functions
_sp = lazy_import("scipy.special")

_USE_SCIPY = _sp is not None
_enabled = grad_mode._enabled

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = [
    "abs", "abs_", "absolute", "sign", "sgn", "reciprocal", "reciprocal_", "sqrt", "sqrt_",
    "rsqrt", "rsqrt_", "square", "square_", "exp", "exp_", "exp2", "exp2_", "expm1", "expm1_",
    "log", "log_", "log2", "log2_", "log10", "log10_", "log1p", "log1p_",
    "sin", "sin_", "cos", "cos_", "tan", "tan_", "asin", "asin_", "arcsin", "arcsin_",
    "acos", "acos_", "arccos", "arccos_", "atan", "atan_", "arctan", "arctan_",
    "sinh", "sinh_", "cosh", "cosh_", "tanh", "tanh_", "asinh", "asinh_", "arcsinh",
    "arcsinh_", "acosh", "acosh_", "arccosh", "arccosh_", "atanh", "atanh_", "arctanh",
    "arctanh_", "sigmoid", "sigmoid_", "logit", "logit_", "erf", "erf_", "erfc", "erfc_",
    "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "i0_", "sinc", "sinc_",
    "floor", "floor_", "ceil", "ceil_", "round", "round_", "trunc", "trunc_", "fix", "fix_",
    "frac", "frac_", "relu", "relu_", "positive", "conj", "conj_physical", "conj_physical_",
    "resolve_conj", "resolve_neg", "is_conj", "is_neg", "real", "imag", "angle",
    "deg2rad", "deg2rad_", "rad2deg", "rad2deg_", "signbit",
]

_PI = math.pi
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# =============================================================== shared helpers
def _quiet():
    return np.errstate(all="ignore")


def _kernel_error(kernel, dtype):
    """PyTorch's error for a dtype its kernel has no loop for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dtype)}\'')


def _check_tensor(x, name, position=1, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(x).__name__}")


def _check_int(v, name, arg, position):
    if not isinstance(v, (int, np.integer)) or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be int, not "
                        f"{type(v).__name__}")


def _floating(a):
    """Integer and bool inputs of a float-valued function compute in the default dtype."""
    if a.dtype.kind in "biu":
        return a.astype(_dt._default[0].np)
    return a


def _c(t):
    """conj(t) for complex tensors; real tensors pass (the Wirtinger `conj(f'(z))`)."""
    return conj(t) if t.dtype.is_complex else t


def _zeros_grad(g):
    """A gradient that is exactly zero and no function of g (PyTorch's zeros_like(grad))."""
    return _make(xp_of(g._data).zeros(g._data.shape, g._data.dtype), g._device)


def _mask_of(t, fn):
    """A boolean mask computed from a saved tensor's values (a constant for autograd)."""
    with _quiet():
        return fn(t._data)


class MaskedFill(Op):
    """`t` with `value` where `mask` (an array) is True; those positions get zero gradient.
    Backward formulas use it where PyTorch writes `where(cond, 0, formula)`: unlike a
    multiplication by a 0/1 mask it also clears inf and nan."""
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return xp_of(a).where(mask, value, a)

    @staticmethod
    def backward(ctx, g):
        return _masked_fill(g, ctx.mask, 0), None, None


def _masked_fill(t, mask, value):
    if not mask.any():
        return t
    return MaskedFill.apply(t, mask, value)


def _inplace(fn, reads_input=False):
    """`x.fn_(...)`: fn computed out of place, then written into x (PyTorch's rules).

    When fn's backward reads its input (`reads_input`) and a graph is being recorded, fn
    runs on a copy of x, so the value the backward needs is not overwritten (PyTorch saves
    the original self of such in-place ops the same way)."""
    def method(self, *args, **kwargs):
        src = self
        if reads_input and _enabled[0] and self._requires_grad:
            src = clone(self)
        return apply_inplace(self, fn(src, *args, **kwargs))
    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


def _public(op, name, amp_op=None):
    """The user-facing `name(input, *, out=None)` of a one-input Op. `amp_op`: PyTorch's name
    of an op on autocast's float32 list (CUDA), consulted only while autocast is on."""
    if amp_op is not None:
        def fn(input, *, out=None):
            if _amp_on[0] and out is None:
                input, = _amp.maybe_cast(amp_op, input)
            _check_tensor(input, name)
            r = op.apply(input)
            return r if out is None else write_out(r, out)
    else:
        def fn(input, *, out=None):
            _check_tensor(input, name)
            r = op.apply(input)
            return r if out is None else write_out(r, out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, *, out=None) -> Tensor, elementwise."
    return fn


class _Elementwise(Op):
    """One-input elementwise op. A subclass sets `fn` (array -> array) and `save`, what its
    backward reads: "x" (the input), "out" (the result) or None.

    `floating`: integer/bool inputs compute in the default float dtype. `kernel` names
    PyTorch's kernel for the NotImplementedError raised on complex input (None: complex
    inputs are supported). `may_warn`: NumPy can raise floating-point warnings in fn
    (silencing them costs a microsecond, which relu and abs need not pay)."""
    floating = True
    kernel = None
    save = None
    may_warn = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "c" and ctx.kernel is not None:
            raise _kernel_error(ctx.kernel, _dt.from_np(a.dtype))
        if ctx.floating:
            a = _floating(a)
        if ctx.may_warn:
            with _quiet():
                out = ctx.fn(a)
        else:
            out = ctx.fn(a)
        if ctx.needs_input_grad and ctx.save is not None:
            ctx.save_for_backward(a if ctx.save == "x" else out)
        return out


# =============================================================== special functions (arrays)
# Each takes and returns float64 arrays (or scalars); `_special` wraps them for any dtype.

def _special(np_fn, sp_fn, a):
    """Evaluate a special function in float64 and return it in a's (floating) dtype."""
    dt = a.dtype
    x = a.astype(np.float64) if dt != np.float64 else a
    with _quiet():
        r = sp_fn(x) if (_USE_SCIPY and sp_fn is not None and xp_of(x) is np) else np_fn(x)
    r = xp_of(x).asarray(r)
    return r.astype(dt) if r.dtype != dt else r


def _polyval(coeffs, x):
    """coeffs[0] + coeffs[1] x + ... by Horner's rule."""
    r = coeffs[-1]
    for c in coeffs[-2::-1]:
        r = r * x + c
    return r


def _sinpi(x):
    """sin(pi x), exactly 0 at integers (no pi*x rounding for large x)."""
    xp = xp_of(x)
    n = xp.rint(x)
    r = x - n                     # exact, in [-0.5, 0.5]
    return xp.where(xp.fmod(n, 2) != 0, -1.0, 1.0) * xp.sin(_PI * r)


def _cotpi(x):
    """cot(pi x); cot has period 1, so only the reduced argument matters."""
    xp = xp_of(x)
    r = x - xp.rint(x)
    return xp.cos(_PI * r) / xp.sin(_PI * r)


def _piecewise(x, conds, fns):
    """fns[i](x[cond]) where conds[i] first holds, fns[-1] elsewhere (nan included): each
    approximation is evaluated only on its own region."""
    xp = xp_of(x)
    x = xp.asarray(x)
    out = xp.empty(x.shape, x.dtype)
    rest = xp.ones(x.shape, bool)
    for cond, fn in zip(conds, fns):
        m = cond & rest
        if m.any():
            out[m] = fn(x[m])
        rest &= ~m
    if rest.any():
        out[rest] = fns[-1](x[rest])
    return out


# ---- erf / erfc: W. J. Cody's rational approximations (Math. Comp. 1969), |rel err| < 1e-16
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_ERF_SPLIT = 0.46875


def _erf_small(x):
    """erf(x) for |x| <= 0.46875."""
    z = x * x
    num, den = _ERF_A[4] * z, z
    for i in range(3):
        num = (num + _ERF_A[i]) * z
        den = (den + _ERF_B[i]) * z
    return x * (num + _ERF_A[3]) / (den + _ERF_B[3])


def _exp_minus_square(y):
    """exp(-y^2) with y^2 split into an exact part and a small one, so the rounding of y*y
    is not amplified by the exponential."""
    xp = xp_of(y)
    ysq = xp.trunc(y * 16.0) / 16.0
    return xp.exp(-ysq * ysq) * xp.exp(-(y - ysq) * (y + ysq))


def _erfc_mid(y):
    """erfc(y) for 0.46875 < y <= 4."""
    num, den = _ERF_C[8] * y, y
    for i in range(7):
        num = (num + _ERF_C[i]) * y
        den = (den + _ERF_D[i]) * y
    return _exp_minus_square(y) * (num + _ERF_C[7]) / (den + _ERF_D[7])


def _erfc_far(y):
    """erfc(y) for y > 4 (0 beyond its underflow at 27.3, which also covers y = inf)."""
    xp = xp_of(y)
    z = 1.0 / (y * y)
    num, den = _ERF_P[5] * z, z
    for i in range(4):
        num = (num + _ERF_P[i]) * z
        den = (den + _ERF_Q[i]) * z
    r = (1.0 / math.sqrt(math.pi) - z * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / y
    return xp.where(y > 27.3, 0.0, _exp_minus_square(y) * r)


def _erfc_large(y):
    """erfc(y) for y > 0.46875."""
    return _piecewise(y, [y <= 4.0], [_erfc_mid, _erfc_far])


def _np_erf(x):
    xp = xp_of(x)
    y = xp.abs(x)
    return _piecewise(x, [y <= _ERF_SPLIT],
                      [_erf_small, lambda v: xp.copysign(1.0 - _erfc_large(xp.abs(v)), v)])


def _np_erfc(x):
    xp = xp_of(x)
    y = xp.abs(x)
    return _piecewise(x, [y <= _ERF_SPLIT, x > 0],
                      [lambda v: 1.0 - _erf_small(v), _erfc_large,
                       lambda v: 2.0 - _erfc_large(-v)])


# ---- erfinv: M. Giles' single-precision approximation, then Newton steps on erf/erfc
_ERFINV_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                   -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
_ERFINV_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
                -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257)


def _erfinv_central(a):
    """erfinv(a) for 0 <= a <= 0.5: Giles' polynomial (|rel err| ~ 1e-7), then Newton
    steps on erf."""
    t = a * _polyval(_ERFINV_CENTRAL, -xp_of(a).log((1.0 - a) * (1.0 + a)) - 2.5)
    for _ in range(2):
        t = t - (_np_erf(t) - a) * (0.5 * math.sqrt(math.pi)) * xp_of(a).exp(t * t)
    return t


def _erfinv_tail(a):
    """erfinv(a) for 0.5 < a < 1: Newton on log erfc(t) = log(1 - a), where 1 - a is exact
    and log erfc is nearly quadratic, so the steps converge fast."""
    xp = xp_of(a)
    w = -xp.log((1.0 - a) * (1.0 + a))
    big_l = -xp.log1p(-a)
    # Giles' tail polynomial is fitted down to float32's smallest 1 - a; beyond that start
    # from the asymptotic erfc(t) ~ exp(-t^2) / (t sqrt(pi))
    t = xp.where(w < 5.0, a * _polyval(_ERFINV_CENTRAL, w - 2.5),
                 xp.where(w < 16.5, a * _polyval(_ERFINV_TAIL, xp.sqrt(w) - 3.0),
                          xp.sqrt(big_l - 0.5 * xp.log(_PI * big_l))))
    for _ in range(3):
        c = _erfc_large(t)
        t = t + (xp.log(c) + big_l) * c * (0.5 * math.sqrt(math.pi)) * xp.exp(t * t)
    return t


def _np_erfinv(x):
    xp = xp_of(x)
    a = xp.abs(x)
    t = _piecewise(a, [a <= 0.5, a < 1.0, a == 1.0],
                   [_erfinv_central, _erfinv_tail, lambda v: xp.full(v.shape, xp.inf),
                    lambda v: xp.full(v.shape, xp.nan)])
    return xp.copysign(t, x)


def _fix_erfinv(x, r):
    return xp_of(x).copysign(r, x)    # scipy's erfinv(-0.0) is +0.0; PyTorch keeps the sign


# ---- lgamma: Lanczos (g=7, n=9) with reflection; Taylor series around 1 and 2
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_EULER = 0.57721566490153286061


def _lanczos_lgamma(x):
    """lgamma(x) for x >= 0.5."""
    xp = xp_of(x)
    xm1 = x - 1.0
    s = _LANCZOS[0]
    for i in range(1, 9):
        s = s + _LANCZOS[i] / (xm1 + i)
    t = xm1 + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (xm1 + 0.5) * xp.log(t) - t + xp.log(s)


@functools.lru_cache(maxsize=None)
def _lgamma1p_coeffs():
    # lgamma(1 + z) = -gamma z + sum_{k>=2} (-1)^k zeta(k) / k z^k   (|z| < 1)
    coeffs = [0.0, -_EULER]
    for k in range(2, 27):
        coeffs.append((-1) ** k * float(_hurwitz_zeta(k, np.float64(1.0))) / k)
    return tuple(coeffs)


def _lgamma_pos(x):
    """lgamma(x) for x >= 0 (+inf included)."""
    xp = xp_of(x)
    series = _lgamma1p_coeffs()
    return _piecewise(x, [x < 0.2, x < 0.5, xp.abs(x - 1.0) <= 0.2, xp.abs(x - 2.0) <= 0.2,
                          x == xp.inf], [
        lambda v: _polyval(series, v) - xp.log(v),                 # lgamma(1 + v) - log(v)
        lambda v: _lanczos_lgamma(v + 1.0) - xp.log(v),
        lambda v: _polyval(series, v - 1.0),
        lambda v: _polyval(series, v - 2.0) + xp.log1p(v - 2.0),   # lgamma(2+z) = ... + log(1+z)
        lambda v: v,
        _lanczos_lgamma])


def _np_lgamma(x):
    xp = xp_of(x)
    neg = x < 0
    r = _lgamma_pos(xp.where(neg, 1.0 - x, x))
    # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
    refl = xp.log(_PI / xp.abs(_sinpi(x))) - r
    return _fix_lgamma(x, xp.where(neg, refl, r))


def _fix_lgamma(x, r):
    xp = xp_of(x)
    return xp.where(x == -xp.inf, xp.inf, r)     # PyTorch: lgamma(-inf) = inf


# ---- digamma: recurrence up to x >= 10, asymptotic series, reflection for x < 0
_DIGAMMA_ASYMPT = (1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240, 1.0 / 132, -691.0 / 32760,
                   1.0 / 12)


def _digamma_pos(y):
    xp = xp_of(y)
    acc = 0.0
    for _ in range(10):                        # psi(y) = psi(y + 1) - 1 / y
        m = y < 10.0
        acc = acc - xp.where(m, 1.0 / y, 0.0)
        y = xp.where(m, y + 1.0, y)
    w = 1.0 / (y * y)
    return acc + xp.log(y) - 0.5 / y - w * _polyval(_DIGAMMA_ASYMPT, w)


# psi's positive root, as a double plus the rest; psi is a Taylor series around it, which
# keeps the relative accuracy that psi(x + n) - sum 1/(x + k) loses there
_PSI_ROOT_HI = 1.4616321449683622
_PSI_ROOT_LO = 9.549995429965697e-17


@functools.lru_cache(maxsize=None)
def _digamma_root_coeffs():
    # psi^(k)(x0) / k! = (-1)^(k+1) zeta(k+1, x0)
    return (0.0,) + tuple((-1) ** (k + 1) * float(_hurwitz_zeta(k + 1, np.float64(_PSI_ROOT_HI)))
                          for k in range(1, 19))


def _digamma_reflected(x, digamma_pos):
    """digamma from its values at x >= 0: psi(1 - x) - psi(x) = pi cot(pi x) below 0."""
    xp = xp_of(x)
    neg = x < 0
    r = digamma_pos(xp.where(neg, 1.0 - x, x))
    return _fix_digamma(x, xp.where(neg, r - _PI * _cotpi(x), r))


def _np_digamma_pos(x):
    dx = (x - _PSI_ROOT_HI) - _PSI_ROOT_LO
    return _piecewise(x, [xp_of(x).abs(dx) < 0.125],
                      [lambda v: _polyval(_digamma_root_coeffs(),
                                          (v - _PSI_ROOT_HI) - _PSI_ROOT_LO), _digamma_pos])


def _np_digamma(x):
    return _digamma_reflected(x, _np_digamma_pos)


def _fix_digamma(x, r):
    xp = xp_of(x)
    r = xp.where(x == 0, xp.copysign(xp.inf, -x), r)             # PyTorch: psi(+-0) = -+inf
    return xp.where((x < 0) & (x == xp.floor(x)), xp.nan, r)     # poles (and -inf): nan


# ---- Hurwitz zeta and polygamma
_BERNOULLI_2J = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30),
                 Fraction(5, 66), Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510),
                 Fraction(43867, 798), Fraction(-174611, 330), Fraction(854513, 138),
                 Fraction(-236364091, 2730))


@functools.lru_cache(maxsize=None)
def _zeta_tail_coeffs(s):
    """Euler-Maclaurin coefficients B_2j / (2j)! * s (s+1) ... (s+2j-2) for integer s."""
    out = []
    rising = Fraction(s)               # s (s+1) ... (s+2j-2), starting at j = 1
    for j, b in enumerate(_BERNOULLI_2J, start=1):
        out.append(float(b / math.factorial(2 * j) * rising))
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    return tuple(out)


def _hurwitz_zeta(s, q):
    """zeta(s, q) = sum_{k>=0} (q + k)^-s for an integer s >= 2 and q > 0: the first N terms
    summed directly, the rest by Euler-Maclaurin (N grows with s so the tail converges)."""
    n_direct = builtins.max(9, s + 2)
    total = 0.0
    for k in range(n_direct):
        total = total + (q + k) ** -float(s)
    a = q + n_direct
    total = total + a ** (1.0 - s) / (s - 1) + 0.5 * a ** -float(s)
    ainv2 = 1.0 / (a * a)
    term = a ** (-1.0 - s)                # a^(-s-2j+1) at j = 1
    for c in _zeta_tail_coeffs(s):
        total = total + c * term
        term = term * ainv2
    return total


@functools.lru_cache(maxsize=None)
def _cot_derivative_poly(n):
    """Integer coefficients of P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)).
    From d/dx cot(pi x) = -pi (1 + cot^2): P_{k+1}(c) = -(1 + c^2) P_k'(c)."""
    p = [0, 1]
    for _ in range(n):
        d = [i * p[i] for i in range(1, len(p))] or [0]
        q = [0] * (len(d) + 2)
        for i, c in enumerate(d):
            q[i] -= c
            q[i + 2] -= c
        p = q
    return tuple(float(c) for c in p)


def _np_polygamma(n, x):
    """psi^(n)(x) for n >= 1: (-1)^(n+1) n! zeta(n+1, x) for x > 0, reflection below."""
    xp = xp_of(x)
    neg = x < 0
    y = xp.where(neg, 1.0 - x, x)
    r = (-1.0) ** (n + 1) * math.factorial(n) * _hurwitz_zeta(n + 1, y)
    # d^n/dx^n of psi(1 - x) - psi(x) = pi cot(pi x)
    refl = (-1.0) ** n * r - _PI ** (n + 1) * _polyval(_cot_derivative_poly(n), _cotpi(x))
    return _fix_polygamma(n, x, xp.where(neg, refl, r))


def _fix_polygamma(n, x, r):
    """PyTorch's values at the poles (x a non-positive integer) and at +-inf."""
    xp = xp_of(x)
    pole = (x <= 0) & (x == xp.floor(x))          # -inf included, except for trigamma
    r = xp.where(pole, (-1.0) ** (n + 1) * xp.inf, r)
    if n == 1:
        r = xp.where(x == -xp.inf, xp.nan, r)
    return xp.where(x == xp.inf, 0.0 if n == 1 else xp.nan, r)


# ---- modified Bessel functions I0, I1: power series below 20, asymptotic expansion above
_BESSEL_SPLIT = 20.0


def _bessel_i_series(nu, x):
    """sum_k (x/2)^(2k+nu) / (k! (k+nu)!) for 0 <= x < 20; all terms positive. The terms
    peak near k = x/2 and then fall faster than geometrically."""
    h2 = 0.25 * x * x
    term = (0.5 * x) ** nu / math.factorial(nu)
    total = term
    xmax = float(x.max()) if x.size else 0.0
    for k in range(1, int(0.5 * xmax + 4.0 * math.sqrt(xmax) + 16)):
        term = term * h2 / (k * (k + nu))
        total = total + term
    return total


def _bessel_i_asympt(nu, x):
    """e^x / sqrt(2 pi x) * sum_k (-1)^k a_k(nu) / x^k (Hankel's expansion, x >= 20)."""
    mu = 4.0 * nu * nu
    term = 1.0
    total = 1.0
    for k in range(1, 30):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        total = total + term
    # overflows where exp(x) does, as PyTorch's (Cephes) does
    return xp_of(x).exp(x) * (total / xp_of(x).sqrt(2.0 * _PI * x))


def _bessel_i(nu, x):
    xp = xp_of(x)
    y = xp.abs(x)
    r = _piecewise(y, [y < _BESSEL_SPLIT, y < xp.inf],
                   [lambda v: _bessel_i_series(nu, v), lambda v: _bessel_i_asympt(nu, v),
                    lambda v: xp.full(v.shape, xp.nan)])   # PyTorch: i0(+-inf) = nan
    return r if nu == 0 else xp.copysign(r, x)


def _np_i0(x):
    return _bessel_i(0, x)


def _np_i1(x):
    return _bessel_i(1, x)


def _fix_bessel(x, r):
    xp = xp_of(x)
    return xp.where(xp.isinf(x), xp.nan, r)     # PyTorch: i0(+-inf) = i1(+-inf) = nan


def _with_fix(sp_name, fix):
    """SciPy's function followed by PyTorch's edge conventions (None without SciPy)."""
    if _sp is None:
        return None
    if fix is None:   # look the function up at call time: SciPy loads on first use
        return lambda x: getattr(_sp, sp_name)(x)
    return lambda x: fix(x, getattr(_sp, sp_name)(x))


_SP_ERF = _with_fix("erf", None)
_SP_ERFC = _with_fix("erfc", None)
_SP_ERFINV = _with_fix("erfinv", _fix_erfinv)
_SP_LGAMMA = _with_fix("gammaln", _fix_lgamma)
_SP_DIGAMMA = _sp and (lambda x: _digamma_reflected(x, _sp.psi))
_SP_I0 = _with_fix("i0", _fix_bessel)
_SP_I1 = _with_fix("i1", _fix_bessel)


def _sp_polygamma(n, x):
    """SciPy's polygamma for x > 0 (its zeta has no negative q), our reflection below."""
    xp = xp_of(x)
    neg = x < 0
    r = _sp.polygamma(n, xp.where(neg, 1.0 - x, x))
    refl = (-1.0) ** n * r - _PI ** (n + 1) * _polyval(_cot_derivative_poly(n), _cotpi(x))
    return _fix_polygamma(n, x, xp.where(neg, refl, r))


# =============================================================== abs, sign, sgn
class Abs(_Elementwise):
    floating = False
    may_warn = False
    save = "x"

    @staticmethod
    def fn(a):
        if a.dtype.kind == "b":
            raise _kernel_error("abs_cpu", _dt.bool)
        return xp_of(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sgn(x)          # zero at 0, as PyTorch


def _sign_array(a):
    xp = xp_of(a)
    if a.dtype.kind == "b":
        return a.copy()
    out = xp.sign(a)
    if a.dtype.kind == "f":
        out = xp.where(xp.isnan(a), 0, out)     # PyTorch: sign(nan) = 0
    return out


class Sign(_Elementwise):
    floating = False
    may_warn = False

    @staticmethod
    def fn(a):
        if a.dtype.kind == "c":
            raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support "
                                      "complex numbers. Please use torch.sgn instead.")
        return _sign_array(a)

    @staticmethod
    def backward(ctx, g):
        return _zeros_grad(g)


class Sgn(_Elementwise):
    """sign for real inputs; z / |z| (0 at 0) for complex ones."""
    floating = False

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind != "c":
            return _sign_array(a)
        xp = xp_of(a)
        with _quiet():
            mag = xp.abs(a)
            out = xp.where(mag == 0, 0, a / mag)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        if not ctx.saved_tensors:
            return _zeros_grad(g)
        z, s = ctx.saved_tensors
        # the component of g along s is lost by the normalisation
        r = (g - real(g * conj(s)) * s) / abs(z)
        return _masked_fill(r, _mask_of(z, lambda a: a == 0), 0)


abs = _public(Abs, "abs")
absolute = _public(Abs, "absolute")
sign = _public(Sign, "sign")
sgn = _public(Sgn, "sgn")


# =============================================================== powers, exp and log
class Reciprocal(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: 1 / a)

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return -g * _c(out * out)


class Sqrt(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: xp_of(a).sqrt(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g / (2 * _c(out))


class Rsqrt(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: 1 / xp_of(a).sqrt(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return -0.5 * g * _c(out * out * out)


class Square(_Elementwise):
    _name = "PowBackward0"      # PyTorch's square is pow(x, 2)
    floating = False
    save = "x"

    @staticmethod
    def fn(a):
        if a.dtype.kind == "b":
            a = a.astype(np.int64)
        return a * a

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 * _c(x))


class Exp(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: xp_of(a).exp(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * _c(out)


class Exp2(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: xp_of(a).exp2(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (_c(out) * _LN2)


class Expm1(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: xp_of(a).expm1(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (_c(out) + 1)


class Log(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).log(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / _c(x)


class Log2(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).log2(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (_c(x) * _LN2)


class Log10(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).log10(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (_c(x) * _LN10)


class Log1p(_Elementwise):
    _name = "Log1PBackward0"
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).log1p(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / _c(x + 1)


reciprocal = _public(Reciprocal, "reciprocal", amp_op="reciprocal")
sqrt = _public(Sqrt, "sqrt")
rsqrt = _public(Rsqrt, "rsqrt", amp_op="rsqrt")
square = _public(Square, "square")
exp = _public(Exp, "exp", amp_op="exp")
exp2 = _public(Exp2, "exp2")
expm1 = _public(Expm1, "expm1", amp_op="expm1")
log = _public(Log, "log", amp_op="log")
log2 = _public(Log2, "log2", amp_op="log2")
log10 = _public(Log10, "log10", amp_op="log10")
log1p = _public(Log1p, "log1p", amp_op="log1p")


# =============================================================== trigonometric, hyperbolic
class Sin(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).sin(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _c(cos(x))


class Cos(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).cos(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -(g * _c(sin(x)))


class Tan(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: xp_of(a).tan(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * _c(out * out + 1)


class Asin(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).arcsin(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _c(rsqrt(1 - x * x))


class Acos(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).arccos(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -(g * _c(rsqrt(1 - x * x)))


class Atan(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).arctan(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / _c(x * x + 1)


class Sinh(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).sinh(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _c(cosh(x))


class Cosh(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).cosh(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _c(sinh(x))


class Tanh(_Elementwise):
    save = "out"
    fn = staticmethod(lambda a: xp_of(a).tanh(a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * _c(1 - out * out)


class Asinh(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).arcsinh(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _c(rsqrt(x * x + 1))


class Acosh(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).arccosh(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if x.dtype.is_complex:     # 1/sqrt(z^2 - 1) would take the other branch off the axis
            return g * _c(rsqrt(x + 1) * rsqrt(x - 1))
        return g * rsqrt(x * x - 1)


class Atanh(_Elementwise):
    save = "x"
    fn = staticmethod(lambda a: xp_of(a).arctanh(a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / _c(1 - x * x)


class Sigmoid(_Elementwise):
    save = "out"
    # exp(-a) overflowing to inf gives exactly 0, which is the right limit
    fn = staticmethod(lambda a: 1 / (1 + xp_of(a).exp(-a)))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * _c(out * (1 - out))


class Sinc(_Elementwise):
    save = "x"

    @staticmethod
    def fn(a):
        xp = xp_of(a)
        y = _PI * xp.where(a == 0, 1, a)
        return xp.where(a == 0, 1, xp.sin(y) / y).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        px = x * _PI
        d = (px * cos(px) - sin(px)) / (px * x)
        return g * _c(_masked_fill(d, _mask_of(x, lambda a: a == 0), 0))


sin = _public(Sin, "sin")
cos = _public(Cos, "cos")
tan = _public(Tan, "tan", amp_op="tan")
asin = _public(Asin, "asin", amp_op="asin")
arcsin = _public(Asin, "arcsin", amp_op="asin")
acos = _public(Acos, "acos", amp_op="acos")
arccos = _public(Acos, "arccos", amp_op="acos")
atan = _public(Atan, "atan")
arctan = _public(Atan, "arctan")
sinh = _public(Sinh, "sinh", amp_op="sinh")
cosh = _public(Cosh, "cosh", amp_op="cosh")
tanh = _public(Tanh, "tanh")
asinh = _public(Asinh, "asinh")
arcsinh = _public(Asinh, "arcsinh")
acosh = _public(Acosh, "acosh")
arccosh = _public(Acosh, "arccosh")
atanh = _public(Atanh, "atanh")
arctanh = _public(Atanh, "arctanh")
sigmoid = _public(Sigmoid, "sigmoid")
sinc = _public(Sinc, "sinc")


class Logit(Op):
    @staticmethod
    def forward(ctx, a, eps):
        if a.dtype.kind == "c":
            raise _kernel_error("logit_cpu", _dt.from_np(a.dtype))
        a = _floating(a)
        x = a
        if eps is not None:
            lo, hi = eps, 1 - eps
            # PyTorch's order: below lo -> lo, else above hi -> hi (matters when eps > 0.5)
            x = xp_of(a).where(a < lo, lo, xp_of(a).where(a > hi, hi, a)).astype(a.dtype)
        ctx.eps = eps
        if ctx.needs_input_grad:
            ctx.save_for_backward(a)
        with _quiet():
            return xp_of(a).log(x / (1 - x))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        eps = ctx.eps
        r = g / (x * (1 - x))
        if eps is None:
            return _masked_fill(r, _mask_of(x, lambda a: (a < 0) | (a > 1)), math.nan), None
        lo, hi = eps, 1 - eps
        return _masked_fill(r, _mask_of(x, lambda a: (a < lo) | (a > hi)), 0), None


def logit(input, eps=None, *, out=None):
    _check_tensor(input, "logit")
    r = Logit.apply(input, None if eps is None else float(eps))
    return r if out is None else write_out(r, out)


# =============================================================== special functions
class Erf(_Elementwise):
    kernel = "erf_vml_cpu"
    save = "x"
    fn = staticmethod(lambda a: _special(_np_erf, _SP_ERF, a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(_Elementwise):
    kernel = "erfc_vml_cpu"
    save = "x"
    fn = staticmethod(lambda a: _special(_np_erfc, _SP_ERFC, a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


class Erfinv(_Elementwise):
    kernel = "erfinv_vml_cpu"
    save = "out"
    fn = staticmethod(lambda a: _special(_np_erfinv, _SP_ERFINV, a))

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (exp(out * out) * (0.5 * math.sqrt(math.pi)))


class Lgamma(_Elementwise):
    kernel = "lgamma_vml_cpu"
    save = "x"
    fn = staticmethod(lambda a: _special(_np_lgamma, _SP_LGAMMA, a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * digamma(x)


class Digamma(_Elementwise):
    kernel = "digamma"
    save = "x"
    fn = staticmethod(lambda a: _special(_np_digamma, _SP_DIGAMMA, a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * polygamma(1, x)


class Polygamma(Op):
    @staticmethod
    def forward(ctx, n, a):
        if a.dtype.kind == "c":
            raise _kernel_error("polygamma", _dt.from_np(a.dtype))
        a = _floating(a)
        ctx.n = n
        if ctx.needs_input_grad:
            ctx.save_for_backward(a)
        if n == 0:
            return _special(_np_digamma, _SP_DIGAMMA, a)
        return _special(functools.partial(_np_polygamma, n),
                        _sp and functools.partial(_sp_polygamma, n), a)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return None, g * polygamma(ctx.n + 1, x)


def polygamma(n, input, *, out=None):
    _check_int(n, "polygamma", "n", 1)
    _check_tensor(input, "polygamma", 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    r = Polygamma.apply(int(n), input)
    return r if out is None else write_out(r, out)


class Mvlgamma(Op):
    """log of the multivariate gamma function:
    sum_{i<p} lgamma(x - i/2) + p (p - 1) / 4 log(pi)."""
    @staticmethod
    def forward(ctx, a, p):
        if a.dtype.kind == "c":
            raise _kernel_error("arange_cpu", _dt.from_np(a.dtype))   # PyTorch's message
        a = _floating(a)
        ctx.p = p
        if ctx.needs_input_grad:
            ctx.save_for_backward(a)
        x = a.astype(np.float64)
        total = p * (p - 1) / 4 * math.log(math.pi)
        for i in range(p):
            total = total + _special(_np_lgamma, _SP_LGAMMA, x - 0.5 * i)
        return xp_of(a).asarray(total).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d = digamma(x)
        for i in range(1, ctx.p):
            d = d + digamma(x - 0.5 * i)
        return g * d, None


def mvlgamma(input, p, *, out=None):
    _check_tensor(input, "mvlgamma")
    _check_int(p, "mvlgamma", "p", 2)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    r = Mvlgamma.apply(input, int(p))
    return r if out is None else write_out(r, out)


class I0(_Elementwise):
    kernel = "i0_vml_cpu"
    save = "x"
    fn = staticmethod(lambda a: _special(_np_i0, _SP_I0, a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _i1(x)


class I1(_Elementwise):
    """The modified Bessel function I1: i0's derivative (private; torch.special owns i1)."""
    kernel = "i1_cpu"
    save = "x"
    fn = staticmethod(lambda a: _special(_np_i1, _SP_I1, a))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        # I1'(x) = I0(x) - I1(x) / x, which is 1/2 at x = 0
        d = _masked_fill(i0(x) - _i1(x) / x, _mask_of(x, lambda a: a == 0), 0.5)
        return g * d


erf = _public(Erf, "erf")
erfc = _public(Erfc, "erfc")
erfinv = _public(Erfinv, "erfinv", amp_op="erfinv")
lgamma = _public(Lgamma, "lgamma")
digamma = _public(Digamma, "digamma")
i0 = _public(I0, "i0")
_i1 = _public(I1, "i1")


# =============================================================== rounding
class _Rounding(_Elementwise):
    """floor/ceil/trunc/round: integers pass through (copied), the gradient is zero."""
    floating = False
    may_warn = False

    @staticmethod
    def backward(ctx, g):
        return _zeros_grad(g)


def _rounding(ufunc, bool_kernel, complex_message):
    def fn(a):
        if a.dtype.kind == "b":
            raise _kernel_error(bool_kernel, _dt.bool)
        if a.dtype.kind == "c":
            if complex_message is None:
                raise _kernel_error(bool_kernel, _dt.from_np(a.dtype))
            raise NotImplementedError(complex_message)
        if a.dtype.kind in "iu":
            return a.copy()
        return getattr(xp_of(a), ufunc)(a)
    return staticmethod(fn)


class Floor(_Rounding):
    fn = _rounding("floor", "floor_vml_cpu", "floor is not supported for complex inputs")


class Ceil(_Rounding):
    fn = _rounding("ceil", "ceil_vml_cpu", "ceil is not supported for complex inputs")


class Trunc(_Rounding):
    fn = _rounding("trunc", "trunc_vml_cpu", "trunc is not supported for complex inputs")


class Round(_Rounding):
    fn = _rounding("rint", "round_vml_cpu", None)    # rint: halves to even, like nearbyint


class RoundDecimals(Op):
    _name = "RoundBackward1"

    @staticmethod
    def forward(ctx, a, decimals):
        if a.dtype.kind != "f":
            raise _kernel_error("round_vml_cpu" if decimals == 0 else "round_cpu",
                                _dt.from_np(a.dtype))
        xp = xp_of(a)
        # PyTorch scales by 10^|decimals| in the input's precision (float for half)
        x = a.astype(np.float32) if a.dtype == np.float16 else a
        scale = xp.asarray(10.0 ** builtins.abs(decimals), x.dtype)
        with _quiet():
            r = xp.rint(x / scale) * scale if decimals < 0 else xp.rint(x * scale) / scale
        return r.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _zeros_grad(g), None


class Frac(_Elementwise):
    floating = False

    @staticmethod
    def fn(a):
        if a.dtype.kind != "f":
            raise _kernel_error("frac_cpu", _dt.from_np(a.dtype))
        return a - xp_of(a).trunc(a)

    @staticmethod
    def backward(ctx, g):
        return g


floor = _public(Floor, "floor")
ceil = _public(Ceil, "ceil")
trunc = _public(Trunc, "trunc")
fix = _public(Trunc, "fix")
frac = _public(Frac, "frac")


def round(input, *, decimals=None, out=None):
    """Round half to even; `decimals` (PyTorch's second overload, used whenever it is
    passed, even as 0) rounds to that many decimal digits and rejects integer tensors."""
    _check_tensor(input, "round")
    if decimals is None:
        r = Round.apply(input)
    else:
        _check_int(decimals, "round", "decimals", 2)
        r = RoundDecimals.apply(input, int(decimals))
    return r if out is None else write_out(r, out)


# =============================================================== relu, positive
class Relu(_Elementwise):
    floating = False
    may_warn = False
    save = "out"

    @staticmethod
    def fn(a):
        if a.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        if a.dtype.kind == "c":
            raise NotImplementedError("clamp is not supported for complex types")
        return xp_of(a).maximum(a, 0)

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return _masked_fill(g, _mask_of(out, lambda a: ~(a > 0)), 0)


def relu(input):
    _check_tensor(input, "relu")
    return Relu.apply(input)


def positive(input):
    _check_tensor(input, "positive")
    if input.dtype is _dt.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# =============================================================== complex numbers
class Conj(Op):
    @staticmethod
    def forward(ctx, a):
        return xp_of(a).conj(a)

    @staticmethod
    def backward(ctx, g):
        return conj(g)


class ConjPhysical(Op):
    @staticmethod
    def forward(ctx, a):
        return xp_of(a).conj(a)

    @staticmethod
    def backward(ctx, g):
        return conj_physical(g)


def conj(input):
    """The complex conjugate. ember conjugates eagerly (a new array), so `is_conj()` is
    always False; for non-complex tensors the input itself is returned, as in PyTorch."""
    _check_tensor(input, "conj")
    if not input.dtype.is_complex:
        return input
    return Conj.apply(input)


def conj_physical(input, *, out=None):
    _check_tensor(input, "conj_physical")
    r = ConjPhysical.apply(input) if input.dtype.is_complex else input
    return r if out is None else write_out(r, out)


def conj_physical_(self):
    if not self.dtype.is_complex:
        return self
    return apply_inplace(self, conj_physical(self))


def resolve_conj(input):
    return input          # conjugation is never lazy in ember


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


class Real(Op):
    _name = "SelectBackward0"     # PyTorch's real is select(view_as_real(z), -1, 0)

    @staticmethod
    def forward(ctx, a):
        return a.real

    @staticmethod
    def backward(ctx, g):
        return g                   # the engine casts it to the complex input's dtype


class Imag(Op):
    _name = "SelectBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.imag

    @staticmethod
    def backward(ctx, g):
        return g * 1j


def _part_view(op, input):
    out = op.apply(input)
    out._vc = input._vc            # a view: in-place writes through it version the base too
    return _mark_view(out, input)


def real(input):
    """The real part as a view (the input itself for real dtypes, as in PyTorch)."""
    _check_tensor(input, "real")
    if not input.dtype.is_complex:
        return input
    return _part_view(Real, input)


def imag(input):
    """The imaginary part as a view; an error for real dtypes, as in PyTorch."""
    _check_tensor(input, "imag")
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _part_view(Imag, input)


def _set_part(self, which, value):
    """`z.real = v` / `z.imag = v`: copy v into that part of z's memory."""
    part = getattr(self._data, which) if self.dtype.is_complex else self._data
    if which == "imag" and not self.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    check_inplace_allowed(self)
    if _enabled[0] and (self._requires_grad or
                        (isinstance(value, Tensor) and value._requires_grad)):
        raise NotImplementedError("ember does not support assigning to .real/.imag of a "
                                  "tensor that needs gradients; build the tensor with "
                                  "torch.complex(real, imag) instead")
    part[...] = value._data if isinstance(value, Tensor) else value
    self._vc[0] += 1


def _set_real(self, value):
    _set_part(self, "real", value)


def _set_imag(self, value):
    _set_part(self, "imag", value)


class Angle(Op):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        if a.dtype.kind == "c":
            if ctx.needs_input_grad:
                ctx.save_for_backward(a)
            return xp.angle(a)
        a = _floating(a)
        # real inputs: pi for negatives, 0 otherwise (also for -0.0), nan stays nan
        return xp.where(a < 0, xp.asarray(_PI, a.dtype), xp.where(a != a, a, 0)).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        if not ctx.saved_tensors:
            return _zeros_grad(g)
        z, = ctx.saved_tensors
        r = g * z / square(abs(z)) * 1j
        return _masked_fill(r, _mask_of(z, lambda a: a == 0), 0)


angle = _public(Angle, "angle")


# =============================================================== degrees, sign bit
class Deg2Rad(_Elementwise):
    @staticmethod
    def fn(a):
        if a.dtype.kind == "c":
            raise RuntimeError("deg2rad is not supported for complex tensors.")
        return a * (_PI / 180)

    @staticmethod
    def backward(ctx, g):
        return g * (_PI / 180)


class Rad2Deg(_Elementwise):
    @staticmethod
    def fn(a):
        if a.dtype.kind == "c":
            raise RuntimeError("rad2deg is not supported for complex tensors.")
        return a * (180 / _PI)

    @staticmethod
    def backward(ctx, g):
        return g * (180 / _PI)


deg2rad = _public(Deg2Rad, "deg2rad")
rad2deg = _public(Rad2Deg, "rad2deg")


def signbit(input, *, out=None):
    _check_tensor(input, "signbit")
    a = input._data
    xp = xp_of(a)
    if a.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if a.dtype.kind in "bu":
        r = xp.zeros(a.shape, np.bool_)
    else:
        r = xp.asarray(xp.signbit(a))
    r = _make(r, input._device)
    if out is None:
        return r
    if isinstance(out, Tensor) and out.dtype is not _dt.bool:
        raise RuntimeError("signbit does not support non-boolean outputs.")
    return write_out(r, out)


# =============================================================== in-place forms
abs_ = _inplace(abs, reads_input=True)
absolute_ = _inplace(absolute, reads_input=True)
sign_ = _inplace(sign)
sgn_ = _inplace(sgn, reads_input=True)
reciprocal_ = _inplace(reciprocal)
sqrt_ = _inplace(sqrt)
rsqrt_ = _inplace(rsqrt)
square_ = _inplace(square, reads_input=True)
exp_ = _inplace(exp)
exp2_ = _inplace(exp2)
expm1_ = _inplace(expm1)
log_ = _inplace(log, reads_input=True)
log2_ = _inplace(log2, reads_input=True)
log10_ = _inplace(log10, reads_input=True)
log1p_ = _inplace(log1p, reads_input=True)
sin_ = _inplace(sin, reads_input=True)
cos_ = _inplace(cos, reads_input=True)
tan_ = _inplace(tan)
asin_ = _inplace(asin, reads_input=True)
arcsin_ = _inplace(arcsin, reads_input=True)
acos_ = _inplace(acos, reads_input=True)
arccos_ = _inplace(arccos, reads_input=True)
atan_ = _inplace(atan, reads_input=True)
arctan_ = _inplace(arctan, reads_input=True)
sinh_ = _inplace(sinh, reads_input=True)
cosh_ = _inplace(cosh, reads_input=True)
tanh_ = _inplace(tanh)
asinh_ = _inplace(asinh, reads_input=True)
arcsinh_ = _inplace(arcsinh, reads_input=True)
acosh_ = _inplace(acosh, reads_input=True)
arccosh_ = _inplace(arccosh, reads_input=True)
atanh_ = _inplace(atanh, reads_input=True)
arctanh_ = _inplace(arctanh, reads_input=True)
sigmoid_ = _inplace(sigmoid)
logit_ = _inplace(logit, reads_input=True)
erf_ = _inplace(erf, reads_input=True)
erfc_ = _inplace(erfc, reads_input=True)
erfinv_ = _inplace(erfinv)
lgamma_ = _inplace(lgamma, reads_input=True)
digamma_ = _inplace(digamma, reads_input=True)
i0_ = _inplace(i0, reads_input=True)
sinc_ = _inplace(sinc, reads_input=True)
floor_ = _inplace(floor)
ceil_ = _inplace(ceil)
round_ = _inplace(round)
trunc_ = _inplace(trunc)
fix_ = _inplace(fix)
frac_ = _inplace(frac)
relu_ = _inplace(relu)
deg2rad_ = _inplace(deg2rad)
rad2deg_ = _inplace(rad2deg)


polygamma_ = _inplace(lambda self, n: polygamma(n, self), reads_input=True)
polygamma_.__name__ = polygamma_.__qualname__ = "polygamma_"
mvlgamma_ = _inplace(mvlgamma, reads_input=True)
