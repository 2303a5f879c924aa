"""The few linear-algebra routines the distributions need (Cholesky factorisation, a
triangular solve, cholesky_ex / eigvalsh for constraint checks).

Each public function here uses `ember.linalg`'s routine when it exists and otherwise the
local op below (written while ember.linalg was not there yet), so the distributions work
either way. The local backward passes are written with Tensor ops: they differentiate twice.
"""
import numpy as np

import ember
from ..autograd.function import Op
from ..ops._util import xp_of
from ..tensor import _make


class LinAlgError(RuntimeError):
    """PyTorch's torch.linalg.LinAlgError (a RuntimeError)."""


def _batch_prefix(shape, index):
    if len(shape) <= 2:
        return ""
    return f"(Batch element {index}): "


def _first_failing_minor(a):
    """1-based order of the first leading minor of `a` (one matrix) that is not positive
    definite; 0 when the whole matrix is."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def _info(a):
    """Per-matrix failure orders of a batch (int32, batch shape)."""
    host = a if isinstance(a, np.ndarray) else a.get()
    flat = host.reshape((-1,) + host.shape[-2:])
    info = np.array([_first_failing_minor(m) for m in flat], np.int32)
    return info.reshape(host.shape[:-2])


# ---------------------------------------------------------------- cholesky
class _Cholesky(Op):
    _name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        try:
            L = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            L = None
        if L is None or not bool(xp.isfinite(L).all()):
            info = _info(a)
            idx = int(np.flatnonzero(info.ravel())[0]) if info.any() else 0
            order = int(info.ravel()[idx]) if info.any() else a.shape[-1]
            raise LinAlgError(
                f"linalg.cholesky: {_batch_prefix(a.shape, idx)}The factorization could not "
                f"be completed because the input is not positive-definite (the leading minor "
                f"of order {order} is not positive-definite).")
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, gL):
        # PyTorch's formula: A^-1-sandwich of the lower part of L^H gL with half diagonal
        L, = ctx.saved_tensors
        gA = (L.mH @ gL).tril()
        gA = 0.5 * (gA + gA.tril(-1).mH)
        gA = _local_solve_triangular(L.mH, gA, upper=True, left=True)
        return _local_solve_triangular(L, gA, upper=False, left=False)


def _local_cholesky(a):
    """The lower Cholesky factor of a (batch of) symmetric positive-definite matrices."""
    return _Cholesky.apply(a)


def _local_cholesky_ex(a):
    """(L, info): info is 0 where the factorisation succeeded, else the order of the first
    leading minor that is not positive definite; never raises."""
    xp = xp_of(a._data)
    try:
        L = xp.linalg.cholesky(a._data)
        ok = bool(xp.isfinite(L).all())
    except np.linalg.LinAlgError:
        ok = False
    if ok:
        info = xp.zeros(a.shape[:-2], np.int32)
    else:
        info = _info(a._data)
        L = xp.zeros_like(a._data)
        if xp is not np:
            info = xp.asarray(info)
    return _make(L, a.device), _make(info, a.device)


def _local_eigvalsh(a):
    xp = xp_of(a._data)
    return _make(xp.linalg.eigvalsh(a._data), a.device)


# ---------------------------------------------------------------- triangular solve
def _triangle(a, upper, unitriangular):
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        n = a.shape[-1]
        t = t.copy()
        t[..., xp.arange(n), xp.arange(n)] = 1
    return t


def _substitute(t, b, upper):
    """Solve t x = b by forward/back substitution (what LAPACK's trsm does): singular
    triangles give inf/nan, as in PyTorch, instead of an error."""
    xp = xp_of(t)
    n = t.shape[-1]
    x = xp.zeros(b.shape, np.result_type(t.dtype, b.dtype))
    order = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in order:
            acc = b[..., i, :] - (t[..., i, :, None] * x).sum(-2)
            x[..., i, :] = acc / t[..., i, i, None]
    return x


def _solve_left(t, b, upper):
    xp = xp_of(t)
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = xp.broadcast_to(t, batch + t.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    try:
        with np.errstate(all="ignore"):
            x = xp.linalg.solve(t, b)
        if bool(xp.isfinite(x).all()):
            return x
    except np.linalg.LinAlgError:
        pass
    return _substitute(t, b, upper)


class _SolveTriangular(Op):
    _name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, upper, left, unitriangular):
        t = _triangle(a, upper, unitriangular)
        if left:
            x = _solve_left(t, b, upper)
        else:   # x a = b  <=>  a^T x^T = b^T
            x = _solve_left(t.swapaxes(-1, -2), b.swapaxes(-1, -2), not upper).swapaxes(-1, -2)
        x = x.astype(np.result_type(a.dtype, b.dtype), copy=False)
        ctx.flags = (upper, left, unitriangular)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, gX):
        upper, left, unitriangular = ctx.flags
        a, x = ctx.saved_tensors
        ga = None
        gb = _local_solve_triangular(a.mH, gX, upper=not upper, left=left,
                                     unitriangular=unitriangular)
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mH) if left else -(x.mH @ gb)
            k = 1 if unitriangular else 0
            ga = ga.triu(k) if upper else ga.tril(-k)
        return ga, gb if ctx.needs_input_grad[1] else None, None, None, None


def _local_solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (left) or X A = B (right), A triangular (the other triangle of A is
    not read)."""
    return _SolveTriangular.apply(A, B, upper, left, unitriangular)


def _local_cholesky_inverse(L):
    """(L L^H)^-1 from a lower Cholesky factor."""
    eye = ember.eye(L.shape[-1], dtype=L.dtype, device=L.device)
    Linv = _local_solve_triangular(L, eye, upper=False)
    return Linv.mH @ Linv


# ---------------------------------------------------------------- dispatch
def _impl(namespace, name, local):
    return getattr(getattr(ember, namespace, None), name, None) or local


def cholesky(a):
    return _impl("linalg", "cholesky", _local_cholesky)(a)


def cholesky_ex(a):
    """(L, info): info is 0 where the factorisation succeeded."""
    return _impl("linalg", "cholesky_ex", _local_cholesky_ex)(a)


def eigvalsh(a):
    return _impl("linalg", "eigvalsh", _local_eigvalsh)(a)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    return _impl("linalg", "solve_triangular", _local_solve_triangular)(
        A, B, upper=upper, left=left, unitriangular=unitriangular)


def cholesky_inverse(L):
    fn = getattr(ember, "cholesky_inverse", None)
    return fn(L) if fn is not None else _local_cholesky_inverse(L)


class _CholeskySolve(Op):
    """(L L^H)^-1 B for a lower Cholesky factor L. Its gradient for L is PyTorch's:
    -(gB X^H + X gB^H) L, the full matrix (ember.linalg's is masked to the lower triangle),
    so it is used even when ember.linalg is there."""
    _name = "CholeskySolveBackward0"

    @staticmethod
    def forward(ctx, b, L):
        t = _triangle(L, False, False)
        y = _solve_left(t, b, False)
        x = _solve_left(xp_of(t).conj(t.swapaxes(-1, -2)), y, True)
        x = x.astype(np.result_type(b.dtype, L.dtype), copy=False)
        ctx.save_for_backward(L, x)
        return x

    @staticmethod
    def backward(ctx, gX):
        L, x = ctx.saved_tensors
        gB = _CholeskySolve.apply(gX, L)
        gL = None
        if ctx.needs_input_grad[1]:
            common = gB @ x.mH
            gL = -(common + common.mH) @ L
        return gB, gL


def cholesky_solve(B, L):
    return _CholeskySolve.apply(B, L)


def logabsdet(A):
    """log |det A|; without ember.linalg, A must be positive definite (the only use)."""
    fn = getattr(getattr(ember, "linalg", None), "slogdet", None)
    if fn is not None:
        return fn(A).logabsdet
    return 2 * _local_cholesky(A).diagonal(dim1=-2, dim2=-1).log().sum(-1)
