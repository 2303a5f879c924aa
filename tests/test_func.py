"""ember.func (torch.func): grad, vjp, jacrev/jacfwd, hessian, vmap, functional_call, against
PyTorch's torch.func where installed, and against finite differences / explicit loops without."""
import numpy as np
import pytest

import ember
from ember import func as F


def _t(lib, a):
    return lib.tensor(np.array(a))


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a),
                               np.asarray(b.detach().numpy() if hasattr(b, "detach") else b),
                               rtol=tol, atol=tol)


# ---------------------------------------------------------------- without the oracle
def test_grad_matches_finite_differences_and_nests():
    rng = np.random.default_rng(0)
    xn = rng.standard_normal(4)
    f = lambda x: (x.sin() * x ** 2).sum()
    g = F.grad(f)(ember.tensor(xn))
    eps = 1e-6
    fd = [(np.sum(np.sin(xn + eps * e) * (xn + eps * e) ** 2)
           - np.sum(np.sin(xn - eps * e) * (xn - eps * e) ** 2)) / (2 * eps)
          for e in np.eye(4)]
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6)
    assert not g.requires_grad
    # second derivative of sin at 0.5 is -sin(0.5)
    assert abs(F.grad(F.grad(lambda x: x.sin()))(ember.tensor(0.5)).item() + np.sin(0.5)) < 1e-6


def test_grad_argnums_aux_and_errors():
    x, y = ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])
    gx, gy = F.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, y)
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    g, aux = F.grad(lambda a: ((a * a).sum(), "aux"), has_aux=True)(x)
    assert g.tolist() == [2.0, 4.0] and aux == "aux"
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        F.grad(lambda a: a * 2)(x)
    with pytest.raises(RuntimeError, match="should be a tuple"):
        F.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnums=2"):
        F.grad(lambda a: a.sum(), argnums=2)(x)
    # an input that does not reach the output gets zeros
    assert F.grad(lambda a, b: a.sum(), argnums=1)(x, y).tolist() == [0.0, 0.0]


def test_grad_inside_outer_graph_stays_differentiable():
    x = ember.tensor([0.3, 0.7], requires_grad=True)
    g = F.grad(lambda a: (a ** 3).sum())(x)         # 3 x^2, still a function of x
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())


def test_jacrev_hessian_and_vjp():
    x = ember.tensor([0.1, 0.2, 0.3], dtype=ember.float64)
    J = F.jacrev(lambda a: a.sin() * 2)(x)
    np.testing.assert_allclose(J.numpy(), np.diag(2 * np.cos(x.numpy())))
    assert F.jacfwd(lambda a: a.sin() * 2)(x).shape == (3, 3)
    H = F.hessian(lambda a: (a ** 3).sum())(x)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * x.numpy()))
    out, fn = F.vjp(lambda a: a * 3, x)
    assert fn(ember.ones(3))[0].tolist() == [3.0, 3.0, 3.0] and out.tolist() == (x * 3).tolist()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        fn(ember.ones(2))


def test_vmap_is_the_loop():
    rng = np.random.default_rng(1)
    a = ember.tensor(rng.standard_normal((5, 3)))
    b = ember.tensor(rng.standard_normal(3))
    out = F.vmap(lambda r, v: (r * v).sum(), in_dims=(0, None))(a, b)
    np.testing.assert_allclose(out.numpy(), [(a[i] * b).sum().item() for i in range(5)])
    assert F.vmap(lambda c: c.sum(0), in_dims=1)(ember.ones(3, 2)).shape == (2,)
    p, q = F.vmap(lambda r: (r, r * 2), out_dims=(0, 1))(ember.ones(4, 2))
    assert p.shape == (4, 2) and q.shape == (2, 4)
    assert ember.vmap is F.vmap
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        F.vmap(lambda x, y: x + y)(ember.ones(3, 2), ember.ones(4, 2))
    with pytest.raises(ValueError, match="expected in_dim to satisfy -2 <= in_dim < 2"):
        F.vmap(lambda x: x, in_dims=2)(ember.ones(3, 2))


def test_vmap_randomness_modes():
    with pytest.raises(RuntimeError, match="randomness error mode"):
        F.vmap(lambda x: ember.rand(2) + x)(ember.zeros(3, 2))
    same = F.vmap(lambda x: ember.rand(2) + x, randomness="same")(ember.zeros(3, 2))
    assert (same == same[0]).all()
    diff = F.vmap(lambda x: ember.rand(2) + x, randomness="different")(ember.zeros(3, 2))
    assert not (diff == diff[0]).all()
    ember.rand(2)     # random ops work again outside


def test_functional_call_swaps_and_restores():
    m = ember.nn.Linear(3, 2)
    w = m.weight
    out = F.functional_call(m, {"weight": ember.ones(2, 3), "bias": ember.zeros(2)},
                            (ember.ones(1, 3),))
    assert out.tolist() == [[3.0, 3.0]] and m.weight is w
    with pytest.raises(RuntimeError, match="Unexpected key"):
        F.functional_call(m, {"nope": ember.ones(1)}, (ember.ones(1, 3),), strict=True)
    # gradients flow to the tensors passed in
    W = ember.ones(2, 3, requires_grad=True)
    F.functional_call(m, {"weight": W}, ember.ones(4, 3)).sum().backward()
    assert W.grad.tolist() == [[4.0] * 3] * 2
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        from ember.nn.utils import stateless
        stateless.functional_call(m, {"weight": W}, ember.ones(1, 3))


def test_stack_module_state_with_vmap_ensemble():
    models = [ember.nn.Linear(3, 2) for _ in range(4)]
    params, buffers = F.stack_module_state(models)
    assert params["weight"].shape == (4, 2, 3) and params["weight"].requires_grad
    x = ember.ones(5, 3)

    def one(p, b, x):
        return F.functional_call(models[0], (p, b), (x,))
    out = F.vmap(one, in_dims=(0, 0, None))(params, buffers, x)
    for i, m in enumerate(models):
        _close(out[i], m(x), 1e-6)


# ---------------------------------------------------------------- against PyTorch
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_against_torch_func(torch):
    rng = np.random.default_rng(2)
    xn, mn = rng.standard_normal(4), rng.standard_normal((3, 4))
    for fn in (lambda L, x: (L.tanh(x) * x).sum(), lambda L, x: (x.exp() / (1 + x ** 2)).sum()):
        e = F.grad(lambda x: fn(ember, x))(_t(ember, xn))
        t = torch.func.grad(lambda x: fn(torch, x))(_t(torch, xn))
        _close(e, t)
        e = F.hessian(lambda x: fn(ember, x))(_t(ember, xn))
        t = torch.func.hessian(lambda x: fn(torch, x))(_t(torch, xn))
        _close(e, t, 1e-8)
    e = F.jacrev(lambda m, x: m @ x.sin(), argnums=(0, 1))(_t(ember, mn), _t(ember, xn))
    t = torch.func.jacrev(lambda m, x: m @ x.sin(), argnums=(0, 1))(_t(torch, mn), _t(torch, xn))
    for a, b in zip(e, t):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
    e = F.vmap(lambda r: r.softmax(0) * r, in_dims=1)(_t(ember, mn))
    t = torch.func.vmap(lambda r: r.softmax(0) * r, in_dims=1)(_t(torch, mn))
    assert tuple(e.shape) == tuple(t.shape)
    _close(e, t)
