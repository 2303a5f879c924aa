"""Reductions: sum, mean, ... over `dim` (int, tuple or None) with `keepdim` and `dtype`."""
from .. import dtypes as _dt
from ..tensor import Tensor
from ..autograd.function import Op
from ._util import dims_tuple, write_out

__all__ = ["sum", "mean"]


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim and dims:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)


class Sum(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, npdt):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if len(dims) != a.ndim:
            ctx._name = "SumBackward1"
        return a.sum(axis=dims, keepdims=keepdim, dtype=npdt)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


def _sum_dtype(input, dtype):
    if dtype is not None:
        return _dt.as_dtype(dtype)
    d = input.dtype
    # integer and bool sums accumulate in int64, as PyTorch does
    return _dt.int64 if d.category <= _dt._INT else d


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    dims = dims_tuple(dim, input.ndim) if not (isinstance(dim, (tuple, list)) and
                                               len(dim) == 0) else tuple(range(input.ndim))
    r = Sum.apply(input, dims, keepdim, _sum_dtype(input, dtype).np)
    return r if out is None else write_out(r, out)


class Mean(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, npdt):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= a.shape[d]
        ctx.n = n
        if len(dims) != a.ndim:
            ctx._name = "MeanBackward1"
        return a.mean(axis=dims, keepdims=keepdim, dtype=npdt)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g / ctx.n, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    d = _dt.as_dtype(dtype) if dtype is not None else input.dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_long_name(d)}")
    dims = dims_tuple(dim, input.ndim) if not (isinstance(dim, (tuple, list)) and
                                               len(dim) == 0) else tuple(range(input.ndim))
    r = Mean.apply(input, dims, keepdim, d.np)
    return r if out is None else write_out(r, out)


def _long_name(d):
    from ._util import _type_word
    return _type_word(d)
