"""nn.init: statistics and bounds against PyTorch's formulas, determinism, errors."""
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.init as init

try:
    import torch
except ImportError:
    torch = None


def _np(t):
    return np.asarray(t.detach())


@pytest.mark.parametrize("name,param,expected", [
    ("linear", None, 1), ("conv2d", None, 1), ("conv_transpose3d", None, 1),
    ("sigmoid", None, 1), ("tanh", None, 5.0 / 3), ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)), ("leaky_relu", 1, 1.0), ("selu", None, 0.75)])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)
    if torch is not None:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope 0.1 not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape,fans", [((3, 5), (5, 3)), ((8, 4, 3, 3), (36, 72)),
                                        ((2, 6, 5), (30, 10))])
def test_fans(shape, fans):
    t = ember.empty(*shape)
    assert init._calculate_fan_in_and_fan_out(t) == fans
    assert init._calculate_correct_fan(t, "fan_in") == fans[0]
    assert init._calculate_correct_fan(t, "FAN_OUT") == fans[1]
    if torch is not None:
        assert torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape)) == fans


def test_fan_errors():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                                         "with fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(ember.empty(3, 4), mode="fan_avg")


def test_uniform_normal_constant():
    ember.manual_seed(0)
    t = ember.empty(200, 100)
    assert init.uniform_(t, -0.5, 2.0) is t
    a = _np(t)
    assert a.min() >= -0.5 and a.max() < 2.0 and a.dtype == np.float32
    assert abs(a.mean() - 0.75) < 0.02
    init.normal_(t, 1.0, 3.0)
    a = _np(t)
    assert abs(a.mean() - 1.0) < 0.05 and abs(a.std() - 3.0) < 0.05
    assert _np(init.constant_(t, 0.25)).tolist() == np.full((200, 100), 0.25).tolist()
    assert (_np(init.ones_(t)) == 1).all() and (_np(init.zeros_(t)) == 0).all()
    ti = ember.empty(3, dtype=ember.int64)
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        init.uniform_(ti)


def test_no_grad_and_version():
    p = ember.nn.Parameter(ember.empty(10, 20))
    for fn in (init.uniform_, init.normal_, init.trunc_normal_, init.xavier_uniform_,
               init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
               init.orthogonal_, init.eye_, init.zeros_, init.ones_,
               lambda t: init.sparse_(t, 0.5), lambda t: init.constant_(t, 2.0)):
        v = p._version
        assert fn(p) is p
        assert p.requires_grad and p.grad_fn is None and p.is_leaf
        assert p._version > v, fn


def test_saved_tensor_sees_init_write():
    w = ember.nn.Parameter(ember.ones(3, 3))
    y = (w * w).sum()
    init.orthogonal_(w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(gain):
    ember.manual_seed(1)
    t = ember.empty(64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    a = _np(init.xavier_uniform_(t, gain=gain))
    bound = math.sqrt(3.0) * std
    assert a.min() >= -bound and a.max() <= bound and a.max() > 0.99 * bound
    assert abs(a.std() / std - 1) < 0.03
    a = _np(init.xavier_normal_(t, gain=gain))
    assert abs(a.std() / std - 1) < 0.03 and abs(a.mean()) < 0.05 * std


@pytest.mark.parametrize("a,mode,nl", [(0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in",
                                        "leaky_relu"), (0, "fan_out", "relu"),
                                       (0.1, "fan_in", "tanh")])
def test_kaiming(a, mode, nl):
    ember.manual_seed(2)
    t = ember.empty(128, 64, 3)
    fan = 64 * 3 if mode == "fan_in" else 128 * 3
    std = init.calculate_gain(nl, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    u = _np(init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nl))
    assert u.min() >= -bound and u.max() <= bound and u.max() > 0.99 * bound
    assert abs(u.std() / std - 1) < 0.03
    n = _np(init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nl))
    assert abs(n.std() / std - 1) < 0.03


def test_linear_default_bound_matches_torch_formula():
    # Linear's reset_parameters: kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in)
    t = ember.empty(50, 320)
    u = _np(init.kaiming_uniform_(t, a=math.sqrt(5)))
    assert u.max() <= 1 / math.sqrt(320) and u.max() > 0.99 / math.sqrt(320)


def test_kaiming_zero_element_warns():
    t = ember.empty(0, 3)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(t) is t
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(t)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                          (0.5, 1.0, 1.0, 1.5), (0.0, 1.0, 2.0, 3.0)])
def test_trunc_normal(mean, std, a, b):
    ember.manual_seed(3)
    t = ember.empty(200, 100)
    assert init.trunc_normal_(t, mean, std, a, b) is t and t.dtype is ember.float32
    x = _np(t).astype(np.float64)
    assert x.min() >= a and x.max() <= b
    # exact moments of the truncated normal
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)   # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2             # noqa: E731
    Z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / Z
    var = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / Z - ((pdf(al) - pdf(be)) / Z) ** 2)
    assert abs(x.mean() - m) < 0.02 * std + 1e-3 * abs(m)
    assert abs(x.std() / math.sqrt(var) - 1) < 0.03


def test_trunc_normal_warns_and_views():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ember.empty(10), mean=5.0, std=1.0, a=-2, b=2)
    base = ember.zeros(40, 40)
    v = base[:, ::2]
    init.trunc_normal_(v, std=1.0, a=-0.1, b=0.1)
    b = _np(base)
    assert (np.abs(b[:, ::2]) <= 0.1).all() and (b[:, ::2] != 0).all()
    assert (b[:, 1::2] == 0).all()


def test_eye():
    a = _np(init.eye_(ember.empty(3, 5)))
    assert (a == np.eye(3, 5)).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2, 2, 2))


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 2, 3, 3), 2),
                                          ((4, 4, 3, 3, 3), 2), ((2, 5, 5, 4), 1)])
def test_dirac_matches_torch(shape, groups):
    a = _np(init.dirac_(ember.empty(*shape), groups=groups))
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    np.testing.assert_array_equal(a, torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())


def test_dirac_errors():
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ember.empty(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(ember.empty(5, 2, 3), groups=2)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3), (10, 10)])
def test_orthogonal(shape):
    ember.manual_seed(4)
    w = _np(init.orthogonal_(ember.empty(*shape), gain=2.0)).reshape(shape[0], -1)
    assert w.dtype == np.float32
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(ember.empty(4))


def test_sparse():
    ember.manual_seed(5)
    t = _np(init.sparse_(ember.empty(20, 300), sparsity=0.25, std=0.5))
    assert ((t == 0).sum(0) == 5).all()
    nz = t[t != 0]
    assert abs(nz.std() / 0.5 - 1) < 0.05
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(ember.empty(3, 3, 3), 0.1)


@pytest.mark.parametrize("fn", [init.uniform_, init.normal_, init.trunc_normal_,
                                init.xavier_uniform_, init.xavier_normal_,
                                init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_,
                                lambda t, **k: init.sparse_(t, 0.3, **k)])
def test_deterministic(fn):
    ember.manual_seed(7)
    a = _np(fn(ember.empty(8, 6))).copy()
    ember.manual_seed(7)
    b = _np(fn(ember.empty(8, 6)))
    np.testing.assert_array_equal(a, b)
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    np.testing.assert_array_equal(_np(fn(ember.empty(8, 6), generator=g1)),
                                  _np(fn(ember.empty(8, 6), generator=g2)))
    assert not np.array_equal(a, _np(fn(ember.empty(8, 6))))


def test_float64_and_half_dtypes():
    t = init.kaiming_uniform_(ember.empty(4, 5, dtype=ember.float64))
    assert t.dtype is ember.float64
    t = init.orthogonal_(ember.empty(4, 5, dtype=ember.float16))
    assert t.dtype is ember.float16


def test_deprecated_aliases():
    with pytest.warns(FutureWarning, match=r"`nn.init.xavier_uniform` is now deprecated in "
                                           r"favor of `nn.init.xavier_uniform_`."):
        init.xavier_uniform(ember.empty(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert (_np(init.constant(ember.empty(2), 3.0)) == 3).all()
