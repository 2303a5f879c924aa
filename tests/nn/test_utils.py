"""nn.utils: gradient clipping, parameter vectors, weight/spectral norm (hook-based and
parametrization-based), parametrize and fusion, against PyTorch."""
import copy
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import parametrize
from tests.conformance.harness import requires_torch

try:
    import torch
except ImportError:
    torch = None


def _np(t):
    return t.detach().cpu().numpy() if torch is not None and isinstance(t, torch.Tensor) \
        else np.asarray(t.detach())


def _affine_class(lib, shape):
    """The same small module in both libraries: a linear map whose weight has `shape`
    (a conv-like 3-D weight is flattened to (out, -1))."""
    class Affine(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.out_features = shape[0]
            self.weight = lib.nn.Parameter(lib.randn(*shape))
            self.bias = lib.nn.Parameter(lib.randn(shape[0]))

        def forward(self, x):
            return x @ self.weight.reshape(shape[0], -1).t() + self.bias
    return Affine


def _copy(me, mt):
    me.load_state_dict({k: ember.tensor(_np(v)) for k, v in mt.state_dict().items()})


def _check_state(me, mt, rtol=1e-5, atol=1e-6):
    se, st = me.state_dict(), mt.state_dict()
    assert list(se.keys()) == list(st.keys())
    for k in st:
        np.testing.assert_allclose(_np(se[k]), _np(st[k]), rtol=rtol, atol=atol, err_msg=k)


def _pair(shape, apply_e, apply_t):
    torch.manual_seed(0)
    mt = _affine_class(torch, shape)()
    me = _affine_class(ember, shape)()
    _copy(me, mt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        me, mt = apply_e(me), apply_t(mt)
    assert list(me.state_dict().keys()) == list(mt.state_dict().keys())
    _copy(me, mt)     # the random power-iteration vectors too
    return me, mt


def _train_steps(me, mt, in_features, steps=2, rtol=1e-4, atol=1e-5):
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = rng.standard_normal((5, in_features)).astype(np.float32)
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ye, yt = me(xe), mt(xt)
        np.testing.assert_allclose(_np(ye), _np(yt), rtol=rtol, atol=atol)
        (ye * ye).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=rtol, atol=atol)
        for (ne, pe), (nt, pt) in zip(me.named_parameters(), mt.named_parameters()):
            assert ne == nt
            np.testing.assert_allclose(_np(pe.grad), _np(pt.grad), rtol=rtol, atol=10 * atol,
                                       err_msg=ne)
    _check_state(me, mt)


# ---------------------------------------------------------------------------- clip_grad
def _params_with_grads(lib, grads):
    ps = [lib.nn.Parameter(lib.zeros(*g.shape)) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = lib.tensor(g.copy())
    return ps


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), "inf", 0.5, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(rng, norm_type, max_norm):
    grads = [rng.standard_normal((3, 4)).astype(np.float32),
             rng.standard_normal(5).astype(np.float32)]
    pe, pt = _params_with_grads(ember, grads), _params_with_grads(torch, grads)
    pe.append(nn.Parameter(ember.ones(2)))          # no grad: skipped
    pt.append(torch.nn.Parameter(torch.ones(2)))
    ne = nn.utils.clip_grad_norm_(pe, max_norm, norm_type=norm_type)
    nt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type=norm_type)
    assert isinstance(ne, ember.Tensor) and ne.shape == () and ne.dtype is ember.float32
    np.testing.assert_allclose(float(ne), float(nt), rtol=1e-5)
    for a, b in zip(pe[:2], pt[:2]):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-5, atol=1e-7)
    assert pe[2].grad is None


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_large_gradients_match_torch(rng, dtype):
    # the raw-array 2-norm: gradients longer than one 16K-element chunk, with a tail, one
    # non-contiguous (a transposed view) and one empty
    grads = [rng.standard_normal((300, 70)).astype(dtype), rng.standard_normal(40000)
             .astype(dtype) * 3, rng.standard_normal((50, 40)).astype(dtype).T,
             np.zeros((0, 3), dtype)]
    pe = [nn.Parameter(ember.zeros(*g.shape, dtype=getattr(ember, np.dtype(dtype).name)))
          for g in grads]
    pt = [torch.nn.Parameter(torch.zeros(*g.shape, dtype=getattr(torch, np.dtype(dtype).name)))
          for g in grads]
    for a, b, g in zip(pe, pt, grads):
        a.grad = ember.tensor(g.copy())
        b.grad = torch.tensor(g.copy())
    pe[2].grad = ember.tensor(grads[2].T.copy()).t()
    ne = nn.utils.clip_grad_norm_(pe, 1.0)
    nt = torch.nn.utils.clip_grad_norm_(pt, 1.0)
    assert ne.shape == () and ne.dtype is getattr(ember, np.dtype(dtype).name)
    exact = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    np.testing.assert_allclose(float(ne), exact, rtol=1e-6)
    np.testing.assert_allclose(float(ne), float(nt), rtol=1e-4)
    for a, b in zip(pe, pt):
        assert a.grad._version == 1
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-4, atol=1e-8)


def test_clip_grad_norm_overflow_and_mixed_dtypes():
    p = nn.Parameter(ember.zeros(2))
    p.grad = ember.tensor([1e20, 1.0])       # the square overflows float32, as in PyTorch
    assert np.isinf(float(nn.utils.clip_grad_norm_([p], 1.0)))
    q = nn.Parameter(ember.zeros(2, dtype=ember.float64))
    q.grad = ember.tensor([3.0, 4.0], dtype=ember.float64)
    r = nn.Parameter(ember.zeros(1))
    r.grad = ember.tensor([12.0])
    total = nn.utils.clip_grad_norm_([q, r], 6.5)
    assert total.dtype is ember.float64 and float(total) == pytest.approx(13.0)
    assert float(q.grad[0]) == pytest.approx(1.5, rel=1e-6)


def test_clip_grad_norm_scales_to_max_norm(rng):
    p = nn.Parameter(ember.zeros(10))
    p.grad = ember.tensor(rng.standard_normal(10).astype(np.float32)) * 10
    before = np.linalg.norm(_np(p.grad))
    total = nn.utils.clip_grad_norm_(p, 1.0, foreach=True)   # a single Tensor; foreach accepted
    assert float(total) == pytest.approx(before, rel=1e-5)
    assert np.linalg.norm(_np(p.grad)) == pytest.approx(1.0, rel=1e-4)


def test_clip_grad_norm_empty_and_nonfinite():
    assert float(nn.utils.clip_grad_norm_([], 1.0)) == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)
    p = nn.Parameter(ember.zeros(3))
    p.grad = ember.tensor([1.0, float("nan"), 2.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite, so it cannot be "
                                           "clipped"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_([p], 1.0, foreach=False)
    assert np.isnan(float(total)) and np.isnan(_np(p.grad)).all()
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm([p], 1.0)


@requires_torch
def test_get_total_norm_and_clip_grads_with_norm(rng):
    grads = [rng.standard_normal((2, 3)).astype(np.float32),
             rng.standard_normal(4).astype(np.float32)]
    te = nn.utils.get_total_norm([ember.tensor(g) for g in grads], 3.0)
    tt = torch.nn.utils.get_total_norm([torch.tensor(g) for g in grads], 3.0)
    np.testing.assert_allclose(float(te), float(tt), rtol=1e-5)
    pe, pt = _params_with_grads(ember, grads), _params_with_grads(torch, grads)
    nn.utils.clip_grads_with_norm_(pe, 0.7, te)
    torch.nn.utils.clip_grads_with_norm_(pt, 0.7, tt)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-5, atol=1e-7)
    mixed = nn.utils.get_total_norm([ember.ones(2), ember.ones(2, dtype=ember.float64)])
    assert mixed.dtype is ember.float64


def test_clip_grad_value(rng):
    grads = [rng.standard_normal((3, 3)).astype(np.float32) * 3]
    pe = _params_with_grads(ember, grads)
    assert nn.utils.clip_grad_value_(pe, 0.5) is None
    np.testing.assert_array_equal(_np(pe[0].grad), np.clip(grads[0], -0.5, 0.5))
    p = nn.Parameter(ember.zeros(2))
    p.grad = ember.tensor([3.0, -4.0])
    nn.utils.clip_grad_value_(p, 1, foreach=True)
    np.testing.assert_array_equal(_np(p.grad), [1.0, -1.0])


# ---------------------------------------------------------------------------- vectors
def test_parameters_to_vector_roundtrip():
    ps = [nn.Parameter(ember.arange(6.0).reshape(2, 3)), nn.Parameter(ember.tensor([7.0, 8.0]))]
    v = nn.utils.parameters_to_vector(ps)
    np.testing.assert_array_equal(_np(v), [0, 1, 2, 3, 4, 5, 7, 8])
    (v * ember.arange(8.0)).sum().backward()
    np.testing.assert_array_equal(_np(ps[0].grad), [[0, 1, 2], [3, 4, 5]])
    new = ember.arange(10.0, 18.0)
    nn.utils.vector_to_parameters(new, ps)
    np.testing.assert_array_equal(_np(ps[0]), [[10, 11, 12], [13, 14, 15]])
    np.testing.assert_array_equal(_np(ps[1]), [16, 17])
    assert isinstance(ps[0], nn.Parameter) and ps[0].requires_grad
    new[0] = -1.0                               # the parameters view the vector's memory
    assert float(ps[0][0, 0]) == -1.0
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], ps)


# ---------------------------------------------------------------------------- weight_norm
@requires_torch
@pytest.mark.parametrize("shape,dim", [((4, 3), 0), ((4, 3), None), ((4, 2, 3), 1),
                                       ((4, 3), -1)])
def test_weight_norm_matches_torch(shape, dim):
    me, mt = _pair(shape, lambda m: nn.utils.weight_norm(m, dim=dim),
                   lambda m: torch.nn.utils.weight_norm(m, dim=dim))
    assert list(me.state_dict().keys()) == ["bias", "weight_g", "weight_v"]
    assert me.weight_g.shape == mt.weight_g.shape
    _train_steps(me, mt, int(np.prod(shape[1:])))
    nn.utils.remove_weight_norm(me)
    torch.nn.utils.remove_weight_norm(mt)
    assert isinstance(me.weight, nn.Parameter)
    _check_state(me, mt)


def test_weight_norm_decomposition_and_errors():
    m = _affine_class(ember, (3, 2))()
    w0 = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
        nn.utils.weight_norm(m)
    np.testing.assert_allclose(_np(m.weight_g), np.linalg.norm(w0, axis=1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same "
                                           "parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)


# ---------------------------------------------------------------------------- spectral_norm
@requires_torch
@pytest.mark.parametrize("shape,kw", [((4, 3), {}), ((3, 2, 4), {"dim": 1,
                                                                 "n_power_iterations": 3})])
def test_spectral_norm_matches_torch(shape, kw):
    me, mt = _pair(shape, lambda m: nn.utils.spectral_norm(m, **kw),
                   lambda m: torch.nn.utils.spectral_norm(m, **kw))
    assert list(me.state_dict().keys()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    _train_steps(me, mt, int(np.prod(shape[1:])), steps=3)   # u, v follow torch's updates
    me.eval()
    mt.eval()
    u = _np(me.weight_u).copy()
    _train_steps(me, mt, int(np.prod(shape[1:])), steps=1)
    np.testing.assert_array_equal(_np(me.weight_u), u)        # no power iteration in eval
    assert me.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    nn.utils.remove_spectral_norm(me)
    torch.nn.utils.remove_spectral_norm(mt)
    _check_state(me, mt)


def test_spectral_norm_normalizes_the_top_singular_value():
    ember.manual_seed(0)
    m = _affine_class(ember, (5, 4))()
    nn.utils.spectral_norm(m, n_power_iterations=30)
    m(ember.zeros(1, 4))
    assert np.linalg.svd(_np(m.weight), compute_uv=False)[0] == pytest.approx(1.0, rel=1e-3)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got "
                                         "n_power_iterations=0"):
        nn.utils.spectral_norm(_affine_class(ember, (2, 2))(), n_power_iterations=0)
    nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(m)
    assert not m._state_dict_hooks and not m._load_state_dict_pre_hooks


@requires_torch
def test_spectral_norm_loads_version0_checkpoint():
    # before version 1, checkpoints held weight (= W / sigma) and no weight_v
    me, mt = _pair((4, 3), nn.utils.spectral_norm, torch.nn.utils.spectral_norm)
    mt.eval()
    with torch.no_grad():
        mt(torch.zeros(1, 3))
    sd = {k: v for k, v in mt.state_dict().items() if k != "weight_v"}
    sd["weight"] = mt.weight.detach()
    mt.load_state_dict(sd)
    me.load_state_dict({k: ember.tensor(_np(v)) for k, v in sd.items()})
    np.testing.assert_allclose(_np(me.weight_v), _np(mt.weight_v), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- parametrize
class _Double(nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, X):
        return X / 2


class _PlusOne(nn.Module):
    def forward(self, X):
        return X + 1


def test_register_parametrization_layout_and_value():
    m = _affine_class(ember, (3, 2))()
    w0 = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", _Double())
    assert type(m).__name__ == "ParametrizedAffine"
    assert parametrize.type_before_parametrizations(m).__name__ == "Affine"
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert list(m.state_dict().keys()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), w0 / 2)
    np.testing.assert_allclose(_np(m.weight), w0)
    # setting the tensor goes through right_inverse
    m.weight = ember.ones(3, 2)
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), 0.5)
    # a second parametrization composes after the first
    parametrize.register_parametrization(m, "weight", _PlusOne())
    np.testing.assert_allclose(_np(m.weight), 2.0)
    m(ember.ones(4, 2)).sum().backward()
    np.testing.assert_allclose(_np(m.parametrizations.weight.original.grad), 8.0)
    with parametrize.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert type(m).__name__ == "Affine" and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), 2.0)
    assert not hasattr(m, "parametrizations")


def test_remove_parametrizations_restores_original_and_errors():
    m = _affine_class(ember, (2, 2))()
    w0 = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", _PlusOne())
    original = m.parametrizations.weight.original
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert m.weight is original
    np.testing.assert_allclose(_np(m.weight), w0)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m, "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'nope'"):
        parametrize.register_parametrization(m, "nope", _PlusOne())

    class BadShape(nn.Module):
        def forward(self, X):
            return X[0]
    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        parametrize.register_parametrization(m, "weight", BadShape())


@requires_torch
def test_parametrize_repr_and_keys_match_torch():
    me, mt = _pair((3, 2), lambda m: parametrize.register_parametrization(m, "weight",
                                                                        _Double()),
                   lambda m: torch.nn.utils.parametrize.register_parametrization(
                       m, "weight", _torch_double()))
    assert repr(me) == repr(mt)
    _train_steps(me, mt, 2)


def _torch_double():
    class _Double(torch.nn.Module):
        def forward(self, X):
            return X * 2

        def right_inverse(self, X):
            return X / 2
    return _Double()


def test_parametrized_module_deepcopies_but_does_not_pickle():
    import pickle
    m = parametrize.register_parametrization(_affine_class(ember, (2, 2))(), "weight",
                                             _Double())
    c = copy.deepcopy(m)
    np.testing.assert_allclose(_np(c.weight), _np(m.weight))
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                           "supported through state_dict"):
        pickle.dumps(m)


# ---------------------------------------------------------------------------- parametrizations
@requires_torch
@pytest.mark.parametrize("shape,dim", [((4, 3), 0), ((4, 3), None), ((4, 2, 3), 2)])
def test_parametrizations_weight_norm_matches_torch(shape, dim):
    me, mt = _pair(shape, lambda m: nn.utils.parametrizations.weight_norm(m, dim=dim),
                   lambda m: torch.nn.utils.parametrizations.weight_norm(m, dim=dim))
    assert list(me.state_dict().keys()) == ["bias", "parametrizations.weight.original0",
                                            "parametrizations.weight.original1"]
    assert repr(me) == repr(mt)
    _train_steps(me, mt, int(np.prod(shape[1:])))
    parametrize.remove_parametrizations(me, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(mt, "weight")
    _check_state(me, mt)


@requires_torch
def test_parametrizations_weight_norm_loads_hook_based_state_dict():
    torch.manual_seed(0)
    old = _affine_class(torch, (3, 2))()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(old)
    m = nn.utils.parametrizations.weight_norm(_affine_class(ember, (3, 2))())
    m.load_state_dict({k: ember.tensor(_np(v)) for k, v in old.state_dict().items()})
    np.testing.assert_allclose(_np(m.weight), _np(old.weight), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("shape,kw", [((4, 3), {}), ((3, 2, 4), {"dim": 1}),
                                      ((4, 3), {"n_power_iterations": 2, "eps": 1e-6})])
def test_parametrizations_spectral_norm_matches_torch(shape, kw):
    me, mt = _pair(shape, lambda m: nn.utils.parametrizations.spectral_norm(m, **kw),
                   lambda m: torch.nn.utils.parametrizations.spectral_norm(m, **kw))
    assert list(me.state_dict().keys()) == ["bias", "parametrizations.weight.original",
                                            "parametrizations.weight.0._u",
                                            "parametrizations.weight.0._v"]
    assert repr(me) == repr(mt)
    _train_steps(me, mt, int(np.prod(shape[1:])), steps=3)
    me.eval()
    mt.eval()
    _train_steps(me, mt, int(np.prod(shape[1:])), steps=1)


def test_parametrizations_spectral_norm_errors():
    m = _affine_class(ember, (2, 2))()
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        nn.utils.parametrizations.spectral_norm(m, "nope")
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\] but got 2\)"):
        nn.utils.parametrizations.spectral_norm(m, dim=2)


# ---------------------------------------------------------------------------- fusion
@requires_torch
def test_fuse_linear_bn_eval_matches_sequential(rng):
    lin = _affine_class(ember, (3, 4))().eval()
    bn = nn.BatchNorm1d(3)
    bn(ember.tensor(rng.standard_normal((8, 3)).astype(np.float32)))
    bn.eval()
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = ember.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-5, atol=1e-5)
    assert isinstance(fused.weight, nn.Parameter) and fused is not lin
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_linear_bn_eval(lin.train(), bn)


@requires_torch
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_weights_matches_torch(rng, transpose):
    w = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    stats = [rng.standard_normal(4 if not transpose else 3).astype(np.float32)
             for _ in range(4)]
    stats[1] = np.abs(stats[1]) + 0.5
    c = len(stats[0])
    b = rng.standard_normal(c).astype(np.float32)
    out = []
    for lib in (ember, torch):
        t = [lib.tensor(a) for a in stats]
        fw, fb = lib.nn.utils.fuse_conv_bn_weights(lib.tensor(w), lib.tensor(b), t[0], t[1],
                                                   1e-3, t[2], t[3], transpose)
        out.append((_np(fw), _np(fb)))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-5, atol=1e-6)
