"""The rest of PyTorch's tensor surface: statistics (cov, corrcoef, dist, cdist, histogram,
histogramdd), integer and float bit ops (gcd, lcm, nextafter, frexp), renorm, integration and
finite differences (trapezoid, cumulative_trapezoid, gradient, vander), the `*_scatter`
family, splits that are not views for autograd, `*_copy` functions, complex <-> real views,
window functions, Python callables over elements (`apply_`, `map_`), storages and shared
memory, legacy `x.new(...)`, and process-wide settings (threads, determinism, matmul
precision, `compile`).

Most functions here are compositions of other ops (their gradients come for free); the ops
with a backward of their own are those whose PyTorch derivative differs from the composition
(cdist, the scatters, nextafter, frexp, the complex views).
"""
import builtins
import math
import numbers
import operator
import os
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from .. import serialization as _ser
from ..device import cpu as _cpu
from ..tensor import Tensor, _make, _ptr
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ..autograd import grad_mode
from ..autograd import engine as _engine
from ._util import (write_out, apply_inplace, check_inplace_allowed, xp_of, wrap_dim, sum_to,
                    dims_tuple, xp_for, _type_word)
from . import arith as _arith
from . import creation as _creation
from . import reduce as _reduce
from . import shape as _shape
from .pointwise import _operands, _not_implemented, _NoDerivative

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = [
    # statistics
    "cov", "corrcoef", "dist", "cdist", "histogram", "histogramdd",
    # integer / float bit ops, renorm
    "gcd", "gcd_", "lcm", "lcm_", "nextafter", "frexp", "renorm", "rsub", "igamma",
    "igammac",
    # integration and differences
    "trapezoid", "trapz", "cumulative_trapezoid", "gradient", "vander",
    # scatters into views, diagonal fill
    "select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter",
    # splits, sums to a shape, copies of views, complex views
    "as_strided_", "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk",
    "view_as_real", "view_as_complex", "alias_copy", "as_strided_copy", "detach_copy",
    "diagonal_copy", "expand_copy", "permute_copy", "select_copy", "slice_copy",
    "split_copy", "split_with_sizes_copy", "squeeze_copy", "t_copy", "transpose_copy",
    "unbind_copy", "unfold_copy", "unsqueeze_copy", "view_copy", "view_as_real_copy",
    "view_as_complex_copy",
    # predicates and small functional forms of methods
    "is_nonzero", "is_same_size", "is_signed", "is_inference", "is_storage", "get_device",
    "is_distributed", "detach", "detach_", "neg_", "negative_", "addmv_", "resize_as_",
    # creation
    "hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window",
    "frombuffer", "empty_permuted", "from_dlpack", "to_dlpack", "unravel_index",
    "nonzero_static", "binomial",
    # process-wide settings
    "get_num_threads", "set_num_threads", "get_num_interop_threads",
    "set_num_interop_threads", "init_num_threads", "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode", "get_deterministic_debug_mode",
    "set_float32_matmul_precision", "get_float32_matmul_precision", "compile",
    "set_warn_always", "is_warn_always_enabled", "set_flush_denormal", "set_anomaly_enabled",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "is_vulkan_available",
]

_enabled = grad_mode._enabled
_INT = _dt._INT


def _check_tensor(x, fn, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _fmt_double(v):
    """A double the way C++ streams print it (6 significant digits, no trailing zeros)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


def _const(arr, like):
    return _make(arr, like._device)


def _is_int(dt):
    return dt.category == _INT and dt is not _dt.bool


# ================================================================ statistics
def _integral_no_bool(dt):
    return dt.category == _INT and dt is not _dt.bool


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows of `input` (variables x observations), PyTorch's
    Correlation.cpp step for step. One difference: PyTorch zeroes the caller's tensor in
    place in the one-observation, one-weight-kind corner case; here the input is left
    alone and only the result is zero."""
    _check_tensor(input, "cov")
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    if input.dtype is _dt.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
        if w.ndim > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but "
                               f"got fweights with {w.ndim} dimensions")
        if not _integral_no_bool(w.dtype):
            raise RuntimeError("cov(): expected fweights to have integral dtype but got "
                               f"fweights with {_type_word(w.dtype)} dtype")
        if w.numel() != n_obs:
            raise RuntimeError("cov(): expected fweights to have the same numel as there are "
                               f"observations in the input but got {w.numel()} != {n_obs}")
        if n_obs and not bool((w._data >= 0).all()):
            raise RuntimeError("cov(): fweights cannot be negative")
    if aweights is not None:
        aw = aweights
        if aw.ndim > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but "
                               f"got aweights with {aw.ndim} dimensions")
        if not aw.dtype.is_floating_point:
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {_type_word(aw.dtype)} dtype")
        if aw.numel() != n_obs:
            raise RuntimeError("cov(): expected aweights to have the same numel as there are "
                               f"observations in the input but got {aw.numel()} != {n_obs}")
        if n_obs and not bool((aw._data >= 0).all()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aw if w is None else w * aw
    dev = input._device
    w_sum = w.sum() if w is not None else \
        _creation.scalar_tensor(n_obs, dtype=_dt.int64, device=dev)
    if w is not None and not bool(w_sum._data != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is None:
        norm = _creation.scalar_tensor(n_obs - correction, dtype=_dt.int64, device=dev)
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    elif fweights is None and n_obs == 1 and correction == 1:
        norm = _creation.scalar_tensor(0, dtype=_dt.int64, device=dev)
    else:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    if bool(norm._data <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = _creation.zeros_like(norm)
    if n_obs == 1 and (fweights is None) != (aweights is None):
        # the weighted mean of one observation is the observation itself
        x = _creation.zeros_like(x, dtype=_dt.float32 if _integral_no_bool(x.dtype) else None)
    else:
        x = x - avg.unsqueeze(1)
    xw = x * w if w is not None else x
    c = x.mm(xw.t().conj())
    if c.dtype.is_complex and (x.shape[0] == 1 or x.shape[1] == 1):
        c = _creation.complex(c.real, _creation.zeros_like(c.real))
    with np.errstate(divide="ignore", invalid="ignore"):   # 0 degrees of freedom: inf/nan
        return _arith.true_divide(c, norm).squeeze()


def corrcoef(input):
    _check_tensor(input, "corrcoef")
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):   # constant rows give nan
        if c.ndim == 0:
            return c / c     # nan for a zero, inf or nan variance, 1 otherwise
        d = c.diagonal()
        std = (d.real if d.dtype.is_complex else d).sqrt()
        c = c / std.view(-1, 1)
        c = c / std.view(1, -1)
    # rounding can leave values just outside [-1, 1]; clip as NumPy does
    if c.dtype.is_complex:
        return _creation.complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)


def dist(input, other, p=2):
    """The p-norm of `input - other` (broadcast)."""
    if _amp_on[0]:
        input, other = _amp.maybe_cast("dist", input, other)
    _check_tensor(input, "dist")
    _check_tensor(other, "dist", "other", 2)
    d = input - other
    if not (d.dtype.is_floating_point or d.dtype.is_complex):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_type_word(d.dtype)} instead.")
    return _reduce._vector_norm(d, p, None, False, None)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def _pair_diff(a, b):
    """diff[..., i, j, :] = a[..., i, :] - b[..., j, :]."""
    return a[..., :, None, :] - b[..., None, :, :]


def _pnorm_last(diff, p, xp):
    ab = xp.abs(diff)
    if p == 0:
        return (ab != 0).sum(-1).astype(diff.dtype)
    if p == 1:
        return ab.sum(-1)
    if p == 2:
        return xp.sqrt((ab * ab).sum(-1))
    if math.isinf(p):
        return ab.max(-1) if diff.shape[-1] else xp.zeros(diff.shape[:-1], diff.dtype)
    return (ab ** p).sum(-1) ** (1.0 / p)


class Cdist(Op):
    """p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M). For p=2 and
    many rows the squared distances come from one matmul, as in PyTorch; the backward is
    PyTorch's (a zero subgradient where a distance is 0)."""

    @staticmethod
    def forward(ctx, a, b, p, use_mm):
        xp = xp_of(a)
        ctx.p, ctx.use_mm = p, use_mm
        if use_mm:
            an = (a * a).sum(-1, keepdims=True)
            bn = (b * b).sum(-1, keepdims=True)
            lhs = xp.concatenate([a * -2, an, xp.ones_like(an)], -1)
            rhs = xp.concatenate([b, xp.ones_like(bn), bn], -1)
            out = xp.sqrt(xp.maximum(lhs @ xp.swapaxes(rhs, -1, -2), 0))
        else:
            out = _pnorm_last(_pair_diff(a, b), p, xp)
        out = out.astype(a.dtype, copy=False)
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, d = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return _creation.zeros_like(x1), _creation.zeros_like(x2), None, None
        zero = d._data == 0
        if ctx.use_mm or p == 2:
            ratio = _masked_zero(g / _masked_fill(d, zero, 1), zero)
            g1 = x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2)
            g2 = x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1)
            return g1, g2, None, None
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        gg = g.unsqueeze(-1)
        dd = d.unsqueeze(-1)
        sgn = _const(xp_of(diff._data).sign(diff._data), diff)
        if p == 1:
            w = sgn * gg
        elif math.isinf(p):
            hit = _const((xp_of(diff._data).abs(diff._data) == dd._data), diff).to(g.dtype)
            w = sgn * hit * gg
        else:
            dz = xp_of(d._data).broadcast_to(zero[..., None], diff.shape)
            if p < 1:
                dz = dz | (diff._data == 0)
            ab = diff.abs()
            w = sgn * _masked_fill(ab, dz, 1) ** (p - 1) * gg / _masked_fill(dd, zero[..., None],
                                                                            1) ** (p - 1)
            w = _masked_zero(w, dz)
        return w.sum(-2), -w.sum(-3), None, None


class _MaskedFill(Op):
    """t with the constant mask's places set to `value` (differentiable in t)."""
    _name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return xp_of(a).where(mask, xp_of(a).asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return _MaskedFill.apply(g, ctx.mask, 0), None, None


def _masked_fill(t, mask, value):
    return _MaskedFill.apply(t, mask, value)


def _masked_zero(t, mask):
    return _MaskedFill.apply(t, mask, 0)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if _amp_on[0]:
        x1, x2 = _amp.maybe_cast("cdist", x1, x2)
    _check_tensor(x1, "cdist", "x1")
    _check_tensor(x2, "cdist", "x2", 2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_type_word(t.dtype)}")
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(x1.dtype)} but found "
                           f"{_type_word(x2.dtype)}")
    batch = _shape.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    if tuple(x1.shape[:-2]) != tuple(batch):
        x1 = x1.expand(*batch, *x1.shape[-2:])
    if tuple(x2.shape[:-2]) != tuple(batch):
        x2 = x2.expand(*batch, *x2.shape[-2:])
    rows1, rows2 = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or
                         (compute_mode == _CDIST_MODES[0] and (rows1 > 25 or rows2 > 25)))
    return Cdist.apply(x1, x2, float(p), use_mm)


# ---------------------------------------------------------------- histograms
_histogramdd_rt = _rt.make_return_type("histogramdd", ("hist", "bin_edges"))


def _check_hist_input(input, name="histogramdd"):
    if not input.dtype.is_floating_point:
        raise _not_implemented(name, input.dtype)


def _outer_edges(flat, rng, ndim):
    """(leftmost, rightmost) per dimension: from `range`, else the data's min and max,
    widened by 0.5 each way where they coincide (as NumPy does)."""
    lo, hi = [0.0] * ndim, [1.0] * ndim
    if rng is not None:
        rng = [float(r) for r in rng]
        if len(rng) != 2 * ndim:
            raise RuntimeError(f"torch.histogramdd: for a {ndim}-dimensional histogram range "
                               f"should have {2 * ndim} elements, but got {len(rng)}")
        lo, hi = rng[0::2], rng[1::2]
    elif flat.size:
        lo = [float(v) for v in flat.min(0)]
        hi = [float(v) for v in flat.max(0)]
    for d in range(ndim):
        if not (math.isfinite(lo[d]) and math.isfinite(hi[d])):
            raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{_fmt_double(lo[d])}"
                               f", {_fmt_double(hi[d])}] is not finite")
        if lo[d] > hi[d]:
            raise RuntimeError("torch.histogramdd: min should not exceed max, but got min "
                               f"{_fmt_double(lo[d])} max {_fmt_double(hi[d])} for dimension "
                               f"{d}")
        if lo[d] == hi[d]:
            lo[d] -= 0.5
            hi[d] += 0.5
    return lo, hi


def _bin_index(col, edges, linear):
    """Each value's bin (or -1 outside [first edge, last edge] and for NaN). `linear`:
    PyTorch's linear interpolation with a local search among the three nearest edges (its
    result equals the binary search on edges that linspace made); else a binary search."""
    xp = xp_of(col)
    n = edges.shape[0]
    left, right = edges[0], edges[-1]
    inside = (col >= left) & (col <= right)
    v = xp.where(inside, col, left)
    if linear:
        with np.errstate(all="ignore"):
            pos = ((v - left) * col.dtype.type(n - 1) / (right - left)).astype(np.int64)
        pos_min = xp.maximum(pos - 1, 0)
        pos_max = xp.minimum(pos + 2, n)
        count = xp.zeros_like(pos)
        for k in range(3):
            idx = pos_min + k
            ok = idx < pos_max
            count += ok & (edges[xp.minimum(idx, n - 1)] <= v)
        pos = pos_min + count - 1
    else:
        pos = xp.searchsorted(edges, v, side="right") - 1
    pos = xp.where(pos == n - 1, n - 2, pos)
    return xp.where(inside, pos, -1)


def _histogramdd_core(flat, weight, edges_list, density, linear, npdt):
    """hist (array) of `flat` (M, D) over `edges_list` (D arrays)."""
    xp = xp_of(flat)
    nb = [e.shape[0] - 1 for e in edges_list]
    keep = xp.ones(flat.shape[0], dtype=bool)
    index = xp.zeros(flat.shape[0], dtype=np.int64)
    for d, e in enumerate(edges_list):
        b = _bin_index(flat[:, d], e, linear)
        keep &= b >= 0
        index = index * nb[d] + xp.maximum(b, 0)
    total = int(np.prod(nb)) if nb else 0
    wts = None if weight is None else weight[keep].astype(np.float64)
    hist = xp.bincount(index[keep], weights=wts, minlength=total).astype(npdt)
    hist = hist.reshape(nb)
    if density:
        hist = hist / hist.sum()
        for d, e in enumerate(edges_list):
            shape = [1] * len(nb)
            shape[d] = nb[d]
            hist = hist / xp.diff(e).reshape(shape)
        hist = hist.astype(npdt, copy=False)
    return hist


def _check_weight(input, weight, lead_shape, fn="histogramdd"):
    if weight is None:
        return None
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"torch.{fn}: if weight tensor is provided, input tensor and weight "
                           f"tensor should have the same dtype, but got input("
                           f"{_c10(input.dtype)}), and weight({_c10(weight.dtype)})")
    wshape = tuple(weight.shape) or (1,)
    if wshape != tuple(lead_shape):
        raise RuntimeError(f"torch.{fn}: if weight tensor is provided it should have the same "
                           "shape as the input tensor excluding its innermost dimension, but "
                           f"got input with shape {_fmt(input.shape)} and weight with shape "
                           f"{_fmt(weight.shape)}")
    return weight._data.reshape(-1)


def _edges_from_tensors(input, bins, ndim):
    if len(bins) != ndim:
        raise RuntimeError(f"torch.histogramdd: expected {ndim} sequences of bin edges for a "
                           f"{ndim}-dimensional histogram but got {len(bins)}")
    for d, b in enumerate(bins):
        if b.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have "
                               f"the same dtype, but got input with dtype {_c10(input.dtype)} "
                               f"and bins for dimension {d} with dtype {_c10(b.dtype)}")
        if b.ndim != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but "
                               f"got {b.ndim} dimensions in the bins tensor for dimension {d}")
        if b.numel() == 0:
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, "
                               f"but got 0 elements in the bins tensor for dimension {d}")
    for d, b in enumerate(bins):
        if b.numel() - 1 <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b.numel() - 1} "
                               f"for dimension {d}")
    return [b._data for b in bins]


def _linspace_edges(input, counts, lo, hi):
    for d, c in enumerate(counts):
        if c <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {c} for dimension "
                               f"{d}")
    return [_creation.linspace(lo[d], hi[d], counts[d] + 1, dtype=input.dtype,
                               device=input._device) for d in range(len(counts))]


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """Histogram of all of `input`'s values. `bins` is a bin count (equal-width bins over
    `range` or the data's min..max) or a tensor of increasing edges. Returns (hist,
    bin_edges); values outside the edges and NaNs are not counted."""
    _check_tensor(input, "histogram")
    _check_hist_input(input)
    flat = input._data.reshape(-1, 1)
    w = None
    if weight is not None:
        if weight.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor "
                               "and weight tensor should have the same dtype, but got "
                               f"input({_c10(input.dtype)}), and weight({_c10(weight.dtype)})")
        if weight.numel() != input.numel():
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have "
                               "the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape [{input.numel()}, 1] and "
                               f"weight with shape [{weight.numel()}]")
        w = weight._data.reshape(-1)
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError(
                "histogram() received an invalid combination of arguments - got (Tensor, Tensor, "
                "range=tuple), but expected one of:\n"
                " * (Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, "
                "tuple of Tensors out = None)\n"
                " * (Tensor input, int bins = 100, *, tuple of floats range = None, Tensor "
                "weight = None, bool density = False, tuple of Tensors out = None)\n")
        edges = _edges_from_tensors(input, [bins], 1)
        edge_t = bins.clone()
        linear = False
    else:
        lo, hi = _outer_edges(flat, range, 1)
        edge_t = _linspace_edges(input, [operator.index(bins)], lo, hi)[0]
        edges = [edge_t._data]
        linear = True
    hist = _histogramdd_core(flat, w, edges, density, linear, flat.dtype)
    h = _make(hist, input._device)
    res = _rt.histogram(h, edge_t)
    if out is not None:
        write_out(h, out[0])
        write_out(edge_t, out[1])
        return _rt.histogram(out[0], out[1])
    return res


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """D-dimensional histogram of the rows of `input` (..., D). `bins`: one count for every
    dimension, a sequence of counts, or a sequence of edge tensors."""
    _check_tensor(input, "histogramdd")
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    _check_hist_input(input)
    ndim = input.shape[-1]
    flat = input._data.reshape(-1, ndim)
    w = _check_weight(input, weight, input.shape[:-1])
    if isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor):
        edges = _edges_from_tensors(input, list(bins), ndim)
        edge_ts = [b for b in bins]
        linear = False
    else:
        counts = [operator.index(bins)] * ndim if not isinstance(bins, (list, tuple)) else \
            [operator.index(b) for b in bins]
        if len(counts) != ndim:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                               "dimension of the input.")
        lo, hi = _outer_edges(flat, range, ndim)
        edge_ts = _linspace_edges(input, counts, lo, hi)
        edges = [e._data for e in edge_ts]
        linear = True
    hist = _histogramdd_core(flat, w, edges, density, linear, flat.dtype)
    return _histogramdd_rt(_make(hist, input._device), tuple(edge_ts))


# ================================================================ gcd / lcm
def _int_binary(name, input, other):
    input, other = _operands(name, input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    if not _is_int(dt):
        raise _not_implemented(f"{name}_cpu", dt)
    return input._data.astype(dt.np, copy=False), other._data.astype(dt.np, copy=False), dt


def _broadcast_check(input, other):
    from ._util import broadcast_error
    err = broadcast_error([input, other])
    if err is not None:
        raise err


def gcd(input, other, *, out=None):
    """Greatest common divisor, non-negative (|-2**63| overflows back to -2**63 as in C)."""
    a, b, dt = _int_binary("gcd", input, other)
    _broadcast_check(input, other)
    r = _make(xp_of(a).gcd(a, b).astype(dt.np, copy=False), input._device)
    return r if out is None else write_out(r, out)


def lcm(input, other, *, out=None):
    """Least common multiple: |a / gcd(a, b) * b| computed in 64 bits and wrapped to the
    dtype, exactly PyTorch's C arithmetic (NumPy's lcm differs on overflow)."""
    a, b, dt = _int_binary("lcm", input, other)
    _broadcast_check(input, other)
    xp = xp_of(a)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    g = xp.gcd(a64, b64)
    with np.errstate(all="ignore"):
        q = xp.where(g == 0, 0, a64 // xp.where(g == 0, 1, g))
        r = xp.abs(q * b64)
    r = _make(r.astype(dt.np), input._device)
    return r if out is None else write_out(r, out)


def _check_inplace_cast(self, other):
    """PyTorch checks an in-place op's result type fits self before checking the kernel."""
    if isinstance(other, Tensor):
        rd = _dt.result_type(self, other)
        if rd.category > self.dtype.category:
            raise RuntimeError(f"result type {_type_word(rd)} can't be cast to the desired "
                               f"output type {_type_word(self.dtype)}")


def gcd_(self, other):
    _check_inplace_cast(self, other)
    return apply_inplace(self, gcd(self, other))


def lcm_(self, other):
    _check_inplace_cast(self, other)
    return apply_inplace(self, lcm(self, other))


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return _arith.rsub(input, other, alpha=alpha)


# ================================================================ igamma / igammac
def igamma(input, other, *, out=None):
    """The regularised lower incomplete gamma function (ember.special.gammainc)."""
    from .. import special
    return special.gammainc(input, other, out=out)


def igammac(input, other, *, out=None):
    """The regularised upper incomplete gamma function (ember.special.gammaincc)."""
    from .. import special
    return special.gammaincc(input, other, out=out)


def igamma_(self, other):
    _check_inplace_cast(self, other)
    return apply_inplace(self, igamma(self, other))


def igammac_(self, other):
    _check_inplace_cast(self, other)
    return apply_inplace(self, igammac(self, other))


# ================================================================ nextafter / frexp
def _bf16_nextafter(a, b):
    """nextafter for bfloat16 (no NumPy ufunc loop): step the 16-bit pattern."""
    xf, yf = a.astype(np.float32), b.astype(np.float32)
    bits = a.view(np.uint16).astype(np.int32)
    up = (xf < yf) == (xf > 0)
    stepped = np.where(up, bits + 1, bits - 1).astype(np.uint16).view(a.dtype)
    tiny = np.where(yf > 0, np.uint16(1), np.uint16(0x8001)).view(a.dtype)
    out = np.where(xf == 0, tiny, stepped)
    out = np.where(xf == yf, b, out)
    return np.where(np.isnan(xf) | np.isnan(yf), np.array(np.nan, a.dtype), out)


class Nextafter(Op):
    """PyTorch's derivative: the gradient passes to `input` except where input == other
    (there the result is other), and `other` gets zeros."""

    @staticmethod
    def forward(ctx, a, b, npdt):
        a, b = a.astype(npdt, copy=False), b.astype(npdt, copy=False)
        xp = xp_of(a)
        if npdt.name == "bfloat16":
            a, b = np.broadcast_arrays(a, b)
            out = _bf16_nextafter(a, b)
        else:
            out = xp.nextafter(a, b)
        if ctx.needs_input_grad:
            ctx.tie = xp.broadcast_to(a == b, out.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        ga = _masked_zero(g, ctx.tie) if ctx.needs_input_grad[0] else None
        return ga, _creation.zeros_like(g) if ctx.needs_input_grad[1] else None, None


def nextafter(input, other, *, out=None):
    input, other = _operands("nextafter", input, other, scalar_other=False)
    dt = _dt.result_type(input, other)
    if not dt.is_floating_point:
        raise _not_implemented("nextafter_cpu", dt)
    _broadcast_check(input, other)
    r = Nextafter.apply(input, other, dt.np)
    return r if out is None else write_out(r, out)


def nextafter_(self, other):
    _check_inplace_cast(self, other)
    return apply_inplace(self, nextafter(self, other))


class Frexp(Op):
    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        if a.dtype.name == "bfloat16":    # exact through float32: fewer mantissa bits
            m, e = xp.frexp(a.astype(np.float32))
            m = m.astype(a.dtype)
        else:
            m, e = xp.frexp(a)
        e = e.astype(np.int32)
        ctx.exponent = e
        ctx.mark_non_differentiable(e)
        return m, e

    @staticmethod
    def backward(ctx, gm, ge):
        scale = xp_of(ctx.exponent).exp2(-ctx.exponent.astype(np.float64))
        return gm * _const(scale.astype(_dt.to_np(gm.dtype)), gm)


def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1)."""
    _check_tensor(input, "frexp")
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = Frexp.apply(input)
    if out is not None:
        write_out(m, out[0])
        write_out(e, out[1])
        return _rt.frexp(out[0], out[1])
    return _rt.frexp(m, e)


# ================================================================ renorm
def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice along `dim` whose p-norm exceeds maxnorm is scaled to norm maxnorm (by
    maxnorm / (norm + 1e-7), PyTorch's factor)."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("renorm", input)
    _check_tensor(input, "renorm")
    if isinstance(p, complex):
        raise RuntimeError("renorm: p must be real-valued")
    if float(p) <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if isinstance(maxnorm, complex):
        raise RuntimeError("renorm: maxnorm must be real-valued")
    if float(maxnorm) < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got "
                           f"{_fmt_double(maxnorm)}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    d = wrap_dim(dim, input.ndim)
    dims = tuple(i for i in range(input.ndim) if i != d)
    norm = _reduce._vector_norm(input, p, dims, True, None)
    big = norm._data > maxnorm
    factor = _masked_fill(maxnorm / (norm + 1e-7), ~big, 1.0)
    r = input * factor.to(input.dtype if not input.dtype.is_complex else norm.dtype)
    return r if out is None else write_out(r, out)


def renorm_(self, p, dim, maxnorm):
    return apply_inplace(self, renorm(self, p, dim, maxnorm))


def true_divide_(self, other):
    return apply_inplace(self, _arith.true_divide(self, other))


# ================================================================ integration, differences
def _real_dx(dx, name):
    if isinstance(dx, (bool, np.bool_)) or isinstance(dx, (complex, np.complexfloating)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    if isinstance(dx, Tensor):
        dx = dx.item()
    return float(dx)


def _x_viewed(x, y, dim, name):
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[dim] = x.shape[0]
        return x.view(shape)
    if x.ndim < y.ndim:
        return x.view((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return x


def _trapz_args(name, y, x, dx):
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        "Tensor, dx=" + type(dx).__name__ + "), but expected one of:\n"
                        " * (Tensor y, Tensor x, *, int dim = -1)\n"
                        " * (Tensor y, *, Number dx = 1, int dim = -1)\n")


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of y along `dim` by the trapezoid rule, with sample points x or spacing dx."""
    _check_tensor(y, "trapezoid", "y")
    _trapz_args("trapezoid", y, x, dx)
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, y.ndim)
    if y.shape[d] == 0:
        shape = tuple(s for i, s in enumerate(y.shape) if i != d)
        return _creation.zeros(shape, dtype=y.dtype, device=y._device)
    if x is not None and not isinstance(x, Tensor):
        x = _creation.tensor(x, device=y._device)
    if x is not None:
        if y.dtype is _dt.bool or x.dtype is _dt.bool:
            raise RuntimeError("trapezoid: received a bool input for `x` or `y`, but bool is "
                               "not supported")
        xv = _x_viewed(x, y, d, "trapezoid")
        step = xv.narrow(d, 1, xv.shape[d] - 1) - xv.narrow(d, 0, xv.shape[d] - 1)
        n = y.shape[d]
        return ((y.narrow(d, 0, n - 1) + y.narrow(d, 1, n - 1)) * step).sum(d) / 2.
    if y.dtype is _dt.bool:
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not "
                           "supported")
    h = _real_dx(1.0 if dx is None else dx, "trapezoid")
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * h


def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of trapezoid (`trapz(y, x, dim=-1)` or `trapz(y, *, dx=1, dim=-1)`)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    _check_tensor(y, "cumulative_trapezoid", "y")
    _trapz_args("cumulative_trapezoid", y, x, dx)
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, y.ndim)
    n = y.shape[d]
    left, right = y.narrow(d, 0, builtins.max(n - 1, 0)), y.narrow(d, builtins.min(1, n),
                                                                  builtins.max(n - 1, 0))
    if x is not None:
        if not isinstance(x, Tensor):
            x = _creation.tensor(x, device=y._device)
        if y.dtype is _dt.bool or x.dtype is _dt.bool:
            raise RuntimeError("cumulative_trapezoid: received a bool input for `x` or `y`, "
                               "but bool is not supported")
        xv = _x_viewed(x, y, d, "cumulative_trapezoid")
        m = xv.shape[d]
        step = xv.narrow(d, builtins.min(1, m), builtins.max(m - 1, 0)) - \
            xv.narrow(d, 0, builtins.max(m - 1, 0))
        return ((left + right) * step).cumsum(d) / 2.
    if y.dtype is _dt.bool:
        raise RuntimeError("cumulative_trapezoid: received a bool input for `y`, but bool is "
                           "not supported")
    h = _real_dx(1.0 if dx is None else dx, "cumulative_trapezoid")
    return (h / 2. * (left + right)).cumsum(d)


def _gradient_dims(input, dim):
    if dim is None:
        return list(range(input.ndim)), False
    if isinstance(dim, int):
        return [dim], True
    return list(dim), True


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Finite-difference estimate of input's derivative along each of `dim` (all dims by
    default): central differences inside, one-sided (edge_order 1 or 2) at the ends.
    `spacing`: a number, a list of numbers (one per dim), or a list of 1-D coordinate
    tensors. Returns a tuple, one tensor per dim."""
    _check_tensor(input, "gradient")
    dims, dim_given = _gradient_dims(input, dim)
    if input.dtype is _dt.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if isinstance(spacing, Tensor):
        spacing = [spacing] if spacing.ndim == 1 else spacing.item()
    if isinstance(spacing, (list, tuple)):
        spacing = list(spacing)
        n = len(spacing)
        if not dim_given and n != input.ndim:
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or "
                               "a list of length equal to 'self.dim() = "
                               f"{input.ndim}', since dim argument was not given, but got a "
                               f"list of length {n}")
        if dim_given and n != len(dims):
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or "
                               "it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {n} and a dim argument of length "
                               f"{len(dims)}.")
    else:
        spacing = [spacing] * len(dims)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim_given:
        dims_tuple(list(dims), input.ndim)     # PyTorch's range and repeated-dim errors
    for d in dims:
        if input.shape[wrap_dim(d, input.ndim)] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    coords = spacing and isinstance(spacing[0], Tensor)
    out = []
    for d, h in zip(dims, spacing):
        d = wrap_dim(d, input.ndim)
        out.append(_gradient_coords(input, h, d, edge_order) if coords else
                   _gradient_uniform(input, h, d, edge_order))
    return tuple(out)


def _sl(t, d, start, stop=None):
    n = t.shape[d]
    start = start + n if start < 0 else start
    stop = n if stop is None else (stop + n if stop < 0 else stop)
    return t.narrow(d, start, builtins.max(stop - start, 0))


def _gradient_uniform(f, h, d, edge_order):
    center = (_sl(f, d, 2) - _sl(f, d, 0, -2)) / h
    if edge_order == 1:
        first = (_sl(f, d, 1, 2) - _sl(f, d, 0, 1)) / h
        last = (_sl(f, d, -1) - _sl(f, d, -2, -1)) / h
    else:
        first = (-1.5 * _sl(f, d, 0, 1) + 2 * _sl(f, d, 1, 2) - 0.5 * _sl(f, d, 2, 3)) / h
        last = (0.5 * _sl(f, d, -3, -2) - 2 * _sl(f, d, -2, -1) + 1.5 * _sl(f, d, -1)) / h
    return _shape.cat([first, center / 2, last], d)


def _gradient_coords(f, x, d, edge_order):
    if x.ndim != 1:
        raise RuntimeError("torch.gradient expected each element of spacing to have one "
                           f"dimension, but got an element with {x.ndim} dimensions!")
    if x._device is not f._device:
        raise RuntimeError("torch.gradient expected each tensor to be on the same device, but "
                           f"got devices {f._device} and {x._device}!")
    shape = [1] * f.ndim
    shape[d] = -1
    h = x.diff(1, 0)
    h1, h2 = h[:-1], h[1:]
    a = (-h2 / (h1 * (h1 + h2))).reshape(shape)
    b = ((h2 - h1) / (h1 * h2)).reshape(shape)
    c = (h1 / (h2 * (h1 + h2))).reshape(shape)
    center = a * _sl(f, d, 0, -2) + b * _sl(f, d, 1, -1) + c * _sl(f, d, 2)
    if edge_order == 1:
        first = (_sl(f, d, 1, 2) - _sl(f, d, 0, 1)) / h[0]
        last = (_sl(f, d, -1) - _sl(f, d, -2, -1)) / h[-1]
    else:
        h0, h1_ = h[0], h[1]
        a = -(2.0 * h0 + h1_) / (h0 * (h0 + h1_))
        b = (h0 + h1_) / (h0 * h1_)
        c = (-h0) / (h1_ * (h0 + h1_))
        first = a * _sl(f, d, 0, 1) + b * _sl(f, d, 1, 2) + c * _sl(f, d, 2, 3)
        hl, hm = h[-1], h[-2]
        a = hl / (hm * (hl + hm))
        b = -(hl + hm) / (hl * hm)
        c = (2 * hl + hm) / (hl * (hl + hm))
        last = a * _sl(f, d, -3, -2) + b * _sl(f, d, -2, -1) + c * _sl(f, d, -1)
    return _shape.cat([first, center, last], d)


def vander(x, N=None, increasing=False):
    """Columns x**0, x**1, ... (reversed unless `increasing`), built with cumprod as PyTorch
    does, so the gradient is cumprod's. Integer and bool inputs give int64."""
    _check_tensor(x, "vander", "x")
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = _dt.promote_types(x.dtype, _dt.int64)
    ones = _creation.ones(x.shape[0], 1, dtype=dt, device=x._device)
    if n == 0:
        return _creation.empty(x.shape[0], 0, dtype=dt, device=x._device)
    if n == 1:
        r = ones
    else:
        powers = x.to(dt).unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)
        r = _shape.cat([ones, powers], 1)
    return r if increasing else r.flip(1)


# ================================================================ scatters into views
class _ScatterView(Op):
    """input with the region `fn` (an array view function) replaced by src. Gradients: the
    input's outside the region, src's the region itself."""

    @staticmethod
    def forward(ctx, a, s, fn, name, view_name):
        ctx.fn, ctx.view_name = fn, view_name
        ctx._name = name
        out = a.copy()
        fn(out)[...] = s
        return out

    @staticmethod
    def backward(ctx, g):
        fn = ctx.fn
        ga = _shape._MaskView.apply(g, fn) if ctx.needs_input_grad[0] else None
        gs = _shape._ViewOf.apply(g, fn, ctx.view_name, False) if ctx.needs_input_grad[1] \
            else None
        return ga, gs, None, None, None


def _scatter_into(input, src, fn, name, view_name):
    region = fn(input._data)
    if tuple(region.shape) != tuple(src.shape):
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{_fmt(src.shape)}, slice size = {_fmt(region.shape)}")
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    return _ScatterView.apply(input, src, fn, name, view_name)


def select_scatter(input, src, dim, index):
    """A copy of input with input.select(dim, index) replaced by src."""
    _check_tensor(input, "select_scatter")
    _check_tensor(src, "select_scatter", "src", 2)
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    i = operator.index(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{_fmt(input.shape)} at dimension {d}")
    i %= n
    pre = (slice(None),) * d

    def fn(a):
        return a[pre + (i, Ellipsis)]
    return _scatter_into(input, src, fn, "SelectScatterBackward0", "SelectBackward0")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of input with input[..., start:end:step, ...] (along `dim`) replaced by src."""
    _check_tensor(input, "slice_scatter")
    _check_tensor(src, "slice_scatter", "src", 2)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    lo, hi = _shape._slice_bounds(0 if start is None else operator.index(start),
                                  n if end is None else builtins.min(operator.index(end), n),
                                  n)
    pre = (slice(None),) * d
    sl = slice(lo, hi, step)

    def fn(a):
        return a[pre + (sl,)]
    return _scatter_into(input, src, fn, "SliceScatterBackward0", "SliceBackward0")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of input with input.diagonal(offset, dim1, dim2) replaced by src."""
    _check_tensor(input, "diagonal_scatter")
    _check_tensor(src, "diagonal_scatter", "src", 2)
    d1, d2 = _shape._diag_dims(input.ndim, dim1, dim2)
    fn = _shape._diagonal_fn(offset, d1, d2)
    return _scatter_into(input, src, fn, "DiagonalScatterBackward0", "DiagonalBackward0")


class _FlatScatter(Op):
    """input (flattened in its logical order) with the flat positions `idx` set to src."""

    @staticmethod
    def forward(ctx, a, s, idx, name):
        ctx.idx = idx
        ctx._name = name
        out = a.copy()
        out.reshape(-1)[idx.reshape(-1)] = s.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, g):
        idx = ctx.idx
        ga = gs = None
        if ctx.needs_input_grad[0]:
            zeros = _creation.zeros(idx.shape, dtype=g.dtype, device=g.device)
            ga = _FlatScatter.apply(g, zeros, idx, "AsStridedScatterBackward0")
        if ctx.needs_input_grad[1]:
            gs = g.reshape(-1)[_const(idx, g)]
        return ga, gs, None, None


def _dense_strides(t):
    """The strides clone() keeps: t's own when its elements fill their span exactly once
    (a permuted contiguous layout), else contiguous ones."""
    shape, strides = tuple(t.shape), [s // t._data.itemsize for s in t._data.strides]
    order = sorted(range(t.ndim), key=lambda i: (strides[i], -i))
    expect = 1
    for i in order:
        if shape[i] != 1 and strides[i] != expect:
            return _shape._contig_strides(shape)
        expect *= shape[i]
    st, acc = [0] * t.ndim, 1
    for i in order:
        st[i] = acc
        acc *= builtins.max(shape[i], 1)
    return tuple(st)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of input (laid out as clone() lays it out) whose as_strided(size, stride,
    storage_offset) view is replaced by src."""
    _check_tensor(input, "as_strided_scatter")
    _check_tensor(src, "as_strided_scatter", "src", 2)
    size = _shape._shape_args((size,), "as_strided_scatter", "size")
    stride = _shape._shape_args((stride,), "as_strided_scatter", "stride")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    off = 0 if storage_offset is None else operator.index(storage_offset)
    numel = input.numel()
    item = input._data.itemsize
    need = 0 if _shape._prod(size) == 0 else \
        off + builtins.sum((s - 1) * st for s, st in zip(size, stride)) + 1
    if need > numel:
        raise RuntimeError(f"setStorage: sizes {_fmt(size)}, strides {_fmt(stride)}, storage "
                           f"offset {off}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size "
                           f"{numel * item}")
    if tuple(src.shape) != tuple(size):
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{_fmt(src.shape)}, slice size = {_fmt(size)}")
    xp = xp_of(input._data)
    # memory position -> logical flat index of the clone, then the view's positions
    logical = xp.arange(numel, dtype=np.int64).reshape(input.shape)
    where = xp.empty(numel, dtype=np.int64)
    pos = _shape._strided(xp.arange(numel, dtype=np.int64), tuple(input.shape),
                          _dense_strides(input))
    where[pos.reshape(-1)] = logical.reshape(-1)
    idx = _shape._strided(where, size, stride, off).copy()
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    return _FlatScatter.apply(input, src, idx, "AsStridedScatterBackward0")


class _FillDiagonal(Op):
    _name = "CopySlices"

    @staticmethod
    def forward(ctx, a, idx, value):
        ctx.idx = idx
        out = a.copy()
        out.reshape(-1)[idx] = value
        return out

    @staticmethod
    def backward(ctx, g):
        return _FillDiagonal.apply(g, ctx.idx, 0), None, None


def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (all indices equal) in place; with `wrap`, a tall matrix's
    diagonal restarts below every `cols + 1` rows, as NumPy's fill_diagonal does."""
    n = self.ndim
    if n < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = tuple(self.shape)
    if n > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    h, w = shape[0], shape[1]
    k = builtins.min(h, w)
    step = builtins.sum(_shape._contig_strides(shape))
    count = k
    if wrap and n == 2 and h > w + 1:
        count = -(-self.numel() // (w + 1))
    xp = xp_of(self._data)
    idx = xp.arange(count, dtype=np.int64) * step
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return apply_inplace(self, _FillDiagonal.apply(self, idx, fill_value))


def as_strided_(input, size, stride, storage_offset=None):
    """self becomes its own as_strided view (same storage), as in PyTorch."""
    _shape._become(input, _shape.as_strided(input, size, stride, storage_offset))
    if input.grad_fn is not None and input.grad_fn.name() == "AsStridedBackward0":
        input.grad_fn._name = "AsStridedBackward1"
    return input


# ================================================================ splits and sums
def split_with_sizes(input, split_sizes, dim=0):
    return _shape.split(input, list(split_sizes), dim)


def _check_split_sizes(sizes, n, dim):
    if builtins.any(s < 0 for s in sizes):
        raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={_fmt(sizes)}")
    if builtins.sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {dim}), but got "
                           f"split_sizes={_fmt(sizes)}")


def _unsafe_pieces(input, sizes, dim, name):
    """Pieces sharing input's memory that autograd does not treat as views (PyTorch's
    unsafe_split): each has its own version counter and may be modified in place."""
    return tuple(_shape.Split.apply(input, tuple(sizes), dim, name))


def unsafe_split(input, split_size, dim=0):
    if input.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if isinstance(split_size, (list, tuple)):
        return unsafe_split_with_sizes(input, split_size, dim)
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    s = operator.index(split_size)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    sizes = [0] if n == 0 else [s] * (n // s) + ([n % s] if n % s else [])
    return _unsafe_pieces(input, sizes, d, "UnsafeSplitBackward0")


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    if input.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, input.ndim)
    sizes = [operator.index(s) for s in split_sizes]
    _check_split_sizes(sizes, input.shape[d], d)
    return _unsafe_pieces(input, sizes, d, "UnsafeSplitWithSizesBackward0")


def unsafe_chunk(input, chunks, dim=0):
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    size = -(-n // chunks)
    if size == 0 and n == 0:
        return _unsafe_pieces(input, [0] * chunks, d, "UnsafeSplitWithSizesBackward0")
    return unsafe_split(input, size, d)


def sum_to_size(self, *size):
    """Sum self down to `size`, which self must be expandable from (the reverse of expand)."""
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    size = _shape._shape_args(size, "sum_to_size", "size")
    have = tuple(self.shape)
    ok = len(size) <= len(have) and builtins.all(
        s == t or s == 1 for s, t in zip(reversed(size), reversed(have)))
    if not ok:
        raise RuntimeError(f"size {{{_fmt(size)}}} is not expandable to size {{{_fmt(have)}}}.")
    return sum_to(self, size)


# ================================================================ complex <-> real views
class ViewAsReal(Op):
    @staticmethod
    def forward(ctx, a):
        real = a.real.dtype
        st = tuple(2 * s // a.itemsize for s in a.strides)
        return _shape._strided(a, a.shape + (2,), st + (1,), 0, real)

    @staticmethod
    def backward(ctx, g):
        return _view_as_complex_any(g)


class ViewAsComplex(Op):
    @staticmethod
    def forward(ctx, a):
        cdt = np.result_type(a.dtype, np.complex64)
        item = a.itemsize
        st = tuple(s // item // 2 for s in a.strides[:-1])
        return _shape._strided(a, a.shape[:-1], st, 0, cdt)

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g if g.dtype.is_complex else g.to(_dt.complex64
                                                              if g.dtype is _dt.float32 else
                                                              _dt.complex128))


def _view_as_complex_any(g):
    """view_as_complex of a gradient whatever its layout (a copy where it must be)."""
    a = g._data
    item = a.itemsize
    if a.shape[-1:] != (2,) or a.strides[-1] != item or \
            builtins.any((s // item) % 2 for s in a.strides[:-1]) or \
            ((_ptr(a) - _ptr(_shape._root(a))) // item) % 2:
        g = g.contiguous()
    return ViewAsComplex.apply(g)


def view_as_real(input):
    """A real view of a complex tensor with a last dimension of size 2 (real, imag)."""
    _check_tensor(input, "view_as_real")
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _shape._mark_view(ViewAsReal.apply(input), input)


def view_as_complex(input):
    """A complex view of a float tensor whose last dimension (size 2, stride 1) holds the
    real and imaginary parts."""
    _check_tensor(input, "view_as_complex")
    if input.dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: "
                           f"{_type_word(input.dtype)}")
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    st = input.stride()
    if st[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if builtins.any(s % 2 for s in st[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last "
                           "dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return _shape._mark_view(ViewAsComplex.apply(input), input)


# ---------------------------------------------------------------- *_copy
def _copied(view):
    """A fresh copy of a view's values; its node is named as PyTorch names the copy op's
    (the view op's name plus `_copy`)."""
    out = view.clone()
    if out.grad_fn is not None and view.grad_fn is not None:
        out.grad_fn._name = view.grad_fn.name() + "_copy"
    return out


def _copy_out(r, out):
    return r if out is None else write_out(r, out)


def alias_copy(input, *, out=None):
    return _copy_out(_copied(_shape._view_op(input, _shape._alias, "AliasBackward0")), out)


def as_strided_copy(input, size, stride, storage_offset=None, *, out=None):
    return _copy_out(_copied(_shape.as_strided(input, size, stride, storage_offset)), out)


class _DetachCopy(_NoDerivative):
    aten = "detach_copy"

    @staticmethod
    def forward(ctx, a):
        return a.copy()


def detach_copy(input, *, out=None):
    """A copy that PyTorch keeps in the graph with a derivative it does not implement."""
    return _copy_out(_DetachCopy.apply(input), out)


def diagonal_copy(input, offset=0, dim1=0, dim2=1, *, out=None):
    return _copy_out(_copied(_shape.diagonal(input, offset, dim1, dim2)), out)


def expand_copy(input, size, *, implicit=False, out=None):
    return _copy_out(_copied(input.expand(size)), out)


def permute_copy(input, dims, *, out=None):
    return _copy_out(_copied(_shape.permute(input, dims)), out)


def select_copy(input, dim, index, *, out=None):
    return _copy_out(_copied(_shape.select(input, dim, index)), out)


def slice_copy(input, dim=0, start=None, end=None, step=1, *, out=None):
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    lo, hi = _shape._slice_bounds(0 if start is None else operator.index(start),
                                  n if end is None else builtins.min(operator.index(end), n),
                                  n)
    pre = (slice(None),) * d
    sl = slice(lo, hi, step)
    view = _shape._view_op(input, lambda a: a[pre + (sl,)], "SliceBackward0")
    return _copy_out(_copied(view), out)


def _copied_list(views, out):
    res = [_copied(v) for v in views]
    if out is not None:
        for r, o in zip(res, out):
            write_out(r, o)
        return None
    return res


def split_copy(input, split_size, dim=0, *, out=None):
    return _copied_list(_shape.split(input, split_size, dim), out)


def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):
    return _copied_list(split_with_sizes(input, split_sizes, dim), out)


def unbind_copy(input, dim=0, *, out=None):
    return _copied_list(_shape.unbind(input, dim), out)


def squeeze_copy(input, dim=None, *, out=None):
    return _copy_out(_copied(_shape.squeeze(input, dim)), out)


def t_copy(input, *, out=None):
    return _copy_out(_copied(_shape.t(input)), out)


def transpose_copy(input, dim0, dim1, *, out=None):
    return _copy_out(_copied(_shape.transpose(input, dim0, dim1)), out)


def unfold_copy(input, dimension, size, step, *, out=None):
    return _copy_out(_copied(_shape.unfold(input, dimension, size, step)), out)


def unsqueeze_copy(input, dim, *, out=None):
    return _copy_out(_copied(_shape.unsqueeze(input, dim)), out)


def view_copy(input, size, *, out=None):
    """A copy of input.view(size); `size` may also be a dtype, as for view."""
    return _copy_out(_copied(input.view(size)), out)


def view_as_real_copy(input, *, out=None):
    return _copy_out(_copied(view_as_real(input)), out)


def view_as_complex_copy(input, *, out=None):
    return _copy_out(_copied(view_as_complex(input)), out)


# ================================================================ predicates, small forms
def is_nonzero(input):
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    return input.is_signed()


def is_inference(input):
    """ember does not make inference tensors: `inference_mode` only disables gradients, so
    no tensor is ever one."""
    return False


def is_storage(obj):
    return isinstance(obj, (_ser.UntypedStorage, _ser.TypedStorage))


def get_device(input):
    return input.get_device()


def is_distributed(input):
    return False


def detach(input):
    return input.detach()


def detach_(input):
    return input.detach_()


def neg_(input):
    return input.neg_()


def negative_(input):
    return input.negative_()


def addmv_(input, mat, vec, *, beta=1, alpha=1):
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def resize_as_(input, the_template, *, memory_format=None):
    return _shape.resize_as_(input, the_template, memory_format=memory_format)


def output_nr(self):
    return self._output_nr


def const_data_ptr(self):
    return self.data_ptr()


def _strides_raw(t):
    item = t._data.itemsize
    return [s // item for s in t._data.strides]


def _channels_last(t):
    if t.ndim != 4:
        return False
    st = _strides_raw(t)
    expected = 1
    for d in (1, 3, 2, 0):
        n = t.shape[d]
        if n != 1:
            if st[d] != expected:
                return False
            expected *= n
    return True


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (PyTorch's
    compute_elementwise_output_logical_to_physical_perm). ember has no memory_format objects,
    so `ambiguity_check` is a bool (an empty list means True)."""
    if not isinstance(ambiguity_check, bool):
        if not isinstance(ambiguity_check, list) or ambiguity_check:
            raise TypeError("The ambiguity_check argument must be a bool or a list of memory "
                            "formats.")
    check = ambiguity_check if isinstance(ambiguity_check, bool) else True
    shape, st = tuple(self.shape), _strides_raw(self)
    ndim = len(shape)
    if check and (builtins.any(a == b for a, b in zip(st, st[1:])) or 1 in shape):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact "
                           "one of the given memory formats.")
    if ndim == 0:
        return ()
    if ndim == 1:
        return (0,)
    contiguous, last = self.is_contiguous(), _channels_last(self)
    if contiguous and not last:
        return tuple(range(ndim))
    if last and not contiguous:
        return (0, *range(2, ndim), 1)

    def ge(a, b):
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def should_swap(i, j):
        sa, sb = st[i], st[j]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if ge(shape[j], shape[i]) else 1
        if ge(sb, sa):
            return -1
        if ge(sa, sb):
            return 1
        return 0

    perm = list(reversed(range(ndim)))
    for i in range(1, ndim):
        d1 = i
        for d0 in reversed(range(i)):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return tuple(reversed(perm))


def _c10(dt):
    return _C10_NAMES.get(dt.name, dt.name)


_C10_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _options_str(dt, dev, layout_default=False, pinned_default=True):
    dev_s = "cpu" if dev.type == "cpu" else f"cuda:{dev.index or 0}"
    layout = "Strided (default)" if layout_default else "Strided"
    pinned = "false (default)" if pinned_default else "false"
    return (f"TensorOptions(dtype={_C10_NAMES.get(dt.name, dt.name)}, device={dev_s}, "
            f"layout={layout}, requires_grad=false (default), pinned_memory={pinned}, "
            "memory_format=(nullopt))")


def new(self, *args, **kwargs):
    """The legacy constructor on an instance: `x.new(2, 3)` (uninitialised), `x.new(data)`,
    `x.new(tensor)` (shares it; dtypes must match), `x.new()` (empty), all with x's dtype
    and device."""
    kwargs.setdefault("device", self._device)
    if len(args) == 1 and isinstance(args[0], Tensor) and args[0].dtype is not self.dtype:
        raise TypeError(f"expected {_options_str(self.dtype, self._device)} (got "
                        f"{_options_str(args[0].dtype, args[0]._device)})")
    return _creation._legacy_new(Tensor, self.dtype, args, kwargs)


def as_subclass(self, cls):
    """A `cls` view of self (same memory, still in the graph, as an alias)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                        "Tensor is not possible. Make sure your class inherits from Tensor.")
    out = _shape._view_op(self, _shape._alias, "AliasBackward0")
    out.__class__ = cls
    return out


def to_dense(self, dtype=None, *, masked_grad=None):
    return self if dtype is None else self.to(dtype)


def module_load(self, other, assign=False):
    """What `nn.Module.load_state_dict` uses to turn a state-dict entry into a parameter."""
    if assign:
        return other.detach()
    with grad_mode.no_grad():
        return self.copy_(other).detach()


def _volatile(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=2)
    return False


# ================================================================ Python callables
def _python_scalar_converter(dt):
    if dt is _dt.bool:
        return bool
    if dt.is_complex:
        return complex
    if dt.is_floating_point:
        def to_float(v):
            if not isinstance(v, numbers.Real) and not hasattr(v, "__float__"):
                raise TypeError(f"must be real number, not {type(v).__name__}")
            return float(v)
        return to_float

    def to_int(v):
        if isinstance(v, float):
            return int(v)
        return operator.index(v)
    return to_int


def _elementwise(self, others, fn, name):
    if self._device.type != "cpu":
        raise RuntimeError(f"{name} is only implemented on CPU tensors")
    if builtins.any(t._requires_grad for t in (self,) + others):
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    conv = _python_scalar_converter(self.dtype)
    a = self._data
    cols = [a.reshape(-1).tolist()] + [o._data.reshape(-1).tolist() for o in others]
    vals = [conv(fn(*v)) for v in zip(*cols)]
    if vals:
        a[...] = np.array(vals, dtype=object).reshape(a.shape).astype(a.dtype)
    self._vc[0] += 1
    return self


def apply_(self, callable):
    """Replace each element x by callable(x) (Python numbers in and out; CPU only; slow)."""
    if not builtins.callable(callable):
        raise TypeError(f"'{type(callable).__name__}' object is not callable")
    return _elementwise(self, (), callable, "apply_")


def _map_operand(self, other, fn, arg):
    if other.dtype is not self.dtype:
        raise TypeError(f"{fn}: expected {self.type()} for {arg} (got {other.type()})")
    return other.expand(self.shape)


def map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]), tensor broadcast to self's shape."""
    if self._requires_grad or tensor._requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use "
                           "var.detach().map_() instead.")
    other = _map_operand(self, tensor, "map_", "'other'")
    return _elementwise(self, (other,), callable, "map_")


def map2_(self, x, y, callable):
    """self[i] = callable(self[i], x[i], y[i]), x and y broadcast to self's shape."""
    if builtins.any(t._requires_grad for t in (self, x, y)):
        raise RuntimeError("Can't call map2_() on Variable that requires grad. Use "
                           "var.detach().map2_() instead.")
    xo = _map_operand(self, x, "map2_", "argument 'x'")
    yo = _map_operand(self, y, "map2_", "argument 'y'")
    return _elementwise(self, (xo, yo), callable, "map2_")


# ================================================================ storages
def _byte_span(a):
    """(uint8 array over all the memory owning a's data, the address of its first byte):
    PyTorch's storage of a tensor whose array is `a`."""
    root = _shape._root(a)
    lo, hi = _ser._extent(root)
    if isinstance(root, np.ndarray):
        if root.flags.c_contiguous:
            return root.reshape(-1).view(np.uint8), lo
        iface = {"data": (lo, not root.flags.writeable), "shape": (hi - lo,), "typestr": "|u1",
                 "version": 3}
        return np.asarray(_shape._ArrayInterface(iface, root)), lo
    import cupy
    return cupy.ndarray((hi - lo,), np.uint8, memptr=root.data + (lo - _ptr(root))), lo


def _storage_index(idx, n):
    i = operator.index(idx)
    j = i + n if i < 0 else i
    if not 0 <= j < n:
        raise IndexError(f"index {i} out of range for storage of size {n}")
    return j


class UntypedStorage(_ser.UntypedStorage):
    """A tensor's memory as bytes (`x.untyped_storage()`); items read and write it."""

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            start, stop, step = idx.indices(len(self))
            if step != 1:
                raise RuntimeError(f"Trying to slice with a step of {step}, but only a step of 1 "
                                   "is supported")
            return UntypedStorage(self._array[start:stop], self._device)
        return int(self._array[_storage_index(idx, len(self))])

    def __setitem__(self, idx, value):
        if not isinstance(idx, slice):
            idx = _storage_index(idx, len(self))
        self._array[idx] = value

    def __iter__(self):
        return iter(self.tolist())

    def untyped(self):
        return self

    def is_shared(self):
        return self._device.type != "cpu" or _is_shared_array(self._array)

    def __repr__(self):
        data = " " + "\n ".join(str(v) for v in self.tolist())
        return f"{data}\n[torch.storage.UntypedStorage(device={self._device}) of size {len(self)}]"

    __str__ = __repr__


class TypedStorage(_ser.TypedStorage):
    """The same memory read as the tensor's dtype (`x.storage()`, deprecated in PyTorch)."""

    def _values(self):
        arr = self._untyped_storage._array
        item = self.dtype.itemsize
        return arr[:arr.size // item * item].view(_dt.to_np(self.dtype))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        return self._values()[_storage_index(idx, self.size())].item()

    def __setitem__(self, idx, value):
        if not isinstance(idx, slice):
            idx = _storage_index(idx, self.size())
        self._values()[idx] = value

    def __iter__(self):
        return iter(self.tolist())

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def element_size(self):
        return self.dtype.itemsize

    def is_shared(self):
        return self._untyped_storage.is_shared()

    def __repr__(self):
        data = " " + "\n ".join(str(self[i]) for i in range(self.size()))
        return (f"{data}\n[torch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) "
                f"of size {self.size()}]")

    __str__ = __repr__


def untyped_storage(self):
    span, _ = _byte_span(self._data)
    return UntypedStorage(span, self._device)


_typed_storage_warned = [False]


def storage(self):
    if not _typed_storage_warned[0]:
        _typed_storage_warned[0] = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and "
                      "UntypedStorage will be the only storage class. This should only matter "
                      "to you if you are using storages directly.  To access UntypedStorage "
                      "directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=2)
    return TypedStorage(untyped_storage(self), self.dtype)


def is_set_to(self, tensor):
    """Same memory, offset, sizes and strides (and dtype)."""
    a, b = self._data, tensor._data
    return (self._device == tensor._device and a.dtype == b.dtype and _ptr(a) == _ptr(b) and
            a.shape == b.shape and a.strides == b.strides and
            _byte_span(a)[1] == _byte_span(b)[1] and
            _byte_span(a)[0].size == _byte_span(b)[0].size)


def _check_storage_bounds(size, stride, offset, item, have):
    need = 0 if _shape._prod(size) == 0 else \
        offset + builtins.sum((s - 1) * st for s, st in zip(size, stride)) + 1
    if need * item > have:
        raise RuntimeError(f"setStorage: sizes {_fmt(size)}, strides {_fmt(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size {have}")


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Make self look at other memory: `set_(tensor)` (its memory, shape and strides),
    `set_(storage, offset, size, stride)`, `set_(tensor, offset, size, stride)`, or
    `set_()` (empty). In place: bumps self's version."""
    check_inplace_allowed(self)
    npdt = self._data.dtype
    if source is None:
        arr = xp_of(self._data).empty(0, npdt)
        dev = self._device
    else:
        if isinstance(source, Tensor):
            if source.dtype is not self.dtype:
                raise RuntimeError(f"Could not set tensor of type "
                                   f"{_C10_NAMES[source.dtype.name]} to a tensor of type "
                                   f"{_C10_NAMES[self.dtype.name]}")
            if size is None:
                arr, dev = source._data, source._device
                size = False
            else:
                u = untyped_storage(source)
        elif isinstance(source, _ser.TypedStorage):
            if source.dtype is not self.dtype:
                raise RuntimeError(f"Expected a Storage of type {_C10_NAMES[self.dtype.name]} "
                                   f"or an UntypedStorage, but got type "
                                   f"{_type_word(source.dtype)} for argument 1 'storage'")
            u = source._untyped_storage
        elif isinstance(source, _ser.UntypedStorage):
            u = source
        else:
            raise TypeError(f"set_(): argument 'source' must be Tensor or Storage, not "
                            f"{type(source).__name__}")
        if size is not False:
            item = npdt.itemsize
            if size is None:
                size, storage_offset = (u.nbytes() // item,), 0
            size = _shape._shape_args((size,), "set_", "size")
            stride = _shape._contig_strides(size) if stride is None else \
                _shape._shape_args((stride,), "set_", "stride")
            offset = operator.index(storage_offset)
            _check_storage_bounds(size, stride, offset, item, u.nbytes())
            arr = u._view(npdt, size, stride, offset)
            dev = u.device
    self._data = arr
    self._device = dev
    self._vc[0] += 1
    return self


# ---------------------------------------------------------------- shared memory
# Tensor.share_memory_ / is_shared live in ember/_shared_memory.py (with the handles
# torch.multiprocessing pickles); storages ask it too.
def _is_shared_array(a):
    from .._shared_memory import _lookup
    return _lookup(a)[1] is not None


# ================================================================ creation
def _window_dtype(name, n, dtype, device):
    dt = _dt.as_dtype(dtype) or _dt.get_default_dtype()
    dev = _creation._device(device)
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: "
                           f"{_options_str(dt, dev, layout_default=True, pinned_default=False)}")
    return dt, dev


def _window(name, n, periodic, dtype, device, requires_grad, body):
    """PyTorch's window recipe: length 0 empty, length 1 [1.], else body(m) over m points
    (one more when periodic, then the last dropped), computed in the result's precision."""
    n = operator.index(n)
    dt, dev = _window_dtype(name, n, dtype, device)
    npdt = dt.np
    if n == 0:
        arr = np.empty(0, npdt)
    elif n == 1:
        arr = np.ones(1, npdt)
    else:
        m = n + 1 if periodic else n
        work = np.float32 if npdt.name == "bfloat16" else npdt
        arr = body(np.arange(m, dtype=work), m, np.dtype(work).type).astype(npdt, copy=False)
        if periodic:
            arr = arr[:n]
    return _creation._finish(arr, dev, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False, pin_memory=False):
    def body(k, m, f):
        return np.cos(k * f(math.pi * 2. / (m - 1))) * f(-beta) + f(alpha)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   body)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False, pin_memory=False):
    def body(k, m, f):
        return np.cos(k * f(math.pi * 2. / (m - 1))) * f(-0.5) + f(0.5)
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, body)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    def body(k, m, f):
        w = k * f(math.pi / (m - 1))
        return np.cos(w * f(4)) * f(0.08) - np.cos(w * f(2)) * f(0.5) + f(0.42)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   body)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    def body(k, m, f):
        w = k * f(2. / (m - 1))
        half = ((m - 1) >> 1) + 1
        w[half:] = f(2) - w[half:]
        return w
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   body)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False, pin_memory=False):
    def body(k, m, f):
        alpha = (m - 1) / 2.0
        r = (k.astype(np.float64) - alpha) / alpha
        return np.i0(beta * np.sqrt(np.abs(1 - r * r))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   body)


_readonly_buffer_warned = [False]


def frombuffer(buffer, *, dtype=None, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing an object's buffer memory (bytearray, array.array, mmap, ...).
    As in PyTorch, a read-only buffer (bytes) is shared writable, after a one-time warning."""
    if dtype is None:
        raise TypeError('frombuffer() missing 1 required positional arguments: "dtype"')
    dt = _dt.as_dtype(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    n, item = view.nbytes, dt.itemsize
    if n <= 0 or count == 0:
        raise ValueError(f"both buffer length ({n}) and count ({count}) must not be 0")
    if not 0 <= offset < n:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({n} bytes) minus 1")
    if count < 0 and (n - offset) % item:
        raise ValueError(f"buffer length ({n - offset} bytes) after offset ({offset} bytes) "
                         f"must be a multiple of element size ({item})")
    actual = (n - offset) // item if count < 0 else count
    if offset + actual * item > n:
        raise ValueError(f"requested buffer length ({actual} * {item} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({n} bytes)")
    arr = np.frombuffer(view, dtype=dt.np, count=actual, offset=offset)
    if not arr.flags.writeable and not _readonly_buffer_warned[0]:
        _readonly_buffer_warned[0] = True
        warnings.warn("The given buffer is not writable, and PyTorch does not support "
                      "non-writable tensors. This means you can write to the underlying "
                      "(supposedly non-writable) buffer using the tensor. You may want to "
                      "copy the buffer to protect its data or make it writable before "
                      "converting it to a tensor. This type of warning will be suppressed "
                      "for the rest of this program.", UserWarning, stacklevel=2)
    # re-wrapped: writable whatever the buffer says (as PyTorch), and owned by an object
    # that isn't array-like (np.frombuffer's base is a memoryview, which has a shape)
    iface = dict(arr.__array_interface__, data=(_ptr(arr), False))
    arr = np.asarray(_shape._ArrayInterface(iface, arr))
    t = _make(arr, _cpu)
    return _creation._leaf_requires_grad(t) if requires_grad else t


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """An uninitialised tensor of `size` whose memory holds its dims in the order
    `physical_layout` (outermost first)."""
    size = _shape._shape_args((size,), "empty_permuted", "size")
    perm = tuple(operator.index(p) for p in physical_layout)
    if len(size) != len(perm):
        raise RuntimeError("Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(perm)}")
    seen = set()
    for i, p in enumerate(perm):
        if not 0 <= p < len(size):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and "
                               f"{len(size) - 1}, but got {p} at index {i}).  NB: negative dims "
                               "not currently supported; file an issue if you want it.")
        if p in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(p)
    dt = _dt.as_dtype(dtype) or _dt.get_default_dtype()
    dev = _creation._device(device)
    xp = xp_for(dev)
    phys = xp.empty(tuple(size[p] for p in perm), dt.np)
    arr = phys.transpose(tuple(perm.index(d) for d in range(len(size))))
    t = _make(arr, dev)
    return _creation._leaf_requires_grad(t) if requires_grad else t


class _Capsule:
    """Lets NumPy read a bare DLPack capsule (the legacy `to_dlpack` result)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of any DLPack producer (NumPy, CuPy, PyTorch, JAX, ...)
    or of a DLPack capsule."""
    if isinstance(ext_tensor, Tensor):
        return _make(ext_tensor._data, ext_tensor._device)
    if hasattr(ext_tensor, "__dlpack__"):
        kind, index = ext_tensor.__dlpack_device__()
        if int(kind) == 1:
            arr, dev = np.from_dlpack(ext_tensor), _cpu
        elif int(kind) == 2:
            import cupy
            from ..device import device as _device_cls
            arr, dev = cupy.from_dlpack(ext_tensor), _creation._device(
                _device_cls("cuda", int(index)))
        else:
            raise BufferError("Unsupported device in DLTensor.")
    else:
        arr, dev = np.from_dlpack(_Capsule(ext_tensor)), _cpu
        if not arr.flags.writeable:
            # a bare capsule carries no read-only flag, so NumPy assumes one; PyTorch doesn't
            iface = dict(arr.__array_interface__, data=(_ptr(arr), False))
            arr = np.asarray(_shape._ArrayInterface(iface, arr))
    _dt.from_np(arr.dtype)
    return _make(arr, dev)


def to_dlpack(tensor):
    """A DLPack capsule sharing the tensor's memory."""
    return _dlpack(tensor)


def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    if self._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    kw = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                            ("dl_device", dl_device), ("copy", copy)) if v is not None}
    return self._data.__dlpack__(**kw)


def _dlpack_device(self):
    return self._data.__dlpack_device__()


def unravel_index(indices, shape):
    """Flat indices into a tensor of `shape` -> one tensor of coordinates per dim."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if not _is_int(indices.dtype):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    elif isinstance(shape, (list, tuple)):
        for s in shape:
            if not isinstance(s, (int, np.integer)):
                raise TypeError(f"expected 'shape' sequence to only contain ints, but got "
                                f"{type(s)}")
        shape = tuple(int(s) for s in shape)
    else:
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs, acc = [], 1
    for s in reversed(shape[1:] + (1,)):
        acc *= s
        coefs.append(acc)
    coefs.reverse()
    dev = indices._device
    r = indices.unsqueeze(-1).floor_divide(
        _creation.tensor(coefs, dtype=_dt.int64, device=dev)) % \
        _creation.tensor(list(shape), dtype=_dt.int64, device=dev)
    return r.unbind(-1)


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero() padded with fill_value (or cut) to exactly `size` rows."""
    size = operator.index(size)
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    nz = input.nonzero()
    n = nz.shape[0]
    if n >= size:
        return nz[:size].clone()
    pad = _creation.full((size - n, input.ndim), fill_value, dtype=_dt.int64,
                         device=input._device)
    return _shape.cat([nz, pad], 0)


class _Binomial(_NoDerivative):
    """A sample: kept in the graph with PyTorch's not-implemented derivative."""
    aten = "binomial"

    @staticmethod
    def forward(ctx, count, prob, sample):
        return sample


def binomial(count, prob, generator=None):
    """Binomial(count, prob) samples, elementwise (as floats of count's dtype)."""
    from . import random as _random
    _check_tensor(count, "binomial", "count")
    _check_tensor(prob, "binomial", "prob", 2)
    if not count.dtype.is_floating_point:
        raise ValueError("binomial only supports floating-point dtypes for count, got: "
                         f"{_type_word(count.dtype)}")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {_type_word(prob.dtype)} but expected "
                           f"{_type_word(count.dtype)}")
    _broadcast_check(count, prob)
    dev = count._device
    src = _random._source(generator, dev)
    xp = src.xp
    c, p = xp.broadcast_arrays(count._data, prob._data)
    bad = xp.isnan(c) | xp.isnan(p)
    n = xp.floor(xp.where(bad, 0, xp.maximum(c, 0))).astype(np.int64)
    pp = xp.clip(xp.where(bad, 0, p), 0, 1).astype(np.float64)
    if isinstance(src, _random._NumpySource):
        draw = src.rng.binomial(n, pp)
    else:
        draw = src._draw(lambda rs: rs.binomial(n, pp))
    arr = xp.where(bad, np.nan, draw).astype(c.dtype)
    if _enabled[0] and (count._requires_grad or prob._requires_grad):
        return _Binomial.apply(count, prob, arr)
    return _make(arr, dev)


# ================================================================ process-wide settings
_blas_found = []


def _openblas_functions():
    """NumPy's OpenBLAS thread-count functions (get, set), found among the loaded libraries
    through ctypes (what threadpoolctl does), or None (no OpenBLAS, or not Linux)."""
    from .. import _cblas
    return _cblas.thread_functions()


def _blas_threads():
    """(get, set) for NumPy's BLAS thread pool: threadpoolctl's when it is installed, else
    OpenBLAS's own functions; None when neither is available."""
    if not _blas_found:
        try:
            import threadpoolctl
        except ImportError:
            _blas_found.append(_openblas_functions())
        else:
            def get():
                counts = [i["num_threads"] for i in threadpoolctl.threadpool_info()
                          if i["user_api"] == "blas"]
                return builtins.max(counts) if counts else None

            def put(n):
                threadpoolctl.threadpool_limits(limits=n, user_api="blas")
            _blas_found.append((get, put))
    return _blas_found[0]


_threads = {"intra": None, "interop": None}


def _default_threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def get_num_threads():
    """Threads one op may use: the size of NumPy's BLAS pool (through threadpoolctl, or
    OpenBLAS directly); without either, the value last set, by default the CPUs this
    process may run on."""
    blas = _blas_threads()
    if blas is not None:
        n = blas[0]()
        if n:
            return int(n)
    n = _threads["intra"]
    return _default_threads() if n is None else n


def _thread_count(n, fn):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return int(n)


def set_num_threads(int):
    """Resize NumPy's BLAS pool (matmul, conv through im2col); ember's other kernels are
    single-threaded NumPy loops. Without threadpoolctl or OpenBLAS the value is only
    recorded."""
    n = _thread_count(int, "set_num_threads")
    blas = _blas_threads()
    if blas is not None:
        blas[1](n)
    _threads["intra"] = n


def get_num_interop_threads():
    n = _threads["interop"]
    return _default_threads() if n is None else n


def set_num_interop_threads(int):
    """ember runs ops one after another, so the count is recorded, not used; as in PyTorch
    it can be set once."""
    n = _thread_count(int, "set_num_interop_threads")
    if _threads["interop"] is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _threads["interop"] = n


def init_num_threads():
    """Nothing to initialise: NumPy's pools start with the process."""


_determinism = {"on": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded for are_deterministic_algorithms_enabled(); ember's CPU ops are all
    deterministic already (NumPy kernels, fixed reduction order)."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _determinism["on"], _determinism["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _determinism["on"]


def is_deterministic_algorithms_warn_only_enabled():
    return _determinism["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    if isinstance(debug_mode, str):
        names = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in names:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = names[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError("debug_mode must be str or int, but got "
                        f"{type(debug_mode).__name__}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _determinism["on"]:
        return 0
    return 1 if _determinism["warn_only"] else 2


_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision):
    """Recorded only: NumPy's float32 matmul always runs at full float32 precision (what
    PyTorch calls "highest")."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision():
    return _matmul_precision[0]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """ember has no graph compiler: the model or function is returned unchanged and runs
    eagerly, which is what torch.compile's result computes. Used as a decorator with
    arguments (`@compile(mode=...)`) it returns the identity decorator."""
    if model is None:
        return lambda fn: fn
    if not builtins.callable(model):
        raise RuntimeError("torch.compile() expects a callable (function or nn.Module)")
    return model


_warn_always = [False]


def set_warn_always(b):
    """Recorded for is_warn_always_enabled(); ember's one-time warnings ignore it."""
    _warn_always[0] = bool(b)


def is_warn_always_enabled():
    return _warn_always[0]


def set_flush_denormal(mode):
    """NumPy offers no control of the CPU's flush-to-zero mode, so this reports False
    (unsupported) and changes nothing, as PyTorch does on CPUs without the feature."""
    return False


def set_anomaly_enabled(enabled, check_nan=True):
    _engine.set_detect_anomaly(enabled, check_nan)


def is_anomaly_enabled():
    return _engine.is_anomaly_enabled()


def is_anomaly_check_nan_enabled():
    return _engine.is_anomaly_check_nan_enabled()


def is_vulkan_available():
    return False
