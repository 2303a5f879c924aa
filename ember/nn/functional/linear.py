"""nn.functional: linear and bilinear maps, the dropout family, embeddings, one_hot and the
distance functions (normalize, cosine_similarity, pairwise_distance, pdist).

linear, dropout and embedding are primitives: one GEMM plus the bias in place; one mask
multiply; one gather. The backward passes of linear and embedding are ops too (one pass
over raw arrays each) whose own backward is written in Tensor ops, so double backward
works; dropout's backward is one multiply by its saved mask. The rest compose ember ops.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _make
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...autograd import grad_mode
from ...ops import creation, random as _random
from ...ops._util import xp_of, apply_inplace, _type_word

__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d",
           "alpha_dropout", "feature_alpha_dropout", "embedding", "embedding_bag", "one_hot",
           "normalize", "cosine_similarity", "pairwise_distance", "pdist"]

_enabled = grad_mode._enabled
_amp_on = _amp._active   # autocast's one fast check (ember.amp)


def _sizes(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


# ================================================================ linear
class _Linear(Op):
    """x @ W^T + b over the last dim of x (any leading dims): one GEMM, bias added in place."""

    @staticmethod
    def forward(ctx, x, w, b):
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        if _half(x):    # no half-precision BLAS: float32 GEMM and bias, rounded once
            out = x2.astype(np.float32) @ w.T.astype(np.float32)
            if b is not None:
                out += b.astype(np.float32)
            out = out.astype(x.dtype)
        else:
            out = x2 @ w.T
            if b is not None:
                out += b
        if ctx.needs_input_grad:
            need = ctx.needs_input_grad
            ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
            ctx.has_bias = b is not None
        return out.reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim != 2 else out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return _LinearBackward.apply(g, x, w, need=(need[0], need[1],
                                                    ctx.has_bias and need[2]))

    @staticmethod
    def backward_raw(ctx, g):
        x, w = ctx._saved_arrays()
        need = ctx.needs_input_grad
        return _LinearBackward.forward(_NO_SAVE, g, x, w, (need[0], need[1],
                                                           ctx.has_bias and need[2]))


class _NoSave:
    """A ctx for calling an Op's forward directly, outside the graph (nothing is saved)."""
    needs_input_grad = ()


_NO_SAVE = _NoSave()


class _LinearBackward(Op):
    """(g @ W, g^T @ x, sum(g)) for the inputs that need them; linear in g, x and W, so its
    own backward is three more products."""
    _materialize_grads = False
    _name = "AddmmBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, w, need):
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        half = g.dtype if _half(g) else None
        if half is not None:   # (x or w is None when its partner needs no gradient)
            g2 = g2.astype(np.float32)
            w = w.astype(np.float32) if w is not None else None
            x = x.astype(np.float32) if x is not None else None
        gx = gw = gb = None
        if need[0]:
            gx = (g2 @ w).reshape(g.shape[:-1] + (w.shape[1],))
        if need[1]:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = g2.T @ x2
        if need[2]:
            gb = g2.sum(axis=0)
        if half is not None:
            gx, gw, gb = (None if a is None else a.astype(half) for a in (gx, gw, gb))
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, w)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ugx, ugw, ugb):
        g, x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gg = gxx = gww = None
        if need[0]:
            parts = []
            if ugx is not None:
                parts.append(ugx.matmul(w.t()))
            if ugw is not None:
                parts.append(x.matmul(ugw.t()))
            if ugb is not None:
                parts.append(ugb.expand(g.shape))
            gg = _total(parts)
        if need[1] and ugw is not None:
            gxx = g.matmul(ugw)
        if need[2] and ugx is not None:
            gww = _flat2(g).t().matmul(_flat2(ugx))
        return gg, gxx, gww


def _half(a):
    return a.dtype.kind == "V" or (a.dtype.kind == "f" and a.dtype.itemsize < 4)


def _flat2(t):
    return t.reshape(-1, t.shape[-1]) if t.ndim != 2 else t


def _total(parts):
    if not parts:
        return None
    r = parts[0]
    for p in parts[1:]:
        r = r + p
    return r


def _linear_name(x_ndim, has_bias):
    if x_ndim == 2:
        return "AddmmBackward0" if has_bias else "MmBackward0"
    if x_ndim == 1:
        return "ViewBackward0" if has_bias else "SqueezeBackward4"
    return "ViewBackward0" if has_bias else "UnsafeViewBackward0"


def _check_linear(input, weight, bias):
    xa, wa = input._data, weight._data
    if xa.ndim and wa.ndim == 2 and xa.shape[-1] == wa.shape[1] and xa.dtype == wa.dtype \
            and xa.dtype.kind in "fc":
        if bias is None:
            return
        ba = bias._data
        if ba.ndim == 1 and ba.shape[0] == wa.shape[0] and ba.dtype == wa.dtype:
            return   # the common valid case, checked on the arrays (cheap); else the errors:
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    rows = 1
    for s in input.shape[:-1]:
        rows *= s
    if input.shape[-1] != weight.shape[-1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x"
                           f"{input.shape[-1]} and {weight.shape[1]}x{weight.shape[0]})")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_type_word(input.dtype)} and {_type_word(weight.dtype)}")
    if input.dtype is _dt.bool:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    if bias is not None:
        if bias.dtype is not weight.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{_type_word(bias.dtype)} and {_type_word(weight.dtype)}")
        out = tuple(input.shape[:-1]) + (weight.shape[0],)
        target = (rows, weight.shape[0]) if input.ndim <= 2 else out
        bs = tuple(bias.shape)
        lead = len(target) - len(bs)
        for i, s in enumerate(bs):
            if lead < 0 or (s != 1 and s != target[lead + i]):
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[max(lead, 0) + i]}) must match "
                    f"the existing size ({s}) at non-singleton dimension {max(lead, 0) + i}.  "
                    f"Target sizes: {_sizes(target)}.  Tensor sizes: {_sizes(bs)}")


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias."""
    if _amp_on[0]:
        input, weight, bias = _amp.maybe_cast("linear", input, weight, bias)
    _check_linear(input, weight, bias)
    if weight.ndim != 2 or (bias is not None and bias.ndim > 1):
        out = input.matmul(weight.t() if weight.ndim == 2 else weight)
        return out if bias is None else out + bias
    r = _Linear.apply(input, weight, bias)
    if r.grad_fn is not None:
        r.grad_fn._name = _linear_name(input.ndim, bias is not None)
    return r


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b for each output feature (weight: out x in1 x in2)."""
    if _amp_on[0]:
        input1, input2, weight, bias = _amp.maybe_cast("bilinear", input1, input2, weight, bias)
    dts = [input1.dtype, input2.dtype, weight.dtype] + ([bias.dtype] if bias is not None else [])
    if any(d is not dts[0] for d in dts):
        names = ["input1", "input2", "weight"] + (["bias"] if bias is not None else [])
        desc = ", ".join(f"{n}: {_c_name(d)}" for n, d in zip(names, dts))
        raise RuntimeError(f"All tensors must have the same dtype, got {desc}")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if weight.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-weight.ndim}, {weight.ndim - 1}], but got 2)")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[-1]} but expected {weight.shape[0]}")
    from ...ops.blas import einsum
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def _c_name(d):
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int"}.get(d.name, d.name)


# ================================================================ dropout family
class _Dropout(Op):
    """x * noise (+ shift): noise is the kept-mask already scaled, broadcast over x."""
    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, noise, shift):
        out = x * noise
        if shift is not None:
            out += shift
            ctx._name = "AddBackward0"
        if ctx.needs_input_grad:
            ctx.noise = noise
        return out

    @staticmethod
    def backward(ctx, g):
        return g * _make(ctx.noise, g._device), None, None


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


_ALPHA = 1.7580993408473766   # -SELU's negative saturation value: scale * alpha


def _dropout_impl(input, p, train, inplace, feature=False, alpha=False):
    """PyTorch's `_dropout_impl`: elementwise or per-channel (`feature`) Bernoulli(1 - p)
    noise; plain dropout rescales kept values by 1/(1-p), alpha dropout keeps mean and
    variance by an affine map that sends dropped values to SELU's saturation value."""
    if p == 0 or not train or input.numel() == 0:
        return input
    x = input._data
    if p == 1:
        r = _Dropout.apply(input, x.dtype.type(0), None)
        return apply_inplace(input, r) if inplace else r
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_type_word(input.dtype)}")
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    else:
        shape = tuple(x.shape)
    src = _random._source(None, input._device)
    work = np.float64 if x.dtype == np.float64 else np.float32
    keep = src.uniform(shape, work) < (1 - p)
    t = x.dtype.type
    shift = None
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        noise = keep.astype(x.dtype)
        shift = (noise - 1) * t(_ALPHA * a) + t(_ALPHA * a * p)
        noise *= t(a)
    else:
        noise = keep.astype(x.dtype)    # (a multiply: `where` is slow on random masks)
        noise *= t(1.0 / (1 - p))
    r = _Dropout.apply(input, noise, shift)
    return apply_inplace(input, r) if inplace else r


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _unbatched_feature(input, p, training, inplace):
    """Channel dropout of an input without batch dim: as one sample of a batch of one."""
    if not training or p == 0 or input.numel() == 0:
        return input
    r = _dropout_impl(input.unsqueeze(0), p, training, False, feature=True).squeeze(0)
    return apply_inplace(input, r) if inplace else r


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if input.ndim == 2:
        return _unbatched_feature(input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input (3-D input: treated as (N, C, L))."""
    _check_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    nd = input.ndim
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if nd != 5:
        return _unbatched_feature(input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, feature=True)


# ================================================================ embedding
class _Embedding(Op):
    """weight[indices]: one gather."""
    _name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        out = xp_of(weight).take(weight, indices, axis=0)
        if ctx.needs_input_grad:
            ctx.indices, ctx.num = indices, weight.shape[0]
            ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return out

    @staticmethod
    def backward(ctx, g):
        gw = _EmbeddingBackward.apply(g, indices=ctx.indices, num=ctx.num,
                                      padding_idx=ctx.padding_idx, scale=ctx.scale)
        return gw, None, None, None


def _row_scale(xp, idx, num, padding_idx, scale, dtype):
    """Per-index gradient factor: 0 at padding_idx, 1/count with scale_grad_by_freq;
    None when every factor is 1."""
    f = None
    if scale:
        counts = xp.bincount(idx, minlength=num)
        f = (1.0 / counts[idx]).astype(dtype)
    if padding_idx >= 0:
        pad = idx == padding_idx
        if pad.any():
            f = xp.ones(idx.shape, dtype) if f is None else f
            f[pad] = 0
    return f


class _EmbeddingBackward(Op):
    """The weight gradient: rows of g summed into their indices' rows (scatter-add)."""
    _name = "EmbeddingBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, num, padding_idx, scale):
        xp = xp_of(g)
        d = g.shape[-1]
        idx = indices.reshape(-1)
        g2 = g.reshape(-1, d)
        f = _row_scale(xp, idx, num, padding_idx, scale, g.dtype)
        if f is not None:
            g2 = g2 * f[:, None]
        gw = _scatter_add_rows(xp, idx, g2, num, f)
        if ctx.needs_input_grad:
            ctx.indices, ctx.f, ctx.gshape = indices, f, g.shape
        return gw

    @staticmethod
    def backward(ctx, u):
        # linear in g: each row of g reads its index's row of u (times the same factor)
        idx = _make(ctx.indices.reshape(-1), u._device)
        r = u.index_select(0, idx)
        if ctx.f is not None:
            r = r * _make(ctx.f[:, None], u._device)
        return r.reshape(ctx.gshape)


def _scatter_add_rows(xp, idx, rows, num, f):
    """zeros((num, d)) with rows[i] added into row idx[i]. Rows sorted by index are added in
    rounds: round k adds the k-th occurrence of every index, so each round is a plain
    (duplicate-free) fancy-index update; about 8x faster than `add.at` when indices repeat
    a few times. Many repeats fall back to `add.at` on the flattened array."""
    gw = xp.zeros((num, rows.shape[1]), rows.dtype)
    if f is not None and f.dtype.kind == "f":
        used = f != 0              # padding rows add nothing
        if not used.all():
            idx, rows = idx[used], rows[used]
    n = idx.shape[0]
    if n == 0:
        return gw
    if xp is not np:
        xp.add.at(gw, idx, rows)
        return gw
    order = np.argsort(idx, kind="stable")
    s, r = idx[order], rows[order]
    new = np.empty(n, bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    rank = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    rounds = int(rank.max()) + 1
    if rounds > 16:
        d = rows.shape[1]
        flat = (idx[:, None] * d + np.arange(d)).reshape(-1)
        np.add.at(gw.reshape(-1), flat, rows.reshape(-1))
        return gw
    first = rank == 0
    gw[s[first]] = r[first]
    for k in range(1, rounds):
        m = rank == k
        gw[s[m]] += r[m]
    return gw


def _check_indices(indices, fn):
    if not isinstance(indices, Tensor) or indices.dtype not in (_dt.int64, _dt.int32):
        kind = indices.type() if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {kind} instead (while "
                           f"checking arguments for {fn})")


def _check_range(idx, num):
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError("index out of range in self")


def _wrap_padding_idx(padding_idx, num, what="Padding_idx"):
    if padding_idx is None:
        return None
    if padding_idx > 0:
        if padding_idx >= num:
            raise AssertionError(f"{what} must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num:
            raise AssertionError(f"{what} must be within num_embeddings")
        padding_idx = num + padding_idx
    return padding_idx


def _embedding_renorm_(weight, idx, max_norm, norm_type):
    """Rescale (in place, outside autograd) the rows that idx uses whose norm exceeds
    max_norm, to norm max_norm (PyTorch's embedding_renorm_)."""
    xp = xp_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return
    w = weight._data
    sel = w[rows]
    a = xp.abs(sel.astype(np.float64) if sel.dtype.itemsize < 4 else sel)
    if norm_type == math.inf:
        norms = a.max(axis=1)
    elif norm_type == 0:
        norms = (a != 0).sum(axis=1).astype(a.dtype)
    else:
        norms = (a ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sel[over] * scale[:, None]
        weight._vc[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of weight picked by integer indices. `padding_idx`'s row gets no gradient;
    `max_norm` renormalises the used rows of weight in place first. `sparse=True` is
    accepted; the gradient is dense (ember has no sparse tensors)."""
    padding_idx = _wrap_padding_idx(padding_idx, weight.shape[0])
    padding_idx = -1 if padding_idx is None else padding_idx
    _check_indices(input, "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    _check_range(idx, weight.shape[0])
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    return _Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))


def _bag_ids(n, offsets, include_last_offset, n_idx):
    """Bag number of each of n_idx indices, and the number of bags, from offsets."""
    xp = xp_of(offsets)
    off = offsets.astype(np.int64)
    if off.size and int(off[0]) != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got "
                           f"{int(off[0])}")
    if off.size and int(off[-1]) > n_idx:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n_idx} but "
                           f"got offsets[-1] of {int(off[-1])}")
    if off.size > 1 and bool((off[1:] < off[:-1]).any()):
        raise RuntimeError("offsets must be non-decreasing")
    bags = off.size - 1 if include_last_offset else off.size
    # index i is in the bag of the last offset <= i
    ids = xp.searchsorted(off[:bags] if include_last_offset else off, xp.arange(n_idx),
                          side="right") - 1
    if include_last_offset and off.size:
        ids = xp.where(xp.arange(n_idx) >= off[-1], -1, ids)   # past the last bag
    return ids, max(bags, 0)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings, without materialising the bags."""
    if weight.dtype is _dt.int64 and input.dtype.is_floating_point:
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        xp = xp_of(input._data)
        offsets_arr = xp.arange(0, input.numel(), max(input.shape[1], 1))
        if input.shape[1] == 0:
            offsets_arr = xp.zeros(input.shape[0], np.int64)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        _check_indices(offsets, "embedding_bag")
        offsets_arr = offsets._data
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    _check_indices(input, "embedding_bag")
    idx = input._data
    _check_range(idx, weight.shape[0])
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    padding_idx = _wrap_padding_idx(padding_idx, weight.shape[0], "padding_idx")
    return _bag_reduce(weight, idx, offsets_arr, include_last_offset, mode,
                       per_sample_weights, padding_idx, scale_grad_by_freq)


def _bag_reduce(weight, idx, offsets, include_last_offset, mode, psw, padding_idx, scale):
    xp = xp_of(idx)
    dev = weight._device
    ids, bags = _bag_ids(idx.shape[0], offsets, include_last_offset, idx.shape[0])
    keep = ids >= 0
    if padding_idx is not None:
        keep &= idx != padding_idx       # padding entries are left out of their bags
    if not keep.all():
        idx, ids = idx[keep], ids[keep]
        if psw is not None:
            psw = psw[_make(keep, dev)]
    rows = embedding(_make(idx, dev), weight, scale_grad_by_freq=scale)
    d = weight.shape[1]
    zeros = creation.zeros(bags, d, dtype=weight.dtype, device=dev)
    if mode == "max":
        if idx.size == 0:
            return zeros
        return _bag_max(rows, ids, bags)
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    out = zeros.index_add(0, _make(ids, dev), rows)
    if mode == "mean":
        counts = xp.bincount(ids, minlength=bags).astype(weight._data.dtype)
        out = out / _make(xp.maximum(counts, 1)[:, None], dev)
    return out


def _bag_max(rows, ids, bags):
    """Per bag and feature, the maximum row value (empty bags give 0); the gradient goes to
    the row holding it (the first one on ties)."""
    xp = xp_of(ids)
    r = rows._data
    n, d = r.shape
    seg_max = xp.full((bags, d), -xp.inf, r.dtype)
    xp.maximum.at(seg_max, ids, r)
    pos = xp.where(r == seg_max[ids], xp.arange(n)[:, None], n)
    first = xp.full((bags, d), n, np.int64)
    xp.minimum.at(first, ids, pos)
    empty = xp.bincount(ids, minlength=bags) == 0
    first[first == n] = 0            # empty bags (masked below) and NaN maxima
    picked = rows.gather(0, _make(first, rows._device))
    if empty.any():
        picked = picked.masked_fill(_make(xp.broadcast_to(empty[:, None], (bags, d)),
                                          rows._device), 0)
    return picked


# ================================================================ one_hot
def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding along a new last dim."""
    if tensor.dtype is not _dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    xp = xp_of(a)
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _make(out, tensor._device)


# ================================================================ distances
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    if out is None:
        denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
        return input / denom
    denom = input.norm(p, dim, keepdim=True).clamp_min_(eps).expand_as(input)
    from ...ops.arith import div
    return div(input, denom, out=out)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1/||x1|| * x2/||x2||) along dim; the norms are floored at eps, a floor that
    the gradient does not see (as in PyTorch)."""
    if _amp_on[0]:
        x1, x2 = _amp.maybe_cast("cosine_similarity", x1, x2)
    common = _dt.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_type_word(common)}")
    if x1.dtype is not common:
        x1 = x1.to(common)
    if x2.dtype is not common:
        x2 = x2.to(common)
    if x1.shape != x2.shape:
        from ...ops.shape import broadcast_tensors
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with grad_mode.no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    innermost = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, innermost if innermost >= 0 else -1, keepdim=keepdim)


def pdist(input, p=2):
    """The p-norm distances between every pair of rows i < j, row-major (N(N-1)/2,)."""
    if _amp_on[0]:
        input, = _amp.maybe_cast("pdist", input)
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"pdist only supports floating-point dtypes")
    n = input.shape[0]
    xp = xp_of(input._data)
    i, j = xp.triu_indices(n, 1)
    dev = input._device
    diff = input.index_select(0, _make(i, dev)) - input.index_select(0, _make(j, dev))
    return diff.norm(p, 1)
