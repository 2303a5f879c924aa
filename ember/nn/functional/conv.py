"""nn.functional convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d.

One N-d implementation serves every spatial rank. Three primitive ops carry all of it; each
is a product of the same three tensors (input-space x, weight w, output-space y), so each
one's gradients are the other two and the whole family is differentiable any number of
times:

* `_Conv(x, w, b)`: y = conv(x, w) + b. im2col through a strided view of the padded input,
  then ONE GEMM (one per group).
* `_ConvInputGrad(y, w)`: the adjoint in x (also conv_transpose's forward). One GEMM, then
  col2im: a loop over the kernel window positions adding strided slices.
* `_ConvWeightGrad(x, y)`: the adjoint in w. im2col of x, one GEMM.

The column matrix is laid out (group, C/g * prod(kernel), N * prod(out)), so a convolution
is one large GEMM instead of N small ones (measured faster with OpenBLAS here, and much
steadier on a loaded machine). The forward's column matrix is kept for the weight gradient
when it is small enough, saving a second im2col in backward.
"""
import itertools
import math

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor
from ...autograd.function import Op
from ...ops._util import xp_of
from ...ops.compare import c_type_name

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

# The forward keeps its column matrix for backward up to this size (bytes); larger ones
# are rebuilt in backward (one strided copy) rather than held for the whole step.
_COLS_CACHE_BYTES = 256 << 20


# ---------------------------------------------------------------- geometry
class _Geom:
    """A convolution's static description: per spatial dim stride, (low, high) padding and
    dilation, plus groups. Hashable so ops can be cached/compared cheaply."""
    __slots__ = ("stride", "pad", "dilation", "groups")

    def __init__(self, stride, pad, dilation, groups):
        self.stride, self.pad, self.dilation, self.groups = stride, pad, dilation, groups

    def out_size(self, in_sp, k):
        return tuple((n + lo + hi - d * (kk - 1) - 1) // s + 1
                     for n, (lo, hi), d, kk, s in zip(in_sp, self.pad, self.dilation, k,
                                                      self.stride))

    def transposed_in_size(self, out_sp, k, output_padding):
        return tuple((o - 1) * s - lo - hi + d * (kk - 1) + 1 + op
                     for o, s, (lo, hi), d, kk, op in zip(out_sp, self.stride, self.pad,
                                                          self.dilation, k, output_padding))


def _xp_strided(xp):
    return np.lib.stride_tricks.as_strided if xp is np else xp.lib.stride_tricks.as_strided


def _compute_dtype(a):
    """BLAS has no half precision: half/bfloat16 GEMMs run in float32 (as PyTorch's CPU
    kernels accumulate in float)."""
    return np.float32 if a.dtype.itemsize == 2 and a.dtype.kind in "fV" else None


def _pad_input(x, geom):
    """x with the spatial zero padding applied (x itself when there is none)."""
    return _pad_spatial(x, geom.pad)


def _pad_spatial(x, pad):
    """Zero-pad (or, for negative amounts, crop) the spatial dims by (low, high) each."""
    if not any(lo or hi for lo, hi in pad):
        return x
    if any(lo < 0 or hi < 0 for lo, hi in pad):
        n_sp = x.shape[2:]
        x = x[(slice(None), slice(None)) + tuple(
            slice(max(0, -lo), n - max(0, -hi)) for n, (lo, hi) in zip(n_sp, pad))]
        pad = tuple((max(0, lo), max(0, hi)) for lo, hi in pad)
        if not any(lo or hi for lo, hi in pad):
            return x
    xp = xp_of(x)
    sp = x.shape[2:]
    out = xp.zeros(x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(sp, pad)), x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(sp, pad))] = x
    return out


def _batch_inner(n, out_sp):
    """Whether to lay the columns out with the batch innermost, (C, *k, *out, N), instead
    of (C, *k, N, *out). im2col/col2im copy runs as long as the innermost contiguous
    stretch: one output row (out[-1] values) in the usual layout, a row times the batch
    with the batch inside. Narrow outputs (LeNet's 8x8) gain 2x from it; wide ones lose to
    the extra transposes."""
    return len(out_sp) >= 2 and n >= 8 and out_sp[-1] <= 10


def _im2col(xpad, geom, k, out_sp, bi=False):
    """Columns (G, C/G * prod(k), N * prod(out_sp)) of the padded input, ordered
    (C, *k, N, *out) (or (C, *k, *out, N) with `bi`) so the weight reshaped to
    (G, O/G, C/G * prod(k)) multiplies them in one GEMM per group."""
    xp = xp_of(xpad)
    n, c = xpad.shape[:2]
    if bi:
        xpad = xp.ascontiguousarray(xp.moveaxis(xpad, 0, -1))    # (C, *sp, N)
        st = xpad.strides
        sp_st, c_st, n_st = st[1:-1], st[0], st[-1]
        shape = (c,) + tuple(k) + tuple(out_sp) + (n,)
        strides = ((c_st,) + tuple(d * s for d, s in zip(geom.dilation, sp_st))
                   + tuple(s * t for s, t in zip(geom.stride, sp_st)) + (n_st,))
    else:
        st = xpad.strides
        sp_st = st[2:]
        shape = (c,) + tuple(k) + (n,) + tuple(out_sp)
        strides = ((st[1],) + tuple(d * s for d, s in zip(geom.dilation, sp_st)) + (st[0],)
                   + tuple(s * t for s, t in zip(geom.stride, sp_st)))
    view = _xp_strided(xp)(xpad, shape, strides)
    g = geom.groups
    return view.reshape(g, (c // g) * math.prod(k), n * math.prod(out_sp))


def _col2im(cols, geom, k, out_sp, in_shape, bi=False):
    """Adjoint of `_im2col`: sum the columns back into an input-shaped array. Each kernel
    position adds one strided slice; slices are clipped to the unpadded input, so no
    padded buffer is built and cropped."""
    xp = xp_of(cols)
    n, c = in_shape[:2]
    sp = tuple(in_shape[2:])
    if bi:
        cols = cols.reshape((c,) + tuple(k) + tuple(out_sp) + (n,))
        dxt = xp.zeros((c,) + sp + (n,), cols.dtype)
    else:
        cols = cols.reshape((c,) + tuple(k) + (n,) + tuple(out_sp))
        dx = xp.zeros((n, c) + sp, cols.dtype)
        dxt = dx.swapaxes(0, 1)
    ranges = []
    for m, (lo, _), d, s, o, kk in zip(sp, geom.pad, geom.dilation, geom.stride, out_sp, k):
        per_pos = []
        for p in range(kk):
            start = p * d - lo
            o_lo = max(0, -(start // s) if start < 0 else 0)
            o_hi = min(o - 1, (m - 1 - start) // s)
            if o_lo > o_hi:
                per_pos.append(None)
                continue
            per_pos.append((slice(start + o_lo * s, start + o_hi * s + 1, s),
                            slice(o_lo, o_hi + 1)))
        ranges.append(per_pos)
    for pos in itertools.product(*(range(kk) for kk in k)):
        sl = [r[p] for r, p in zip(ranges, pos)]
        if any(x is None for x in sl):
            continue
        if bi:
            dst = (slice(None),) + tuple(a for a, _ in sl)
            src = (slice(None),) + pos + tuple(b for _, b in sl)
        else:
            dst = (slice(None), slice(None)) + tuple(a for a, _ in sl)
            src = (slice(None),) + pos + (slice(None),) + tuple(b for _, b in sl)
        dxt[dst] += cols[src]
    if bi:
        return xp.ascontiguousarray(xp.moveaxis(dxt, -1, 0))
    return dx


def _to_groups(y, bi=False):
    """(N, O, *sp) -> (O, N * prod(sp)) contiguous, ordered (O, N, *sp) or, with `bi`,
    (O, *sp, N): output-space data as GEMM rows."""
    xp = xp_of(y)
    n, o = y.shape[:2]
    m = math.prod(y.shape[2:])
    if bi:
        return xp.ascontiguousarray(y.reshape(n, o, m).transpose(1, 2, 0)).reshape(o, n * m)
    return xp.ascontiguousarray(y.reshape(n, o, m).swapaxes(0, 1)).reshape(o, n * m)


def _gemm(a, b):
    """a @ b over a leading group axis; plain 2-D GEMM when there is one group."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return a @ b


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


# ---------------------------------------------------------------- the three ops
def _conv_raw(x, w, b, geom, ct):
    """conv(x, w) + b on arrays -> (y, the column matrix)."""
    if ct is not None:
        x, w = x.astype(ct), w.astype(ct)
        b = None if b is None else b.astype(ct)
    k = w.shape[2:]
    n = x.shape[0]
    o = w.shape[0]
    out_sp = geom.out_size(x.shape[2:], k)
    bi = _batch_inner(n, out_sp)
    cols = _im2col(_pad_input(x, geom), geom, k, out_sp, bi)
    g = geom.groups
    y = _gemm(w.reshape(g, o // g, cols.shape[1]), cols)
    if bi:
        y = y.reshape(o, math.prod(out_sp), n).transpose(2, 0, 1)
    else:
        y = y.reshape(o, n, math.prod(out_sp)).swapaxes(0, 1)
    if b is not None:
        # the bias add also makes the (N, O, L) copy of the GEMM's (O, N, L) result
        y = y + b[:, None]
    else:
        y = xp_of(x).ascontiguousarray(y)
    return y.reshape((n, o) + out_sp), cols


def _input_grad_by_conv(y, w, geom, in_shape):
    """conv^T(y, w) for stride 1, computed as a correlation of the zero-padded y with the
    flipped, channel-transposed kernel: im2col + one GEMM instead of GEMM + col2im, whose
    prod(kernel) strided adds are memory-bound and single-threaded."""
    nd = len(geom.stride)
    g = geom.groups
    o, cg = w.shape[:2]
    k = w.shape[2:]
    flip = (slice(None), slice(None), slice(None)) + (slice(None, None, -1),) * nd
    wt = w.reshape((g, o // g, cg) + k).swapaxes(1, 2)[flip].reshape((g * cg, o // g) + k)
    pads = []
    for d, kk, (lo, _), so, si in zip(geom.dilation, k, geom.pad, y.shape[2:], in_shape[2:]):
        p_lo = d * (kk - 1) - lo
        pads.append((p_lo, si + d * (kk - 1) - so - p_lo))
    geom_t = _Geom((1,) * nd, ((0, 0),) * nd, geom.dilation, g)
    x, _ = _conv_raw(_pad_spatial(y, tuple(pads)), wt, None, geom_t, None)
    return x


class _Conv(Op):
    """y = conv(x, w) + b."""
    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ct = _compute_dtype(x)
        y, cols = _conv_raw(x, w, b, geom, ct)
        if ct is not None:
            y = y.astype(x.dtype)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geom = geom
            ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None)
            ctx.shapes = (x.shape, w.shape)
            if needs[1] and ct is None and cols.nbytes <= _COLS_CACHE_BYTES:
                ctx._cols = cols
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        cols = ctx.__dict__.pop("_cols", None)
        needs = ctx.needs_input_grad
        x_shape, w_shape = ctx.shapes
        gx = gw = gb = None
        if needs[0]:
            gx = _ConvInputGrad.apply(g, _conj(w), None, ctx.geom, x_shape)
        if needs[1]:
            if x.dtype.is_complex:
                cols = None
            gw = _ConvWeightGrad.apply(_conj(x), g, ctx.geom, w_shape, cols=cols)
        if needs[2]:
            gb = g.sum(dim=(0,) + tuple(range(2, g.dim())))
        return gx, gw, gb, None


class _ConvInputGrad(Op):
    """x = conv^T(y, w): the gradient of a convolution in its input, and conv_transpose."""
    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, geom, in_shape):
        ct = _compute_dtype(y)
        yc, wc = (y, w) if ct is None else (y.astype(ct), w.astype(ct))
        k = w.shape[2:]
        g = geom.groups
        o = w.shape[0]
        # stride 1: im2col + GEMM beats GEMM + col2im unless y has many more channels
        # (im2col copies O*k values per input position, col2im adds C*k)
        c_in = w.shape[1] * g
        if all(s == 1 for s in geom.stride) and \
                o * math.prod(in_shape[2:]) <= 1.5 * c_in * math.prod(y.shape[2:]):
            x = _input_grad_by_conv(yc, wc, geom, in_shape)
        else:
            w3 = wc.reshape(g, o // g, math.prod(w.shape[1:])).swapaxes(1, 2)
            nl = y.shape[0] * math.prod(y.shape[2:])
            bi = _batch_inner(y.shape[0], y.shape[2:])
            cols = _gemm(w3, _to_groups(yc, bi).reshape(g, o // g, nl))
            x = _col2im(cols, geom, k, y.shape[2:], in_shape, bi)
        if b is not None:
            x += (b if ct is None else b.astype(ct)).reshape((-1,) + (1,) * (x.ndim - 2))
        if ct is not None:
            x = x.astype(y.dtype)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geom = geom
            ctx.save_for_backward(y if needs[1] else None, w if needs[0] else None)
            ctx.shapes = (y.shape, w.shape)
        return x

    @staticmethod
    def backward(ctx, gx):
        y, w = ctx.saved_tensors
        y_shape, w_shape = ctx.shapes
        needs = ctx.needs_input_grad
        gy = gw = None
        if needs[0]:
            gy = _Conv.apply(gx, _conj(w), None, ctx.geom)
            if tuple(gy.shape) != tuple(y_shape):
                # output_padding >= stride (allowed when < dilation) leaves input positions
                # no output reads; conv over them produces extra outputs to drop
                gy = gy[(slice(None), slice(None)) + tuple(slice(0, m) for m in y_shape[2:])]
        if needs[1]:
            gw = _ConvWeightGrad.apply(gx, _conj(y), ctx.geom, w_shape)
        gb = None
        if needs[2]:
            gb = gx.sum(dim=(0,) + tuple(range(2, gx.dim())))
        return gy, gw, gb, None, None


class _ConvWeightGrad(Op):
    """w = corr(x, y): the gradient of a convolution in its weight."""
    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, y, geom, w_shape, cols=None):
        ct = _compute_dtype(x)
        xc, yc = (x, y) if ct is None else (x.astype(ct), y.astype(ct))
        k = w_shape[2:]
        out_sp = y.shape[2:]
        bi = _batch_inner(x.shape[0], out_sp)     # the same layout as the forward's cols
        if cols is None:
            cols = _im2col(_pad_input(xc, geom), geom, k, out_sp, bi)
        g = geom.groups
        o = w_shape[0]
        y3 = _to_groups(yc, bi).reshape(g, o // g, y.shape[0] * math.prod(out_sp))
        # cols @ y^T (M = C*k rows) keeps OpenBLAS busier than y @ cols^T (M = O rows)
        w = _gemm(cols, y3.swapaxes(1, 2)).swapaxes(1, 2).reshape(w_shape)
        if ct is not None:
            w = w.astype(x.dtype)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geom = geom
            ctx.save_for_backward(x if needs[1] else None, y if needs[0] else None)
            ctx.shapes = (x.shape, y.shape)
        return w

    @staticmethod
    def backward(ctx, gw):
        x, y = ctx.saved_tensors
        x_shape, y_shape = ctx.shapes
        needs = ctx.needs_input_grad
        gx = gy = None
        if needs[0]:
            gx = _ConvInputGrad.apply(y, _conj(gw), None, ctx.geom, x_shape)
        if needs[1]:
            gy = _Conv.apply(_conj(x), gw, None, ctx.geom)
            if tuple(gy.shape) != tuple(y_shape):
                gy = gy[(slice(None), slice(None)) + tuple(slice(0, m) for m in y_shape[2:])]
        return gx, gy, None, None


# ---------------------------------------------------------------- argument handling
def _lst(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _expand(value, n, name, nd=None):
    """int or sequence -> tuple of n ints (n = the weight's spatial dims), with PyTorch's
    message for a wrong length. PyTorch's binding first turns an int into a list of the
    function's own rank `nd`, so conv2d with a 3-d weight complains about stride=[1, 1]."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * (nd or n)
    vals = tuple(int(v) for v in value)
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={_lst(vals)}")
    return vals


def _type_error(fname, args, sig):
    got = ", ".join(type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in args)
    return TypeError(f"{fname}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n * {sig}")


def _check_dims(fname, input, nd):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{fname}, but got input of size: {_lst(input.shape)}")


def _check_dtypes(input, weight, bias):
    if input.dtype is not weight.dtype:
        if input.dtype is _dt.float32:
            raise RuntimeError(f"Input type ({input.type()}) and weight type "
                               f"({weight.type()}) should be the same or input should be a "
                               "MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_dt_word(input.dtype)} but found "
                           f"{_dt_word(weight.dtype)}")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({c_type_name(input.dtype)}) and bias type "
                           f"({c_type_name(bias.dtype)}) should be the same")
    if input.dtype is _dt.bool:
        raise NotImplementedError("\"slow_conv2d_cpu\" not implemented for 'Bool'")


def _dt_word(d):
    from ...ops._util import _type_word
    return _type_word(d)


def _check_params(stride, pad, dilation, groups, output_padding=None):
    if any(lo < 0 or hi < 0 for lo, hi in pad):
        raise RuntimeError("negative padding is not supported")
    if output_padding is not None and any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_weight_groups(weight, groups):
    w0 = weight.shape[0]
    if w0 < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {_lst(weight.shape)} instead")
    if w0 % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{_lst(weight.shape)}] "
                           "instead")


def _padding_arg(padding, kd, k, dilation, stride, nd):
    """padding (int, tuple, 'same', 'valid') -> per-dim (low, high)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * kd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            res = []
            for d, kk in zip(dilation, k):
                total = d * (kk - 1)
                res.append((total // 2, total - total // 2))
            return tuple(res)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    return tuple((p, p) for p in _expand(padding, kd, "padding", nd))


def _conv_nd(fname, nd, input, weight, bias, stride, padding, dilation, groups):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor) or (
            bias is not None and not isinstance(bias, Tensor)):
        raise _type_error(fname, (input, weight) + (() if bias is None else (bias,)),
                          f"({fname}(Tensor input, Tensor weight, Tensor bias = None, "
                          "tuple of ints stride = 1, tuple of ints padding = 0, tuple of ints "
                          "dilation = 1, int groups = 1)")
    _check_dims(fname, input, nd)
    kd = weight.dim() - 2
    stride_t = _expand(stride, kd, "stride", nd)
    dilation_t = _expand(dilation, kd, "dilation", nd)
    pad = _padding_arg(padding, kd, weight.shape[2:], dilation_t, stride_t, nd)
    groups = int(groups)
    _check_params(stride_t, pad, dilation_t, groups)
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    _check_weight_groups(weight, groups)
    w_shape = tuple(weight.shape)
    if input.dim() != weight.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {_lst(w_shape)}, but got {input.dim()}-"
                           f"dimensional input of size {_lst(input.shape)} instead")
    if input.shape[1] != w_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_lst(w_shape)}, expected "
                           f"input{_lst(input.shape)} to have {w_shape[1] * groups} channels, "
                           f"but got {input.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != w_shape[0]):
        raise RuntimeError(f"Given weight of size {_lst(w_shape)}, expected bias to be "
                           f"1-dimensional with {w_shape[0]} elements, but got bias of size "
                           f"{_lst(bias.shape)} instead")
    padded = [n + lo + hi for n, (lo, hi) in zip(input.shape[2:], pad)]
    kernel = [d * (kk - 1) + 1 for d, kk in zip(dilation_t, w_shape[2:])]
    if any(p < kk for p, kk in zip(padded, kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, kernel))}). Kernel size can't be greater "
                           "than actual input size")
    _check_dtypes(input, weight, bias)
    out = _Conv.apply(input, weight, bias, _Geom(stride_t, pad, dilation_t, groups))
    return out.squeeze(0) if unbatched else out


def _conv_transpose_nd(fname, nd, input, weight, bias, stride, padding, output_padding,
                       groups, dilation):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor) or (
            bias is not None and not isinstance(bias, Tensor)):
        raise _type_error(fname, (input, weight) + (() if bias is None else (bias,)),
                          f"({fname}(Tensor input, Tensor weight, Tensor bias = None, "
                          "tuple of ints stride = 1, tuple of ints padding = 0, tuple of ints "
                          "output_padding = 0, int groups = 1, tuple of ints dilation = 1)")
    if isinstance(padding, str):
        raise TypeError(f"{fname}(): argument 'padding' must be tuple of ints, not str")
    _check_dims(fname, input, nd)
    kd = weight.dim() - 2
    stride_t = _expand(stride, kd, "stride", nd)
    dilation_t = _expand(dilation, kd, "dilation", nd)
    pad = tuple((p, p) for p in _expand(padding, kd, "padding", nd))
    out_pad = _expand(output_padding, kd, "output_padding", nd)
    groups = int(groups)
    _check_params(stride_t, pad, dilation_t, groups, out_pad)
    if any(op >= s and op >= d for op, s, d in zip(out_pad, stride_t, dilation_t)):
        names = ("height", "width") if kd == 2 else (
            ("depth", "height", "width") if kd == 3 else ("width",))
        parts = " ".join(f"output_padding_{n}: {v}" for n, v in zip(names, out_pad))
        parts += " " + " ".join(f"stride_{n}: {v}" for n, v in zip(names, stride_t))
        parts += " " + " ".join(f"dilation_{n}: {v}" for n, v in zip(names, dilation_t))
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           f"got {parts}")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    _check_weight_groups(weight, groups)
    w_shape = tuple(weight.shape)
    if input.dim() != weight.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {_lst(w_shape)}, but got {input.dim()}-"
                           f"dimensional input of size {_lst(input.shape)} instead")
    if input.shape[1] != w_shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {_lst(w_shape)}, expected "
                           f"input{_lst(input.shape)} to have {w_shape[0]} channels, but got "
                           f"{input.shape[1]} channels instead")
    c_out = w_shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != c_out):
        raise RuntimeError(f"Given transposed=1, weight of size {_lst(w_shape)}, expected bias "
                           f"to be 1-dimensional with {c_out} elements, but got bias of size "
                           f"{_lst(bias.shape)} instead")
    _check_dtypes(input, weight, bias)
    geom = _Geom(stride_t, pad, dilation_t, groups)
    in_sp = geom.transposed_in_size(input.shape[2:], w_shape[2:], out_pad)
    if any(m < 0 for m in in_sp):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}"
                           f"). Calculated output size per channel: "
                           f"({' x '.join(map(str, in_sp))}). Output size is too small")
    in_shape = (input.shape[0], c_out) + in_sp
    out = _ConvInputGrad.apply(input, weight, bias, geom, in_shape)
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------- public functions
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)
