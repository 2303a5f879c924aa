"""Property tests: broadcasting shapes and result dtypes of binary elementwise ops.

Shapes are checked against NumPy's broadcasting rules (`np.broadcast_shapes`), dtypes against
a reference of PyTorch's promotion written out here (its pairwise table, copied from
PyTorch 2.13, and its three priority groups: dimensioned tensors, 0-dim tensors, Python
numbers), plus a literal table of PyTorch's answers for tensor/scalar and tensor/0-dim
cases. With torch installed, the drawn cases are also compared with `torch.result_type`.
"""
import builtins

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import ember

try:
    import torch
except ImportError:   # PyTorch is an optional oracle
    torch = None

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SHORT = ["b1", "u1", "i1", "i2", "i4", "i8", "f2", "f4", "f8"]
# torch.promote_types(row, column), PyTorch 2.13
PROMOTE_TABLE = """
      b1  u1  i1  i2  i4  i8  f2  f4  f8
 b1:  b1  u1  i1  i2  i4  i8  f2  f4  f8
 u1:  u1  u1  i2  i2  i4  i8  f2  f4  f8
 i1:  i1  i2  i1  i2  i4  i8  f2  f4  f8
 i2:  i2  i2  i2  i2  i4  i8  f2  f4  f8
 i4:  i4  i4  i4  i4  i4  i8  f2  f4  f8
 i8:  i8  i8  i8  i8  i8  i8  f2  f4  f8
 f2:  f2  f2  f2  f2  f2  f2  f2  f4  f8
 f4:  f4  f4  f4  f4  f4  f4  f4  f4  f8
 f8:  f8  f8  f8  f8  f8  f8  f8  f8  f8
"""
_S2N = dict(zip(SHORT, NAMES))
PROMOTE = {}
for _line in PROMOTE_TABLE.strip().splitlines()[1:]:
    _row, _rest = _line.split(":")
    for _col, _res in zip(SHORT, _rest.split()):
        PROMOTE[_S2N[_row.strip()], _S2N[_col]] = _S2N[_res]

# torch.result_type(1-d tensor of dtype, operand), PyTorch 2.13: Python True/2/2.5, then 0-dim
# tensors of bool/int8/int64/float16/float64
SCALAR_TABLE = {
    "bool": (["bool", "int64", "float32"], ["bool", "int8", "int64", "float16", "float64"]),
    "uint8": (["uint8", "uint8", "float32"], ["uint8", "uint8", "uint8", "float16", "float64"]),
    "int8": (["int8", "int8", "float32"], ["int8", "int8", "int8", "float16", "float64"]),
    "int16": (["int16", "int16", "float32"], ["int16", "int16", "int16", "float16", "float64"]),
    "int32": (["int32", "int32", "float32"], ["int32", "int32", "int32", "float16", "float64"]),
    "int64": (["int64", "int64", "float32"], ["int64", "int64", "int64", "float16", "float64"]),
    "float16": (["float16"] * 3, ["float16"] * 5),
    "float32": (["float32"] * 3, ["float32"] * 5),
    "float64": (["float64"] * 3, ["float64"] * 5),
}
SCALARS = [True, 2, 2.5]
ZERO_DIM = ["bool", "int8", "int64", "float16", "float64"]


def _category(name):
    return 0 if name == "bool" else 2 if name.startswith("float") else 1


def _combine(higher, lower):
    """A lower-priority group changes the result only if it is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if _category(higher) == 2:
        return higher
    if higher == "bool" or _category(lower) == 2:
        return PROMOTE[higher, lower]
    return higher


def reference_result_type(operands):
    """operands: ("dim", name) | ("zero", name) | ("scalar", python value)."""
    groups = {"dim": None, "zero": None, "scalar": None}
    for kind, v in operands:
        if kind == "scalar":
            v = "bool" if isinstance(v, bool) else "int64" if isinstance(v, int) else "float32"
        g = groups[kind]
        groups[kind] = v if g is None else PROMOTE[g, v]
    return _combine(groups["dim"], _combine(groups["zero"], groups["scalar"]))


# ---------------------------------------------------------------- the literal tables
@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("b", NAMES)
def test_promote_types_table(a, b):
    assert ember.promote_types(getattr(ember, a), getattr(ember, b)) is \
        getattr(ember, PROMOTE[a, b])


@pytest.mark.parametrize("name", NAMES)
def test_scalar_and_zero_dim_table(name):
    t = ember.ones(2, dtype=getattr(ember, name))
    scal, zero = SCALAR_TABLE[name]
    for s, want in zip(SCALARS, scal):
        assert str(ember.result_type(t, s)) == "torch." + want
        assert reference_result_type([("dim", name), ("scalar", s)]) == want
    for z, want in zip(ZERO_DIM, zero):
        zt = ember.tensor(1, dtype=getattr(ember, z))
        assert str(ember.result_type(t, zt)) == "torch." + want
        assert str((t * zt).dtype) == "torch." + want
        assert reference_result_type([("dim", name), ("zero", z)]) == want


# ---------------------------------------------------------------- drawn cases
# name -> (function, result rule, which result categories are allowed)
def _same(dt):
    return dt


def _floating(dt):
    return dt if _category(dt) == 2 else "float32"


OPS = {
    "add": (lambda L, a, b: L.add(a, b), _same, {0, 1, 2}),
    "mul": (lambda L, a, b: a * b, _same, {0, 1, 2}),
    "sub": (lambda L, a, b: a - b, _same, {1, 2}),
    "maximum": (lambda L, a, b: L.maximum(a, b), _same, {0, 1, 2}),
    "minimum": (lambda L, a, b: L.minimum(a, b), _same, {0, 1, 2}),
    "fmax": (lambda L, a, b: L.fmax(a, b), _same, {0, 1, 2}),
    "remainder": (lambda L, a, b: a % b, _same, {1, 2}),
    "fmod": (lambda L, a, b: L.fmod(a, b), _same, {1, 2}),
    "floor_divide": (lambda L, a, b: a // b, _same, {1, 2}),
    "pow": (lambda L, a, b: a ** b, _same, {1, 2}),
    "div": (lambda L, a, b: a / b, _floating, {0, 1, 2}),
    "atan2": (lambda L, a, b: L.atan2(a, b), _floating, {0, 1, 2}),
    "copysign": (lambda L, a, b: L.copysign(a, b), _floating, {0, 1, 2}),
    "xlogy": (lambda L, a, b: L.xlogy(a, b), _floating, {0, 1, 2}),
    "hypot": (lambda L, a, b: L.hypot(a, b), _same, {2}),
    "logaddexp": (lambda L, a, b: L.logaddexp(a, b), _same, {2}),
    "bitwise_and": (lambda L, a, b: a & b, _same, {0, 1}),
    "bitwise_xor": (lambda L, a, b: a ^ b, _same, {0, 1}),
    "logical_or": (lambda L, a, b: L.logical_or(a, b), lambda dt: "bool", {0, 1, 2}),
}
# ops that take a Python number as the second operand
SCALAR_OK = {"add", "mul", "sub", "remainder", "fmod", "floor_divide", "pow", "div",
             "copysign", "xlogy", "bitwise_and", "bitwise_xor"}


def _array(name, shape, rng, divisor=False):
    if name == "bool":   # a divisor stays True: integer division by zero raises
        return np.ones(shape, bool) if divisor else rng.integers(0, 2, shape).astype(bool)
    if _category(name) == 1:
        return rng.integers(1, 5, shape).astype(name)   # positive: no division by zero
    return rng.uniform(0.5, 2.0, shape).astype(name)


@st.composite
def _cases(draw):
    op = draw(st.sampled_from(sorted(OPS)))
    shapes = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
    kinds = draw(st.lists(st.sampled_from(["dim", "zero", "scalar"]), min_size=2, max_size=2))
    if kinds[0] == "scalar" or (kinds[1] == "scalar" and op not in SCALAR_OK):
        kinds[0] = "dim"
    if kinds[1] == "scalar" and op not in SCALAR_OK:
        kinds[1] = "zero"
    dts = [draw(st.sampled_from(NAMES)) for _ in range(2)]
    scalar = draw(st.sampled_from([True, 3, 1.5]))   # nonzero: also divides
    seed = draw(st.integers(0, 2 ** 16))
    return op, shapes.input_shapes, kinds, dts, scalar, seed


def _operands(kinds, shapes, dts, scalar, rng):
    spec, values = [], []
    for i, (kind, shape, dt) in enumerate(zip(kinds, shapes, dts)):
        if kind == "scalar":
            spec.append(("scalar", scalar))
            values.append(scalar)
        else:
            shape = shape if kind == "dim" else ()
            spec.append(("dim" if shape or kind == "dim" else "zero", dt))
            values.append(_array(dt, shape, rng, divisor=i == 1))
    # a "dim" operand whose drawn shape is () is a 0-dim tensor in PyTorch's rules too
    spec = [("zero", v) if k == "dim" and not np.ndim(val) else (k, v)
            for (k, v), val in zip(spec, values)]
    return spec, values


@settings(max_examples=300, deadline=None, database=None)
@given(_cases())
def test_shape_and_dtype(case):
    op, shapes, kinds, dts, scalar, seed = case
    rng = np.random.default_rng(seed)
    spec, values = _operands(kinds, shapes, dts, scalar, rng)
    fn, rule, allowed = OPS[op]
    promoted = reference_result_type(spec)
    args = [ember.tensor(v) if isinstance(v, np.ndarray) else v for v in values]
    bool_operand = builtins.any(k != "scalar" and v == "bool" or v is True for k, v in spec)
    if _category(promoted) not in allowed or (op == "sub" and bool_operand):
        with pytest.raises((RuntimeError, NotImplementedError)):
            fn(ember, *args)
        return
    out = fn(ember, *args)
    want_shape = np.broadcast_shapes(*[np.shape(v) for v in values])
    assert tuple(out.shape) == want_shape
    assert str(out.dtype) == "torch." + rule(promoted)
    if torch is not None:
        targs = [torch.tensor(v) if isinstance(v, np.ndarray) else v for v in values]
        assert str(fn(torch, *targs).dtype) == str(out.dtype)


NUMPY_REF = {"add": np.add, "mul": np.multiply, "maximum": np.maximum, "minimum": np.minimum,
             "bitwise_and": np.bitwise_and, "remainder": np.remainder}


@settings(max_examples=150, deadline=None, database=None)
@given(st.sampled_from(sorted(NUMPY_REF)),
       mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
       st.sampled_from(["int32", "int64", "uint8", "float32", "float64"]),
       st.sampled_from(["int32", "int64", "uint8", "float32", "float64"]),
       st.integers(0, 2 ** 16))
def test_values_follow_numpy_broadcasting(op, shapes, da, db, seed):
    """Values equal NumPy's on the broadcast arrays, computed in the promoted dtype."""
    if op == "bitwise_and" and "float" in da + db:
        return
    rng = np.random.default_rng(seed)
    a, b = (_array(d, s, rng) for d, s in zip((da, db), shapes.input_shapes))
    a, b = np.asarray(a), np.asarray(b)
    out = OPS[op][0](ember, ember.tensor(a), ember.tensor(b))
    kinds = [("dim" if x.ndim else "zero", d) for x, d in ((a, da), (b, db))]
    dt = reference_result_type(kinds)
    want = NUMPY_REF[op](a.astype(dt), b.astype(dt))
    assert out.numpy().dtype == np.dtype(dt)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)


@settings(max_examples=100, deadline=None, database=None)
@given(st.sampled_from(["add", "mul", "maximum", "atan2", "pow", "hypot", "remainder"]),
       mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
def test_gradients_take_input_shapes(op, shapes):
    """Broadcasting is undone in the backward pass: each gradient has its input's shape (and
    for add, each element's gradient counts how many outputs it was broadcast into)."""
    sa, sb = shapes.input_shapes
    a = ember.tensor(np.full(sa, 1.5), requires_grad=True)
    b = ember.tensor(np.full(sb, 0.75), requires_grad=True)
    out = OPS[op][0](ember, a, b)
    out.sum().backward()
    assert tuple(a.grad.shape) == tuple(sa) and tuple(b.grad.shape) == tuple(sb)
    if op == "add":
        n = int(np.prod(shapes.result_shape))
        np.testing.assert_allclose(a.grad.numpy(), n / max(1, int(np.prod(sa))))
        np.testing.assert_allclose(b.grad.numpy(), n / max(1, int(np.prod(sb))))
