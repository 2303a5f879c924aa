"""Unary elementwise ops (ember/ops/unary.py) against PyTorch, plus finite-difference checks."""
import math

import numpy as np
import pytest

import ember
from ember.ops import unary
from .harness import check_op, gradcheck_op, requires_torch, torch

# ---------------------------------------------------------------- input domains
def _any(rng, shape):
    return rng.standard_normal(shape) * 1.5


def _away0(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1, 1) * rng.uniform(0.3, 2.0, shape)


def _pos(rng, shape):
    return rng.uniform(0.2, 3.0, shape)


def _unit(rng, shape):
    return rng.uniform(-0.85, 0.85, shape)


def _ge1(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def _prob(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def _gamma_dom(rng, shape):
    return np.where(rng.random(shape) < 0.3, -rng.uniform(0.1, 0.9, shape) - 1,
                    rng.uniform(0.2, 4.0, shape))


def _non_int(rng, shape):
    # away from integers and half-integers, where rounding ops jump
    x = rng.standard_normal(shape) * 3
    return np.floor(x) + rng.uniform(0.1, 0.4, shape) + np.where(rng.random(shape) < .5, 0, .5)


# name -> input domain; every one is differentiable in PyTorch
FLOAT_OPS = {
    "abs": _away0, "absolute": _away0, "sign": _away0, "sgn": _away0, "reciprocal": _away0,
    "sqrt": _pos, "rsqrt": _pos, "square": _any, "exp": _any, "exp2": _any, "expm1": _any,
    "log": _pos, "log2": _pos, "log10": _pos, "log1p": _pos, "sin": _any, "cos": _any,
    "tan": _unit, "asin": _unit, "arcsin": _unit, "acos": _unit, "arccos": _unit,
    "atan": _any, "arctan": _any, "sinh": _any, "cosh": _any, "tanh": _any, "asinh": _any,
    "arcsinh": _any, "acosh": _ge1, "arccosh": _ge1, "atanh": _unit, "arctanh": _unit,
    "sigmoid": _any, "logit": _prob, "erf": _any, "erfc": _any, "erfinv": _unit,
    "lgamma": _gamma_dom, "digamma": _gamma_dom, "i0": _any, "sinc": _away0,
    "floor": _non_int, "ceil": _non_int, "round": _non_int, "trunc": _non_int, "fix": _non_int,
    "frac": _non_int, "relu": _away0, "positive": _any, "conj": _any, "conj_physical": _any,
    "real": _any, "angle": _away0, "deg2rad": _any, "rad2deg": _any,
}
# gradient is identically zero or piecewise constant: no second derivative worth checking
NON_SMOOTH = {"sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac", "relu", "abs",
              "absolute", "angle", "positive", "conj", "conj_physical", "real"}
INPLACE = [n for n in FLOAT_OPS if hasattr(torch.Tensor if torch else ember.Tensor, n + "_")]
SHAPES = [(3, 4), (), (2, 1, 3)]


def _sample(name, rng, shape, dtype):
    return np.asarray(FLOAT_OPS[name](rng, shape), dtype)


def _call(name):
    return lambda lib, x: getattr(lib, name)(x)


@pytest.fixture(params=[True, False], ids=["scipy", "numpy"])
def special_path(request, monkeypatch):
    """Run a test with SciPy's special functions and with ember's own NumPy ones."""
    if request.param and unary._sp is None:
        pytest.skip("SciPy not installed")
    monkeypatch.setattr(unary, "_USE_SCIPY", request.param)
    return request.param


def _same_outcome(fn, x_np):
    """ember and torch agree on fn(x): equal results, or the same exception and message."""
    try:
        expected = fn(torch, torch.tensor(x_np))
    except Exception as e:          # noqa: BLE001 - the oracle decides which error
        with pytest.raises(type(e), match=_literal(str(e).split("\n")[0])):
            fn(ember, ember.tensor(x_np))
        return None
    got = fn(ember, ember.tensor(x_np))
    assert str(got.dtype) == str(expected.dtype), (got.dtype, expected.dtype)
    np.testing.assert_allclose(np.asarray(got).astype(np.complex128),
                               expected.numpy().astype(np.complex128), rtol=1e-5, atol=1e-6,
                               equal_nan=True)
    return got


def _literal(msg):
    import re
    return re.escape(msg)


# ---------------------------------------------------------------- values and gradients
@requires_torch
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_float_values_and_grad(name, dtype, shape, rng):
    x = _sample(name, rng, shape, dtype)
    check_op(_call(name), [x])


@requires_torch
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_method_form(name, rng):
    x = _sample(name, rng, (2, 3), np.float32)
    if name in ("real",):
        check_op(lambda lib, t: t.real, [x])
    else:
        check_op(lambda lib, t: getattr(t, name)(), [x])


@pytest.mark.parametrize("name", sorted(set(FLOAT_OPS) - {"positive", "conj", "real",
                                                          "conj_physical"}))
def test_gradcheck(name, rng, special_path):
    x = _sample(name, rng, (2, 3), np.float64)
    gradcheck_op(_call(name), [x], gradgrad=name not in NON_SMOOTH)


@requires_torch
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8, np.bool_],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(FLOAT_OPS) + ["signbit"])
def test_integer_and_bool_inputs(name, dtype, rng):
    """The result dtype (float ops give the default float dtype, abs/sign/floor/... keep the
    integer dtype) and PyTorch's errors for dtypes without a kernel."""
    x = rng.integers(-3, 4, (2, 3))
    if dtype == np.uint8:
        x = np.abs(x)
    if name in ("acosh", "arccosh"):
        x = np.abs(x) + 1
    _same_outcome(_call(name), x.astype(dtype))


@requires_torch
@pytest.mark.parametrize("name", ["exp", "sqrt", "sin", "erf", "lgamma", "sigmoid", "angle"])
def test_integer_input_follows_default_dtype(name):
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        _same_outcome(_call(name), np.array([1, 2, 3]))
    finally:
        torch.set_default_dtype(torch.float32)


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FLOAT_OPS) + ["signbit"])
def test_domain_edges(name, dtype):
    """0, -0, +-1, +-inf, nan, tiny and huge values: log(0) = -inf, sqrt(-1) = nan, ..."""
    x = np.array([0., -0., 1., -1., 2., -2., 0.5, -0.5, np.inf, -np.inf, np.nan, 1e-30, 1e30,
                  -1e30, 3.5, -3.5, 40., -40.], dtype)
    r = _same_outcome(_call(name), x)
    if r is not None and name in ("sign", "sgn", "angle", "signbit", "frac"):
        np.testing.assert_array_equal(np.signbit(np.asarray(r)),
                                      np.signbit(getattr(torch, name)(torch.tensor(x)).numpy()))


@requires_torch
def test_zero_dim_and_empty():
    for name in ("exp", "abs", "lgamma", "floor", "relu", "sigmoid"):
        _same_outcome(_call(name), np.array(0.7, np.float32))
        _same_outcome(_call(name), np.zeros((0, 3), np.float32))


@requires_torch
def test_float16_stays_float16(rng):
    x = rng.uniform(0.1, 2, (5,)).astype(np.float16)
    for name in ("exp", "sqrt", "erf", "lgamma", "sigmoid", "i0", "digamma", "erfinv"):
        xi = x / 2.5 if name == "erfinv" else x
        e = getattr(ember, name)(ember.tensor(xi))
        t = getattr(torch, name)(torch.tensor(xi))
        assert e.dtype is ember.float16
        np.testing.assert_allclose(np.asarray(e, np.float32), t.float().numpy(), rtol=2e-3)


# ---------------------------------------------------------------- exact PyTorch conventions
@requires_torch
def test_edge_gradients():
    """abs' gradient is 0 at 0, sqrt's is inf there, sign/round/floor give zero gradients."""
    x = np.array([0., -1., 2., 0.], np.float32)
    for name in ("abs", "sqrt", "sign", "sgn", "floor", "round", "relu", "rsqrt", "log",
                 "reciprocal", "acosh", "lgamma", "erfinv", "sinc", "angle", "frac"):
        check_op(_call(name), [x], weighted=False)


@requires_torch
def test_abs_of_most_negative_int_wraps():
    _same_outcome(_call("abs"), np.array([-128, 5], np.int8))


@requires_torch
def test_sign_of_nan_is_zero():
    _same_outcome(_call("sign"), np.array([np.nan, -0.0, 0.0, -3.0], np.float32))


@requires_torch
def test_round_half_to_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.25, 2.35, -1.55, 1234.5678, 0.125], np.float32)
    _same_outcome(lambda lib, t: lib.round(t), x)
    for d in (0, 1, 2, 3, -1, -2):
        _same_outcome(lambda lib, t: lib.round(t, decimals=d), x)
        _same_outcome(lambda lib, t: lib.round(t, decimals=d), x.astype(np.float64))
        _same_outcome(lambda lib, t: t.round(decimals=d), x.astype(np.float16))
    check_op(lambda lib, t: lib.round(t, decimals=2), [x])


@requires_torch
def test_round_decimals_rejects_integers():
    x = np.array([1, 2])
    _same_outcome(lambda lib, t: lib.round(t), x)
    _same_outcome(lambda lib, t: lib.round(t, decimals=0), x)
    _same_outcome(lambda lib, t: lib.round(t, decimals=2), x)


def test_round_grad_fn_names():
    x = ember.tensor([1.5], requires_grad=True)
    assert ember.round(x).grad_fn.name() == "RoundBackward0"
    assert ember.round(x, decimals=1).grad_fn.name() == "RoundBackward1"


@requires_torch
@pytest.mark.parametrize("eps", [None, 0.0, 0.05, 0.2, 0.6])
def test_logit_eps(eps):
    x = np.array([0., 0.05, 0.3, 0.5, 0.95, 1., -1., 2.], np.float32)
    _same_outcome(lambda lib, t: lib.logit(t, eps), x)
    _same_outcome(lambda lib, t: t.logit(eps=eps), x)
    check_op(lambda lib, t: lib.logit(t, eps), [x])
    check_op(lambda lib, t: lib.logit(t, eps), [x.astype(np.float64)])


def test_logit_gradcheck_with_eps(rng):
    x = rng.uniform(0.02, 0.98, (6,))
    gradcheck_op(lambda lib, t: lib.logit(t, 0.1), [x], gradgrad=True)


@requires_torch
def test_relu_int_and_errors():
    _same_outcome(_call("relu"), np.array([-2, 0, 3]))
    _same_outcome(_call("relu"), np.array([True, False]))
    _same_outcome(_call("relu"), np.array([1 + 1j]))
    x = ember.tensor([-1, 2])
    assert x.relu_() is x and x.tolist() == [0, 2]


def test_positive_conj_real_return_the_input():
    x = ember.tensor([1., -2.])
    assert ember.positive(x) is x and +x is x
    assert ember.conj(x) is x and x.conj() is x
    assert ember.conj_physical(x) is x and x.conj_physical_() is x
    assert ember.real(x) is x and x.real is x
    assert not x.is_conj() and x.resolve_conj() is x and not ember.is_conj(x)


@requires_torch
def test_positive_bool_error():
    _same_outcome(_call("positive"), np.array([True]))
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor"):
        +ember.tensor([True])


# ---------------------------------------------------------------- special functions
@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(special_path, dtype, rng):
    x = np.concatenate([rng.uniform(-8, 8, 200), rng.uniform(0, 3, 50),
                        np.array([0., -0., 1., 2., -0.5, -2.5, 1e-8, 1e-30, 30., 100.,
                                  np.inf, -np.inf, np.nan])]).astype(dtype)
    u = np.concatenate([rng.uniform(-1, 1, 200),
                        np.array([0., -0., 1., -1., 1.5, -2., 0.999999, -0.9999, np.nan])])
    nonint = x[~((x == np.floor(x)) & (x < 0))]
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    cases = [("erf", x), ("erfc", x), ("erfinv", u.astype(dtype)), ("lgamma", x),
             ("digamma", nonint), ("i0", x), ("sinc", x)]
    for name, v in cases:
        e = np.asarray(getattr(ember, name)(ember.tensor(v)))
        t = getattr(torch, name)(torch.tensor(v)).numpy()
        assert e.dtype == t.dtype
        # torch's own float32 kernels are accurate to a few ulp; absolute slack near zeros
        atol = 1e-6 if dtype == np.float32 else 1e-12
        if name in ("lgamma", "digamma"):
            atol = 1e-5 if dtype == np.float32 else 1e-9   # PyTorch's psi loses digits there
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)


@requires_torch
def test_special_poles_and_infinities(special_path):
    x = np.array([0., -0., -1., -2., -7., np.inf, -np.inf, np.nan, 1., 2.])
    for name in ("lgamma", "digamma", "erfinv", "i0", "erf", "erfc"):
        _same_outcome(_call(name), x)
    _same_outcome(_call("i0"), np.array([700., 713., 720., -720.]))
    for n in (1, 2, 3, 4):
        v = x if n > 1 else np.array([0., -0., np.inf, -np.inf, np.nan, 1., 2.])
        _same_outcome(lambda lib, t: lib.polygamma(n, t), v)


def test_trigamma_is_infinite_at_negative_integers(special_path):
    # PyTorch's float reflection gives huge finite values there (sin(pi x) rounding); the
    # limit is +inf
    r = ember.polygamma(1, ember.tensor([-1., -3.], dtype=ember.float64))
    assert np.all(np.isposinf(np.asarray(r)))


@pytest.mark.skipif(unary._sp is None, reason="SciPy not installed")
def test_numpy_special_functions_match_scipy_float64(rng):
    """The NumPy fallbacks are accurate to ~1e-13 relative in float64 (SciPy as reference,
    away from the zeros of lgamma/digamma, where both lose relative accuracy)."""
    sp = unary._sp
    x = np.concatenate([rng.uniform(-6, 6, 5000), np.logspace(-300, 2, 200),
                        -np.logspace(-300, 1.4, 200)])
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(unary._np_erf(x), sp.erf(x), rtol=1e-14, atol=0)
        np.testing.assert_allclose(unary._np_erfc(x), sp.erfc(x), rtol=1e-13, atol=0)
        u = np.concatenate([rng.uniform(-1, 1, 5000), 1 - np.logspace(-16, -1, 200),
                            np.logspace(-300, -1, 100)])
        np.testing.assert_allclose(unary._np_erfinv(u), sp.erfinv(u), rtol=1e-13, atol=0)
        g = np.concatenate([rng.uniform(-20, 20, 5000), np.logspace(-300, 300, 400)])
        g = g[np.abs(g - np.round(g)) > 1e-9]
        np.testing.assert_allclose(unary._np_lgamma(g), sp.gammaln(g), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(unary._np_digamma(g), sp.psi(g), rtol=1e-11, atol=1e-13)
        for n in (1, 2, 3, 6, 12):
            p = np.concatenate([rng.uniform(0, 30, 2000), np.logspace(-8, 8, 200)])
            np.testing.assert_allclose(unary._np_polygamma(n, p), sp.polygamma(n, p),
                                       rtol=1e-13, err_msg=f"polygamma({n})")
        b = np.concatenate([rng.uniform(-60, 60, 5000), np.logspace(-300, 2.8, 200)])
        np.testing.assert_allclose(unary._np_i0(b), sp.i0(b), rtol=1e-13, atol=0)
        np.testing.assert_allclose(unary._np_i1(b), sp.i1(b), rtol=1e-13, atol=0)


@requires_torch
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma(n, special_path, rng):
    pos = rng.uniform(0.2, 5, (3, 4))
    neg = rng.uniform(-5, 0, (7,))
    neg = neg[np.abs(neg - np.round(neg)) > 0.1]
    for dtype in (np.float32, np.float64):
        check_op(lambda lib, t: lib.polygamma(n, t), [pos.astype(dtype)],
                 rtol=1e-4 if dtype == np.float32 else 1e-9)
        check_op(lambda lib, t: lib.polygamma(n, t), [neg.astype(dtype)], grad=n < 3,
                 rtol=1e-4 if dtype == np.float32 else 1e-8)
    check_op(lambda lib, t: t.polygamma(n), [pos.astype(np.float32)])
    gradcheck_op(lambda lib, t: lib.polygamma(n, t), [pos[:1]], gradgrad=True)
    _same_outcome(lambda lib, t: lib.polygamma(n, t), np.array([1, 2, 3]))


@requires_torch
def test_polygamma_errors():
    x = ember.tensor([1.0])
    with pytest.raises(RuntimeError, match="does not support negative n"):
        ember.polygamma(-1, x)
    with pytest.raises(TypeError, match="argument 'n' \\(position 1\\) must be int, not float"):
        ember.polygamma(1.0, x)
    with pytest.raises(TypeError, match="argument 'input' \\(position 2\\) must be Tensor"):
        ember.polygamma(1, 2.0)
    _same_outcome(lambda lib, t: lib.polygamma(2, t), np.array([1j]))


@requires_torch
@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_mvlgamma(p, special_path, rng):
    x = rng.uniform((p - 1) / 2 + 0.1, 6, (2, 3))
    for dtype in (np.float32, np.float64):
        check_op(lambda lib, t: lib.mvlgamma(t, p), [x.astype(dtype)],
                 rtol=1e-4 if dtype == np.float32 else 1e-9)
    check_op(lambda lib, t: t.mvlgamma(p=p), [x.astype(np.float32)])
    gradcheck_op(lambda lib, t: lib.mvlgamma(t, p), [x], gradgrad=True)
    _same_outcome(lambda lib, t: lib.mvlgamma(t, p), np.array([3, 4]))


@requires_torch
def test_mvlgamma_errors():
    _same_outcome(lambda lib, t: lib.mvlgamma(t, 0), np.array([2.5]))
    _same_outcome(lambda lib, t: lib.mvlgamma(t, 2), np.array([0.5, 3.0]))   # inf, no error
    _same_outcome(lambda lib, t: lib.mvlgamma(t, 2), np.array([1j]))
    with pytest.raises(TypeError, match="argument 'p' \\(position 2\\) must be int"):
        ember.mvlgamma(ember.tensor([2.5]), 1.5)


def test_i0_second_derivative_uses_i1(rng):
    x = np.array([0.0, 0.7, -1.3, 25.0])    # 0: I1'(0) = 1/2; 25: asymptotic branch
    gradcheck_op(_call("i0"), [x], gradgrad=True, rtol=1e-4)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "lgamma", "digamma", "i0"])
def test_special_gradcheck_both_paths(name, special_path, rng):
    x = (rng.uniform(-0.9, 0.9, (4,)) if name == "erfinv" else rng.uniform(0.3, 3, (4,)))
    gradcheck_op(_call(name), [x], gradgrad=True)


@requires_torch
@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "lgamma", "digamma", "i0",
                                  "logit", "floor", "ceil", "trunc", "round", "frac", "sign",
                                  "relu", "deg2rad", "rad2deg", "signbit"])
def test_complex_not_supported(name):
    _same_outcome(_call(name), np.array([1 + 1j, 2j], np.complex64))


# ---------------------------------------------------------------- complex inputs
COMPLEX_OPS = ["abs", "exp", "log", "sqrt", "sin", "cos", "conj", "conj_physical", "angle",
               "sgn", "reciprocal", "rsqrt", "square", "exp2", "expm1", "log2", "log10",
               "log1p", "tan", "tanh", "sinh", "cosh", "asin", "acos", "atan", "asinh",
               "acosh", "atanh", "sigmoid", "sinc", "positive"]


@requires_torch
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", COMPLEX_OPS)
def test_complex_values_and_grad(name, dtype, rng):
    z = (rng.uniform(-1.5, 1.5, (2, 3)) + 1j * rng.uniform(-1.5, 1.5, (2, 3))).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.complex64 else dict(rtol=1e-9, atol=1e-10)
    check_op(_call(name), [z], **tol)


@requires_torch
@pytest.mark.parametrize("part", ["real", "imag"])
def test_complex_parts_grad(part, rng):
    z = (rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype(np.complex64)
    check_op(lambda lib, t: getattr(t, part), [z])
    check_op(lambda lib, t: getattr(lib, part)(t) * 2, [z])
    check_op(lambda lib, t: getattr(t, part).exp() + lib.abs(t), [z])


@requires_torch
def test_complex_edges():
    z = np.array([0j, 1 + 0j, -1 + 0j, 1j, -2.5 - 0.5j], np.complex64)
    for name in ("abs", "sgn", "angle", "sqrt", "exp", "log", "sinc"):
        check_op(_call(name), [z], weighted=False)
    _same_outcome(_call("sign"), z)


@requires_torch
def test_complex_double_backward(rng):
    z = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex128)

    def second(lib, t):
        y = (lib.exp(t) * lib.sin(t) + lib.sqrt(t) * lib.log(t)).abs().sum()
        g, = lib.autograd.grad(y, t, create_graph=True)
        return g.abs()
    check_op(second, [z], rtol=1e-8, atol=1e-9)


def test_real_imag_are_views():
    z = ember.tensor([1 + 2j, 3 - 1j])
    r, i = z.real, z.imag
    assert r.dtype is ember.float32 and i.dtype is ember.float32
    assert np.shares_memory(np.asarray(r), np.asarray(z)) and np.shares_memory(
        np.asarray(i), np.asarray(z))
    v = z._version
    r.mul_(7)
    i.neg_()
    assert z.tolist() == [7 - 2j, 21 + 1j] and z._version == v + 2
    ember.real(z).mul_(2)
    assert z.tolist() == [14 - 2j, 42 + 1j]
    z.imag = ember.tensor([5., 6.])
    assert z.tolist() == [14 + 5j, 42 + 6j]
    z.real = 0
    assert z.tolist() == [5j, 6j]


def test_imag_of_real_tensor_raises():
    x = ember.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes."):
        x.imag
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        ember.imag(x)
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        x.imag = ember.tensor([1.0, 1.0])


def test_conj_of_complex_copies_and_negates_imag():
    z = ember.tensor([1 + 2j])
    c = ember.conj(z)
    assert c.tolist() == [1 - 2j] and z.tolist() == [1 + 2j]
    z.conj_physical_()
    assert z.tolist() == [1 - 2j]


# ---------------------------------------------------------------- in-place, out=, errors
@requires_torch
@pytest.mark.parametrize("name", INPLACE)
def test_inplace(name, rng):
    x = _sample(name, rng, (2, 3), np.float32)

    def fn(lib, t):
        y = t * 1.0
        if lib is torch and name in NO_TORCH_INPLACE_GRAD:
            return getattr(y, name)()
        r = getattr(y, name + "_")()
        assert r is y
        return y
    check_op(fn, [x])


# PyTorch has no derivative for these in-place forms; ember has (the out-of-place one's)
NO_TORCH_INPLACE_GRAD = {"asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh"}


@requires_torch
@pytest.mark.parametrize("name", ["exp", "sqrt", "sin", "erf", "sigmoid", "reciprocal"])
def test_inplace_on_integer_tensor_raises(name):
    _same_outcome(lambda lib, t: getattr(t, name + "_")(), np.array([1, 2]))


@requires_torch
@pytest.mark.parametrize("name", ["abs", "floor", "ceil", "trunc", "round", "sign", "square",
                                  "relu"])
def test_inplace_on_integer_tensor_keeps_dtype(name):
    _same_outcome(lambda lib, t: getattr(t, name + "_")(), np.array([-2, 0, 3]))


def test_inplace_bumps_version_and_checks_leaf():
    x = ember.tensor([0.5, 1.0])
    v = x._version
    x.exp_()
    assert x._version == v + 1
    np.testing.assert_allclose(np.asarray(x), np.exp([0.5, 1.0]), rtol=1e-6)
    leaf = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.sin_()


def test_inplace_invalidates_saved_tensor():
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    y = x * 1
    z = y.sin()              # saves y
    y.exp_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_torch_namespace_inplace_functions():
    x = ember.tensor([0.25, 4.0])
    assert ember.sqrt_(x) is x and x.tolist() == [0.5, 2.0]
    ember.relu_(ember.tensor([-1.0]))
    x = ember.tensor([1.5, 2.5])
    x.polygamma_(1)
    np.testing.assert_allclose(np.asarray(x), [math.pi ** 2 / 2 - 4, math.pi ** 2 / 2 - 4 - 4 / 9],
                               rtol=1e-6)
    x = ember.tensor([2.5, 3.0])
    x.mvlgamma_(2)
    expected = [math.lgamma(v) + math.lgamma(v - 0.5) + 0.5 * math.log(math.pi) for v in (2.5, 3)]
    np.testing.assert_allclose(np.asarray(x), expected, rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", ["exp", "abs", "lgamma", "floor", "sqrt", "sign", "angle",
                                  "signbit", "erfinv", "sinc"])
def test_out(name, rng):
    x = rng.uniform(-0.9, 0.9, (2, 3)).astype(np.float32)
    dt = "bool" if name == "signbit" else "float32"
    results = []
    for lib in (ember, torch):
        out = lib.empty(2, 3, dtype=getattr(lib, dt))
        assert getattr(lib, name)(lib.tensor(x), out=out) is out
        results.append(np.asarray(out) if lib is ember else out.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_out_errors():
    x = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        ember.exp(x, out=ember.empty(2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="signbit does not support non-boolean outputs."):
        ember.signbit(ember.tensor([1.0]), out=ember.empty(1))
    xg = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support "
                                           "automatic differentiation"):
        ember.exp(xg, out=ember.empty(2))
    out = ember.empty(2, dtype=ember.float64)
    ember.sqrt(ember.tensor([4, 9]), out=out)
    assert out.tolist() == [2.0, 3.0] and out.dtype is ember.float64


@pytest.mark.parametrize("name", ["exp", "abs", "sigmoid", "round", "logit", "relu", "angle",
                                  "real", "conj", "signbit", "erf"])
def test_non_tensor_input_raises_type_error(name):
    with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'input' \\(position 1\\) "
                                        "must be Tensor, not float"):
        getattr(ember, name)(2.0)


def test_grad_fn_names():
    x = ember.tensor([0.3, 0.6], requires_grad=True)
    z = ember.tensor([0.3 + 1j], requires_grad=True)
    expected = {"log1p": "Log1PBackward0", "square": "PowBackward0", "fix": "TruncBackward0",
                "absolute": "AbsBackward0", "arcsin": "AsinBackward0", "i0": "I0Backward0",
                "deg2rad": "Deg2RadBackward0", "sigmoid": "SigmoidBackward0",
                "relu": "ReluBackward0", "sgn": "SgnBackward0", "logit": "LogitBackward0"}
    for name, fn_name in expected.items():
        assert getattr(ember, name)(x).grad_fn.name() == fn_name
    assert ember.polygamma(2, x).grad_fn.name() == "PolygammaBackward0"
    assert ember.mvlgamma(x + 2, 2).grad_fn.name() == "MvlgammaBackward0"
    assert ember.conj(z).grad_fn.name() == "ConjBackward0"
    assert ember.conj_physical(z).grad_fn.name() == "ConjPhysicalBackward0"
    assert z.real.grad_fn.name() == "SelectBackward0"
    assert ember.signbit(x).grad_fn is None and ember.signbit(x).dtype is ember.bool
    assert ember.floor(ember.tensor([1.5])).grad_fn is None


def test_no_numpy_warnings_on_domain_errors():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ember.tensor([0.0, -1.0, 2.0])
        for name in ("log", "sqrt", "rsqrt", "reciprocal", "log1p", "acosh", "atanh", "lgamma",
                     "digamma", "erfinv", "logit", "sinc", "i0", "log2", "log10", "asin"):
            getattr(ember, name)(x)
        ember.polygamma(2, x)


def test_abs_dunder_and_builtin_names_exported():
    x = ember.tensor([-1.5, 2.0])
    assert abs(x).tolist() == [1.5, 2.0]
    assert ember.round(ember.tensor([2.5])).tolist() == [2.0]
    assert round(2.5) == 2 and math.isclose(abs(-1.0), 1.0)
