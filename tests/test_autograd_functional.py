"""ember.autograd.functional against torch.autograd.functional: the same numbers in the same
structure (a Tensor where a Tensor was given, tuples where tuples were given), create_graph,
strict mode and the errors."""
import numpy as np
import pytest

import ember
from ember.autograd import functional as F
from tests.conformance.harness import requires_torch, torch

pytestmark = requires_torch


def _lib_inputs(lib, arrays, requires_grad=False):
    ts = tuple(lib.tensor(a.copy(), requires_grad=requires_grad) for a in arrays)
    return ts


def _same_structure(e, t, path="result"):
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: expected a Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{path}: {tuple(e.shape)} vs {tuple(t.shape)}"
        assert str(e.dtype) == str(t.dtype), f"{path}: {e.dtype} vs {t.dtype}"
        assert e.requires_grad == t.requires_grad, f"{path}: requires_grad differs"
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6,
                                   atol=1e-9, err_msg=path)
        return
    assert isinstance(t, tuple) and isinstance(e, tuple), f"{path}: {type(e)} vs {type(t)}"
    assert len(e) == len(t), f"{path}: length {len(e)} vs {len(t)}"
    for i, (a, b) in enumerate(zip(e, t)):
        _same_structure(a, b, f"{path}[{i}]")


def _compare(fn_name, func, arrays, as_tuple, v=None, **kw):
    """Run functional.fn_name on both libraries; `func(lib, *xs)`; `v` arrays or None."""
    results = []
    for lib, mod in ((ember, F), (torch, torch.autograd.functional)):
        xs = _lib_inputs(lib, arrays)
        inputs = xs if as_tuple else xs[0]
        args = [lambda *a, _lib=lib: func(_lib, *a), inputs]
        if v is not None:
            vs = _lib_inputs(lib, v)
            args.append(vs if isinstance(v, tuple) else vs[0])
        results.append(getattr(mod, fn_name)(*args, **kw))
    _same_structure(*results)
    return results


def _arr(rng, *shape):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------- functions under test
def f_vec(L, x):                 # R^n -> R^n
    return x.sin() * x.exp()


def f_scalar(L, x):              # R^(2x3) -> R
    return (x ** 3).sum() + x.prod() * 0.1


def f_two_in(L, x, y):           # two inputs, one output
    return (x.unsqueeze(-1) * y).tanh()


def f_two_out(L, x):             # one input, two outputs
    return x.cos(), (x * x).sum()


def f_two_two(L, x, y):
    return x @ y, (x.sin() * 2).sum(0)


def f_scalar2(L, x, y):
    return (x.exp() * y.sum()).sum() + (x * x).sum() * y[0]


# ---------------------------------------------------------------- jacobian / hessian
def test_jacobian_structures(rng):
    x, y = _arr(rng, 3), _arr(rng, 4)
    m, n = _arr(rng, 2, 3), _arr(rng, 3, 2)
    _compare("jacobian", f_vec, [x], False)
    _compare("jacobian", f_vec, [x], True)
    _compare("jacobian", f_scalar, [m], False)
    _compare("jacobian", f_two_in, [x, y], True)
    _compare("jacobian", f_two_out, [x], False)
    _compare("jacobian", f_two_two, [m, n], True)
    _compare("jacobian", f_vec, [x], False, vectorize=True)
    _compare("jacobian", f_two_two, [m, n], True, vectorize=True)
    _compare("jacobian", lambda L, x: x.sum() * 0 + 1, [x], False)   # independent output
    _compare("jacobian", lambda L, x, y: x * 2, [x, y], True)        # unused input


def test_jacobian_create_graph(rng):
    x = _arr(rng, 3)
    re, rt = _compare("jacobian", f_vec, [x], False, create_graph=True)
    assert re.requires_grad and rt.requires_grad
    # differentiate the Jacobian again: its trace's gradient
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    je = F.jacobian(lambda a: f_vec(ember, a), xe, create_graph=True)
    jt = torch.autograd.functional.jacobian(lambda a: f_vec(torch, a), xt, create_graph=True)
    je.trace().backward()
    jt.trace().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_hessian_structures(rng):
    m, y = _arr(rng, 2, 3), _arr(rng, 2)
    _compare("hessian", f_scalar, [m], False)
    _compare("hessian", f_scalar, [m], True)
    _compare("hessian", f_scalar2, [m, y], True)
    _compare("hessian", f_scalar2, [m, y], True, create_graph=True)
    _compare("hessian", f_scalar, [m], False, vectorize=True)
    # a linear function's Hessian is zero
    _compare("hessian", lambda L, x: (x * 3).sum(), [m], False)


def test_hessian_matches_autograd_twice(rng):
    m = ember.tensor(_arr(rng, 3), requires_grad=True)
    h = F.hessian(lambda x: (x.exp() * x).sum(), m)
    expected = np.diag(((m.detach() + 2) * m.detach().exp()).numpy())
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12)


# ---------------------------------------------------------------- products
def test_vjp_jvp(rng):
    x, y = _arr(rng, 3), _arr(rng, 4)
    m, n = _arr(rng, 2, 3), _arr(rng, 3, 2)
    _compare("vjp", f_vec, [x], False, v=[_arr(rng, 3)])
    _compare("vjp", f_vec, [x], True, v=(_arr(rng, 3),))
    _compare("vjp", f_scalar, [m], False)                      # v may be None: scalar output
    _compare("vjp", f_two_two, [m, n], True, v=(_arr(rng, 2, 2), _arr(rng, 3)))
    _compare("vjp", f_two_in, [x, y], True, v=[_arr(rng, 3, 4)])
    _compare("jvp", f_vec, [x], False, v=[_arr(rng, 3)])
    _compare("jvp", f_vec, [x], True, v=(_arr(rng, 3),))
    _compare("jvp", f_two_out, [x], False, v=[_arr(rng, 3)])
    _compare("jvp", f_two_two, [m, n], True, v=(_arr(rng, 2, 3), _arr(rng, 3, 2)))
    _compare("jvp", lambda L, x: x * x, [_arr(rng, 1)], False)  # v None: one-element input
    _compare("vjp", f_vec, [x], False, v=[_arr(rng, 3)], create_graph=True)
    _compare("jvp", f_vec, [x], False, v=[_arr(rng, 3)], create_graph=True)


def test_hvp_vhp(rng):
    m, y = _arr(rng, 2, 3), _arr(rng, 2)
    for name in ("hvp", "vhp"):
        _compare(name, f_scalar, [m], False, v=[_arr(rng, 2, 3)])
        _compare(name, f_scalar, [m], True, v=(_arr(rng, 2, 3),))
        _compare(name, f_scalar2, [m, y], True, v=(_arr(rng, 2, 3), _arr(rng, 2)))
        _compare(name, f_scalar2, [m, y], True, v=(_arr(rng, 2, 3), _arr(rng, 2)),
                 create_graph=True)
        _compare(name, lambda L, x: (x * x * x).sum(), [_arr(rng, 1)], False)


def test_linalg_through_functional(rng):
    """A Hessian through a linear-algebra op (double backward of det and inv)."""
    a = _arr(rng, 3, 3) + 3 * np.eye(3)
    _compare("hessian", lambda L, x: L.linalg.det(x), [a], False)
    _compare("jacobian", lambda L, x: L.linalg.inv(x), [a], False)
    _compare("hvp", lambda L, x: L.linalg.slogdet(x).logabsdet, [a], False, v=[_arr(rng, 3, 3)])


# ---------------------------------------------------------------- errors and strict mode
def same_error(run):
    errs = []
    for lib, mod in ((torch, torch.autograd.functional), (ember, F)):
        with pytest.raises(Exception) as e:
            run(lib, mod)
        errs.append(e.value)
    assert type(errs[1]) is type(errs[0]), f"{type(errs[1])} vs torch {type(errs[0])}"
    assert str(errs[1]) == str(errs[0])


def test_errors():
    same_error(lambda L, M: M.jacobian(lambda x: x, [L.ones(2)]))
    same_error(lambda L, M: M.jacobian(lambda x: x, (L.ones(2), 3)))
    same_error(lambda L, M: M.jacobian(lambda x: 3, L.ones(2)))
    same_error(lambda L, M: M.vjp(lambda x: x * 2, L.ones(2)))
    same_error(lambda L, M: M.vjp(lambda x: x * 2, L.ones(2), L.ones(3)))
    same_error(lambda L, M: M.vjp(lambda x: (x * 2, x), L.ones(2), (L.ones(2),)))
    same_error(lambda L, M: M.vjp(lambda x: (x * 2, x), L.ones(2), (L.ones(2), L.ones(3))))
    same_error(lambda L, M: M.vjp(lambda x: x * 2, L.ones(2), (L.ones(2), L.ones(2))))
    same_error(lambda L, M: M.jvp(lambda x: x * 2, L.ones(2)))
    same_error(lambda L, M: M.hessian(lambda x: x * 2, L.ones(2)))
    same_error(lambda L, M: M.hessian(lambda x: (x, x), L.ones(2)))
    same_error(lambda L, M: M.hvp(lambda x: x * 2, L.ones(2), L.ones(2)))
    same_error(lambda L, M: M.vhp(lambda x: (x.sum(), x), L.ones(2), L.ones(2)))
    same_error(lambda L, M: M.jacobian(lambda x: x, L.ones(2), strategy="sideways"))
    same_error(lambda L, M: M.jacobian(lambda x: x, L.ones(2), strategy="forward-mode"))
    same_error(lambda L, M: M.jacobian(lambda x: x, L.ones(2), strict=True, vectorize=True))
    with pytest.raises(NotImplementedError, match="forward-mode"):
        F.jacobian(lambda x: x, ember.ones(2), strategy="forward-mode", vectorize=True)


def test_strict_mode():
    same_error(lambda L, M: M.jacobian(lambda x: L.ones(2), L.ones(2), strict=True))
    same_error(lambda L, M: M.jacobian(lambda x, y: x * 2, (L.ones(2), L.ones(2)),
                                       strict=True))
    same_error(lambda L, M: M.vjp(lambda x, y: (x * 2).sum(), (L.ones(2), L.ones(2)),
                                  strict=True))
    same_error(lambda L, M: M.hessian(lambda x: (x * 3).sum(), L.ones(2), strict=True))
    _compare("jvp", lambda L, a: a * 3, [np.ones(2)], False, v=[np.ones(2)], strict=True)
    same_error(lambda L, M: M.hvp(lambda x: (x * 3).sum(), L.ones(2), L.ones(2), strict=True))
    same_error(lambda L, M: M.vhp(lambda x: (x * 3).sum(), L.ones(2), L.ones(2), strict=True))
    # strict and well defined: same as not strict
    x = np.array([0.5, -1.0])
    _compare("jacobian", f_vec, [x], False, strict=True)
    _compare("hessian", lambda L, a: (a ** 3).sum(), [x], False, strict=True)


def test_inputs_are_not_modified_and_grad_mode_respected():
    x = ember.tensor([1., 2.], requires_grad=True)
    out, g = F.vjp(lambda a: (a * a).sum(), x)
    assert not out.requires_grad and not g.requires_grad and x.grad is None
    with ember.no_grad():
        out, g = F.vjp(lambda a: (a * a).sum(), x, create_graph=True)
    assert g.requires_grad          # create_graph wins over no_grad, as in PyTorch
    out, g = F.vjp(lambda a: (a * a).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2., 2.])
