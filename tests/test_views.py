"""Views share memory with their base exactly where PyTorch's do: writes through either side
are seen by the other, strides / storage offsets / contiguity match PyTorch, and ops that
PyTorch documents as copies never alias their input."""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")


def _base(L):
    return L.arange(24.).reshape(2, 3, 4)


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


# fn(L, x) on x = arange(24).reshape(2, 3, 4); every result must be a view of x.
VIEWS = [
    ("view", lambda L, x: x.view(-1)),
    ("view_2d", lambda L, x: x.view(4, 6)),
    ("view_as", lambda L, x: x.view_as(L.zeros(6, 4))),
    ("view_dtype", lambda L, x: x.view(L.int32)),
    ("view_dtype_half", lambda L, x: x.view(L.float16)),
    ("view_dtype_double", lambda L, x: x.view(L.float64)),
    ("reshape", lambda L, x: x.reshape(6, 4)),
    ("reshape_as", lambda L, x: x.reshape_as(L.zeros(24))),
    ("reshape_of_view", lambda L, x: x.transpose(0, 1).reshape(3, 2, 2, 2)),
    ("flatten", lambda L, x: x.flatten()),
    ("flatten_part", lambda L, x: x.flatten(0, 1)),
    ("unflatten", lambda L, x: x.unflatten(2, (2, 2))),
    ("ravel", lambda L, x: x.ravel()),
    ("expand", lambda L, x: x.unsqueeze(0).expand(3, 2, 3, 4)),
    ("expand_as", lambda L, x: x.select(0, 0).select(0, 0).expand_as(x)),
    ("broadcast_to", lambda L, x: L.broadcast_to(x.narrow(2, 0, 1), (2, 3, 5))),
    ("broadcast_tensors", lambda L, x: L.broadcast_tensors(x, L.zeros(2, 1, 1))[0]),
    ("permute", lambda L, x: x.permute(2, 0, 1)),
    ("transpose", lambda L, x: x.transpose(0, 2)),
    ("swapaxes", lambda L, x: x.swapaxes(1, 2)),
    ("t", lambda L, x: x.select(0, 1).t()),
    ("T", lambda L, x: x.select(0, 1).T),
    ("mT", lambda L, x: x.mT),
    ("movedim", lambda L, x: x.movedim(0, -1)),
    ("squeeze", lambda L, x: x.narrow(1, 1, 1).squeeze()),
    ("squeeze_dim", lambda L, x: x.narrow(1, 1, 1).squeeze(1)),
    ("unsqueeze", lambda L, x: x.unsqueeze(1)),
    ("unsqueeze_t", lambda L, x: x.transpose(0, 2).unsqueeze(-1)),
    ("select", lambda L, x: x.select(1, 2)),
    ("select_last", lambda L, x: x.select(-1, -1)),
    ("narrow", lambda L, x: x.narrow(2, 1, 2)),
    ("split", lambda L, x: x.split(3, dim=2)),
    ("split_sizes", lambda L, x: x.split([1, 2], dim=1)),
    ("chunk", lambda L, x: x.chunk(2, 2)),
    ("tensor_split", lambda L, x: x.tensor_split([1, 3], 2)),
    ("hsplit", lambda L, x: x.hsplit(3)),
    ("unbind", lambda L, x: x.unbind(1)),
    ("diagonal", lambda L, x: x.diagonal()),
    ("diagonal_off", lambda L, x: x.diagonal(1, 1, 2)),
    ("diagonal_neg", lambda L, x: x.diagonal(-1, -1, 1)),
    ("unfold", lambda L, x: x.unfold(2, 2, 1)),
    ("unfold_step", lambda L, x: x.unfold(2, 2, 2)),
    ("as_strided", lambda L, x: x.as_strided((3, 3), (4, 1))),
    ("as_strided_offset", lambda L, x: x.as_strided((2, 2), (1, 2), 5)),
    ("as_strided_of_view", lambda L, x: x.select(0, 1).as_strided((2, 2), (1, 4))),
    ("atleast_3d", lambda L, x: L.atleast_3d(x.select(0, 0))),
    ("meshgrid", lambda L, x: L.meshgrid(x.select(0, 0).select(0, 0), x.select(0, 1)
                                          .select(0, 1), indexing="xy")),
    ("alias_t", lambda L, x: x.select(0, 0).select(0, 0).t()),
    ("repeat_interleave_1", lambda L, x: x.flatten(0, 1)),
]

# fn(L, x): results in fresh memory (PyTorch copies here too).
COPIES = [
    ("reshape_noncontig", lambda L, x: x.transpose(0, 2).reshape(-1)),
    ("flatten_noncontig", lambda L, x: x.permute(1, 0, 2).flatten()),
    ("flip", lambda L, x: x.flip(0)),
    ("fliplr", lambda L, x: x.fliplr()),
    ("roll", lambda L, x: x.roll(1, 2)),
    ("rot90", lambda L, x: x.rot90()),
    ("tril", lambda L, x: x.tril()),
    ("triu", lambda L, x: x.triu(1)),
    ("cat", lambda L, x: L.cat([x])),
    ("stack", lambda L, x: L.stack([x])),
    ("repeat", lambda L, x: x.repeat(1, 1, 1)),
    ("tile", lambda L, x: x.tile((1,))),
    ("repeat_interleave", lambda L, x: x.repeat_interleave(1, dim=0)),
    ("diag", lambda L, x: L.diag(x.select(0, 0))),
    ("diag_embed", lambda L, x: L.diag_embed(x)),
    ("narrow_copy", lambda L, x: L.narrow_copy(x, 0, 0, 1)),
    ("kron", lambda L, x: L.kron(x, L.ones(1))),
    ("block_diag", lambda L, x: L.block_diag(x.select(0, 0))),
    ("combinations", lambda L, x: L.combinations(x.select(0, 0).select(0, 0))),
]


@pytest.mark.parametrize("name,fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_shares_memory(name, fn):
    x = _base(ember)
    for v in _flat(fn(ember, x)):
        assert np.shares_memory(v.numpy(), x.numpy()), name
        assert v._version == x._version
        assert v._base is (x if x._base is None else x._base)   # the root, as in PyTorch


@pytest.mark.parametrize("name,fn", COPIES, ids=[c[0] for c in COPIES])
def test_copy_does_not_share_memory(name, fn):
    x = _base(ember)
    for v in _flat(fn(ember, x)):
        assert not np.shares_memory(v.numpy(), x.numpy()), name


def _geometry(t):
    return tuple(t.shape), t.stride(), t.storage_offset(), t.is_contiguous()


@requires_torch
@pytest.mark.parametrize("name,fn", VIEWS + COPIES, ids=[v[0] for v in VIEWS + COPIES])
def test_geometry_matches_torch(name, fn):
    outs_e, outs_t = _flat(fn(ember, _base(ember))), _flat(fn(torch, _base(torch)))
    for e, t in zip(outs_e, outs_t):
        assert _geometry(e) == _geometry(t)
        assert str(e.dtype) == str(t.dtype)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def _writable(t):
    """No two elements share memory (writing such views is undefined in PyTorch)."""
    pos = np.zeros(t.shape, np.int64)
    for d, (n, s) in enumerate(zip(t.shape, t.stride())):
        pos += (np.arange(n) * s).reshape((-1,) + (1,) * (t.ndim - d - 1))
    return len(np.unique(pos)) == pos.size


@requires_torch
@pytest.mark.parametrize("name,fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_writes_propagate_both_ways(name, fn):
    results = []
    for L in (ember, torch):
        x = _base(L)
        outs = _flat(fn(L, x))
        x.add_(1)                                   # base -> views
        seen = [o.clone() for o in outs]
        for o in outs:
            if _writable(o) and o.dtype == x.dtype:
                o.mul_(-2)                          # view -> base
        results.append(([s.numpy() for s in seen], x.clone().numpy()))
    (seen_e, base_e), (seen_t, base_t) = results
    for a, b in zip(seen_e, seen_t):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(base_e, base_t)


def test_expand_is_not_writable():
    x = ember.zeros(3, 1)
    with pytest.raises(RuntimeError, match="single memory location"):
        x.expand(3, 4).add_(1)


# ---------------------------------------------------------------- view() errors
@pytest.mark.parametrize("fn", [lambda x: x.t().view(-1), lambda x: x.t().view(12),
                                lambda x: x.unsqueeze(0).transpose(0, 2).view(12)])
def test_view_impossible_raises(fn):
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's "
                                           r"size and stride \(at least one dimension spans "
                                           r"across two contiguous subspaces\)\. Use "
                                           r"\.reshape\(\.\.\.\) instead\."):
        fn(x)


def test_view_possible_on_noncontiguous():
    # splitting or merging dims that stay contiguous in memory is still a view
    x = ember.zeros(4, 6).t()
    v = x.view(3, 2, 4)
    assert np.shares_memory(v.numpy(), x.numpy())
    y = ember.zeros(2, 3, 4).narrow(2, 0, 2)
    assert np.shares_memory(y.view(6, 2).numpy(), y.numpy())


def test_contiguous_and_strides():
    x = ember.zeros(2, 3, 4)
    assert x.is_contiguous() and x.stride() == (12, 4, 1)
    assert not x.transpose(0, 1).is_contiguous()
    assert x.transpose(0, 1).stride() == (4, 12, 1)
    assert x.narrow(1, 1, 2).storage_offset() == 4
    assert x.select(2, 3).stride() == (12, 4) and x.select(2, 3).storage_offset() == 3
    assert x.diagonal(0, 1, 2).stride() == (12, 5)
    assert x.unfold(2, 2, 1).stride() == (12, 4, 1, 1)


# ---------------------------------------------------------------- version counters
def test_views_share_version_counter():
    x = ember.zeros(3, 4)
    v = x.view(-1)
    d = x.diagonal()
    x.add_(1)
    assert v._version == x._version == d._version == 1
    v.add_(1)
    assert x._version == 2 and float(x.sum()) == 24.0


def test_inplace_on_base_invalidates_saved_view():
    a = ember.ones(3, 4, requires_grad=True) * 1
    v = a.t()
    out = (v * v).sum()
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


# ---------------------------------------------------------------- view(dtype)
@requires_torch
@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("float32", "float16"),
                                     ("float32", "float64"), ("float32", "uint8"),
                                     ("int64", "float64"), ("bool", "uint8"),
                                     ("uint8", "bool"), ("int16", "float16"),
                                     ("float32", "complex64"), ("complex64", "float32")])
def test_view_dtype_reinterprets_bits(src, dst):
    data = np.arange(24).reshape(3, 8) % (2 if src in ("bool", "uint8") else 100)
    outs = []
    for L in (ember, torch):
        x = L.tensor(data.astype(src))
        v = x.view(getattr(L, dst))
        outs.append((v, x))
        assert not v.requires_grad
    (ve, xe), (vt, xt) = outs
    assert tuple(ve.shape) == tuple(vt.shape) and ve.stride() == vt.stride()
    assert str(ve.dtype) == str(vt.dtype)
    np.testing.assert_array_equal(ve.numpy(), vt.numpy())
    assert np.shares_memory(ve.numpy(), xe.numpy())


def test_view_dtype_no_grad_and_writes_through():
    x = ember.zeros(4, requires_grad=True)
    assert not x.view(ember.int32).requires_grad
    y = ember.zeros(4)
    y.view(ember.int32).add_(1)   # smallest subnormal float bits
    assert (y.numpy() > 0).all() and y.numpy().max() < 1e-44


@requires_torch
def test_view_dtype_transposed_same_size():
    x = ember.arange(6.).reshape(2, 3).t()
    xt = torch.arange(6.).reshape(2, 3).t()
    assert x.view(ember.int32).stride() == xt.view(torch.int32).stride()
    np.testing.assert_array_equal(x.view(ember.int32).numpy(), xt.view(torch.int32).numpy())


@requires_torch
def test_view_dtype_storage_offset_error():
    for L in (ember, torch):
        x = L.zeros(8).narrow(0, 1, 6)
        with pytest.raises(RuntimeError, match=r"self.storage_offset\(\) must be divisible by 2 "
                                               r"to view Float as Double \(different element "
                                               r"sizes\), but got 1"):
            x.view(L.float64)


# ---------------------------------------------------------------- in-place shape ops
@requires_torch
@pytest.mark.parametrize("op", [lambda x: x.t_(), lambda x: x.transpose_(0, 1),
                                lambda x: x.swapaxes_(1, 0), lambda x: x.swapdims_(0, -1),
                                lambda x: x.unsqueeze_(1), lambda x: x.unsqueeze_(0).squeeze_(),
                                lambda x: x.unsqueeze_(-1).squeeze_(-1)])
def test_inplace_shape_ops(op):
    res = []
    for L in (ember, torch):
        w = L.tensor(np.arange(6.).reshape(2, 3), requires_grad=True)
        x = w * 1
        r = op(x)
        assert r is x
        res.append((tuple(x.shape), x.stride(), x._version, x.grad_fn.name()))
        (x * L.tensor(np.arange(6.).reshape(x.shape))).sum().backward()
        res.append(w.grad.numpy().tolist())
    assert res[:2] == res[2:]


def test_inplace_shape_ops_refuse_leaf_requiring_grad():
    x = ember.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation."):
        x.t_()
    with ember.no_grad():
        x.t_()
    assert x.shape == (3, 2)


def test_inplace_shape_ops_keep_memory():
    x = ember.zeros(2, 3)
    arr = x.numpy()
    x.t_().unsqueeze_(0)
    assert x.shape == (1, 3, 2) and np.shares_memory(x.numpy(), arr)


# ---------------------------------------------------------------- resize_
@requires_torch
@pytest.mark.parametrize("make,size", [
    (lambda L: L.arange(6.).reshape(2, 3), (3, 2)),
    (lambda L: L.arange(6.).reshape(2, 3), (4,)),
    (lambda L: L.arange(6.).reshape(2, 3).t(), (3, 2)),
    (lambda L: L.arange(6.).reshape(2, 3).t(), (2, 2)),
    (lambda L: L.arange(6.).reshape(2, 3).select(0, 1), (2,)),
    (lambda L: L.arange(6.).reshape(2, 3), (2, 3)),
])
def test_resize_within_storage(make, size):
    res = []
    for L in (ember, torch):
        x = make(L)
        v0 = x._version
        x.resize_(*size)
        res.append((tuple(x.shape), x.stride(), x.storage_offset(), x.numpy().tolist(),
                    x._version - v0))
    assert res[0] == res[1]


@requires_torch
def test_resize_grows_keeping_data():
    x = ember.arange(6.).reshape(2, 3)
    x.resize_(2, 4)
    xt = torch.arange(6.).reshape(2, 3)
    xt.resize_(2, 4)
    assert x.shape == (2, 4) and x.stride() == (4, 1)
    np.testing.assert_array_equal(x.numpy().reshape(-1)[:6], xt.numpy().reshape(-1)[:6])
    x.resize_as_(ember.zeros(5))
    assert x.shape == (5,)


def test_resize_errors():
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ember.zeros(3, requires_grad=True).resize_(2)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        (ember.zeros(3, requires_grad=True) * 2).resize_(2)


# ---------------------------------------------------------------- as_strided storage rules
@requires_torch
def test_as_strided_storage_offset_is_absolute():
    for L in (ember, torch):
        x = L.arange(12.)
        v = x.narrow(0, 4, 4)
        assert v.as_strided((2,), (1,)).storage_offset() == 4
        assert v.as_strided((2,), (1,), 0).numpy().tolist() == [0.0, 1.0]
        assert v.as_strided((2,), (3,), 1).numpy().tolist() == [1.0, 4.0]


def test_as_strided_gradient_skips_uncovered_memory():
    # positions of the view outside the input (but inside its storage) get no gradient
    base = ember.arange(12., dtype=ember.float64)
    x = base.narrow(0, 4, 4).detach().requires_grad_(True)
    x.as_strided((3,), (2,), 2).sum().backward()     # reads storage elements 2, 4, 6
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1, 0])


def test_unfold_view_writes():
    x = ember.zeros(5)
    w = x.unfold(0, 2, 1)
    w.select(0, 1).add_(1)
    np.testing.assert_array_equal(x.numpy(), [0, 1, 1, 0, 0])


# ---------------------------------------------------------------- random chains of views
_CHAIN_OPS = [
    lambda x, r: x.t() if x.ndim == 2 else x.transpose(0, -1),
    lambda x, r: x.unsqueeze(r.randint(-x.ndim - 1, x.ndim)),
    lambda x, r: x.squeeze(),
    lambda x, r: x.select(0, r.randrange(x.shape[0])) if x.ndim and x.shape[0] else x,
    lambda x, r: x.narrow(-1, 0, x.shape[-1] // 2) if x.ndim else x,
    lambda x, r: x.diagonal(r.randint(-1, 1)) if x.ndim >= 2 else x,
    lambda x, r: x.unfold(-1, 1, 2) if x.ndim and x.shape[-1] else x,
    lambda x, r: x.reshape(-1),
    lambda x, r: x.movedim(0, -1) if x.ndim else x,
    lambda x, r: x.expand(2, *x.shape),
    lambda x, r: x.split(2, -1)[-1] if x.ndim else x,
]


@requires_torch
def test_random_view_chains_match_torch():
    """Shapes, strides (of dims longer than 1: PyTorch's strides of size-1 dims are a
    convention ember doesn't track), storage offsets and values after random view chains."""
    import random

    def geometry(t):
        shp = tuple(t.shape)
        st = tuple(s if n > 1 else None for s, n in zip(t.stride(), shp))
        return shp, st, t.storage_offset() if t.numel() else None, t.is_contiguous()

    rng = random.Random(0)
    for trial in range(300):
        shape = tuple(rng.randint(1, 4) for _ in range(rng.randint(1, 4)))
        seq = [rng.randrange(len(_CHAIN_OPS)) for _ in range(rng.randint(1, 4))]
        res = []
        for L in (ember, torch):
            x = L.arange(float(np.prod(shape))).reshape(shape)
            r = random.Random(trial)
            for k in seq:
                x = _CHAIN_OPS[k](x, r)
            res.append((geometry(x), x.numpy().tolist()))
        assert res[0] == res[1], (shape, seq)
