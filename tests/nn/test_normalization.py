"""Normalization layers: functional ops and modules against PyTorch (copied weights and
buffers, several training steps, eval mode, state_dict), float64 grad/gradgrad checks,
errors and reprs."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.conformance.harness import check_op, gradcheck_op, requires_torch

try:
    import torch
except ImportError:
    torch = None


def _np(t):
    return t.detach().cpu().numpy() if torch is not None and isinstance(t, torch.Tensor) \
        else np.asarray(t.detach())


def _arr(rng, *shape, scale=2.0, shift=0.5):
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


# ---------------------------------------------------------------------------- functional
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional(rng, shape, training):
    c = shape[1]
    rm, rv = rng.standard_normal(c).astype(np.float32), rng.uniform(0.5, 2, c).astype(np.float32)

    def fn(lib, x, w, b):
        return lib.nn.functional.batch_norm(x, lib.tensor(rm), lib.tensor(rv), w, b,
                                            training=training, momentum=0.3, eps=1e-3)
    check_op(fn, [_arr(rng, *shape), _arr(rng, c), _arr(rng, c)])


@pytest.mark.parametrize("affine", ["none", "weight", "bias"])
def test_batch_norm_partial_affine(rng, affine):
    w = _arr(rng, 3) if affine == "weight" else None
    b = _arr(rng, 3) if affine == "bias" else None

    def fn(lib, x):
        return lib.nn.functional.batch_norm(
            x, None, None, None if w is None else lib.tensor(w),
            None if b is None else lib.tensor(b), training=True)
    check_op(fn, [_arr(rng, 5, 3, 4)])


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (3, 2, 40), (2, 4, 1, 17)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional_long_rows(rng, shape, training):
    # rows of 16+ elements take the vecdot reductions (shorter ones einsum / sum)
    c = shape[1]
    rm, rv = rng.standard_normal(c).astype(np.float32), rng.uniform(0.5, 2, c).astype(np.float32)

    def fn(lib, x, w, b):
        return lib.nn.functional.batch_norm(x, lib.tensor(rm), lib.tensor(rv), w, b,
                                            training=training, momentum=0.3, eps=1e-3)
    check_op(fn, [_arr(rng, *shape, shift=3.0), _arr(rng, c), _arr(rng, c)])


@requires_torch
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (False, True, True)])
def test_batch_norm_partial_input_grads(rng, training, needs):
    # each subset of (x, weight, bias) requiring grad, in training and eval mode
    x, w, b = _arr(rng, 4, 3, 5, 4), _arr(rng, 3), _arr(rng, 3)
    g = _arr(rng, 4, 3, 5, 4)
    rm, rv = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        ts = [lib.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs)]
        y = lib.nn.functional.batch_norm(ts[0], lib.tensor(rm), lib.tensor(rv), ts[1], ts[2],
                                         training=training)
        y.backward(lib.tensor(g))
        grads.append([None if t.grad is None else _np(t.grad) for t in ts])
    for ge, gt in zip(*grads):
        assert (ge is None) == (gt is None)
        if ge is not None:
            np.testing.assert_allclose(ge, gt, rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_batch_norm_half_precision(rng, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    x, g = _arr(rng, 4, 3, 6, 5), _arr(rng, 4, 3, 6, 5)
    out = []
    for lib in (ember, torch):
        dt = getattr(lib, dtype)
        xt = lib.tensor(x).to(dt).requires_grad_()
        w = lib.tensor(_arr(np.random.default_rng(1), 3), requires_grad=True)
        y = lib.nn.functional.batch_norm(xt, None, None, w, None, training=True)
        y.backward(lib.tensor(g).to(dt))
        assert y.dtype == dt and xt.grad.dtype == dt and w.grad.dtype == lib.float32
        out.append([_np(t.float()) for t in (y, xt.grad, w.grad)])
    for e, t in zip(*out):
        np.testing.assert_allclose(e, t, rtol=2e-2, atol=5e-2)


@requires_torch
def test_batch_norm_running_stats_update(rng):
    x = _arr(rng, 8, 3, 4, 4)
    out = []
    for lib in (ember, torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        for m in (0.1, 0.5):
            lib.nn.functional.batch_norm(lib.tensor(x), rm, rv, training=True, momentum=m)
        out.append((_np(rm), _np(rv)))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-5, atol=1e-6)


def test_batch_norm_running_stats_are_unbiased(rng):
    x = _arr(rng, 4, 2, 3)
    rm, rv = ember.zeros(2), ember.zeros(2)
    F.batch_norm(ember.tensor(x), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(_np(rm), x.mean((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(_np(rv), x.transpose(1, 0, 2).reshape(2, -1).var(1, ddof=1),
                               rtol=1e-5)
    assert rm._version > 0


@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)),
                                      ((2, 3, 5), (2, 3, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_functional(rng, shape, ns, affine):
    if affine:
        check_op(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, ns, w, b, eps=1e-4),
                 [_arr(rng, *shape), _arr(rng, *ns), _arr(rng, *ns)])
    else:
        check_op(lambda lib, x: lib.nn.functional.layer_norm(x, list(ns)),
                 [_arr(rng, *shape)])


def test_layer_norm_weight_without_bias(rng):
    check_op(lambda lib, x, w: lib.nn.functional.layer_norm(x, (5,), w, None),
             [_arr(rng, 3, 5), _arr(rng, 5)])


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 4), 4),
                                          ((2, 6, 2, 2, 2), 1)])
def test_group_norm_functional(rng, shape, groups):
    c = shape[1]
    check_op(lambda lib, x, w, b: lib.nn.functional.group_norm(x, groups, w, b, eps=1e-4),
             [_arr(rng, *shape), _arr(rng, c), _arr(rng, c)])
    check_op(lambda lib, x: lib.nn.functional.group_norm(x, groups), [_arr(rng, *shape)])


@requires_torch
def test_instance_norm_functional_with_running_stats(rng):
    x = _arr(rng, 3, 4, 5)
    w, b = _arr(rng, 4), _arr(rng, 4)
    out = []
    for lib in (ember, torch):
        rm, rv = lib.zeros(4), lib.ones(4)
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.instance_norm(xt, rm, rv, lib.tensor(w), lib.tensor(b),
                                            use_input_stats=True, momentum=0.2)
        y.backward(lib.tensor(x))
        y2 = lib.nn.functional.instance_norm(lib.tensor(x), rm, rv, use_input_stats=False)
        out.append([_np(t) for t in (y, xt.grad, rm, rv, y2)])
    for a, b_ in zip(*out):
        np.testing.assert_allclose(a, b_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_functional(rng, eps):
    check_op(lambda lib, x, w: lib.nn.functional.rms_norm(x, (3, 4), w, eps),
             [_arr(rng, 2, 3, 4), _arr(rng, 3, 4)])
    check_op(lambda lib, x: lib.nn.functional.rms_norm(x, [4], eps=eps), [_arr(rng, 5, 4)])


@pytest.mark.parametrize("shape,size", [((2, 5, 4), 3), ((2, 6, 3, 3), 2), ((1, 4, 2, 2, 2), 5)])
def test_local_response_norm_functional(rng, shape, size):
    check_op(lambda lib, x: lib.nn.functional.local_response_norm(x, size, alpha=0.5, beta=0.6,
                                                                  k=1.5),
             [_arr(rng, *shape)])


@requires_torch
def test_grad_fn_names(rng):
    x = ember.tensor(_arr(rng, 2, 4, 3), requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.group_norm(x, 2).grad_fn.name() == "NativeGroupNormBackward0"


def test_float64_stays_float64(rng):
    x = ember.tensor(_arr(rng, 3, 4, 2).astype(np.float64))
    assert F.batch_norm(x, None, None, training=True).dtype is ember.float64
    assert F.layer_norm(x, (2,)).dtype is ember.float64
    assert F.group_norm(x, 2).dtype is ember.float64


# ---------------------------------------------------------------------------- gradchecks
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradgradcheck(rng, training):
    rm = ember.tensor(rng.standard_normal(2))
    rv = ember.tensor(rng.uniform(0.5, 2, 2))
    gradcheck_op(lambda lib, x, w, b: lib.nn.functional.batch_norm(
        x, rm.clone(), rv.clone(), w, b, training=training),
        [rng.standard_normal((3, 2, 2)), rng.standard_normal(2), rng.standard_normal(2)],
        gradgrad=True)


def test_layer_norm_gradgradcheck(rng):
    gradcheck_op(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (2, 3), w, b),
                 [rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 3)),
                  rng.standard_normal((2, 3))], gradgrad=True)
    gradcheck_op(lambda lib, x: lib.nn.functional.layer_norm(x, (3,)),
                 [rng.standard_normal((2, 3))], gradgrad=True)


def test_group_norm_gradgradcheck(rng):
    gradcheck_op(lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b),
                 [rng.standard_normal((2, 4, 3)), rng.standard_normal(4),
                  rng.standard_normal(4)], gradgrad=True)


def test_composed_norms_gradgradcheck(rng):
    x = rng.standard_normal((2, 3, 4))
    gradcheck_op(lambda lib, x: lib.nn.functional.instance_norm(x), [x], gradgrad=True)
    gradcheck_op(lambda lib, x, w: lib.nn.functional.rms_norm(x, (4,), w),
                 [x, rng.standard_normal(4)], gradgrad=True)
    gradcheck_op(lambda lib, x: lib.nn.functional.local_response_norm(x, 3, alpha=0.3),
                 [x], gradgrad=True)


def test_double_backward_gradient_penalty(rng):
    # d/dw of ||d out/d x||^2 goes through the backward of the fused op
    x = ember.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = ember.tensor(rng.standard_normal(3), requires_grad=True)
    y = F.batch_norm(x, None, None, w, None, training=True)
    (gx,) = ember.autograd.grad((y * y.detach()).sum(), x, create_graph=True)
    (gx * gx).sum().backward()
    assert w.grad is not None and np.all(np.isfinite(_np(w.grad)))


@requires_torch
@pytest.mark.parametrize("ctor", ["BatchNorm1d(3)", "LayerNorm(4)", "GroupNorm(3, 3)"])
def test_gradient_penalty_matches_torch(rng, ctor):
    x = rng.standard_normal((6, 3, 4)).astype(np.float32)
    v = rng.standard_normal((6, 3, 4)).astype(np.float32)
    params = None
    res = []
    for lib in (ember, torch):
        m = eval(f"lib.nn.{ctor}")
        if params is None:
            params = [rng.standard_normal(tuple(p.shape)).astype(np.float32)
                      for p in m.parameters()]
        with lib.no_grad():
            for p, a in zip(m.parameters(), params):
                p.copy_(lib.tensor(a))
        xt = lib.tensor(x, requires_grad=True)
        (gx,) = lib.autograd.grad((m(xt) * lib.tensor(v)).sum(), xt, create_graph=True)
        pen = (gx * gx).sum()
        pen.backward()
        res.append([_np(pen), _np(xt.grad), _np(m.weight.grad)])
        assert m.bias.grad is None
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-4 * np.abs(b).max())


# ---------------------------------------------------------------------------- module helpers
def _copy(me, mt):
    me.load_state_dict({k: ember.tensor(_np(v)) for k, v in mt.state_dict().items()})


def _pair(ctor):
    """Build the torch module (seeded) and the ember module with its weights and buffers."""
    torch.manual_seed(0)
    mt = eval("torch.nn." + ctor)
    me = eval("nn." + ctor)
    assert list(me.state_dict().keys()) == list(mt.state_dict().keys())
    if mt.state_dict():
        with torch.no_grad():
            for p in mt.parameters():   # not the trivial ones/zeros init
                p.copy_(torch.randn(p.shape))
        _copy(me, mt)
    return me, mt


def _step(me, mt, x, rtol=1e-4, atol=1e-5):
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = me(xe), mt(xt)
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=rtol, atol=atol)
    g = np.random.default_rng(3).standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=rtol, atol=atol)
    for (ne, pe), (nt, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert ne == nt
        np.testing.assert_allclose(_np(pe.grad), _np(pt.grad), rtol=rtol, atol=10 * atol,
                                   err_msg=ne)
    _check_state(me, mt)


def _check_state(me, mt):
    se, st = me.state_dict(), mt.state_dict()
    assert list(se.keys()) == list(st.keys())
    for k in st:
        assert str(se[k].dtype) == str(st[k].dtype), k
        np.testing.assert_allclose(_np(se[k]), _np(st[k]), rtol=1e-5, atol=1e-6, err_msg=k)


# ---------------------------------------------------------------------------- batch norm modules
@requires_torch
@pytest.mark.parametrize("ctor,shape", [
    ("BatchNorm1d(5)", (8, 5)), ("BatchNorm1d(5, momentum=None)", (4, 5, 3)),
    ("BatchNorm2d(3, eps=1e-3, momentum=0.3)", (4, 3, 5, 5)),
    ("BatchNorm2d(3, affine=False)", (2, 3, 4, 4)), ("BatchNorm2d(3, bias=False)", (2, 3, 2, 2)),
    ("BatchNorm3d(2)", (2, 2, 3, 2, 2)),
    ("BatchNorm2d(3, track_running_stats=False)", (4, 3, 3, 3))])
def test_batch_norm_module_train_then_eval(rng, ctor, shape):
    me, mt = _pair(ctor)
    for _ in range(3):
        _step(me, mt, _arr(rng, *shape))
    me.eval()
    mt.eval()
    _step(me, mt, _arr(rng, *shape))
    if mt.track_running_stats:
        assert int(me.num_batches_tracked) == 3


@requires_torch
def test_batch_norm_momentum_none_is_cumulative_average(rng):
    me, mt = _pair("BatchNorm1d(4, momentum=None)")
    xs = [_arr(rng, 6, 4) for _ in range(4)]
    for x in xs:
        me(ember.tensor(x))
        mt(torch.tensor(x))
    _check_state(me, mt)
    np.testing.assert_allclose(_np(me.running_mean), np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-5, atol=1e-6)


def test_batch_norm_buffers_and_reset(rng):
    bn = nn.BatchNorm2d(3)
    assert bn.num_batches_tracked.dtype is ember.int64
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                 "num_batches_tracked"]
    bn(ember.tensor(_arr(rng, 2, 3, 2, 2)))
    assert int(bn.num_batches_tracked) == 1
    assert not np.allclose(_np(bn.running_var), 1)
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked) == 0
    np.testing.assert_array_equal(_np(bn.running_mean), 0)
    np.testing.assert_array_equal(_np(bn.running_var), 1)
    with ember.no_grad():
        bn.weight.fill_(3)
    bn.reset_parameters()
    np.testing.assert_array_equal(_np(bn.weight), 1)
    np.testing.assert_array_equal(_np(bn.bias), 0)
    no_track = nn.BatchNorm1d(2, track_running_stats=False)
    assert no_track.running_mean is None and no_track.num_batches_tracked is None
    assert list(no_track.state_dict().keys()) == ["weight", "bias"]


def test_batch_norm_eval_without_buffers_uses_batch_stats(rng):
    bn = nn.BatchNorm1d(3, track_running_stats=False).eval()
    x = _arr(rng, 10, 3)
    y = _np(bn(ember.tensor(x)))
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-4,
                               atol=1e-5)


def test_batch_norm_loads_checkpoint_without_num_batches_tracked():
    bn = nn.BatchNorm2d(3)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: '
                                           '"num_batches_tracked"'):
        bn.load_state_dict(sd)             # version 2 metadata: the key is required
    sd._metadata[""]["version"] = 1        # an old checkpoint
    assert not bn.load_state_dict(sd).missing_keys
    plain = {k: v for k, v in sd.items()}  # no metadata at all
    assert not bn.load_state_dict(plain).missing_keys
    nested = nn.Sequential(nn.BatchNorm1d(2))
    sd = nested.state_dict()
    del sd["0.num_batches_tracked"]
    sd._metadata["0"]["version"] = 1
    nested.load_state_dict(sd)
    assert int(nested[0].num_batches_tracked) == 0


def test_batch_norm_module_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(ember.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ember.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3)(ember.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                                         r"training, got input size torch.Size\(\[1, 10\]\)"):
        nn.BatchNorm1d(10)(ember.zeros(1, 10))
    nn.BatchNorm1d(10).eval()(ember.zeros(1, 10))   # fine in eval
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm2d(3)(ember.zeros(2, 4, 5, 5))


def test_batch_norm_functional_errors():
    x = ember.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match="running_var should contain 3 elements not 4"):
        F.batch_norm(x, ember.zeros(3), ember.ones(4))
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        F.batch_norm(x, ember.zeros(3), ember.ones(3), weight=ember.ones(4))
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="batch_norm eps must be positive during training, "
                                         "but got 0"):
        F.batch_norm(x, None, None, training=True, eps=0)
    with pytest.raises(NotImplementedError, match="\"batch_norm\" not implemented for 'Long'"):
        F.batch_norm(x.long(), None, None, training=True)
    with pytest.raises(RuntimeError, match="mixed dtype"):
        F.batch_norm(x.double(), ember.zeros(3), ember.ones(3), training=True)


@requires_torch
@pytest.mark.parametrize("ctor,shape,becomes", [
    ("LazyBatchNorm2d()", (2, 3, 4, 4), "BatchNorm2d"),
    ("LazyBatchNorm1d(affine=False)", (4, 3), "BatchNorm1d"),
    ("LazyInstanceNorm1d()", (2, 3, 5), "InstanceNorm1d"),
    ("LazyInstanceNorm3d(affine=False, track_running_stats=False)", (2, 3, 2, 2, 2),
     "InstanceNorm3d")])
def test_lazy_norms(rng, ctor, shape, becomes):
    me, mt = eval("nn." + ctor), eval("torch.nn." + ctor)
    assert repr(me) == repr(mt)
    x = _arr(rng, *shape)
    with warnings.catch_warnings():
        # nothing to initialise: num_features stays 0, and the mismatch warning fires
        warnings.simplefilter("ignore", UserWarning)
        ye, yt = me(ember.tensor(x)), mt(torch.tensor(x))
    assert type(me) is getattr(nn, becomes)
    assert repr(me) == repr(mt)
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=1e-4, atol=1e-5)
    _check_state(me, mt)


# ---------------------------------------------------------------------------- sync batch norm
@requires_torch
def test_sync_batch_norm_without_process_group_is_batch_norm(rng):
    me, mt = _pair("SyncBatchNorm(3)")
    for _ in range(2):
        _step(me, mt, _arr(rng, 4, 3, 2, 2))
    net = nn.Sequential(nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(3)))
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(conv[0]) is nn.SyncBatchNorm and type(conv[1][0]) is nn.SyncBatchNorm
    assert conv[0].weight is net[0].weight and conv[0].running_mean is net[0].running_mean
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        nn.SyncBatchNorm(3)(ember.zeros(3))


class _FakeTwoRanks:
    """A stand-in process group of two ranks holding identical data: all_reduce doubles."""

    @staticmethod
    def get_world_size(group=None):
        return 2

    @staticmethod
    def all_reduce(tensor, group=None):
        tensor.mul_(2)


def test_sync_batch_norm_statistics_span_the_group(rng, monkeypatch):
    from ember.nn.modules import normalization as mod
    monkeypatch.setattr(mod, "_distributed", lambda: _FakeTwoRanks)
    x = _arr(rng, 3, 2, 4)
    g = _arr(rng, 3, 2, 4)
    sync = nn.SyncBatchNorm(2)
    ref = nn.BatchNorm1d(2)
    with ember.no_grad():
        for m in (sync, ref):
            m.weight.copy_(ember.tensor([1.5, -0.5]))
            m.bias.copy_(ember.tensor([0.2, 0.1]))
    xs = ember.tensor(x, requires_grad=True)
    ys = sync(xs)
    ys.backward(ember.tensor(g))
    xr = ember.tensor(np.concatenate([x, x]), requires_grad=True)
    yr = ref(xr)
    yr.backward(ember.tensor(np.concatenate([g, g])))
    np.testing.assert_allclose(_np(ys), _np(yr)[:3], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(xs.grad), _np(xr.grad)[:3], rtol=1e-4, atol=1e-5)
    # weight/bias gradients stay local (half of the two-rank total)
    np.testing.assert_allclose(2 * _np(sync.weight.grad), _np(ref.weight.grad), rtol=1e-4)
    np.testing.assert_allclose(2 * _np(sync.bias.grad), _np(ref.bias.grad), rtol=1e-4)
    np.testing.assert_allclose(_np(sync.running_mean), _np(ref.running_mean), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(_np(sync.running_var), _np(ref.running_var), rtol=1e-5)


# ---------------------------------------------------------------------------- other modules
@requires_torch
@pytest.mark.parametrize("ctor,shape", [
    ("LayerNorm(6)", (3, 6)), ("LayerNorm([3, 4], eps=1e-3)", (2, 5, 3, 4)),
    ("LayerNorm(4, elementwise_affine=False)", (3, 4)), ("LayerNorm(4, bias=False)", (2, 4)),
    ("GroupNorm(2, 6)", (3, 6, 4)), ("GroupNorm(3, 3, affine=False)", (2, 3, 2, 2)),
    ("GroupNorm(1, 4, bias=False)", (2, 4, 5)),
    ("RMSNorm(5)", (3, 5)), ("RMSNorm([2, 3], eps=1e-2)", (4, 2, 3)),
    ("RMSNorm(3, elementwise_affine=False)", (2, 3)),
    ("LocalResponseNorm(3, alpha=0.2)", (2, 5, 3, 3)), ("CrossMapLRN2d(3, alpha=0.2)",
                                                         (2, 5, 3, 3))])
def test_module_conformance(rng, ctor, shape):
    me, mt = _pair(ctor)
    assert repr(me) == repr(mt)
    _step(me, mt, _arr(rng, *shape))


@requires_torch
@pytest.mark.parametrize("ctor,shape", [
    ("InstanceNorm1d(3)", (2, 3, 5)), ("InstanceNorm1d(3, affine=True)", (3, 5)),
    ("InstanceNorm2d(3, affine=True, track_running_stats=True)", (2, 3, 4, 4)),
    ("InstanceNorm2d(2, track_running_stats=True, momentum=0.5)", (2, 3, 3)),
    ("InstanceNorm3d(2, affine=True)", (2, 2, 2, 3, 2))])
def test_instance_norm_modules(rng, ctor, shape):
    me, mt = _pair(ctor)
    assert repr(me) == repr(mt)
    for _ in range(2):
        _step(me, mt, _arr(rng, *shape))
    me.eval()
    mt.eval()
    _step(me, mt, _arr(rng, *shape))


def test_instance_norm_errors_and_warning():
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match "
                                         r"num_features \(4\), but got: 3."):
        nn.InstanceNorm1d(4, affine=True)(ember.zeros(2, 3, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(4)(ember.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training, "
                                         r"got input size torch.Size\(\[2, 3, 1\]\)"):
        F.instance_norm(ember.zeros(2, 3, 1))


def test_layer_group_norm_errors():
    x = ember.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\], but got input of size\[2, 3, 4\]"):
        F.layer_norm(x, (3,))
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as "
                                           r"normalized_shape, but got weight of shape \[3\] "
                                           r"and normalized_shape = \[4\]"):
        F.layer_norm(x, (4,), weight=ember.ones(3))
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*3\]"):
        F.rms_norm(x, (3,))
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be "
                                           "divisible by num_groups, but got input of shape "
                                           r"\[2, 3, 4\] and num_groups=2"):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by "
                                         r"num_groups \(2\)"):
        nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match="Expected at least 2 dimensions for input tensor "
                                           "but received 1"):
        F.group_norm(ember.zeros(3), 1)
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality"):
        F.local_response_norm(ember.zeros(2, 3), 2)
    with pytest.raises(NotImplementedError, match="not implemented for 'Int'"):
        F.layer_norm(x.int(), (4,))


@requires_torch
@pytest.mark.parametrize("ctor", [
    "BatchNorm1d(3, affine=False, momentum=None)", "BatchNorm2d(10)",
    "BatchNorm3d(2, eps=0.001, track_running_stats=False)", "SyncBatchNorm(4)",
    "LazyBatchNorm1d()", "InstanceNorm2d(3)", "LazyInstanceNorm3d(affine=False)",
    "LayerNorm(10)", "LayerNorm([3, 4], elementwise_affine=False, bias=False)",
    "GroupNorm(2, 4)", "RMSNorm([2, 3], eps=1e-3)", "LocalResponseNorm(2)",
    "CrossMapLRN2d(3)"])
def test_reprs_and_state_dict_keys(ctor):
    me, mt = eval("nn." + ctor), eval("torch.nn." + ctor)
    assert repr(me) == repr(mt)
    assert list(me.state_dict().keys()) == list(mt.state_dict().keys())


def test_repr_matches_pytorch_literally():
    assert repr(nn.BatchNorm2d(10)) == ("BatchNorm2d(10, eps=1e-05, momentum=0.1, affine=True, "
                                        "bias=True, track_running_stats=True)")
    assert repr(nn.LayerNorm(10)) == ("LayerNorm((10,), eps=1e-05, elementwise_affine=True, "
                                      "bias=True)")


def test_factory_kwargs():
    bn = nn.BatchNorm1d(3, dtype=ember.float64)
    assert bn.weight.dtype is ember.float64 and bn.running_mean.dtype is ember.float64
    assert bn.num_batches_tracked.dtype is ember.int64
    y = bn(ember.randn(4, 3, dtype=ember.float64))
    assert y.dtype is ember.float64
    ln = nn.LayerNorm(4, dtype=ember.float64)
    assert ln(ember.randn(2, 4, dtype=ember.float64)).dtype is ember.float64
