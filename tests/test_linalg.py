"""ember.linalg against PyTorch: values, dtypes, gradients (first and second order), batched
inputs, complex inputs, and the errors (type and message) of bad or singular input."""
import math
import warnings

import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op, gradcheck_op, requires_torch, torch

INF = math.inf


# ---------------------------------------------------------------- inputs
def _rn(rng, *shape, c=False, dtype=None):
    a = rng.standard_normal(shape)
    if c:
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype) if dtype is not None else a


def _wc(rng, *shape, c=False, dtype=None):
    """Well conditioned: random plus n times the identity."""
    a = _rn(rng, *shape, c=c) + shape[-1] * np.eye(shape[-1])
    return a.astype(dtype) if dtype is not None else a


def _spd(rng, *shape, c=False, dtype=None):
    a = _rn(rng, *shape, c=c)
    a = a @ np.swapaxes(a.conj(), -1, -2) + shape[-1] * np.eye(shape[-1])
    return a.astype(dtype) if dtype is not None else a


def _dtypes(c):
    return (np.complex64, np.complex128) if c else (np.float32, np.float64)


def _tol(dtype):
    single = np.dtype(dtype) in (np.float32, np.complex64)
    return dict(atol=1e-4, rtol=1e-3) if single else dict(atol=1e-8, rtol=1e-6)


def same_error(fn, exc=None):
    """fn(lib) raises the same exception type (or a subclass of `exc`) and message in both."""
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as et:
            fn(torch)
        with pytest.raises(Exception) as ee:
            fn(ember)
    if exc is None:
        assert type(ee.value) is type(et.value), f"{type(ee.value)} vs torch {type(et.value)}"
    else:
        assert isinstance(ee.value, exc) and isinstance(et.value, exc)
    assert str(ee.value) == str(et.value)


def _abs_vectors(r, *which):
    """Singular/eigen vectors are defined up to a phase: compare their moduli."""
    return tuple(x.abs() if i in which else x for i, x in enumerate(r))


CPLX = [False, True]


# ---------------------------------------------------------------- inv / det / slogdet
@pytest.mark.parametrize("c", CPLX)
def test_inv_det_slogdet(c, rng):
    for dt in _dtypes(c):
        for shape in [(3, 3), (2, 4, 4), (2, 1, 2, 2), (1, 1)]:
            a = _wc(rng, *shape, c=c, dtype=dt)
            tol = _tol(dt)
            check_op(lambda L, x: L.linalg.inv(x), [a], **tol)
            check_op(lambda L, x: L.inverse(x), [a], **tol)
            check_op(lambda L, x: L.linalg.inv_ex(x), [a], **tol)
            check_op(lambda L, x: L.linalg.det(x), [a], **tol)
            check_op(lambda L, x: x.det(), [a], **tol)
            check_op(lambda L, x: L.linalg.slogdet(x), [a], **tol)
            check_op(lambda L, x: L.slogdet(x), [a], **tol)
            check_op(lambda L, x: L.logdet(x @ x.mH), [a], **tol)


def test_det_grad_fn_names_and_results(rng):
    a = ember.tensor(_wc(rng, 3, 3), requires_grad=True)
    assert ember.linalg.inv(a).grad_fn.name() == "LinalgInvExBackward0"
    assert ember.linalg.det(a).grad_fn.name() == "LinalgDetBackward0"
    r = ember.linalg.slogdet(a)
    assert r.sign.grad_fn.name() == "LinalgSlogdetBackward0"
    assert repr(r).startswith("torch.return_types.linalg_slogdet(\nsign=")
    assert repr(ember.slogdet(a)).startswith("torch.return_types.slogdet(\nsign=")
    assert ember.linalg.inv_ex(a).info.dtype is ember.int32


def test_empty_and_logdet_negative(rng):
    check_op(lambda L, x: L.linalg.det(x), [np.zeros((2, 0, 0))], grad=False)
    check_op(lambda L, x: L.linalg.inv(x), [np.zeros((2, 0, 0))], grad=False)
    check_op(lambda L, x: L.logdet(x), [np.array([[0., 1.], [1., 0.]])])
    check_op(lambda L, x: L.logdet(x), [np.zeros((2, 2))], grad=False)


@requires_torch
def test_det_singular_gradient_is_the_cofactor_matrix():
    """At a singular matrix the gradient of det is the cofactor matrix (PyTorch's SVD-based
    formula, the one it uses when the gradient is differentiated further)."""
    for a in [np.array([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]]),
              np.array([[1., 2.], [2., 4.]]), np.diag([1., 0., 2.])]:
        te = ember.tensor(a, requires_grad=True)
        tt = torch.tensor(a, requires_grad=True)
        ge, = ember.autograd.grad(ember.linalg.det(te), te, create_graph=True)
        gt, = torch.autograd.grad(torch.linalg.det(tt), tt, create_graph=True)
        np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), atol=1e-10)
        # differentiated again (finite differences are too inexact next to a singular point)
        w = np.arange(a.size, dtype=np.float64).reshape(a.shape)
        (ge * ember.tensor(w)).sum().backward()
        (gt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(te.grad.numpy(), tt.grad.numpy(), atol=1e-8)
    # mixed batch: one singular, one not
    a = np.stack([np.array([[1., 2.], [2., 4.]]), np.array([[2., 1.], [1., 3.]])])
    te = ember.tensor(a, requires_grad=True)
    ember.linalg.det(te).sum().backward()
    np.testing.assert_allclose(te.grad.numpy(), [[[4., -2.], [-2., 1.]], [[3., -1.], [-1., 2.]]])


def test_det_inv_gradgrad(rng):
    gradcheck_op(lambda L, x: L.linalg.inv(x), [_wc(rng, 2, 3, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.det(x), [_wc(rng, 2, 3, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.slogdet(x).logabsdet, [_wc(rng, 3, 3)], gradgrad=True)


def test_inv_errors():
    same_error(lambda L: L.linalg.inv(L.ones(2, 3)))
    same_error(lambda L: L.linalg.inv(L.ones(3)))
    same_error(lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.long)))
    same_error(lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.half)))
    same_error(lambda L: L.linalg.det(L.ones(2, 3)))
    same_error(lambda L: L.linalg.det(L.ones(3)))
    same_error(lambda L: L.linalg.slogdet(L.ones(2, 3)))
    same_error(lambda L: L.logdet(L.ones(2, 3)))
    sing = [[1., 2.], [2., 4.]]
    same_error(lambda L: L.linalg.inv(L.tensor(sing)), RuntimeError)
    same_error(lambda L: L.linalg.inv(L.zeros(3, 3)), RuntimeError)
    same_error(lambda L: L.linalg.inv(L.tensor([[[1., 0.], [0., 1.]], sing])), RuntimeError)
    same_error(lambda L: L.linalg.inv_ex(L.tensor(sing), check_errors=True), RuntimeError)
    same_error(lambda L: L.linalg.tensorinv(L.tensor(sing), ind=1), RuntimeError)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.tensor(sing))
    r = ember.linalg.inv_ex(ember.tensor([[[1., 0.], [0., 1.]], sing]))
    assert r.info.tolist() == [0, 2]
    np.testing.assert_allclose(r.inverse[0].numpy(), np.eye(2))


# ---------------------------------------------------------------- solve
@pytest.mark.parametrize("c", CPLX)
def test_solve(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for sa, sb in [((3, 3), (3, 2)), ((3, 3), (3,)), ((2, 3, 3), (2, 3)),
                       ((2, 3, 3), (3, 4)), ((2, 1, 3, 3), (4, 3, 1)), ((3, 3), (2, 3, 2))]:
            a, b = _wc(rng, *sa, c=c, dtype=dt), _rn(rng, *sb, c=c, dtype=dt)
            check_op(lambda L, x, y: L.linalg.solve(x, y), [a, b], **tol)
            check_op(lambda L, x, y: L.linalg.solve_ex(x, y), [a, b], **tol)
        a, b = _wc(rng, 2, 3, 3, c=c, dtype=dt), _rn(rng, 4, 3, c=c, dtype=dt)
        check_op(lambda L, x, y: L.linalg.solve(x, y, left=False), [a, b], **tol)
    gradcheck_op(lambda L, x, y: L.linalg.solve(x, y), [_wc(rng, 2, 3, 3), _rn(rng, 3, 2)],
                 gradgrad=True)


def test_solve_errors():
    sing = [[[1., 0.], [0., 1.]], [[1., 2.], [2., 4.]]]
    same_error(lambda L: L.linalg.solve(L.tensor([[1., 2.], [2., 4.]]), L.ones(2)),
               RuntimeError)
    same_error(lambda L: L.linalg.solve(L.tensor(sing), L.ones(2, 2)), RuntimeError)
    same_error(lambda L: L.linalg.solve(L.eye(2), L.ones(3)))
    same_error(lambda L: L.linalg.solve(L.eye(2), L.ones(3, 1)))
    same_error(lambda L: L.linalg.solve(L.eye(3), L.ones(3), left=False))
    same_error(lambda L: L.linalg.solve(L.eye(2), L.ones(2, 1, dtype=L.float64)))
    same_error(lambda L: L.linalg.solve(L.ones(2, 3), L.ones(2, 1)))
    same_error(lambda L: L.linalg.solve(L.eye(3).expand(2, 3, 3), L.ones(4, 1, 3)))
    r = ember.linalg.solve_ex(ember.tensor(sing), ember.ones(2, 2))
    assert r.info.tolist() == [0, 2]
    np.testing.assert_allclose(r.result[0].numpy(), [1., 1.])


# ---------------------------------------------------------------- cholesky
@pytest.mark.parametrize("c", CPLX)
def test_cholesky(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape in [(3, 3), (2, 4, 4), (1, 1)]:
            a = _spd(rng, *shape, c=c, dtype=dt)
            check_op(lambda L, x: L.linalg.cholesky(x), [a], **tol)
            check_op(lambda L, x: L.linalg.cholesky(x, upper=True), [a], **tol)
            check_op(lambda L, x: L.linalg.cholesky_ex(x), [a], **tol)
            check_op(lambda L, x: L.cholesky(x, upper=True), [a], **tol)
        b = _rn(rng, 2, 3, 2, c=c, dtype=dt)
        a = _spd(rng, 2, 3, 3, c=c, dtype=dt)
        for up in (False, True):
            check_op(lambda L, y, x: L.cholesky_solve(y, L.linalg.cholesky(x, upper=up), up),
                     [b, a], **tol)
            check_op(lambda L, x: L.cholesky_inverse(L.linalg.cholesky(x, upper=up), up), [a],
                     **tol)
    # a symmetric function of A, so finite differences see the symmetrised gradient
    gradcheck_op(lambda L, x: L.linalg.cholesky(x @ x.mT + 3 * L.eye(3, dtype=x.dtype)),
                 [_rn(rng, 2, 3, 3)], gradgrad=True)


def test_cholesky_errors():
    not_pd = [[1., 2.], [2., 1.]]
    same_error(lambda L: L.linalg.cholesky(L.tensor(not_pd)), RuntimeError)
    same_error(lambda L: L.linalg.cholesky(L.tensor([[-1., 2.], [2., 1.]])), RuntimeError)
    same_error(lambda L: L.linalg.cholesky(L.tensor([[[1., 0.], [0., 1.]], not_pd])),
               RuntimeError)
    same_error(lambda L: L.linalg.cholesky(L.ones(2, 3)))
    same_error(lambda L: L.linalg.cholesky_ex(L.tensor(not_pd), check_errors=True),
               RuntimeError)
    r = ember.linalg.cholesky_ex(ember.tensor(not_pd))
    t = torch.linalg.cholesky_ex(torch.tensor(not_pd)) if torch is not None else None
    assert int(r.info) == 2
    if t is not None:
        np.testing.assert_allclose(r.L.numpy(), t.L.numpy())


# ---------------------------------------------------------------- qr
@pytest.mark.parametrize("c", CPLX)
def test_qr(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape in [(4, 3), (3, 3), (2, 3, 5), (2, 5, 2)]:
            a = _rn(rng, *shape, c=c, dtype=dt)
            check_op(lambda L, x: L.linalg.qr(x), [a], **tol)
            check_op(lambda L, x: L.linalg.qr(x, mode="r").R, [a], **tol, grad=False)
            if shape[-2] <= shape[-1]:
                check_op(lambda L, x: L.linalg.qr(x, mode="complete"), [a], **tol)
        check_op(lambda L, x: L.qr(x), [_rn(rng, 4, 3, c=c, dtype=dt)], **tol)
        check_op(lambda L, x: x.qr(some=False), [_rn(rng, 2, 3, c=c, dtype=dt)], **tol)
    gradcheck_op(lambda L, x: L.linalg.qr(x), [_rn(rng, 4, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.qr(x), [_rn(rng, 2, 4)], gradgrad=True)


def test_qr_errors(rng):
    a = _rn(rng, 4, 3)
    same_error(lambda L: L.linalg.qr(L.ones(3)))
    same_error(lambda L: L.linalg.qr(L.ones(3, 3), mode="x"))
    same_error(lambda L: L.linalg.qr(L.tensor(a, requires_grad=True), mode="r")[1].sum()
               .backward())
    same_error(lambda L: L.linalg.qr(L.tensor(a, requires_grad=True), mode="complete")[0]
               .sum().backward())
    r = ember.linalg.qr(ember.tensor(a), mode="r")
    assert r.Q.shape == (0,)


# ---------------------------------------------------------------- eigh / eig
@pytest.mark.parametrize("c", CPLX)
def test_eigh(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape in [(3, 3), (2, 4, 4)]:
            a = _spd(rng, *shape, c=c, dtype=dt)
            check_op(lambda L, x: L.linalg.eigvalsh(x), [a], **tol)
            check_op(lambda L, x: L.linalg.eigvalsh(x, UPLO="U"), [a], **tol)
            # V diag(w) V^H and |V| are invariant under the eigenvectors' phases
            check_op(lambda L, x: _abs_vectors(L.linalg.eigh(x), 1), [a], **tol)
            check_op(lambda L, x: (lambda w, v: (v * w.unsqueeze(-2)) @ v.mH)(
                *L.linalg.eigh(x, UPLO="U")), [a], **tol)
    # eigh reads one triangle: finite differences need a symmetric function of the input
    gradcheck_op(lambda L, x: (lambda w, v: (v * w.exp().unsqueeze(-2)) @ v.mT)(
        *L.linalg.eigh(x + x.mT)), [_spd(rng, 3, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.eigvalsh(x + x.mT), [_spd(rng, 2, 3, 3)], gradgrad=True)


@requires_torch
def test_eigh_degenerate_and_gauge():
    eye = np.diag([1., 1., 2.])
    # only eigenvalues used: fine; eigenvectors of a repeated eigenvalue: inf/nan as torch
    check_op(lambda L, x: L.linalg.eigh(x)[0], [eye])
    check_op(lambda L, x: L.linalg.eigh(x)[1].sum(), [eye])
    a = np.array([[2., 1j], [-1j, 3.]])
    same_error(lambda L: L.linalg.eigh(L.tensor(a, requires_grad=True))[1].real.sum()
               .backward())
    same_error(lambda L: L.linalg.eig(L.tensor(a, requires_grad=True))[1].real.sum()
               .backward())


@pytest.mark.parametrize("c", CPLX)
def test_eig(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        a = _wc(rng, 2, 3, 3, c=c, dtype=dt)
        check_op(lambda L, x: L.linalg.eigvals(x), [a], **tol)
        check_op(lambda L, x: _abs_vectors(L.linalg.eig(x), 1), [a], **tol)
    # a real matrix with complex eigenvalues
    rot = np.array([[0., -2., 0.5], [1., 0., 0.], [0., 0.3, 3.]])
    check_op(lambda L, x: L.linalg.eigvals(x), [rot])
    check_op(lambda L, x: _abs_vectors(L.linalg.eig(x), 1), [rot])


def test_eig_errors():
    same_error(lambda L: L.linalg.eigh(L.ones(2, 3)))
    same_error(lambda L: L.linalg.eig(L.ones(2, 3)))
    same_error(lambda L: L.linalg.eigh(L.ones(2, 2), UPLO="X"))
    same_error(lambda L: L.linalg.eigvalsh(L.ones(2, 2, dtype=L.int64)))


# ---------------------------------------------------------------- svd / pinv / rank
@pytest.mark.parametrize("c", CPLX)
def test_svd(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape in [(4, 3), (3, 5), (2, 3, 3)]:
            a = _rn(rng, *shape, c=c, dtype=dt)
            check_op(lambda L, x: L.linalg.svdvals(x), [a], **tol)
            k = min(shape[-2:])
            for full in (False, True):
                # with full_matrices the extra columns of U / rows of Vh are arbitrary
                check_op(lambda L, x: (lambda u, s, vh: (u[..., :, :k].abs(), s,
                                                         vh[..., :k, :].abs()))(
                    *L.linalg.svd(x, full_matrices=full)), [a], **tol)
            check_op(lambda L, x: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(
                *L.linalg.svd(x, full_matrices=False)), [a], **tol)
            check_op(lambda L, x: _abs_vectors(L.svd(x), 0, 2), [a], **tol)
            check_op(lambda L, x: (lambda u, s, v: (u[..., :, :k].abs(), s, v[..., :, :k].abs()))(
                *x.svd(some=False)), [a], **tol)
            check_op(lambda L, x: L.svd(x, compute_uv=False), [a], **tol)
    gradcheck_op(lambda L, x: (lambda u, s, vh: (u * s.sin().unsqueeze(-2)) @ vh)(
        *L.linalg.svd(x, full_matrices=False)), [_rn(rng, 4, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.svdvals(x), [_rn(rng, 2, 3, 4)], gradgrad=True)


def test_svd_errors(rng):
    same_error(lambda L: L.linalg.svd(L.ones(3)))
    same_error(lambda L: L.linalg.svd(L.ones(3, 3), driver="gesvd"))
    a = _rn(rng, 3, 3, c=True)
    same_error(lambda L: L.linalg.svd(L.tensor(a, requires_grad=True))[0].real.sum()
               .backward())


@pytest.mark.parametrize("c", CPLX)
def test_pinv_and_rank(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape in [(4, 3), (3, 5), (2, 3, 3)]:
            a = _rn(rng, *shape, c=c, dtype=dt)
            check_op(lambda L, x: L.linalg.pinv(x), [a], **tol)
            check_op(lambda L, x: L.pinverse(x), [a], **tol)
            check_op(lambda L, x: L.linalg.matrix_rank(x), [a], grad=False)
        h = _spd(rng, 2, 3, 3, c=c, dtype=dt)
        check_op(lambda L, x: L.linalg.pinv(x, hermitian=True), [h], **tol)
        check_op(lambda L, x: L.linalg.matrix_rank(x, hermitian=True), [h], grad=False)
    low = _rn(rng, 5, 2) @ _rn(rng, 2, 4)      # rank 2
    check_op(lambda L, x: L.linalg.matrix_rank(x), [low], grad=False)
    check_op(lambda L, x: L.linalg.matrix_rank(x, atol=1.0, rtol=0.0), [low], grad=False)
    check_op(lambda L, x: L.linalg.matrix_rank(x, 1e3), [low], grad=False)
    check_op(lambda L, x: L.linalg.pinv(x), [low])
    check_op(lambda L, x: L.linalg.pinv(x, atol=0.5), [low])
    check_op(lambda L, x: L.linalg.pinv(x, rtol=L.tensor([0.5, 1e-3])), [np.stack([low, low])])
    check_op(lambda L, x: L.linalg.pinv(x), [np.zeros((0, 3))], grad=False)
    gradcheck_op(lambda L, x: L.linalg.pinv(x), [_rn(rng, 4, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.pinv(x), [_rn(rng, 2, 4)], gradgrad=True)


def test_pinv_rank_errors():
    same_error(lambda L: L.linalg.pinv(L.ones(3)))
    same_error(lambda L: L.linalg.matrix_rank(L.ones(3, 3, dtype=L.long)))


# ---------------------------------------------------------------- lstsq
@pytest.mark.parametrize("c", CPLX)
def test_lstsq(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for sa, sb in [((5, 3), (5, 2)), ((3, 5), (3, 2)), ((2, 5, 3), (2, 5, 2)),
                       ((5, 3), (5,)), ((2, 5, 3), (1, 5, 1))]:
            a, b = _rn(rng, *sa, c=c, dtype=dt), _rn(rng, *sb, c=c, dtype=dt)
            for drv in (None, "gels", "gelsy", "gelsd", "gelss"):
                if drv == "gels" and sa[-2] < sa[-1]:
                    continue
                check_op(lambda L, x, y: L.linalg.lstsq(x, y, driver=drv), [a, b], **tol)
    low = _rn(rng, 5, 2) @ _rn(rng, 2, 3)
    b = _rn(rng, 5, 2)
    check_op(lambda L, x, y: L.linalg.lstsq(x, y, driver="gelsd"), [low, b])
    check_op(lambda L, x, y: L.linalg.lstsq(x, y, rcond=0.5, driver="gelsd").rank, [low, b],
             grad=False)
    gradcheck_op(lambda L, x, y: L.linalg.lstsq(x, y, driver="gelsd")[:2],
                 [_rn(rng, 5, 3), _rn(rng, 5, 2)])


def test_lstsq_errors():
    same_error(lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(2, 1)))
    same_error(lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(3, 1), driver="foo"))
    same_error(lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(3, 1, dtype=L.float64)))


# ---------------------------------------------------------------- matrix_exp
@pytest.mark.parametrize("c", CPLX)
def test_matrix_exp(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape, scale in [((3, 3), 1.0), ((2, 4, 4), 3.0), ((1, 1), 1.0), ((2, 2), 1e-3)]:
            a = (_rn(rng, *shape, c=c) * scale).astype(dt)
            check_op(lambda L, x: L.linalg.matrix_exp(x), [a], **tol)
            check_op(lambda L, x: x.matrix_exp(), [a], **tol)
    check_op(lambda L, x: L.matrix_exp(x), [np.zeros((0, 0))], grad=False)
    check_op(lambda L, x: L.matrix_exp(x), [np.diag([100., -50.])])
    gradcheck_op(lambda L, x: L.linalg.matrix_exp(x), [_rn(rng, 2, 3, 3)], gradgrad=True)
    same_error(lambda L: L.linalg.matrix_exp(L.ones(2, 3)))


# ---------------------------------------------------------------- LU family
@pytest.mark.parametrize("c", CPLX)
def test_lu(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shape in [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 4, 2)]:
            a = _rn(rng, *shape, c=c, dtype=dt)
            check_op(lambda L, x: L.linalg.lu_factor(x), [a], **tol)
            check_op(lambda L, x: L.linalg.lu_factor_ex(x), [a], **tol)
            check_op(lambda L, x: L.linalg.lu(x), [a], **tol)
            check_op(lambda L, x: L.lu_unpack(*L.linalg.lu_factor(x)), [a], **tol)
            check_op(lambda L, x: x.lu(), [a], **tol)
        a, b = _wc(rng, 2, 3, 3, c=c, dtype=dt), _rn(rng, 2, 3, 3, c=c, dtype=dt)
        for left in (True, False):
            for adj in (True, False):
                check_op(lambda L, x, y: L.linalg.lu_solve(*L.linalg.lu_factor(x), y,
                                                           left=left, adjoint=adj), [a, b], **tol)
        check_op(lambda L, x, y: L.lu_solve(y, *L.linalg.lu_factor(x)), [a, b], **tol)
    gradcheck_op(lambda L, x: L.linalg.lu_factor(x).LU, [_wc(rng, 3, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.lu(x)[1:], [_rn(rng, 3, 4)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.lu(x)[1:], [_rn(rng, 4, 3)])
    # integer-exact pivots as LAPACK's getrf (the first largest entry)
    check_op(lambda L, x: L.linalg.lu_factor(x), [np.array([[1., 2.], [3., 4.]])])
    check_op(lambda L, x: L.linalg.lu_factor_ex(x), [np.array([[1., 2.], [2., 4.]])],
             grad=False)


def test_lu_errors():
    same_error(lambda L: L.linalg.lu_factor(L.ones(3)))
    same_error(lambda L: L.linalg.lu_factor(L.tensor([[1., 2.], [3., 4.]]), pivot=False))
    same_error(lambda L: L.linalg.lu_factor(L.tensor([[1., 2.], [2., 4.]])))


# ---------------------------------------------------------------- triangular solves
@pytest.mark.parametrize("c", CPLX)
def test_solve_triangular(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for sa, sb in [((3, 3), (3, 2)), ((2, 3, 3), (3, 4)), ((3, 3), (2, 3, 3))]:
            a, b = _wc(rng, *sa, c=c, dtype=dt), _rn(rng, *sb, c=c, dtype=dt)
            for up in (True, False):
                for unit in (True, False):
                    check_op(lambda L, x, y: L.linalg.solve_triangular(
                        x, y, upper=up, unitriangular=unit), [a, b], **tol)
                    check_op(lambda L, x, y: L.linalg.solve_triangular(
                        x, y.mT, upper=up, left=False, unitriangular=unit), [a, b], **tol)
                    check_op(lambda L, x, y: L.triangular_solve(y, x, up, True, unit), [a, b],
                             **tol)
                    check_op(lambda L, x, y: y.triangular_solve(x, upper=up), [a, b], **tol)
    gradcheck_op(lambda L, x, y: L.linalg.solve_triangular(x, y, upper=False),
                 [_wc(rng, 3, 3), _rn(rng, 3, 2)], gradgrad=True)
    # a zero on the diagonal gives inf/nan, as LAPACK's trsm
    z = np.array([[1., 0.], [1., 0.]])
    check_op(lambda L, x, y: L.linalg.solve_triangular(x, y, upper=False), [z, np.ones((2, 1))],
             grad=False)
    same_error(lambda L: L.linalg.solve_triangular(L.ones(3, 3), L.ones(2, 3), upper=True))
    same_error(lambda L: L.linalg.solve_triangular(L.ones(3, 3), L.ones(3), upper=True))
    same_error(lambda L: L.linalg.solve_triangular(L.ones(3, 3, dtype=L.long),
                                                   L.ones(3, 1, dtype=L.long), upper=True))
    check_op(lambda L, x, y: L.linalg.solve_triangular(x, y, upper=True),
             [_wc(rng, 3, 3), _rn(rng, 3, 2, dtype=np.float32)])


# ---------------------------------------------------------------- norms / cond
ORDS = ["fro", "nuc", 2, -2, 1, -1, INF, -INF]


@pytest.mark.parametrize("c", CPLX)
def test_matrix_norm_and_cond(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        a = _wc(rng, 2, 3, 3, c=c, dtype=dt)
        for o in ORDS:
            check_op(lambda L, x: L.linalg.matrix_norm(x, o), [a], **tol)
            check_op(lambda L, x: L.linalg.matrix_norm(x, o, dim=(0, 2), keepdim=True), [a],
                     **tol)
            check_op(lambda L, x: L.linalg.matrix_norm(x, o, dim=(2, 0)), [a], **tol)
            check_op(lambda L, x: L.linalg.norm(x[0], o), [a], **tol)
            # PyTorch's cond for these orders writes in place into a saved inverse and cannot
            # backpropagate; ember's can, so only values are compared there
            check_op(lambda L, x: L.linalg.cond(x, o), [a], **tol,
                     grad=o in ("nuc", 2, -2))
        check_op(lambda L, x: L.linalg.cond(x), [_rn(rng, 2, 3, 5, c=c, dtype=dt)], **tol)
        check_op(lambda L, x: L.linalg.norm(x), [a], **tol)
        check_op(lambda L, x: L.linalg.norm(x, dim=(0, 1)), [a], **tol)
        check_op(lambda L, x: L.linalg.norm(x, 3, dim=-1, keepdim=True), [a], **tol)
        check_op(lambda L, x: L.linalg.vector_norm(x, 0.5, dim=(0, 2)), [a], **tol)
        check_op(lambda L, x: L.linalg.vector_norm(x, INF), [a], **tol)
    check_op(lambda L, x: L.linalg.cond(x, 1), [np.zeros((3, 3))], grad=False)
    check_op(lambda L, x: L.linalg.cond(x), [np.zeros((3, 3))], grad=False)
    gradcheck_op(lambda L, x: L.linalg.matrix_norm(x, "nuc"), [_rn(rng, 3, 4)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.matrix_norm(x, 2), [_rn(rng, 3, 4)], gradgrad=True)
    gradcheck_op(lambda L, x: L.linalg.cond(x, "fro"), [_wc(rng, 3, 3)], gradgrad=True)


def test_norm_errors():
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3)))
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3, 3), ord=3))
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3, 3), ord="abc"))
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3, 3, dtype=L.long)))
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3, 3, dtype=L.half), ord=2))
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3, 3), dim=(0, 0)))
    same_error(lambda L: L.linalg.norm(L.ones(3, 3, 3), ord=2))
    same_error(lambda L: L.linalg.norm(L.ones(3, 3, 3), ord="fro"))
    same_error(lambda L: L.linalg.norm(L.ones(3, 3), ord="fro", dim=0))
    same_error(lambda L: L.linalg.norm(L.ones(3, 3, 3), dim=(0, 1, 2)))
    same_error(lambda L: L.linalg.norm(L.ones(3, 3, 3), "fro", dim=(0, 1, 2)))
    same_error(lambda L: L.linalg.matrix_norm(L.ones(3, 3), 2.5))
    same_error(lambda L: L.linalg.cond(L.ones(3, 3), 2.5))
    same_error(lambda L: L.linalg.cond(L.ones(3)))
    same_error(lambda L: L.linalg.cond(L.ones(2, 3), 1.0))
    same_error(lambda L: L.linalg.cond(L.ones(2, 3), INF))
    same_error(lambda L: L.linalg.cond(L.ones(2, 3), "abc"))
    same_error(lambda L: L.linalg.norm(L.ones(3), "fro"))
    same_error(lambda L: L.linalg.vector_norm(L.ones(3), "fro"))
    same_error(lambda L: L.linalg.cond(L.ones(3, 3), p=3))
    same_error(lambda L: L.linalg.cond(L.ones(2, 3), 1))


# ---------------------------------------------------------------- products and the rest
@pytest.mark.parametrize("c", CPLX)
def test_products(c, rng):
    for dt in _dtypes(c):
        tol = _tol(dt)
        for shapes in [[(3, 4), (4, 5), (5, 2)], [(4,), (4, 5), (5, 2), (2,)], [(4,), (4,)],
                       [(3, 4), (4,)], [(10, 2), (2, 9), (9, 3), (3, 8)]]:
            ms = [_rn(rng, *s, c=c, dtype=dt) for s in shapes]
            check_op(lambda L, *xs: L.linalg.multi_dot(list(xs)), ms, **tol)
        x, y = _rn(rng, 2, 3, c=c, dtype=dt), _rn(rng, 4, 1, 3, c=c, dtype=dt)
        check_op(lambda L, a, b: L.linalg.cross(a.expand(1, 2, 3), b), [x, y], **tol)
        check_op(lambda L, a, b: L.linalg.vecdot(a, b), [x, y], **tol)
        check_op(lambda L, a, b: L.linalg.vecdot(a, b, dim=0), [x, x], **tol)
        check_op(lambda L, a: L.linalg.matrix_power(a, -2), [_wc(rng, 2, 3, 3, c=c, dtype=dt)],
                 **tol)
        check_op(lambda L, a: a.matrix_power(-1), [_wc(rng, 3, 3, c=c, dtype=dt)], **tol)
        a, tau = _rn(rng, 2, 4, 3, c=c, dtype=dt), _rn(rng, 2, 2, c=c, dtype=dt)
        check_op(lambda L, x, t: L.linalg.householder_product(x, t), [a, tau], **tol)
        check_op(lambda L, x: L.linalg.diagonal(x, offset=1), [a], **tol)
        check_op(lambda L, x: L.linalg.vander(x), [_rn(rng, 2, 3, c=c, dtype=dt)], **tol)
        check_op(lambda L, x: L.linalg.vander(x, N=4), [_rn(rng, 3, c=c, dtype=dt)], **tol)
    check_op(lambda L, x: L.linalg.vander(x), [np.array([1, 2, 3])])
    check_op(lambda L, x: L.linalg.vander(x), [np.array([0., 2., 0.])])
    gradcheck_op(lambda L, x, t: L.linalg.householder_product(x, t),
                 [_rn(rng, 4, 3), _rn(rng, 3)])
    # householder_product inverts geqrf's packing: Q of a QR decomposition
    if torch is not None:
        a = torch.randn(5, 3, dtype=torch.float64)
        h, tau = torch.geqrf(a)
        q = ember.linalg.householder_product(ember.tensor(h.numpy()), ember.tensor(tau.numpy()))
        np.testing.assert_allclose(q.numpy(), torch.linalg.qr(a).Q.numpy(), atol=1e-12)


def test_tensorinv_tensorsolve(rng):
    a = _rn(rng, 4, 6, 8, 3) + 0.0
    a = (a.reshape(24, 24) + 24 * np.eye(24)).reshape(4, 6, 8, 3)
    check_op(lambda L, x: L.linalg.tensorinv(x, ind=2), [a], atol=1e-8)
    b = _rn(rng, 4, 6)
    check_op(lambda L, x, y: L.linalg.tensorsolve(x, y), [a, b], atol=1e-8)
    a2 = np.moveaxis(a, 2, 0).copy()
    check_op(lambda L, x, y: L.linalg.tensorsolve(x, y, dims=(0,)), [a2, b], atol=1e-8)


def test_product_errors():
    same_error(lambda L: L.linalg.multi_dot([L.ones(3, 3)]))
    same_error(lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(2, 3)]))
    same_error(lambda L: L.linalg.multi_dot([L.ones(3, 3, 3), L.ones(3, 3)]))
    same_error(lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(3, 3, 3)]))
    same_error(lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(3, 3, dtype=L.float64)]))
    same_error(lambda L: L.linalg.vecdot(L.ones(3), L.ones(3, dtype=L.float64)))
    same_error(lambda L: L.linalg.vecdot(L.ones(3, dtype=L.long), L.ones(3, dtype=L.long)))
    same_error(lambda L: L.linalg.householder_product(L.ones(2, 3), L.ones(2)))
    same_error(lambda L: L.linalg.householder_product(L.ones(3, 2), L.ones(3)))
    same_error(lambda L: L.linalg.householder_product(L.ones(3, 2), L.ones(2, dtype=L.double)))
    same_error(lambda L: L.linalg.tensorinv(L.ones(2, 3, 5), ind=2))
    same_error(lambda L: L.linalg.tensorinv(L.ones(2, 3, 5), ind=0))
    same_error(lambda L: L.linalg.tensorsolve(L.ones(2, 3, 5), L.ones(2, 3)))
    same_error(lambda L: L.linalg.tensorsolve(L.ones(2, 3, 6), L.ones(2, 3)), RuntimeError)
    same_error(lambda L: L.linalg.vander(L.tensor(1.)))
    same_error(lambda L: L.linalg.vander(L.tensor([True, False])))


# ---------------------------------------------------------------- API surface
def test_namespace_and_methods(rng):
    for name in ["det", "inverse", "logdet", "slogdet", "pinverse", "cholesky", "qr", "svd",
                 "matrix_exp", "cholesky_solve", "cholesky_inverse", "triangular_solve", "lu",
                 "lu_unpack", "lu_solve"]:
        assert callable(getattr(ember, name)), name
    for name in ["det", "inverse", "logdet", "slogdet", "pinverse", "cholesky", "qr", "svd",
                 "matrix_exp", "cholesky_solve", "cholesky_inverse", "triangular_solve", "lu",
                 "lu_solve", "matrix_power"]:
        assert callable(getattr(ember.Tensor, name)), name
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    a = ember.tensor(_wc(rng, 3, 3))
    out = ember.empty(0, dtype=ember.float64)
    r = ember.linalg.inv(a, out=out)
    assert r is out and out.shape == (3, 3)
    assert repr(ember.linalg.eigh(a + a.mT)).startswith("torch.return_types.linalg_eigh(\n")
    assert ember.linalg.lu_factor(a).pivots.dtype is ember.int32
    assert ember.linalg.lstsq(a, a).rank.dtype is ember.int64


@requires_torch
def test_deprecation_warnings(rng):
    a = _spd(rng, 3, 3)
    for fn in [lambda L, x: L.qr(x), lambda L, x: L.cholesky(x),
               lambda L, x: L.triangular_solve(x, x), lambda L, x: L.lu_solve(
                   x, *L.linalg.lu_factor(x))]:
        with warnings.catch_warnings(record=True) as we:
            warnings.simplefilter("always")
            fn(ember, ember.tensor(a))
        assert any(issubclass(w.category, UserWarning) for w in we)


def test_float32_stays_float32(rng):
    a = ember.tensor(_wc(rng, 3, 3, dtype=np.float32))
    for f in [ember.linalg.inv, ember.linalg.det, ember.linalg.matrix_exp, ember.linalg.pinv,
              ember.linalg.svdvals, ember.linalg.eigvalsh, ember.linalg.cholesky,
              lambda x: ember.linalg.lu_factor(x).LU, lambda x: ember.linalg.qr(x).Q]:
        assert f(a @ a.mT).dtype is ember.float32
    assert ember.linalg.eigvals(a).dtype is ember.complex64


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_factor_gradient_is_dense_like_torch(upper):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, 3, 3))
    A = A @ A.transpose(0, 2, 1) + 3 * np.eye(3)
    F = np.linalg.cholesky(A)
    F = F.transpose(0, 2, 1) if upper else F
    B = rng.standard_normal((2, 3, 2))
    w = rng.standard_normal((2, 3, 2))
    res = []
    for lib in (ember, torch):
        b = lib.tensor(B, requires_grad=True)
        f = lib.tensor(F, requires_grad=True)
        (lib.cholesky_solve(b, f, upper) * lib.tensor(w)).sum().backward()
        res.append((b.grad.numpy(), f.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-8, atol=1e-10)
