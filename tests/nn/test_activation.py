"""Activations: functional forms and modules against PyTorch; float64 gradchecks; errors."""
import warnings

import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op, gradcheck_op, torch, requires_torch

rng = np.random.default_rng(0)


def _x(*shape, scale=3.0, dtype=np.float32):
    return np.asarray(rng.standard_normal(shape) * scale).astype(dtype)


def _away_from(a, points, gap=1e-2):
    """Shift values that sit within gap of a kink (finite differences straddle it)."""
    a = np.array(a)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] += 3 * gap
    return a


def F(lib):
    return lib.nn.functional


# name -> (fn(lib, x), kinks)
POINTWISE = {
    "relu": (lambda L, x: F(L).relu(x), [0]),
    "relu6": (lambda L, x: F(L).relu6(x), [0, 6]),
    "leaky_relu": (lambda L, x: F(L).leaky_relu(x), [0]),
    "leaky_relu_slope": (lambda L, x: F(L).leaky_relu(x, 0.3), [0]),
    "elu": (lambda L, x: F(L).elu(x), [0]),
    "elu_alpha": (lambda L, x: F(L).elu(x, alpha=0.7), [0]),
    "selu": (lambda L, x: F(L).selu(x), [0]),
    "celu": (lambda L, x: F(L).celu(x, alpha=1.5), [0]),
    "gelu": (lambda L, x: F(L).gelu(x), []),
    "gelu_tanh": (lambda L, x: F(L).gelu(x, approximate="tanh"), []),
    "silu": (lambda L, x: F(L).silu(x), []),
    "mish": (lambda L, x: F(L).mish(x), []),
    "sigmoid": (lambda L, x: F(L).sigmoid(x), []),
    "tanh": (lambda L, x: F(L).tanh(x), []),
    "hardtanh": (lambda L, x: F(L).hardtanh(x), [-1, 1]),
    "hardtanh_range": (lambda L, x: F(L).hardtanh(x, -2.0, 0.5), [-2, 0.5]),
    "hardsigmoid": (lambda L, x: F(L).hardsigmoid(x), [-3, 3]),
    "hardswish": (lambda L, x: F(L).hardswish(x), [-3, 3]),
    "softplus": (lambda L, x: F(L).softplus(x), []),
    "softplus_beta": (lambda L, x: F(L).softplus(x, beta=2.0, threshold=3.0), [1.5]),
    "softsign": (lambda L, x: F(L).softsign(x), [0]),
    "softshrink": (lambda L, x: F(L).softshrink(x, 0.7), [-0.7, 0.7]),
    "hardshrink": (lambda L, x: F(L).hardshrink(x), [-0.5, 0.5]),
    "tanhshrink": (lambda L, x: F(L).tanhshrink(x), []),
    "threshold": (lambda L, x: F(L).threshold(x, 0.4, -2.0), [0.4]),
    "logsigmoid": (lambda L, x: F(L).logsigmoid(x), []),
    "rrelu_eval": (lambda L, x: F(L).rrelu(x), [0]),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("shape", [(4, 5), (), (2, 3, 4)])
def test_pointwise_matches_torch(name, shape):
    fn, kinks = POINTWISE[name]
    x = _away_from(_x(*shape), kinks)
    check_op(fn, [x])


@requires_torch
@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_float64_and_extremes(name):
    fn, kinks = POINTWISE[name]
    x = np.array([-1e4, -50.0, -25.0, -3.0, -1e-3, 0.0, 1e-3, 3.0, 25.0, 50.0, 1e4])
    x = _away_from(x, [k for k in kinks if k != 0])
    check_op(fn, [x])
    check_op(fn, [x.astype(np.float32)])


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_gradcheck(name):
    fn, kinks = POINTWISE[name]
    x = _away_from(_x(3, 4, scale=2.5, dtype=np.float64), kinks, gap=0.05)
    gradcheck_op(fn, [x], gradgrad=True)


@requires_torch
@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "elu", "mish", "softplus",
                                  "hardtanh", "sigmoid"])
def test_half_precision(name):
    fn, _ = POINTWISE[name]
    x = _x(64)
    e = fn(ember, ember.tensor(x).half())
    t = fn(torch, torch.tensor(x).half())
    assert e.dtype is ember.float16
    np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=2e-3, atol=2e-3)


@requires_torch
@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("dtype", ["int64", "bool", "complex64"])
def test_dtype_support_matches_torch(name, dtype):
    fn, _ = POINTWISE[name]
    a = np.array([1, 0, 2, 1]).astype(dtype)
    try:
        t = fn(torch, torch.tensor(a))
    except Exception as exc:   # torch rejects it: so must ember, with the same message
        with pytest.raises(type(exc)) as info:
            fn(ember, ember.tensor(a))
        assert str(info.value) == str(exc)
        return
    e = fn(ember, ember.tensor(a))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


@requires_torch
def test_grad_fn_names():
    x = ember.randn(3, requires_grad=True)
    tx = torch.randn(3, requires_grad=True)
    for name in ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
                 "hardtanh", "hardsigmoid", "hardswish", "softplus", "softshrink",
                 "hardshrink", "threshold", "logsigmoid", "sigmoid", "tanh"]:
        fn = POINTWISE[name][0]
        assert fn(ember, x).grad_fn.name() == fn(torch, tx).grad_fn.name(), name


INPLACE = [("relu", {}), ("relu6", {}), ("hardtanh", {"min_val": -0.5}), ("elu", {}),
           ("selu", {}), ("celu", {"alpha": 2.0}), ("leaky_relu", {"negative_slope": 0.2}),
           ("silu", {}), ("mish", {}), ("hardsigmoid", {}), ("hardswish", {}),
           ("threshold", {"threshold": 0.1, "value": 5.0}), ("rrelu", {})]


@requires_torch
@pytest.mark.parametrize("name,kw", INPLACE)
def test_inplace_flag(name, kw):
    x = _away_from(_x(3, 4), [0, -0.5, 6, 3, -3, 0.1])

    def fn(L, a):
        b = a * 1.0            # a non-leaf, so in-place is allowed under autograd
        r = getattr(F(L), name)(b, inplace=True, **kw)
        assert r is b
        return r
    check_op(fn, [x])
    t = ember.tensor(x)
    v = t._version
    getattr(F(ember), name)(t, inplace=True, **kw)
    assert t._version > v


@requires_torch
@pytest.mark.parametrize("name", ["relu_", "elu_", "selu_", "celu_", "leaky_relu_",
                                  "hardtanh_", "rrelu_"])
def test_underscore_functions(name):
    x = _x(10)
    e, t = ember.tensor(x), torch.tensor(x)
    assert getattr(F(ember), name)(e) is e
    getattr(F(torch), name)(t)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    e, t = ember.tensor(x), torch.tensor(x)
    F(ember).threshold_(e, 0.3, 9.0)
    F(torch).threshold_(t, 0.3, 9.0)
    np.testing.assert_allclose(e.numpy(), t.numpy())


@requires_torch
@pytest.mark.parametrize("shape", [(5,), (3, 70000), (2, 3, 4)])
def test_relu_blocks_and_layouts(shape):
    # relu runs against a cached block of zeros: exact over several blocks plus a tail, on
    # a transposed (non-contiguous) input, and in float64
    x = _x(*shape)
    x.reshape(-1)[:4] = [0.0, -0.0, np.nan, -np.inf]
    for a in (x, x.T, x.astype(np.float64)):
        e = F(ember).relu(ember.tensor(a))
        t = F(torch).relu(torch.tensor(a))
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.dtype is getattr(ember, str(t.dtype).split(".")[1])


@requires_torch
def test_relu_backward_reads_the_output_like_torch():
    # the gradient passes where the output is NaN, and a later in-place change of the
    # output (saved for backward) is an error, as in PyTorch
    x = np.array([1.0, -1.0, np.nan, 0.0, -0.0], np.float32)
    g = np.array([2.0, np.nan, 3.0, -4.0, np.inf], np.float32)
    grads = []
    for L in (ember, torch):
        xt = L.tensor(x, requires_grad=True)
        F(L).relu(xt).backward(L.tensor(g))
        grads.append(xt.grad.numpy())
        y = F(L).relu(L.tensor(x[:2], requires_grad=True))
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    np.testing.assert_array_equal(grads[0], grads[1])
    assert not np.signbit(grads[0][[1, 3, 4]]).any()


def test_relu_inplace_keeps_graph_and_input():
    x = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    z = x * 2
    y = F(ember).relu_(z)
    assert y is z and y.grad_fn.name() == "ReluBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 2.0])
    gx, = ember.autograd.grad(F(ember).relu(x * 1).sum(), x, create_graph=True)
    np.testing.assert_array_equal(gx.detach().numpy(), [1.0, 0.0, 1.0])


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F(ember).elu(x, inplace=True)


@requires_torch
@pytest.mark.parametrize("call,exc", [
    (lambda L, x: F(L).softshrink(x, -1.0), RuntimeError),
    (lambda L, x: F(L).hardtanh(x, 2.0, 1.0), ValueError),
    (lambda L, x: F(L).celu(x, 0.0), RuntimeError),
    (lambda L, x: F(L).gelu(x, approximate="foo"), RuntimeError),
    (lambda L, x: F(L).glu(x, 1), RuntimeError),
    (lambda L, x: F(L).glu(x[0, 0], 0), RuntimeError),
    (lambda L, x: F(L).prelu(x, L.tensor([1.0, 2.0])), RuntimeError),
    (lambda L, x: F(L).prelu(x, L.tensor([1.0, 2.0], dtype=L.float64)), RuntimeError),
    (lambda L, x: F(L).rrelu(x, 0.5, 0.1, True), RuntimeError),
    (lambda L, x: F(L).softmax(x, 2), IndexError),
    (lambda L, x: F(L).log_softmax(x.long(), 1), NotImplementedError),
    (lambda L, x: L.nn.Softmax2d()(x), ValueError),
])
def test_errors_match_torch(call, exc):
    x = _x(2, 3)
    with pytest.raises(exc) as te:
        call(torch, torch.tensor(x))
    with pytest.raises(exc) as ee:
        call(ember, ember.tensor(x))
    assert str(ee.value) == str(te.value)


# ---------------------------------------------------------------- softmax family
@requires_torch
@pytest.mark.parametrize("fname", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape,dim", [((4, 7), 1), ((4, 7), 0), ((2, 3, 5), -1),
                                       ((2, 3, 5), 1), ((), 0), ((6,), -1)])
def test_softmax_family(fname, shape, dim):
    check_op(lambda L, x: getattr(F(L), fname)(x, dim), [_x(*shape)])


@pytest.mark.parametrize("fname", ["softmax", "log_softmax", "softmin"])
def test_softmax_gradcheck(fname):
    gradcheck_op(lambda L, x: getattr(F(L), fname)(x, 1), [_x(3, 4, dtype=np.float64)],
                 gradgrad=True)
    gradcheck_op(lambda L, x: getattr(F(L), fname)(x, -1), [_x(2, 2, 3, dtype=np.float64)],
                 gradgrad=True)


@requires_torch
def test_softmax_stable_and_special_values():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, -999.0],
                  [0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    for fname in ["softmax", "log_softmax"]:
        check_op(lambda L, a: getattr(F(L), fname)(a, 1), [x], grad=False)
        check_op(lambda L, a: getattr(F(L), fname)(a, 1), [x[:3]])


@requires_torch
def test_softmax_dtype_argument():
    x = _x(3, 4)
    for fname in ["softmax", "log_softmax", "softmin"]:
        check_op(lambda L, a: getattr(F(L), fname)(a, 1, dtype=L.float64), [x])
        check_op(lambda L, a: getattr(F(L), fname)(a.half(), 1, dtype=L.float32), [x],
                 grad=False)
        check_op(lambda L, a: getattr(F(L), fname)(a.half(), 0), [x], grad=False,
                 atol=2e-3, rtol=2e-3)


@requires_torch
@pytest.mark.parametrize("ndim,dim", [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim(ndim, dim):
    x = _x(*([2, 3, 2, 2][:ndim]))
    for fname in ["softmax", "log_softmax", "softmin"]:
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {fname} has been "
                                             "deprecated. Change the call to include dim=X"):
            e = getattr(F(ember), fname)(ember.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = getattr(F(torch), fname)(torch.tensor(x))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(e.numpy(), getattr(F(ember), fname)(ember.tensor(x),
                                                                       dim).numpy())


@requires_torch
def test_softmax_module_and_double_backward():
    x = _x(3, 5)
    check_op(lambda L, a: L.nn.Softmax(dim=1)(a), [x])
    check_op(lambda L, a: L.nn.LogSoftmax(dim=0)(a), [x])
    check_op(lambda L, a: L.nn.Softmin(dim=-1)(a), [x])
    check_op(lambda L, a: L.nn.Softmax2d()(a), [_x(2, 3, 4, 4)])
    check_op(lambda L, a: L.nn.Softmax2d()(a), [_x(3, 4, 4)])

    def grad_penalty(L, a):   # double backward through softmax and log_softmax
        y = (F(L).log_softmax(a, 1) * F(L).softmax(a * 2, 1)).sum()
        g, = L.autograd.grad(y, a, create_graph=True)
        return (g * g).sum()
    check_op(grad_penalty, [_x(3, 4)])


# ---------------------------------------------------------------- prelu, rrelu, glu, gumbel
@requires_torch
@pytest.mark.parametrize("xshape,wshape", [((4, 3), (3,)), ((2, 3, 5, 5), (3,)),
                                           ((2, 3, 5), (1,)), ((5,), (1,)), ((4,), ()),
                                           ((2, 3), ())])
def test_prelu(xshape, wshape):
    w = np.asarray(rng.random(wshape) * 0.5).astype(np.float32)
    check_op(lambda L, x, a: F(L).prelu(x, a), [_away_from(_x(*xshape), [0]), w])
    gradcheck_op(lambda L, x, a: F(L).prelu(x, a),
                 [_away_from(_x(*xshape, dtype=np.float64), [0], 0.05), w.astype(np.float64)])


@requires_torch
def test_glu():
    for shape, dim in [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1)]:
        check_op(lambda L, x: F(L).glu(x, dim), [_x(*shape)])
        check_op(lambda L, x: L.nn.GLU(dim)(x), [_x(*shape)])
    gradcheck_op(lambda L, x: F(L).glu(x, 1), [_x(3, 4, dtype=np.float64)], gradgrad=True)


def test_rrelu_training():
    ember.manual_seed(0)
    x = ember.tensor(_x(2000), requires_grad=True)
    y = F(ember).rrelu(x, 0.1, 0.3, training=True)
    xa, ya = x.detach().numpy(), y.detach().numpy()
    pos = xa > 0
    np.testing.assert_array_equal(ya[pos], xa[pos])
    slope = ya[~pos] / xa[~pos]
    assert slope.min() >= 0.1 - 1e-6 and slope.max() <= 0.3 + 1e-6
    assert slope.std() > 0.03                       # a slope per element, not one for all
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.sum().backward()
    g = x.grad.numpy()
    np.testing.assert_allclose(g[~pos], slope, rtol=1e-5)
    np.testing.assert_array_equal(g[pos], 1)
    ember.manual_seed(0)
    again = F(ember).rrelu(ember.tensor(xa), 0.1, 0.3, training=True)
    np.testing.assert_array_equal(again.numpy(), ya)


def test_rrelu_module_train_eval():
    m = ember.nn.RReLU(0.1, 0.3)
    x = ember.tensor([-1.0, -2.0, 3.0])
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), [-0.2, -0.4, 3.0], rtol=1e-6)
    m.train()
    y = m(ember.full((1000,), -1.0)).numpy()
    assert y.min() >= -0.3 and y.max() <= -0.1 and y.std() > 0.03


def test_gumbel_softmax():
    ember.manual_seed(1)
    logits = ember.tensor(_x(50, 6), requires_grad=True)
    y = F(ember).gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.sum(-1).detach().numpy(), 1, rtol=1e-5)
    h = F(ember).gumbel_softmax(logits, hard=True, dim=-1)
    ha = h.detach().numpy()
    assert set(np.unique(ha)) <= {0.0, 1.0} and (ha.sum(-1) == 1).all()
    (h * ember.arange(6.0)).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    ember.manual_seed(5)
    a = F(ember).gumbel_softmax(logits.detach()).numpy()
    ember.manual_seed(5)
    np.testing.assert_array_equal(a, F(ember).gumbel_softmax(logits.detach()).numpy())
    # the sampled argmax follows softmax(logits): a strongly preferred class wins mostly
    big = ember.tensor([[0.0, 4.0, 0.0]]).expand(2000, 3)
    wins = F(ember).gumbel_softmax(big, hard=True).numpy().mean(0)
    p = np.exp([0.0, 4.0, 0.0]) / np.exp([0.0, 4.0, 0.0]).sum()
    np.testing.assert_allclose(wins, p, atol=0.03)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F(ember).gumbel_softmax(logits.detach(), eps=1e-5)


# ---------------------------------------------------------------- modules
MODULES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}),
    ("LeakyReLU", (0.2,), {}), ("LeakyReLU", (), {"inplace": True}), ("PReLU", (), {}),
    ("PReLU", (3,), {"init": 0.1}), ("RReLU", (), {}), ("RReLU", (0.2, 0.4, True), {}),
    ("ELU", (), {}), ("ELU", (0.5, True), {}), ("SELU", (), {}), ("SELU", (True,), {}),
    ("CELU", (2.0,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}),
    ("SiLU", (True,), {}), ("Mish", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 3.0, True), {}), ("Hardsigmoid", (True,), {}),
    ("Hardswish", (), {}), ("Softplus", (2, 10), {}), ("Softsign", (), {}),
    ("Softshrink", (), {}), ("Hardshrink", (0.3,), {}), ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 20.0, True), {}),
    ("LogSigmoid", (), {}), ("Softmax", (1,), {}), ("Softmax", (), {}),
    ("LogSoftmax", (-1,), {}), ("Softmin", (0,), {}), ("Softmax2d", (), {}), ("GLU", (), {}),
]


@requires_torch
@pytest.mark.parametrize("name,args,kw", MODULES)
def test_module_repr_and_forward(name, args, kw):
    tm = getattr(torch.nn, name)(*args, **kw)
    em = getattr(ember.nn, name)(*args, **kw)
    assert repr(em) == repr(tm)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    if name in ("RReLU",):
        tm.eval(), em.eval()
    x = _away_from(_x(2, 3, 4, 4), [0, 3, -3, 0.1, -2])

    def fn(L, a):
        m = em if L is ember else tm
        return m(a * 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # Softmax() without dim
        check_op(fn, [x])


@requires_torch
def test_prelu_module_parameters():
    tm, em = torch.nn.PReLU(4, init=0.3), ember.nn.PReLU(4, init=0.3)
    assert [n for n, _ in em.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(em.weight.detach().numpy(), tm.weight.detach().numpy())
    assert em.weight.dtype is ember.float32
    x = _x(2, 4, 3)
    ye, yt = em(ember.tensor(x)), tm(torch.tensor(x))
    ye.sum().backward(), yt.sum().backward()
    np.testing.assert_allclose(em.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-5)
    assert ember.nn.PReLU(dtype=ember.float64).weight.dtype is ember.float64


def test_hardtanh_module_deprecated_kwargs():
    with pytest.warns(FutureWarning, match="keyword argument `min_value` is deprecated"):
        m = ember.nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0


@requires_torch
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "mish", "elu", "softplus",
                                  "hardswish", "logsigmoid", "leaky_relu", "relu"])
@pytest.mark.parametrize("weighted", [True, False])
def test_large_inputs_blockwise(name, weighted):
    # big enough for the cache-blocked kernels; weighted=False gives sum()'s broadcast grad
    fn, kinks = POINTWISE[name]
    check_op(fn, [_away_from(_x(300, 500), kinks)], weighted=weighted)
    check_op(lambda L, a: fn(L, a.t()), [_away_from(_x(300, 500), kinks)], weighted=weighted)


@requires_torch
@pytest.mark.parametrize("fname", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((300, 500), 1), ((300, 500), 0), ((4, 300, 120), 1),
                                       ((2, 3, 40000), -1)])
def test_softmax_large_blockwise(fname, shape, dim):
    check_op(lambda L, x: getattr(F(L), fname)(x, dim), [_x(*shape)])
    check_op(lambda L, x: getattr(F(L), fname)(x, dim), [_x(*shape)], weighted=False)
