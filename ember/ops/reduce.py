"""Reductions: sum, mean, prod, std/var, max/min, norms, cumulative ops, order statistics.

`dim` is an int, a tuple/list or None (every dim) with `keepdim`, and `dtype=` where PyTorch
has it. Result dtypes follow PyTorch: integer and bool sums/products accumulate in int64,
mean/std/var need a floating (or complex) input, indices are int64, all/any give bool (uint8
for uint8 input). Ops with several results return `ember.return_types` named tuples.

Gradients follow PyTorch's formulas (derivatives.yaml): ties in amax/amin/max() share the
gradient evenly; max(dim)/median(dim)/mode/cummax send it to the chosen index; prod and
cumprod stay exact when the input holds zeros. Every backward is written with Tensor ops,
so double backward works; masks that only depend on where ties or zeros are (piecewise
constant in the input) enter as constant arrays. The nuclear norm is differentiable once
(its backward uses the SVD's factors as constants).

Where PyTorch's CPU kernels pick among equal values with libstdc++'s std::sort /
std::nth_element (mode, nanmedian of all-NaN slices), those algorithms are reproduced so the
returned index matches.
"""
import builtins
import functools
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from ..tensor import Tensor, _make
from ..autograd.function import Op, once_differentiable
from ..amp import autocast_mode as _amp
from ..autograd import grad_mode
from ._util import write_out, wrap_dim, xp_of, apply_inplace, _type_word, broadcast_view

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "std", "var", "std_mean", "var_mean",
           "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "all", "any", "norm",
           "logsumexp", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "median",
           "nanmedian", "mode", "quantile", "nanquantile", "count_nonzero", "diff", "histc",
           "bincount"]

_bmax = builtins.max
_enabled = grad_mode._enabled


# ================================================================ shared helpers
def _np_compat(fn):
    """Accept NumPy's spellings `axis=` / `keepdims=` as PyTorch's argument parser does."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    return wrapper


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _is_int(d):
    return isinstance(d, (int, np.integer)) and not isinstance(d, bool)


def _dims(dim, ndim, empty_means_all=True):
    """Sorted non-negative dims to reduce; None or () means every dim. A 0-dim tensor accepts
    dim 0 or -1 and reduces nothing (NumPy has no axis to name there)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return tuple(range(ndim)) if empty_means_all else ()
        out = []
        for d in dim:
            if not _is_int(d):
                raise TypeError(f"argument 'dim' must be tuple of ints, but found element of "
                                f"type {type(d).__name__}")
            w = wrap_dim(d, ndim)
            if w in out:
                raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
            out.append(w)
        return () if ndim == 0 else tuple(sorted(out))
    if not _is_int(dim):
        raise TypeError(f"argument 'dim' must be tuple of ints, not {type(dim).__name__}")
    w = wrap_dim(dim, ndim)
    return () if ndim == 0 else (w,)


def _one_dim(dim, ndim, name=None):
    """A single dim for ops that take exactly one (max(dim), cumsum, median, ...)."""
    if not _is_int(dim):
        where = f"{name}(): argument 'dim' (position 2)" if name else "argument 'dim'"
        raise TypeError(f"{where} must be int, not {type(dim).__name__}")
    return wrap_dim(dim, ndim)


def _reduced_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _keep(g, in_shape, dims, keepdim):
    """Reshape a reduced result (or its gradient) to the keepdim shape, for broadcasting."""
    if keepdim or not dims:
        return g
    return g.reshape(_reduced_shape(in_shape, dims, True))


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims (one op, not reshape + expand:
    every `loss.backward()` runs this, so it is kept cheap)."""
    if g._data.shape == tuple(in_shape):
        return g
    return ExpandBack.apply(g, tuple(in_shape), dims, keepdim)


def _expand_back_raw(g, in_shape, dims, keepdim):
    """_expand_back on arrays (for backward_raw)."""
    if g.shape == tuple(in_shape):
        return g
    if not keepdim and dims:
        g = g.reshape(_reduced_shape(in_shape, dims, True))
    return broadcast_view(g, tuple(in_shape))


class ExpandBack(Op):
    """The backward of a reduction over `dims`: a read-only broadcast view of g over the
    input's shape. Its own backward sums those dims again (differentiable, for double
    backward)."""

    @staticmethod
    def forward(ctx, g, in_shape, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        return _expand_back_raw(g, in_shape, dims, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return gg.sum(ctx.dims, keepdim=ctx.keepdim), None, None, None


def _numel(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _rename(r, name):
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


def _const(arr, ref):
    """A constant Tensor (no grad) on `ref`'s device."""
    if not hasattr(arr, "__array_interface__") and not hasattr(arr, "__cuda_array_interface__"):
        arr = np.asarray(arr)   # NumPy arithmetic on 0-dim arrays gives scalars
    elif isinstance(arr, np.generic):
        arr = np.asarray(arr)
    return _make(arr, ref._device)


def _float_dtype(d):
    return d.is_floating_point or d.is_complex


def _check_empty_full(input, name, err=RuntimeError, extra=True):
    if input.numel() == 0:
        msg = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        if extra:
            msg += " Specify the reduction dim with the 'dim' argument."
        raise err(msg)


def _check_nonzero_dims(input, dims, name, sep="():"):
    shape = input.shape
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{name}{sep} Expected reduction dim {d} to have non-zero size.")


def _write_tuple(res, out, name):
    if not isinstance(out, (tuple, list)) or len(out) != len(res):
        raise TypeError(f"{name}(): argument 'out' must be tuple of {len(res)} Tensors")
    for r, o in zip(res, out):
        write_out(r, o)
    return type(res)(*out)


def _errstate():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _grad_check_dtype(input, d):
    if _enabled[0] and input._requires_grad and not _float_dtype(d):
        raise RuntimeError(f"Autograd not support dtype: {_type_word(d)}")


# ================================================================ private differentiable helpers
# Small primitives the backward formulas are built from. Each one's backward is another of
# them, so gradients of gradients work.
def _add_at(out, idx, vals, axis):
    """out[..., idx, ...] += vals along `axis` (repeated indices accumulate)."""
    xp = xp_of(out)
    vals = xp.broadcast_to(vals, idx.shape)
    grids = list(xp.ogrid[tuple(slice(0, s) for s in idx.shape)])
    grids[axis] = idx
    if xp is np and out.dtype.kind == "f":
        flat = np.ravel_multi_index(np.broadcast_arrays(*grids), out.shape).ravel()
        out += np.bincount(flat, weights=vals.ravel(), minlength=out.size) \
            .reshape(out.shape).astype(out.dtype, copy=False)
    elif xp is np:
        np.add.at(out, tuple(grids), vals)
    else:
        import cupyx
        cupyx.scatter_add(out, tuple(grids), vals)
    return out


class _Gather(Op):
    """take_along_axis with a constant index array; the adjoint of _ScatterAdd."""
    @staticmethod
    def forward(ctx, a, idx, axis):
        axis %= a.ndim
        ctx.idx, ctx.axis = idx, axis
        ctx.shape = np.broadcast_shapes(
            tuple(1 if i == axis else s for i, s in enumerate(a.shape)),
            tuple(1 if i == axis else s for i, s in enumerate(idx.shape)))
        ctx.shape = ctx.shape[:axis] + (a.shape[axis],) + ctx.shape[axis + 1:]
        return xp_of(a).take_along_axis(a, idx, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return _ScatterAdd.apply(g, ctx.idx, ctx.axis, ctx.shape), None, None


class _ScatterAdd(Op):
    """zeros(shape) with `g` added at `idx` along `axis`."""
    @staticmethod
    def forward(ctx, g, idx, axis, shape):
        ctx.idx, ctx.axis = idx, axis
        return _add_at(xp_of(g).zeros(shape, g.dtype), idx, g, axis)

    @staticmethod
    def backward(ctx, gg):
        return _Gather.apply(gg, ctx.idx, ctx.axis), None, None, None


def _gather(t, idx, axis):
    return _Gather.apply(t, idx, axis)


class _MaskedFill(Op):
    """where(mask, value, a) for a constant mask."""
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return xp_of(a).where(mask, a.dtype.type(value), a)

    @staticmethod
    def backward(ctx, g):
        return _MaskedFill.apply(g, ctx.mask, 0), None, None


def _masked_fill(t, mask, value):
    if not mask.any():
        return t
    return _MaskedFill.apply(t, mask, value)


class _Shift(Op):
    """Shift by one along `dim`: out[i] = a[i-1] (toward_end) or a[i+1], `fill` at the edge."""
    @staticmethod
    def forward(ctx, a, dim, toward_end, fill):
        ctx.dim, ctx.toward_end = dim, toward_end
        out = xp_of(a).empty_like(a)
        lo = [slice(None)] * a.ndim
        hi = [slice(None)] * a.ndim
        edge = [slice(None)] * a.ndim
        lo[dim], hi[dim] = slice(None, -1), slice(1, None)
        if toward_end:
            out[tuple(hi)] = a[tuple(lo)]
            edge[dim] = slice(0, 1)
        else:
            out[tuple(lo)] = a[tuple(hi)]
            edge[dim] = slice(-1, None)
        out[tuple(edge)] = fill
        return out

    @staticmethod
    def backward(ctx, g):
        return _Shift.apply(g, ctx.dim, not ctx.toward_end, 0), None, None, None


def _exclusive_cumprod(x, dim, reverse):
    """prod of the elements strictly before each position (after it, when reverse)."""
    return _cumprod(_Shift.apply(x, dim, not reverse, 1), dim, reverse)


# ================================================================ sum / nansum / mean / nanmean
def _acc_dtype(input, dtype):
    if dtype is not None:
        return _dt.as_dtype(dtype)
    d = input.dtype
    # integer and bool sums accumulate in int64, as PyTorch does
    return _dt.int64 if d.category <= _dt._INT else d


def _np_sum(a, dims, keepdim, npdt, nan=False):
    xp = xp_of(a)
    if nan and a.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if a.dtype != npdt:
        a = a.astype(npdt)
    if xp is np and not nan and npdt.itemsize >= 4:
        # np.add.reduce skips np.sum's Python wrapper, and axis=None (all dims) is NumPy's
        # fastest reduction path: together ~2-4 us less per call.
        return np.add.reduce(a, axis=None if len(dims) == a.ndim else dims, dtype=npdt,
                             keepdims=keepdim)
    f = xp.nansum if nan and a.dtype.kind in "fc" else xp.sum
    if npdt.kind == "f" and npdt.itemsize < 4:
        # half precision accumulates in float32, as PyTorch does
        return f(a, axis=dims, keepdims=keepdim, dtype=np.float32).astype(npdt)
    # dtype= stops NumPy from widening small integer sums to int64
    return f(a, axis=dims, keepdims=keepdim, dtype=npdt)


class Sum(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, npdt):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return _np_sum(a, dims, keepdim, npdt)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        return _expand_back_raw(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


@_np_compat
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if _amp_on[0] and dtype is None and out is None:
        input, = _amp.maybe_cast("sum", input)
    _check_tensor(input, "sum")
    d = _acc_dtype(input, dtype)
    if dtype is not None:
        _grad_check_dtype(input, d)
    r = Sum.apply(input, _dims(dim, input.ndim), keepdim, d.np)
    if dim is not None:
        _rename(r, "SumBackward1")
    return r if out is None else write_out(r, out)


class Nansum(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, npdt):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if ctx.needs_input_grad and a.dtype.kind in "fc":
            ctx.keep = ~xp_of(a).isnan(a)
        return _np_sum(a, dims, keepdim, npdt, nan=True)

    @staticmethod
    def backward(ctx, g):
        g = _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g * _const(ctx.keep.astype(g._data.dtype), g), None, None, None


@_np_compat
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _check_tensor(input, "nansum")
    d = _acc_dtype(input, dtype)
    r = Nansum.apply(input, _dims(dim, input.ndim), keepdim, d.np)
    return r if out is None else write_out(r, out)


class Mean(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, npdt):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        ctx.n = n = _numel(a.shape, dims)
        with _errstate():
            s = _np_sum(a, dims, keepdim, npdt)
            return s / n if n else s * np.nan

    @staticmethod
    def backward(ctx, g):
        n = ctx.n if ctx.n else math.nan
        return _expand_back(g / n, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        n = ctx.n if ctx.n else math.nan
        return _expand_back_raw(g / n, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


def _mean_dtype(input, dtype, name):
    d = _dt.as_dtype(dtype) if dtype is not None else input.dtype
    if not _float_dtype(d):
        if name == "mean":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {_type_word(d)}")
        raise RuntimeError(f"{name}(): expected input to have floating point or complex dtype "
                           f"but got {_type_word(d)}")
    return d


@_np_compat
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _check_tensor(input, "mean")
    d = _mean_dtype(input, dtype, "mean")
    r = Mean.apply(input, _dims(dim, input.ndim), keepdim, d.np)
    if dim is not None:
        _rename(r, "MeanBackward1")
    return r if out is None else write_out(r, out)


@_np_compat
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _check_tensor(input, "nanmean")
    d = _mean_dtype(input, None, "nanmean")
    if dtype is not None:
        d = _dt.as_dtype(dtype)
    dims = _dims(dim, input.ndim)
    a = input._data
    count = (~xp_of(a).isnan(a)).sum(axis=dims, keepdims=keepdim)
    from .arith import div
    r = div(nansum(input, dim, keepdim, dtype=d), _const(xp_of(a).asarray(count), input))
    return r if out is None else write_out(r, out)


# ================================================================ prod
class Prod(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, npdt):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        xp = xp_of(a)
        out = xp.prod(a, axis=dims, keepdims=keepdim, dtype=npdt)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if x.dtype.is_complex:   # the gradient of a holomorphic f is g * conj(f')
            x, out = x.conj(), out.conj()
        return _prod_backward(g, x, out, ctx.dims, ctx.keepdim), None, None, None


def _prod_backward(g, x, out, dims, keepdim):
    shape = x.shape
    if x.ndim == 0:
        return g
    g = _keep(g, shape, dims, keepdim)
    if not (x._data == 0).any():
        return g * _keep(out, shape, dims, keepdim) / x
    # Zeros: the product of the *other* elements, from exclusive products on both sides
    # (PyTorch's prod_safe_zeros_backward), which needs no division.
    if len(dims) == 1:
        d = dims[0]
        others = _exclusive_cumprod(x, d, False) * _exclusive_cumprod(x, d, True)
    else:
        flat = x.reshape(-1)
        others = (_exclusive_cumprod(flat, 0, False) *
                  _exclusive_cumprod(flat, 0, True)).reshape(shape)
    return g * others


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if _amp_on[0] and dtype is None and out is None:
        input, = _amp.maybe_cast("prod", input)
    _check_tensor(input, "prod")
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod() received an invalid combination of arguments - got (Tensor, "
                        f"{type(dim).__name__}), but expected one of:\n"
                        " * (Tensor input, *, torch.dtype dtype = None)\n"
                        " * (Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype "
                        "= None, Tensor out = None)")
    d = _acc_dtype(input, dtype)
    if d is not input.dtype:
        _grad_check_dtype(input, d)
        input = input.to(d)
    dims = tuple(range(input.ndim)) if dim is None else _dims(dim, input.ndim)
    r = Prod.apply(input, dims, keepdim, d.np)
    if dim is not None:
        _rename(r, "ProdBackward1")
    return r if out is None else write_out(r, out)


# ================================================================ var / std
def _var_args(name, dim, unbiased, keepdim, correction):
    """PyTorch's overloads: var(x, unbiased), var(x, dim, unbiased, keepdim),
    var(x, dim, *, correction, keepdim)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, keepdim, correction


def _var_np(a, dims, keepdim, correction, name):
    xp = xp_of(a)
    if a.dtype.kind == "f" and a.dtype.itemsize < 4:   # half precision computes in float32
        return _var_np(a.astype(np.float32), dims, keepdim, correction, name).astype(a.dtype)
    n = _numel(a.shape, dims)
    dof = _bmax(0, n - correction)
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    with _errstate():
        m = a.sum(axis=dims, keepdims=True) / n if n else \
            xp.full(_reduced_shape(a.shape, dims, True), np.nan, a.dtype)
        d = a - m
        sq = d.real * d.real + d.imag * d.imag if a.dtype.kind == "c" else d * d
        s = sq.sum(axis=dims, keepdims=keepdim)
        return s / dof if dof else s / sq.dtype.type(0)


def _var_backward(g, x, dims, keepdim, correction):
    dof = _numel(x.shape, dims) - correction
    scale = 2.0 / dof if dof else math.inf
    g = _keep(g, x.shape, dims, keepdim)
    return (g * scale) * (x - mean(x, dims, keepdim=True))


class Var(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, correction):
        ctx.dims, ctx.keepdim, ctx.correction = dims, keepdim, correction
        if ctx.needs_input_grad:
            ctx.save_for_backward(a)
        return _var_np(a, dims, keepdim, correction, "var")

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with _errstate():   # dof <= 0 gives inf/nan, as in PyTorch
            return _var_backward(g, x, ctx.dims, ctx.keepdim, ctx.correction), None, None, None


class Std(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim, correction):
        ctx.dims, ctx.keepdim, ctx.correction = dims, keepdim, correction
        out = xp_of(a).sqrt(_var_np(a, dims, keepdim, correction, "std"))
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        zero = out._data == 0
        # PyTorch: grad / (2 std), set to 0 where std == 0, then var's backward
        with _errstate():
            gv = _masked_fill(g / (2 * _masked_fill(out, zero, 1)), zero, 0)
            return _var_backward(gv, x, ctx.dims, ctx.keepdim, ctx.correction), None, None, None


def _var_std(op, name, input, dim, unbiased, keepdim, correction):
    _check_tensor(input, name)
    if not _float_dtype(input.dtype):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dim, keepdim, correction = _var_args(name, dim, unbiased, keepdim, correction)
    return op.apply(input, _dims(dim, input.ndim), keepdim, correction)


@_np_compat
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    r = _var_std(Var, "var", input, dim, unbiased, keepdim, correction)
    return r if out is None else write_out(r, out)


@_np_compat
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    r = _var_std(Std, "std", input, dim, unbiased, keepdim, correction)
    return r if out is None else write_out(r, out)


def _mean_like(input, dim, unbiased, keepdim, correction, name):
    dim, keepdim, _ = _var_args(name, dim, unbiased, keepdim, correction)
    return mean(input, dim, keepdim)


@_np_compat
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    s = std(input, dim, unbiased, keepdim, correction=correction)
    m = _mean_like(input, dim, unbiased, keepdim, correction, "std_mean")
    res = (_rename(s, "StdMeanBackward0"), _rename(m, "StdMeanBackward0"))
    return res if out is None else tuple(write_out(r, o) for r, o in zip(res, out))


@_np_compat
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    v = var(input, dim, unbiased, keepdim, correction=correction)
    m = _mean_like(input, dim, unbiased, keepdim, correction, "var_mean")
    res = (_rename(v, "VarMeanBackward0"), _rename(m, "VarMeanBackward0"))
    return res if out is None else tuple(write_out(r, o) for r, o in zip(res, out))


# ================================================================ amax / amin / max / min
def _tie_weights(a, out_k, dims, nan_aware):
    """Each element's share of the gradient: 1/count on the elements equal to the extremum."""
    xp = xp_of(a)
    mask = a == out_k
    if nan_aware and a.dtype.kind in "fc":
        mask |= xp.isnan(a) & xp.isnan(out_k)
    mask = mask.astype(a.dtype)
    with _errstate():
        return mask / mask.sum(axis=dims, keepdims=True)


class Amax(Op):
    """amax/amin (and max()/min() without dim): ties share the gradient evenly."""
    @staticmethod
    def forward(ctx, a, dims, keepdim, is_max, nan_aware):
        xp = xp_of(a)
        out = (xp.max if is_max else xp.min)(a, axis=dims, keepdims=True)
        if ctx.needs_input_grad:
            ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
            ctx.w = _tie_weights(a, out, dims, nan_aware)
        return out if keepdim else out.reshape(_reduced_shape(a.shape, dims, False))

    @staticmethod
    def backward(ctx, g):
        g = _keep(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g * _const(ctx.w, g), None, None, None, None


def _amax(input, dim, keepdim, is_max, name, out):
    _check_tensor(input, name)
    dims = _dims(dim, input.ndim)
    if input.numel() == 0:
        if len(dims) == input.ndim and (dim is None or dim == () or dim == []):
            _check_empty_full(input, name)
        _check_nonzero_dims(input, dims, name)
    r = Amax.apply(input, dims, keepdim, is_max, False)
    r = _rename(r, ("AmaxBackward0" if is_max else "AminBackward0"))
    return r if out is None else write_out(r, out)


@_np_compat
def amax(input, dim=(), keepdim=False, *, out=None):
    return _amax(input, dim, keepdim, True, "amax", out)


@_np_compat
def amin(input, dim=(), keepdim=False, *, out=None):
    return _amax(input, dim, keepdim, False, "amin", out)


def _index_backward(g, idx, dim, keepdim, in_shape):
    """Send a value-selecting reduction's gradient to the chosen indices (idx in keepdim
    shape)."""
    if len(in_shape) == 0:
        return g
    if not keepdim:
        g = g.unsqueeze(dim)
    return _ScatterAdd.apply(g, idx, dim, in_shape)


class _SelectAlongDim(Op):
    """values = take(a, idx) along dim for a constant idx (in keepdim shape); the backward of
    max(dim), median(dim), mode, ..."""
    @staticmethod
    def forward(ctx, a, idx, dim, keepdim):
        ctx.idx, ctx.dim, ctx.keepdim, ctx.in_shape = idx, dim, keepdim, a.shape
        if a.ndim == 0:
            return a.copy()
        v = xp_of(a).take_along_axis(a, idx, axis=dim)
        return v if keepdim else v.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        return _index_backward(g, ctx.idx, ctx.dim, ctx.keepdim, ctx.in_shape), None, None, None


def _select(input, idx, dim, keepdim, result_cls, name):
    """Build the (values, indices) named tuple from indices chosen along `dim`."""
    v = _SelectAlongDim.apply(input, idx, dim, keepdim)
    _rename(v, name)
    if input.ndim == 0:
        i = xp_of(idx).zeros((), np.int64)
    else:
        i = idx if keepdim else idx.squeeze(dim)
    return result_cls(v, _make(i.astype(np.int64, copy=False), input._device))


def _arg_along(a, dim, is_max):
    """argmax/argmin along one dim in keepdim shape; NaN wins (its first occurrence), ties go
    to the first occurrence, as PyTorch does."""
    xp = xp_of(a)
    if a.ndim == 0:
        return xp.zeros((), np.int64)
    f = xp.argmax if is_max else xp.argmin
    return f(a, axis=dim, keepdims=True)


def _max_min(input, dim, keepdim, out, is_max):
    name = "max" if is_max else "min"
    _check_tensor(input, name)
    if isinstance(dim, Tensor):
        if keepdim is not False:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        from . import pointwise
        f = pointwise.maximum if is_max else pointwise.minimum
        return f(input, dim, out=out)
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            "(Tensor, keepdim=bool)")
        _check_empty_full(input, name)
        r = Amax.apply(input, tuple(range(input.ndim)), False, is_max, True)
        r = _rename(r, "MaxBackward1" if is_max else "MinBackward1")
        return r if out is None else write_out(r, out)
    d = _one_dim(dim, input.ndim, name)
    if input.ndim:
        _check_nonzero_dims(input, (d,), name)
    idx = _arg_along(input._data, d, is_max)
    cls = _rt.max if is_max else _rt.min
    res = _select(input, idx, d, keepdim, cls, "MaxBackward0" if is_max else "MinBackward0")
    return res if out is None else _write_tuple(res, out, name)


@_np_compat
def max(input, dim=None, keepdim=False, *, out=None):
    return _max_min(input, dim, keepdim, out, True)


@_np_compat
def min(input, dim=None, keepdim=False, *, out=None):
    return _max_min(input, dim, keepdim, out, False)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    _check_tensor(input, "aminmax")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = tuple(range(input.ndim))
    else:
        dims = (_one_dim(dim, input.ndim, "aminmax"),) if input.ndim else ()
        _check_nonzero_dims(input, dims, "aminmax", ":")
    lo = _rename(Amax.apply(input, dims, keepdim, False, False), "AminmaxBackward0")
    hi = _rename(Amax.apply(input, dims, keepdim, True, False), "AminmaxBackward0")
    res = _rt.aminmax(lo, hi)
    return res if out is None else _write_tuple(res, out, "aminmax")


def _argmax(input, dim, keepdim, is_max, out):
    name = "argmax" if is_max else "argmin"
    _check_tensor(input, name)
    if input.dtype is _dt.bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    a = input._data
    xp = xp_of(a)
    f = xp.argmax if is_max else xp.argmin
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        r = xp.asarray(f(a.reshape(-1)))
        if keepdim:
            r = r.reshape((1,) * a.ndim)
    else:
        d = _one_dim(dim, a.ndim)
        if a.ndim == 0:
            r = xp.zeros((), np.int64)
        else:
            _check_nonzero_dims(input, (d,), name)
            r = f(a, axis=d, keepdims=keepdim)
    r = _make(xp.asarray(r, dtype=np.int64), input._device)
    return r if out is None else write_out(r, out)


@_np_compat
def argmax(input, dim=None, keepdim=False, *, out=None):
    return _argmax(input, dim, keepdim, True, out)


@_np_compat
def argmin(input, dim=None, keepdim=False, *, out=None):
    return _argmax(input, dim, keepdim, False, out)


# ================================================================ all / any / count_nonzero
def _logical_reduce(input, dim, keepdim, out, name):
    _check_tensor(input, name)
    a = input._data
    xp = xp_of(a)
    dims = _dims(dim, a.ndim, empty_means_all=False)   # all(x, ()) reduces nothing
    r = (xp.all if name == "all" else xp.any)(a, axis=dims, keepdims=keepdim)
    r = xp.asarray(r)
    if a.dtype == np.uint8:   # PyTorch keeps uint8 for uint8 input
        r = r.astype(np.uint8)
    r = _make(r, input._device)
    return r if out is None else write_out(r, out)


@_np_compat
def all(input, dim=None, keepdim=False, *, out=None):
    return _logical_reduce(input, dim, keepdim, out, "all")


@_np_compat
def any(input, dim=None, keepdim=False, *, out=None):
    return _logical_reduce(input, dim, keepdim, out, "any")


def count_nonzero(input, dim=None):
    _check_tensor(input, "count_nonzero")
    a = input._data
    xp = xp_of(a)
    r = xp.asarray((a != 0).sum(axis=_dims(dim, a.ndim)), dtype=np.int64)
    return _make(r, input._device)


# ================================================================ norm
def _sgn(a):
    xp = xp_of(a)
    if a.dtype.kind == "c":
        m = xp.abs(a)
        with _errstate():
            return xp.where(m == 0, 0, a / m).astype(a.dtype)
    return xp.sign(a)


def _fmt_ord(p):
    return str(int(p)) if float(p).is_integer() else str(p) if not math.isinf(p) else \
        ("inf" if p > 0 else "-inf")


class LinalgVectorNorm(Op):
    @staticmethod
    def forward(ctx, a, ord, dims, keepdim):
        xp = xp_of(a)
        ab = xp.abs(a)
        with _errstate():
            if ord == 2:
                out = xp.sqrt((ab * ab).sum(axis=dims, keepdims=True))
            elif ord == math.inf:
                out = ab.max(axis=dims, keepdims=True)
            elif ord == -math.inf:
                out = ab.min(axis=dims, keepdims=True)
            elif ord == 0:
                out = (ab != 0).sum(axis=dims, keepdims=True).astype(ab.dtype)
            elif ord == 1:
                out = ab.sum(axis=dims, keepdims=True)
            else:
                out = ((ab ** ord).sum(axis=dims, keepdims=True)) ** (1.0 / ord)
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        out = out if keepdim else out.reshape(_reduced_shape(a.shape, dims, False))
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)   # the output itself, so double backward sees it
        return out

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        n = _keep(n, x.shape, ctx.dims, ctx.keepdim)
        return _norm_backward(g, x, n, ctx.ord, ctx.dims, ctx.keepdim), None, None, None


def _norm_backward(g, x, n, p, dims, keepdim):
    """PyTorch's norm_backward, with masked_fill where it divides by a zero norm."""
    g = _keep(g, x.shape, dims, keepdim)
    xa, na = x._data, n._data
    if p == 0:
        return None
    sgn = _const(_sgn(xa), x)
    if p == 1:
        return sgn * g
    zero_n = na == 0
    if p == 2:
        return x * _masked_fill(g / _masked_fill(n, zero_n, 1), zero_n, 0)
    if math.isinf(p):
        xp = xp_of(xa)
        ab = xp.abs(xa)
        mask = (ab == na) | xp.isnan(ab)
        with _errstate():
            w = _sgn(xa) * mask / mask.sum(axis=dims, keepdims=True)
        return g * _const(w.astype(xa.dtype), x)
    ab = x * sgn if not x.dtype.is_complex else _const(xp_of(xa).abs(xa), x)
    zero_x = xa == 0
    if p < 1:
        scaled = sgn * _masked_fill(_masked_fill(ab, zero_x, 1) ** (p - 1), zero_x, 0)
        return scaled * g * n ** (1 - p)
    scale = _masked_fill(g / _masked_fill(n, zero_n, 1) ** (p - 1), zero_n, 0)
    if p < 2:
        return sgn * ab ** (p - 1) * scale
    return x * ab ** (p - 2) * scale


def _vector_norm(input, ord, dim, keepdim, dtype):
    if not _float_dtype(input.dtype):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type_word(input.dtype)}")
    if dtype is not None:
        d = _dt.as_dtype(dtype)
        if not _float_dtype(d):
            raise RuntimeError("linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {_type_word(d)}")
        input = input.to(d)
    ord = float(ord)
    dims = _dims(dim, input.ndim)
    if input.numel() == 0 and (ord < 0 or math.isinf(ord)):
        if _numel(input.shape, dims) == 0 or len(dims) == input.ndim:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt_ord(ord)} norm on "
                               "an empty tensor because the operation does not have an "
                               "identity")
    return LinalgVectorNorm.apply(input, ord, dims, keepdim)


class _NuclearNorm(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        xp = xp_of(a)
        m = xp.moveaxis(a, dims, (-2, -1))
        u, s, vh = xp.linalg.svd(m, full_matrices=False)
        ctx.dims, ctx.keepdim, ctx.in_shape = dims, keepdim, a.shape
        ctx.uv = xp.moveaxis(u @ vh, (-2, -1), dims)
        out = s.sum(axis=-1).astype(s.dtype)
        if keepdim:
            for d in sorted(dims):
                out = xp.expand_dims(out, d)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        g = _keep(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g * _const(ctx.uv, g), None, None


def _matrix_dims(dim, ndim):
    dims = list(range(ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(map(str, dims))}")
    a, b = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if a == b:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({a}, {b})")
    return (a, b)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: p a number (vector norm over `dim`, all dims by default), 'fro' or 'nuc'."""
    if _amp_on[0] and dtype is None and out is None:
        input, = _amp.maybe_cast("norm", input)
    _check_tensor(input, "norm")
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            r = _vector_norm(input, 2, dim, keepdim, dtype)
        else:
            dims = _matrix_dims(dim, input.ndim)
            if p == "fro":
                r = _vector_norm(input, 2, dims, keepdim, dtype)
            elif p == "nuc":
                if not _float_dtype(input.dtype):
                    raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex "
                                       f"tensor as input. Got {_type_word(input.dtype)}")
                if dtype is not None:
                    input = input.to(dtype)
                r = _NuclearNorm.apply(input, dims, keepdim)
            else:
                raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    else:
        r = _vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype)
    return r if out is None else write_out(r, out)


# ================================================================ logsumexp
class Logsumexp(Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        xp = xp_of(a)
        with _errstate():
            if _numel(a.shape, dims) == 0:
                m = xp.zeros(_reduced_shape(a.shape, dims, True), a.dtype)
            else:
                m = a.max(axis=dims, keepdims=True)
                m = xp.where(xp.isinf(m), a.dtype.type(0), m)
            out = xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)) + m
        ctx.dims, ctx.keepdim = dims, keepdim
        out = out if keepdim else out.reshape(_reduced_shape(a.shape, dims, False))
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = _keep(g, x.shape, ctx.dims, ctx.keepdim)
        return g * (x - _keep(out, x.shape, ctx.dims, ctx.keepdim)).exp(), None, None


@_np_compat
def logsumexp(input, dim, keepdim=False, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("logsumexp", input)
    _check_tensor(input, "logsumexp")
    if not _float_dtype(input.dtype):
        input = input.to(_dt.get_default_dtype())
    r = Logsumexp.apply(input, _dims(dim, input.ndim), keepdim)
    return r if out is None else write_out(r, out)


# ================================================================ cumulative ops
def _along(a, dim, reverse, f):
    """Apply a cumulative NumPy function along dim, from the end when reverse."""
    xp = xp_of(a)
    if a.ndim == 0:
        return f(a.reshape(1), 0).reshape(())
    if reverse:
        return xp.flip(f(xp.flip(a, dim), dim), dim)
    return f(a, dim)


class Cumsum(Op):
    @staticmethod
    def forward(ctx, a, dim, npdt, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        xp = xp_of(a)
        if npdt is not None and a.dtype != npdt:
            a = a.astype(npdt)
        return _along(a, dim, reverse, lambda v, d: xp.cumsum(v, axis=d))

    @staticmethod
    def backward(ctx, g):
        return Cumsum.apply(g, ctx.dim, None, not ctx.reverse), None, None, None


def _cumsum(t, dim, reverse=False):
    return Cumsum.apply(t, dim, None, reverse)


class Cumprod(Op):
    @staticmethod
    def forward(ctx, a, dim, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        xp = xp_of(a)
        out = _along(a, dim, reverse, lambda v, d: xp.cumprod(v, axis=d))
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if x.dtype.is_complex:   # the gradient of a holomorphic f is g * conj(f')
            x, out = x.conj(), out.conj()
        return _cumprod_backward(g, x, out, ctx.dim, ctx.reverse), None, None


def _cumprod(t, dim, reverse=False):
    return Cumprod.apply(t, dim, reverse)


def _cumprod_backward(g, x, out, dim, rev):
    """d/dx[j] of sum_i g[i] prod_{k<=i} x[k], exact when x holds zeros (PyTorch's
    cumprod_backward): positions before the first zero use the division formula, the first
    zero gets the product around it, later positions get nothing."""
    if x.ndim == 0:
        return g
    xa = x._data
    if not (xa == 0).any():
        return _cumsum(g * out, dim, not rev) / x
    if _enabled[0]:
        # create_graph: the O(n) formula below is exact but its own derivative is not the
        # second derivative, so use PyTorch's O(n^2) route
        return _cumprod_backward_quadratic(g, x, dim, rev)
    xp = xp_of(xa)
    zeros_seen = _along((xa == 0).astype(np.int64), dim, rev, lambda v, d: xp.cumsum(v, axis=d))
    before = zeros_seen == 0
    first_zero = (xa == 0) & (zeros_seen == 1)
    dt = xa.dtype
    grad_before = _cumsum(g * out, dim, not rev) / _masked_fill(x, ~before, 1) * \
        _const(before.astype(dt), x)
    after = _cumprod(_masked_fill(x, before | first_zero, 1), dim, rev)
    s = sum(g * after * _const((~before).astype(dt), x), dim, keepdim=True)
    grad_zero = _exclusive_cumprod(x, dim, rev) * s * _const(first_zero.astype(dt), x)
    return grad_before + grad_zero


def _cumprod_backward_quadratic(g, x, dim, rev):
    """grad[j] = sum_{i>=j} g[i] prod_{k<=i, k!=j} x[k], spelled out with an n x n matrix
    whose row j is x with x[j] replaced by 1 (so it stays differentiable at zeros)."""
    xt, gt = x.transpose(dim, -1), g.transpose(dim, -1)
    n = xt.shape[-1]
    xp = xp_of(x._data)
    eye = xp.eye(n, dtype=x._data.dtype)
    upper = xp.triu(xp.ones((n, n), x._data.dtype))   # [j, i] = 1 where i >= j
    if rev:
        upper = upper.T
    rows = xt.unsqueeze(-2) * _const(1 - eye, x) + _const(eye, x)
    grad = (_cumprod(rows, -1, rev) * _const(upper, x) * gt.unsqueeze(-2)).sum(-1)
    return grad.transpose(dim, -1)


def _cum_dtype(input, dtype):
    return _acc_dtype(input, dtype)


def cumsum(input, dim, *, dtype=None, out=None):
    if _amp_on[0] and dtype is None and out is None:
        input, = _amp.maybe_cast("cumsum", input)
    _check_tensor(input, "cumsum")
    d = _one_dim(dim, input.ndim, "cumsum")
    r = Cumsum.apply(input, d, _cum_dtype(input, dtype).np, False)
    return r if out is None else write_out(r, out)


def cumprod(input, dim, *, dtype=None, out=None):
    if _amp_on[0] and dtype is None and out is None:
        input, = _amp.maybe_cast("cumprod", input)
    _check_tensor(input, "cumprod")
    d = _one_dim(dim, input.ndim, "cumprod")
    dt = _cum_dtype(input, dtype)
    if dt is not input.dtype:
        input = input.to(dt)
    r = Cumprod.apply(input, d, False)
    return r if out is None else write_out(r, out)


def cumsum_(self, dim, *, dtype=None):
    return apply_inplace(self, cumsum(self, dim, dtype=dtype if dtype is not None else
                                      self.dtype))


def cumprod_(self, dim, *, dtype=None):
    # backward needs the input as it was: compute from a copy when it will be recorded
    src = self.clone() if _enabled[0] and self._requires_grad else self
    return apply_inplace(self, cumprod(src, dim, dtype=dtype if dtype is not None else
                                       self.dtype))


class Logcumsumexp(Op):
    @staticmethod
    def forward(ctx, a, dim, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        xp = xp_of(a)
        with _errstate():
            out = _along(a, dim, reverse, lambda v, d: xp.logaddexp.accumulate(v, axis=d))
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        with _errstate():   # the log-space sums of an empty sign part underflow to -inf
            return _logcumsumexp_backward(g, x, out, ctx.dim, ctx.reverse), None, None


def _logcumsumexp_backward(g, x, out, dim, rev):
    """grad[j] = sum_{i>=j} g[i] exp(x[j] - out[i]), summed in log space separately for the
    positive and negative parts of g (PyTorch's formula), so nothing overflows."""
    if x.ndim == 0:
        return g
    ga = g._data
    lowest = np.finfo(ga.dtype).min if ga.dtype.kind == "f" else -np.inf
    log_abs = _masked_fill(g, ga == 0, 1).abs().log()
    pos = _masked_fill(log_abs, ~(ga > 0), lowest)
    neg = _masked_fill(log_abs, ~(ga < 0), lowest)
    out_pos = (Logcumsumexp.apply(pos - out, dim, not rev) + x).exp()
    out_neg = (Logcumsumexp.apply(neg - out, dim, not rev) + x).exp()
    return out_pos - out_neg


def logcumsumexp(input, dim, *, out=None):
    _check_tensor(input, "logcumsumexp")
    if not _float_dtype(input.dtype):
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{_type_word(input.dtype)}'")
    d = _one_dim(dim, input.ndim, "logcumsumexp")
    r = Logcumsumexp.apply(input, d, False)
    return r if out is None else write_out(r, out)


def _cum_extreme_indices(a, dim, is_max):
    """PyTorch's cummax/cummin indices: a new running extreme (ties included, so the latest
    equal element wins) or a NaN moves the index; after a NaN only another NaN does."""
    xp = xp_of(a)
    f = xp.maximum if is_max else xp.minimum
    vals = f.accumulate(a, axis=dim)
    hit = a == vals
    if a.dtype.kind in "fc":
        hit |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[dim] = a.shape[dim]
    pos = xp.arange(a.shape[dim], dtype=np.int64).reshape(shape)
    idx = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=dim)
    return vals, idx


class _CumExtreme(Op):
    @staticmethod
    def forward(ctx, a, dim, is_max):
        xp = xp_of(a)
        if a.ndim == 0:
            vals, idx = a.copy(), xp.zeros((), np.int64)
        elif a.size == 0:
            vals, idx = a.copy(), xp.zeros(a.shape, np.int64)
        else:
            vals, idx = _cum_extreme_indices(a, dim, is_max)
        ctx.idx, ctx.dim, ctx.shape = idx, dim, a.shape
        ctx._name = "CummaxBackward0" if is_max else "CumminBackward0"
        ctx.mark_non_differentiable(idx)
        return vals, idx

    @staticmethod
    def backward(ctx, g, _gi):
        if len(ctx.shape) == 0:
            return g, None, None
        return _ScatterAdd.apply(g, ctx.idx, ctx.dim, ctx.shape), None, None


def _cum_extreme(input, dim, out, is_max):
    name = "cummax" if is_max else "cummin"
    _check_tensor(input, name)
    d = _one_dim(dim, input.ndim, name)
    v, i = _CumExtreme.apply(input, d, is_max)
    res = (_rt.cummax if is_max else _rt.cummin)(v, i)
    return res if out is None else _write_tuple(res, out, name)


def cummax(input, dim, *, out=None):
    return _cum_extreme(input, dim, out, True)


def cummin(input, dim, *, out=None):
    return _cum_extreme(input, dim, out, False)


# ================================================================ libstdc++ emulation
# PyTorch's CPU median/mode pick among equal values with std::nth_element / std::sort, so the
# returned *index* for ties depends on libstdc++'s algorithms. They are reproduced here (only
# used where the cheap stable-sort answer can differ: all-NaN nanmedian slices, mode rows
# longer than 16 or holding NaN).
def _move_median_to_first(v, result, a, b, c, lt):
    if lt(v[a], v[b]):
        if lt(v[b], v[c]):
            v[result], v[b] = v[b], v[result]
        elif lt(v[a], v[c]):
            v[result], v[c] = v[c], v[result]
        else:
            v[result], v[a] = v[a], v[result]
    elif lt(v[a], v[c]):
        v[result], v[a] = v[a], v[result]
    elif lt(v[b], v[c]):
        v[result], v[c] = v[c], v[result]
    else:
        v[result], v[b] = v[b], v[result]


def _unguarded_partition(v, first, last, pivot, lt):
    n = len(v)
    while True:
        while first < n and lt(v[first], v[pivot]):
            first += 1
        last -= 1
        while last > 0 and lt(v[pivot], v[last]):
            last -= 1
        if not first < last:
            return first
        v[first], v[last] = v[last], v[first]
        first += 1


def _partition_pivot(v, first, last, lt):
    mid = first + (last - first) // 2
    _move_median_to_first(v, first, first + 1, mid, last - 1, lt)
    return _unguarded_partition(v, first + 1, last, first, lt)


def _push_heap(v, first, hole, top, value, lt):
    parent = (hole - 1) // 2
    while hole > top and lt(v[first + parent], value):
        v[first + hole] = v[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    v[first + hole] = value


def _adjust_heap(v, first, hole, length, value, lt):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if lt(v[first + child], v[first + child - 1]):
            child -= 1
        v[first + hole] = v[first + child]
        hole = child
    if (length & 1) == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        v[first + hole] = v[first + child - 1]
        hole = child - 1
    _push_heap(v, first, hole, top, value, lt)


def _make_heap(v, first, last, lt):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(v, first, parent, length, v[first + parent], lt)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(v, first, last, result, lt):
    value = v[result]
    v[result] = v[first]
    _adjust_heap(v, first, 0, last - first, value, lt)


def _heap_select(v, first, middle, last, lt):
    _make_heap(v, first, middle, lt)
    for i in range(middle, last):
        if lt(v[i], v[first]):
            _pop_heap(v, first, middle, i, lt)


def _sort_heap(v, first, last, lt):
    while last - first > 1:
        last -= 1
        _pop_heap(v, first, last, last, lt)


def _insertion_sort(v, first, last, lt):
    for i in range(first + 1, last):
        val = v[i]
        if lt(val, v[first]):
            v[first + 1:i + 1] = v[first:i]
            v[first] = val
        else:
            j = i
            while lt(val, v[j - 1]):
                v[j] = v[j - 1]
                j -= 1
            v[j] = val


def _lg(n):
    return n.bit_length() - 1


def _stl_nth_element(v, nth, lt):
    first, last = 0, len(v)
    if first == last or nth == last:
        return v
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(v, first, nth + 1, last, lt)
            v[first], v[nth] = v[nth], v[first]
            return v
        depth -= 1
        cut = _partition_pivot(v, first, last, lt)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(v, first, last, lt)
    return v


def _stl_sort(v, lt):
    n = len(v)
    if n == 0:
        return v

    def introsort(first, last, depth):
        while last - first > 16:
            if depth == 0:
                _heap_select(v, first, last, last, lt)
                _sort_heap(v, first, last, lt)
                return
            depth -= 1
            cut = _partition_pivot(v, first, last, lt)
            introsort(cut, last, depth)
            last = cut

    introsort(0, n, 2 * _lg(n))
    if n > 16:
        _insertion_sort(v, 0, 16, lt)
        for i in range(16, n):
            val = v[i]
            j = i
            while j > 0 and lt(val, v[j - 1]):
                v[j] = v[j - 1]
                j -= 1
            v[j] = val
    else:
        _insertion_sort(v, 0, n, lt)
    return v


# ================================================================ median / nanmedian / mode
def _to_host(a):
    return a if isinstance(a, np.ndarray) else a.get()


def _rows(a, dim):
    """The reduced dim moved last and the rest flattened: (rows, n) on the host."""
    h = np.moveaxis(_to_host(a), dim, -1)
    return h.reshape(-1, h.shape[-1]), h.shape[:-1]


def _finish_idx(idx_rows, lead_shape, dim, ref):
    """Row indices back to the keepdim index array on ref's device."""
    idx = idx_rows.reshape(lead_shape + (1,))
    idx = np.moveaxis(idx, -1, dim)
    xp = xp_of(ref)
    return idx if xp is np else xp.asarray(idx)


def _median_indices(a, dim, ignore_nan):
    rows, lead = _rows(a, dim)
    m, n = rows.shape
    out = np.zeros(m, np.int64)
    if m and n:
        isnan = np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, bool)
        order = np.argsort(rows, axis=-1, kind="stable")   # NaN sorts last
        if ignore_nan:
            nn = isnan.sum(-1)
            k = np.maximum((n - nn - 1) // 2, 0)
            out = order[np.arange(m), k]
            for r in np.nonzero(nn == n)[0]:
                # every value NaN: all compare equal, libstdc++'s partitioning decides
                out[r] = _stl_nth_element(list(range(n)), 0, lambda i, j: False)[0]
        else:
            out = order[:, (n - 1) // 2]
            has = isnan.any(-1)
            out = np.where(has, isnan.argmax(-1), out)
    return _finish_idx(out, lead, dim, a)


def _median_all(input, ignore_nan):
    """median()/nanmedian() over every element: the lower median; ties share the gradient."""
    a = input._data
    xp = xp_of(a)
    flat = a.reshape(-1)
    if flat.size == 0:
        v = xp.asarray(np.nan, dtype=a.dtype) if a.dtype.kind == "f" else xp.zeros((), a.dtype)
    else:
        s = xp.sort(flat)   # NaN last
        if a.dtype.kind == "f":
            nn = int(xp.isnan(flat).sum())
        else:
            nn = 0
        if nn and not ignore_nan:
            v = xp.asarray(np.nan, dtype=a.dtype)
        else:
            k = (flat.size - nn - 1) // 2 if nn < flat.size else 0
            v = s[k]
    v = xp.asarray(v, dtype=a.dtype)
    return _MedianAll.apply(input, v, "NanmedianBackward0" if ignore_nan else "MedianBackward0")


class _MedianAll(Op):
    @staticmethod
    def forward(ctx, a, v, name):
        ctx._name = name
        if ctx.needs_input_grad:
            ctx.w = _tie_weights(a, v, tuple(range(a.ndim)), True)
        return v.copy()

    @staticmethod
    def backward(ctx, g):
        return g * _const(ctx.w, g), None, None


def _median_dim(input, dim, keepdim, out, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    d = _one_dim(dim, input.ndim, name)
    if input.ndim:
        _check_nonzero_dims(input, (d,), name)
    a = input._data
    if a.ndim == 0:
        idx = xp_of(a).zeros((), np.int64)
    elif a.size == 0:
        idx = xp_of(a).zeros(_reduced_shape(a.shape, (d,), True), np.int64)
    else:
        idx = _median_indices(a, d, ignore_nan)
    cls = _rt.nanmedian if ignore_nan else _rt.median
    res = _select(input, idx, d, keepdim, cls,
                  "NanmedianBackward1" if ignore_nan else "MedianBackward1")
    return res if out is None else _write_tuple(res, out, name)


def _median(input, dim, keepdim, out, ignore_nan):
    _check_tensor(input, "nanmedian" if ignore_nan else "median")
    if input.dtype.is_complex:
        raise RuntimeError(f"\"median_out\" not implemented for '{_type_word(input.dtype)}'")
    if dim is None:
        r = _median_all(input, ignore_nan)
        return r if out is None else write_out(r, out)
    return _median_dim(input, dim, keepdim, out, ignore_nan)


def median(input, dim=None, keepdim=False, *, out=None):
    return _median(input, dim, keepdim, out, False)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    return _median(input, dim, keepdim, out, True)


def _mode_rows(rows):
    """PyTorch's CPU mode: std::sort the (value, index) pairs by value, then take the longest
    run of equal values (the first such run, i.e. the smallest value); its last pair gives the
    index."""
    m, n = rows.shape
    perm = np.argsort(rows, axis=-1, kind="stable")
    nan_rows = np.isnan(rows).any(-1) if rows.dtype.kind == "f" else np.zeros(m, bool)
    for r in range(m):
        if n > 16 or nan_rows[r]:
            vals = rows[r].tolist()
            perm[r] = _stl_sort(list(range(n)), lambda i, j, v=vals: v[i] < v[j])
    s = np.take_along_axis(rows, perm, axis=-1)
    change = s[:, 1:] != s[:, :-1]          # NaN != NaN: every NaN is its own run
    start = np.concatenate([np.ones((m, 1), bool), change], axis=1)
    end = np.concatenate([change, np.ones((m, 1), bool)], axis=1)
    pos = np.arange(n)
    run_start = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
    length = np.where(end, pos - run_start + 1, 0)
    best = length.argmax(axis=1)
    return perm[np.arange(m), best]


def mode(input, dim=-1, keepdim=False, *, out=None):
    _check_tensor(input, "mode")
    d = _one_dim(dim, input.ndim, "mode")
    a = input._data
    if a.ndim == 0:
        idx = xp_of(a).zeros((), np.int64)
    else:
        _check_nonzero_dims(input, (d,), "mode")
        if a.size == 0:
            idx = xp_of(a).zeros(_reduced_shape(a.shape, (d,), True), np.int64)
        else:
            rows, lead = _rows(a, d)
            idx = _finish_idx(_mode_rows(rows), lead, d, a)
    res = _select(input, idx, d, keepdim, _rt.mode, "ModeBackward0")
    return res if out is None else _write_tuple(res, out, "mode")


# ================================================================ quantile / nanquantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    _check_tensor(input, name)
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if input.dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    xp = xp_of(input._data)
    npdt = input._data.dtype
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qa = q._data
        if qa.size and not bool(((qa >= 0) & (qa <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        scalar_q = q.ndim == 0
        qa = qa.reshape(-1)
    else:
        qf = float(q)
        if not 0 <= qf <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {qf}")
        scalar_q = True
        qa = xp.asarray([qf], dtype=npdt)

    ndim = input.ndim
    if dim is None:
        x = input.reshape(-1)
        out_shape = (1,) * ndim if keepdim else ()
    else:
        d = _one_dim(dim, ndim)
        if ndim == 0:
            x = input.reshape(1)
        else:
            x = input.permute(*[i for i in range(ndim) if i != d], d)
        out_shape = _reduced_shape(input.shape, (d,) if ndim else (), keepdim)
    xa = x._data
    n = xa.shape[-1]
    lead = xa.shape[:-1]
    sorted_x = _gather(x, xp.argsort(xa, axis=-1, kind="stable"), -1)   # NaN sorts last

    # ranks in the input dtype (q is a tensor of that dtype in PyTorch)
    nq = qa.shape[0]
    qshape = (nq,) + (1,) * len(lead) + (1,)
    qb = qa.reshape(qshape).astype(npdt)
    isnan = xp.isnan(xa)
    if ignore_nan:
        scale = (~isnan).sum(-1, keepdims=True).astype(npdt) - 1
        ranks = qb * scale
        fix, fix_value = ranks < 0, 0
    else:
        scale = npdt.type(n - 1)
        fix, fix_value = isnan.any(-1, keepdims=True), scale
        ranks = qb * scale
    fix = xp.broadcast_to(fix, (nq,) + lead + (1,))
    ranks = xp.where(fix, npdt.type(fix_value), ranks)
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.rint(ranks)
    below_i = ranks.astype(np.int64)
    src = sorted_x.reshape((1,) + lead + (n,))
    res = _gather(src, below_i, -1)
    if interpolation in ("linear", "midpoint"):
        above = _gather(src, xp.ceil(ranks).astype(np.int64), -1)
        if interpolation == "midpoint":
            w = _const(xp.full(ranks.shape, 0.5, npdt), input)
        elif isinstance(q, Tensor) and q._requires_grad:
            # the weight depends on q: keep it differentiable, as PyTorch does
            rt = q.reshape(qshape) * _const(xp.asarray(scale), input)
            w = _masked_fill(rt.expand(ranks.shape), fix, fix_value) - \
                _const(below_i.astype(npdt), input)
        else:
            w = _const((ranks - below_i).astype(npdt), input)
        res = res + w * (above - res)
    res = res.reshape(((nq,) if not scalar_q else ()) + out_shape)
    return res


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    if _amp_on[0] and out is None:
        input, q = _amp.maybe_cast("quantile", input, q)
    r = _quantile(input, q, dim, keepdim, interpolation, False, "quantile")
    return r if out is None else write_out(r, out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    if _amp_on[0] and out is None:
        input, q = _amp.maybe_cast("nanquantile", input, q)
    r = _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")
    return r if out is None else write_out(r, out)


# ================================================================ diff
class _Diff(Op):
    """One forward difference along dim (XOR for bool, as NumPy and PyTorch do)."""
    _name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return xp_of(a).diff(a, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return _DiffAdjoint.apply(g, ctx.dim), None


class _DiffAdjoint(Op):
    """The transpose of _Diff: out[j] = g[j-1] - g[j] with zeros past either end."""
    @staticmethod
    def forward(ctx, g, dim):
        ctx.dim = dim
        xp = xp_of(g)
        pad = [(0, 0)] * g.ndim
        pad[dim] = (1, 1)
        return -xp.diff(xp.pad(g, pad), axis=dim)

    @staticmethod
    def backward(ctx, gg):
        return _Diff.apply(gg, ctx.dim), None


def diff(input, n=1, dim=-1, prepend=None, append=None):
    _check_tensor(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _one_dim(dim, input.ndim, "diff")
    parts = []
    for extra in (prepend, append):
        if extra is not None and extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
    if prepend is not None or append is not None:
        from . import shape as _shape
        parts = [t for t in (prepend, input, append) if t is not None]
        x = _shape.cat(parts, d)
    else:
        x = input
    if n == 0:
        return x.clone()
    for _ in range(n):
        if x.shape[d] == 0:
            break
        x = _Diff.apply(x, d)
    return x


# ================================================================ histc / bincount
def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of equal-width bins over [min, max] (the data's range when min == max);
    values outside are ignored. Not differentiable, as in PyTorch."""
    _check_tensor(input, "histc")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_type_word(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    a = input._data
    xp = xp_of(a)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    from_data = lo == hi and a.size
    if from_data:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        def f(v):   # C++ stream formatting; a NaN found in the data prints as -nan there
            return ("-nan" if from_data else "nan") if math.isnan(v) else f"{v:g}"
        raise RuntimeError(f"torch.histc: range of [{f(lo)}, {f(hi)}] is not finite")
    flat = a.reshape(-1)
    lo, hi = a.dtype.type(lo), a.dtype.type(hi)   # PyTorch bins in the input's precision
    keep = (flat >= lo) & (flat <= hi)
    v = flat[keep]
    pos = ((v - lo) * a.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    r = xp.bincount(pos, minlength=bins).astype(a.dtype)
    r = _make(r, input._device)
    return r if out is None else write_out(r, out)


def bincount(input, weights=None, minlength=0):
    _check_tensor(input, "bincount")
    a = input._data
    if input.dtype.category != _dt._INT:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{_type_word(input.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if a.ndim != 1 or (a.size and int(a.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = xp_of(a)
    if weights is not None:
        w = weights._data
        if w.ndim != 1 or w.shape[0] != a.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out_dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
        r = xp.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(out_dt)
    else:
        r = xp.bincount(a, minlength=minlength).astype(np.int64)
    return _make(r, input._device)
