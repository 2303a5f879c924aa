"""nn.functional pooling: max/avg/adaptive/lp pooling and max_unpool, 1-d to 3-d.

Window pools work on strided slices: for each position in the kernel window, one strided
slice of the (padded) input holds that position for every output at once, so a pool is a
loop of prod(kernel) whole-array NumPy ops (4 for the usual 2x2), never a loop over pixels.

Ops come in adjoint pairs, so every gradient is itself differentiable:
* max pool: `_MaxPool` records, per output, which window position won (a small-int array,
  int8 for windows up to 127 positions; the first maximum, the last NaN, as PyTorch's
  kernel picks); its gradient `_WinScatter` sends the gradient to that position, and
  `_WinGather` (the adjoint of the scatter) reads it back.
* avg pool: `_AvgPool` / `_AvgSpread`.
* adaptive average pooling and `interpolate` share `_AxisTaps`: a separable map where each
  output along an axis is a weighted sum of a few input positions.
* max_unpool and adaptive max pool use flat indices: `_FlatGather` / `_FlatScatter`.
1-d pools run the 2-d op on an unsqueezed input (PyTorch does the same, hence its
`SqueezeBackward1` grad_fn for them).
"""
import builtins
import itertools
import math

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...ops._util import xp_of

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "max_unpool1d",
           "max_unpool2d", "max_unpool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]

_LEAD = (slice(None), slice(None))


def _lst(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _dtype_word(t):
    from ...ops._util import _type_word
    return _type_word(t.dtype)


# ---------------------------------------------------------------- window geometry
def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


class _Win:
    """A pooling window: kernel, stride, padding, dilation per spatial dim and the input and
    output spatial sizes. `slices()` gives, per kernel position, the strided slice of the
    padded input that holds that position for every output."""
    __slots__ = ("kernel", "stride", "pad", "dilation", "in_sp", "out_sp", "hi", "_slices")

    def __init__(self, kernel, stride, pad, dilation, in_sp, out_sp):
        self.kernel, self.stride, self.pad, self.dilation = kernel, stride, pad, dilation
        self.in_sp, self.out_sp = tuple(in_sp), tuple(out_sp)
        # high-side padding: what the last window reaches past the input (ceil_mode), or 0
        self.hi = tuple(builtins.max(0, (o - 1) * s + d * (k - 1) + 1 - n - p)
                        for o, s, d, k, n, p in zip(out_sp, stride, dilation, kernel, in_sp,
                                                    pad))
        self._slices = None

    @property
    def padded(self):
        return any(self.pad) or any(self.hi)

    @property
    def tiles(self):
        """Windows tile the input exactly: stride == kernel, no dilation, no padding."""
        return (not self.padded and all(d == 1 for d in self.dilation)
                and tuple(self.stride) == tuple(self.kernel))

    @property
    def disjoint(self):
        return all(s >= d * (k - 1) + 1 for s, d, k in zip(self.stride, self.dilation,
                                                           self.kernel))

    def slices(self):
        if self._slices is None:
            self._slices = [
                _LEAD + tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                              for p, d, s, o in zip(pos, self.dilation, self.stride,
                                                    self.out_sp))
                for pos in itertools.product(*(range(k) for k in self.kernel))]
        return self._slices

    def pad_array(self, x, value):
        if not self.padded:
            return x
        xp = xp_of(x)
        shape = x.shape[:2] + tuple(n + p + h for n, p, h in zip(self.in_sp, self.pad, self.hi))
        out = xp.full(shape, value, x.dtype)
        out[_LEAD + tuple(slice(p, p + n) for p, n in zip(self.pad, self.in_sp))] = x
        return out

    def crop(self, a):
        if not self.padded:
            return a
        return xp_of(a).ascontiguousarray(
            a[_LEAD + tuple(slice(p, p + n) for p, n in zip(self.pad, self.in_sp))])

    def padded_zeros(self, lead, dtype, xp):
        return xp.zeros(tuple(lead) + tuple(n + p + h for n, p, h in
                                            zip(self.in_sp, self.pad, self.hi)), dtype)

    def interleaved(self, a_out):
        """(N, C, *out) -> (N, C, o1, 1, o2, 1, ...) for broadcasting against the windows of
        a tiling pool viewed as (N, C, o1, k1, o2, k2, ...)."""
        shape = a_out.shape[:2] + tuple(x for o in self.out_sp for x in (o, 1))
        return a_out.reshape(shape)

    def tiled_shape(self, lead):
        return tuple(lead) + tuple(x for o, k in zip(self.out_sp, self.kernel) for x in (o, k))


def _idx_dtype(n):
    return np.int8 if n <= 127 else (np.int16 if n <= 32767 else np.int32)


# ---------------------------------------------------------------- max pool
def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return False


def _max_scan(x, win, need_idx):
    """(max, winning window position) over the windows. Ties keep the first position and a
    NaN wins over anything (the last NaN), as PyTorch's kernel does."""
    xp = xp_of(x)
    low = _lowest(x.dtype)
    xpad = win.pad_array(x, low)
    sl = win.slices()
    cur = xp.array(xpad[sl[0]], copy=True, order="C")
    if not need_idx:
        for s in sl[1:]:
            xp.maximum(cur, xpad[s], out=cur)
        return cur, None
    idt = _idx_dtype(len(sl))
    idx = xp.zeros(cur.shape, idt)
    for p, s in enumerate(sl[1:], 1):
        v = xpad[s]
        m = xp.greater(v, cur)
        xp.maximum(cur, v, out=cur)
        # positions are scanned in increasing order, so "p where v won, else keep" is a max
        # (a masked copyto or where is several times slower here)
        mi = m.view(np.int8) if idt is np.int8 else m.astype(idt)
        xp.maximum(idx, mi * idt(p), out=idx)
    if x.dtype.kind == "f" and xp.isnan(cur).any():
        last_nan = xp.full(cur.shape, -1, idx.dtype)
        for p, s in enumerate(sl):
            xp.copyto(last_nan, p, where=xp.isnan(xpad[s]))
        idx = xp.where(last_nan >= 0, last_nan, idx)
    if win.padded and (cur == low).any():
        # windows whose max is the padding value: PyTorch answers the first in-bounds element
        idx = xp.where(cur == low, _first_valid(win, xp).astype(idx.dtype), idx)
    return cur, idx


def _first_valid(win, xp):
    """Per output position, the first kernel position that lies inside the input."""
    flat = 0
    for dim, (o, s, p, d, k) in enumerate(zip(win.out_sp, win.stride, win.pad, win.dilation,
                                               win.kernel)):
        start = np.arange(o) * s - p
        first = np.clip(-(start // d) * (start < 0), 0, k - 1)   # ceil(-start / d) if start < 0
        shape = [1] * len(win.out_sp)
        shape[dim] = o
        flat = flat * k + first.reshape(shape)
    return xp.asarray(flat)


def _flat_indices(idx, win):
    """Window positions -> PyTorch's indices (flat offsets into each input plane)."""
    xp = xp_of(idx)
    nd = len(win.kernel)
    rem = idx.astype(np.int64)
    coords = [None] * nd
    for dim in range(nd - 1, -1, -1):
        k = win.kernel[dim]
        pos = rem % k
        rem = rem // k
        o, s, p, d = win.out_sp[dim], win.stride[dim], win.pad[dim], win.dilation[dim]
        shape = [1] * nd
        shape[dim] = o
        start = xp.asarray((np.arange(o) * s - p).reshape(shape))
        coords[dim] = start + pos * d
    flat = coords[0]
    for dim in range(1, nd):
        flat = flat * win.in_sp[dim] + coords[dim]
    return flat


class _MaxPool(Op):
    @staticmethod
    def forward(ctx, x, win, name, want_indices):
        needs = ctx.needs_input_grad
        out, idx = _max_scan(x, win, bool(needs) or want_indices)
        if needs:
            ctx._name = name
            ctx.win = win
            ctx.idx = idx
            ctx.in_shape = x.shape
        if want_indices:
            flat = _flat_indices(idx, win)
            ctx.mark_non_differentiable(flat)
            return out, flat
        return out

    @staticmethod
    def backward(ctx, g, *_):
        return _WinScatter.apply(g, ctx.win, ctx.idx, ctx.in_shape), None, None, None


class _WinScatter(Op):
    """dx: each output's gradient sent to its winning window position."""
    _name = "MaxPoolBackward0"

    @staticmethod
    def forward(ctx, g, win, idx, in_shape):
        xp = xp_of(g)
        lead = in_shape[:2]
        # g * mask is the fast form; it turns inf * 0 into NaN, so non-finite g takes where
        finite = g.dtype.kind != "f" or bool(xp.isfinite(g).all())
        zero = g.dtype.type(0)

        def part(p):
            return g * (idx == p) if finite else xp.where(idx == p, g, zero)
        sl = win.slices()
        if win.tiles and tuple(o * k for o, k in zip(win.out_sp, win.kernel)) == \
                tuple(in_shape[2:]):
            dx = xp.empty(in_shape, g.dtype)     # the windows cover every element once
            for p, s in enumerate(sl):
                if finite:
                    xp.multiply(g, idx == p, out=dx[s])
                else:
                    dx[s] = part(p)
        else:
            dxp = win.padded_zeros(lead, g.dtype, xp)
            for p, s in enumerate(sl):
                if win.disjoint:
                    dxp[s] = part(p)
                else:
                    dxp[s] += part(p)
            dx = win.crop(dxp)
        if ctx.needs_input_grad:
            ctx.win, ctx.idx = win, idx
        return dx

    @staticmethod
    def backward(ctx, gg):
        return _WinGather.apply(gg, ctx.win, ctx.idx), None, None, None


class _WinGather(Op):
    """Each output reads the input at its winning window position (adjoint of scatter)."""
    _name = "MaxPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, x, win, idx):
        xp = xp_of(x)
        xpad = win.pad_array(x, 0)
        out = xp.zeros(idx.shape, x.dtype)
        for p, s in enumerate(win.slices()):
            xp.copyto(out, xpad[s], where=idx == p)
        if ctx.needs_input_grad:
            ctx.win, ctx.idx, ctx.in_shape = win, idx, x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return _WinScatter.apply(g, ctx.win, ctx.idx, ctx.in_shape), None, None


# ---------------------------------------------------------------- avg pool
def _avg_divisor(win, count_include_pad, divisor_override, dtype, xp):
    """The divisor per output position (a scalar when it is the same everywhere), following
    PyTorch's avg_pool kernels: windows are clipped to the padded input, and to the input
    itself when padding isn't counted."""
    if divisor_override is not None:
        return divisor_override
    total = None
    nd = len(win.kernel)
    for dim, (o, s, p, k, n) in enumerate(zip(win.out_sp, win.stride, win.pad, win.kernel,
                                              win.in_sp)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        size = end - start
        if not count_include_pad:
            size = np.minimum(end, n) - np.maximum(start, 0)
        shape = [1] * nd
        shape[dim] = o
        size = size.reshape(shape)
        total = size if total is None else total * size
    if total.size and (total == total.flat[0]).all():
        return int(total.flat[0])
    return xp.asarray(total.astype(dtype if dtype.kind == "f" else np.int64))


def _divide(acc, div, dtype):
    xp = xp_of(acc)
    if dtype.kind in "iu":   # integer pools truncate, as PyTorch's do
        return (xp.abs(acc) // div * xp.sign(acc)).astype(dtype)
    if isinstance(div, int):
        acc /= acc.dtype.type(div)
        return acc
    return acc / div


class _AvgPool(Op):
    @staticmethod
    def forward(ctx, x, win, div, name):
        xp = xp_of(x)
        xpad = win.pad_array(x, 0)
        sl = win.slices()
        acc_dt = np.int64 if x.dtype.kind in "iu" else (
            np.float32 if x.dtype.itemsize == 2 else x.dtype)   # half sums in float
        if win.tiles and all(o == 1 for o in win.out_sp) and len(sl) > 16:
            # one window per plane: a reduction along the flattened plane (1.6x faster
            # than a strided add per window position for 7x7)
            n, c = x.shape[:2]
            plane = x[_LEAD + tuple(slice(0, k) for k in win.kernel)].reshape(n, c, -1)
            acc = plane.sum(axis=-1, dtype=acc_dt).reshape((n, c) + (1,) * len(win.kernel))
        else:
            acc = xp.array(xpad[sl[0]], dtype=acc_dt, copy=True, order="C")
            for s in sl[1:]:
                acc += xpad[s]
        out = _divide(acc, div, x.dtype).astype(x.dtype, copy=False)
        if ctx.needs_input_grad:
            ctx._name = name
            ctx.win, ctx.div, ctx.in_shape = win, div, x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return _AvgSpread.apply(g, ctx.win, ctx.div, ctx.in_shape, ctx._name), None, None, None


class _AvgSpread(Op):
    """Adjoint of avg pool: each output's gradient / divisor spread over its window."""
    _name = "AvgPoolBackward0"

    @staticmethod
    def forward(ctx, g, win, div, in_shape, name):
        xp = xp_of(g)
        gd = g / (g.dtype.type(div) if isinstance(div, int) else div)
        gd = gd.astype(g.dtype, copy=False)
        lead = in_shape[:2]
        if win.tiles and len(win.slices()) <= 4:
            # 2x2 tiles: one strided assignment per window position (3x faster than the
            # broadcast copy below, whose innermost run is one window row of 2)
            covered = tuple(o * k for o, k in zip(win.out_sp, win.kernel)) == \
                tuple(in_shape[2:])
            dx = xp.empty(in_shape, g.dtype) if covered else xp.zeros(in_shape, g.dtype)
            for s in win.slices():
                dx[s] = gd
        elif win.tiles:
            full = xp.broadcast_to(win.interleaved(gd), win.tiled_shape(lead))
            vals = full.reshape(tuple(lead) + tuple(o * k for o, k in zip(win.out_sp,
                                                                         win.kernel)))
            if vals.shape[2:] == tuple(in_shape[2:]):
                dx = vals
            else:
                dx = xp.zeros(in_shape, g.dtype)
                dx[_LEAD + tuple(slice(0, n) for n in vals.shape[2:])] = vals
        else:
            dxp = win.padded_zeros(lead, g.dtype, xp)
            for s in win.slices():
                if win.disjoint:
                    dxp[s] = gd
                else:
                    dxp[s] += gd
            dx = win.crop(dxp)
        if ctx.needs_input_grad:
            ctx.win, ctx.div, ctx.name = win, div, name
        return dx

    @staticmethod
    def backward(ctx, gg):
        return _AvgPool.apply(gg, ctx.win, ctx.div, ctx.name), None, None, None, None


# ---------------------------------------------------------------- separable taps
class _AxisTaps(Op):
    """out = M_k ... M_1 x, each M_i acting along one axis: output j along that axis is
    sum_t w[j, t] * x[idx[j, t]] (`spec` is a tuple of (axis, idx (out, T), w or None)).
    With `adjoint=True` the op applies the transposed maps in reverse order (the gradient),
    so each direction is the other's backward.

    While M_i is small (in * out <= _DENSE_TAPS) it is applied as a dense matrix product
    along the axis: BLAS beats T gathers forward and, by far, a scatter-add backward.
    Larger maps gather forward and sum backward with `reduceat` over sorted targets."""

    @staticmethod
    def forward(ctx, x, spec, in_shape, adjoint, name):
        xp = xp_of(x)
        out = x
        if not adjoint:
            for axis, idx, w in spec:
                out = _taps_apply(out, axis, idx, w, xp)
        else:
            shapes = _taps_shapes(in_shape, spec)
            for (axis, idx, w), shp in zip(reversed(spec), reversed(shapes)):
                out = _taps_adjoint(out, axis, idx, w, shp[axis], xp)
        if ctx.needs_input_grad:
            ctx._name = name
            ctx.spec, ctx.in_shape, ctx.adjoint, ctx.x_shape = spec, in_shape, adjoint, x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return _AxisTaps.apply(g, ctx.spec, ctx.in_shape, not ctx.adjoint, ctx._name), \
            None, None, None, None


def _taps_shapes(in_shape, spec):
    """Array shape before each map of `spec`."""
    shapes = []
    cur = list(in_shape)
    for axis, idx, _ in spec:
        shapes.append(tuple(cur))
        cur[axis] = idx.shape[0]
    return shapes


def _bshape(ndim, axis, n):
    shape = [1] * ndim
    shape[axis] = n
    return shape


_DENSE_TAPS = 1 << 18


def _dense_ok(x, idx, n_in):
    return x.dtype.kind in "fc" and idx.shape[0] * n_in <= _DENSE_TAPS


def _taps_matrix(idx, w, n_in, dtype):
    """The map as a dense (out, in) matrix."""
    m = np.zeros((idx.shape[0], n_in))
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    np.add.at(m, (rows, idx.ravel()), 1.0 if w is None else w.ravel().astype(np.float64))
    return m.astype(dtype)


def _matmul_axis(x, m, axis, xp):
    """Apply matrix m (p, q) along `axis` of x (size q there)."""
    shape = x.shape
    lead, trail = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    m = xp.asarray(m)
    if trail == 1:
        out = xp.ascontiguousarray(x).reshape(lead, shape[axis]) @ m.T
    else:
        out = xp.matmul(m, xp.ascontiguousarray(x).reshape(lead, shape[axis], trail))
    return out.reshape(shape[:axis] + (m.shape[0],) + shape[axis + 1:])


def _repeat_factor(idx, w, n_in):
    """r when the map repeats every input r times (nearest upsampling by an integer)."""
    n_out = idx.shape[0]
    if w is not None or idx.shape[1] != 1 or n_out % n_in:
        return None
    r = n_out // n_in
    return r if np.array_equal(idx[:, 0], np.arange(n_out) // r) else None


def _taps_apply(x, axis, idx, w, xp):
    r = _repeat_factor(idx, w, x.shape[axis])
    if r is not None:
        return xp.repeat(x, r, axis=axis)
    if w is not None and _dense_ok(x, idx, x.shape[axis]):
        return _matmul_axis(x, _taps_matrix(idx, w, x.shape[axis], x.dtype), axis, xp)
    out = None
    for t in range(idx.shape[1]):
        v = xp.take(x, xp.asarray(idx[:, t]), axis=axis)
        if w is not None:
            v *= xp.asarray(w[:, t].reshape(_bshape(x.ndim, axis, idx.shape[0])),
                            dtype=x.dtype)
        if out is None:
            out = v
        else:
            out += v
    return out


def _taps_adjoint(g, axis, idx, w, n_in, xp):
    r = _repeat_factor(idx, w, n_in)
    if r is not None:
        # r strided slices added (a reduction over a tiny inner axis is ~20x slower)
        lead = (slice(None),) * axis
        out = g[lead + (slice(0, None, r),)].copy()
        for i in range(1, r):
            out += g[lead + (slice(i, None, r),)]
        return out
    if _dense_ok(g, idx, n_in):
        return _matmul_axis(g, _taps_matrix(idx, w, n_in, g.dtype).T, axis, xp)
    shape = list(g.shape)
    shape[axis] = n_in
    out = xp.zeros(shape, g.dtype)
    lead = (slice(None),) * axis
    for t in range(idx.shape[1]):
        col = idx[:, t]
        v = g
        if w is not None:
            v = g * xp.asarray(w[:, t].reshape(_bshape(g.ndim, axis, idx.shape[0])),
                               dtype=g.dtype)
        if len(col) > 1 and (np.diff(col) < 0).any():
            # reflect padding maps backwards: sort so equal targets are contiguous runs
            order = np.argsort(col, kind="stable")
            col = col[order]
            v = xp.take(v, xp.asarray(order), axis=axis)
        uniq, first = np.unique(col, return_index=True)
        if len(uniq) == len(col):
            out[lead + (xp.asarray(col),)] += v
        else:
            seg = xp.add.reduceat(v, xp.asarray(first), axis=axis)
            out[lead + (xp.asarray(uniq),)] += seg
    return out


def _taps_call(x, spec, name):
    return _AxisTaps.apply(x, tuple(spec), tuple(x.shape), False, name)


def _adaptive_taps(n_in, n_out):
    """Adaptive-average windows [floor(i*n/o), ceil((i+1)*n/o)) as taps of equal weight."""
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    t_max = int((end - start).max()) if n_out else 1
    t = np.arange(t_max)
    idx = np.minimum(start[:, None] + t, end[:, None] - 1)
    w = np.where(start[:, None] + t < end[:, None], 1.0 / (end - start)[:, None], 0.0)
    return idx, w


# ---------------------------------------------------------------- flat-index gather/scatter
class _FlatScatter(Op):
    """out (N, C, *out_sp) zeros with x's values put at flat indices per plane; `accumulate`
    adds duplicates (a gradient), otherwise the last write wins (max_unpool)."""

    @staticmethod
    def forward(ctx, x, idx, out_sp, accumulate, name):
        xp = xp_of(x)
        n, c = x.shape[:2]
        m = math.prod(out_sp)
        out = xp.zeros((n * c * m,), x.dtype)
        base = (xp.arange(n * c, dtype=np.int64) * m).reshape((n, c) + (1,) * (idx.ndim - 2))
        gidx = (idx + base).ravel()
        if accumulate:
            xp.add.at(out, gidx, xp.ascontiguousarray(x).ravel())
        else:
            out[gidx] = x.ravel()
        if ctx.needs_input_grad:
            ctx._name = name
            ctx.idx, ctx.out_sp, ctx.in_sp = idx, out_sp, x.shape[2:]
        return out.reshape((n, c) + tuple(out_sp))

    @staticmethod
    def backward(ctx, g):
        return _FlatGather.apply(g, ctx.idx, ctx.in_sp, "MaxUnpoolBackwardBackward0"), \
            None, None, None, None


class _FlatGather(Op):
    """out[n, c, j] = x[n, c, idx[n, c, j]] per plane."""

    @staticmethod
    def forward(ctx, x, idx, x_sp_unused, name):
        xp = xp_of(x)
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        out = xp.take_along_axis(flat, idx.reshape(n, c, -1), axis=2).reshape(idx.shape)
        if ctx.needs_input_grad:
            ctx._name = name
            ctx.idx, ctx.x_sp = idx, x.shape[2:]
        return out

    @staticmethod
    def backward(ctx, g):
        return _FlatScatter.apply(g, ctx.idx, ctx.x_sp, True, "GatherBackwardBackward0"), \
            None, None, None


# ---------------------------------------------------------------- argument handling
def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _tuple_arg(v, n, err):
    if isinstance(v, Tensor):
        v = v.tolist()
    if _is_int(v):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(err)
    return v


_DIM_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


def _check_window(nd, kernel, stride, pad, dilation, fname):
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    names = _DIM_NAMES[nd]
    if any(k <= 0 for k in kernel):
        raise RuntimeError("kernel size should be greater than zero, but got " +
                           " ".join(f"k{n}: {k}" for n, k in zip(names, kernel)))
    if any(s < 0 for s in stride):
        raise RuntimeError("stride should be greater than zero, but got " +
                           " ".join(f"d{n}: {s}" for n, s in zip(names, stride)))
    if dilation is not None and any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"dilation{n}: {d}" for n, d in zip(names, dilation)))
    if any(p < 0 for p in pad):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(pad)}")
    dil = dilation or (1,) * nd
    for p, k, d in zip(pad, kernel, dil):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")


def _check_pool_input(input, nd):
    """3D/4D (2-d pools), 4D/5D (3-d pools), non-empty non-batch dims."""
    if input.dim() not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{_lst(input.shape)}")


def _window(input, nd, kernel, stride, pad, dilation, ceil_mode):
    in_sp = tuple(input.shape[-nd:])
    out_sp = tuple(_out_size(n, k, s, p, d, ceil_mode)
                   for n, k, s, p, d in zip(in_sp, kernel, stride, pad, dilation))
    if any(o <= 0 for o in out_sp):
        c = input.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + in_sp))}). "
                           f"Calculated output size: ({'x'.join(map(str, (c,) + out_sp))}). "
                           "Output size is too small")
    return _Win(kernel, stride, pad, dilation, in_sp, out_sp)


def _batched(input, nd):
    """(input with a batch dim, whether one was added)."""
    if input.dim() == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _unbatch(out, added):
    if not added:
        return out
    if isinstance(out, tuple):
        return tuple(o.squeeze(0) for o in out)
    return out.squeeze(0)


def _stride_arg(stride, kernel_size):
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        return kernel_size
    return stride


# ---------------------------------------------------------------- max pool API
def _max_pool_nd(nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                 return_indices):
    fname = f"max_pool{nd}d"
    words = {2: "two", 3: "three"}[nd]
    kernel = _tuple_arg(kernel_size, nd, f"{fname}: kernel_size must either be a single int, "
                                         f"or a tuple of {words} ints")
    stride = _tuple_arg(_stride_arg(stride, kernel_size), nd,
                        f"{fname}: stride must either be omitted, a single int, or a tuple of "
                        f"{words} ints")
    pad = _tuple_arg(padding, nd, f"{fname}: padding must either be a single int, or a tuple "
                                  f"of {words} ints")
    dilation = _tuple_arg(dilation, nd, f"{fname}: dilation must be either a single int, or a "
                                        f"tuple of {words} ints")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           "input")
    _check_window(nd, kernel, stride, pad, dilation, fname)
    _check_pool_input(input, nd)
    if input.dtype.is_complex or input.dtype is _dt.bool:
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_dtype_word(input)}'")
    x, added = _batched(input, nd)
    win = _window(x, nd, kernel, stride, pad, dilation, ceil_mode)
    name = f"MaxPool{nd}DWithIndicesBackward0"
    return _unbatch(_MaxPool.apply(x, win, name, bool(return_indices)), added)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_pool_nd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool_nd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_pool_nd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if _amp_on[0] and not return_indices:   # (PyTorch: max_pool3d_with_indices is not listed)
        input, = _amp.maybe_cast("max_pool3d", input)
    return _max_pool_nd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def _one(v, what, fname):
    if isinstance(v, Tensor):
        v = v.tolist()
    if _is_int(v):
        return int(v)
    v = tuple(v)
    if len(v) != 1:
        raise RuntimeError(f"{fname}() {what} must be an int, list of ints or tuple of ints of "
                           f"size 1 but got size {len(v)}")
    return int(v[0])


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    f = "max_pool1d"
    if input.dim() not in (2, 3) or any(s == 0 for s in input.shape[-2:]):
        raise RuntimeError(f"{f}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{_lst(input.shape)}")
    k = _one(kernel_size, "kernel_size", f)
    s = _one(_stride_arg(stride, kernel_size), "stride", f)
    p = _one(padding, "padding", f)
    d = _one(dilation, "dilation", f)
    if k <= 0:
        raise RuntimeError(f"{f}() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"{f}() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"{f}() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"{f}() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"{f}() dilation must be greater than zero, but got {d}")
    if _out_size(input.shape[-1], k, s, p, d, ceil_mode) <= 0:
        raise RuntimeError(f"{f}() Invalid computed output size: "
                           f"{_out_size(input.shape[-1], k, s, p, d, ceil_mode)}")
    r = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                   return_indices)
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


# ---------------------------------------------------------------- avg pool API
def _avg_pool_nd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
    fname = f"avg_pool{nd}d"
    words = {2: "two", 3: "three"}[nd]
    either = "either be" if nd == 2 else "be"
    kernel = _tuple_arg(kernel_size, nd, f"{fname}: kernel_size must {either} a single int, "
                                         f"or a tuple of {words} ints")
    stride = _tuple_arg(_stride_arg(stride, kernel_size), nd,
                        f"{fname}: stride must either be omitted, a single int, or a tuple of "
                        f"{words} ints")
    pad = _tuple_arg(padding, nd, f"{fname}: padding must {either} a single int, or a tuple of "
                                  f"{words} ints")
    if input.dim() == 2 and nd == 2:
        input.size(-3)   # PyTorch's IndexError for a 2-D input
    if nd == 3 and input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    _check_window(nd, kernel, stride, pad, None, fname)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_pool_input(input, nd)
    if input.dtype.is_complex or input.dtype is _dt.bool:
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_dtype_word(input)}'")
    x, added = _batched(input, nd)
    if nd == 3 and any(n + 2 * p < k for n, p, k in zip(x.shape[2:], pad, kernel)):
        t, h, w = x.shape[2:]
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size "
                           f"(kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]})")
    win = _window(x, nd, kernel, stride, pad, (1,) * nd, ceil_mode)
    div = _avg_divisor(win, count_include_pad, divisor_override, x._data.dtype, xp_of(x._data))
    return _unbatch(_AvgPool.apply(x, win, div, f"AvgPool{nd}DBackward0"), added)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool_nd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("avg_pool3d", input)
    return _avg_pool_nd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")

    def one(v, what):
        if isinstance(v, Tensor):
            v = v.tolist()
        if _is_int(v):
            return int(v)
        v = tuple(v)
        if len(v) != 1:
            raise RuntimeError(f"avg_pool1d() argument '{what}' should contain one int (got "
                               f"{len(v)})")
        return int(v[0])
    k = one(kernel_size, "kernel_size")
    s = one(_stride_arg(stride, kernel_size), "stride")
    p = one(padding, "padding")
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                      count_include_pad).squeeze(-2)


# ---------------------------------------------------------------- adaptive pools
def _adaptive_size(output_size, in_sp, nd, fname):
    if isinstance(output_size, Tensor):
        output_size = output_size.tolist()
    if output_size is None or _is_int(output_size):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        if nd == 1:
            raise RuntimeError(f"{fname}() argument 'output_size' should contain one int (got "
                               f"{len(output_size)})")
        if fname.startswith("adaptive_max"):
            raise RuntimeError(f"{fname}(): internal error: output_size.size() must be {nd}")
        raise RuntimeError(f"{fname}: output_size must be {nd}")
    return tuple(int(n) if o is None else int(o) for o, n in zip(output_size, in_sp))


def _check_adaptive_input(input, nd, fname):
    if input.dim() not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                               f"tensor for argument #1 'self' (while checking arguments for "
                               f"{fname})")
        sep = ": " if fname.startswith("adaptive_max") else " "
        raise RuntimeError(f"{fname}(): Expected {nd + 1}D or {nd + 2}D tensor, but got"
                           f"{sep}{_lst(input.shape)}")
    for i in range(input.dim() - nd, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{fname}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_lst(input.shape)} with "
                               f"dimension {i} being empty")


def _adaptive_avg_nd(nd, input, output_size):
    fname = f"adaptive_avg_pool{nd}d"
    if nd > 1 and input.dim() < 2:
        raise ValueError("Input dimension should be at least 3")
    _check_adaptive_input(input, nd, fname)
    in_sp = tuple(input.shape[-nd:])
    out_sp = _adaptive_size(output_size, in_sp, nd, fname)
    if any(o < 0 for o in out_sp):
        raise RuntimeError(f"{fname}: elements of output_size must be greater than or equal to "
                           f"0 but received {{{', '.join(map(str, out_sp))}}}")
    if not input.dtype.is_floating_point:
        if nd > 1 and all(o == 1 for o in out_sp):
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {_dtype_word(input)}")
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_dtype_word(input)}'")
    dims = tuple(range(input.dim() - nd, input.dim()))
    if nd > 1 and all(o == 1 for o in out_sp):
        return input.mean(dim=dims, keepdim=True)   # PyTorch's path (MeanBackward1)
    name = f"AdaptiveAvgPool{nd}DBackward0"
    if all(n % o == 0 for n, o in zip(in_sp, out_sp) if o):
        x, added = _batched(input, nd)
        k = tuple(n // o for n, o in zip(in_sp, out_sp))
        win = _Win(k, k, (0,) * nd, (1,) * nd, in_sp, out_sp)
        return _unbatch(_AvgPool.apply(x, win, math.prod(k), name), added)
    spec = []
    for ax, n, o in zip(dims, in_sp, out_sp):
        if n != o:
            idx, w = _adaptive_taps(n, o)
            spec.append((ax, idx, w))
    if not spec:
        return input.clone()
    return _taps_call(input, spec, name)


def adaptive_avg_pool1d(input, output_size):
    fname = "adaptive_avg_pool1d"
    _check_adaptive_input(input, 1, fname)
    _adaptive_size(output_size, input.shape[-1:], 1, fname)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + _adaptive_size(
        output_size, input.shape[-1:], 1, fname)).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg_nd(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    if _amp_on[0]:
        input, = _amp.maybe_cast("adaptive_avg_pool3d", input)
    return _adaptive_avg_nd(3, input, output_size)


def _adaptive_max_nd(nd, input, output_size, return_indices):
    fname = f"adaptive_max_pool{nd}d"
    if nd > 1 and input.dim() < 2:
        raise ValueError("Input dimension should be at least 3")
    _check_adaptive_input(input, nd, fname)
    in_sp = tuple(input.shape[-nd:])
    out_sp = _adaptive_size(output_size, in_sp, nd, fname)
    if any(o < 0 for o in out_sp):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(out_sp)}: {_lst(tuple(input.shape[:-nd]) + out_sp)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_dtype_word(input)}'")
    x, added = _batched(input, nd)
    name = f"AdaptiveMaxPool{nd}DBackward0"
    if all(o and n % o == 0 for n, o in zip(in_sp, out_sp)):
        k = tuple(n // o for n, o in zip(in_sp, out_sp))
        win = _Win(k, k, (0,) * nd, (1,) * nd, in_sp, out_sp)
        res = _MaxPool.apply(x, win, name, True)
    else:
        flat = _adaptive_argmax(x._data, in_sp, out_sp)
        out = _FlatGather.apply(x, flat, in_sp, name)
        res = (out, _wrap_index(flat, x))
    if not return_indices:
        res = res[0]
    return _unbatch(res, added)


def _wrap_index(arr, like):
    from ...tensor import _make
    return _make(arr, like._device)


def _adaptive_argmax(x, in_sp, out_sp):
    """Flat input index of each adaptive window's maximum (first max; last NaN wins)."""
    xp = xp_of(x)
    nd = len(in_sp)
    n, c = x.shape[:2]
    grids = []
    for dim, (m, o) in enumerate(zip(in_sp, out_sp)):
        idx, _ = _adaptive_taps(m, o)     # (o, T), padded with the window's last index
        shape = [1] * (2 * nd)
        shape[2 * dim], shape[2 * dim + 1] = idx.shape
        grids.append(idx.reshape(shape))
    flat_grid = grids[0]
    for dim in range(1, nd):
        flat_grid = flat_grid * in_sp[dim] + grids[dim]   # broadcasts to (o1, T1, o2, T2, ..)
    # (o1, T1, o2, T2, ...) -> (o1, o2, ..., T1*T2*...)
    perm = tuple(range(0, 2 * nd, 2)) + tuple(range(1, 2 * nd, 2))
    fg = xp.asarray(np.ascontiguousarray(flat_grid.transpose(perm)).reshape(
        tuple(out_sp) + (-1,)))
    vals = xp.take(x.reshape(n, c, -1), fg, axis=2)   # (N, C, *out, T)
    return _window_argmax(vals, xp.broadcast_to(fg, vals.shape))


def _window_argmax(vals, flat_idx):
    """flat_idx at the max of each window (last axis): first max, the last NaN if any."""
    xp = xp_of(vals)
    arg = xp.argmax(vals, axis=-1)
    if vals.dtype.kind == "f":
        nan = xp.isnan(vals)
        if nan.any():
            last = vals.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
            arg = xp.where(nan.any(axis=-1), last, arg)
    return xp.take_along_axis(flat_idx, arg[..., None], axis=-1)[..., 0].astype(np.int64)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    fname = "adaptive_max_pool1d"
    _check_adaptive_input(input, 1, fname)
    o = _adaptive_size(output_size, input.shape[-1:], 1, fname)
    r = adaptive_max_pool2d(input.unsqueeze(-2), (1,) + o, return_indices)
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max_nd(2, input, output_size, True)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max_nd(2, input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    if _amp_on[0]:
        input, = _amp.maybe_cast("adaptive_max_pool3d", input)
    return _adaptive_max_nd(3, input, output_size, True)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    if _amp_on[0]:
        input, = _amp.maybe_cast("adaptive_max_pool3d", input)
    return _adaptive_max_nd(3, input, output_size, return_indices)


# ---------------------------------------------------------------- max unpool
def _unpool_output_size(input, kernel, stride, padding, output_size):
    nd = len(kernel)
    default = [(input.shape[-nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(nd)]
    if output_size is None:
        return tuple(default)
    output_size = tuple(int(s) for s in output_size)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d in range(nd):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                             f"{lo} and {hi})")
    return output_size


def _max_unpool_nd(nd, input, indices, kernel_size, stride, padding, output_size):
    kernel = _tuple_arg(kernel_size, nd, "kernel_size")
    stride = _tuple_arg(_stride_arg(stride, kernel_size), nd, "stride")
    pad = _tuple_arg(padding, nd, "padding")
    out_sp = _unpool_output_size(input, kernel, stride, pad, output_size)
    fname = f"max_unpooling{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to {fname} should be a {nd + 1}d or {nd + 2}d Tensor, but "
                           f"got a tensor with {input.dim()} dimensions.")
    if indices.dtype is not _dt.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{_dtype_word(indices)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({_lst(input.shape)}) but got indices tensor with shape: "
                           f"{_lst(indices.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"max_unpool{nd}d\" not implemented for "
                                  f"'{_dtype_word(input)}'")
    m = math.prod(out_sp)
    idx = indices._data
    bad = (idx < 0) | (idx >= m)
    if bad.any():
        first = int(idx.ravel()[int(xp_of(idx).argmax(bad.ravel()))])
        raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                           f"{'x'.join(map(str, out_sp))})")
    x, added = _batched(input, nd)
    idx_b = idx if not added else idx[None]
    out = _FlatScatter.apply(x, idx_b, out_sp, False, f"MaxUnpool{nd}DBackward0")
    return _unbatch(out, added)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    kernel = _tuple_arg(kernel_size, 1, "kernel_size")
    stride = _tuple_arg(_stride_arg(stride, kernel_size), 1, "stride")
    pad = _tuple_arg(padding, 1, "padding")
    out_sp = _unpool_output_size(input, kernel, stride, pad, output_size)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {input.dim() + 1} dimensions.")
    return _max_unpool_nd(2, input.unsqueeze(-1), indices.unsqueeze(-1), kernel + (1,),
                          stride + (1,), pad + (0,), out_sp + (1,)).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("max_unpool2d", input)
    return _max_unpool_nd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("max_unpool3d", input)
    return _max_unpool_nd(3, input, indices, kernel_size, stride, padding, output_size)


# ---------------------------------------------------------------- lp pool
def _lp_finish(out, norm_type, k):
    return (out.sign() * out.abs().relu()).mul(k).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    k = kernel_size if _is_int(kernel_size) else math.prod(kernel_size)
    return _lp_finish(out, norm_type, k)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    kw, kh = _tuple_arg(kernel_size, 2, "kernel_size")
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, norm_type, kw * kh)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    kd, kw, kh = _tuple_arg(kernel_size, 3, "kernel_size")
    if stride is not None:
        out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool3d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, norm_type, kd * kw * kh)


# ---------------------------------------------------------------- fractional max pool
def _fractional_starts(u, n_in, n_out, k):
    """PyTorch's generate_intervals for every plane at once (u: (N, C) samples, float
    arithmetic in the sample's dtype as its kernel does) -> (N, C, n_out) window starts."""
    u = u[..., None]
    if n_out > 1:
        alpha = u.dtype.type(n_in - k) / u.dtype.type(n_out - 1)
        i = np.arange(n_out - 1, dtype=u.dtype)
        seq = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    else:
        seq = np.zeros(u.shape[:-1] + (0,), np.int64)
    last = np.full(u.shape[:-1] + (1,), n_in - k, np.int64)
    return np.concatenate([seq, last], axis=-1)


def _fractional_nd(nd, input, kernel_size, output_size, output_ratio, return_indices,
                   _random_samples):
    fname = f"fractional_max_pool{nd}d"
    kernel = _tuple_arg(kernel_size, nd, f"{fname}: kernel_size must be an int or tuple")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fname} requires specifying either an output_size or an "
                         "output_ratio")
    in_sp = tuple(input.shape[-nd:])
    if output_size is None:
        ratio = _tuple_ratio(output_ratio, nd)
        output_size = tuple(int(n * r) for n, r in zip(in_sp, ratio))
    out_sp = _tuple_arg(output_size, nd, "output_size")
    for n, o, k in zip(in_sp, out_sp, kernel):
        if o + k - 1 > n:
            raise RuntimeError(f"{fname}(): pool size {k} too large relative to input size {n} "
                               f"(output {o})")
    x, added = _batched(input, nd)
    n, c = x.shape[:2]
    if _random_samples is None:
        from ...ops import random as _rnd
        _random_samples = _rnd.rand(n, c, nd, dtype=x.dtype, device=x.device)
    u = _random_samples._data if isinstance(_random_samples, Tensor) else _random_samples
    u = np.asarray(u).reshape(n, c, nd)
    # PyTorch's 2-d kernel takes the plane's first sample for W and the second for H
    order = (1, 0) if nd == 2 else tuple(range(nd))
    xa = x._data
    xp = xp_of(xa)
    grid = None
    for d in range(nd):
        starts = _fractional_starts(u[:, :, order[d]], in_sp[d], out_sp[d], kernel[d])
        idx = starts[..., None] + np.arange(kernel[d])            # (N, C, o_d, k_d)
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = out_sp[d], kernel[d]
        idx = idx.reshape(shape)                                   # (N, C, *o, *k) slots
        grid = idx if grid is None else grid * in_sp[d] + idx
    grid = xp.asarray(np.ascontiguousarray(grid).reshape((n, c) + tuple(out_sp) + (-1,)))
    vals = xp.take_along_axis(xa.reshape(n, c, -1), grid.reshape(n, c, -1), axis=2)
    flat = _window_argmax(vals.reshape(grid.shape), grid)
    out = _FlatGather.apply(x, flat, in_sp, f"FractionalMaxPool{nd}DBackward0")
    res = (out, _wrap_index(flat, x)) if return_indices else out
    return _unbatch(res, added)


def _tuple_ratio(r, nd):
    if isinstance(r, (int, float)):
        return (float(r),) * nd
    return tuple(float(v) for v in r)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("fractional_max_pool2d", input)
    return _fractional_nd(2, input, kernel_size, output_size, output_ratio, return_indices,
                          _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=True,
                                       _random_samples=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("fractional_max_pool2d", input)
    return _fractional_nd(2, input, kernel_size, output_size, output_ratio, True,
                          _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("fractional_max_pool3d", input)
    return _fractional_nd(3, input, kernel_size, output_size, output_ratio, return_indices,
                          _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=True,
                                       _random_samples=None):
    if _amp_on[0]:
        input, = _amp.maybe_cast("fractional_max_pool3d", input)
    return _fractional_nd(3, input, kernel_size, output_size, output_ratio, True,
                          _random_samples)
