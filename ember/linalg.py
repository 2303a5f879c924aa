"""ember.linalg: PyTorch's `torch.linalg` on the LAPACK wrappers of NumPy (or CuPy).

Factorisations run on raw arrays through `xp.linalg` (batched over leading dims); their
backward passes are PyTorch's formulas written with Tensor ops, so they differentiate twice.
NumPy has no LU, triangular solve or matrix exponential, so those are written here on `xp`
(partial pivoting as LAPACK's getrf, substitution, scaling-and-squaring Padé 13). NumPy
raises one error for a whole batch; the per-matrix `info` PyTorch reports (which pivot is
zero, which leading minor is not positive-definite) is recomputed only on that failure path.

Also here: the top-level functions of the older API (`torch.det`, `torch.svd`, `torch.qr`,
`torch.lu`, `torch.cholesky_solve`, ...) in `__toplevel__`, and their Tensor methods, bound
at the bottom of this file.
"""
import builtins
import math
import warnings

import numpy as np

from . import dtypes as _dt
from . import return_types as _rt
from .tensor import Tensor, _make
from .autograd.function import Function as _Function, Op
from .amp import autocast_mode as _amp
from .ops import blas as _blas, creation as _cr, reduce as _reduce, shape as _shape
from .ops import index as _index
from .ops._util import write_out, wrap_dim, xp_of, _type_word
from .ops.compare import c_type_name, broadcast_shapes

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv",
           "inv_ex", "solve", "solve_ex", "lstsq", "cholesky", "cholesky_ex", "qr", "eig",
           "eigvals", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank",
           "matrix_power", "matrix_exp", "multi_dot", "cross", "vecdot", "matmul",
           "householder_product", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
           "solve_triangular", "tensorinv", "tensorsolve", "diagonal", "cond", "vander"]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular, not positive-definite):
    torch.linalg.LinAlgError, a RuntimeError."""


# ================================================================ checks and small helpers
def _check_matrix(A, fn, what="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {what} must have at least 2 dimensions.")


def _check_square(A, fn):
    _check_matrix(A, fn)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _check_float(A, fn, low_precision=False, kernel=None):
    """PyTorch's checkFloatingOrComplex; half precision either fails that check or reaches a
    LAPACK kernel that has no such type (`kernel`), depending on the function."""
    d = A.dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_word(d)}")
    if not low_precision and d in (_dt.float16, _dt.bfloat16):
        if kernel is not None:
            _no_kernel(kernel, d)
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {_type_word(d)}")


def _no_kernel(kernel, d):
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(d)}\'')


def _check_same_dtype(A, B, fn, a="A", b="B"):
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{fn}: Expected {a} and {b} to have the same dtype, but found {a} "
                           f"of type {_type_word(A.dtype)} and {b} of type "
                           f"{_type_word(B.dtype)} instead")


def _host(a):
    """A NumPy view of a (small) array, for reading error info off a CuPy array."""
    return a.get() if hasattr(a, "get") else np.asarray(a)


def _raise_info(fn, info, batched, message, exc=None):
    """Raise LinAlgError (or `exc`) for the first matrix whose LAPACK-style `info` is
    non-zero."""
    flat = _host(info).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        i = int(bad[0])
        prefix = f"(Batch element {i}): " if batched else ""
        raise (exc or LinAlgError)(f"{fn}: {prefix}{message(int(flat[i]))}")


def _singular_msg(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because "
            "the input matrix is singular.")


def _solve_singular_msg(k):
    return "The solver failed because the input matrix is singular."


def _not_pd_msg(k):
    return ("The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {k} is not positive-definite).")


def _real_np(npdt):
    return np.empty(0, npdt).real.dtype


def _eps(npdt):
    return float(np.finfo(_real_np(npdt)).eps)


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


def _real(t):
    return t.real if t.dtype.is_complex else t


def _const(arr, ref):
    return _make(arr, ref._device)


def _eye(n, ref, m=None):
    xp = xp_of(ref._data)
    return _const(xp.eye(n, m, dtype=ref._data.dtype), ref)


def _eye_mask(n, ref):
    xp = xp_of(ref._data)
    return _const(xp.eye(n, dtype=bool), ref)


def _set_diagonal(M, d):
    """M with its diagonal replaced by d (a where, so infinities elsewhere stay put)."""
    n = M.shape[-1]
    return _index.where(_eye_mask(n, M), d.unsqueeze(-1) * _eye(n, d), M)


def _bcast(*shapes):
    return tuple(broadcast_shapes(*shapes))


def _write_outs(res, out):
    if out is None:
        return res
    if isinstance(res, Tensor):
        return write_out(res, out)
    for r, o in zip(res, out):
        write_out(r, o)
    return type(res)(*out) if hasattr(res, "_fields") else tuple(out)


# ================================================================ raw kernels on xp arrays
def _lu_raw(a):
    """Partial-pivoting LU of (..., m, n) as LAPACK's getrf: the packed LU, 1-based int32
    pivots and info (the first zero pivot, 1-based; 0 if none)."""
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = builtins.min(m, n)
    batch = a.shape[:-2]
    lu = a.reshape((-1, m, n)).copy()
    nb = lu.shape[0]
    piv = xp.empty((nb, k), dtype=xp.int32)
    info = xp.zeros(nb, dtype=xp.int32)
    rows = xp.arange(nb)
    cplx = a.dtype.kind == "c"
    with np.errstate(all="ignore"):
        for j in range(k):
            col = lu[:, j:, j]
            # LAPACK's i?amax measures complex entries by |re| + |im| and picks the first max
            mag = xp.abs(col.real) + xp.abs(col.imag) if cplx else xp.abs(col)
            p = xp.argmax(mag, axis=1) + j
            piv[:, j] = p + 1
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
            d = lu[:, j, j]
            zero = d == 0
            info = xp.where(zero & (info == 0), j + 1, info).astype(xp.int32)
            if j + 1 < m:
                lu[:, j + 1:, j] /= xp.where(zero, 1, d)[:, None]
                if j + 1 < n:
                    lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return (lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)), info.reshape(batch))


def _perm_raw(piv, m):
    """Row permutation (perm[i] = source row of row i of P^T A) from LAPACK pivots."""
    xp = xp_of(piv)
    batch = piv.shape[:-1]
    p = piv.reshape(-1, piv.shape[-1]).astype(xp.int64) - 1
    nb = p.shape[0]
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for i in range(p.shape[-1]):
        j = p[:, i]
        a, b = perm[:, i].copy(), perm[rows, j].copy()
        perm[:, i], perm[rows, j] = b, a
    return perm.reshape(batch + (m,))


def _perm_matrix(perm, npdt):
    """P with A = P L U, i.e. P[perm[i], i] = 1."""
    xp = xp_of(perm)
    m = perm.shape[-1]
    onehot = perm[..., :, None] == xp.arange(m)      # [i, r] = (perm[i] == r)
    return xp.swapaxes(onehot, -1, -2).astype(npdt)


def _tri_solve_raw(a, b, upper, unit):
    """Solve tri(a) x = b by substitution (a: (..., n, n), b: (..., n, k), batch broadcast);
    a zero on the diagonal gives inf/nan, as LAPACK's trsm."""
    xp = xp_of(a)
    n = a.shape[-1]
    batch = _bcast(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    x = xp.array(xp.broadcast_to(b, batch + b.shape[-2:]), dtype=xp.result_type(a, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(all="ignore"):
        for i in order:
            if upper:
                acc = x[..., i, :] - (a[..., i, i + 1:, None] * x[..., i + 1:, :]).sum(-2)
            else:
                acc = x[..., i, :] - (a[..., i, :i, None] * x[..., :i, :]).sum(-2)
            x[..., i, :] = acc if unit else acc / a[..., i, i, None]
    return x


def _triangular(a, upper, unit):
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        n = a.shape[-1]
        idx = xp.arange(n)
        t = t.copy()
        t[..., idx, idx] = 1
    return t


def _solve_triangular_raw(a, b, upper, left, unit):
    xp = xp_of(a)
    if not left:    # X A = B  <=>  A^T X^T = B^T
        return xp.swapaxes(_solve_triangular_raw(xp.swapaxes(a, -1, -2),
                                                 xp.swapaxes(b, -1, -2), not upper, True,
                                                 unit), -1, -2)
    t = _triangular(a, upper, unit)
    diag = xp.diagonal(t, 0, -2, -1)
    if t.shape[-1] == 0 or not bool(xp.all(xp.isfinite(diag) & (diag != 0))):
        return _tri_solve_raw(t, b, upper, unit)
    if not upper:
        # reversing rows and columns makes the matrix upper triangular, so LAPACK's gesv
        # takes its pivots on the diagonal: plain substitution
        x = xp.linalg.solve(t[..., ::-1, ::-1], b[..., ::-1, :])[..., ::-1, :]
        return xp.ascontiguousarray(x)
    return xp.linalg.solve(t, b)


def _lu_solve_raw(lu, piv, b):
    """Solve A x = b from getrf's factors (used where LAPACK refused a singular matrix)."""
    xp = xp_of(lu)
    m = lu.shape[-1]
    perm = _perm_raw(piv, m)
    batch = _bcast(lu.shape[:-2], b.shape[:-2])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    perm = xp.broadcast_to(perm, batch + (m,))
    pb = xp.take_along_axis(b, perm[..., :, None], axis=-2)
    y = _tri_solve_raw(lu, pb, False, True)
    return _tri_solve_raw(lu, y, True, False)


def _inv_raw(a):
    xp = xp_of(a)
    n = a.shape[-1]
    info = xp.zeros(a.shape[:-2], dtype=xp.int32)
    if a.size == 0:
        return a.copy(), info
    try:
        return xp.linalg.inv(a), info
    except np.linalg.LinAlgError:
        pass
    lu, piv, info = _lu_raw(a)
    eye = xp.broadcast_to(xp.eye(n, dtype=a.dtype), a.shape)
    out = _lu_solve_raw(lu, piv, eye)
    _fill_good(out, a, info, lambda x: xp.linalg.inv(x))
    return out, info


def _fill_good(out, a, info, fn, b=None):
    """Recompute the matrices whose info is 0 with LAPACK (the substitution results stay for
    the failed ones, which carry inf/nan as PyTorch's do)."""
    good = _host(info).reshape(-1) == 0
    if not good.any():
        return
    n2 = out.shape[-2:]
    o = out.reshape((-1,) + n2)
    idx = np.flatnonzero(good)
    aa = a.reshape((-1,) + a.shape[-2:])[idx]
    try:
        o[idx] = fn(aa) if b is None else fn(aa, b.reshape((-1,) + b.shape[-2:])[idx])
    except np.linalg.LinAlgError:
        pass


def _solve_raw(a, b):
    """a (..., n, n), b (..., n, k): x and info, batch dims broadcast."""
    xp = xp_of(a)
    batch = _bcast(a.shape[:-2], b.shape[:-2])
    info = xp.zeros(a.shape[:-2], dtype=xp.int32)     # info is A's, not broadcast
    if a.size == 0 or b.size == 0:
        return xp.zeros(batch + b.shape[-2:], xp.result_type(a, b)), info
    try:
        return xp.linalg.solve(a, b), info
    except np.linalg.LinAlgError:
        pass
    lu, piv, info = _lu_raw(a)
    out = _lu_solve_raw(lu, piv, b)
    ab = xp.broadcast_to(a, batch + a.shape[-2:])
    bb = xp.broadcast_to(b, batch + b.shape[-2:])
    _fill_good(out, ab, xp.broadcast_to(info, batch), lambda x, y: xp.linalg.solve(x, y), bb)
    return out, info


def _cholesky_raw(a):
    """Lower Cholesky factor and info; a failed matrix keeps potrf's partial factor (the
    offending pivot stored unrooted, later columns untouched)."""
    xp = xp_of(a)
    info = xp.zeros(a.shape[:-2], dtype=xp.int32)
    if a.size == 0:
        return a.copy(), info
    try:
        return xp.linalg.cholesky(a), info
    except np.linalg.LinAlgError:
        pass
    n = a.shape[-1]
    L = xp.tril(a).reshape((-1, n, n)).copy()
    nb = L.shape[0]
    info = xp.zeros(nb, dtype=xp.int32)
    alive = xp.ones(nb, dtype=bool)
    with np.errstate(all="ignore"):
        for j in range(n):
            row = L[:, j, :j]
            d = L[:, j, j].real - (row * row.conj()).real.sum(-1)
            bad = alive & ~(d > 0)
            info = xp.where(bad, j + 1, info).astype(xp.int32)
            L[:, j, j] = xp.where(bad, d, xp.where(alive, xp.sqrt(xp.abs(d)), L[:, j, j]))
            alive = alive & ~bad
            if j + 1 < n:
                below = (L[:, j + 1:, j] - (L[:, j + 1:, :j] * row[:, None, :].conj()).sum(-1))
                below = below / L[:, j, j][:, None]
                L[:, j + 1:, j] = xp.where(alive[:, None], below, L[:, j + 1:, j])
    L = L.reshape(a.shape)
    info = info.reshape(a.shape[:-2])
    _fill_good(L, a, info, lambda x: xp.linalg.cholesky(x))
    return L, info


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm_raw(a):
    """exp of (..., n, n) by scaling and squaring with the [13/13] Padé approximant
    (Higham 2005), in double precision, each matrix scaled by its own power of two."""
    xp = xp_of(a)
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    wide = xp.complex128 if a.dtype.kind == "c" else xp.float64
    x = a.reshape(-1, n, n).astype(wide)
    norm1 = xp.abs(x).sum(axis=-2).max(axis=-1)
    with np.errstate(all="ignore"):
        s = xp.ceil(xp.log2(norm1 / _THETA13))
    s = xp.where(xp.isfinite(s) & (s > 0), s, 0).astype(xp.int64)
    x = x / (2.0 ** s)[:, None, None]
    b = _PADE13
    eye = xp.eye(n, dtype=wide)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2)
             + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    v = (x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2)
         + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye)
    r = xp.linalg.solve(v - u, v + u)
    for k in range(int(s.max()) if s.size else 0):
        r = xp.where((k < s)[:, None, None], r @ r, r)
    return r.astype(a.dtype).reshape(a.shape)


def _svd_raw(a, full_matrices, compute_uv=True):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    if a.size == 0:
        k = builtins.min(m, n)
        rd = _real_np(a.dtype)
        s = xp.zeros(a.shape[:-2] + (k,), rd)
        if not compute_uv:
            return s
        mu, nv = (m, n) if full_matrices else (k, k)
        u = xp.broadcast_to(xp.eye(m, mu, dtype=a.dtype), a.shape[:-2] + (m, mu)).copy()
        vh = xp.broadcast_to(xp.eye(nv, n, dtype=a.dtype), a.shape[:-2] + (nv, n)).copy()
        return u, s, vh
    if not compute_uv:
        return xp.linalg.svd(a, compute_uv=False)
    return tuple(xp.linalg.svd(a, full_matrices=full_matrices))


# ================================================================ inv
class LinalgInvEx(Op):
    @staticmethod
    def forward(ctx, a):
        out, info = _inv_raw(a)
        if ctx.needs_input_grad:
            ctx.save_for_backward(out)
        return out, info

    @staticmethod
    def backward(ctx, g, _):
        inv_, = ctx.saved_tensors
        ih = inv_.mH
        return -(ih.matmul(g).matmul(ih))


def _inv_checks(A, fn):
    _check_square(A, fn)
    _check_float(A, fn)


def inv_ex(A, *, check_errors=False, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_inv_ex", A)
    _inv_checks(A, "linalg.inv")
    res, info = LinalgInvEx.apply(A)
    if check_errors:
        _raise_info("linalg.inv_ex", info._data, A.ndim > 2, _singular_msg)
    return _write_outs(_rt.linalg_inv_ex(res, info), out)


def _inv(A, fn):
    _inv_checks(A, fn)
    res, info = LinalgInvEx.apply(A)
    _raise_info(fn, info._data, A.ndim > 2, _singular_msg)
    return res


def inv(A, *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_inv", A)
    return _write_outs(_inv(A, "linalg.inv"), out)


# ================================================================ det / slogdet
class LinalgDet(Op):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        if a.shape[-1] == 0:
            out = xp.ones(a.shape[:-2], a.dtype)
        else:
            out = xp.asarray(xp.linalg.det(a), dtype=a.dtype)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        return _det_backward(g, d, A)


def _diag_of(v, n):
    """diag_embed of v repeated n times along a new last dim: v[..., None, None] * I."""
    return v.unsqueeze(-1).unsqueeze(-1) * _eye(n, v)


def _det_backward(g, d, A):
    """grad * conj(det) * A^{-H}; where det is exactly 0 (A singular) the cofactors come
    from the SVD instead, A = U S Vh: the product of the other singular values needs no
    division."""
    n = A.shape[-1]
    if A.numel() == 0:
        return _cr.zeros_like(A)
    gd = g * _conj(d)
    sing = d._data == 0
    if not bool(xp_of(sing).any(sing)):
        return _solve_mat(A.mH, _diag_of(gd, n))
    mask = _const(sing, A).unsqueeze(-1).unsqueeze(-1)
    # substitutes keep each branch finite where the other one is used
    A_ns = _index.where(mask, _eye(n, A), A)
    steps = _const(xp_of(A._data).diag(xp_of(A._data).arange(1, n + 1)).astype(A._data.dtype), A)
    A_s = _index.where(mask, A, steps)
    ns = _solve_mat(A_ns.mH, _diag_of(gd, n))
    U, S, Vh = svd(A_s, full_matrices=False)
    alpha = _conj(det(U) * det(Vh))
    D = (g * alpha).unsqueeze(-1) * _prod_others(S)
    s = (U * D.unsqueeze(-2)).matmul(Vh)
    return _index.where(mask, s, ns)


def _prod_others(S):
    """P_i = prod_{j != i} S_j, without dividing (S may hold zeros)."""
    n = S.shape[-1]
    M = S.unsqueeze(-2).expand(*S.shape[:-1], n, n)
    return _index.where(_eye_mask(n, S), 1.0, M).prod(-1)


def det(A, *, out=None):
    _check_square(A, "linalg.det")
    _check_float(A, "linalg.det", kernel="lu_cpu")
    return _write_outs(LinalgDet.apply(A), out)


class LinalgSlogdet(Op):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        if a.shape[-1] == 0:
            sign = xp.ones(a.shape[:-2], a.dtype)
            logabs = xp.zeros(a.shape[:-2], _real_np(a.dtype))
        else:
            sign, logabs = xp.linalg.slogdet(a)
            sign = xp.asarray(sign, dtype=a.dtype)
            logabs = xp.asarray(logabs, dtype=_real_np(a.dtype))
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        A, sign = ctx.saved_tensors
        n = A.shape[-1]
        if A.numel() == 0:
            return _cr.zeros_like(A)
        w = g_logabs
        if A.dtype.is_complex:
            # sign moves by i Im(tr(A^{-1} dA)) sign: its gradient is a phase term
            w = w + (g_sign * sign.conj()).imag * 1j
        return _solve_mat(A.mH, _diag_of(w, n))


def slogdet(A, *, out=None):
    _check_square(A, "linalg.slogdet")
    _check_float(A, "linalg.slogdet")
    sign, logabs = LinalgSlogdet.apply(A)
    return _write_outs(_rt.linalg_slogdet(sign, logabs), out)


def _torch_slogdet(input, *, out=None):
    _check_square(input, "linalg.slogdet")
    _check_float(input, "linalg.slogdet")
    sign, logabs = LinalgSlogdet.apply(input)
    return _write_outs(_rt.slogdet(sign, logabs), out)


def logdet(input):
    _check_square(input, "logdet")
    _check_float(input, "logdet")
    sign, logabs = LinalgSlogdet.apply(input)
    if input.dtype.is_complex:
        return sign.log() + logabs
    return _index.where(sign == -1, math.nan, logabs)


# ================================================================ solve
class LinalgSolveEx(Op):
    @staticmethod
    def forward(ctx, a, b):
        x, info = _solve_raw(a, b)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, x)
        return x, info

    @staticmethod
    def backward(ctx, g, _):
        A, X = ctx.saved_tensors
        gB = _solve_mat(A.mH, g)
        gA = -gB.matmul(X.mH) if ctx.needs_input_grad[0] else None
        return gA, gB


def _solve_mat(A, B):
    """A^{-1} B for a matrix right-hand side, differentiable (no error checks)."""
    return LinalgSolveEx.apply(A, B)[0]


def _is_vector_rhs(A, B):
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _solve(A, B, left, fn, check_errors):
    _check_square(A, "linalg.solve")
    _check_float(A, "linalg.solve", kernel="lu_cpu")
    _check_same_dtype(A, B, "linalg.solve")
    vector = _is_vector_rhs(A, B)
    B_ = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if (B_.shape[-2] if left else B_.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({A.shape[-2]}x{A.shape[-1]} and {B_.shape[-2]}x"
                           f"{B_.shape[-1]})")
    _bcast(A.shape[:-2], B_.shape[:-2])
    if left:
        X, info = LinalgSolveEx.apply(A, B_)
    else:
        X, info = LinalgSolveEx.apply(A.mT, B_.mT)
        X = X.mT
    if check_errors:
        _raise_info(fn, info._data, info.ndim > 0, _solve_singular_msg)
    return (X.squeeze(-1) if vector else X), info


def solve(A, B, *, left=True, out=None):
    if _amp_on[0] and out is None:
        A, B = _amp.maybe_cast("linalg_solve", A, B)
    X, _ = _solve(A, B, left, "torch.linalg.solve", True)
    return _write_outs(X, out)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    X, info = _solve(A, B, left, "torch.linalg.solve_ex", check_errors)
    return _write_outs(_rt.linalg_solve_ex(X, info), out)


# ================================================================ cholesky
class LinalgCholeskyEx(Op):
    @staticmethod
    def forward(ctx, a, upper):
        xp = xp_of(a)
        L, info = _cholesky_raw(a)
        if upper:
            L = xp.ascontiguousarray(xp.swapaxes(L, -1, -2).conj())
        ctx.upper = upper
        if ctx.needs_input_grad:
            ctx.save_for_backward(L)
        return L, info

    @staticmethod
    def backward(ctx, g, _):
        L, = ctx.saved_tensors
        if ctx.upper:
            L, g = L.mH, g.mH
        # gA = L^{-H} Phi(L^H gL) L^{-1}, made Hermitian: Phi takes the lower triangle
        gA = L.mH.matmul(g).tril()
        gA = 0.5 * (gA + gA.tril(-1).mH)
        gA = solve_triangular(L.mH, gA, upper=True, left=True)
        gA = solve_triangular(L, gA, upper=False, left=False)
        return gA, None


def _cholesky(A, upper, fn, check_errors):
    _check_square(A, "linalg.cholesky")
    _check_float(A, "linalg.cholesky", kernel="cholesky_cpu")
    L, info = LinalgCholeskyEx.apply(A, builtins.bool(upper))
    if check_errors:
        _raise_info(fn, info._data, A.ndim > 2, _not_pd_msg)
    return L, info


def cholesky(A, *, upper=False, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_cholesky", A)
    return _write_outs(_cholesky(A, upper, "linalg.cholesky", True)[0], out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_cholesky_ex", A)
    L, info = _cholesky(A, upper, "linalg.cholesky_ex", check_errors)
    return _write_outs(_rt.linalg_cholesky_ex(L, info), out)


# ================================================================ qr
class LinalgQr(Op):
    _materialize_grads = False

    @staticmethod
    def forward(ctx, a, mode):
        xp = xp_of(a)
        if mode == "r":
            r = xp.linalg.qr(a, mode="r") if a.size else xp.zeros(
                a.shape[:-2] + (builtins.min(a.shape[-2:]), a.shape[-1]), a.dtype)
            q = xp.empty((0,), a.dtype)
        elif a.size == 0:
            m, n = a.shape[-2:]
            k = m if mode == "complete" else builtins.min(m, n)
            q = xp.broadcast_to(xp.eye(m, k, dtype=a.dtype), a.shape[:-2] + (m, k)).copy()
            r = xp.zeros(a.shape[:-2] + (k, n), a.dtype)
        else:
            q, r = xp.linalg.qr(a, mode=mode)
        ctx.mode = mode
        if ctx.needs_input_grad:
            ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if gQ is None and gR is None:
            return None, None
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        # A = Q [R1 | R2]: R2 = Q^H A2 hands its gradient to Q and to A2
        R1, R2 = R[..., :, :m], R[..., :, m:]
        gR1 = gR[..., :, :m] if gR is not None else None
        gA2 = Q.matmul(gR[..., :, m:]) if gR is not None else _cr.zeros_like(R2)
        if gR is not None:
            extra = Q.matmul(R2).matmul(gR[..., :, m:].mH)
            gQ = extra if gQ is None else gQ + extra
        gA1 = _qr_backward_tall(gQ, gR1, Q, R1)
        return _shape.cat([gA1, gA2], -1), None


def _qr_backward_tall(gQ, gR, Q, R):
    """m >= n: gA = (gQ + Q copyltu(M)) R^{-H}, M = triu(R gR^H - gQ^H Q)."""
    M = None
    if gR is not None:
        M = gR.matmul(R.mH)
    if gQ is not None:
        M = -Q.mH.matmul(gQ) if M is None else M - Q.mH.matmul(gQ)
    M = M.triu()
    S = M + M.mH - _real(M.diagonal(0, -2, -1)).diag_embed()
    gA = Q.matmul(S)
    if gQ is not None:
        gA = gA + gQ
    return solve_triangular(R.mH, gA, upper=False, left=False)


_QR_MODES = ("reduced", "complete", "r")


def _qr(A, mode, fn="linalg.qr"):
    _check_matrix(A, fn)
    _check_float(A, fn, kernel="geqrf_cpu")
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return LinalgQr.apply(A, mode)


def qr(A, mode="reduced", *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_qr", A)
    Q, R = _qr(A, mode)
    return _write_outs(_rt.linalg_qr(Q, R), out)


def _torch_qr(input, some=True, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("qr", input)
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.\nThe boolean parameter 'some' has been replaced with "
                  "a string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced "
                  "with\nQ, R = torch.linalg.qr(A, 'reduced' if some else 'complete')",
                  UserWarning, stacklevel=2)
    Q, R = _qr(input, "reduced" if some else "complete")
    return _write_outs(_rt.qr(Q, R), out)


# ================================================================ eigh / eig
class LinalgEigh(Op):
    _materialize_grads = False

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = xp_of(a).linalg.eigh(a, UPLO=uplo)
        if ctx.needs_input_grad:
            ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        return _eig_backward(gL, gV, L, V, True), None


class LinalgEig(Op):
    _materialize_grads = False

    @staticmethod
    def forward(ctx, a):
        ct = np.result_type(a.dtype, np.complex64)
        w, v = xp_of(a).linalg.eig(a)
        w, v = w.astype(ct), v.astype(ct)
        ctx.real_input = a.dtype.kind != "c"
        if ctx.needs_input_grad:
            ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        gA = _eig_backward(gL, gV, L, V, False)
        if gA is not None and ctx.real_input:
            gA = gA.real
        return gA


def _needs_grad(A):
    from .autograd import grad_mode
    return A._requires_grad and grad_mode._enabled[0]


def _eig_backward(gL, gV, L, V, hermitian):
    """PyTorch's linalg_eig_backward: with E_ij = conj(L_j - L_i),
    gA = V^{-H} (diag(gL) + proj(V^H gV) / E) V^H (V^{-H} = V for eigh)."""
    if gL is None and gV is None:
        return None
    if gV is None:
        inner = gL.unsqueeze(-1) * V.mH
        return V.matmul(inner) if hermitian else _solve_mat(V.mH, inner)
    VhgV = V.mH.matmul(gV)
    diag = VhgV.diagonal(0, -2, -1)
    if V.dtype.is_complex:
        im = _host(diag._data.imag)
        if not np.allclose(im, 0, rtol=1e-2, atol=1e-2):
            name = "linalg_eigh_backward" if hermitian else "linalg_eig_backward"
            raise RuntimeError(f"{name}: The eigenvectors in the complex case are specified up "
                               "to multiplication by e^{i phi}. The specified loss function "
                               "depends on this quantity, so it is ill-defined.")
    if hermitian:
        VhgV = 0.5 * (VhgV - VhgV.mH)
    else:
        VhgV = VhgV - V.mH.matmul(V * _real(diag).unsqueeze(-2))
    Lc = _conj(L)
    n = L.shape[-1]
    E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
    E = _index.where(_eye_mask(n, E), 1.0, E)
    ret = VhgV / E
    ret = _set_diagonal(ret, gL if gL is not None else _cr.zeros_like(L))
    if hermitian:
        return V.matmul(ret.matmul(V.mH))
    return _solve_mat(V.mH, ret.matmul(V.mH))


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _check_eigh(A):
    _check_square(A, "linalg.eigh")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or \
            A.dtype in (_dt.float16, _dt.bfloat16):
        _no_kernel("linalg_eigh_cpu", A.dtype)


def _check_eig(A, fn):
    _check_square(A, fn)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"Unknown Complex ScalarType for {_type_word(A.dtype)}")
    if A.dtype in (_dt.float16, _dt.bfloat16):
        _no_kernel("linalg_eig_out_cpu", A.dtype)


def eigh(A, UPLO="L", *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_eigh", A)
    _check_eigh(A)
    _check_uplo(UPLO)
    L, V = LinalgEigh.apply(A, UPLO)
    return _write_outs(_rt.linalg_eigh(L, V), out)


def eigvalsh(A, UPLO="L", *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_eigvalsh", A)
    _check_eigh(A)
    _check_uplo(UPLO)
    if _needs_grad(A):   # the backward needs the eigenvectors
        return _write_outs(LinalgEigh.apply(A, UPLO)[0], out)
    w = xp_of(A._data).linalg.eigvalsh(A._data, UPLO=UPLO)
    return _write_outs(_make(w, A._device), out)


def eig(A, *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_eig", A)
    _check_eig(A, "linalg.eig")
    L, V = LinalgEig.apply(A)
    return _write_outs(_rt.linalg_eig(L, V), out)


def eigvals(A, *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_eigvals", A)
    _check_eig(A, "linalg.eigvals")
    if _needs_grad(A):
        return _write_outs(LinalgEig.apply(A)[0], out)
    a = A._data
    w = xp_of(a).linalg.eigvals(a).astype(np.result_type(a.dtype, np.complex64))
    return _write_outs(_make(w, A._device), out)


# ================================================================ svd
class LinalgSvd(Op):
    _materialize_grads = False

    @staticmethod
    def forward(ctx, a, full_matrices):
        ctx.full = full_matrices
        u, s, vh = _svd_raw(a, full_matrices)
        if ctx.needs_input_grad:
            ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        if ctx.full:
            # the extra columns of U (rows of Vh) are arbitrary: only the first k count
            k = S.shape[-1]
            U, Vh = U[..., :, :k], Vh[..., :k, :]
            gU = gU[..., :, :k] if gU is not None else None
            gVh = gVh[..., :k, :] if gVh is not None else None
        return _svd_backward(gU, gS, gVh, U, S, Vh), None


def _svd_backward(gU, gS, gVh, U, S, Vh):
    """PyTorch's svd_backward (reduced U, S, Vh), E_jk = S_k^2 - S_j^2."""
    if gS is None and gU is None and gVh is None:
        return None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if m >= n:
            return U.matmul(gS.unsqueeze(-1) * Vh)
        return (U * gS.unsqueeze(-2)).matmul(Vh)
    cplx = U.dtype.is_complex
    UhgU = VhgV = None
    if gU is not None:
        X = U.mH.matmul(gU)
        UhgU = X - X.mH
    if gVh is not None:
        X = Vh.matmul(gVh.mH)
        VhgV = X - X.mH
    if cplx:
        xp = xp_of(S._data)
        imu = UhgU.diagonal(0, -2, -1)._data.imag if UhgU is not None else xp.zeros(S.shape)
        imv = VhgV.diagonal(0, -2, -1)._data.imag if VhgV is not None else xp.zeros(S.shape)
        if not np.allclose(_host(imu), -_host(imv), rtol=1e-2, atol=1e-2):
            raise RuntimeError("svd_backward: The singular vectors in the complex case are "
                               "specified up to multiplication by e^{i phi}. The specified loss "
                               "function depends on this phase term, making it ill-defined.")
    k = S.shape[-1]
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = _index.where(_eye_mask(k, E), 1.0, E)
    if UhgU is not None and VhgV is not None:
        ret = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif UhgU is not None:
        ret = (UhgU / E) * S.unsqueeze(-2)
    else:
        ret = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        ret = ret + gS.diag_embed()
    if cplx and UhgU is not None:
        ret = ret + (UhgU.diagonal(0, -2, -1) / (2.0 * S)).diag_embed()
    if m > n and gU is not None:
        gA = U.matmul(ret)
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U.matmul(U.mH.matmul(gUSinv))
        return gA.matmul(Vh)
    if m < n and gVh is not None:
        gA = ret.matmul(Vh)
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - SinvgVh.matmul(Vh.mH).matmul(Vh)
        return U.matmul(gA)
    return U.matmul(ret.matmul(Vh)) if m >= n else U.matmul(ret).matmul(Vh)


def _check_driver(A, driver, fn):
    if driver is not None and A._device.type == "cpu":
        raise RuntimeError(f"{fn}: keyword argument `driver=` is only supported on CUDA inputs "
                           "with cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_svd", A)
    _check_matrix(A, "linalg.svd")
    _check_float(A, "linalg.svd", kernel="linalg_svd_cpu")
    _check_driver(A, driver, "torch.linalg.svd")
    U, S, Vh = LinalgSvd.apply(A, builtins.bool(full_matrices))
    return _write_outs(_rt.linalg_svd(U, S, Vh), out)


def svdvals(A, *, driver=None, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_svdvals", A)
    _check_matrix(A, "linalg.svd")
    _check_float(A, "linalg.svd", kernel="linalg_svd_cpu")
    _check_driver(A, driver, "torch.linalg.svd")
    return _write_outs(_svdvals(A), out)


def _svdvals(A):
    if _needs_grad(A):   # the backward needs U and Vh
        return LinalgSvd.apply(A, False)[1]
    return _make(_svd_raw(A._data, False, False), A._device)


def _torch_svd(input, some=True, compute_uv=True, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("svd", input)
    _check_matrix(input, "linalg.svd")
    _check_float(input, "linalg.svd", kernel="linalg_svd_cpu")
    if not compute_uv:
        S = _svdvals(input)
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        U = _cr.zeros(batch + (m, m), dtype=input.dtype, device=input.device)
        V = _cr.zeros(batch + (n, n), dtype=input.dtype, device=input.device)
        return _write_outs(_rt.svd(U, S, V), out)
    U, S, Vh = LinalgSvd.apply(input, not some)
    return _write_outs(_rt.svd(U, S, Vh.mH), out)


# ================================================================ pinv / matrix_rank
def _tolerances(A, atol, rtol, fn):
    """PyTorch's get_atol_rtol: rtol defaults to eps * max(m, n) unless a positive atol is
    given. Returns float64 arrays (or floats) broadcastable over the batch."""
    xp = xp_of(A._data)
    for name, t in (("atol", atol), ("rtol", rtol)):
        if isinstance(t, Tensor) and t.dtype.is_complex:
            raise RuntimeError(f"{fn}: {name} tensor of complex type is not supported. Got "
                               f"{t.type().split('.')[-1].replace('Tensor', '')}")
    default = _eps(A._data.dtype) * builtins.max(A.shape[-1], A.shape[-2])
    a = xp.asarray(atol._data if isinstance(atol, Tensor) else (atol or 0.0), dtype=xp.float64)
    if rtol is not None:
        r = xp.asarray(rtol._data if isinstance(rtol, Tensor) else rtol, dtype=xp.float64)
    elif atol is not None:
        r = xp.where(a > 0, 0.0, default)
    else:
        r = xp.asarray(default)
    return a, r


class LinalgPinv(Op):
    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        out = _pinv_raw(a, atol, rtol, hermitian)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        return _pinv_backward(g, P, A), None, None, None


def _pinv_raw(a, atol, rtol, hermitian):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    if a.size == 0:
        return xp.zeros(a.shape[:-2] + (n, m), a.dtype)
    if hermitian:
        w, v = xp.linalg.eigh(a)
        s = xp.abs(w)
        smax = s.max(-1, keepdims=True)
    else:
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        smax = s[..., :1]
    tol = xp.maximum(atol[..., None], rtol[..., None] * smax)
    keep = s > tol
    with np.errstate(all="ignore"):
        if hermitian:
            sinv = xp.where(keep, 1 / w, 0).astype(a.dtype)
            return (v * sinv[..., None, :]) @ xp.swapaxes(v, -1, -2).conj()
        sinv = xp.where(keep, 1 / s, 0).astype(a.dtype)
    return (xp.swapaxes(vh, -1, -2).conj() * sinv[..., None, :]) @ xp.swapaxes(u, -1, -2).conj()


def _pinv_backward(g, P, A):
    """PyTorch's pinv_backward, arranged so the products are of the smaller size."""
    m, n = A.shape[-2], A.shape[-1]
    Ph, gh = P.mH, g.mH
    if m <= n:
        K = gh.matmul(P)
        KPh = K.matmul(Ph)
        return (-(P.matmul(K)).mH + KPh - A.matmul(P).matmul(KPh)
                + Ph.matmul(P).matmul(gh - K.matmul(A)))
    K = P.matmul(gh)
    PhK = Ph.matmul(K)
    return (-(K.matmul(P)).mH + (gh - A.matmul(K)).matmul(P).matmul(Ph) + PhK
            - PhK.matmul(P).matmul(A))


def _check_pinv_input(A, fn):
    if A.ndim < 2 or not (A.dtype.is_floating_point or A.dtype.is_complex) or \
            A.dtype in (_dt.float16, _dt.bfloat16):
        raise RuntimeError(f"{fn}({_type_word(A.dtype)}{{{list(A.shape)}}}): expected a tensor "
                           "with 2 or more dimensions of float, double, cfloat or cdouble types")


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    _check_pinv_input(A, "linalg.pinv")
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg_pinv() received an invalid combination of arguments")
        atol, rtol = 0.0, rcond
    a, r = _tolerances(A, atol, rtol, "torch.linalg.pinv")
    return _write_outs(LinalgPinv.apply(A, a, r, builtins.bool(hermitian)), out)


def pinverse(input, rcond=1e-15):
    if _amp_on[0]:
        input, = _amp.maybe_cast("pinverse", input)
    return pinv(input, rcond)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_matrix_rank", A)
    if not A.dtype.is_floating_point and not A.dtype.is_complex:
        raise RuntimeError("This function doesn't handle types other than float and double")
    _check_matrix(A, "torch.linalg.matrix_rank", "input")
    if tol is not None:
        atol, rtol = tol, 0.0
    a, r = _tolerances(A, atol, rtol, "torch.linalg.matrix_rank")
    xp = xp_of(A._data)
    if A.numel() == 0:
        return _write_outs(_cr.zeros(tuple(A.shape[:-2]), dtype=_dt.int64, device=A.device), out)
    if hermitian:
        s = xp.abs(xp.linalg.eigvalsh(A._data))
        smax = s.max(-1, keepdims=True)
    else:
        s = xp.linalg.svd(A._data, compute_uv=False)
        smax = s[..., :1]
    tol_ = xp.maximum(a[..., None], r[..., None] * smax)
    rank = (s > tol_).sum(-1).astype(xp.int64)
    return _write_outs(_make(xp.asarray(rank), A._device), out)


# ================================================================ lstsq
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LinalgLstsq(Op):
    @staticmethod
    def forward(ctx, a, b, rcond, driver):
        x, res, rank, sv = _lstsq_raw(a, b, rcond, driver)
        ctx.mark_non_differentiable(sv)
        ctx.has_res = res.size > 0
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b, x)
        return x, res, rank, sv

    @staticmethod
    def backward(ctx, gX, gRes, _rank, _sv):
        A, B, X = ctx.saved_tensors
        P = LinalgPinv.apply(A, *_tolerances(A, None, None, "lstsq"), False)
        need_a, need_b = ctx.needs_input_grad[:2]
        gA = _pinv_backward(gX.matmul(B.mH), P, A) if need_a else None
        gB = P.mH.matmul(gX) if need_b else None
        if ctx.has_res:
            # at the minimiser A^H (AX - B) = 0, so only the explicit dependence remains
            gR = 2.0 * (A.matmul(X) - B) * gRes.unsqueeze(-2)
            gA = gA + gR.matmul(X.mH) if need_a else None
            gB = gB - gR if need_b else None
        return gA, gB, None, None


def _lstsq_raw(a, b, rcond, driver):
    """Least squares through the SVD: the minimum-norm solution of the problem truncated at
    rcond * s_max, which is what LAPACK's gelsy/gelsd/gelss return (and gels for full rank)."""
    xp = xp_of(a)
    m, n = a.shape[-2:]
    batch = _bcast(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    rd = _real_np(a.dtype)
    k = builtins.min(m, n)
    if a.size == 0 or b.size == 0:
        x = xp.zeros(batch + (n, b.shape[-1]), a.dtype)
        s = xp.zeros(batch + (k,), rd)
    else:
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        if rcond is None or driver == "gels":
            rc = _eps(a.dtype) * builtins.max(m, n)
        else:
            rc = rcond
        keep = s > rc * s[..., :1]
        with np.errstate(all="ignore"):
            sinv = xp.where(keep, 1 / s, 0).astype(a.dtype)
        x = xp.swapaxes(vh, -1, -2).conj() @ (sinv[..., :, None]
                                              * (xp.swapaxes(u, -1, -2).conj() @ b))
    rank_ = (s > (_eps(a.dtype) * builtins.max(m, n) if rcond is None or driver == "gels"
                  else rcond) * s[..., :1]).sum(-1) if s.size else xp.zeros(batch, xp.int64)
    full_rank = bool(xp.all(rank_ == k)) if s.size else True
    if driver != "gelsy" and m > n and full_rank and a.size:
        r = a @ x - b
        res = (r * r.conj()).real.sum(-2).astype(rd)
    else:
        res = xp.zeros((0,), rd)
    rank = xp.zeros((0,), xp.int64) if driver == "gels" else xp.asarray(rank_, dtype=xp.int64)
    sv = s.astype(rd) if driver in ("gelsd", "gelss") else xp.zeros((0,), rd)
    return x, res, rank, sv


def lstsq(A, B, rcond=None, *, driver=None):
    if _amp_on[0]:
        A, B = _amp.maybe_cast("linalg_lstsq", A, B)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_type_word(A.dtype)} and other's "
                           f"dtype {_type_word(B.dtype)}")
    if driver is None:
        driver = "gelsy"
    elif driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    vector = B.ndim == A.ndim - 1
    B_ = B.unsqueeze(-1) if vector else B
    if B_.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A.shape[-2] != B_.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    _bcast(A.shape[:-2], B_.shape[:-2])
    X, res, rank, sv = LinalgLstsq.apply(A, B_, rcond, driver)
    if vector:
        X = X.squeeze(-1)
    return _rt.linalg_lstsq(X, res, rank, sv)


# ================================================================ matrix_exp
class LinalgMatrixExp(Op):
    @staticmethod
    def forward(ctx, a):
        if ctx.needs_input_grad:
            ctx.save_for_backward(a)
        return _expm_raw(a)

    @staticmethod
    def backward(ctx, g):
        A, = ctx.saved_tensors
        n = A.shape[-1]
        if A.numel() == 0:
            return _cr.zeros_like(A)
        # the Fréchet derivative's adjoint: exp([[A^H, G], [0, A^H]]) has it top-right
        Ah = A.mH
        g = g.expand(*Ah.shape[:-2], n, n) if tuple(g.shape) != tuple(Ah.shape) else g
        Ah = Ah.expand(*g.shape)
        top = _shape.cat([Ah, g], -1)
        bottom = _shape.cat([_cr.zeros_like(Ah), Ah], -1)
        return matrix_exp(_shape.cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(A):
    _check_square(A, "linalg.matrix_exp")
    _check_float(A, "linalg.matrix_exp", low_precision=True)
    return LinalgMatrixExp.apply(A)


# ================================================================ LU
class LinalgLuFactorEx(Op):
    @staticmethod
    def forward(ctx, a):
        lu_, piv, info = _lu_raw(a)
        if ctx.needs_input_grad:
            ctx.save_for_backward(lu_, piv)
        return lu_, piv, info

    @staticmethod
    def backward(ctx, gLU, _piv, _info):
        LU, piv = ctx.saved_tensors
        m, n = LU.shape[-2:]
        k = builtins.min(m, n)
        P, L, U = _unpack(LU, piv)
        return _lu_backward(gLU[..., :, :k].tril(-1), gLU[..., :k, :].triu(), P, L, U)


class LinalgLu(Op):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        m, n = a.shape[-2:]
        k = builtins.min(m, n)
        lu_, piv, _ = _lu_raw(a)
        P = _perm_matrix(_perm_raw(piv, m), a.dtype)
        L = xp.tril(lu_[..., :, :k], -1) + xp.eye(m, k, dtype=a.dtype)
        U = xp.triu(lu_[..., :k, :])
        ctx.mark_non_differentiable(P)
        if ctx.needs_input_grad:
            ctx.save_for_backward(P, L, U)
        return P, L, U

    @staticmethod
    def backward(ctx, _gP, gL, gU):
        P, L, U = ctx.saved_tensors
        return _lu_backward(gL, gU, P, L, U)


def _unpack(LU, piv):
    """P, L, U from packed factors (L and U differentiable in LU)."""
    m, n = LU.shape[-2:]
    k = builtins.min(m, n)
    P = _const(_perm_matrix(_perm_raw(piv._data, m), LU._data.dtype), LU)
    L = LU[..., :, :k].tril(-1) + _eye(m, LU, k)
    U = LU[..., :k, :].triu()
    return P, L, U


def _lu_core(LhgL, gUUh, L, U):
    """Square LU: gA' = L^{-H} (tril(L^H gL, -1) + triu(gU U^H)) U^{-H}."""
    M = LhgL.tril(-1) + gUUh.triu()
    X = solve_triangular(L.mH, M, upper=True, left=True, unitriangular=True)
    return solve_triangular(U.mH, X, upper=False, left=False)


def _lu_backward(gL, gU, P, L, U):
    """A = P L U. Square: the core formula; wide A = P L [U1 U2]: U2 = L^{-1} P^T A2 adds
    -gU2 U2^H to L^H gL; tall A = P [L1; L2] U: L2 = A2 U^{-1} adds -L2^H gL2 U^{-H} to gU."""
    m, n = L.shape[-2], U.shape[-1]
    gL = gL if gL is not None else _cr.zeros_like(L)
    gU = gU if gU is not None else _cr.zeros_like(U)
    if m == n:
        return P.matmul(_lu_core(L.mH.matmul(gL), gU.matmul(U.mH), L, U))
    if m < n:
        U1, U2 = U[..., :, :m], U[..., :, m:]
        gU1, gU2 = gU[..., :, :m], gU[..., :, m:]
        gA1 = _lu_core(L.mH.matmul(gL) - gU2.matmul(U2.mH), gU1.matmul(U1.mH), L, U1)
        gA2 = solve_triangular(L.mH, gU2, upper=True, left=True, unitriangular=True)
        return P.matmul(_shape.cat([gA1, gA2], -1))
    L1, L2 = L[..., :n, :], L[..., n:, :]
    gL1, gL2 = gL[..., :n, :], gL[..., n:, :]
    gA2 = solve_triangular(U.mH, gL2, upper=False, left=False)
    gU_ = gU - L2.mH.matmul(gA2)
    gA1 = _lu_core(L1.mH.matmul(gL1), gU_.matmul(U.mH), L1, U)
    return P.matmul(_shape.cat([gA1, gA2], -2))


def _lu_checks(A, fn, pivot, prefix="torch.lu_factor"):
    if A.ndim < 2:
        raise RuntimeError(f"{prefix}: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(A.shape)} instead")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or \
            A.dtype in (_dt.float16, _dt.bfloat16):
        _no_kernel("lu_cpu", A.dtype)
    if not pivot and A._device.type == "cpu":
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _lu_checks(A, "linalg.lu_factor_ex", pivot)
    LU, piv, info = LinalgLuFactorEx.apply(A)
    if check_errors:
        _raise_info("torch.linalg.lu_factor_ex", info._data, A.ndim > 2, _lu_zero_msg,
                    RuntimeError)
    return _write_outs(_rt.linalg_lu_factor_ex(LU, piv, info), out)


def _lu_zero_msg(k):
    return (f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling linalg.lu(A, "
            "pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True, out=None):
    _lu_checks(A, "linalg.lu_factor", pivot)
    LU, piv, info = LinalgLuFactorEx.apply(A)
    _raise_info("torch.linalg.lu_factor", info._data, A.ndim > 2, _lu_zero_msg, RuntimeError)
    return _write_outs(_rt.linalg_lu_factor(LU, piv), out)


def lu(A, *, pivot=True, out=None):
    _lu_checks(A, "linalg.lu", pivot, "linalg.lu")
    P, L, U = LinalgLu.apply(A)
    return _write_outs(_rt.linalg_lu(P, L, U), out)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    _check_matrix(LU_data, "torch.lu_unpack", "LU_data")
    m, n = LU_data.shape[-2:]
    k = builtins.min(m, n)
    if LU_pivots.dtype is not _dt.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype.\nNote: this function is intended to be used with "
                           "the output produced by torch.linalg.lu_factor")
    empty = _cr.empty(0, dtype=LU_data.dtype, device=LU_data.device)
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + _eye(m, LU_data, k)
        U = LU_data[..., :k, :].triu()
    else:
        L = U = empty
    if unpack_pivots:
        P = _const(_perm_matrix(_perm_raw(LU_pivots._data, m), LU_data._data.dtype), LU_data)
    else:
        P = empty
    return _write_outs(_rt.lu_unpack(P, L, U), out)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Solve with packed factors; the triangular solves read LU's own triangles, so the
    gradient reaches LU (and B)."""
    _check_square(LU, "linalg.lu_solve")
    _check_float(LU, "linalg.lu_solve")
    _check_same_dtype(LU, B, "linalg.lu_solve", "LU", "B")
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    P = _const(_perm_matrix(_perm_raw(pivots._data, n), LU._data.dtype), LU)

    def tri(M, R, upper, lft, unit, adj):
        return solve_triangular(M.mH if adj else M, R, upper=upper != adj, left=lft,
                                unitriangular=unit)
    if left and not adjoint:       # X = U^{-1} L^{-1} P^T B
        Y = tri(LU, P.mT.matmul(B), False, True, True, False)
        X = tri(LU, Y, True, True, False, False)
    elif left:                     # X = P L^{-H} U^{-H} B
        Y = tri(LU, B, True, True, False, True)
        X = P.matmul(tri(LU, Y, False, True, True, True))
    elif not adjoint:              # X = B U^{-1} L^{-1} P^T
        Y = tri(LU, B, True, False, False, False)
        X = tri(LU, Y, False, False, True, False).matmul(P.mT)
    else:                          # X = B P L^{-H} U^{-H}
        Y = tri(LU, B.matmul(P), False, False, True, True)
        X = tri(LU, Y, True, False, False, True)
    return _write_outs(X, out)


_LU_WITH_INFO = _rt.make_return_type("_lu_with_info", ("LU", "pivots", "info"))


def _torch_lu(A, pivot=True, get_infos=False, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("_lu_with_info", A)
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.\n"
                  "LU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\nLU, "
                  "pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = "
                  "torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\nLU, "
                  "pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)", UserWarning,
                  stacklevel=2)
    _lu_checks(A, "linalg.lu_factor_ex", pivot)
    LU, piv, info = LinalgLuFactorEx.apply(A)
    if get_infos:
        return _write_outs(_LU_WITH_INFO(LU, piv, info), out)
    return _write_outs((LU, piv), out)


def _torch_lu_solve(b, LU_data, LU_pivots, *, out=None):
    if _amp_on[0] and out is None:
        b, LU_data = _amp.maybe_cast("lu_solve", b, LU_data)
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has "
                  "its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be "
                  "replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)", UserWarning,
                  stacklevel=2)
    return lu_solve(LU_data, LU_pivots, b, out=out)


# ================================================================ triangular solves
class LinalgSolveTriangular(Op):
    @staticmethod
    def forward(ctx, a, b, upper, left, unit):
        x = _solve_triangular_raw(a, b, upper, left, unit)
        ctx.flags = (upper, left, unit)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        upper, left, unit = ctx.flags
        # A^H is triangular the other way round; its garbage triangle is still ignored
        gB = LinalgSolveTriangular.apply(A.mH, g, not upper, left, unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB.matmul(X.mH) if left else X.mH.matmul(gB))
            off = 1 if unit else 0
            gA = gA.triu(off) if upper else gA.tril(-off)
        return gA, gB, None, None, None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    fn = "linalg.solve_triangular"
    _check_matrix(A, fn)
    _check_matrix(B, fn, "B")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    _bcast(A.shape[:-2], B.shape[:-2])
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or \
            A.dtype in (_dt.float16, _dt.bfloat16):
        _no_kernel("triangular_solve_cpu", A.dtype)
    if B.dtype is not A.dtype:    # PyTorch solves in A's dtype
        B = B.to(A.dtype)
    r = LinalgSolveTriangular.apply(A, B, builtins.bool(upper), builtins.bool(left),
                                    builtins.bool(unitriangular))
    return _write_outs(r, out)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """The older API: solves A X = input; returns (solution, cloned_coefficient)."""
    if _amp_on[0] and out is None:
        input, A = _amp.maybe_cast("triangular_solve", input, A)
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg."
                  "solve_triangularand will be removed in a future PyTorch release.\n"
                  "torch.linalg.solve_triangular has its arguments reversed and does not return "
                  "a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\n"
                  "should be replaced with\nX = torch.linalg.solve_triangular(A, B).",
                  UserWarning, stacklevel=2)
    if input.ndim < 2 or A.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, "
                           f"but it has {input.ndim} dimensions instead" if input.ndim < 2 else
                           f"torch.triangular_solve: Expected A to have at least 2 dimensions, "
                           f"but it has {A.ndim} dimensions instead")
    batch = _bcast(input.shape[:-2], A.shape[:-2])
    M = A.mT if transpose else A
    X = solve_triangular(M, input, upper=upper != builtins.bool(transpose),
                         unitriangular=unitriangular)
    coeff = A.expand(*batch, *A.shape[-2:]).clone()
    return _write_outs(_rt.triangular_solve(X, coeff), out)


def cholesky_solve(input, input2, upper=False, *, out=None):
    """X = (L L^H)^{-1} input with input2 = L (or U^H U with upper)."""
    if _amp_on[0] and out is None:
        input, input2 = _amp.maybe_cast("cholesky_solve", input, input2)
    if input.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} "
                           "dimensions instead")
    if input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} "
                           "dimensions instead")
    if input.dtype is not input2.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_type_word(input.dtype)} and A of type "
                           f"{_type_word(input2.dtype)} instead.")
    _check_float(input2, "cholesky_solve")
    return _write_outs(_CholeskySolve.apply(input, input2, upper), out)


class _CholeskySolve(_Function):
    """X = (L L^H)^{-1} B. Its own node because PyTorch's gradient for the factor is the full
    matrix -(gB X^H + X gB^H) L (the factor treated as dense), not the triangle a composition
    of triangular solves would give."""

    @staticmethod
    def forward(ctx, B, factor, upper):
        L = factor.mH if upper else factor
        X = solve_triangular(L.mH, solve_triangular(L, B, upper=False), upper=True)
        ctx.save_for_backward(factor, X)
        ctx.upper = upper
        return X

    @staticmethod
    def backward(ctx, gX):
        factor, X = ctx.saved_tensors
        g_b = cholesky_solve(gX, factor, ctx.upper)
        common = g_b.matmul(X.mH)
        common = common + common.mH
        g_factor = -(factor.matmul(common) if ctx.upper else common.matmul(factor))
        return g_b, g_factor, None


def cholesky_inverse(input, upper=False, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("cholesky_inverse", input)
    _check_square(input, "cholesky_inverse")
    _check_float(input, "cholesky_inverse")
    n = input.shape[-1]
    eye = _eye(n, input).expand(*input.shape)
    return _write_outs(cholesky_solve(eye, input, upper), out)


def _torch_cholesky(input, upper=False, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("cholesky", input)
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be "
                  "replaced with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, "
                  "upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\nThis "
                  "transform will produce equivalent results for all valid (symmetric positive "
                  "definite) inputs.", UserWarning, stacklevel=2)
    return _write_outs(_cholesky(input, upper, "linalg.cholesky", True)[0], out)


# ================================================================ householder_product
def householder_product(A, tau, *, out=None):
    """Q = H_1 ... H_k [I_m]_{:, :n}, H_i = I - tau_i v_i v_i^H with v_i below A's diagonal."""
    if _amp_on[0] and out is None:
        A, tau = _amp.maybe_cast("linalg_householder_product", A, tau)
    fn = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if A.ndim - tau.ndim != 1:
        raise RuntimeError(f"{fn}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {A.ndim}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if A.dtype is not tau.dtype:
        raise RuntimeError(f"{fn}: tau dtype {_type_word(tau.dtype)} does not match input "
                           f"dtype {_type_word(A.dtype)}")
    _check_float(A, fn)
    batch = tuple(A.shape[:-2])
    Q = _eye(m, A, n).expand(*batch, m, n)
    xp = xp_of(A._data)
    for i in reversed(range(tau.shape[-1])):
        head = _const(xp.zeros(batch + (i + 1,), A._data.dtype), A)
        head = head + _const(xp.eye(1, i + 1, i, dtype=A._data.dtype)[0], A)
        v = _shape.cat([head, A[..., i + 1:, i]], -1)
        t = tau[..., i].unsqueeze(-1).unsqueeze(-1)
        Q = Q - t * v.unsqueeze(-1).matmul(_conj(v).unsqueeze(-2).matmul(Q))
    return _write_outs(Q, out)


# ================================================================ norms and cond
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if _amp_on[0] and dtype is None and out is None:
        x, = _amp.maybe_cast("linalg_vector_norm", x)
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, "
                        "not str")
    return _write_outs(_reduce._vector_norm(x, ord, dim, keepdim, dtype), out)


def _fmt_ord(ord):
    if isinstance(ord, str):
        return ord
    return _reduce._fmt_ord(ord) if math.isinf(ord) or float(ord).is_integer() else str(ord)


def _max_min(t, ord, dim, keepdim):
    return t.amax(dim, keepdim=keepdim) if ord > 0 else t.amin(dim, keepdim=keepdim)


def _backshift(A, d0, d1):
    """A with dims d0, d1 moved to the end (the matrix dims of an SVD)."""
    rest = [d for d in range(A.ndim) if d not in (d0, d1)]
    return A.permute(*rest, d0, d1)


def _keep_dims(r, d0, d1):
    for d in sorted((d0, d1)):
        r = r.unsqueeze(d)
    return r


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if _amp_on[0] and dtype is None and out is None:
        A, = _amp.maybe_cast("linalg_matrix_norm", A)
    fn = "linalg.matrix_norm"
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"{fn}: Order {ord} not supported.")
        low = ord != "nuc"
    else:
        o = abs(float(ord))
        if o not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"{fn}: Order {_fmt_ord(ord)} not supported.")
        low = o != 2.0
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    _check_float(A, fn, low_precision=low)
    d0, d1 = _reduce._matrix_dims(dim, A.ndim)
    if dtype is not None:
        d = _dt.as_dtype(dtype)
        if not (d.is_floating_point or d.is_complex):
            raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got "
                               f"{_type_word(d)}")
    if ord == "fro":
        return _write_outs(_reduce._vector_norm(A, 2, (d0, d1), keepdim, dtype), out)
    A_ = A.to(dtype) if dtype is not None else A
    if ord == "nuc" or abs(float(ord)) == 2.0:
        s = svdvals(_backshift(A_, d0, d1))
        r = s.sum(-1) if ord == "nuc" else _max_min(s, ord, -1, False)
        return _write_outs(_keep_dims(r, d0, d1) if keepdim else r, out)
    if math.isinf(ord):
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    r = _max_min(_reduce._vector_norm(A, 1, (d0,), keepdim, dtype), ord, d1, keepdim)
    return _write_outs(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                           f"Got [{', '.join(map(str, dim))}]")
    if dim is None and (ord is not None) and A.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype,
                           out=out)
    if ord is not None and ((dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2)):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype,
                           out=out)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def _cond_ord_str(p):
    """How PyTorch's std::to_string prints ord: 1 for an int, 1.000000 for a float."""
    if isinstance(p, float):
        return "inf" if p == math.inf else "-inf" if p == -math.inf else f"{p:f}"
    return str(p)


def cond(A, p=None, *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_cond", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if isinstance(p, str):
        _check_square(A, f"linalg.cond(ord={p})")
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    else:
        p = 2 if p is None else p
        if p not in (2, -2, 1, -1, math.inf, -math.inf):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {_fmt_ord(p)}")
    if A.numel() == 0:   # NumPy leaves 0x0 undefined; PyTorch returns zeros
        rd = A.dtype.to_real() if A.dtype.is_complex else A.dtype
        return _write_outs(_cr.zeros(tuple(A.shape[:-2]), dtype=rd, device=A.device), out)
    if p in (2, -2):
        s = svdvals(A)
        hi, lo = s[..., :1], s[..., -1:]
        return _write_outs((lo / hi if p == -2 else hi / lo).squeeze(-1), out)
    if p == "nuc":     # from the definition: matrix_norm would refuse infinities
        s = svdvals(A)
        return _write_outs(s.sum(-1) * s.reciprocal().sum(-1), out)
    if not isinstance(p, str):
        _check_square(A, f"linalg.cond(ord={_cond_ord_str(p)})")
    Ainv, info = inv_ex(A)
    Ainv = Ainv.masked_fill((info > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
    r = matrix_norm(A, p) * matrix_norm(Ainv, p)
    # 0 * inf is inf here, as NumPy's
    return _write_outs(r.nan_to_num(math.inf, math.inf, -math.inf), out)


# ================================================================ products and small ones
def matmul(input, other, *, out=None):
    return _blas.matmul(input, other, out=out)


def matrix_power(A, n, *, out=None):
    return _write_outs(_blas.matrix_power(A, n), out)


def cross(input, other, *, dim=-1, out=None):
    return _blas.cross(input, other, dim, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    if _amp_on[0] and out is None:
        x, y = _amp.maybe_cast("linalg_vecdot", x, y)
    _check_float(x, "linalg.vecdot", low_precision=True)
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {_type_word(x.dtype)} and y of type "
                           f"{_type_word(y.dtype)} instead")
    return _write_outs((_conj(x) * y).sum(dim), out)


def multi_dot(tensors, *, out=None):
    if _amp_on[0] and out is None:
        tensors, = _amp.maybe_cast("linalg_multi_dot", tensors)
    tensors = list(tensors)
    k = len(tensors)
    if k < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {k}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got "
                           f"{first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got "
                           f"{last.ndim}D")
    for i in range(1, k - 1):
        if tensors[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got "
                               f"{tensors[i].ndim}D")
    for i in range(1, k):
        if tensors[i].dtype is not first.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {c_type_name(first.dtype)} and tensor {i} "
                               f"{c_type_name(tensors[i].dtype)}")
    ms = list(tensors)
    if first.ndim == 1:
        ms[0] = first.unsqueeze(0)
    if last.ndim == 1:
        ms[-1] = last.unsqueeze(-1)
    for i in range(k - 1):
        if ms[i].shape[-1] != ms[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    r = _blas._chain(ms, _blas._chain_order([tuple(m.shape) for m in ms]), 0, k - 1)
    if first.ndim == 1 and last.ndim == 1:
        r = r.reshape(())
    elif first.ndim == 1:
        r = r.squeeze(0)
    elif last.ndim == 1:
        r = r.squeeze(-1)
    return _write_outs(r, out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _shape.diagonal(A, offset, dim1, dim2)


def vander(x, *, N=None):
    d = x.dtype
    if d is _dt.bool or d in (_dt.float16, _dt.bfloat16):
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer "
                           f"tensors, but got {_type_word(d)}")
    x_ = x.unsqueeze(-1) if x.ndim == 0 else x
    n = x_.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [_cr.ones(tuple(x_.shape) + (1,), dtype=d, device=x.device)]
    col = x_.unsqueeze(-1)
    for _ in range(n - 1):     # running products, as PyTorch's cumprod
        cols.append(col)
        col = col * x_.unsqueeze(-1)
    return _shape.cat(cols, -1)


def tensorinv(A, ind=2, *, out=None):
    if _amp_on[0] and out is None:
        A, = _amp.maybe_cast("linalg_tensorinv", A)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    left, right = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    p, q = math.prod(left), math.prod(right)
    if p != q:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {q} != {p}")
    r = _inv(A.reshape(p, q), "inv").reshape(*right, *left)
    return _write_outs(r, out)


def tensorsolve(A, B, dims=None, *, out=None):
    if _amp_on[0] and out is None:
        A, B = _amp.maybe_cast("linalg_tensorsolve", A, B)
    if dims is not None:
        dims = [wrap_dim(d, A.ndim) for d in dims]
        A = A.movedim(dims, list(range(A.ndim - len(dims), A.ndim)))
    k = B.ndim
    rest = tuple(A.shape[k:])
    p, q = math.prod(A.shape[:k]), math.prod(rest)
    if p != q:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]"
                           f") == prod(self.shape[:other.ndim]), but got {q} != {p}")
    r = solve(A.reshape(p, q), B.reshape(p)).reshape(*rest)
    return _write_outs(r, out)


# ================================================================ older top-level names
def _inverse(input, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("inverse", input)
    return inv(input, out=out)


__toplevel__ = {
    "det": det, "logdet": logdet, "slogdet": _torch_slogdet, "inverse": _inverse,
    "pinverse": pinverse, "matrix_exp": matrix_exp, "cholesky": _torch_cholesky,
    "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse,
    "triangular_solve": triangular_solve, "qr": _torch_qr, "svd": _torch_svd, "lu": _torch_lu,
    "lu_unpack": lu_unpack, "lu_solve": _torch_lu_solve,
}


# ---------------------------------------------------------------- Tensor methods for linalg
# (bound here because ember/_tensor_methods.py's sections are each owned by one ops module and
# this module imports after it; `Tensor.x` is `torch.x`, the older API)
Tensor.det = det
Tensor.logdet = logdet
Tensor.slogdet = _torch_slogdet
Tensor.inverse = _inverse
Tensor.pinverse = pinverse
Tensor.matrix_exp = matrix_exp
Tensor.cholesky = _torch_cholesky
Tensor.cholesky_solve = cholesky_solve
Tensor.cholesky_inverse = cholesky_inverse
Tensor.triangular_solve = triangular_solve
Tensor.qr = _torch_qr
Tensor.svd = _torch_svd
Tensor.lu = _torch_lu
Tensor.lu_solve = _torch_lu_solve
