"""Indexing ops against PyTorch: x[...] reads and writes, gather/scatter, index_*, masked_*,
take/put, where, nonzero, fill_/zero_/copy_ (values, dtypes, gradients, grad_fn names, views,
errors), plus float64 finite-difference gradchecks that need no PyTorch."""
import warnings

import numpy as np
import pytest

import ember
from .harness import check_op, gradcheck_op, torch

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _arr(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) > 0.5)
    if np.issubdtype(dtype, np.integer):
        return np.asarray(rng.integers(-5, 6, size=shape)).astype(dtype)
    return np.asarray(rng.standard_normal(shape)).astype(dtype)


def _distinct(shape, seed=0):
    """Floats with no ties (max/min gradients are then unambiguous)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) * 0.37 - 1.5
            ).astype(np.float32)


def same_error(fn, exact=True):
    """fn(lib) raises in PyTorch and in ember: same exception type, same message."""
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as et:
            fn(torch)
        with pytest.raises(Exception) as ee:
            fn(ember)
    assert type(ee.value).__name__ == type(et.value).__name__, (ee.value, et.value)
    if exact:
        assert str(ee.value) == str(et.value)
    else:
        assert str(ee.value).split("\n")[0] == str(et.value).split("\n")[0]


def _name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


# ---------------------------------------------------------------- x[index]
BASIC = [0, -1, 2, slice(None), slice(1, None), slice(None, None, 2), slice(-3, -1),
         slice(5, 10), slice(2, 1), (0, 1), (0, slice(1, 3), -1), (None,), (None, 0, None),
         Ellipsis, (Ellipsis, 1), (1, Ellipsis), (slice(None), None, 2), (Ellipsis, None),
         (), (slice(None), 1), (1, slice(None)), (slice(0, 3), 1), (0, 0, 0),
         (Ellipsis, 0, Ellipsis), np.int64(1)]


@pytest.mark.parametrize("idx", BASIC, ids=[repr(i) for i in BASIC])
def test_getitem_basic(idx):
    check_op(lambda L, x: x[idx], [_arr((3, 4, 5))])
    x = ember.tensor(_arr((3, 4, 5)))
    v = x[idx]
    assert v._data.size == 0 or np.shares_memory(v._data, x._data)    # a view
    if torch is not None:
        xt = torch.tensor(_arr((3, 4, 5)), requires_grad=True)
        xe = ember.tensor(_arr((3, 4, 5)), requires_grad=True)
        assert _name(xe[idx]) == _name(xt[idx])


def test_getitem_basic_view_writes_and_version():
    x = ember.zeros(3, 4)
    v = x[1]
    v[2] = 5.0
    assert x[1, 2].item() == 5.0 and x._version == v._version == 1
    s = x[0]                           # 0-dim results are views too (NumPy would give a scalar)
    s0 = x[0, 0]
    s0.fill_(7)
    assert x[0, 0].item() == 7 and s[0].item() == 7


def test_getitem_0d():
    check_op(lambda L, x: (x[...], x[None], x[True], x[False], x[None, ...]), [_arr(())])
    check_op(lambda L, x: x[L.tensor(True)], [_arr(())])


def _adv_cases():
    m34 = _arr((3, 4), np.bool_, seed=3)
    m5 = np.array([True, False, True, True, False])
    m3 = np.array([True, False, True])
    return [
        ("list", lambda L: [0, 2, 2]),
        ("list_neg", lambda L: [-1, 0, -3]),
        ("tensor2d", lambda L: L.tensor([[0, 1], [2, 2]])),
        ("int32", lambda L: L.tensor([2, 0], dtype=L.int32)),
        ("numpy", lambda L: np.array([0, 2])),
        ("numpy_mask", lambda L: np.array([True, False, True])),
        ("slice_then_adv", lambda L: (slice(None), [1, 3])),
        ("two_adv", lambda L: ([0, 1], [1, 2])),
        ("adv_slice_adv", lambda L: ([0, 1], slice(None), [1, 2])),
        ("int_slice_adv", lambda L: (0, slice(None), [1, 2])),      # PyTorch != NumPy here
        ("adv_int", lambda L: ([0, 2], 1)),
        ("slice_adv_adv", lambda L: (slice(None), [0, 1], [1, 2])),
        ("adv_none_adv", lambda L: ([0, 1], None, [1, 2])),
        ("none_adv", lambda L: (None, slice(None), [0, 3])),
        ("mask2d", lambda L: L.tensor(m34)),
        ("mask_last", lambda L: (Ellipsis, L.tensor(m5))),
        ("mask_and_list", lambda L: (L.tensor(m3), [1, 2])),
        ("mask_slice_list", lambda L: (L.tensor(m3), slice(1, 3), [0, 4])),
        ("bool_true", lambda L: True),
        ("bool_false", lambda L: False),
        ("bool_none", lambda L: (None, True)),
        ("bool_tensor", lambda L: L.tensor(True)),
        ("bool_and_list", lambda L: (True, [0, 1])),
        ("zero_dim_int_tensor", lambda L: L.tensor(1)),
        ("zero_dim_int_with_adv", lambda L: (L.tensor(0), slice(None), [1, 2])),
        ("nested_list_as_tuple", lambda L: [[0, 1], [1, 2]]),
        ("list_with_slice", lambda L: [0, slice(None)]),
        ("empty_list", lambda L: []),
        ("range", lambda L: range(2)),
        ("range_negative", lambda L: range(-1, 1)),
        ("range_pair", lambda L: (range(3), [0, 1, 2])),
        ("range_step_after_slice", lambda L: (slice(None), range(1, 4, 2))),
        ("empty_range", lambda L: range(0)),
        ("list_with_range", lambda L: [range(2)]),
        ("deque", lambda L: __import__("collections").deque([2, 0])),
        ("list_of_bools", lambda L: [True, False, True]),
        ("list_mixed", lambda L: [True, 1]),
        ("list_float", lambda L: [1, 2.0]),
        ("dup_rows", lambda L: L.tensor([1, 1, 1, 0])),
        ("uint8_mask", lambda L: L.tensor([1, 0, 1], dtype=L.uint8)),
        ("empty_mask", lambda L: L.zeros(3, dtype=L.bool)),
        ("tensor_slice_bounds", lambda L: slice(L.tensor(1), L.tensor(3))),
    ]


@pytest.mark.parametrize("case", _adv_cases(), ids=lambda c: c[0])
def test_getitem_advanced(case):
    _, make = case
    check_op(lambda L, x: x[make(L)], [_arr((3, 4, 5))])
    if torch is not None:
        xt = torch.tensor(_arr((3, 4, 5)), requires_grad=True)
        xe = ember.tensor(_arr((3, 4, 5)), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert _name(xe[make(ember)]) == _name(xt[make(torch)])


def test_getitem_advanced_copies():
    x = ember.tensor(_arr((3, 4)))
    assert not np.shares_memory(x[[0, 1]]._data, x._data)
    assert not np.shares_memory(x[x > 0]._data, x._data)


def test_getitem_warnings():
    x = ember.zeros(3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        x[[[0, 1], [1, 2]]]
    with pytest.warns(UserWarning, match="uint8"):
        x[ember.tensor([1, 0, 1], dtype=ember.uint8)]


def test_getitem_int_dtypes():
    for dt in (np.int64, np.int32, np.float64, np.bool_, np.uint8):
        check_op(lambda L, x: x[1:, ::2], [_arr((3, 4), dt)], grad=False)
        check_op(lambda L, x: x[[2, 0]], [_arr((3, 4), dt)], grad=False)


def test_getitem_grad_duplicates_accumulate():
    check_op(lambda L, x, i: x[i], [_arr((4, 3)), np.array([[0, 0], [3, 0]])])
    check_op(lambda L, x, i, j: x[i, j], [_arr((4, 3)), np.array([0, 0, 1]),
                                          np.array([2, 2, 2])])


@pytest.mark.parametrize("make", [
    lambda L: (1, slice(None, None, 2)), lambda L: (None, Ellipsis, 0),
    lambda L: [0, 0, 2], lambda L: (slice(None), [1, 1]), lambda L: (0, slice(None), [1, 0]),
    lambda L: L.tensor(_arr((3, 4), np.bool_, 5)), lambda L: True])
def test_getitem_gradcheck(make):
    gradcheck_op(lambda L, x: x[make(L)], [_arr((3, 4, 2))], gradgrad=True)


GETITEM_ERRORS = [
    lambda L, x: x[5], lambda L, x: x[-4], lambda L, x: x[None, 5], lambda L, x: x[:, 5],
    lambda L, x: x[None, :, 5], lambda L, x: x[::-1], lambda L, x: x[::0],
    lambda L, x: x[1.5], lambda L, x: x[{1}], lambda L, x: x[np.bool_(True)],
    lambda L, x: x[L.tensor([5])], lambda L, x: x[:, L.tensor([7])],
    lambda L, x: x[L.tensor([1]), L.tensor([7])], lambda L, x: x[L.tensor([-4])],
    lambda L, x: x[L.tensor([1.])], lambda L, x: x[L.tensor([1], dtype=L.int16)],
    lambda L, x: x[L.tensor([True, False, True, False])],
    lambda L, x: x[:, L.tensor([True, False])], lambda L, x: x[L.ones(3, 3, dtype=L.bool)],
    lambda L, x: x[L.tensor([1], dtype=L.uint8)], lambda L, x: x[1, 2, 3],
    lambda L, x: x[[0, 1], [1, 2, 3]], lambda L, x: x[(1,) * 40],
    lambda L, x: x[L.tensor(5)], lambda L, x: x[L.ones(3, dtype=L.bool), [1, 2]],
    lambda L, x: x[[0], :, [7]] if x.ndim == 3 else x[[0], [7]],
    lambda L, x: L.tensor(3.)[0], lambda L, x: L.tensor(3.)[[0]],
]


@pytest.mark.parametrize("k", range(len(GETITEM_ERRORS)))
def test_getitem_errors(k):
    same_error(lambda L: GETITEM_ERRORS[k](L, L.zeros(3, 4)))


def test_getitem_mask_error_after_select():
    same_error(lambda L: L.zeros(3, 4, 5)[0, L.ones(3, dtype=L.bool)])
    same_error(lambda L: L.zeros(3, 4, 5)[:, L.ones(4, 4, dtype=L.bool)])
    same_error(lambda L: L.zeros(3, 4, 5)[L.ones(3, dtype=L.bool), [1], [7]])


# ---------------------------------------------------------------- x[index] = v
def _set(idx, value_fn=None, value=None):
    def fn(L, x, *vs):
        y = x * 1 if x.dtype.is_floating_point else x.clone()
        v = vs[0] if vs else (value_fn(L) if value_fn else value)
        y[idx(L) if callable(idx) else idx] = v
        return y
    return fn


SETITEM = [
    ("int_scalar", 0, [], 1.5),
    ("slice_tensor", (slice(None), 1), [(3,)], None),
    ("broadcast_row", 0, [(1, 4)], None),
    ("broadcast_lead_ones", 0, [(1, 1, 4)], None),
    ("basic_col", (Ellipsis, 2), [(1,)], None),
    ("adv_rows", [0, 2], [(2, 1)], None),
    ("adv_lead_one", [0, 1], [(1, 2, 4)], None),
    ("adv_pairs", ([0, 1], [1, 3]), [(2,)], None),
    ("int_adv", (0, [1, 2]), [], 3.0),
    ("slice_adv", (slice(1, None), [3, 0]), [(2,)], None),
    ("mask_scalar", lambda L: L.tensor([True, False, True]), [], -1.0),
    ("mask_rows", lambda L: L.tensor([True, False, True]), [(2, 1)], None),
    ("mask2d_vec", lambda L: L.tensor(_arr((3, 4), np.bool_, 1)), [], 2.0),
    ("ellipsis", Ellipsis, [], 4.0),
    ("none", None, [(4,)], None),
    ("bool_true", True, [], 9.0),
    ("zero_dim_tensor_val", (1, 1), [()], None),
    ("range_pairs", (range(3), [0, 1, 2]), [], 9.0),
]


@pytest.mark.parametrize("case", SETITEM, ids=lambda c: c[0])
def test_setitem(case):
    _, idx, vshapes, scalar = case
    ins = [_arr((3, 4))] + [_arr(s, seed=7) for s in vshapes]
    fn = _set(idx, value=scalar)
    check_op(fn, ins)
    gradcheck_op(fn, ins, gradgrad=True)


def test_setitem_dtypes():
    check_op(_set(0, value=2.7), [_arr((3, 4), np.int64)], grad=False)
    check_op(_set(0, value_fn=lambda L: L.tensor(2.7)), [_arr((3, 4), np.int64)], grad=False)
    check_op(_set([0, 1]), [_arr((3, 4), np.int32), _arr((4,), np.int32)], grad=False)
    check_op(_set([0, 1], value=2.5), [_arr((3, 4), np.int32)], grad=False)
    check_op(_set(0, value=True), [_arr((3, 4), np.bool_)], grad=False)
    check_op(_set(1, value_fn=lambda L: L.tensor([1 + 2j] * 4)), [_arr((3, 4))], grad=False)
    check_op(_set(1), [_arr((3, 4)), _arr((4,), np.float64)])     # float64 value: grad cast


def test_setitem_3d_int_and_advanced():
    fn = _set((0, slice(None), [1, 2]))
    check_op(fn, [_arr((3, 4, 5)), _arr((4, 2), seed=1)])
    check_op(_set((slice(None), 1, [0, 4])), [_arr((3, 4, 5)), _arr((3, 2), seed=1)])
    gradcheck_op(fn, [_arr((3, 4, 5)), _arr((4, 2), seed=1)])


def test_setitem_iadd_duplicates_do_not_accumulate():
    def fn(L, x, v):
        y = x * 1
        y[[0, 0, 2]] += v
        return y
    check_op(fn, [_arr((3, 4)), _arr((3, 4), seed=1)])
    x = ember.zeros(4)
    x[ember.tensor([1, 1, 1])] += 1
    assert x.tolist() == [0, 1, 0, 0]


def test_setitem_iadd_basic_view_with_grad():
    def fn(L, x, v):
        y = x * 2
        y[0:2] += v
        y[:, 1] *= 3
        return y
    check_op(fn, [_arr((3, 4)), _arr((4,), seed=1)])
    gradcheck_op(fn, [_arr((3, 4)), _arr((4,), seed=1)], gradgrad=True)


def test_setitem_through_nested_views_with_grad():
    def fn(L, x, v):
        y = x * 1
        row = y[1]
        row[2:] = v           # row is a view of y: y's graph must see the write
        y[0][0] = 5.0
        return y, row
    check_op(fn, [_arr((3, 4)), _arr((2,), seed=2)])
    gradcheck_op(lambda L, x, v: fn(L, x, v)[0], [_arr((3, 4)), _arr((2,), seed=2)])


def test_setitem_value_requires_grad_into_plain_tensor():
    def fn(L, v):
        z = L.zeros(3, 4)
        z[1] = v
        z[:, 0] = v[:3] * 2
        return z
    check_op(fn, [_arr((4,))])
    def fn2(L, v):
        z = L.zeros(3, 4)
        z[1] += v             # z[1] is a view of a tensor that needs no grad; v does
        col = z[:, 2]
        col.add_(v[:3])
        return z
    check_op(fn2, [_arr((4,))])
    e = ember.zeros(3, 4)
    e[1] = ember.ones(4, requires_grad=True)
    assert _name(e) == "CopySlices" and e.requires_grad
    e[[0]] = ember.ones(4, requires_grad=True)
    assert _name(e) == "IndexPutBackward0"


def test_setitem_no_grad_is_direct():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        x[0] = 5
        x[[1]] = 6
    assert x.tolist() == [5, 6, 1] and x.grad_fn is None and x._version == 2


def test_setitem_errors():
    def leaf(L, idx):
        x = L.ones(3, requires_grad=True)
        x[idx] = 1.0
    same_error(lambda L: leaf(L, 0))
    same_error(lambda L: leaf(L, [0]))

    def assign(L, idx, v, dtype=None):
        x = L.zeros(3, 4, dtype=dtype or L.float32)
        x[idx] = v(L) if callable(v) else v
    same_error(lambda L: assign(L, 0, lambda L: L.ones(2)))
    same_error(lambda L: assign(L, 0, lambda L: L.ones(2, 4)))
    same_error(lambda L: assign(L, (0, 0), lambda L: L.ones(2)))
    same_error(lambda L: assign(L, [0, 1], lambda L: L.ones(3)))
    same_error(lambda L: assign(L, [0, 1], lambda L: L.ones(2, 2, 4)))
    same_error(lambda L: assign(L, 0, [1, 2, 3, 4]))
    same_error(lambda L: assign(L, 0, np.ones(4)))
    same_error(lambda L: assign(L, 0, None))
    same_error(lambda L: assign(L, 0, 1 + 2j))
    same_error(lambda L: assign(L, 0, 300, L.uint8))
    same_error(lambda L: assign(L, 5, 1.0))
    same_error(lambda L: assign(L, L.tensor([5]), 1.0))
    same_error(lambda L: assign(L, L.zeros(4, dtype=L.bool), 1.0))
    same_error(lambda L: assign(L, slice(None, None, -1), 1.0))
    same_error(lambda L: assign(L, [0, 1], lambda L: L.ones(4, dtype=L.float64)))
    same_error(lambda L: assign(L, [0, 1], lambda L: L.ones(4, dtype=L.int32), L.int64))
    check_op(_set(lambda L: L.tensor([True, False, True]), lambda L: L.tensor(2.5).double()),
             [_arr((3, 4))])


# ---------------------------------------------------------------- gather / scatter
def _idx(shape, hi, seed=0):
    return np.random.default_rng(seed).integers(0, hi, size=shape).astype(np.int64)


GATHER = [
    ("dim0", (3, 4), 0, _idx((2, 4), 3)),
    ("dim1", (3, 4), 1, _idx((3, 6), 4)),
    ("dim_neg", (3, 4), -1, _idx((2, 2), 4)),
    ("smaller", (3, 4, 5), 1, _idx((2, 3, 1), 4)),
    ("empty", (3, 4), 0, np.zeros((0, 4), np.int64)),
    ("zero_dim", (), 0, np.array(0)),
    ("zero_dim_1d_index", (), 0, np.array([0, 0])),
    ("zero_dim_index", (4,), 0, np.array(2)),
]


@pytest.mark.parametrize("case", GATHER, ids=lambda c: c[0])
def test_gather(case):
    _, shape, dim, idx = case
    check_op(lambda L, x, i: L.gather(x, dim, i), [_arr(shape), idx])
    check_op(lambda L, x, i: x.gather(dim, i.int()), [_arr(shape), idx])
    gradcheck_op(lambda L, x, i: x.gather(dim, i), [_arr(shape), idx], gradgrad=True)


def test_gather_dtypes_and_out():
    for dt in (np.int64, np.bool_, np.float64):
        check_op(lambda L, x, i: x.gather(1, i), [_arr((3, 4), dt), _idx((3, 2), 4)])
    out = ember.empty(0)
    r = ember.gather(ember.tensor(_arr((3, 4))), 1, ember.tensor(_idx((3, 2), 4)), out=out)
    assert r is out and out.shape == (3, 2)


def test_gather_errors():
    same_error(lambda L: L.zeros(3, 4).gather(0, L.tensor([0, 1])))
    same_error(lambda L: L.zeros(3, 4).gather(0, L.tensor([[0.]])))
    same_error(lambda L: L.zeros(3, 4).gather(0, L.tensor([[5]])))
    same_error(lambda L: L.zeros(3, 4).gather(0, L.tensor([[-1]])))
    same_error(lambda L: L.zeros(3, 4).gather(2, L.tensor([[0]])))
    same_error(lambda L: L.zeros(3, 4).gather(1, L.zeros(4, 1, dtype=L.long)))
    same_error(lambda L: L.zeros(3, 4).gather(0, L.zeros(1, 5, dtype=L.long)))


def _perm_index(shape, dim, size, seed=0):
    """Index rows that are permutations along dim (scatter without duplicate targets)."""
    rng = np.random.default_rng(seed)
    idx = np.empty(shape, np.int64)
    moved = np.moveaxis(idx, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(size)[:moved.shape[-1]]
    return idx


SCATTER = [
    ("dim0", (3, 4), 0, (2, 4), (2, 4)),
    ("dim1_bigger_src", (3, 4), 1, (3, 2), (3, 5)),
    ("dim_neg", (2, 3, 4), -1, (2, 2, 3), (2, 2, 3)),
    ("zero_dim", (), 0, (), ()),
    ("zero_dim_src", (3,), 0, (1,), ()),
    ("zero_dim_index", (3,), 0, (), ()),
]


@pytest.mark.parametrize("case", SCATTER, ids=lambda c: c[0])
def test_scatter(case):
    _, shape, dim, ishape, sshape = case
    d = dim % max(len(shape), 1)
    idx = _perm_index(ishape, d, shape[d] if shape else 1) if ishape else np.array(0)
    x, s = _arr(shape), _arr(sshape, seed=1)
    g = ishape == sshape    # PyTorch's backward fails for a src larger than index; ours works
    check_op(lambda L, x, i, s: L.scatter(x, dim, i, s), [x, idx, s], grad=g)
    check_op(lambda L, x, i: x.scatter(dim, i, 2.5), [x, idx])
    check_op(lambda L, x, i: x.scatter(dim, i, value=-1), [x, idx])
    check_op(lambda L, x, i, s: (x * 1).scatter_(dim, i, s), [x, idx, s], grad=g)
    gradcheck_op(lambda L, x, i, s: x.scatter(dim, i, s), [x, idx, s], gradgrad=True)
    check_op(lambda L, x, i, s: L.scatter_add(x, dim, i, s), [x, idx, s], grad=g)
    gradcheck_op(lambda L, x, i, s: x.scatter_add(dim, i, s), [x, idx, s], gradgrad=True)


def test_scatter_add_duplicates():
    idx = np.array([[0, 1, 0, 2], [0, 0, 0, 2]])
    check_op(lambda L, x, i, s: x.scatter_add(0, i, s), [_arr((3, 4)), idx, _arr((2, 4), seed=1)])
    check_op(lambda L, x, i, s: (x * 1).scatter_add_(0, i, s),
             [_arr((3, 4)), idx, _arr((2, 4), seed=1)])
    check_op(lambda L, x, i, s: x.scatter_add(1, i, s),
             [_arr((3, 4), np.int64), idx[:, :3] % 4, _arr((2, 3), np.int64)])


def test_scatter_reduce_arg_and_dtypes():
    idx = np.array([[0, 1], [2, 0]])
    check_op(lambda L, x, i, s: x.scatter(0, i, s, reduce="add"), [_arr((3, 4)), idx,
                                                                    _arr((2, 2))], grad=False)
    check_op(lambda L, x, i, s: x.scatter(0, i, s, reduce="multiply"),
             [_arr((3, 4)), idx, _arr((2, 2))], grad=False)
    check_op(lambda L, x, i: x.scatter(0, i, 2.0, reduce="multiply"), [_arr((3, 4)), idx],
             grad=False)
    check_op(lambda L, x, i: x.scatter(0, i, True), [_arr((3, 4), np.bool_), idx], grad=False)
    check_op(lambda L, x, i: x.scatter(1, i, 7), [_arr((3, 4), np.int32), idx], grad=False)
    y = ember.zeros(3, requires_grad=True) * 1
    r = y.scatter(0, ember.tensor([0]), ember.ones(3), reduce="add")
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        r.sum().backward()


def test_scatter_errors():
    i = lambda L: L.tensor([[0, 1], [2, 0]])
    same_error(lambda L: L.zeros(3, 4).scatter(0, i(L), L.ones(1, 1)))
    same_error(lambda L: L.zeros(3, 4).scatter(0, i(L).int(), L.ones(2, 2).double()))
    same_error(lambda L: L.zeros(3, 4).scatter(0, i(L).float(), 1.0))
    same_error(lambda L: L.zeros(3, 4).scatter(0, i(L), 2.0, reduce="foo"))
    same_error(lambda L: L.zeros(3, 4).scatter(0, L.tensor([[7]]), 2.0))
    same_error(lambda L: L.zeros(3, 4).scatter(0, L.tensor([[-1]]), 2.0))
    same_error(lambda L: L.zeros(3, 4).scatter(0, i(L), L.tensor(3.)))
    same_error(lambda L: L.zeros(3, 4).scatter(0, L.tensor([0]), 1.0))
    same_error(lambda L: L.zeros(3).scatter_add(0, L.tensor([0, 1, 2, 0]), L.ones(3)))
    same_error(lambda L: L.zeros(3).scatter_add(0, L.tensor([0.]), L.ones(3)))
    same_error(lambda L: L.zeros(3, 4).scatter_reduce(0, i(L), L.ones(2, 2), "foo"))
    same_error(lambda L: L.zeros(3, 4).scatter_reduce(0, i(L), L.ones(2, 2).double(), "sum"))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    idx = np.array([[0, 1, 0, 2], [0, 0, 1, 2], [1, 1, 1, 2]])
    x, s = _distinct((3, 4)), _distinct((3, 4), seed=1) + 0.1
    fn = lambda L, x, i, s: x.scatter_reduce(0, i, s, reduce, include_self=include_self)
    check_op(fn, [x, idx, s])
    check_op(lambda L, x, i, s: (x * 1).scatter_reduce_(1, i, s, reduce,
                                                       include_self=include_self),
             [x, idx[:, :3].copy(), s[:, :3].copy()])
    gradcheck_op(fn, [x.astype(np.float64), idx, s.astype(np.float64)],
                 gradgrad=reduce in ("sum", "mean", "amax"))
    xi = _arr((3, 4), np.int64)
    check_op(lambda L, x, i, s: L.scatter_reduce(x, 0, i, s, reduce, include_self=include_self),
             [xi, idx, _arr((3, 4), np.int64, seed=2)])


def test_scatter_reduce_ties_zeros_nan():
    idx = np.array([0, 0, 1, 1, 2])
    x = np.array([1.0, 0.0, 2.0], np.float32)
    s = np.array([1.0, 0.5, 0.0, 3.0, 0.0], np.float32)
    for reduce in ("amax", "amin", "prod"):
        check_op(lambda L, x, i, s: x.scatter_reduce(0, i, s, reduce), [x, idx, s])
        check_op(lambda L, x, i, s: x.scatter_reduce(0, i, s, reduce, include_self=False),
                 [x, idx, s])
    s2 = np.array([0.0, 2.0, 0.0, 0.0, 5.0], np.float32)     # two zeros into one slot
    check_op(lambda L, x, i, s: x.scatter_reduce(0, i, s, "prod"), [x, idx, s2])
    nan = np.array([np.nan, 1.0, 2.0, 3.0, 0.0], np.float32)
    check_op(lambda L, x, i, s: x.scatter_reduce(0, i, s, "amax"), [x, idx, nan], grad=False)


# ---------------------------------------------------------------- index_select / index_*
@pytest.mark.parametrize("shape,dim,idx", [
    ((3, 4), 0, [2, 0, 2]), ((3, 4), 1, [3]), ((3, 4), -1, np.array(1)),
    ((2, 3, 4), 1, []), ((), 0, [0]), ((), 0, np.array(0)), ((5,), 0, [4, 4, 0])],
    ids=str)
def test_index_select(shape, dim, idx):
    i = np.asarray(idx, np.int64)
    check_op(lambda L, x, i: L.index_select(x, dim, i), [_arr(shape), i])
    check_op(lambda L, x, i: x.index_select(dim, i.int()), [_arr(shape), i])
    check_op(lambda L, x, i: x.index_select(dim, i), [_arr(shape, np.int32), i])
    gradcheck_op(lambda L, x, i: x.index_select(dim, i), [_arr(shape), i], gradgrad=True)


def test_index_select_errors_and_out():
    same_error(lambda L: L.zeros(3, 4).index_select(0, L.tensor([[2]])))
    same_error(lambda L: L.zeros(3, 4).index_select(0, L.tensor([2.])))
    same_error(lambda L: L.zeros(3, 4).index_select(0, L.tensor([5])))
    same_error(lambda L: L.zeros(3, 4).index_select(1, L.tensor([-1])))
    same_error(lambda L: L.zeros(3, 4).index_select(2, L.tensor([0])))
    out = ember.empty(0)
    ember.index_select(ember.ones(3, 4), 0, ember.tensor([1]), out=out)
    assert out.shape == (1, 4)


INDEX_ADD = [((3, 4), 0, [0, 2, 0], (3, 4)), ((3, 4), 1, [3, 1], (3, 2)),
             ((2, 3, 4), -2, [1], (2, 1, 4)), ((), 0, np.array(0), ()), ((3,), 0, [], (0,))]


@pytest.mark.parametrize("shape,dim,idx,sshape", INDEX_ADD, ids=str)
def test_index_add(shape, dim, idx, sshape):
    i = np.asarray(idx, np.int64)
    x, s = _arr(shape), _arr(sshape, seed=1)
    check_op(lambda L, x, i, s: L.index_add(x, dim, i, s), [x, i, s])
    check_op(lambda L, x, i, s: x.index_add(dim, i, s, alpha=2.5), [x, i, s])
    check_op(lambda L, x, i, s: (x * 1).index_add_(dim, i.int(), s, alpha=-1), [x, i, s])
    gradcheck_op(lambda L, x, i, s: x.index_add(dim, i, s, alpha=3), [x, i, s], gradgrad=True)
    check_op(lambda L, x, i, s: x.index_add(dim, i, s, alpha=2.5),
             [_arr(shape, np.int64), i, _arr(sshape, np.int64, 1)])


@pytest.mark.parametrize("shape,dim,idx,sshape", [
    ((3, 4), 0, [2, 0], (2, 4)), ((3, 4), 1, [3, 0, 1], (3, 3)), ((2, 3, 4), -1, [1], (2, 3, 1)),
    ((), 0, np.array(0), ())], ids=str)
def test_index_copy_fill(shape, dim, idx, sshape):
    i = np.asarray(idx, np.int64)
    x, s = _arr(shape), _arr(sshape, seed=1)
    check_op(lambda L, x, i, s: L.index_copy(x, dim, i, s), [x, i, s])
    check_op(lambda L, x, i, s: (x * 1).index_copy_(dim, i, s), [x, i, s])
    gradcheck_op(lambda L, x, i, s: x.index_copy(dim, i, s), [x, i, s], gradgrad=True)
    check_op(lambda L, x, i: L.index_fill(x, dim, i, -1.5), [x, i])
    check_op(lambda L, x, i: (x * 1).index_fill_(dim, i, 2), [x, i])
    check_op(lambda L, x, i, v: x.index_fill(dim, i, v), [x, i, np.array(3.0, np.float32)])
    check_op(lambda L, x, i: x.index_fill(dim, i, 1.5), [_arr(shape, np.int64), i])
    gradcheck_op(lambda L, x, i, v: x.index_fill(dim, i, v), [x, i, np.array(3.0)],
                 gradgrad=True)
    gradcheck_op(lambda L, x, i: x.index_fill(dim, i, 0.0), [x, i])


def test_index_fill_negative_index():
    check_op(lambda L, x, i: x.index_fill(1, i, 0.0), [_arr((3, 4)), np.array([-1, 0])])


def test_index_ops_errors():
    z = lambda L: L.zeros(3, 4)
    same_error(lambda L: z(L).index_add(0, L.tensor([0, 0]), L.ones(3, 4)))
    same_error(lambda L: z(L).index_add(0, L.tensor([0, 0]), L.ones(2, 3)))
    same_error(lambda L: z(L).index_add(0, L.tensor([0, 0]), L.ones(2, 4).double()))
    same_error(lambda L: z(L).index_add(0, L.tensor([5]), L.ones(1, 4)))
    same_error(lambda L: z(L).index_add(0, L.tensor([-1]), L.ones(1, 4)))
    same_error(lambda L: L.zeros(3).index_add(0, L.tensor([-1]), L.ones(1)))
    same_error(lambda L: L.zeros(3).index_add(0, L.tensor([3]), L.ones(1)))
    same_error(lambda L: z(L).index_add(0, L.tensor([[0]]), L.ones(1, 4)))
    same_error(lambda L: z(L).index_add(0, L.tensor([0.]), L.ones(1, 4)))
    same_error(lambda L: z(L).index_add(0, L.tensor(1), L.ones(4)))
    same_error(lambda L: L.tensor(1.).index_add(0, L.tensor([0]), L.tensor([2.])))
    same_error(lambda L: z(L).index_copy(1, L.tensor([3, 0]), L.ones(3, 3)))
    same_error(lambda L: z(L).index_copy(1, L.tensor([3, 0]), L.ones(3, 2).double()))
    same_error(lambda L: z(L).index_copy(1, L.tensor([5, 0]), L.ones(3, 2)))
    same_error(lambda L: z(L).index_copy(0, L.tensor([0]).int(), L.ones(1, 4)))
    same_error(lambda L: z(L).index_copy(0, L.tensor([[0]]), L.ones(1, 4)))
    same_error(lambda L: L.zeros(3, 4, 5).index_copy(0, L.tensor([0]), L.ones(1, 3, 6)))
    same_error(lambda L: z(L).index_fill(1, L.tensor([3, 0]), L.tensor([-1.])))
    same_error(lambda L: z(L).index_fill(1, L.tensor([5]), 1))
    same_error(lambda L: z(L).index_fill(1, L.tensor([[0]]), 1))
    same_error(lambda L: z(L).index_fill(1, L.tensor([0.]), 1))
    same_error(lambda L: z(L).index_fill(1, L.tensor([0]).int(), 1))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    i = np.array([0, 2, 0, 0])
    x, s = _distinct((3, 2)) + 0.2, _distinct((4, 2), seed=1) + 0.2
    fn = lambda L, x, i, s: x.index_reduce(0, i, s, reduce, include_self=include_self)
    check_op(fn, [x, i, s])
    check_op(lambda L, x, i, s: (x * 1).index_reduce_(1, i, s, reduce,
                                                      include_self=include_self),
             [x.T.copy(), i, s.T.copy()])
    gradcheck_op(fn, [x.astype(np.float64), i, s.astype(np.float64)])
    check_op(fn, [_arr((3, 2), np.int64), i, _arr((4, 2), np.int64, 3)])


def test_index_reduce_errors():
    same_error(lambda L: L.zeros(3).index_reduce(0, L.tensor([0]), L.ones(1), "sum"))
    same_error(lambda L: L.zeros(3).index_reduce(0, L.tensor([0]), L.ones(1).double(), "prod"))
    same_error(lambda L: L.zeros(3).index_reduce(0, L.tensor([5]), L.ones(1), "prod"))
    same_error(lambda L: L.zeros(3).index_reduce(0, L.tensor([0.]), L.ones(1), "prod"))
    same_error(lambda L: L.zeros(3, 4).index_reduce(0, L.tensor([[0]]), L.ones(1, 4), "prod"))
    same_error(lambda L: L.zeros(3, 4).index_reduce(0, L.tensor([0, 1]), L.ones(1, 4), "prod"))


# ---------------------------------------------------------------- index_put
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate):
    rows, cols = np.array([0, 2, 1]), np.array([1, 3, 1])
    m = _arr((3, 4), np.bool_, 4)
    check_op(lambda L, x, r, c, v: x.index_put((r, c), v, accumulate=accumulate),
             [_arr((3, 4)), rows, cols, _arr((3,), seed=1)])
    check_op(lambda L, x, r, v: L.index_put(x, (r,), v, accumulate), [_arr((3, 4)), rows,
                                                                       _arr((4,), seed=1)])
    check_op(lambda L, x, m, v: x.index_put([m], v, accumulate=accumulate),
             [_arr((3, 4)), m, np.array(2.0, np.float32)])
    check_op(lambda L, x, r, v: (x * 1).index_put_((r,), v, accumulate=accumulate),
             [_arr((3, 4)), np.array([0, 0, 2]), _arr((3, 1), seed=1)])
    check_op(lambda L, x, r, v: L.index_put_(x, (r,), v, accumulate), [
        _arr((3, 4), np.int64), np.array([0, 0, -1]), _arr((3, 4), np.int64, 1)])
    gradcheck_op(lambda L, x, r, c, v: x.index_put((r, c), v, accumulate=accumulate),
                 [_arr((3, 4)), rows, cols, _arr((3,), seed=1)], gradgrad=True)


def test_index_put_zero_dim_indices():
    # (PyTorch's backward hits an internal assert for a 0-dim bool index: values only here)
    check_op(lambda L, x, v: x.index_put((L.tensor(True),), v), [_arr((3,)), np.array(2.0,
                                                                                   np.float32)],
             grad=False)
    check_op(lambda L, x, v: x.index_put((L.tensor(False),), v), [_arr((3,)), _arr(())],
             grad=False)
    gradcheck_op(lambda L, x, v: x.index_put((L.tensor(True),), v), [_arr((3,)), _arr(())])
    check_op(lambda L, x, v: x.index_put((L.tensor(1), L.tensor([0, 2])), v, True),
             [_arr((3, 4)), _arr((2,), seed=1)])
    check_op(lambda L, x, v: x.index_put((L.tensor([1, 0]), L.tensor(2)), v),
             [_arr((3, 4)), _arr((2,), seed=1)])


def test_index_put_accumulate_duplicates():
    check_op(lambda L, x, r, v: x.index_put((r,), v, accumulate=True),
             [_arr((3,)), np.array([0, 0, 0, 2]), _arr((4,), seed=1)])
    x = ember.zeros(3)
    x.index_put_((ember.tensor([1, 1]),), ember.tensor([1.0, 2.0]), accumulate=True)
    assert x.tolist() == [0, 3, 0]


def test_index_put_errors():
    z = lambda L: L.zeros(3, 4)
    same_error(lambda L: z(L).index_put((L.tensor([0]),), 1.0))
    same_error(lambda L: z(L).index_put((None, L.tensor([0])), L.tensor(1.)))
    same_error(lambda L: z(L).index_put((L.tensor([0]),), L.tensor(1., dtype=L.float64)))
    same_error(lambda L: z(L).index_put((L.tensor([5]),), L.tensor(1.)))
    same_error(lambda L: z(L).index_put((L.tensor([5]),), L.tensor(1.), accumulate=True))
    same_error(lambda L: z(L).index_put((L.tensor([0]),) * 3, L.tensor(1.)))
    same_error(lambda L: z(L).index_put((L.tensor([0.]),), L.tensor(1.)))
    same_error(lambda L: z(L).index_put((L.tensor([0, 1]),), L.tensor([1., 2, 3])))
    same_error(lambda L: z(L).index_put((L.tensor([0, 1]),), L.tensor([1., 2, 3]), True))


# ---------------------------------------------------------------- take / put
@pytest.mark.parametrize("shape,idx", [((3, 4), [[0, 11], [5, 5]]), ((3, 4), [-12, -1]),
                                        ((3, 4), np.array(3)), ((), [0, -1]), ((5,), [])],
                         ids=str)
def test_take(shape, idx):
    i = np.asarray(idx, np.int64)
    check_op(lambda L, x, i: L.take(x, i), [_arr(shape), i])
    check_op(lambda L, x, i: x.take(i), [_arr(shape, np.int32), i])
    gradcheck_op(lambda L, x, i: x.take(i), [_arr(shape), i], gradgrad=True)
    if (i >= 0).all():
        check_op(lambda L, x, i: L.take_along_dim(x, i), [_arr(shape), i])


@pytest.mark.parametrize("accumulate", [False, True])
def test_put(accumulate):
    i = np.array([[0, 5], [10, -1]])
    check_op(lambda L, x, i, s: x.put(i, s, accumulate), [_arr((3, 4)), i, _arr((2, 2), seed=1)])
    check_op(lambda L, x, i, s: L.put(x, i, s, accumulate=accumulate),
             [_arr((3, 4)), i, _arr((4,), seed=1)])
    check_op(lambda L, x, i, s: (x * 1).put_(i, s, accumulate), [_arr((3, 4)), i,
                                                                  _arr((2, 2), seed=1)])
    gradcheck_op(lambda L, x, i, s: x.put(i, s, accumulate), [_arr((3, 4)), i,
                                                              _arr((2, 2), seed=1)],
                 gradgrad=True)
    check_op(lambda L, x, i, s: x.put(i, s, True), [_arr((3,)), np.array([0, 0, 1]),
                                                    _arr((3,), seed=2)])


def test_take_put_errors():
    same_error(lambda L: L.zeros(3, 4).take(L.tensor([12])))
    same_error(lambda L: L.zeros(3).take(L.tensor([-4])))
    same_error(lambda L: L.zeros(3, 4).take(L.tensor([1.])))
    same_error(lambda L: L.zeros(3, 4).take(L.tensor([1], dtype=L.int32)))
    same_error(lambda L: L.zeros(3, 4).put_(L.tensor([0, 0]), L.tensor([1., 2., 3.])))
    same_error(lambda L: L.zeros(3, 4).put_(L.tensor([13]), L.tensor([1.])))
    same_error(lambda L: L.zeros(3, 4).put_(L.tensor([1]), L.tensor([1.]).double()))
    same_error(lambda L: L.zeros(3, 4).put_(L.tensor([1.]), L.tensor([1.])))
    same_error(lambda L: L.zeros(3, 4).put_(L.tensor([1]).int(), L.tensor([1.])))


def test_take_along_dim_broadcast_and_errors():
    check_op(lambda L, x, i: L.take_along_dim(x, i, 1), [_arr((3, 4)), np.array([[0], [3], [2]])])
    check_op(lambda L, x, i: x.take_along_dim(i, dim=0), [_arr((3, 1)), np.array([[0, 2, 1]])])
    check_op(lambda L, x, i: L.take_along_dim(x, i, -1), [_arr((2, 1, 4)),
                                                         _idx((1, 3, 2), 4)])
    z = lambda L: L.zeros(3, 4)
    same_error(lambda L: L.take_along_dim(z(L), L.tensor([[0, 1]]), 0))
    same_error(lambda L: L.take_along_dim(z(L), L.tensor([[[0, 1]]]), 0))
    same_error(lambda L: L.take_along_dim(z(L), L.tensor([[0, 1]]).int(), 0))
    same_error(lambda L: L.take_along_dim(z(L), L.tensor([[0, 1]]), 5))


# ---------------------------------------------------------------- masks
@pytest.mark.parametrize("xs,ms", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (2, 4)),
                                   ((3, 1), (1, 4)), ((), ()), ((2, 3), ())], ids=str)
def test_masked_select_fill_scatter(xs, ms):
    m = _arr(ms, np.bool_, 2)
    x = _arr(xs)
    check_op(lambda L, x, m: L.masked_select(x, m), [x, m])
    gradcheck_op(lambda L, x, m: x.masked_select(m), [x, m], gradgrad=True)
    check_op(lambda L, x, m: L.masked_fill(x, m, 2.5), [x, m])
    check_op(lambda L, x, m, v: x.masked_fill(m, v), [x, m, np.array(-1.0, np.float32)])
    check_op(lambda L, x, m, v: x.masked_fill(m, v), [x, m, np.array(-1.0, np.float64)])
    gradcheck_op(lambda L, x, m, v: x.masked_fill(m, v), [x, m, np.array(2.0)],
                 gradgrad=True)
    src = _arr((12,), seed=3)
    check_op(lambda L, x, m, s: L.masked_scatter(x, m, s), [x, m, src])
    gradcheck_op(lambda L, x, m, s: x.masked_scatter(m, s), [x, m, src], gradgrad=True)
    if np.broadcast_shapes(xs, ms) == xs:
        check_op(lambda L, x, m: (x * 1).masked_fill_(m, 3), [x, m])
        check_op(lambda L, x, m, s: (x * 1).masked_scatter_(m, s), [x, m, src])
        check_op(lambda L, x, m: x.clone().masked_fill_(m, 3), [x, m], grad=False)


def test_masked_fill_dtypes():
    m = _arr((3, 4), np.bool_, 2)
    check_op(lambda L, x, m: x.masked_fill(m, 2.5), [_arr((3, 4), np.int64), m])
    check_op(lambda L, x, m, v: x.masked_fill(m, v), [_arr((3, 4), np.int64), m,
                                                      np.array(2.5, np.float32)], grad=False)
    check_op(lambda L, x, m: x.masked_fill(m, True), [_arr((3, 4), np.bool_), m])
    check_op(lambda L, x, m: x.masked_fill(m, float("-inf")), [_arr((3, 4)), m])
    check_op(lambda L, x, m: x.masked_select(m), [_arr((3, 4), np.int32), m])
    x = ember.zeros(3, 4)
    y = x.masked_fill_(ember.tensor(m), 1.0)
    assert y is x and x._version == 1 and x.sum().item() == m.sum()


def test_mask_errors():
    z = lambda L: L.zeros(3, 4)
    for dt in ("float32", "float64", "uint8", "int64", "int32", "int16", "int8", "float16"):
        same_error(lambda L: z(L).masked_fill(L.zeros(3, 4, dtype=getattr(L, dt)), 1.0))
    same_error(lambda L: z(L).masked_fill(z(L) > 0, L.tensor([2.])))
    same_error(lambda L: z(L).masked_fill(z(L) > 0, 1 + 1j))
    same_error(lambda L: z(L)[0].masked_fill_(L.ones(2, 4, dtype=L.bool), 2.0))
    same_error(lambda L: z(L).masked_select(L.ones(4, dtype=L.uint8)))
    same_error(lambda L: z(L).masked_select(L.ones(4)))
    same_error(lambda L: z(L).masked_scatter(z(L) == 0, L.arange(3.)))
    same_error(lambda L: z(L).masked_scatter(z(L) == 0, L.arange(12.).double()))
    same_error(lambda L: z(L).masked_scatter(L.ones(4), L.arange(12.)))
    same_error(lambda L: L.zeros(4).masked_fill_(L.ones(2, 4, dtype=L.bool), 1.0))


def test_masked_fill_grad_names():
    y = ember.zeros(3, requires_grad=True) * 1
    m = ember.tensor([True, False, True])
    assert _name(y.masked_fill(m, 2.0)) == "MaskedFillBackward0"
    assert _name(ember.zeros(3).masked_fill(m, ember.tensor(2., requires_grad=True))) == \
        "MaskedFillBackward1"
    assert _name(y.masked_select(m)) == "MaskedSelectBackward0"
    assert _name(y.masked_scatter(m, ember.ones(3))) == "MaskedScatterBackward0"
    assert not ember.zeros(3).masked_fill(m, 2.0).requires_grad


# ---------------------------------------------------------------- where / nonzero
WHERE = [
    ("tensors", lambda L, c, x, y: L.where(c, x, y), [(3, 4), (3, 4), (3, 4)]),
    ("broadcast", lambda L, c, x, y: L.where(c, x, y), [(4,), (3, 1), (1, 4)]),
    ("scalar_other", lambda L, c, x: L.where(c, x, 0.5), [(3, 4), (3, 4)]),
    ("scalar_input", lambda L, c, y: L.where(c, -1, y), [(3, 4), (4,)]),
    ("method", lambda L, c, x, y: x.where(c, y), [(3, 4), (3, 4), (3, 4)]),
    ("zero_dim", lambda L, c, x, y: L.where(c, x, y), [(), (), (2,)]),
]


@pytest.mark.parametrize("case", WHERE, ids=lambda c: c[0])
def test_where(case):
    _, fn, shapes = case
    ins = [_arr(shapes[0], np.bool_, 5)] + [_arr(s, seed=k) for k, s in enumerate(shapes[1:])]
    check_op(fn, ins)
    gradcheck_op(fn, ins, gradgrad=True)


def test_where_promotion():
    c = _arr((3, 4), np.bool_, 5)
    check_op(lambda L, c: L.where(c, 1, 0), [c])
    check_op(lambda L, c: L.where(c, 1.0, 0), [c])
    check_op(lambda L, c: L.where(c, True, False), [c])
    check_op(lambda L, c, x: L.where(c, x, 2.5), [c, _arr((3, 4), np.int64)])
    check_op(lambda L, c, x, y: L.where(c, x, y), [c, _arr((3, 4)), _arr((3, 4), np.float64)])
    check_op(lambda L, c, x, y: L.where(c, x, y), [c, _arr((3, 4)), np.array(2.0)])
    check_op(lambda L, c, x, y: L.where(c, x, y), [c, _arr((3, 4), np.int32), np.array(2)])
    check_op(lambda L, c, x: L.where(c.byte(), x, 1), [c, _arr((3, 4))])
    check_op(lambda L, c, x: L.where(c, x, x * 2, out=L.empty(0)), [c, _arr((3, 4))],
             grad=False)
    same_error(lambda L: L.where(L.zeros(3), L.zeros(3), 1))
    same_error(lambda L: L.where(L.zeros(3, 4) > 0, L.zeros(3, 4), L.zeros(2)))
    same_error(lambda L: L.ones(3).where(L.zeros(3), 1.0))


@pytest.mark.parametrize("shape,dt", [((3, 4), np.float32), ((5,), np.int64), ((2, 3, 2),
                                                                                 np.bool_),
                                      ((), np.float32), ((0, 3), np.float32)], ids=str)
def test_nonzero(shape, dt):
    x = np.asarray(_arr(shape, dt) * (np.arange(int(np.prod(shape))).reshape(shape) % 3 != 0))
    x = x.astype(dt)
    check_op(lambda L, x: L.nonzero(x), [x], grad=False)
    check_op(lambda L, x: x.nonzero(as_tuple=True), [x], grad=False)
    check_op(lambda L, x: L.argwhere(x), [x], grad=False)
    check_op(lambda L, x: x.argwhere(), [x], grad=False)
    check_op(lambda L, x: L.where(x != 0), [x], grad=False)
    check_op(lambda L: L.tensor(0.).nonzero(as_tuple=True), [], grad=False)
    out = ember.empty(0, dtype=ember.long)
    assert ember.nonzero(ember.tensor(x), out=out) is out
    same_error(lambda L: L.nonzero(L.ones(2), as_tuple=True, out=L.empty(0, dtype=L.long)))


# ---------------------------------------------------------------- fill_ / zero_ / copy_
def test_fill_zero():
    check_op(lambda L, x: (x * 1).fill_(2), [_arr((3, 4))])
    check_op(lambda L, x: (x * 1).zero_(), [_arr((3, 4))])
    check_op(lambda L, v: L.zeros(3).fill_(v), [np.array(1.5, np.float32)])
    check_op(lambda L, x, v: (x * 1).fill_(v), [_arr((2, 3)), np.array(1.5, np.float64)])
    check_op(lambda L, x: L.fill(x, 3), [_arr((3, 4))])
    check_op(lambda L, x, v: L.fill(x, v), [_arr((3, 4)), np.array(2.0, np.float32)])
    check_op(lambda L, x: L.zero_(x.clone()), [_arr((3, 4))], grad=False)
    check_op(lambda L, x: L.fill_(x.clone(), 3), [_arr((3, 4), np.int64)], grad=False)
    check_op(lambda L, x: x.clone().fill_(2.7), [_arr((3, 4), np.int64)], grad=False)
    check_op(lambda L, x: x.clone().fill_(2.5), [_arr((3, 4), np.bool_)], grad=False)
    gradcheck_op(lambda L, x, v: (x * 1).fill_(v), [_arr((2, 3)), np.array(1.5)],
                 gradgrad=True)
    for f in (lambda t: t.fill_(2.0), lambda t: t.zero_(), lambda t: t.fill_(ember.tensor(1.))):
        y = ember.zeros(3, requires_grad=True) * 1
        assert _name(f(y)) in ("FillBackward2", "ZeroBackward0", "FillBackward3")
    x = ember.zeros(4)
    assert x.fill_(1) is x and x._version == 1


def test_fill_view_writes_base():
    def fn(L, x):
        y = x * 1
        y[1].zero_()
        y[:, 0].fill_(5)
        return y
    check_op(fn, [_arr((3, 4))])


def test_fill_errors():
    same_error(lambda L: L.zeros(3).fill_(L.tensor([2.])))
    same_error(lambda L: L.zeros(3).fill_(1j))
    same_error(lambda L: L.zeros(3, dtype=L.uint8).fill_(300))
    same_error(lambda L: L.zeros(3, dtype=L.long).fill_(float("inf")))
    same_error(lambda L: L.zeros(3, dtype=L.int16).fill_(70000))
    same_error(lambda L: L.zeros(3, dtype=L.int32).fill_(2 ** 40))
    same_error(lambda L: L.zeros(3).fill_(1e300))
    same_error(lambda L: L.ones(3, requires_grad=True).fill_(2))
    same_error(lambda L: L.ones(3, requires_grad=True).zero_())
    same_error(lambda L: L.ones(3, requires_grad=True)[0].zero_())


def test_copy_():
    check_op(lambda L, x, s: L.zeros(3, 4).copy_(s), [_arr((3, 4)), _arr((4,), seed=1)])
    check_op(lambda L, x, s: (x * 1).copy_(s), [_arr((3, 4)), _arr((3, 1), seed=1)])
    check_op(lambda L, x, s: (x * 1).copy_(s), [_arr((3, 4)), _arr((4,), np.float64, 1)])
    check_op(lambda L, x, s: x.clone().copy_(s), [_arr((3, 4), np.int64), _arr((4,))],
             grad=False)
    check_op(lambda L, x, s: x.clone().copy_(s), [_arr((3, 4)), _arr((4,), np.int32)],
             grad=False)
    check_op(lambda L, x: x.clone().copy_(L.tensor([1 + 1j] * 4)), [_arr((3, 4))], grad=False)
    check_op(lambda L, x: (x * 1).copy_(3), [_arr((3, 4))])
    check_op(lambda L, x, s: L.zeros(1, 3).copy_(s), [_arr((3, 4)), _arr((3,), seed=1)])
    gradcheck_op(lambda L, x, s: (x * 1).copy_(s), [_arr((2, 3)), _arr((3,), seed=1)],
                 gradgrad=True)
    y = ember.zeros(3)
    y.copy_(ember.ones(3, requires_grad=True) * 2)
    assert _name(y) == "CopyBackwards"
    x = ember.zeros(2, 3)
    assert x.copy_(ember.ones(3)) is x and x._version == 1 and x.sum().item() == 6
    a = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        a.copy_(ember.zeros(3))
    assert a.sum().item() == 0


def test_copy_errors():
    same_error(lambda L: L.zeros(3, 4).copy_(L.ones(2)))
    same_error(lambda L: L.zeros(3, 4).copy_(L.ones(2, 3, 4)))
    same_error(lambda L: L.zeros(3, 4).copy_(L.ones(1, 1, 4)))
    same_error(lambda L: L.zeros(3, 4).copy_(np.ones(4)))
    same_error(lambda L: L.ones(3, requires_grad=True).copy_(L.ones(3)))


def test_inplace_on_view_of_leaf_raises_before_writing():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w[0:2].add_(1)
    assert w.tolist() == [1, 1, 1]


def test_saved_tensor_modified_through_index_view():
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    for L in (torch, ember):
        a = L.ones(3, requires_grad=True)
        y = a.exp()
        with L.no_grad():
            y[0:2].zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
