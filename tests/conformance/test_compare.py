"""Comparison, testing and sorting ops against PyTorch."""
import numpy as np
import pytest

import ember

from .harness import check_op, gradcheck_op, requires_torch, torch

NAN, INF = float("nan"), float("inf")
CMP = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
       "not_equal"]


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _ints(rng, shape, lo=0, hi=4, dtype=np.int64):
    return rng.integers(lo, hi, shape).astype(dtype)


# ---------------------------------------------------------------- eq / ne / lt / ...
@pytest.mark.parametrize("op", CMP)
@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)),
                                   ((), (3,)), ((3,), ()), ((), ())])
def test_compare_tensors(op, sa, sb, rng):
    a = _ints(rng, sa).astype(np.float32)
    b = _ints(rng, sb).astype(np.float32)
    check_op(lambda lib, x, y: getattr(lib, op)(x, y), [a, b])
    check_op(lambda lib, x, y: getattr(x, op)(y), [a, b])


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("da,db", [(np.int64, np.float32), (np.int32, np.int64),
                                   (np.bool_, np.int64), (np.uint8, np.int8),
                                   (np.float16, np.float64), (np.int32, np.bool_)])
def test_compare_promotion(op, da, db, rng):
    a = (rng.integers(0, 3, (3, 4)) + 0.5 * (da == np.float16)).astype(da)
    b = rng.integers(0, 3, (4,)).astype(db)
    check_op(lambda lib, x, y: getattr(lib, op)(x, y), [a, b])
    # a 0-dim tensor does not widen a dimensioned tensor of the same category
    check_op(lambda lib, x, y: getattr(lib, op)(x, y), [a, np.array(1.5).astype(np.float64)])


@pytest.mark.parametrize("scalar", [2, 2.5, True, -1, 300, 1e10])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.uint8, np.bool_])
def test_compare_scalars(scalar, dtype, rng):
    a = rng.integers(0, 4, (5,)).astype(dtype)
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        check_op(lambda lib, x: getattr(lib, op)(x, scalar), [a])


def test_operators_and_reflected(rng):
    a = _ints(rng, (3, 4)).astype(np.float32)
    b = _ints(rng, (4,)).astype(np.float32)
    for f in [lambda x, y: x == y, lambda x, y: x != y, lambda x, y: x < y,
              lambda x, y: x <= y, lambda x, y: x > y, lambda x, y: x >= y,
              lambda x, y: 2 < x, lambda x, y: 2.0 == x, lambda x, y: 1 >= x,
              lambda x, y: x == 2, lambda x, y: np.float64(2.0) <= x]:
        check_op(lambda lib, x, y: f(x, y), [a, b])


def test_compare_nan_and_inf():
    a = np.array([1.0, NAN, INF, -INF, 0.0], np.float32)
    b = np.array([NAN, NAN, INF, INF, -0.0], np.float32)
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        check_op(lambda lib, x, y: getattr(lib, op)(x, y), [a, b])
        check_op(lambda lib, x: getattr(lib, op)(x, NAN), [a])


def test_compare_complex_eq():
    a = np.array([1 + 1j, 2, 3j], np.complex64)
    b = np.array([1 + 1j, 2j, 3j], np.complex64)
    check_op(lambda lib, x, y: lib.eq(x, y), [a, b], grad=False)
    check_op(lambda lib, x, y: x != y, [a, b], grad=False)


@pytest.mark.parametrize("op", ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_",
                                "less_equal_", "not_equal_"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_compare_inplace(op, dtype, rng):
    a = rng.integers(0, 2, (3, 4)).astype(dtype)
    b = rng.integers(0, 2, (4,)).astype(dtype)

    def f(lib, x, y):
        x = x.clone()
        r = getattr(x, op)(y)
        assert r is x
        return x
    check_op(f, [a, b], grad=False)
    check_op(lambda lib, x: getattr(x.clone(), op)(1.5), [a], grad=False)


def test_compare_inplace_keeps_version_and_views():
    x = ember.tensor([1.0, 2.0, 3.0])
    v = x.view(3)
    x.lt_(2.5)
    assert x.tolist() == [1.0, 1.0, 0.0] and v.tolist() == [1.0, 1.0, 0.0]
    assert x._version == 1


def test_compare_inplace_in_graph(rng):
    a, b = _f32(rng, 3), _f32(rng, 3)

    def f(lib, x, w):
        y = x * 2
        y.lt_(w)
        assert y.grad_fn.name() == "LtBackward1"
        z = x * 3
        z.eq_(1.0)
        assert z.grad_fn.name() == "EqBackward0"
        return y + z + x
    check_op(f, [a, b])


def test_compare_out(rng):
    a = _ints(rng, (3,)).astype(np.float32)
    for dt in ["float32", "int64", "bool"]:
        def f(lib, x, dt=dt):
            o = lib.empty(3, dtype=getattr(lib, dt))
            r = lib.lt(x, 2, out=o)
            assert r is o
            return o
        check_op(f, [a], grad=False)


def test_compare_results_have_no_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    r = x > 1
    assert r.dtype is ember.bool and not r.requires_grad and r.grad_fn is None


@requires_torch
def test_compare_errors():
    x = ember.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of "
                                           r"tensor b \(3\) at non-singleton dimension 0"):
        ember.lt(ember.tensor([1, 2]), x)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(4\) must match the size of "
                                           r"tensor b \(3\) at non-singleton dimension 1"):
        ember.ones(2, 4) == x
    with pytest.raises(NotImplementedError, match="\"lt_cpu\" not implemented for "
                                                  "'ComplexFloat'"):
        ember.tensor([1j]) < ember.tensor([1j])
    with pytest.raises(NotImplementedError, match="\"gt_cpu\" not implemented"):
        ember.tensor([1j]) > 1
    with pytest.raises(TypeError, match=r"eq\(\) received an invalid combination of arguments "
                                        r"- got \(Tensor, NoneType\)"):
        ember.eq(x, None)
    with pytest.raises(TypeError, match=r"got \(Tensor, list\)"):
        ember.eq(x, [1, 2, 3])
    with pytest.raises(TypeError, match=r"got \(int, Tensor\)"):
        ember.eq(1, x)
    assert (x == None) is False  # noqa: E711  (Python's fallback, as with torch)
    assert (x != None) is True  # noqa: E711
    assert (x == "a") is False
    assert (x == [1, 2, 3]) is False
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Tensor' and "
                                        "'str'"):
        x < "a"
    with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the "
                                           r"broadcast shape \[2, 2\]"):
        ember.tensor([1, 2]).lt_(ember.tensor([[1], [2]]))


def test_tensor_stays_hashable():
    x = ember.tensor([1.0, 2.0])
    y = ember.tensor([1.0, 2.0])
    assert hash(x) == id(x)
    d = {x: "x", y: "y"}
    assert d[x] == "x" and d[y] == "y"
    assert 2.0 in x and 5.0 not in x


# ---------------------------------------------------------------- isclose / allclose / equal
def test_isclose(rng):
    a = np.array([1.0, NAN, INF, -INF, 1e-9, 1.0, 100.0], np.float32)
    b = np.array([1.00001, NAN, INF, INF, 0.0, 1.1, 100.5], np.float32)
    check_op(lambda lib, x, y: lib.isclose(x, y), [a, b], grad=False)
    check_op(lambda lib, x, y: lib.isclose(x, y, equal_nan=True), [a, b], grad=False)
    check_op(lambda lib, x, y: x.isclose(y, rtol=0.01, atol=0.2), [a, b], grad=False)
    check_op(lambda lib, x, y: lib.isclose(x, y, 0, 0), [a, b], grad=False)
    check_op(lambda lib, x, y: lib.isclose(x, y), [a[:, None], b], grad=False)
    ia, ib = np.array([1, 2, 5, 0]), np.array([1, 3, 3, 1])
    check_op(lambda lib, x, y: lib.isclose(x, y, atol=1), [ia, ib])
    check_op(lambda lib, x, y: lib.isclose(x, y, rtol=0.5), [ia, ib])
    check_op(lambda lib, x, y: lib.isclose(x, y), [np.array([True, False]),
                                                    np.array([False, False])])
    check_op(lambda lib, x, y: lib.isclose(x, y), [np.array([1 + 1j, 2], np.complex64),
                                                    np.array([1 + 1j, 2.001], np.complex64)],
             grad=False)


@requires_torch
def test_allclose_equal(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    for lib in (ember, torch):
        x = lib.tensor(a)
        assert lib.allclose(x, x + 1e-7) is True
        assert lib.allclose(x, x + 1e-2) is False
        assert x.allclose(x + 1e-2, atol=0.1) is True
        n = lib.tensor([1.0, NAN])
        assert lib.allclose(n, n) is False and lib.allclose(n, n, equal_nan=True) is True
        assert lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([[1.0], [2.0]])) is False
        assert lib.equal(x, x.clone()) is True and x.equal(x.clone()) is True
        assert lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1, 2])) is True
        assert lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])) is False
        assert lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([[1.0, 2.0]])) is False
        assert lib.equal(n, n) is False


@requires_torch
def test_isclose_errors():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Float did not match Double"):
            lib.isclose(lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64))
        with pytest.raises(RuntimeError, match="Long did not match Float"):
            lib.isclose(lib.tensor([1]), lib.tensor([1.0]))
        with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, "
                                               "but got -0.5"):
            lib.isclose(lib.tensor([1]), lib.tensor([1]), rtol=-0.5)
        with pytest.raises(RuntimeError, match="atol must be greater than or equal to zero"):
            lib.isclose(lib.tensor([1]), lib.tensor([1]), atol=-0.5)
        with pytest.raises(TypeError, match=r"isclose\(\): argument 'other' \(position 2\) "
                                            r"must be Tensor, not int"):
            lib.isclose(lib.tensor([1]), 1)
        with pytest.raises(TypeError, match=r"equal\(\): argument 'other' \(position 2\) must "
                                            r"be Tensor, not int"):
            lib.equal(lib.tensor([1]), 1)
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match"):
            lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------- isnan / isinf / ...
TESTS = ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal"]


@pytest.mark.parametrize("op", TESTS)
def test_float_tests(op):
    a = np.array([[1.0, NAN, INF], [-INF, 0.0, -2.5]], np.float32)
    check_op(lambda lib, x: getattr(lib, op)(x), [a])
    check_op(lambda lib, x: getattr(x, op)(), [a.astype(np.float64)])
    check_op(lambda lib, x: getattr(lib, op)(x), [np.array(NAN, np.float32)])
    check_op(lambda lib, x: getattr(lib, op)(x), [np.array([1, 2, 0])])
    check_op(lambda lib, x: getattr(lib, op)(x), [np.array([True, False])])
    check_op(lambda lib, x: getattr(lib, op)(x), [np.array([1.0, NAN], np.float16)])


@pytest.mark.parametrize("op", ["isnan", "isinf", "isfinite", "isreal"])
def test_complex_tests(op):
    a = np.array([1 + 1j, complex(INF, 0), complex(0, NAN), 2 + 0j], np.complex64)
    check_op(lambda lib, x: getattr(lib, op)(x), [a], grad=False)


@requires_torch
def test_float_test_errors():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="isposinf does not support complex inputs."):
            lib.isposinf(lib.tensor([1j]))
        with pytest.raises(RuntimeError, match="isneginf does not support complex inputs."):
            lib.isneginf(lib.tensor([1j]))
        with pytest.raises(TypeError, match=r"isnan\(\): argument 'input' \(position 1\) must "
                                            r"be Tensor, not float"):
            lib.isnan(1.0)
    check_op(lambda lib, x: lib.isposinf(x, out=lib.empty(0, dtype=lib.bool)),
             [np.array([-INF, INF], np.float32)])


# ---------------------------------------------------------------- isin
def test_isin(rng):
    a = rng.integers(0, 6, (3, 4))
    b = np.array([2, 4, 9])
    check_op(lambda lib, x, y: lib.isin(x, y), [a, b])
    check_op(lambda lib, x, y: lib.isin(x, y, invert=True), [a, b])
    check_op(lambda lib, x, y: lib.isin(x, y, assume_unique=True), [a[0], b])
    check_op(lambda lib, x, y: lib.isin(x, y), [a, b.reshape(3, 1)])
    check_op(lambda lib, x: lib.isin(x, 2), [a])
    check_op(lambda lib, x: lib.isin(2, x), [a])
    check_op(lambda lib, x, y: lib.isin(x, y), [a, np.array([2.0, 4.5], np.float32)])
    check_op(lambda lib, x, y: lib.isin(x, y), [np.array([1.0, NAN], np.float32),
                                                 np.array([NAN, 1.0], np.float32)])
    check_op(lambda lib, x, y: lib.isin(x, y), [np.array(1.0), np.array([1.0, 2.0])])
    check_op(lambda lib, x, y: lib.isin(x, y), [np.array([1.0, 2.0], np.float32),
                                                 np.array(1.0, np.float64)])


@requires_torch
def test_isin_errors():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin\\(\\)"
                                               ": Bool"):
            lib.isin(lib.tensor([True]), lib.tensor([True]))
        with pytest.raises(RuntimeError, match="isin\\(\\): ComplexFloat"):
            lib.isin(lib.tensor([1j]), lib.tensor([1j]))
        with pytest.raises(TypeError, match=r"isin\(\) received an invalid combination of "
                                            r"arguments - got \(Tensor, list\)"):
            lib.isin(lib.tensor([1]), [1])


# ---------------------------------------------------------------- sort / argsort / msort
@pytest.mark.parametrize("shape,dim", [((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -2),
                                       ((), 0), ((), -1), ((0, 3), 1)])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(shape, dim, descending, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    check_op(lambda lib, x: lib.sort(x, dim, descending), [a])
    check_op(lambda lib, x: x.sort(dim=dim, descending=descending, stable=True), [a])
    check_op(lambda lib, x: lib.argsort(x, dim, descending), [a])
    if a.ndim:
        gradcheck_op(lambda lib, x: lib.sort(x, dim, descending)[0], [a], gradgrad=True)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int16, np.bool_,
                                   np.float16, np.float64])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_stable_ties(dtype, descending, rng):
    a = rng.integers(0, 3, (4, 9)).astype(dtype)
    check_op(lambda lib, x: lib.sort(x, dim=-1, descending=descending, stable=True), [a])
    check_op(lambda lib, x: lib.sort(x, dim=0, descending=descending, stable=True), [a])
    check_op(lambda lib, x: lib.argsort(x, dim=1, descending=descending, stable=True), [a])
    check_op(lambda lib, x: x.argsort(dim=0, descending=descending, stable=True), [a])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the harness's loss sums inf - inf
def test_sort_nan():
    a = np.array([[3.0, NAN, 1.0, NAN, 2.0, -INF, INF]], np.float32)
    for desc in (False, True):
        check_op(lambda lib, x: lib.sort(x, descending=desc, stable=True), [a])
        check_op(lambda lib, x: lib.argsort(x, descending=desc, stable=True), [a])


def test_sort_values_with_ties_unstable(rng):
    a = rng.integers(0, 3, (3, 10)).astype(np.float32)
    check_op(lambda lib, x: lib.sort(x, descending=True)[0], [a])


@requires_torch
def test_sort_named_tuple_and_errors():
    r = ember.sort(ember.tensor([3.0, 1.0], requires_grad=True))
    assert isinstance(r, tuple) and r.values is r[0] and r.indices is r[1]
    assert repr(r) == ("torch.return_types.sort(\nvalues=tensor([1., 3.], "
                       "grad_fn=<SortBackward0>),\nindices=tensor([1, 0]))")
    v, i = r
    assert i.dtype is ember.int64 and not i.requires_grad
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match=" Sort does not support complex dtypes on CPU"):
            lib.sort(lib.tensor([1j]))
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                             r"of \[-1, 0\], but got 1\)"):
            lib.sort(lib.tensor(3.0), dim=1)
        with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, but "
                                               "got float instead"):
            lib.sort(lib.tensor([2, 1]), out=(lib.empty(0, dtype=lib.long), lib.empty(0)))


def test_sort_out():
    def f(lib, x):
        v, i = lib.empty(0), lib.empty(0, dtype=lib.long)
        r = lib.sort(x, descending=True, out=(v, i))
        assert r.values is v and r.indices is i and type(r).__name__ == "sort_out"
        return r
    check_op(f, [np.array([[2.0, 5.0, 1.0]], np.float32)], grad=False)


@pytest.mark.parametrize("shape", [(4, 3), (5,), (), (2, 3, 2)])
def test_msort(shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    check_op(lambda lib, x: lib.msort(x), [a])
    check_op(lambda lib, x: x.msort(), [a])
    if a.ndim:
        gradcheck_op(lambda lib, x: lib.msort(x), [a], gradgrad=True)


def test_sort_double_backward_graph(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)

    def f(lib, x):
        y = lib.sort(x, dim=1)[0]
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return g
    check_op(f, [a])


# ---------------------------------------------------------------- topk / kthvalue
@pytest.mark.parametrize("shape,k,dim", [((7,), 3, -1), ((4, 6), 2, 1), ((4, 6), 4, 0),
                                         ((2, 3, 40), 5, -1), ((2, 40, 3), 40, 1), ((), 1, 0),
                                         ((5,), 0, 0), ((3, 5), 5, 1)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(shape, k, dim, largest, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    check_op(lambda lib, x: lib.topk(x, k, dim, largest), [a])
    check_op(lambda lib, x: x.topk(k, dim=dim, largest=largest, sorted=True), [a])
    if a.ndim and k:
        gradcheck_op(lambda lib, x: lib.topk(x, k, dim, largest).values, [a], gradgrad=True)


def test_topk_unsorted_and_ints(rng):
    a = rng.standard_normal((3, 50)).astype(np.float32)
    # with sorted=False only the set of values is specified
    check_op(lambda lib, x: lib.sort(lib.topk(x, 6, sorted=False)[0])[0], [a])
    b = rng.permutation(60).reshape(3, 20).astype(np.int32)
    check_op(lambda lib, x: lib.topk(x, 3), [b])
    check_op(lambda lib, x: lib.topk(x, 4, largest=False), [b.astype(np.uint8)])


def test_topk_nan():
    a = np.array([3.0, NAN, 1.0, -INF, 2.0, 7.0, 0.5, 4.0, 9.0, -1.0], np.float32)
    check_op(lambda lib, x: lib.topk(x, 1)[0], [a])
    check_op(lambda lib, x: lib.topk(x, 2, largest=False), [a])
    check_op(lambda lib, x: lib.topk(x, 3), [a])


@requires_torch
def test_topk_errors():
    for lib in (ember, torch):
        x = lib.tensor([3.0, 1.0, 2.0])
        for k in (4, -1):
            with pytest.raises(RuntimeError, match="selected index k out of range"):
                lib.topk(x, k)
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            lib.topk(lib.tensor(3.0), 2)
        with pytest.raises(RuntimeError, match="topk does not support bool dtypes on CPU"):
            lib.topk(lib.tensor([True]), 1)
        with pytest.raises(RuntimeError, match=" topk does not support complex dtypes on CPU"):
            lib.topk(lib.tensor([1j]), 1)
    r = ember.topk(ember.tensor([3.0, 1.0], requires_grad=True), 1)
    assert repr(r) == ("torch.return_types.topk(\nvalues=tensor([3.], "
                       "grad_fn=<TopkBackward0>),\nindices=tensor([0]))")


@pytest.mark.parametrize("shape,k,dim", [((7,), 3, -1), ((4, 6), 2, 1), ((4, 6), 4, 0),
                                         ((2, 3, 5), 5, -1), ((), 1, 0), ((5, 1), 1, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(shape, k, dim, keepdim, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    check_op(lambda lib, x: lib.kthvalue(x, k, dim, keepdim), [a])
    check_op(lambda lib, x: x.kthvalue(k, dim=dim, keepdim=keepdim), [a])
    gradcheck_op(lambda lib, x: lib.kthvalue(x, k, dim, keepdim)[0], [a], gradgrad=True)


def test_kthvalue_nan_ints_and_out(rng):
    a = np.array([3.0, NAN, 1.0, NAN, 2.0], np.float32)
    check_op(lambda lib, x: lib.kthvalue(x, 2), [a])
    check_op(lambda lib, x: lib.kthvalue(x, 4)[0], [a])
    b = rng.permutation(12).reshape(3, 4)
    check_op(lambda lib, x: lib.kthvalue(x, 2, 0), [b])

    def f(lib, x):
        v, i = lib.empty(0, dtype=lib.long), lib.empty(0, dtype=lib.long)
        r = lib.kthvalue(x, 3, 1, out=(v, i))
        assert r.values is v and type(r).__name__ == "kthvalue_out"
        return r
    check_op(f, [b])


@requires_torch
def test_kthvalue_errors():
    for lib in (ember, torch):
        x = lib.tensor([3.0, 1.0, 2.0])
        for k in (0, 4):
            with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of "
                                                   r"range for dimension 0"):
                lib.kthvalue(x, k)
        with pytest.raises(NotImplementedError, match="\"kthvalue_cpu\" not implemented for "
                                                      "'Bool'"):
            lib.kthvalue(lib.tensor([True]), 1)
        with pytest.raises(RuntimeError, match="output values must be of same type as input"):
            lib.kthvalue(x, 1, out=(lib.empty(0, dtype=lib.long), lib.empty(0, dtype=lib.long)))
    r = ember.kthvalue(ember.tensor([3.0, 1.0], requires_grad=True), 1)
    assert repr(r) == ("torch.return_types.kthvalue(\nvalues=tensor(1., "
                       "grad_fn=<KthvalueBackward0>),\nindices=tensor(1))")


# ---------------------------------------------------------------- unique / unique_consecutive
FLAGS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("inv,cnt", FLAGS)
def test_unique(inv, cnt, rng):
    a = rng.integers(0, 5, (4, 6))
    check_op(lambda lib, x: lib.unique(x, return_inverse=inv, return_counts=cnt), [a])
    check_op(lambda lib, x: x.unique(sorted=False, return_inverse=inv, return_counts=cnt), [a])
    for dim in (0, 1, -1):
        b = a[[0, 1, 0, 2, 1]] if dim == 0 else a[:, [0, 2, 0, 1, 2]]
        check_op(lambda lib, x: lib.unique(x, return_inverse=inv, return_counts=cnt, dim=dim),
                 [b])
    f = np.array([3.0, NAN, 1.0, NAN, 2.0, 1.0, -0.0, 0.0], np.float32)
    check_op(lambda lib, x: lib.unique(x, return_inverse=inv, return_counts=cnt), [f],
             grad=False)
    check_op(lambda lib, x: lib.unique(x, return_inverse=inv, return_counts=cnt),
             [np.array(3.0, np.float32)], grad=False)
    check_op(lambda lib, x: lib.unique(x, return_inverse=inv, return_counts=cnt),
             [np.array([True, False, True])])
    check_op(lambda lib, x: lib.unique(x, return_inverse=inv, return_counts=cnt, dim=0),
             [np.zeros((0, 3), np.float32)], grad=False)


@requires_torch
def test_unique_grad_and_errors():
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
        u = lib.unique(x)
        assert u.requires_grad and u.grad_fn.name() == "Unique2Backward0"
        with pytest.raises(NotImplementedError, match="the derivative for '_unique2' is not "
                                                      "implemented."):
            u.sum().backward()
        with pytest.raises(NotImplementedError, match="the derivative for 'unique_dim' is not "
                                                      "implemented."):
            lib.unique(x, dim=0).sum().backward()
        with pytest.raises(NotImplementedError, match="the derivative for 'unique_consecutive' "
                                                      "is not implemented."):
            lib.unique_consecutive(x).sum().backward()
        with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no "
                                             "dimensions"):
            lib.unique(lib.tensor(3.0), dim=0)
        with pytest.raises(RuntimeError, match="There are 0 sized dimensions, and they aren't "
                                               "selected, so unique cannot be applied"):
            lib.unique(lib.empty(2, 0), dim=0)
        with pytest.raises(NotImplementedError, match="\"unique\" not implemented for "
                                                      "'ComplexFloat'"):
            lib.unique(lib.tensor([1j]))


@pytest.mark.parametrize("inv,cnt", FLAGS)
def test_unique_consecutive(inv, cnt, rng):
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    check_op(lambda lib, x: lib.unique_consecutive(x, return_inverse=inv, return_counts=cnt),
             [a])
    check_op(lambda lib, x: x.unique_consecutive(return_inverse=inv, return_counts=cnt),
             [a.reshape(2, 4)])
    m = np.array([[1, 1], [1, 1], [2, 1], [1, 1]])
    for dim in (0, 1):
        check_op(lambda lib, x: lib.unique_consecutive(x, return_inverse=inv,
                                                       return_counts=cnt, dim=dim), [m])
    f = np.array([1.0, NAN, NAN, 2.0, 2.0], np.float32)
    for x in (f, np.array(2.0, np.float32)):
        check_op(lambda lib, x: lib.unique_consecutive(x, return_inverse=inv,
                                                       return_counts=cnt), [x], grad=False)


# ---------------------------------------------------------------- searchsorted / bucketize
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted(right, rng):
    bd = np.array([1, 3, 5, 7, 7, 9])
    v = np.array([[3, 6, 9], [0, 7, 10]])
    check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right), [bd, v])
    check_op(lambda lib, b, x: lib.searchsorted(b, x, side="right" if right else "left"),
             [bd, v])
    check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right, out_int32=True), [bd, v])
    check_op(lambda lib, b: lib.searchsorted(b, 5, right=right), [bd])
    check_op(lambda lib, b: lib.searchsorted(b, 5.5, right=right), [bd])
    check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right),
             [bd, np.array([3.5, 6.0], np.float32)])
    check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right),
             [bd.astype(np.float32), np.array(3.0, np.float64)])
    # batched boundaries: one sorted row per leading index
    nb = np.sort(rng.standard_normal((2, 3, 8)).astype(np.float32), axis=-1)
    nv = rng.standard_normal((2, 3, 5)).astype(np.float32)
    nv[0, 0, 0] = nb[0, 0, 3]
    check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right), [nb, nv])
    # sorter
    us = np.array([7, 1, 5, 3])
    check_op(lambda lib, b, x, s: lib.searchsorted(b, x, right=right, sorter=s),
             [us, np.array([3, 6, 9, 0]), np.argsort(us)])
    check_op(lambda lib, b, x, s: lib.searchsorted(b, x, right=right, sorter=s),
             [nb[..., ::-1].copy(), nv, np.broadcast_to(np.arange(7, -1, -1), nb.shape).copy()])


def test_searchsorted_nan():
    bd = np.array([1.0, 3.0, 5.0, NAN], np.float32)
    v = np.array([3.0, NAN, 9.0, 0.0], np.float32)
    for right in (False, True):
        check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right), [bd, v])
        check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right), [bd[:3], v])
        check_op(lambda lib, b, x: lib.searchsorted(b, x, right=right),
                 [np.stack([bd, bd]), np.stack([v, v[::-1]])])


def test_searchsorted_out():
    def f(lib, b, x):
        o = lib.empty(0, dtype=lib.int32)
        r = lib.searchsorted(b, x, out_int32=True, out=o)
        assert r is o
        return o
    check_op(f, [np.array([1, 3, 5]), np.array([2, 6])])


@requires_torch
def test_searchsorted_errors():
    for lib in (ember, torch):
        b = lib.tensor([1, 3, 5, 7])
        with pytest.raises(RuntimeError, match="side and right can't be set to opposites, got "
                                               "side of left while right was True"):
            lib.searchsorted(b, lib.tensor([3]), side="left", right=True)
        with pytest.raises(RuntimeError, match="side can only be 'left' or 'right' but got foo"):
            lib.searchsorted(b, lib.tensor([3]), side="foo")
        with pytest.raises(RuntimeError, match="boundaries tensor should have positive "
                                               "dimension, but got 0 dimension"):
            lib.searchsorted(lib.tensor(1.0), lib.tensor([3.0]))
        with pytest.raises(RuntimeError, match=r"first N-1 dimensions of boundaries tensor and "
                                               r"input value tensor must match, but we got "
                                               r"boundaries tensor \[2, 4\] and input value "
                                               r"tensor \[3, 2\]"):
            lib.searchsorted(lib.ones(2, 4), lib.ones(3, 2))
        with pytest.raises(RuntimeError, match=r"input value can be a scalar only when "
                                               r"boundaries tensor dimension is 1"):
            lib.searchsorted(lib.ones(2, 4), 3)
        with pytest.raises(RuntimeError, match=r"boundary and sorter must have the same size, "
                                               r"but got boundary tensor \[4\]and got sorter "
                                               r"tensor \[3\]"):
            lib.searchsorted(b, lib.tensor([3]), sorter=lib.tensor([1, 3, 2]))
        with pytest.raises(RuntimeError, match="sorter must be a tensor of long dtype but got "
                                               "dtype Int"):
            lib.searchsorted(b, lib.tensor([3]), sorter=lib.tensor([1, 3, 2, 0]).int())
        with pytest.raises(RuntimeError, match="sorter index out of range"):
            lib.searchsorted(b, lib.tensor([3]), sorter=lib.tensor([1, 3, 2, 5]))
        with pytest.raises(RuntimeError, match="output tensor's dtype is wrong.*we got output "
                                               "tensor's dtype Float and out_int32 flag is "
                                               "False"):
            lib.searchsorted(b, lib.tensor([3]), out=lib.empty(1))
        with pytest.raises(NotImplementedError, match="\"searchsorted_out_cpu\" not implemented "
                                                      "for 'Bool'"):
            lib.searchsorted(lib.tensor([True]), lib.tensor([True]))
        with pytest.raises(RuntimeError, match=r"boundaries tensor must be 1 dimension, but got "
                                               r"dim\(2\)"):
            lib.bucketize(lib.tensor([3]), lib.tensor([[1, 3]]))


@pytest.mark.parametrize("right", [False, True])
def test_bucketize(right, rng):
    bd = np.array([1.0, 3.0, 5.0, 7.0], np.float32)
    check_op(lambda lib, x, b: lib.bucketize(x, b, right=right),
             [np.array([[3.0, 6.0], [9.0, 0.0]], np.float32), bd])
    check_op(lambda lib, x, b: lib.bucketize(x, b, right=right, out_int32=True),
             [np.array([3, 6, 9]), bd])
    check_op(lambda lib, b: lib.bucketize(3, b, right=right), [bd])
    check_op(lambda lib, x, b: lib.bucketize(x, b, right=right),
             [rng.standard_normal(20).astype(np.float32) * 5, bd])
