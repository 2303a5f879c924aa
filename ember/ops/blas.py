"""The matmul family (BLAS through NumPy/CuPy): matmul, mm, bmm, mv, dot, vdot, inner, outer,
addmm, addbmm, baddbmm, addmv, addr, einsum, tensordot, cross, chain_matmul, matrix_power.

The products are primitives (forward on arrays, backward as products of Tensors, so they
differentiate twice); inner, outer, tensordot and chain_matmul are compositions. Shape and
dtype checks follow PyTorch's code paths, because its error messages depend on the path
(`mm` says "mat1 and mat2 shapes cannot be multiplied (64x320 and 300x50)", a batched
matmul names the batch2 sizes). Gradients of complex products use conjugates, as PyTorch's.
"""
import builtins
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _make
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ._util import write_out, apply_inplace, wrap_dim, xp_of, _type_word
from .compare import c_type_name, broadcast_shapes

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addbmm", "baddbmm", "addmv", "addr", "einsum", "tensordot", "cross",
           "chain_matmul", "matrix_power"]


def _sh(shape):
    return "x".join(map(str, shape))


def _lst(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


_amp_on = _amp._active   # autocast's one fast check: nonzero only while some autocast is on


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


def _gemm(a, b):
    """a @ b. float16/bfloat16 on NumPy go through a float32 GEMM rounded once (NumPy has no
    half-precision BLAS, and ml_dtypes' bfloat16 matmul returns float32)."""
    if a.itemsize < 4 and a.dtype.kind in "fV":
        if isinstance(a, np.ndarray):
            return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
        r = xp_of(a).matmul(a, b)
        return r if r.dtype == a.dtype else r.astype(a.dtype)
    return a @ b


def _not_for_bool(t, kernel):
    if t.dtype is _dt.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


# ---------------------------------------------------------------- shape/dtype checks
def _check_mm_shapes(sa, sb):
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_sh(sa)} and "
                           f"{_sh(sb)})")


def _check_mm_dtypes(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{c_type_name(a.dtype)} != {c_type_name(b.dtype)}")


def _check_mv(input_len, mat_shape, vec_len):
    if mat_shape[1] != vec_len or input_len != mat_shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input_len}), mat ({_sh(mat_shape)}), "
                           f"vec ({vec_len})")


def _check_mv_dtypes(inp, mat, vec):
    if not (inp is mat.dtype is vec.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_type_word(inp)}, {_type_word(mat.dtype)}, and "
                           f"{_type_word(vec.dtype)}")


def _check_dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_type_word(a.dtype)} and {_type_word(b.dtype)}")
    if a.shape[0] != b.shape[0]:
        n, m = a.shape[0], b.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    _not_for_bool(a, "dot")


def _check_scalar_type(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(a.dtype)} but found "
                           f"{_type_word(b.dtype)}")


def _matmul_check(a, b):
    """PyTorch's matmul dispatch (dot, mv, mm, folded mm/mv, batched), for its errors."""
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        _check_dot(a, b)
        return "DotBackward0"
    if nb == 1 and na >= 2:          # mv, or a folded into a matrix then mv
        rows = math.prod(a.shape[:-1])
        _check_mv(rows, (rows, a.shape[-1]), b.shape[0])
        _check_mv_dtypes(b.dtype, a, b)
        _not_for_bool(a, "addmv_impl_cpu")
        return "MvBackward0" if na == 2 else "UnsafeViewBackward0"
    if nb == 2 and na <= 2 or na >= 3 and nb == 2:   # mm, 1-D a as a row, or folded a
        rows = math.prod(a.shape[:-1]) if na > 1 else 1
        _check_mm_shapes((rows, a.shape[-1]), b.shape)
        _check_mm_dtypes(a, b)
        _not_for_bool(a, "addmm_impl_cpu_")
        return {1: "SqueezeBackward4", 2: "MmBackward0"}.get(na, "UnsafeViewBackward0")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    _check_scalar_type(a, b)
    ka = a.shape[-1]
    kb = b.shape[-2] if nb > 1 else b.shape[0]
    if ka != kb:
        n = math.prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {ka}] but got: [{n}, {kb}].")
    _not_for_bool(a, "bmm")
    return "UnsafeViewBackward0"


# ---------------------------------------------------------------- matmul / mm / bmm / mv / dot
class MatMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                                  a if ctx.needs_input_grad[1] else None)
            ctx.nd = (a.ndim, b.ndim)
        if a.itemsize < 4:      # float16/bfloat16 (and small integers): see _gemm
            return _gemm(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        na, nb = ctx.nd
        # Treat a 1-D a as (1, n) and a 1-D b as (n, 1); g gets the matching unit dims.
        if na == 1 and nb == 1:
            g = g.reshape(1, 1)
        elif na == 1:
            g = g.unsqueeze(-2)
        elif nb == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g.matmul(_conj(b).unsqueeze(0) if nb == 1 else _conj(b).mT)
            if na == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            gb = (_conj(a).unsqueeze(-1) if na == 1 else _conj(a).mT).matmul(g)
            if nb == 1:
                gb = gb.squeeze(-1)
        return ga, gb   # batch dims that were broadcast are summed by the engine

    @staticmethod
    def backward_raw(ctx, g):
        b, a = ctx._saved_arrays()
        na, nb = ctx.nd
        if na == 1 and nb == 1:
            g = g.reshape(1, 1)
        elif na == 1:
            g = g[..., None, :]
        elif nb == 1:
            g = g[..., None]
        ga = gb = None
        if ctx.needs_input_grad[0]:
            bc = b.conj() if b.dtype.kind == "c" else b
            ga = _gemm(g, bc[None, :] if nb == 1 else bc.swapaxes(-1, -2))
            if na == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            ac = a.conj() if a.dtype.kind == "c" else a
            gb = _gemm(ac[:, None] if na == 1 else ac.swapaxes(-1, -2), g)
            if nb == 1:
                gb = gb.squeeze(-1)
        return ga, gb


def _named(r, name):
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


def matmul(input, other, *, out=None):
    if _amp_on[0] and out is None:
        input, other = _amp.maybe_cast("matmul", input, other)
    name = _matmul_check(input, other)
    r = _named(MatMul.apply(input, other), name)
    return r if out is None else write_out(r, out)


def _matmul(input, other, out=None):
    """matmul without autocast: mm, mv, dot and tensordot are ops of their own there."""
    name = _matmul_check(input, other)
    r = _named(MatMul.apply(input, other), name)
    return r if out is None else write_out(r, out)


def mm(input, mat2, *, out=None):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if _amp_on[0] and out is None:
        input, mat2 = _amp.maybe_cast("mm", input, mat2)
    return _matmul(input, mat2, out)


def _check_bmm(b1, b2, names=("batch1", "batch2")):
    for t, n in zip((b1, b2), names):
        if t.ndim != 3:
            raise RuntimeError(f"{n} must be a 3D tensor")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b1.shape[0]}, {b1.shape[2]}] but got: "
                           f"[{b2.shape[0]}, {b2.shape[1]}].")
    _check_scalar_type(b1, b2)


def bmm(input, mat2, *, out=None):
    if _amp_on[0] and out is None:
        input, mat2 = _amp.maybe_cast("bmm", input, mat2)
    _check_bmm(input, mat2)
    _not_for_bool(input, "bmm")
    r = _named(MatMul.apply(input, mat2), "BmmBackward0")
    return r if out is None else write_out(r, out)


def mv(input, vec, *, out=None):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, "
                           f"{vec.ndim}")
    if _amp_on[0] and out is None:
        input, vec = _amp.maybe_cast("mv", input, vec)
    return _matmul(input, vec, out)


def dot(input, other, *, out=None):
    if _amp_on[0] and out is None:
        input, other = _amp.maybe_cast("dot", input, other)
    _check_dot(input, other)
    return _matmul(input, other, out)


class Vdot(Op):
    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                                  a if ctx.needs_input_grad[1] else None)
        return xp_of(a).vdot(a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        ga = _conj(g) * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


def vdot(input, other, *, out=None):
    """sum(conj(input) * other) over two 1-D tensors."""
    if _amp_on[0] and out is None:
        input, other = _amp.maybe_cast("vdot", input, other)
    _check_dot(input, other)
    r = Vdot.apply(input, other)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- outer / inner / tensordot
def outer(input, vec2, *, out=None):
    for t, n in ((input, "self"), (vec2, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {n}, but got {t.ndim}-D")
    r = input.reshape(-1, 1) * vec2   # a product, so dtypes promote as in PyTorch
    return r if out is None else write_out(r, out)


ger = outer


def inner(input, other, *, out=None):
    if input.ndim == 0 or other.ndim == 0:
        r = input * other
        return r if out is None else write_out(r, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {_lst(input.shape)} and {_lst(other.shape)}")
    if _amp_on[0] and out is None and (input.ndim > 1 or other.ndim > 1):
        input, other = _amp.maybe_cast("matmul", input, other)   # PyTorch's goes via matmul
    return tensordot(input, other, ([-1], [-1]), out=out)


def _dims_list(d, name, pos):
    if isinstance(d, builtins.int):
        raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of ints, "
                        "not int")
    return list(d)


def _unique_dims(dims, ndim):
    wrapped = [wrap_dim(d, ndim) for d in dims]
    seen = set()
    for d in wrapped:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return wrapped


def tensordot(a, b, dims=2, out=None):
    if _amp_on[0] and out is None:
        a, b = _amp.maybe_cast("tensordot", a, b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, builtins.int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > builtins.min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = _dims_list(dims[0], "dims_self", 3), _dims_list(dims[1], "dims_other", 4)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa, wb = _unique_dims(da, a.ndim), _unique_dims(db, b.ndim)
    for i, j, ri, rj in zip(wa, wb, da, db):
        sa, sb = a.shape[i], b.shape[j]
        if sb == 1:       # a broadcast contraction is a sum on the other side
            a = a.sum(i, keepdim=True)
        elif sa == 1:
            b = b.sum(j, keepdim=True)
        elif sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {ri} and second has size {sb} in dim {rj}")
    free_a = [i for i in range(a.ndim) if i not in wa]
    free_b = [j for j in range(b.ndim) if j not in wb]
    k = math.prod([a.shape[i] for i in wa])
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    am = a.permute(*free_a, *wa).reshape(-1, k)
    bm = b.permute(*wb, *free_b).reshape(k, -1)
    r = _matmul(am, bm).reshape(out_shape)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- addmm family
def _expand_check(t, shape):
    """PyTorch's `expand` errors for an input that must broadcast to `shape`."""
    if t.ndim > len(shape):
        raise RuntimeError(f"expand({t.type()}{{{_lst(t.shape)}}}, size={_lst(shape)}): the "
                           f"number of sizes provided ({len(shape)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({t.ndim})")
    lead = len(shape) - t.ndim
    for i, s in enumerate(t.shape):
        if s != 1 and s != shape[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[lead + i]}) must match "
                               f"the existing size ({s}) at non-singleton dimension {lead + i}."
                               f"  Target sizes: {_lst(shape)}.  Tensor sizes: {_lst(t.shape)}")


def _scalars(beta, alpha, dt):
    """beta and alpha as the kernel sees them: integer kernels truncate them."""
    if dt.category <= _dt._INT:
        return builtins.int(beta), builtins.int(alpha)
    return beta, alpha


def _combine(m, prod, beta, alpha):
    """beta * m + alpha * prod, where a zero factor drops its term (NaN/inf included)."""
    xp = xp_of(prod)
    if alpha == 0:
        prod = xp.zeros_like(prod)
    elif alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (m if beta == 1 else m * beta)


def _grad_of_m(g, beta):
    return g if beta == 1 else g * beta


def _scaled(t, alpha):
    return t if alpha == 1 else t * alpha


class Addmm(Op):
    @staticmethod
    def forward(ctx, m, a, b, beta, alpha):
        if ctx.needs_input_grad:
            need = ctx.needs_input_grad
            ctx.save_for_backward(b if need[1] else None, a if need[2] else None)
            ctx.beta, ctx.alpha = beta, alpha
        return _combine(m, _gemm(a, b), beta, alpha)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        need = ctx.needs_input_grad
        gm = _grad_of_m(g, ctx.beta) if need[0] else None
        ga = _scaled(g.matmul(_conj(b).mT), ctx.alpha) if need[1] else None
        gb = _scaled(_conj(a).mT.matmul(g), ctx.alpha) if need[2] else None
        return gm, ga, gb, None, None


def _check_addmm(input, mat1, mat2):
    for t, n in ((mat1, "mat1"), (mat2, "mat2")):
        if t.ndim != 2:
            raise RuntimeError(f"{n} must be a matrix, got {t.ndim}-D tensor")
    _check_mm_shapes(mat1.shape, mat2.shape)
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_type_word(input.dtype)} and {_type_word(mat2.dtype)}")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_type_word(mat1.dtype)} and {_type_word(mat2.dtype)}")
    _not_for_bool(mat1, "addmm_impl_cpu_")


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2)."""
    if _amp_on[0] and out is None:
        input, mat1, mat2 = _amp.maybe_cast("addmm", input, mat1, mat2)
    _check_addmm(input, mat1, mat2)
    _expand_check(input, (mat1.shape[0], mat2.shape[1]))
    beta, alpha = _scalars(beta, alpha, mat1.dtype)
    r = Addmm.apply(input, mat1, mat2, beta, alpha)
    return r if out is None else write_out(r, out)


class Baddbmm(Op):
    @staticmethod
    def forward(ctx, m, a, b, beta, alpha):
        if ctx.needs_input_grad:
            need = ctx.needs_input_grad
            ctx.save_for_backward(b if need[1] else None, a if need[2] else None)
            ctx.beta, ctx.alpha = beta, alpha
        return _combine(m, _gemm(a, b), beta, alpha)

    backward = staticmethod(Addmm.backward)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * bmm(batch1, batch2)."""
    if _amp_on[0] and out is None:
        input, batch1, batch2 = _amp.maybe_cast("baddbmm", input, batch1, batch2)
    _check_bmm(batch1, batch2)
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{c_type_name(input.dtype)}, batch1: {c_type_name(batch1.dtype)}, "
                           f"batch2: {c_type_name(batch2.dtype)}")
    _not_for_bool(batch1, "baddbmm")
    _expand_check(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    beta, alpha = _scalars(beta, alpha, batch1.dtype)
    r = Baddbmm.apply(input, batch1, batch2, beta, alpha)
    return r if out is None else write_out(r, out)


class Addbmm(Op):
    @staticmethod
    def forward(ctx, m, a, b, beta, alpha):
        if ctx.needs_input_grad:
            need = ctx.needs_input_grad
            ctx.save_for_backward(b if need[1] else None, a if need[2] else None)
            ctx.beta, ctx.alpha = beta, alpha
        n, k = a.shape[1], a.shape[0] * a.shape[2]
        # sum_b a_b @ b_b is one matrix product over the (batch, inner) pairs
        prod = _gemm(a.transpose(1, 0, 2).reshape(n, k), b.reshape(k, b.shape[2]))
        return _combine(m, prod, beta, alpha)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        need = ctx.needs_input_grad
        gm = _grad_of_m(g, ctx.beta) if need[0] else None
        ga = _scaled(g.unsqueeze(0).matmul(_conj(b).mT), ctx.alpha) if need[1] else None
        gb = _scaled(_conj(a).mT.matmul(g), ctx.alpha) if need[2] else None
        return gm, ga, gb, None, None


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    if _amp_on[0] and out is None:
        input, batch1, batch2 = _amp.maybe_cast("addbmm", input, batch1, batch2)
    for t, n in ((batch1, "batch1"), (batch2, "batch2")):
        if t.ndim != 3:
            raise RuntimeError(f"{n} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({_sh(batch1.shape[1:])} and "
                           f"{_sh(batch2.shape[1:])})")
    if input.dtype is not batch2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_type_word(input.dtype)} and {_type_word(batch2.dtype)}")
    if batch1.dtype is not batch2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_type_word(batch1.dtype)} and {_type_word(batch2.dtype)}")
    _not_for_bool(batch1, "addmm_impl_cpu_")
    _expand_check(input, (batch1.shape[1], batch2.shape[2]))
    beta, alpha = _scalars(beta, alpha, batch1.dtype)
    r = Addbmm.apply(input, batch1, batch2, beta, alpha)
    return r if out is None else write_out(r, out)


class Addmv(Op):
    @staticmethod
    def forward(ctx, m, a, v, beta, alpha):
        if ctx.needs_input_grad:
            need = ctx.needs_input_grad
            ctx.save_for_backward(v if need[1] else None, a if need[2] else None)
            ctx.beta, ctx.alpha = beta, alpha
        return _combine(m, _gemm(a, v), beta, alpha)

    @staticmethod
    def backward(ctx, g):
        v, a = ctx.saved_tensors
        need = ctx.needs_input_grad
        gm = _grad_of_m(g, ctx.beta) if need[0] else None
        ga = _scaled(g.unsqueeze(-1) * _conj(v), ctx.alpha) if need[1] else None
        gv = _scaled(_conj(a).mT.matmul(g), ctx.alpha) if need[2] else None
        return gm, ga, gv, None, None


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec)."""
    if _amp_on[0] and out is None:
        input, mat, vec = _amp.maybe_cast("addmv", input, mat, vec)
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    n = input.shape[0] if input.ndim == 1 and input.shape[0] != 1 else mat.shape[0]
    _check_mv(n, mat.shape, vec.shape[0])
    _check_mv_dtypes(input.dtype, mat, vec)
    _not_for_bool(mat, "addmv_impl_cpu")
    beta, alpha = _scalars(beta, alpha, mat.dtype)
    r = Addmv.apply(input, mat, vec, beta, alpha)
    return r if out is None else write_out(r, out)


class Addr(Op):
    @staticmethod
    def forward(ctx, m, v1, v2, beta, alpha, npdt):
        m, v1, v2 = (x.astype(npdt, copy=False) for x in (m, v1, v2))
        if ctx.needs_input_grad:
            need = ctx.needs_input_grad
            ctx.save_for_backward(v2 if need[1] else None, v1 if need[2] else None)
            ctx.beta, ctx.alpha = beta, alpha
        xp = xp_of(v1)
        if npdt == np.bool_:   # bools: (beta and m) or (alpha and v1 v2^T)
            prod = xp.logical_and.outer(v1, v2) if alpha else xp.zeros((len(v1), len(v2)), bool)
            return (m | prod) if beta else prod
        return _combine(m, xp.multiply.outer(v1, v2), beta, alpha)

    @staticmethod
    def backward(ctx, g):
        v2, v1 = ctx.saved_tensors
        need = ctx.needs_input_grad
        gm = _grad_of_m(g, ctx.beta) if need[0] else None
        gv1 = _scaled(g.matmul(_conj(v2)), ctx.alpha) if need[1] else None
        gv2 = _scaled(g.mT.matmul(_conj(v1)), ctx.alpha) if need[2] else None
        return gm, gv1, gv2, None, None, None


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2), in the promoted dtype of all three."""
    if _amp_on[0] and out is None:
        input, vec1, vec2 = _amp.maybe_cast("addr", input, vec1, vec2)
    for t, n in ((vec1, "vec1"), (vec2, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {n}, but got {t.ndim}-D")
    dt = _dt.result_type(input, vec1, vec2)
    if dt.category <= _dt._INT:
        for v, n in ((beta, "beta"), (alpha, "alpha")):
            if isinstance(v, builtins.float):
                raise RuntimeError(f"For integral input tensors, argument {n} must not be a "
                                   "floating point number.")
    _expand_check(input, (vec1.shape[0], vec2.shape[0]))
    r = Addr.apply(input, vec1, vec2, beta, alpha, dt.np)
    return r if out is None else write_out(r, out)


def _check_inplace_shape(self, shape):
    if tuple(self.shape) != tuple(shape):
        raise RuntimeError(f"Bad in-place call: input tensor size {_lst(self.shape)} and output "
                           f"tensor size {_lst(shape)} should match")


def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    if mat1.ndim == 2 and mat2.ndim == 2:
        _check_inplace_shape(self, (mat1.shape[0], mat2.shape[1]))
    with _amp.suspended():   # in-place variants are not autocast
        r = addmm(self, mat1, mat2, beta=beta, alpha=alpha)
    return apply_inplace(self, r)


def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    if batch1.ndim == 3 and batch2.ndim == 3:
        _check_inplace_shape(self, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    with _amp.suspended():   # in-place variants are not autocast
        r = baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)
    return apply_inplace(self, r)


def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    with _amp.suspended():   # in-place variants are not autocast
        r = addbmm(self, batch1, batch2, beta=beta, alpha=alpha)
    return apply_inplace(self, r)


def addmv_(self, mat, vec, *, beta=1, alpha=1):
    with _amp.suspended():   # in-place variants are not autocast
        r = addmv(self, mat, vec, beta=beta, alpha=alpha)
    return apply_inplace(self, r)


def addr_(self, vec1, vec2, *, beta=1, alpha=1):
    if vec1.ndim == 1 and vec2.ndim == 1 and tuple(self.shape) != (len(vec1), len(vec2)):
        raise RuntimeError(f"size mismatch, input: {_lst(self.shape)}, v1: {_lst(vec1.shape)}, "
                           f"v2: {_lst(vec2.shape)}")
    with _amp.suspended():   # in-place variants are not autocast
        r = addr(self, vec1, vec2, beta=beta, alpha=alpha)
    return apply_inplace(self, r)


# ---------------------------------------------------------------- einsum
_ELL = -1          # an ellipsis in a parsed subscript list
_ELL_BASE = 52     # internal labels of the dims an ellipsis covers: 52, 53, ...


def _label(c):
    """'A'-'Z' -> 0..25, 'a'-'z' -> 26..51 (PyTorch's order: upper case sorts first)."""
    if "A" <= c <= "Z":
        return ord(c) - 65
    if "a" <= c <= "z":
        return ord(c) - 97 + 26
    return None


def _label_char(n):
    return chr(65 + n) if n < 26 else chr(97 + n - 26)


def _parse_lhs(lhs, nops):
    subs = [[]]
    found_ell = False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        k = len(subs) - 1
        if c == ".":
            if found_ell:
                raise RuntimeError(f"einsum(): found '.' for operand {k} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of "
                                   "any ellipsis")
            subs[-1].append(_ELL)
            found_ell = True
            i += 2
        elif c == ",":
            if len(subs) >= nops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in "
                                   "the equation")
            subs.append([])
            found_ell = False
        elif c != " ":
            lab = _label(c)
            if lab is None:
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            subs[-1].append(lab)
        i += 1
    if len(subs) != nops:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    return subs


def _parse_rhs(rhs, offset, counts):
    out = []
    found_ell = False
    i = 0
    while i < len(rhs):
        c = rhs[i]
        if c == ".":
            if found_ell:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                   "already found")
            if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                   "ellipsis (...)")
            out.append(_ELL)
            found_ell = True
            i += 2
        elif c != " ":
            lab = _label(c)
            if lab is None:
                raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in "
                                   "the equation string, subscripts must be in [a-zA-Z]")
            if lab in out:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if not counts.get(lab):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
            out.append(lab)
        i += 1
    return out


def _expand_ellipses(subs, ndims):
    """Replace each operand's ellipsis by labels for the dims it covers (right-aligned across
    operands, so they broadcast); return the new lists and the ellipsis width."""
    widths = []
    for k, (s, nd) in enumerate(zip(subs, ndims)):
        n = len(s)
        if _ELL in s:
            if n - 1 > nd:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n - 1})"
                                   f" is more than the number of dimensions ({nd}) for operand "
                                   f"{k}")
            widths.append(nd - (n - 1))
        else:
            if n != nd:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) "
                                   f"does not match the number of dimensions ({nd}) for operand "
                                   f"{k} and no ellipsis was given")
            widths.append(0)
    width = builtins.max(widths, default=0)
    out = []
    for s, w in zip(subs, widths):
        labels = []
        for lab in s:
            if lab == _ELL:
                labels.extend(_ELL_BASE + width - w + j for j in range(w))
            else:
                labels.append(lab)
        out.append(labels)
    return out, width


def _label_sizes(subs, shapes, width):
    sizes = {}
    for k, (s, shape) in enumerate(zip(subs, shapes)):
        own = {}
        for lab, n in zip(s, shape):
            if lab in own:
                if own[lab] != n:
                    raise RuntimeError(f"einsum(): subscript {_label_char(lab)} is repeated for "
                                       f"operand {k} but the sizes don't match, {n} != "
                                       f"{own[lab]}")
                continue
            own[lab] = n
            prev = sizes.get(lab)
            if prev is not None and prev != n and prev != 1 and n != 1:
                if lab >= _ELL_BASE:
                    j = lab - _ELL_BASE - (width - builtins.sum(x >= _ELL_BASE for x in s))
                    raise RuntimeError(f"einsum(): dimension {j} covered by ellipsis in operand "
                                       f"{k}has size {n} which does not broadcast with "
                                       f"previously seen ellipsis with size {prev} for the "
                                       "respective dimension")
                raise RuntimeError(f"einsum(): subscript {_label_char(lab)} has size {n} for "
                                   f"operand {k} which does not broadcast with previously seen "
                                   f"size {prev}")
            sizes[lab] = n if prev is None or prev == 1 else prev
    return sizes


def _sublist_equation(args):
    """einsum(op0, sub0, op1, sub1, ..., [out]) -> ("equation", operands)."""
    def term(sub):
        parts = []
        for n in sub:
            if n is Ellipsis:
                parts.append("...")
            elif isinstance(n, builtins.int) and 0 <= n < 52:
                parts.append(_label_char(n))
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the "
                                 "valid range [0, 52)")
        return "".join(parts)
    ops = list(args[0::2])
    subs = list(args[1::2])
    eq = ",".join(term(s) for s in subs[:len(ops)])
    if len(subs) > len(ops):
        raise ValueError("einsum(): more subscript lists than operands")
    if len(args) % 2:    # an output sublist came last
        ops, out = ops[:-1], ops[-1]
        eq = ",".join(term(s) for s in subs) + "->" + term(out)
    return eq, ops


class Einsum(Op):
    """einsum on integer label lists; the gradient of one operand is the einsum of the others
    with the output's gradient, so it is differentiable again."""

    @staticmethod
    def forward(ctx, *args):
        *arrays, spec = args
        subs, out_sub = spec
        if ctx.needs_input_grad:
            ctx.save_for_backward(*arrays)
            ctx.spec = spec
            ctx.sizes = _sizes_of(arrays, subs)
        a0 = arrays[0]
        if a0.itemsize < 4 and a0.dtype.kind in "fV":   # half precision: float32, rounded once
            arrays = [a.astype(np.float32) for a in arrays]
            return _np_einsum(arrays, subs, out_sub).astype(a0.dtype)
        return _np_einsum(arrays, subs, out_sub)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        subs, out_sub = ctx.spec
        grads = [(_einsum_grad(k, ops, subs, out_sub, ctx.sizes, g)
                  if ctx.needs_input_grad[k] else None) for k in range(len(ops))]
        return (*grads, None)


def _sizes_of(arrays, subs):
    sizes = {}
    for a, s in zip(arrays, subs):
        for lab, n in zip(s, a.shape):
            sizes[lab] = builtins.max(sizes.get(lab, 1), n)
    return sizes


def _np_einsum(arrays, subs, out_sub):
    """Contract the operands left to right, a pair at a time, each pair as one (batched)
    matmul: NumPy's own einsum has no BLAS path for products sharing a batch label."""
    originals = arrays
    arrays, subs = list(arrays), [tuple(s) for s in subs]
    n = len(arrays)
    for k in range(n):   # diagonals and labels no one else needs are settled first
        elsewhere = set(out_sub).union(*(subs[j] for j in range(n) if j != k))
        keep = tuple(dict.fromkeys(lab for lab in subs[k] if lab in elsewhere))
        if keep != subs[k]:
            arrays[k], subs[k] = _einsum1(arrays[k], subs[k], keep), keep
    cur, cur_sub = arrays[0], subs[0]
    for k in range(1, n):
        later = set(out_sub).union(*subs[k + 1:])
        cur, cur_sub = _contract_pair(cur, cur_sub, arrays[k], subs[k], later)
    out = _einsum1(cur, cur_sub, tuple(out_sub))
    xp = xp_of(out)
    if any(xp.may_share_memory(out, a) for a in originals):
        out = out.copy()   # a transpose or diagonal of an input is a view; results own memory
    return out


def _einsum1(a, sub, out_sub):
    """One-operand einsum (diagonal, sum, transpose) with labels renumbered for NumPy."""
    if tuple(sub) == tuple(out_sub):
        return a
    code = {lab: i for i, lab in enumerate(dict.fromkeys(sub))}
    return xp_of(a).einsum(a, [code[lab] for lab in sub], [code[lab] for lab in out_sub])


def _contract_pair(a, sa, b, sb, later):
    """a (labels sa) times b (labels sb), summing the labels no one `later` needs; returns the
    product and its labels: shared-and-kept (batch), a's own, b's own."""
    a, sa = _sum_unneeded(a, sa, set(sb) | later)
    b, sb = _sum_unneeded(b, sb, set(sa) | later)
    batch = [lab for lab in sa if lab in sb and lab in later]
    contract = [lab for lab in sa if lab in sb and lab not in later]
    a_only = [lab for lab in sa if lab not in sb]
    b_only = [lab for lab in sb if lab not in sa]
    for lab in contract:   # a size-1 (broadcast) side of a contraction: sum the other side
        i, j = sa.index(lab), sb.index(lab)
        if a.shape[i] != b.shape[j]:
            if a.shape[i] == 1:
                b = b.sum(axis=j, keepdims=True)
            else:
                a = a.sum(axis=i, keepdims=True)
    a = a.transpose([sa.index(lab) for lab in batch + a_only + contract])
    b = b.transpose([sb.index(lab) for lab in batch + contract + b_only])
    nb, na = len(batch), len(a_only)
    a_free, b_free = a.shape[nb:nb + na], b.shape[nb + len(contract):]
    k = math.prod(a.shape[nb + na:])
    r = xp_of(a).matmul(a.reshape(a.shape[:nb] + (math.prod(a_free), k)),
                        b.reshape(b.shape[:nb] + (k, math.prod(b_free))))
    r = r.reshape(r.shape[:nb] + a_free + b_free)
    return r, tuple(batch + a_only + b_only)


def _sum_unneeded(a, sub, needed):
    keep = tuple(lab for lab in sub if lab in needed)
    return (a, tuple(sub)) if keep == tuple(sub) else (_einsum1(a, sub, keep), keep)


def _einsum_grad(k, ops, subs, out_sub, sizes, g):
    """d(einsum)/d(operand k): contract everything else with g into operand k's labels.
    A label repeated in operand k (a diagonal) is renamed and tied back by an identity; a label
    summed away inside operand k alone is restored by a ones vector."""
    used = {lab for s in subs for lab in s} | set(out_sub)
    fresh = (n for n in range(10 ** 6) if n not in used)
    xp = xp_of(g._data)
    dev, npdt = g._device, g._data.dtype
    target, seen = [], set()
    operands = [_conj(ops[j]) for j in range(len(ops)) if j != k] + [g]
    labels = [subs[j] for j in range(len(ops)) if j != k] + [out_sub]
    for lab in subs[k]:
        if lab in seen:
            new = next(fresh)
            operands.append(_make(xp.eye(sizes[lab], dtype=npdt), dev))
            labels.append((lab, new))
            target.append(new)
        else:
            seen.add(lab)
            target.append(lab)
    # every label of operand k must reach its full (broadcast) size; the engine sums it back
    full = {lab for t, s in zip(operands, labels) for lab, n in zip(s, t.shape)
            if n == sizes.get(lab, n)}
    for lab in seen - full:
        operands.append(_make(xp.ones(sizes[lab], dtype=npdt), dev))
        labels.append((lab,))
    return Einsum.apply(*operands, (tuple(map(tuple, labels)), tuple(target)))


def einsum(*args):
    """einsum("ij,jk->ik", a, b), einsum("ij,jk", [a, b]) or einsum(a, [0, 1], b, [1, 2])."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, "
                        "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    subs = _parse_lhs(lhs, len(operands))
    counts = {}
    for s in subs:
        for lab in s:
            counts[lab] = counts.get(lab, 0) + 1
    rhs = None if arrow < 0 else _parse_rhs(equation[arrow + 2:], arrow + 2, counts)
    subs, width = _expand_ellipses(subs, [t.ndim for t in operands])
    ell = [_ELL_BASE + j for j in range(width)]
    if rhs is None:   # implicit output: the ellipsis, then labels used once, in order
        out = ell + sorted(lab for lab, c in counts.items() if c == 1 and lab != _ELL)
    else:
        out = []
        for lab in rhs:
            out.extend(ell if lab == _ELL else [lab])
    _label_sizes(subs, [t.shape for t in operands], width)
    if _amp_on[0]:
        operands, = _amp.maybe_cast("einsum", operands)
    for t in operands[1:]:
        _check_scalar_type(operands[0], t)
    return _einsum_typed(operands, subs, out)


def _einsum_typed(operands, subs, out):
    """Integer and bool einsums follow PyTorch's kernels: a sum inside one operand promotes
    to int64 (it is `sum`), a product of bools has no contraction kernel."""
    dt = operands[0].dtype
    spec = (tuple(map(tuple, subs)), tuple(out))
    summed = {lab for s in subs for lab in s} - set(out)
    if dt.category > _dt._INT or not summed:
        if dt is _dt.bool:
            return _einsum_bool(operands, spec)
        return Einsum.apply(*operands, spec)
    if len(operands) == 1:
        return Einsum.apply(operands[0].long(), spec)
    if dt is _dt.bool:
        raise NotImplementedError('"bmm" not implemented for \'Bool\'')
    return Einsum.apply(*operands, spec)


def _einsum_bool(operands, spec):
    r = Einsum.apply(*[t.to(_dt.uint8) for t in operands], spec)
    return r.to(_dt.bool)


# ---------------------------------------------------------------- cross
class LinalgCross(Op):
    @staticmethod
    def forward(ctx, a, b, dim):
        if ctx.needs_input_grad:
            ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                                  a if ctx.needs_input_grad[1] else None)
            ctx.dim = dim
        return xp_of(a).cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        ga = cross(_conj(b), g, dim=ctx.dim) if ctx.needs_input_grad[0] else None
        gb = cross(g, _conj(a), dim=ctx.dim) if ctx.needs_input_grad[1] else None
        return ga, gb, None


_CROSS_DIM_WARNING = (
    "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
    "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to "
    "agree with that of linalg.cross in a future release.")


def cross(input, other, dim=None, *, out=None):
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:
        warnings.warn(_CROSS_DIM_WARNING, UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    broadcast_shapes(input.shape, other.shape)
    _check_scalar_type(input, other)
    _not_for_bool(input, "cross")
    r = LinalgCross.apply(input, other, d)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- chain_matmul / matrix_power
def _chain_order(shapes):
    """The cheapest parenthesisation of a matrix chain (the classic dynamic programme);
    returns split[i][j], the k where (i..k)(k+1..j) is split."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(ms, split, i, j):
    if i == j:
        return ms[i]
    k = split[i][j]
    return _chain(ms, split, i, k).matmul(_chain(ms, split, k + 1, j))


def chain_matmul(*matrices, out=None):
    """Deprecated alias of linalg.multi_dot for 2-D matrices given as separate arguments."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if _amp_on[0] and out is None:
        matrices, = _amp.maybe_cast("chain_matmul", matrices)
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        r = matrices[0].clone()
        return r if out is None else write_out(r, out)
    for i in range(len(matrices) - 1):
        a, b = matrices[i], matrices[i + 1]
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{_lst(a.shape)} and {_lst(b.shape)} cannot be multiplied")
    split = _chain_order([m.shape for m in matrices])
    r = _chain(matrices, split, 0, len(matrices) - 1)
    return r if out is None else write_out(r, out)


class _Identity(Op):
    """matrix_power(A, 0): identity matrices shaped like A; A gets a zero gradient."""
    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        return xp.ascontiguousarray(xp.broadcast_to(eye, a.shape))

    @staticmethod
    def backward(ctx, g):
        return g * 0


def matrix_power(input, n):
    if input.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {input.shape[-2]} by {input.shape[-1]} matrices")
    if n == 0:
        return _Identity.apply(input)
    if n == 1:
        return input.clone()
    a = input
    if n < 0:
        a, n = _inverse(input), -n
    # binary powering: about log2(n) squarings
    result = None
    while n:
        if n & 1:
            result = a if result is None else result.matmul(a)
        n >>= 1
        if n:
            a = a.matmul(a)
    return result


def _inverse(a):
    if not (a.dtype.is_floating_point or a.dtype.is_complex):
        raise RuntimeError(f"linalg.inv: Expected a floating point or complex tensor as input. "
                           f"Got {_type_word(a.dtype)}")
    try:
        from .. import linalg
        inv = linalg.inv
    except (ImportError, AttributeError):
        raise NotImplementedError("matrix_power with a negative exponent needs ember.linalg.inv"
                                  ", which is not available yet") from None
    return inv(a)
