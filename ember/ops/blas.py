"""The matmul family: matmul, mm, bmm, mv, dot (BLAS through NumPy/CuPy)."""
from .. import dtypes as _dt
from ..tensor import Tensor
from ..autograd.function import Op
from ._util import write_out

__all__ = ["matmul", "mm", "bmm", "mv", "dot"]


def _sh(shape):
    return "x".join(map(str, shape))


def _check_dtypes(a, b, name):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != "
                           f"{b.dtype}")


class MatMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.save_for_backward(b if ctx.needs_input_grad[0] else None,
                                  a if ctx.needs_input_grad[1] else None)
            ctx.nd = (a.ndim, b.ndim)
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
            ga = g.matmul(b.unsqueeze(0) if nb == 1 else b.mT)
            if na == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            gb = (a.unsqueeze(-1) if na == 1 else a.mT).matmul(g)
            if nb == 1:
                gb = gb.squeeze(-1)
        return ga, gb   # batch dims that were broadcast are summed by the engine


def matmul(input, other, *, out=None):
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim <= 2 and b.ndim <= 2:
            if a.ndim == 2 and b.ndim == 2:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_sh(a.shape)} "
                                   f"and {_sh(b.shape)})")
            if a.ndim == 1 and b.ndim == 1:
                raise RuntimeError(f"inconsistent tensor size, expected tensor [{ka}] and src "
                                   f"[{kb}] to have the same number of elements, but got {ka} "
                                   f"and {kb} elements respectively")
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_sh(a.shape)}), "
                               f"vec ({b.shape[0]})" if b.ndim == 1 else
                               f"size mismatch, got input ({_sh(a.shape)}) and other "
                               f"({_sh(b.shape)})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b.shape[0] if b.ndim > 2 else 1}, {ka}] but got: "
                           f"[{b.shape[0] if b.ndim > 2 else 1}, {kb}].")
    _check_dtypes(a, b, "matmul")
    r = MatMul.apply(a, b)
    return r if out is None else write_out(r, out)


def mm(input, mat2, *, out=None):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    r = matmul(input, mat2)
    if r.grad_fn is not None:
        r.grad_fn._name = "MmBackward0"
    return r if out is None else write_out(r, out)


def bmm(input, mat2, *, out=None):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    r = matmul(input, mat2)
    if r.grad_fn is not None:
        r.grad_fn._name = "BmmBackward0"
    return r if out is None else write_out(r, out)


def mv(input, vec, *, out=None):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return matmul(input, vec, out=out)


def dot(input, other, *, out=None):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_long(input.dtype)} and {_long(other.dtype)}")
    return matmul(input, other, out=out)


def _long(d):
    from ._util import _type_word
    return _type_word(d)
