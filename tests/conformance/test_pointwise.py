"""Conformance of ember/ops/pointwise.py against PyTorch: binary/ternary elementwise ops,
their operator, reflected, in-place and out= forms, gradients (check_op compares them with
torch's; gradcheck_op checks them by finite differences) and errors."""
import re

import numpy as np
import pytest

import ember
from .harness import check_op, gradcheck_op, requires_torch, torch

SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)), ((), ())]


def _gen(kind, shape, rng, dtype=np.float64):
    """Inputs away from each op's singular points, so gradients are well defined."""
    if kind == "any":
        a = rng.standard_normal(shape)
    elif kind == "pos":
        a = rng.uniform(0.5, 2.0, shape)
    elif kind == "nonzero":
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    else:
        raise ValueError(kind)
    return np.asarray(a, dtype=dtype)


# name -> (function, x kind, y kind, differentiable, gradgrad)
BINARY = {
    "floor_divide": (lambda L, x, y: L.floor_divide(x, y), "any", "nonzero", False, False),
    "remainder": (lambda L, x, y: L.remainder(x, y), "any", "nonzero", True, True),
    "fmod": (lambda L, x, y: L.fmod(x, y), "any", "nonzero", True, True),
    "pow": (lambda L, x, y: L.pow(x, y), "pos", "any", True, True),
    "float_power": (lambda L, x, y: L.float_power(x, y), "pos", "any", True, True),
    "maximum": (lambda L, x, y: L.maximum(x, y), "any", "any", True, True),
    "minimum": (lambda L, x, y: L.minimum(x, y), "any", "any", True, True),
    "fmax": (lambda L, x, y: L.fmax(x, y), "any", "any", True, True),
    "fmin": (lambda L, x, y: L.fmin(x, y), "any", "any", True, True),
    "atan2": (lambda L, x, y: L.atan2(x, y), "any", "nonzero", True, True),
    "arctan2": (lambda L, x, y: L.arctan2(x, y), "any", "nonzero", True, False),
    "hypot": (lambda L, x, y: L.hypot(x, y), "nonzero", "nonzero", True, True),
    "logaddexp": (lambda L, x, y: L.logaddexp(x, y), "any", "any", True, True),
    "logaddexp2": (lambda L, x, y: L.logaddexp2(x, y), "any", "any", True, True),
    "xlogy": (lambda L, x, y: L.xlogy(x, y), "any", "pos", True, True),
    "copysign": (lambda L, x, y: L.copysign(x, y), "nonzero", "nonzero", True, True),
    "ldexp": (lambda L, x, y: L.ldexp(x, y), "any", "any", True, True),
    "heaviside": (lambda L, x, y: L.heaviside(x, y), "any", "any", False, False),
}


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_float(name, dtype, shapes, rng):
    fn, kx, ky, diff, _ = BINARY[name]
    x, y = _gen(kx, shapes[0], rng, dtype), _gen(ky, shapes[1], rng, dtype)
    check_op(fn, [x, y], grad=diff)


@pytest.mark.parametrize("name", [n for n, v in BINARY.items() if v[3]])
def test_binary_gradcheck(name, rng):
    fn, kx, ky, _, gradgrad = BINARY[name]
    x, y = _gen(kx, (3, 1), rng), _gen(ky, (4,), rng)
    gradcheck_op(fn, [x, y], gradgrad=gradgrad)


@pytest.mark.parametrize("name", ["floor_divide", "heaviside"])
def test_no_derivative(name, rng):
    """PyTorch gives these a NotImplemented node whose backward raises."""
    fn = BINARY[name][0]
    x = ember.tensor([1.5, -2.0], requires_grad=True)
    out = fn(ember, x, ember.tensor([0.5, 2.0]))
    assert repr(out.grad_fn).startswith("<NotImplemented object")
    assert "grad_fn=<NotImplemented>" in repr(out)
    with pytest.raises(RuntimeError, match=f"derivative for aten::{name} is not implemented"):
        out.sum().backward()


GRAD_FN_NAMES = [
    (lambda L, x, y: L.pow(x, 2), "PowBackward0"),
    (lambda L, x, y: L.pow(x, y), "PowBackward1"),
    (lambda L, x, y: L.pow(2, y), "PowBackward2"),
    (lambda L, x, y: x ** y, "PowBackward1"),
    (lambda L, x, y: 2.5 ** y, "PowBackward2"),
    (lambda L, x, y: L.remainder(x, 2.0), "RemainderBackward0"),
    (lambda L, x, y: L.remainder(x, y), "RemainderBackward1"),
    (lambda L, x, y: L.fmod(x, 2.0), "FmodBackward0"),
    (lambda L, x, y: L.fmod(x, y), "FmodBackward1"),
    (lambda L, x, y: L.div(x, y, rounding_mode="floor"), "DivBackward2"),
    (lambda L, x, y: L.div(x, y, rounding_mode="trunc"), "DivBackward2"),
    (lambda L, x, y: L.xlogy(x, y), "XlogyBackward0"),
    (lambda L, x, y: L.xlogy(2.0, y), "XlogyBackward1"),
    (lambda L, x, y: L.xlogy(x, 2.0), "XlogyBackward2"),
    (lambda L, x, y: L.copysign(x, y), "CopysignBackward0"),
    (lambda L, x, y: L.copysign(x, -1.0), "CopysignBackward1"),
    (lambda L, x, y: L.clamp(x, 0, 1), "ClampBackward1"),
    (lambda L, x, y: L.clamp(x, min=y), "ClampBackward0"),
    (lambda L, x, y: L.clamp_min(x, 0), "ClampMinBackward0"),
    (lambda L, x, y: L.clamp_min(x, y), "ClampMinBackward1"),
    (lambda L, x, y: L.clamp_max(x, 0), "ClampMaxBackward0"),
    (lambda L, x, y: L.clamp_max(x, y), "ClampMaxBackward1"),
    (lambda L, x, y: L.lerp(x, y, 0.3), "LerpBackward0"),
    (lambda L, x, y: L.lerp(x, y, y), "LerpBackward1"),
    (lambda L, x, y: L.addcmul(x, x, y), "AddcmulBackward0"),
    (lambda L, x, y: L.addcdiv(x, x, y), "AddcdivBackward0"),
    (lambda L, x, y: L.maximum(x, y), "MaximumBackward0"),
    (lambda L, x, y: L.fmin(x, y), "FminBackward0"),
    (lambda L, x, y: L.atan2(x, y), "Atan2Backward0"),
    (lambda L, x, y: L.hypot(x, y), "HypotBackward0"),
    (lambda L, x, y: L.logaddexp(x, y), "LogaddexpBackward0"),
    (lambda L, x, y: L.logaddexp2(x, y), "Logaddexp2Backward0"),
    (lambda L, x, y: L.ldexp(x, y), "LdexpBackward0"),
    (lambda L, x, y: L.nan_to_num(x), "NanToNumBackward0"),
    (lambda L, x, y: L.float_power(x, 2), "PowBackward0"),
]


@requires_torch
@pytest.mark.parametrize("fn,name", GRAD_FN_NAMES)
def test_grad_fn_names(fn, name):
    xt = torch.tensor([1.5, 2.5], requires_grad=True)
    yt = torch.tensor([0.5, 2.0], requires_grad=True)
    assert fn(torch, xt, yt).grad_fn.name() == name
    xe = ember.tensor([1.5, 2.5], requires_grad=True)
    ye = ember.tensor([0.5, 2.0], requires_grad=True)
    assert fn(ember, xe, ye).grad_fn.name() == name


# ---------------------------------------------------------------- scalars, ints, bools
SCALAR_CASES = [
    lambda L, x: L.floor_divide(x, 2), lambda L, x: L.floor_divide(x, -1.5),
    lambda L, x: x // 2.5, lambda L, x: 7 // x, lambda L, x: L.floor_divide(3, x),
    lambda L, x: L.remainder(x, 1.5), lambda L, x: x % -2, lambda L, x: 5.5 % x,
    lambda L, x: L.remainder(-3, x),
    lambda L, x: L.fmod(x, 1.5), lambda L, x: L.fmod(x, -2),
    lambda L, x: x ** 2, lambda L, x: x ** 0, lambda L, x: x ** -1, lambda L, x: x ** 0.5,
    lambda L, x: L.pow(x.abs(), 2.5), lambda L, x: 2 ** x, lambda L, x: 1.5 ** x,
    lambda L, x: L.pow(3, x), lambda L, x: L.float_power(x, 2), lambda L, x: L.float_power(2, x),
    lambda L, x: L.xlogy(x, 3), lambda L, x: L.xlogy(2.5, x.abs()),
    lambda L, x: L.copysign(x, -1), lambda L, x: L.copysign(x, 0.0),
    lambda L, x: L.clamp(x, -0.5, 0.5), lambda L, x: L.clamp(x, min=0),
    lambda L, x: L.clamp(x, max=0.25), lambda L, x: L.clip(x, -1, 2),
    lambda L, x: L.clamp(x, 1.0, -1.0), lambda L, x: L.clamp_min(x, 0.1),
    lambda L, x: L.clamp_max(x, 0.1), lambda L, x: x.clamp(-1),
    lambda L, x: L.lerp(x, x * 2, 0.25), lambda L, x: L.lerp(x, x * 2, 0.75),
    lambda L, x: L.lerp(x, x * 2, 1),
    lambda L, x: L.addcmul(x, x, x, value=0.5), lambda L, x: L.addcdiv(x, x, x + 3, value=-2),
    lambda L, x: L.nan_to_num(x), lambda L, x: L.logical_not(x),
]


@pytest.mark.parametrize("shape", [(3, 4), (), (5,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(SCALAR_CASES)))
def test_scalar_operands(case, dtype, shape, rng):
    x = np.asarray(rng.standard_normal(shape) * 2, dtype=dtype)
    fn = SCALAR_CASES[case]
    # floor_divide and remainder(Number, Tensor) have no derivative in PyTorch
    grad = case not in (0, 1, 2, 3, 4, 7, 8)
    check_op(fn, [x], grad=grad)


@pytest.mark.parametrize("case", [c for c in range(len(SCALAR_CASES))
                                  if c not in (0, 1, 2, 3, 4, 7, 8)])
def test_scalar_operands_gradcheck(case, rng):
    x = rng.uniform(0.3, 1.7, (3,)) * rng.choice([-1.0, 1.0], (3,))
    if case == 14:   # x ** 0.5
        x = np.abs(x)
    gradcheck_op(SCALAR_CASES[case], [x], gradgrad=True)


INT_CASES = [
    lambda L, a, b: L.floor_divide(a, b), lambda L, a, b: a // b, lambda L, a, b: a // -3,
    lambda L, a, b: 17 // b, lambda L, a, b: L.remainder(a, b), lambda L, a, b: a % b,
    lambda L, a, b: a % -3, lambda L, a, b: -17 % b, lambda L, a, b: L.fmod(a, b),
    lambda L, a, b: L.fmod(a, -3), lambda L, a, b: L.fmod(a, 2.5),
    lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
    lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    lambda L, a, b: L.div(a, 2.5, rounding_mode="floor"),
    lambda L, a, b: L.div(a, -3, rounding_mode="trunc"),
    lambda L, a, b: a ** 2, lambda L, a, b: a ** 2.5, lambda L, a, b: a ** b.abs(),
    lambda L, a, b: a ** b, lambda L, a, b: 2 ** b.abs(), lambda L, a, b: 2.0 ** b,
    lambda L, a, b: L.pow(-1, b), lambda L, a, b: L.pow(0, b), lambda L, a, b: L.pow(1, b),
    lambda L, a, b: L.float_power(a, 2), lambda L, a, b: L.float_power(a, b),
    lambda L, a, b: L.maximum(a, b), lambda L, a, b: L.minimum(a, b),
    lambda L, a, b: L.fmax(a, b), lambda L, a, b: L.fmin(a, b),
    lambda L, a, b: L.atan2(a, b), lambda L, a, b: L.xlogy(a, b), lambda L, a, b: L.xlogy(a, 3),
    lambda L, a, b: L.copysign(a, b), lambda L, a, b: L.copysign(a, -1),
    lambda L, a, b: L.ldexp(a, b.abs()), lambda L, a, b: L.ldexp(a.double(), b.abs()),
    lambda L, a, b: L.addcmul(a, a, b, value=2), lambda L, a, b: L.addcmul(a, a, b, value=2.7),
    lambda L, a, b: L.addcdiv(a, a.float(), b, value=2),
    lambda L, a, b: L.clamp(a, -2, 3), lambda L, a, b: L.clamp(a, min=1.5),
    lambda L, a, b: L.clamp(a, min=b), lambda L, a, b: L.clamp(a, b, b + 2),
    lambda L, a, b: L.clamp(a, max=L.tensor(0.5)),
    lambda L, a, b: L.bitwise_and(a, b), lambda L, a, b: L.bitwise_or(a, b),
    lambda L, a, b: L.bitwise_xor(a, b), lambda L, a, b: L.bitwise_not(a),
    lambda L, a, b: a & b, lambda L, a, b: a | 6, lambda L, a, b: a ^ -1, lambda L, a, b: 5 & a,
    lambda L, a, b: 5 | a, lambda L, a, b: 5 ^ a, lambda L, a, b: ~a,
    lambda L, a, b: L.bitwise_and(3, a),
    lambda L, a, b: a << 2, lambda L, a, b: a >> 1, lambda L, a, b: a << b.abs(),
    lambda L, a, b: a >> b.abs(), lambda L, a, b: a << 70, lambda L, a, b: a >> 70,
    lambda L, a, b: a << -1, lambda L, a, b: a >> -1, lambda L, a, b: 1 << b.abs(),
    lambda L, a, b: 1024 >> b.abs(), lambda L, a, b: L.bitwise_left_shift(a, 3),
    lambda L, a, b: L.bitwise_right_shift(a, b.abs()),
    lambda L, a, b: L.logical_and(a, b), lambda L, a, b: L.logical_or(a, b),
    lambda L, a, b: L.logical_xor(a, b), lambda L, a, b: L.logical_not(a),
    lambda L, a, b: L.nan_to_num(a), lambda L, a, b: L.heaviside(a, b),
]


@requires_torch
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
@pytest.mark.parametrize("case", range(len(INT_CASES)))
def test_int_inputs(case, dtype, rng):
    lo = 0 if dtype == np.uint8 else -9
    a = rng.integers(lo, 10, (3, 4)).astype(dtype)
    b = rng.choice([v for v in (-4, -3, -1, 1, 2, 3, 5) if v >= lo or lo == -9], (4,))
    b = b.astype(dtype)
    fn = INT_CASES[case]
    try:
        torch_res = fn(torch, torch.tensor(a), torch.tensor(b))
    except Exception as e:  # some combinations are errors in PyTorch too: same error here
        with pytest.raises(type(e)):
            fn(ember, ember.tensor(a), ember.tensor(b))
        return
    del torch_res
    check_op(fn, [a, b])


BOOL_CASES = [
    lambda L, a, b: a & b, lambda L, a, b: a | b, lambda L, a, b: a ^ b, lambda L, a, b: ~a,
    lambda L, a, b: a & True, lambda L, a, b: a | 1, lambda L, a, b: False ^ a,
    lambda L, a, b: L.bitwise_not(a), lambda L, a, b: a ** 2, lambda L, a, b: 2 ** a,
    lambda L, a, b: a << 1, lambda L, a, b: a // 2, lambda L, a, b: a % 2,
    lambda L, a, b: L.maximum(a, b), lambda L, a, b: L.minimum(a, b),
    lambda L, a, b: L.atan2(a, b), lambda L, a, b: L.copysign(a, b), lambda L, a, b: L.xlogy(a, b),
    lambda L, a, b: L.ldexp(a, b), lambda L, a, b: L.heaviside(a, b),
    lambda L, a, b: L.clamp(a, min=b), lambda L, a, b: L.clamp(a, 0, 1),
    lambda L, a, b: L.nan_to_num(a),
    lambda L, a, b: L.logical_and(a, b), lambda L, a, b: L.logical_xor(a, b),
    lambda L, a, b: L.addcmul(a.int(), a, b),
]


@pytest.mark.parametrize("case", range(len(BOOL_CASES)))
def test_bool_inputs(case, rng):
    a = rng.integers(0, 2, (3, 4)).astype(bool)
    b = rng.integers(0, 2, (4,)).astype(bool)
    check_op(BOOL_CASES[case], [a, b])


MIXED_CASES = [
    # (x dtype, y dtype, y shape): 0-dim operands don't widen dimensioned ones of the same kind
    (np.float32, np.float64, ()), (np.float32, np.float64, (4,)), (np.int64, np.float32, ()),
    (np.int32, np.int64, ()), (np.int32, np.int64, (4,)), (np.float32, np.int64, (4,)),
    (np.int64, np.float64, ()), (np.uint8, np.int8, (4,)), (np.bool_, np.float32, ()),
]
MIXED_OPS = ["remainder", "fmod", "pow", "maximum", "minimum", "fmax", "fmin", "atan2",
             "xlogy", "copysign", "ldexp", "floor_divide", "float_power"]


@pytest.mark.parametrize("xd,yd,ys", MIXED_CASES)
@pytest.mark.parametrize("name", MIXED_OPS)
def test_mixed_dtypes(name, xd, yd, ys, rng):
    x = (rng.uniform(1, 4, (3, 4))).astype(xd)
    y = (rng.uniform(1, 3, ys)).astype(yd)
    # PyTorch's own atan2 backward fails for a bool input (it negates the bool tensor)
    grad = name != "floor_divide" and not (name == "atan2" and xd is np.bool_)
    check_op(BINARY[name][0], [x, y], grad=grad)


# ---------------------------------------------------------------- special values and ties
INF, NAN = float("inf"), float("nan")
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, INF, -INF, NAN])


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "pow", "maximum",
                                  "minimum", "fmax", "fmin", "atan2", "hypot", "logaddexp",
                                  "logaddexp2", "xlogy", "copysign", "heaviside"])
def test_special_values(name):
    x = np.repeat(SPECIAL, len(SPECIAL)).astype(np.float32)
    y = np.tile(SPECIAL, len(SPECIAL)).astype(np.float32)
    check_op(BINARY[name][0], [x, y], grad=False)


@pytest.mark.parametrize("name,fn", [
    ("maximum", lambda L, x, y: L.maximum(x, y)), ("minimum", lambda L, x, y: L.minimum(x, y)),
    ("fmax", lambda L, x, y: L.fmax(x, y)), ("fmin", lambda L, x, y: L.fmin(x, y)),
    ("clamp", lambda L, x, y: L.clamp(x, min=y, max=y + 1)),
    ("clamp_max", lambda L, x, y: L.clamp(x, max=y)),
    ("clamp_inverted", lambda L, x, y: L.clamp(x, min=y + 1, max=y)),
    ("clamp_scalar", lambda L, x, y: L.clamp(x, 0.0, 1.0)),
    ("pow0", lambda L, x, y: L.pow(x * 0, y)), ("powscalar0", lambda L, x, y: L.pow(0.0, y)),
    ("powneg", lambda L, x, y: L.pow(-2.0, y)),
    ("copysign0", lambda L, x, y: L.copysign(x * 0, y)),
    ("xlogy0", lambda L, x, y: L.xlogy(x * 0, y)),
    ("atan2_0", lambda L, x, y: L.atan2(x * 0, y * 0)),
    ("nan_to_num", lambda L, x, y: L.nan_to_num(x / 0 * y)),
])
def test_ties_and_edges_gradients(name, fn):
    """Ties and edges use PyTorch's conventions (maximum splits the gradient half-half,
    fmax gives it all to `input`, clamp passes it where min <= x <= max, ...)."""
    x = np.array([0.0, 1.0, 2.0, 3.0, NAN, 1.0, -1.0, 0.0], np.float32)
    y = np.array([0.0, 1.0, 1.0, 4.0, 1.0, NAN, -1.0, -2.0], np.float32)
    check_op(fn, [x, y])


def test_clamp_nan_and_bounds():
    x = np.array([NAN, 1.0, -3.0, 0.5], np.float32)
    check_op(lambda L, x: L.clamp(x, 0, 0.5), [x])
    check_op(lambda L, x: L.clamp(x, min=NAN), [x], grad=False)
    lo = np.array([NAN, 0.0, 0.0, 0.0], np.float32)
    check_op(lambda L, x, lo: L.clamp(x, min=lo), [x, lo], grad=False)


def test_nan_to_num_values():
    x = np.array([NAN, INF, -INF, 1.5, -0.0], np.float32)
    for dt in (np.float32, np.float64, np.float16):
        check_op(lambda L, x: L.nan_to_num(x), [x.astype(dt)], grad=False)
    check_op(lambda L, x: L.nan_to_num(x, 1.0, 2.0, -3.0), [x])
    check_op(lambda L, x: L.nan_to_num(x, nan=7.0, posinf=1e300), [x], grad=False)
    check_op(lambda L, x: x.nan_to_num(posinf=5.0), [x])


def test_int_pow_negative_exponents():
    a = np.array([1, -1, 2, 0, -2, 3], np.int64)
    e = np.array([-1, -1, -1, -1, -2, -3], np.int64)
    check_op(lambda L, a, e: a ** e, [a, e])
    check_op(lambda L, a, e: L.pow(a, e.sum() * 0 - 1), [a, e])  # 0-dim exponent tensor
    check_op(lambda L, a, e: a.to(L.int8) ** 7, [a, e])          # wraps around like C


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                    ((), (4,), ()), ((1, 4), (3, 1), (4,))])
def test_lerp_tensor_weight(shapes, rng):
    s, e = (np.asarray(rng.standard_normal(sh), np.float32) for sh in shapes[:2])
    w = np.asarray(rng.uniform(-0.5, 1.5, shapes[2]), np.float32)   # both formula branches
    check_op(lambda L, a, b, c: L.lerp(a, b, c), [s, e, w])
    gradcheck_op(lambda L, a, b, c: L.lerp(a, b, c), [s, e, w], gradgrad=True)


def test_lerp_scalar_weight(rng):
    s, e = rng.standard_normal((2, 3, 4)).astype(np.float32)
    for w in (0.3, 0.7, 1, -0.5, 1.5):
        check_op(lambda L, a, b: L.lerp(a, b, w), [s, e])
    gradcheck_op(lambda L, a, b: L.lerp(a, b, 0.7), [s, e], gradgrad=True)
    # a 0-dim weight of another float dtype is allowed; its gradient keeps its dtype
    check_op(lambda L, a, b, c: L.lerp(a, b, c), [s, e, np.array(0.3)])


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (1, 4)),
                                    ((), (2, 3), ()), ((2, 1, 4), (3, 1), (4,))])
def test_addcmul_addcdiv(op, shapes, rng):
    a, t1 = (np.asarray(rng.standard_normal(s), np.float32) for s in shapes[:2])
    t2 = _gen("nonzero", shapes[2], rng, np.float32)
    fn = lambda L, a, b, c: getattr(L, op)(a, b, c, value=-1.5)  # noqa: E731
    check_op(fn, [a, t1, t2])
    check_op(lambda L, a, b, c: getattr(L, op)(a, b, c), [a, t1, t2])
    gradcheck_op(fn, [a, t1, t2], gradgrad=True)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                    ((), (3,), None), ((2, 3), None, (3,))])
def test_clamp_tensor_bounds(shapes, rng):
    x = rng.standard_normal(shapes[0])
    lo = None if shapes[1] is None else rng.standard_normal(shapes[1]) - 0.5
    hi = None if shapes[2] is None else rng.standard_normal(shapes[2]) + 0.5
    args = [np.asarray(v, np.float32) for v in (x, lo, hi) if v is not None]

    def fn(L, x, *b):
        b = list(b)
        mn = b.pop(0) if lo is not None else None
        mx = b.pop(0) if hi is not None else None
        return L.clamp(x, mn, mx)
    check_op(fn, args)
    gradcheck_op(fn, args)


def test_clamp_min_max_functions(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    for fn in [lambda L, x, b: L.clamp_min(x, b), lambda L, x, b: L.clamp_max(x, b),
               lambda L, x, b: x.clamp_min(0.2), lambda L, x, b: x.clamp_max(-0.2),
               lambda L, x, b: x.clip(min=b), lambda L, x, b: L.clip(x, max=b)]:
        check_op(fn, [x, b])
        gradcheck_op(fn, [x, b], gradgrad=True)


@pytest.mark.parametrize("fn", [
    lambda L, x, y: L.maximum(x, y), lambda L, x, y: L.clamp(x, -0.5, 0.5),
    lambda L, x, y: L.nan_to_num(x), lambda L, x, y: L.copysign(x, y),
    lambda L, x, y: L.pow(x.abs() + 0.5, y), lambda L, x, y: L.remainder(x, y.abs() + 0.5),
    lambda L, x, y: L.atan2(x, y), lambda L, x, y: L.xlogy(x, y.abs() + 0.5)])
def test_double_backward_vs_torch(fn, rng):
    """Gradients of gradients (create_graph) agree with PyTorch's."""
    x = rng.standard_normal((3, 4))
    y = rng.standard_normal((4,))

    def grads(L):
        xt = L.tensor(x, requires_grad=True)
        yt = L.tensor(y, requires_grad=True)
        out = fn(L, xt, yt)
        gx, = L.autograd.grad((out * out).sum(), [xt], create_graph=True)
        ggx, ggy = L.autograd.grad(gx.sum(), [xt, yt], allow_unused=True)
        return [None if g is None else np.asarray(g.detach().numpy()) for g in (gx, ggx, ggy)]
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    for e, t in zip(grads(ember), grads(torch)):
        if t is None or e is None:
            assert e is None or not np.any(e)
            continue
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- in-place, out=, operators
INPLACE = [
    lambda x, y: x.floor_divide_(y), lambda x, y: x.remainder_(y), lambda x, y: x.fmod_(y),
    lambda x, y: x.pow_(2), lambda x, y: x.pow_(y), lambda x, y: x.atan2_(y),
    lambda x, y: x.arctan2_(y), lambda x, y: x.hypot_(y), lambda x, y: x.xlogy_(y.abs()),
    lambda x, y: x.copysign_(y), lambda x, y: x.ldexp_(y), lambda x, y: x.lerp_(y, 0.3),
    lambda x, y: x.lerp_(y, y), lambda x, y: x.addcmul_(y, y, value=2),
    lambda x, y: x.addcdiv_(y, y.abs() + 1), lambda x, y: x.clamp_(-0.5, 0.5),
    lambda x, y: x.clip_(max=y), lambda x, y: x.clamp_min_(0.1), lambda x, y: x.clamp_max_(y),
    lambda x, y: x.nan_to_num_(), lambda x, y: x.heaviside_(y),
    lambda x, y: x.logical_and_(y), lambda x, y: x.logical_or_(y),
    lambda x, y: x.logical_xor_(y), lambda x, y: x.logical_not_(),
    lambda x, y: x.double().float_power_(y),
]


def _ipow(x, y):
    x **= y
    return x


def _ifloordiv(x, y):
    x //= y
    return x


def _imod(x, y):
    x %= y
    return x


@pytest.mark.parametrize("case", range(len(INPLACE)))
def test_inplace_float(case, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = _gen("nonzero", (4,), rng, np.float32)
    fn = INPLACE[case]

    def run(L, x, y):
        x = x.detach().clone()
        r = fn(x, y)
        return r, x
    check_op(run, [x, y], grad=False)


@pytest.mark.parametrize("fn", [_ipow, _ifloordiv, _imod])
def test_inplace_operators(fn, rng):
    x = rng.uniform(0.5, 3, (3, 4)).astype(np.float32)
    y = rng.uniform(0.5, 3, (4,)).astype(np.float32)

    def run(L, x, y):
        x = x.detach().clone()
        x0 = x
        r = fn(x, y)
        assert r is x0
        return r
    check_op(run, [x, y], grad=False)


def _int_inplace_ops():
    def iand(x, y):
        x &= y
        return x

    def ior(x, y):
        x |= y
        return x

    def ixor(x, y):
        x ^= y
        return x

    def ilshift(x, y):
        x <<= y
        return x

    def irshift(x, y):
        x >>= y
        return x
    return [iand, ior, ixor, ilshift, irshift, lambda x, y: x.bitwise_and_(y),
            lambda x, y: x.bitwise_or_(3), lambda x, y: x.bitwise_xor_(y),
            lambda x, y: x.bitwise_not_(), lambda x, y: x.bitwise_left_shift_(y),
            lambda x, y: x.bitwise_right_shift_(1), lambda x, y: x.pow_(2),
            lambda x, y: x.floor_divide_(y), lambda x, y: x.remainder_(y),
            lambda x, y: x.fmod_(3), lambda x, y: x.clamp_(0, 4), _ipow, _ifloordiv, _imod]


@pytest.mark.parametrize("fn", _int_inplace_ops())
def test_inplace_int(fn, rng):
    x = rng.integers(0, 9, (3, 4))
    y = rng.integers(1, 4, (4,))

    def run(L, x, y):
        x = x.clone()
        x0 = x
        r = fn(x, y)
        assert r is x0
        return r
    check_op(run, [x, y])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda L: L.tensor([1, 2]).pow_(2.5), lambda L: L.tensor([1, 2]).pow_(-1),
    lambda L: L.tensor([1, 2]).atan2_(L.tensor([1, 2])),
    lambda L: L.tensor([1., 2.]).float_power_(2),
    lambda L: L.tensor([1., 2.], dtype=L.float64).float_power_(2j),
    lambda L: L.tensor([1, 2]).ldexp_(L.tensor([1, 2])),
    lambda L: L.tensor([1., 2.]).pow_(L.ones(2, 2)),
    lambda L: L.tensor(1.).lerp_(L.tensor([1., 2.]), 0.5),
    lambda L: L.tensor([1., 2.], requires_grad=True).clamp_(0, 1),
    lambda L: L.tensor([1, 2]).clamp_(min=0.5), lambda L: L.tensor([1, 2]).clamp_max_(0.5),
    lambda L: L.tensor([1, 2]).clamp_(L.tensor(0.5)), lambda L: L.tensor([1, 2]).remainder_(0.5),
])
def test_inplace_errors(fn):
    _same_error(fn)


@pytest.mark.parametrize("fn", [
    lambda L, x, y, o: L.remainder(x, y, out=o), lambda L, x, y, o: L.fmod(x, y, out=o),
    lambda L, x, y, o: L.pow(x, y, out=o), lambda L, x, y, o: L.maximum(x, y, out=o),
    lambda L, x, y, o: L.minimum(x, y, out=o), lambda L, x, y, o: L.fmax(x, y, out=o),
    lambda L, x, y, o: L.fmin(x, y, out=o), lambda L, x, y, o: L.atan2(x, y, out=o),
    lambda L, x, y, o: L.hypot(x, y, out=o), lambda L, x, y, o: L.logaddexp(x, y, out=o),
    lambda L, x, y, o: L.logaddexp2(x, y, out=o), lambda L, x, y, o: L.xlogy(x, y, out=o),
    lambda L, x, y, o: L.copysign(x, y, out=o), lambda L, x, y, o: L.ldexp(x, y, out=o),
    lambda L, x, y, o: L.lerp(x, y, 0.5, out=o), lambda L, x, y, o: L.addcmul(x, x, y, out=o),
    lambda L, x, y, o: L.addcdiv(x, x, y, out=o), lambda L, x, y, o: L.clamp(x, y, out=o),
    lambda L, x, y, o: L.clamp_min(x, 0, out=o), lambda L, x, y, o: L.clamp_max(x, y, out=o),
    lambda L, x, y, o: L.floor_divide(x, y, out=o), lambda L, x, y, o: L.heaviside(x, y, out=o),
    lambda L, x, y, o: L.nan_to_num(x, out=o), lambda L, x, y, o: L.logical_and(x, y, out=o),
    lambda L, x, y, o: L.logical_or(x, y, out=o), lambda L, x, y, o: L.logical_xor(x, y, out=o),
    lambda L, x, y, o: L.logical_not(x, out=o),
    lambda L, x, y, o: L.float_power(x.double(), y, out=o.double()),
    lambda L, x, y, o: L.div(x, y, rounding_mode="floor", out=o),
])
def test_out(fn, rng):
    x = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    y = rng.uniform(0.5, 2, (4,)).astype(np.float32)
    o = np.zeros((2,), np.float32)   # resized to the result's shape, as in PyTorch
    check_op(lambda L, x, y, o: fn(L, x, y, o), [x, y, o], grad=False)


@pytest.mark.parametrize("fn", [
    lambda L, a, b, o: L.bitwise_and(a, b, out=o), lambda L, a, b, o: L.bitwise_or(a, b, out=o),
    lambda L, a, b, o: L.bitwise_xor(a, b, out=o), lambda L, a, b, o: L.bitwise_not(a, out=o),
    lambda L, a, b, o: L.bitwise_left_shift(a, b, out=o),
    lambda L, a, b, o: L.bitwise_right_shift(a, b, out=o),
    lambda L, a, b, o: L.div(a, b, rounding_mode="trunc", out=o),
])
def test_out_int(fn, rng):
    a = rng.integers(-8, 8, (3, 4))
    b = rng.integers(1, 4, (4,))
    check_op(fn, [a, b, np.zeros((3, 4), np.int64)])


def test_operators_reflected(rng):
    x = rng.uniform(0.5, 3, (3, 4)).astype(np.float32)
    for fn in [lambda L, x: x // 0.7, lambda L, x: 2 // x, lambda L, x: 2.5 % x]:
        check_op(fn, [x], grad=False)   # no derivative in PyTorch
    cases = [lambda L, x: x % 0.7, lambda L, x: x ** 1.5, lambda L, x: 1.5 ** x,
             lambda L, x: x ** x, lambda L, x: x.pow(2), lambda L, x: x.float_power(2),
             lambda L, x: x.fmod(0.7), lambda L, x: x.remainder(0.7),
             lambda L, x: x.maximum(x * 0.5 + 0.5), lambda L, x: x.logaddexp(x.flip(0)),
             lambda L, x: x.xlogy(x), lambda L, x: x.lerp(x * 2, 0.1),
             lambda L, x: x.addcmul(x, x), lambda L, x: x.hypot(x), lambda L, x: x.arctan2(x)]
    for fn in cases:
        check_op(fn, [x])


# ---------------------------------------------------------------- division by zero (integers)
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda L: L.tensor([5, -7]) // L.tensor([2, 0]), lambda L: L.tensor([5, -7]) % 0,
    lambda L: L.tensor([5, -7]) % L.tensor(0), lambda L: L.fmod(L.tensor([5]), 0),
    lambda L: L.div(L.tensor([5]), L.tensor([0]), rounding_mode="trunc"),
    lambda L: L.div(L.tensor([5]), 0, rounding_mode="floor"),
    lambda L: L.remainder(3, L.tensor([1, 0])), lambda L: 3 // L.tensor([1, 0]),
    lambda L: L.tensor([5], dtype=L.uint8) // L.tensor([0], dtype=L.uint8),
])
def test_integer_division_by_zero(fn):
    _same_error(fn)


def test_float_division_by_zero_is_not_an_error():
    x = np.array([1.0, -1.0, 0.0, 2.0], np.float32)
    z = np.zeros(4, np.float32)
    for fn in [lambda L, x, z: x // z, lambda L, x, z: x % z, lambda L, x, z: L.fmod(x, z),
               lambda L, x, z: L.div(x, z, rounding_mode="trunc")]:
        check_op(fn, [x, z], grad=False)


# ---------------------------------------------------------------- errors
def _same_error(fn, exact=True):
    """ember raises what PyTorch raises: same exception type and (if exact) message."""
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    with pytest.raises(Exception) as te:
        fn(torch)
    msg = str(te.value).split("\n")[0]
    with pytest.raises(type(te.value), match=re.escape(msg) if exact else None):
        fn(ember)


ERRORS = [
    lambda L: L.ones(2, 3) ** L.ones(4), lambda L: L.maximum(L.ones(2, 3), L.ones(4)),
    lambda L: L.remainder(L.ones(3), L.ones(2, 2)),
    lambda L: L.addcmul(L.ones(3), L.ones(2), L.ones(3)),
    lambda L: L.clamp(L.ones(3), L.ones(2), L.ones(3)),
    lambda L: L.lerp(L.ones(3), L.ones(3), L.ones(2)),
    lambda L: L.clamp(L.ones(3)), lambda L: L.clip(L.ones(3)), lambda L: L.ones(3).clamp_(),
    lambda L: L.tensor([1, 2]) ** -1, lambda L: L.tensor([1], dtype=L.uint8) ** -2,
    lambda L: L.tensor([True]) ** L.tensor([True]),
    lambda L: L.tensor([True]) // L.tensor([True]), lambda L: L.tensor([True]) % True,
    lambda L: L.fmod(L.tensor([True]), L.tensor([True])),
    lambda L: L.div(L.tensor([True]), L.tensor([True]), rounding_mode="trunc"),
    lambda L: L.hypot(L.tensor([1]), L.tensor([2])),
    lambda L: L.logaddexp(L.tensor([1]), L.tensor([2])),
    lambda L: L.logaddexp2(L.tensor([True]), L.tensor([True])),
    lambda L: L.maximum(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.fmin(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.clamp(L.tensor([1j]), min=0),
    lambda L: L.remainder(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.atan2(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.xlogy(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.copysign(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.bitwise_and(L.ones(2), L.ones(2)), lambda L: L.tensor([1, 2]) & 1.5,
    lambda L: L.bitwise_or(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.bitwise_xor(L.ones(2), 1), lambda L: L.bitwise_not(L.ones(2)),
    lambda L: ~L.ones(2), lambda L: L.ones(2) << 1, lambda L: L.tensor([True]) >> L.tensor([True]),
    lambda L: L.lerp(L.tensor([1, 2]), L.tensor([1, 2]), 0.5),
    lambda L: L.lerp(L.tensor([1, 2]), L.tensor([1, 2]), L.tensor([1, 2])),
    lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5),
    lambda L: L.lerp(L.ones(2, dtype=L.float64), L.ones(2), 0.5),
    lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.lerp(L.ones(2), L.ones(2), L.tensor([1, 2])),
    lambda L: L.lerp(L.ones(2, dtype=L.float16), L.ones(2), 0.5),
    lambda L: L.addcdiv(L.tensor([1]), L.tensor([1]), L.tensor([2])),
    lambda L: L.addcdiv(L.ones(1), L.tensor([1]), L.tensor([True])),
    lambda L: L.addcmul(L.ones(1), L.ones(1), L.ones(1), value=1j),
    lambda L: L.heaviside(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.heaviside(L.ones(2), L.tensor(0.5, dtype=L.float64)),
    lambda L: L.heaviside(L.tensor([1j]), L.tensor([1j])),
    lambda L: L.float_power(L.ones(2), 2, out=L.empty(2)),
    lambda L: L.clamp(L.tensor([True]), False, True), lambda L: L.clamp(L.tensor([True]), max=True),
    lambda L: L.clamp(L.tensor([True]), min=False), lambda L: L.clamp_max(L.tensor([True]), False),
    lambda L: L.maximum(L.ones(2), 2), lambda L: L.maximum(2, L.ones(2)),
    lambda L: L.atan2(L.ones(2), 2.0), lambda L: L.hypot(L.ones(2), 2.0),
    lambda L: L.fmax(L.ones(2), 2.0), lambda L: L.ldexp(L.ones(2), 2),
    lambda L: L.heaviside(L.ones(2), 0.5), lambda L: L.logical_and(L.ones(2), 1),
    lambda L: L.addcmul(L.ones(2), 2, L.ones(2)),
    lambda L: L.floor_divide(L.ones(2, requires_grad=True), 2).sum().backward(),
    lambda L: L.remainder(2.0, L.ones(2, requires_grad=True)).sum().backward(),
    lambda L: L.pow(L.ones(2), 2, out=L.empty(2, dtype=L.int64)),
    lambda L: L.nan_to_num(L.ones(2, dtype=L.complex64, requires_grad=True)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    _same_error(ERRORS[case])


LOOSE_ERRORS = [   # same exception type; PyTorch's message lists its overloads
    lambda L: L.fmod(2, L.ones(2)), lambda L: L.pow(2, 3), lambda L: L.xlogy(2, 3),
    lambda L: L.bitwise_and(3, 4), lambda L: L.lerp(L.ones(2), 2.0, 0.5),
    lambda L: L.copysign(2.0, L.ones(2)), lambda L: L.clamp_min(L.ones(2), None),
    lambda L: L.clamp(L.ones(2), min=L.zeros(2), max=2.0),
]


@pytest.mark.parametrize("case", range(len(LOOSE_ERRORS)))
def test_errors_type_only(case):
    _same_error(LOOSE_ERRORS[case], exact=False)


def test_exports_and_methods():
    for name in ["floor_divide", "remainder", "fmod", "pow", "float_power", "maximum",
                 "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot", "logaddexp",
                 "logaddexp2", "xlogy", "xlogy_", "copysign", "ldexp", "ldexp_", "lerp",
                 "addcmul", "addcdiv", "clamp", "clip", "clamp_", "clip_", "clamp_min",
                 "clamp_max", "clamp_min_", "clamp_max_", "bitwise_and", "bitwise_or",
                 "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
                 "logical_and", "logical_or", "logical_xor", "logical_not", "nan_to_num",
                 "nan_to_num_", "heaviside"]:
        assert callable(getattr(ember, name)), name
    for name in ["__floordiv__", "__rfloordiv__", "__ifloordiv__", "__mod__", "__rmod__",
                 "__imod__", "__pow__", "__rpow__", "__ipow__", "__and__", "__rand__",
                 "__iand__", "__or__", "__ror__", "__ior__", "__xor__", "__rxor__", "__ixor__",
                 "__invert__", "__lshift__", "__rlshift__", "__ilshift__", "__rshift__",
                 "__rrshift__", "__irshift__", "float_power_", "atan2_", "arctan2_", "hypot_",
                 "copysign_", "lerp_", "addcmul_", "addcdiv_", "heaviside_", "logical_not_"]:
        assert hasattr(ember.Tensor, name), name


def test_integer_inplace_clamp_min_keeps_dtype():
    x = ember.tensor([1, 5, 9])
    x.clamp_(2, 6)
    assert x.dtype == ember.int64 and x.tolist() == [2, 5, 6]
    v = x[1:]
    v.pow_(2)
    assert x.tolist() == [2, 25, 36]   # in-place ops write through views


# ---------------------------------------------------------------- complex and half precision
COMPLEX_CASES = [
    lambda L, x, y: x ** 2, lambda L, x, y: x ** y, lambda L, x, y: 2 ** x,
    lambda L, x, y: x.pow(1.5), lambda L, x, y: x ** 0, lambda L, x, y: L.lerp(x, y, 0.3),
    lambda L, x, y: L.lerp(x, y, 0.8), lambda L, x, y: L.lerp(x, y, y),
    lambda L, x, y: L.addcmul(x, x, y, value=2), lambda L, x, y: L.addcdiv(x, x, y),
    lambda L, x, y: L.logaddexp(x, y), lambda L, x, y: L.nan_to_num(x),
    lambda L, x, y: L.logical_and(x, y), lambda L, x, y: L.logical_not(x),
    lambda L, x, y: L.float_power(x, 2), lambda L, x, y: L.float_power(x.real, 2j),
]


@pytest.mark.parametrize("case", range(len(COMPLEX_CASES)))
def test_complex(case, rng):
    x = (rng.uniform(0.5, 2, (3, 4)) + 1j * rng.uniform(-1, 1, (3, 4))).astype(np.complex64)
    y = (rng.uniform(0.5, 2, (4,)) + 1j * rng.uniform(-1, 1, (4,))).astype(np.complex64)
    # PyTorch refuses to differentiate complex nan_to_num
    check_op(COMPLEX_CASES[case], [x, y], grad=case != 11)


HALF_CASES = ["remainder", "fmod", "floor_divide", "pow", "maximum", "fmin", "atan2", "hypot",
              "logaddexp", "xlogy", "copysign", "ldexp", "heaviside"]


@pytest.mark.parametrize("name", HALF_CASES)
def test_float16(name, rng):
    fn, kx, ky, diff, _ = BINARY[name]
    x, y = _gen(kx, (3, 4), rng, np.float16), _gen(ky, (4,), rng, np.float16)
    check_op(fn, [x, y], grad=diff, atol=2e-3, rtol=2e-3)
    check_op(lambda L, x: L.clamp(x, -0.5, 0.5), [x], atol=2e-3, rtol=2e-3)


def test_nan_to_num_gradcheck(rng):
    gradcheck_op(lambda L, x: L.nan_to_num(x, nan=1.0), [rng.standard_normal((3, 2))],
                 gradgrad=True)
