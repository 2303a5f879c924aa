"""Random number generation: Generator, seeding and state, reproducibility, distributions
(moments with fixed seeds), result dtypes/shapes/devices, autograd and errors."""
import pickle
import warnings

import numpy as np
import pytest

import ember
from ember.backends import register_backend

try:
    import torch
except ImportError:   # PyTorch is an optional oracle for dtypes and messages
    torch = None


# Every sampling call, as fn(generator) -> Tensor; used for the reproducibility tests.
SAMPLERS = {
    "rand": lambda g: ember.rand(3, 4, generator=g),
    "rand_f64": lambda g: ember.rand(5, dtype=ember.float64, generator=g),
    "rand_complex": lambda g: ember.rand(4, dtype=ember.complex64, generator=g),
    "randn": lambda g: ember.randn(2, 5, generator=g),
    "randn_f16": lambda g: ember.randn(6, dtype=ember.float16, generator=g),
    "randint": lambda g: ember.randint(-5, 5, (10,), generator=g),
    "randint_u8": lambda g: ember.randint(0, 256, (10,), dtype=ember.uint8, generator=g),
    "randperm": lambda g: ember.randperm(20, generator=g),
    "normal_tt": lambda g: ember.normal(ember.zeros(4), ember.ones(4), generator=g),
    "normal_ff": lambda g: ember.normal(2., 3., (4,), generator=g),
    "bernoulli": lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    "multinomial": lambda g: ember.multinomial(ember.ones(2, 10), 4, generator=g),
    "multinomial_repl": lambda g: ember.multinomial(ember.ones(10), 8, True, generator=g),
    "poisson": lambda g: ember.poisson(ember.full((6,), 3.), generator=g),
    "uniform_": lambda g: ember.empty(5).uniform_(-2, 2, generator=g),
    "normal_": lambda g: ember.empty(5).normal_(1, 2, generator=g),
    "random_": lambda g: ember.empty(5, dtype=ember.int64).random_(generator=g),
    "random_to": lambda g: ember.empty(5).random_(100, generator=g),
    "bernoulli_": lambda g: ember.empty(9).bernoulli_(0.3, generator=g),
    "exponential_": lambda g: ember.empty(5).exponential_(2., generator=g),
    "geometric_": lambda g: ember.empty(5).geometric_(0.3, generator=g),
    "cauchy_": lambda g: ember.empty(5).cauchy_(generator=g),
    "log_normal_": lambda g: ember.empty(5).log_normal_(generator=g),
}


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_seed_same_stream(name):
    fn = SAMPLERS[name]
    g1, g2 = ember.Generator().manual_seed(123), ember.Generator().manual_seed(123)
    a, b = fn(g1), fn(g2)
    np.testing.assert_array_equal(_np(a), _np(b))
    # the second draw continues the stream identically and differs from the first
    a2, b2 = fn(g1), fn(g2)
    np.testing.assert_array_equal(_np(a2), _np(b2))


@pytest.mark.parametrize("name", ["rand", "randn", "randint", "randperm", "normal_",
                                  "multinomial", "exponential_"])
def test_different_seeds_differ(name):
    fn = SAMPLERS[name]
    a = fn(ember.Generator().manual_seed(1))
    b = fn(ember.Generator().manual_seed(2))
    assert not np.array_equal(_np(a), _np(b))


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_default_generator_reproducible(name):
    fn = SAMPLERS[name]
    ember.manual_seed(7)
    a = fn(None)
    ember.manual_seed(7)
    b = fn(None)
    np.testing.assert_array_equal(_np(a), _np(b))


def test_float32_drawn_directly_in_float32():
    """rand/randn draw float32 from PCG64 directly (never float64 then cast); large normal
    samples use Box-Muller on float32 uniforms."""
    g = ember.Generator().manual_seed(5)
    ref = np.random.Generator(np.random.PCG64(5))
    np.testing.assert_array_equal(_np(ember.rand(7, generator=g)),
                                  ref.random(7, dtype=np.float32))
    np.testing.assert_array_equal(_np(ember.randn(7, generator=g)),
                                  ref.standard_normal(7, dtype=np.float32))
    u = ref.random((2, 50), dtype=np.float32)
    r = np.sqrt(-2 * np.log1p(-u[0]))
    expect = np.concatenate([r * np.cos(u[1] * np.float32(2 * np.pi)),
                             r * np.sin(u[1] * np.float32(2 * np.pi))])
    np.testing.assert_allclose(_np(ember.randn(100, generator=g)), expect, rtol=1e-5, atol=1e-6)
    assert ember.rand(3).dtype is ember.float32 and ember.randn(300).dtype is ember.float32


def test_explicit_generator_does_not_touch_default():
    ember.manual_seed(3)
    a = ember.rand(4)
    ember.manual_seed(3)
    ember.rand(4, generator=ember.Generator().manual_seed(99))
    b = ember.rand(4)
    np.testing.assert_array_equal(_np(a), _np(b))


# ---------------------------------------------------------------- Generator and state
def test_generator_api():
    g = ember.Generator()
    assert g.device == ember.device("cpu")
    assert ember.Generator("cpu").device.type == "cpu"
    assert ember.Generator(device=ember.device("cpu")).device.type == "cpu"
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    s = g.seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64 and g.initial_seed() == s
    assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert g.manual_seed(2 ** 64 - 1).initial_seed() == 2 ** 64 - 1
    assert g.manual_seed(np.int64(9)).initial_seed() == 9
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        g.manual_seed(2 ** 64)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        g.manual_seed(-2 ** 63 - 1)
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(3.0)


def test_module_seeding_functions():
    g = ember.manual_seed(11)
    assert g is ember.default_generator
    assert ember.initial_seed() == 11
    assert ember.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert ember.manual_seed(1.5).initial_seed() == 1      # torch.manual_seed takes int(seed)
    assert ember.manual_seed("3").initial_seed() == 3
    with pytest.raises(ValueError, match="Overflow"):
        ember.manual_seed(2 ** 64)
    s = ember.seed()
    assert isinstance(s, int) and ember.initial_seed() == s


def test_state_round_trip_replays_exactly():
    g = ember.Generator().manual_seed(42)
    ember.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype is ember.uint8 and state.dim() == 1
    a = [_np(fn(g)).copy() for fn in SAMPLERS.values()]
    assert g.set_state(state) is g
    b = [_np(fn(g)).copy() for fn in SAMPLERS.values()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(_np(g.set_state(state).get_state()), _np(state))
    assert g.initial_seed() == 42


def test_state_keeps_the_cached_half_word():
    """PCG64 caches 32 bits between 32-bit draws; the state must carry them."""
    g = ember.Generator().manual_seed(1)
    ember.randint(0, 10, (1,), dtype=ember.int64, generator=g)
    g2 = ember.Generator().set_state(g.get_state())
    for _ in range(3):
        np.testing.assert_array_equal(_np(ember.rand(5, generator=g)),
                                      _np(ember.rand(5, generator=g2)))
        np.testing.assert_array_equal(_np(ember.randint(0, 99, (5,), generator=g)),
                                      _np(ember.randint(0, 99, (5,), generator=g2)))


def test_default_rng_state_round_trip():
    ember.manual_seed(0)
    s = ember.get_rng_state()
    a = ember.randn(10)
    ember.set_rng_state(s)
    np.testing.assert_array_equal(_np(a), _np(ember.randn(10)))
    # the state is a copy, not a live view
    s2 = ember.get_rng_state()
    ember.rand(5)
    assert not np.array_equal(_np(s2), _np(ember.get_rng_state()))


def test_state_errors():
    g = ember.Generator()
    n = g.get_state().numel()
    with pytest.raises(RuntimeError, match=f"Expected a CPUGeneratorImplState of size {n} but "
                                           "found the input RNG state size to be 10"):
        g.set_state(ember.zeros(10, dtype=ember.uint8))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(ember.zeros(n))
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        g.set_state([1, 2])
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        ember.set_rng_state(ember.zeros(n, dtype=ember.float32))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        ember.set_rng_state([1, 2])


def test_clone_and_pickle():
    g = ember.Generator().manual_seed(8)
    ember.rand(3, generator=g)
    for h in (g.clone_state(), pickle.loads(pickle.dumps(g))):
        assert h is not g and h.initial_seed() == 8
        np.testing.assert_array_equal(_np(ember.rand(4, generator=h)),
                                      _np(ember.rand(4, generator=g.clone_state())))


def test_generator_type_checked():
    with pytest.raises(TypeError, match="expected a torch.Generator"):
        ember.rand(2, generator=3)


# ---------------------------------------------------------------- moments (fixed seeds)
N = 200_000


def _gen(seed=2024):
    return ember.Generator().manual_seed(seed)


def test_uniform_moments():
    x = _np(ember.rand(N, generator=_gen())).astype(np.float64)
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.005 and abs(x.var() - 1 / 12) < 0.002
    y = _np(ember.empty(N).uniform_(-3, 5, generator=_gen()))
    assert y.min() >= -3 and y.max() <= 5 and abs(y.mean() - 1) < 0.03


def test_normal_moments():
    z = _np(ember.randn(N, generator=_gen())).astype(np.float64)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    y = _np(ember.normal(2., 3., (N,), generator=_gen())).astype(np.float64)
    assert abs(y.mean() - 2) < 0.03 and abs(y.std() - 3) < 0.03
    m = ember.tensor(np.tile(np.float32([-10., 0., 10.]), N // 3))
    s = ember.tensor(np.tile(np.float32([0.5, 1., 2.]), N // 3))
    w = _np(ember.normal(m, s, generator=_gen())).reshape(-1, 3)
    np.testing.assert_allclose(w.mean(0), _np(m).reshape(-1, 3)[0], atol=0.03)
    np.testing.assert_allclose(w.std(0), [0.5, 1., 2.], rtol=0.02)
    v = _np(ember.empty(N, dtype=ember.float64).normal_(-1, 0.5, generator=_gen()))
    assert abs(v.mean() + 1) < 0.01 and abs(v.std() - 0.5) < 0.01


def test_complex_samples():
    z = _np(ember.randn(N, dtype=ember.complex64, generator=_gen()))
    assert z.dtype == np.complex64
    # each part has variance 1/2, so E|z|^2 = 1
    assert abs(z.real.var() - 0.5) < 0.01 and abs(z.imag.var() - 0.5) < 0.01
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.02
    u = _np(ember.rand(N, dtype=ember.complex128, generator=_gen()))
    assert 0 <= u.real.min() and u.real.max() < 1 and 0 <= u.imag.min() and u.imag.max() < 1
    assert abs(u.real.mean() - 0.5) < 0.01 and abs(u.imag.mean() - 0.5) < 0.01


def test_randint_distribution():
    r = _np(ember.randint(-3, 4, (N,), generator=_gen()))
    assert r.dtype == np.int64 and r.min() == -3 and r.max() == 3
    counts = np.bincount(r + 3) / N
    np.testing.assert_allclose(counts, 1 / 7, atol=0.01)
    big = _np(ember.randint(2 ** 62, 2 ** 63 - 1, (1000,), generator=_gen()))
    assert big.min() >= 2 ** 62 and big.max() < 2 ** 63 - 1


def test_random_ranges_by_dtype():
    g = _gen()
    x = _np(ember.empty(N, dtype=ember.uint8).random_(generator=g))
    assert x.min() == 0 and x.max() == 255
    x = _np(ember.empty(N, dtype=ember.int8).random_(generator=g))
    assert x.min() == 0 and x.max() == 127
    x = _np(ember.empty(N, dtype=ember.bool).random_(generator=g))
    assert 0.45 < x.mean() < 0.55
    x = _np(ember.empty(N).random_(generator=g))    # float32: integers in [0, 2**24]
    assert x.min() >= 0 and x.max() <= 2 ** 24 and np.all(x == np.round(x))
    assert x.max() > 2 ** 23
    x = _np(ember.empty(N, dtype=ember.int64).random_(generator=g))
    assert x.min() >= 0 and x.max() > 2 ** 62
    x = _np(ember.empty(N, dtype=ember.int8).random_(-3, 3, generator=g))
    assert x.min() == -3 and x.max() == 2
    x = _np(ember.empty(N, dtype=ember.int16).random_(-3, None, generator=g))
    assert x.min() == -3 and x.max() > 30000
    x = _np(ember.empty(N).random_(10, generator=g))
    assert x.min() == 0 and x.max() == 9
    x = _np(ember.empty(N).random_(5, to=8, generator=g))
    assert set(np.unique(x)) == {5., 6., 7.}


def test_bernoulli_rates():
    p = ember.tensor(np.linspace(0, 1, 5, dtype=np.float32)).unsqueeze(0)
    p = ember.tensor(np.repeat(_np(p), N // 5, 0))
    b = _np(ember.bernoulli(p, generator=_gen()))
    np.testing.assert_allclose(b.mean(0), [0, 0.25, 0.5, 0.75, 1], atol=0.01)
    assert set(np.unique(b)) <= {0., 1.}
    x = _np(ember.empty(N, dtype=ember.int64).bernoulli_(0.3, generator=_gen()))
    assert x.dtype == np.int64 and abs(x.mean() - 0.3) < 0.01
    x = _np(ember.zeros(N).bernoulli(0.8, generator=_gen()))
    assert abs(x.mean() - 0.8) < 0.01
    x = _np(ember.empty(4, N // 4).bernoulli_(ember.tensor([[0.], [0.2], [0.9], [1.]]),
                                              generator=_gen()))
    np.testing.assert_allclose(x.mean(1), [0, 0.2, 0.9, 1], atol=0.01)


def test_other_distributions():
    e = _np(ember.empty(N).exponential_(4., generator=_gen())).astype(np.float64)
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005
    g = _np(ember.empty(N).geometric_(0.25, generator=_gen()))
    assert g.min() >= 1 and np.all(g == np.round(g)) and abs(g.mean() - 4) < 0.05
    gi = _np(ember.empty(N, dtype=ember.int64).geometric_(0.5, generator=_gen()))
    assert gi.dtype == np.int64 and abs(gi.mean() - 2) < 0.03
    c = _np(ember.empty(N).cauchy_(1., 2., generator=_gen()))
    assert abs(np.median(c) - 1) < 0.03
    assert abs(np.percentile(c, 75) - np.percentile(c, 25) - 4) < 0.1   # IQR = 2 sigma
    ln = _np(ember.empty(N).log_normal_(1., 0.5, generator=_gen())).astype(np.float64)
    assert ln.min() > 0 and abs(np.log(ln).mean() - 1) < 0.01
    assert abs(np.log(ln).std() - 0.5) < 0.01
    lam = ember.tensor(np.tile(np.float32([0.5, 4., 30.]), N // 3))
    p = _np(ember.poisson(lam, generator=_gen())).reshape(-1, 3)
    assert p.dtype == np.float32 and np.all(p == np.round(p))
    np.testing.assert_allclose(p.mean(0), [0.5, 4., 30.], rtol=0.02)
    np.testing.assert_allclose(p.var(0), [0.5, 4., 30.], rtol=0.05)


def test_randperm_is_permutation():
    for n in (0, 1, 7, 1000):
        p = _np(ember.randperm(n, generator=_gen()))
        assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(n))
    counts = np.zeros(4)
    g = _gen()
    for _ in range(2000):
        counts[_np(ember.randperm(4, generator=g))[0]] += 1
    np.testing.assert_allclose(counts / 2000, 0.25, atol=0.04)
    assert ember.randperm(5, dtype=ember.float32).dtype is ember.float32


def test_multinomial_frequencies():
    probs = ember.tensor([0.1, 0., 0.6, 0.3])
    s = _np(ember.multinomial(probs, N, replacement=True, generator=_gen()))
    assert s.dtype == np.int64 and 1 not in s
    np.testing.assert_allclose(np.bincount(s, minlength=4) / N, [0.1, 0, 0.6, 0.3], atol=0.01)
    # unnormalised weights, two rows
    w = ember.tensor([[1., 3., 0.], [0., 0., 5.]])
    s2 = _np(ember.multinomial(w, 20000, True, generator=_gen()))
    assert s2.shape == (2, 20000)
    np.testing.assert_allclose(np.bincount(s2[0], minlength=3) / 20000, [0.25, 0.75, 0],
                               atol=0.015)
    assert np.all(s2[1] == 2)
    # one sample: the exponential race, first-draw frequencies follow the probabilities
    first = np.array([_np(ember.multinomial(probs, 1, generator=g))[0]
                      for g in [_gen(i) for i in range(3000)]])
    np.testing.assert_allclose(np.bincount(first, minlength=4) / 3000, [0.1, 0, 0.6, 0.3],
                               atol=0.03)


def test_multinomial_without_replacement():
    g = _gen()
    for _ in range(50):
        s = _np(ember.multinomial(ember.tensor([[1., 2., 3., 4., 5.]] * 3), 5, generator=g))
        assert s.shape == (3, 5)
        assert all(sorted(row) == [0, 1, 2, 3, 4] for row in s.tolist())
    # zero-probability categories come only after all the others
    s = _np(ember.multinomial(ember.tensor([1., 1., 0., 0.]), 3, generator=g))
    assert sorted(s[:2].tolist()) == [0, 1] and s[2] in (2, 3)
    assert ember.multinomial(ember.ones(0, 3), 1).shape == (0, 1)
    assert ember.ones(3).multinomial(2).shape == (2,)


# ---------------------------------------------------------------- dtypes, shapes, devices
def test_factory_shapes_and_dtypes():
    assert ember.rand(2, 3).shape == (2, 3) and ember.rand((2, 3)).shape == (2, 3)
    assert ember.rand([4]).shape == (4,) and ember.rand(()).shape == ()
    assert ember.rand(ember.Size([2, 1])).shape == (2, 1)
    assert ember.randn(size=(2, 3)).shape == (2, 3)
    assert ember.rand(2, dtype=ember.float64).dtype is ember.float64
    assert ember.rand(2, dtype=ember.float16).dtype is ember.float16
    assert ember.randn(2, dtype=ember.complex128).dtype is ember.complex128
    assert ember.randint(3, (2, 3)).dtype is ember.int64
    assert ember.randint(3, size=(2,)).shape == (2,)
    assert ember.randint(low=2, high=5, size=(4,)).min().item() >= 2
    assert ember.randint(ember.tensor(5), (3,)).max().item() < 5
    assert ember.randint(0, 2, (3,), dtype=ember.bool).dtype is ember.bool
    assert ember.randint(0, 3, (3,), dtype=ember.float32).dtype is ember.float32
    assert ember.normal(0, 1, (2,)).dtype is ember.float32
    assert ember.normal(0., 1., (2,), dtype=ember.float64).dtype is ember.float64
    assert ember.normal(ember.zeros(2, dtype=ember.float64), ember.ones(2)).dtype is \
        ember.float64
    assert ember.normal(ember.zeros(2), ember.ones(2, dtype=ember.float64)).dtype is \
        ember.float32
    assert ember.normal(0., ember.ones(2, dtype=ember.float64)).dtype is ember.float64
    assert ember.normal(ember.zeros(2, 3), ember.ones(3)).shape == (2, 3)
    assert ember.normal(ember.zeros(3), ember.ones(2, 3)).shape == (2, 3)
    assert ember.normal(ember.zeros(3)).shape == (3,)
    assert ember.bernoulli(ember.full((2,), 0.5, dtype=ember.float64)).dtype is ember.float64
    assert ember.poisson(ember.ones(2, dtype=ember.float64)).dtype is ember.float64
    r = ember.rand(2, requires_grad=True)
    assert r.requires_grad and r.is_leaf


@pytest.mark.parametrize("make", [
    lambda: ember.rand(()), lambda: ember.randn(()), lambda: ember.randint(3, ()),
    lambda: ember.normal(0., 1., ()), lambda: ember.normal(ember.tensor(0.), ember.tensor(1.)),
    lambda: ember.normal(ember.tensor(0.), 2.), lambda: ember.bernoulli(ember.tensor(0.5)),
    lambda: ember.poisson(ember.tensor(3.)), lambda: ember.rand((), dtype=ember.complex64),
    lambda: ember.empty((), dtype=ember.int64).random_(), lambda: ember.zeros(()).bernoulli(0.4),
    lambda: ember.empty(()).geometric_(0.5), lambda: ember.rand_like(ember.tensor(1.)),
])
def test_zero_dim_results_are_arrays(make):
    t = make()
    assert t.shape == () and isinstance(t.numpy(), np.ndarray)


def test_like_functions():
    x = ember.zeros(2, 3, dtype=ember.float64)
    assert ember.rand_like(x).dtype is ember.float64 and ember.rand_like(x).shape == (2, 3)
    assert ember.randn_like(x, dtype=ember.float32).dtype is ember.float32
    assert ember.rand_like(x, requires_grad=True).requires_grad
    assert not ember.rand_like(ember.zeros(2, requires_grad=True)).requires_grad
    r = ember.randint_like(x, 5)
    assert r.dtype is ember.float64 and r.shape == (2, 3) and r.max().item() < 5
    r = ember.randint_like(ember.zeros(100, dtype=ember.int32), 3, 5)
    assert r.dtype is ember.int32 and r.min().item() == 3 and r.max().item() == 4
    assert ember.randint_like(ember.zeros(4, dtype=ember.int32), high=5).max().item() < 5
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented "
                                                  "for 'Long'"):
        ember.rand_like(ember.zeros(2, dtype=ember.int64))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for "
                                                  "'Long'"):
        ember.randn_like(ember.zeros(2, dtype=ember.int64))


def test_out_argument():
    out = ember.zeros(1, dtype=ember.float64)
    r = ember.rand(2, 3, out=out)
    assert r is out and out.shape == (2, 3) and out.dtype is ember.float64
    out = ember.zeros(1)
    assert ember.randint(3, (4,), out=out).dtype is ember.float32 and out.shape == (4,)
    assert ember.randperm(3, out=ember.zeros(1)).dtype is ember.float32
    out = ember.zeros(1, dtype=ember.float64)
    assert ember.normal(ember.zeros(2), 1., out=out) is out and out.dtype is ember.float64
    out = ember.zeros(0, dtype=ember.int64)
    assert ember.multinomial(ember.ones(4), 2, out=out) is out and out.shape == (2,)
    with pytest.raises(RuntimeError, match=r"dtype Float does not match dtype of out parameter "
                                           r"\(Double\)"):
        ember.rand(2, dtype=ember.float32, out=ember.zeros(1, dtype=ember.float64))


class _HostBackend:
    """A stand-in accelerator holding NumPy arrays (exercises device plumbing without a GPU)."""
    name = "xpu"
    xp = np

    @staticmethod
    def asarray(a, dev=None):
        return np.array(a)

    @staticmethod
    def to_numpy(a):
        return a


@pytest.fixture
def xpu():
    register_backend("xpu", _HostBackend())
    yield ember.device("xpu")
    register_backend("xpu", None)


def test_other_device_samples_on_host(xpu):
    g1, g2 = ember.Generator().manual_seed(4), ember.Generator().manual_seed(4)
    a = ember.rand(3, device="xpu", generator=g1)
    b = ember.rand(3, generator=g2)
    assert a.device == xpu and b.device.type == "cpu"
    np.testing.assert_array_equal(a._data, _np(b))
    assert ember.randint(5, (2,), device=xpu).device == xpu
    assert ember.randperm(4, device=xpu).device == xpu
    x = ember.rand_like(ember.zeros(2, device=xpu))
    assert x.device == xpu
    y = ember.zeros(3, device=xpu).normal_()
    assert y.device == xpu
    assert ember.multinomial(ember.ones(3, device=xpu), 2).device == xpu


# ---------------------------------------------------------------- autograd
def test_normal_with_parameter_tensors():
    m = ember.zeros(3, requires_grad=True)
    s = ember.ones(3, requires_grad=True)
    for out, name in ((ember.normal(m, s), "NormalBackward3"),
                      (ember.normal(m, 1.), "NormalBackward1"),
                      (ember.normal(0., s), "NormalBackward2"),
                      (ember.normal(m), "NormalBackward1")):
        assert out.requires_grad and out.grad_fn.name() == name
    ember.normal(m, s).sum().backward()
    assert m.grad.tolist() == [0., 0., 0.] and s.grad.tolist() == [0., 0., 0.]
    with ember.no_grad():
        assert not ember.normal(m, s).requires_grad


def test_other_samplers_in_graph():
    p = ember.full((4,), 0.5, requires_grad=True)
    b = ember.bernoulli(p)
    assert b.grad_fn.name() == "BernoulliBackward0"
    b.sum().backward()
    assert p.grad.tolist() == [0.] * 4
    lam = ember.tensor([1., 2.], requires_grad=True)
    assert ember.poisson(lam).grad_fn.name() == "PoissonBackward0"
    q = ember.bernoulli(p, 0.3)
    assert q.requires_grad and q.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not implemented"):
        q.sum().backward()
    assert ember.multinomial(ember.ones(3, requires_grad=True), 2).grad_fn is None


@pytest.mark.parametrize("call,name", [
    (lambda y: y.normal_(), "NormalBackward0"), (lambda y: y.uniform_(), "UniformBackward0"),
    (lambda y: y.random_(), "RandomBackward2"), (lambda y: y.random_(3), "RandomBackward1"),
    (lambda y: y.random_(1, 3), "RandomBackward0"),
    (lambda y: y.bernoulli_(), "BernoulliBackward2"),
    (lambda y: y.bernoulli_(ember.full((3,), 0.5)), "BernoulliBackward1"),
    (lambda y: y.exponential_(), "ExponentialBackward0"),
    (lambda y: y.geometric_(0.5), "GeometricBackward0"), (lambda y: y.cauchy_(), "CauchyBackward0"),
    (lambda y: y.log_normal_(), "LogNormalBackward0"),
])
def test_inplace_samplers_in_graph(call, name):
    w = ember.zeros(3, requires_grad=True)
    y = w * 2
    r = call(y)
    assert r is y and y.grad_fn.name() == name and y._version == 1
    y.sum().backward()
    assert w.grad.tolist() == [0., 0., 0.]


def test_inplace_on_leaf_requiring_grad():
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        w.normal_()
    with ember.no_grad():          # how nn.init initialises parameters
        w.uniform_(-1, 1)
    assert w.requires_grad and w.is_leaf and np.all(np.abs(_np(w)) <= 1)


def test_inplace_writes_through_views():
    base = ember.zeros(4, 4)
    row = base.view(16)
    row.normal_()
    assert np.all(_np(base).ravel() == _np(row)) and np.any(_np(base) != 0)
    x = ember.zeros(3)
    v = x._version
    x.uniform_()
    assert x._version == v + 1


# ---------------------------------------------------------------- errors
def _raises(fn, exc, match):
    """ember raises like PyTorch (checked against torch too when it is installed)."""
    if torch is not None:
        with pytest.raises(exc, match=match), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(torch)
    with pytest.raises(exc, match=match):
        fn(ember)


ERRORS = [
    (lambda L: L.randint(5, 3, (3,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    (lambda L: L.randint(3, 3, (3,)), RuntimeError, "but got from=3 >= to=3"),
    (lambda L: L.randint(0, 300, (3,), dtype=L.uint8), RuntimeError,
     "to - 1 is out of bounds for unsigned char"),
    (lambda L: L.randint(-1, 3, (3,), dtype=L.uint8), RuntimeError,
     "from is out of bounds for unsigned char"),
    (lambda L: L.randint(0, 3, (3,), dtype=L.bool), RuntimeError,
     "to - 1 is out of bounds for bool"),
    (lambda L: L.randint(0, 2 ** 40, (2,), dtype=L.int32), RuntimeError,
     "to - 1 is out of bounds for int"),
    (lambda L: L.randint(0, 2 ** 40, (2,), dtype=L.int16), RuntimeError,
     "to - 1 is out of bounds for short int"),
    (lambda L: L.randint(0, 2 ** 40, (2,), dtype=L.float16), RuntimeError,
     "to - 1 is out of bounds for c10::Half"),
    (lambda L: L.randint(0, 3, (2,), dtype=L.complex64), RuntimeError,
     "check_random_bounds handles only integral, floating-point and boolean types"),
    (lambda L: L.randint(2.5, (3,)), TypeError,
     r"randint\(\): argument 'high' \(position 1\) must be int, not float"),
    (lambda L: L.randint(3), TypeError, "randint"),
    (lambda L: L.rand(3, dtype=L.int64), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda L: L.rand(3, dtype=L.bool), NotImplementedError, "'Bool'"),
    (lambda L: L.randn(3, dtype=L.int64), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda L: L.rand(-1), RuntimeError, r"Trying to create tensor with negative dimension -1"),
    (lambda L: L.randint(0, 3, (2,), requires_grad=True), RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    (lambda L: L.randperm(-1), RuntimeError, "negative dimension -1"),
    (lambda L: L.randperm(257, dtype=L.uint8), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
    (lambda L: L.randperm(3000, dtype=L.float16), RuntimeError,
     "n cannot be greater than 2049 for Half type."),
    (lambda L: L.randperm(5, dtype=L.bool), NotImplementedError,
     "\"randperm\" not implemented for 'Bool'"),
    (lambda L: L.normal(L.zeros(3), -1.0), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    (lambda L: L.normal(L.zeros(3), float("nan")), RuntimeError,
     "normal expects std >= 0.0, but found std nan"),
    (lambda L: L.normal(L.zeros(3), -L.ones(3)), RuntimeError,
     "normal expects all elements of std >= 0.0"),
    (lambda L: L.normal(0.0, -1.5, (2,)), RuntimeError, "but found std -1.5"),
    (lambda L: L.normal(L.zeros(2), L.ones(3)), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
     r"dimension 0"),
    (lambda L: L.normal(L.zeros(2, dtype=L.int64), L.ones(2)), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda L: L.normal(2, 3), TypeError, "normal"),
    (lambda L: L.bernoulli(L.tensor([1.5, 1.])), RuntimeError,
     r"Expected p_in >= 0 && p_in <= 1 to be true, but got false."),
    (lambda L: L.bernoulli(L.tensor([-0.5, 1.])), RuntimeError, "p_in >= 0"),
    (lambda L: L.bernoulli(L.tensor([0, 1])), NotImplementedError,
     "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"),
    (lambda L: L.bernoulli(L.tensor([0.5, 1.]), 1.5), RuntimeError,
     r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"),
    (lambda L: L.zeros(3).bernoulli_(L.tensor([0., 1.])), RuntimeError,
     r"The expanded size of the tensor \(3\) must match the existing size \(2\) at "
     r"non-singleton dimension 0.  Target sizes: \[3\].  Tensor sizes: \[2\]"),
    (lambda L: L.zeros(3).bernoulli_(L.tensor([[0., 1., 1.]])), RuntimeError,
     r"the number of sizes provided \(1\) must be greater or equal to the number of dimensions "
     r"in the tensor \(2\)"),
    (lambda L: L.zeros(3).bernoulli_(2.0), RuntimeError,
     r"bernoulli_ expects p to be in \[0, 1\], but got p=2"),
    (lambda L: L.zeros(2, dtype=L.complex64).bernoulli_(), NotImplementedError,
     "\"bernoulli_scalar_cpu_\" not implemented for 'ComplexFloat'"),
    (lambda L: L.poisson(L.tensor([-1., 2.])), RuntimeError,
     "invalid Poisson rate, expected rate to be non-negative"),
    (lambda L: L.poisson(L.tensor([float("nan"), 2.])), RuntimeError, "invalid Poisson rate"),
    (lambda L: L.poisson(L.tensor([1, 2])), NotImplementedError,
     "\"poisson_cpu\" not implemented for 'Long'"),
    (lambda L: L.multinomial(L.tensor([0.1, 0., 0.9]), 4), RuntimeError,
     r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
    (lambda L: L.multinomial(L.tensor([0.1, 0.9]), 0), RuntimeError,
     "cannot sample n_sample <= 0 samples"),
    (lambda L: L.multinomial(L.tensor([1, 2]), 1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    (lambda L: L.multinomial(L.tensor([-1., 2.]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda L: L.multinomial(L.tensor([-1., 2.]), 1, True), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda L: L.multinomial(L.tensor([-1., 2.]), 2, True), RuntimeError,
     r"invalid multinomial distribution \(encountering probability entry < 0\)"),
    (lambda L: L.multinomial(L.tensor([float("nan"), 2.]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda L: L.multinomial(L.tensor([float("inf"), 2.]), 1), RuntimeError,
     "probability tensor contains"),
    (lambda L: L.multinomial(L.tensor([float("inf"), 2.]), 3, True), RuntimeError,
     r"invalid multinomial distribution \(encountering probability entry = infinity or NaN\)"),
    (lambda L: L.multinomial(L.tensor([0., 0.]), 1), RuntimeError,
     r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (lambda L: L.multinomial(L.tensor([[0., 1.], [0., 0.]]), 2, True), RuntimeError,
     r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (lambda L: L.multinomial(L.tensor(1.), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda L: L.multinomial(L.ones(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda L: L.zeros(5).uniform_(3, 2), RuntimeError,
     r"uniform_ expects to return a \[from, to\) range, but found from=3 > to=2"),
    (lambda L: L.zeros(3, dtype=L.int64).uniform_(), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda L: L.zeros(5).normal_(1, -2), RuntimeError,
     "normal expects std >= 0.0, but found std -2"),
    (lambda L: L.zeros(5).random_(3, 3), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=3 >= to=3"),
    (lambda L: L.zeros(5).random_(-5), RuntimeError, "but got from=0 >= to=-5"),
    (lambda L: L.zeros(5, dtype=L.int8).random_(-3, 300), RuntimeError,
     "to - 1 is out of bounds for signed char"),
    (lambda L: L.zeros(2, dtype=L.uint8).random_(-2, 2), RuntimeError,
     "from is out of bounds for unsigned char"),
    (lambda L: L.zeros(2).random_(2 ** 30, None), RuntimeError,
     r"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to "
     r"dtype, but got from=1073741824 > to_inc=16777216"),
    (lambda L: L.zeros(2, dtype=L.complex64).random_(), NotImplementedError,
     "\"random_kernel_cpu\" not implemented for 'ComplexFloat'"),
    (lambda L: L.zeros(2, dtype=L.int64).random_(2.5), TypeError, "random_"),
    (lambda L: L.zeros(5).exponential_(0), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda L: L.zeros(3, dtype=L.int64).exponential_(), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a "
     "floating point but you specified Long"),
    (lambda L: L.zeros(5).geometric_(1), RuntimeError,
     r"geometric_ expects p to be in \(0, 1\), but got p=1"),
    (lambda L: L.zeros(5).geometric_(0), RuntimeError, "but got p=0"),
    (lambda L: L.zeros(3, dtype=L.bool).geometric_(0.5), NotImplementedError,
     "\"geometric_cpu\" not implemented for 'Bool'"),
    (lambda L: L.zeros(5).cauchy_(1, 0), RuntimeError,
     "cauchy_ expects sigma > 0.0, but found sigma=0"),
    (lambda L: L.zeros(3, dtype=L.int64).cauchy_(), RuntimeError,
     "Cauchy distribution is a continuous probability distribution. dtype must be a floating "
     "point but you specified long int"),
    (lambda L: L.zeros(2, dtype=L.complex64).cauchy_(), RuntimeError,
     r"you specified c10::complex<float>"),
    (lambda L: L.zeros(5).log_normal_(1, -1), RuntimeError,
     "log_normal_ expects std > 0.0, but found std=-1"),
    (lambda L: L.zeros(3, dtype=L.int64).log_normal_(), NotImplementedError,
     "\"log_normal_cpu\" not implemented for 'Long'"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_like_pytorch(i):
    fn, exc, match = ERRORS[i]
    _raises(fn, exc, match)


def test_float_range_warning():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]. Due to "
                                         r"precision limitations float can support discrete "
                                         r"uniform distribution only within this range"):
        ember.randint(0, 2 ** 25 + 1, (3,), dtype=ember.float32)
    with pytest.warns(UserWarning, match=r"2\^11.*c10::Half"):
        ember.zeros(2, dtype=ember.float16).random_(2 ** 12)


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")
@pytest.mark.parametrize("make", [
    lambda L: L.rand(2, 3), lambda L: L.rand(2, dtype=L.complex64),
    lambda L: L.randn(3, dtype=L.float64), lambda L: L.randint(0, 3, (2,)),
    lambda L: L.randint(0, 2, (3,), dtype=L.bool), lambda L: L.randperm(4, dtype=L.float16),
    lambda L: L.normal(L.zeros(2, 1), L.ones(3)),
    lambda L: L.normal(0., L.ones(2, dtype=L.float64)),
    lambda L: L.bernoulli(L.full((2,), 0.5)), lambda L: L.zeros(3, dtype=L.int32).bernoulli(0.5),
    lambda L: L.multinomial(L.ones(2, 4), 3), lambda L: L.multinomial(L.ones(4), 6, True),
    lambda L: L.poisson(L.ones(2, dtype=L.float64)),
    lambda L: L.zeros(2, dtype=L.uint8).random_(),
    lambda L: L.zeros(2, dtype=L.int64).geometric_(0.5),
    lambda L: L.randint_like(L.zeros(2, dtype=L.int32), 3, 5),
    lambda L: L.rand_like(L.zeros(2), dtype=L.float64),
])
def test_result_dtype_and_shape_like_pytorch(make):
    e, t = make(ember), make(torch)
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)


def test_random_namespace_and_fork_rng():
    import ember
    ember.random.manual_seed(3)
    a = ember.rand(3)
    ember.random.manual_seed(3)
    with ember.random.fork_rng():
        ember.rand(5)
    b = ember.rand(3)
    assert a.tolist() == b.tolist()
    assert ember.random.initial_seed() == 3
