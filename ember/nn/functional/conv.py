"""nn.functional convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d.

One N-d implementation serves every spatial rank. Three primitive ops carry all of it; each
is a product of the same three tensors (input-space x, weight w, output-space y), so each
one's gradients are the other two and the whole family is differentiable any number of
times:

* `_Conv(x, w, b)`: y = conv(x, w) + b. im2col through a strided view of the padded input,
  then ONE GEMM (one per group) per chunk of images; stride-1 convs with enough channels
  instead run one GEMM per kernel position over a flat padded input, no im2col ("taps").
* `_ConvInputGrad(y, w)`: the adjoint in x (also conv_transpose's forward). Stride 1: a
  convolution of the padded y with the flipped kernel; otherwise one GEMM, then col2im (a
  loop over the kernel window positions adding strided slices).
* `_ConvWeightGrad(x, y)`: the adjoint in w. im2col of x, one GEMM per chunk.

1x1 kernels without padding skip im2col: a matmul per image on the (strided) input.

The column matrix is laid out (group, C/g * prod(kernel), images * prod(out)), so a chunk
of images is one large GEMM rather than one per image. Chunks are cache-sized when that
takes a few GEMMs, else as large as the whole batch (see _CHUNK_BYTES: every OpenBLAS call
can stall on a loaded machine). Columns, the padded input and the GEMM output live in
per-thread work buffers reused across calls (`_scratch`), so a training step does not
page-fault its way through fresh batch-sized arrays; the weight gradient rebuilds its
columns rather than holding the forward's for the whole step. Narrow outputs put the batch
innermost in the columns and stride-1 convolutions compute "wide" rows (`_batch_inner`,
`_wide_ok`), both to make im2col copy long contiguous runs.
"""
import itertools
import math
import threading

import numpy as np

from ... import _cblas
from ... import dtypes as _dt
from ...tensor import Tensor
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...ops._util import xp_of
from ...ops.compare import c_type_name

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

# How many images im2col + GEMM take at once. Cache-sized chunks of columns (_CHUNK_BYTES)
# beat one batch-sized column matrix by ~20% (ResNet train step: 83 vs 105 ms single-
# threaded, 60 vs 73 ms with 2 threads on a quiet machine), but each chunk is one more
# OpenBLAS call, which wakes its threads: on a loaded machine every call can wait a
# scheduler slice for them (bench/conv.py, 2 threads, load 4: one GEMM per op 371 ms,
# 7 chunks 514 ms, 64 chunks 1157 ms). So: cache-sized chunks while that takes at most
# _MAX_CHUNKS of them, else chunks of up to _BIG_CHUNK_BYTES (usually the whole batch).
_CHUNK_BYTES = 4 << 20
_MAX_CHUNKS = 8
_BIG_CHUNK_BYTES = 256 << 20
# Work buffers (columns, padded input, GEMM output) kept per thread for the next call, in
# all (see `_scratch`).
_SCRATCH_MAX_BYTES = 320 << 20

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


# ---------------------------------------------------------------- work buffers
class _Scratch(threading.local):
    def __init__(self):
        self.bufs = {}


_scratch_bufs = _Scratch()


def _scratch(xp, slot, shape, dtype):
    """An uninitialised work array (never handed out of this module) from a per-thread
    buffer reused across calls. A fresh multi-megabyte array costs a page fault per 4 KiB
    the first time it is written: with the column matrix allocated per call that was a
    third of a ResNet training step here (23k faults, 43 ms of 146 ms). At most
    _SCRATCH_MAX_BYTES are kept per thread; bigger needs get a fresh array. Other backends
    (CuPy's memory pool) allocate as usual."""
    dtype = np.dtype(dtype)
    if xp is not np:
        return xp.empty(shape, dtype)
    need = math.prod(shape) * dtype.itemsize
    bufs = _scratch_bufs.bufs
    buf = bufs.get(slot)
    if buf is None or buf.nbytes < need:
        kept = sum(b.nbytes for k, b in bufs.items() if k != slot)
        if kept + need > _SCRATCH_MAX_BYTES:
            return np.empty(shape, dtype)
        buf = np.empty(max(need, 64), np.uint8)
        bufs[slot] = buf
    return buf[:need].view(dtype).reshape(shape)


def _chunk(n, per_image_bytes, xp):
    """Images per chunk (chunks balanced; see _CHUNK_BYTES). GPUs take the whole batch."""
    if xp is not np or n <= 1:
        return max(n, 1)
    per_image_bytes = max(per_image_bytes, 1)
    nb = max(1, min(n, _CHUNK_BYTES // per_image_bytes))
    parts = -(-n // nb)
    if parts > _MAX_CHUNKS:
        parts = -(-n // max(1, min(n, _BIG_CHUNK_BYTES // per_image_bytes)))
    return -(-n // parts)


def _batch_inner(n, out_sp):
    """Whether to lay the columns out with the batch innermost, (C, *k, *out, N), instead
    of (C, *k, N, *out). im2col/col2im copy runs as long as the innermost contiguous
    stretch: one output row (out[-1] values) in the usual layout, a row times the batch
    with the batch inside. Narrow outputs (LeNet's 8x8) gain 2x from it; wide ones lose to
    the extra transposes."""
    return len(out_sp) >= 2 and n >= 8 and out_sp[-1] <= 10


def _mm(a, b, out):
    """a @ b over a leading group axis into `out`; a plain 2-D GEMM for one group."""
    if a.shape[0] == 1:
        xp_of(out).matmul(a[0], b[0], out=out[0])
    else:
        xp_of(out).matmul(a, b, out=out)
    return out


def _crop_negative_pad(x, pad):
    """Negative padding crops: (x cropped, the remaining non-negative padding)."""
    if all(lo >= 0 and hi >= 0 for lo, hi in pad):
        return x, pad
    sp = x.shape[2:]
    x = x[(slice(None), slice(None)) + tuple(
        slice(max(0, -lo), m - max(0, -hi)) for m, (lo, hi) in zip(sp, pad))]
    return x, tuple((max(0, lo), max(0, hi)) for lo, hi in pad)


def _wide_ok(geom, out_sp, psp, o):
    """Whether to compute the output rows the padded input's full width ("wide" columns).
    With stride 1 in the last two dims, output row r + 1 starts one padded row after row r,
    so a kernel position's columns for a whole image are ONE contiguous stretch of the
    padded input, rows including the (W_pad - W_out) places past each row's end. im2col
    then copies runs of H_out * W_pad values instead of W_out-long rows (2-3x faster for
    16- and 32-wide outputs); the GEMM (o rows) does W_pad / W_out times the work and the
    extra outputs are dropped. Measured a gain while o * (W_pad - W_out) <= 64 (ResNet's
    16 and 32 channel 3x3 convs, LeNet's conv1), a loss for 64 channels at 32x32."""
    return (len(out_sp) >= 2 and geom.stride[-1] == 1 and geom.stride[-2] == 1
            and out_sp[-1] > 10 and o * (psp[-1] - out_sp[-1]) <= 64
            and 2 * psp[-1] <= 3 * out_sp[-1])


def _cols_chunks(x, geom, k, out_sp, o, wide=True):
    """im2col, a chunk of images at a time: yields (i0, i1, layout, cols) with cols
    (G, C/G * prod(k), m * P) for images i0:i1 (m of them) and P output positions per
    image, so the weight reshaped to (G, O/G, C/G * prod(k)) multiplies them in one GEMM
    per group. The columns are ordered (C, *k, m, *out) for `layout` None; (C, *k, *out, m)
    for "bi" (see `_batch_inner`); or, for an int layout W (`_wide_ok`, allowed by `wide`),
    (C, *k, m, *out[:-1], W): rows W wide, the positions from out[-1] on not outputs.
    cols is a strided view of the (padded) chunk copied into a reused buffer: it is valid
    until the next chunk."""
    xp = xp_of(x)
    x, pad = _crop_negative_pad(x, geom.pad)
    n, c = x.shape[:2]
    sp = tuple(x.shape[2:])
    k = tuple(k)
    out_sp = tuple(out_sp)
    g = geom.groups
    kg = (c // g) * math.prod(k)
    psp = tuple(m + lo + hi for m, (lo, hi) in zip(sp, pad))
    wide = wide and _wide_ok(geom, out_sp, psp, o)
    ell = math.prod(out_sp) if not wide else math.prod(out_sp[:-1]) * psp[-1]
    nb = _chunk(n, c * math.prod(k) * ell * x.dtype.itemsize, xp)
    layout = psp[-1] if wide else ("bi" if _batch_inner(nb, out_sp) else None)
    padded = any(lo or hi for lo, hi in pad)
    inner = tuple(slice(lo, lo + m) for m, (lo, _) in zip(sp, pad))
    if padded or layout is not None:
        if layout == "bi":
            pbuf = _scratch(xp, "pad", (c,) + psp + (nb,), x.dtype)
        else:
            # wide rows read up to d * (k[-1] - 1) values past an image's padded end: the
            # next image's, or this slack after the last one
            size = nb * c * math.prod(psp)
            flat = _scratch(xp, "pad", (size + geom.dilation[-1] * (k[-1] - 1),), x.dtype)
            # the border stays zero: every chunk writes the interior only
            (flat if padded else flat[size:]).fill(0)
            pbuf = flat[:size].reshape((nb, c) + psp)
        if padded and layout == "bi":
            pbuf.fill(0)
    strided = _xp_strided(xp)
    dil, stv = geom.dilation, geom.stride
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        m = i1 - i0
        xc = x[i0:i1]
        if layout == "bi":
            src = pbuf[(Ellipsis, slice(0, m))]
            xp.copyto(src[(slice(None),) + inner], xp.moveaxis(xc, 0, -1))
            st = src.strides
            sp_st = st[1:-1]
            shape = (c,) + k + out_sp + (m,)
            strides = ((st[0],) + tuple(d * s for d, s in zip(dil, sp_st))
                       + tuple(s * t for s, t in zip(stv, sp_st)) + (st[-1],))
        else:
            if padded or layout is not None:
                src = pbuf[:m]
                src[(slice(None), slice(None)) + inner] = xc
            else:
                src = xc
            st = src.strides
            sp_st = st[2:]
            if layout is None:
                shape = (c,) + k + (m,) + out_sp
                strides = ((st[1],) + tuple(d * s for d, s in zip(dil, sp_st)) + (st[0],)
                           + tuple(s * t for s, t in zip(stv, sp_st)))
            else:
                # (.., out[-2], W) with row stride W * item: one run of out[-2] * W
                shape = (c,) + k + (m,) + out_sp[:-2] + (out_sp[-2] * psp[-1],)
                strides = ((st[1],) + tuple(d * s for d, s in zip(dil, sp_st)) + (st[0],)
                           + tuple(s * t for s, t in zip(stv[:-2], sp_st[:-2]))
                           + (sp_st[-1],))
        cols = _scratch(xp, "cols", shape, x.dtype)
        xp.copyto(cols, strided(src, shape, strides))
        yield i0, i1, layout, cols.reshape(g, kg, m * ell)


def _out_view(t, layout, o, m, out_sp):
    """The GEMM result t (G, O/G, m * P) of a chunk as an (m, O, *out_sp) view."""
    xp = xp_of(t)
    if layout is None:
        return t.reshape((o, m) + out_sp).swapaxes(0, 1)
    if layout == "bi":
        return xp.moveaxis(t.reshape((o,) + out_sp + (m,)), -1, 0)
    return t.reshape((o, m) + out_sp[:-1] + (layout,))[..., :out_sp[-1]].swapaxes(0, 1)


def _rows_chunk(y, i0, i1, layout, slot):
    """Output-space rows of images i0:i1 of y (N, O, *sp): (O, m * P) in a work buffer,
    ordered as `_cols_chunks`'s columns for `layout` (zeros at wide rows' extra places)."""
    xp = xp_of(y)
    m = i1 - i0
    o = y.shape[1]
    out_sp = tuple(y.shape[2:])
    yc = y[i0:i1]
    if layout == "bi":
        rows = _scratch(xp, slot, (o,) + out_sp + (m,), y.dtype)
        xp.copyto(rows, xp.moveaxis(yc, 0, -1))
    elif layout is None:
        rows = _scratch(xp, slot, (o, m) + out_sp, y.dtype)
        xp.copyto(rows, yc.swapaxes(0, 1))
    else:
        rows = _scratch(xp, slot, (o, m) + out_sp[:-1] + (layout,), y.dtype)
        rows[..., out_sp[-1]:] = 0
        xp.copyto(rows[..., :out_sp[-1]], yc.swapaxes(0, 1))
    return rows.reshape(o, -1)


def _pointwise(geom, k):
    """A 1x1 convolution without padding is a matmul per image on the (strided) input: no
    im2col (measured 1.1-2.7x faster than columns + one GEMM, also for 8x8 images)."""
    return all(kk == 1 for kk in k) and not any(lo or hi for lo, hi in geom.pad)


# ---------------------------------------------------------------- taps: no im2col
# A stride-1 convolution is a sum over kernel positions ("taps") of one product each:
# y[:, q] += W[:, :, tap] @ x[:, q + offset(tap)]. Laid out (C, N, *padded) and flattened,
# the padded input makes offset(tap) one constant shift of the flat index. So each tap's
# operand is a window of that one buffer, and each tap is one GEMM with K = C. The output is
# computed at every place of the padded grid; the places past the output's edge are dropped.
# Against im2col + one GEMM this never writes the prod(kernel)-times-larger column matrix.
# Accumulating the taps needs BLAS's beta = 1, which NumPy's matmul lacks, so the GEMMs go
# to NumPy's OpenBLAS through ember._cblas; without it, im2col serves. Measured in one
# process, alternating, forward per call (the same for the stride-1 input gradient, which
# is this forward on the output gradient):
#   16->16 at 32x32, batch 32: 1.25 vs 1.47 ms;  64->64 at 32x32, batch 64: 29.6 vs 36.7 ms;
#   32->32 at 16x16: even;  64->64 at 8x8 (padded grid 1.56x the outputs): 1.32 vs 1.04 ms.
# The weight gradient as one GEMM per tap (dW[tap] += dY @ X(tap)^T) ran up to 2x slower
# than im2col (OpenBLAS does poorly on such small-output products), and with the columns
# built per cache-sized chunk instead it only tied: it stays on im2col.
# Columns go a chunk at a time (every tap over one chunk before the next), so the input
# window and the output chunk stay in cache across the taps.
_TAPS_MIN_CHANNELS = 16      # K = C per GEMM: fewer input channels keep BLAS poorly fed
_TAPS_MAX_WASTE = 1.3        # padded grid / output places: more is wasted work
_TAPS_CHUNK_BYTES = 8 << 20


class _Taps:
    """The flat layout of a stride-1 convolution: the input padded and laid out (C, N,
    *padded) then flattened; `total` grid places (N * prod(padded)); per tap its offset into
    the flat index; `slack` places past the end (zeros) that the last taps read."""
    __slots__ = ("n", "pad", "psp", "out_sp", "total", "offs", "slack")

    def __init__(self, n, sp, pad, dilation, k, out_sp):
        self.n, self.pad, self.out_sp = n, pad, tuple(out_sp)
        self.psp = tuple(m + lo + hi for m, (lo, hi) in zip(sp, pad))
        # element stride of each spatial dim inside one padded image
        steps = [math.prod(self.psp[i + 1:]) for i in range(len(self.psp))]
        self.total = n * math.prod(self.psp)
        self.offs = [sum(p * d * st for p, d, st in zip(pos, dilation, steps))
                     for pos in itertools.product(*(range(kk) for kk in k))]
        self.slack = self.offs[-1]

    def chunk(self, rows, itemsize):
        """Grid places per chunk: `rows` values each (input and output channels) in about
        _TAPS_CHUNK_BYTES, a multiple of 64."""
        return max(1024, _TAPS_CHUNK_BYTES // (rows * itemsize) // 64 * 64)

    def input(self, x):
        """x (N, C, *sp) written into the flat padded work buffer (C, total + slack): the
        padding and the slack zero, only those places written besides the interior."""
        c = x.shape[1]
        flat = _scratch(np, "pad", (c, self.total + self.slack), x.dtype)
        flat[:, self.total:] = 0
        grid = flat[:, :self.total].reshape((c, self.n) + self.psp)
        _zero_outside(grid, tuple((lo, lo + m) for (lo, _), m in
                                  zip(self.pad, x.shape[2:])))
        grid[(slice(None), slice(None)) + tuple(slice(lo, lo + m) for (lo, _), m in
                                                zip(self.pad, x.shape[2:]))] = \
            x.swapaxes(0, 1)
        return flat

    def output_view(self, out):
        """The flat result (O, total) as the (N, O, *out_sp) view of the real outputs."""
        o = out.shape[0]
        return out.reshape((o, self.n) + self.psp)[
            (slice(None), slice(None)) + tuple(slice(0, m) for m in self.out_sp)].swapaxes(0, 1)


def _zero_outside(grid, box):
    """Zero the places of grid (A, B, *sp) outside the spatial box ((lo, hi) per dim)."""
    lead = (slice(None), slice(None))
    for i, (lo, hi) in enumerate(box):
        before = (slice(None),) * i
        if lo > 0:
            grid[lead + before + (slice(0, lo),)] = 0
        if hi < grid.shape[2 + i]:
            grid[lead + before + (slice(hi, None),)] = 0


def _taps_plan(x, w_shape, geom, out_sp):
    """A _Taps for conv(x, w) when the tap GEMMs apply and pay, else None."""
    if xp_of(x) is not np or geom.groups != 1 or any(s != 1 for s in geom.stride):
        return None
    if x.shape[1] < _TAPS_MIN_CHANNELS or _cblas.gemm(x.dtype) is None:
        return None
    if any(m <= 0 for m in out_sp) or x.shape[0] == 0 or w_shape[0] == 0:
        return None
    _, pad = _crop_negative_pad(x[:0], geom.pad)
    sp = tuple(m - max(0, -lo) - max(0, -hi) for m, (lo, hi) in zip(x.shape[2:], geom.pad))
    psp = tuple(m + lo + hi for m, (lo, hi) in zip(sp, pad))
    if math.prod(psp) > _TAPS_MAX_WASTE * math.prod(out_sp):
        return None
    plan = _Taps(x.shape[0], sp, pad, geom.dilation, w_shape[2:], out_sp)
    if plan.total + plan.slack > _cblas.int_max():     # a leading dimension BLAS can't take
        return None
    return plan


def _conv_fwd_taps(x, w, b, geom, plan):
    """conv(x, w) + b as one GEMM per tap and chunk of grid places (see _Taps)."""
    x, _ = _crop_negative_pad(x, geom.pad)
    c, o, item = x.shape[1], w.shape[0], x.dtype.itemsize
    ntaps = len(plan.offs)
    xf = plan.input(x)
    wt = np.ascontiguousarray(np.moveaxis(w.reshape(o, c, ntaps), -1, 0))   # (taps, O, C)
    out = _scratch(np, "mm", (o, plan.total), x.dtype)
    gemm = _cblas.gemm(x.dtype)
    total, ld_x = plan.total, plan.total + plan.slack
    xa, wa, oa = xf.ctypes.data, wt.ctypes.data, out.ctypes.data
    step = plan.chunk(c + o, item)
    for j0 in range(0, total, step):
        cols = min(step, total - j0)
        for t, off in enumerate(plan.offs):
            gemm(o, cols, c, wa + t * o * c * item, c, xa + (off + j0) * item, ld_x,
                 1.0 if t else 0.0, oa + j0 * item, total)
    y = np.empty((x.shape[0], o) + plan.out_sp, x.dtype)
    if b is None:
        np.copyto(y, plan.output_view(out))
    else:
        np.add(plan.output_view(out), b.reshape((o,) + (1,) * len(plan.out_sp)), out=y)
    return y


# ---------------------------------------------------------------- the three computations
def _conv_fwd(x, w, b, geom):
    """conv(x, w) + b on arrays of one dtype: per chunk of images, im2col + one GEMM (per
    group) + one copy into the (N, O, *out) result that also adds the bias."""
    xp = xp_of(x)
    n, c = x.shape[:2]
    o = w.shape[0]
    k = tuple(w.shape[2:])
    g = geom.groups
    out_sp = geom.out_size(x.shape[2:], k)
    ell = math.prod(out_sp)
    w3 = w.reshape(g, o // g, -1)
    if _pointwise(geom, k):
        if any(st != 1 for st in geom.stride):
            x = x[(slice(None), slice(None)) + tuple(slice(None, None, st)
                                                      for st in geom.stride)]
        y = xp.matmul(w3, x.reshape(n, g, c // g, ell))      # (N, G, O/G, L)
        y = y.reshape((n, o) + out_sp)
        if b is not None:
            y += b.reshape((o,) + (1,) * len(out_sp))
        return y
    plan = _taps_plan(x, w.shape, geom, out_sp)
    if plan is not None:
        return _conv_fwd_taps(x, w, b, geom, plan)
    y = xp.empty((n, o) + out_sp, x.dtype)
    bias = None if b is None else b.reshape((o,) + (1,) * len(out_sp))
    for i0, i1, layout, cols in _cols_chunks(x, geom, k, out_sp, o):
        m = i1 - i0
        t = _mm(w3, cols, _scratch(xp, "mm", (g, o // g, cols.shape[2]), x.dtype))
        t = _out_view(t, layout, o, m, out_sp)
        if bias is None:
            xp.copyto(y[i0:i1], t)
        else:
            xp.add(t, bias, out=y[i0:i1])
    return y


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
    return _conv_fwd(y, wt, None, _Geom((1,) * nd, tuple(pads), geom.dilation, g))


def _col2im_ranges(geom, k, out_sp, sp):
    """Per spatial dim and kernel position: (input slice, output slice) of the outputs that
    position reaches inside the unpadded input, or None."""
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
    return ranges


def _input_grad_pointwise(y, w, geom, in_shape):
    """conv^T for a 1x1 kernel without padding: a matmul per image, written to the places
    the stride visits."""
    xp = xp_of(y)
    n, o = y.shape[:2]
    g = geom.groups
    out_sp = tuple(y.shape[2:])
    c = in_shape[1]
    w3 = w.reshape(g, o // g, c // g).swapaxes(1, 2)
    v = xp.matmul(w3, y.reshape(n, g, o // g, math.prod(out_sp))).reshape((n, c) + out_sp)
    if tuple(in_shape[2:]) == out_sp:
        return v
    dx = xp.zeros(in_shape, y.dtype)
    dx[(slice(None), slice(None)) + tuple(slice(0, st * (m - 1) + 1, st)
                                          for st, m in zip(geom.stride, out_sp))] = v
    return dx


def _input_grad_by_col2im(y, w, geom, in_shape):
    """conv^T(y, w) per chunk of images: one GEMM (weight^T @ rows) to columns, then
    col2im: each kernel position adds one strided slice into the chunk's input gradient
    (slices clipped to the unpadded input, so no padded buffer is built and cropped)."""
    xp = xp_of(y)
    n = y.shape[0]
    o = w.shape[0]
    g = geom.groups
    k = tuple(w.shape[2:])
    out_sp = tuple(y.shape[2:])
    ell = math.prod(out_sp)
    c = in_shape[1]
    sp = tuple(in_shape[2:])
    kg = w.shape[1] * math.prod(k)
    w3 = w.reshape(g, o // g, kg).swapaxes(1, 2)
    dx = xp.zeros(in_shape, y.dtype)
    ranges = _col2im_ranges(geom, k, out_sp, sp)
    places = []
    for pos in itertools.product(*(range(kk) for kk in k)):
        sl = [r[p] for r, p in zip(ranges, pos)]
        if not any(s is None for s in sl):
            places.append((pos, tuple(a for a, _ in sl), tuple(b for _, b in sl)))
    nb = _chunk(n, c * math.prod(k) * ell * y.dtype.itemsize, xp)
    bi = _batch_inner(nb, out_sp)
    for i0 in range(0, n, nb):
        i1 = min(n, i0 + nb)
        m = i1 - i0
        rows = _rows_chunk(y, i0, i1, "bi" if bi else None, "rows")
        cols = _mm(w3, rows.reshape(g, o // g, m * ell),
                   _scratch(xp, "cols", (g, kg, m * ell), y.dtype))
        if bi:
            cols = cols.reshape((c,) + k + out_sp + (m,))
            acc = _scratch(xp, "pad", (c,) + sp + (m,), y.dtype)
            acc.fill(0)
            for pos, dst, src in places:
                acc[(slice(None),) + dst] += cols[(slice(None),) + pos + src]
            xp.copyto(dx[i0:i1], xp.moveaxis(acc, -1, 0))
        else:
            cols = cols.reshape((c,) + k + (m,) + out_sp)
            acc = dx[i0:i1].swapaxes(0, 1)        # (C, m, *sp), a view of dx
            for pos, dst, src in places:
                acc[(slice(None), slice(None)) + dst] += \
                    cols[(slice(None),) + pos + (slice(None),) + src]
    return dx


def _weight_grad(x, y, geom, w_shape, wide=True):
    """corr(x, y): per chunk, the chunk's columns times its output rows, summed."""
    xp = xp_of(x)
    g = geom.groups
    o = w_shape[0]
    k = tuple(w_shape[2:])
    kg = math.prod(w_shape[1:])
    if _pointwise(geom, k):
        # per image rows @ strided input^T, summed over the batch
        n, c = x.shape[:2]
        ell = math.prod(y.shape[2:])
        xs = x[(slice(None), slice(None)) + tuple(slice(0, st * (m - 1) + 1, st)
                                                  for st, m in zip(geom.stride, y.shape[2:]))]
        acc = xp.matmul(y.reshape(n, g, o // g, ell),
                        xs.reshape(n, g, c // g, ell).swapaxes(-1, -2))
        return acc.sum(axis=0, dtype=acc.dtype).reshape(w_shape)
    acc = None
    part = None
    for i0, i1, layout, cols in _cols_chunks(x, geom, k, y.shape[2:], o, wide):
        rows = _rows_chunk(y, i0, i1, layout, "rows").reshape(g, o // g, -1)
        # cols @ rows^T (M = C*k rows) keeps OpenBLAS busier than rows @ cols^T (M = O)
        if acc is None:
            acc = _mm(cols, rows.swapaxes(1, 2), xp.empty((g, kg, o // g), x.dtype))
        else:
            if part is None:
                part = xp.empty_like(acc)
            acc += _mm(cols, rows.swapaxes(1, 2), part)
    if acc is None:
        acc = xp.zeros((g, kg, o // g), x.dtype)
    elif wide and x.dtype.kind in "fc" and not bool(xp.isfinite(acc).all()):
        # wide columns hold input values at non-output places, multiplied by zero rows:
        # an inf or NaN there would turn 0 * inf into NaN, so redo without them
        return _weight_grad(x, y, geom, w_shape, wide=False)
    return xp.ascontiguousarray(acc.swapaxes(1, 2)).reshape(w_shape)


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


# ---------------------------------------------------------------- the three ops
class _Conv(Op):
    """y = conv(x, w) + b."""
    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ct = _compute_dtype(x)
        if ct is None:
            y = _conv_fwd(x, w, b, geom)
        else:
            y = _conv_fwd(x.astype(ct), w.astype(ct), None if b is None else b.astype(ct),
                          geom).astype(x.dtype)
        needs = ctx.needs_input_grad
        if needs:
            ctx.geom = geom
            # only what backward will use: x for the weight gradient, w for the input's
            ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None)
            ctx.shapes = (x.shape, w.shape)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        x_shape, w_shape = ctx.shapes
        gx = gw = gb = None
        if needs[0]:
            gx = _ConvInputGrad.apply(g, _conj(w), None, ctx.geom, x_shape)
        if needs[1]:
            gw = _ConvWeightGrad.apply(_conj(x), g, ctx.geom, w_shape)
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
        o = w.shape[0]
        # stride 1: im2col + GEMM beats GEMM + col2im unless y has many more channels
        # (im2col copies O*k values per input position, col2im adds C*k)
        c_in = w.shape[1] * geom.groups
        if _pointwise(geom, w.shape[2:]):
            x = _input_grad_pointwise(yc, wc, geom, in_shape)
        elif all(s == 1 for s in geom.stride) and \
                o * math.prod(in_shape[2:]) <= 1.5 * c_in * math.prod(y.shape[2:]):
            x = _input_grad_by_conv(yc, wc, geom, in_shape)
        else:
            x = _input_grad_by_col2im(yc, wc, geom, in_shape)
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
    def forward(ctx, x, y, geom, w_shape):
        ct = _compute_dtype(x)
        if ct is None:
            w = _weight_grad(x, y, geom, w_shape)
        else:
            w = _weight_grad(x.astype(ct), y.astype(ct), geom, w_shape).astype(x.dtype)
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
    if _amp_on[0]:
        input, weight, bias = _amp.maybe_cast(fname, input, weight, bias)
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
    if _amp_on[0]:
        input, weight, bias = _amp.maybe_cast(fname, input, weight, bias)
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
