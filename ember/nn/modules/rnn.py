"""Recurrent layers: RNN, LSTM, GRU and their cells.

Each layer and direction is ONE fused Op (`RecurrentLayer`) over the whole sequence:
  * forward: the input projection of every time step as one GEMM (`x @ W_ih^T + biases`),
    then the time loop on raw arrays (a `h @ W_hh^T` GEMM and in-place gate arithmetic per
    step), keeping the gate activations;
  * backward: the loop in reverse on raw arrays, then one GEMM each for dW_hh (and dW_hr),
    dW_ih and dx over all the steps stacked.
No Tensor or graph node is made per step, so a 10,000-step sequence costs one graph node
per layer and direction.

The fast backward works on arrays. When a graph of the backward is wanted (create_graph=True:
double backward, gradient penalties), the Op instead recomputes the layer with ordinary
differentiable ember ops (`_composed_layer`, the reference definition of each cell) and
differentiates that with `autograd.grad(create_graph=True)`, so RNNs are differentiable any
number of times; only that rare path pays for per-step graph nodes.

Packed sequences: the batch is sorted by decreasing length, so at step t the active rows are
the first `batch_sizes[t]`; the state of finished (or not yet started, for the reverse
direction) rows simply stays put, which gives PyTorch's h_n/c_n for mixed lengths.
"""
import math
import numbers
import warnings

from ...tensor import _make
from ...autograd import grad_mode
from ...autograd.function import Op
from ...ops import creation as _creation, shape as _shape
from ...ops._util import xp_of
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_enabled = grad_mode._enabled


def _packed_sequence_cls():
    # Imported late: ember.nn.utils is imported after ember.nn.modules.
    from ..utils.rnn import PackedSequence
    return PackedSequence


# ====================================================================== time-step layout
class _Steps:
    """Where each time step's rows live in a sequence array, in time order.

    `index[t]` selects step t's rows (an int into a T x B x · array, or a row slice of a
    packed N x · array) and `sizes[t]` is how many batch rows are active: always the first
    ones, because packed batches are sorted by decreasing length."""
    __slots__ = ("index", "sizes", "batch", "packed")

    def __init__(self, index, sizes, batch, packed):
        self.index, self.sizes, self.batch, self.packed = index, sizes, batch, packed

    @classmethod
    def padded(cls, T, B):
        return cls(list(range(T)), [B] * T, B, False)

    @classmethod
    def from_batch_sizes(cls, batch_sizes):
        sizes = [int(b) for b in batch_sizes]
        index, off = [], 0
        for b in sizes:
            index.append(slice(off, off + b))
            off += b
        return cls(index, sizes, sizes[0], True)

    def order(self, reverse):
        n = len(self.sizes)
        return range(n - 1, -1, -1) if reverse else range(n)

    def rows(self, feat):
        """Shape of a per-row array with `feat` features in this layout."""
        if self.packed:
            return (sum(self.sizes), feat)
        return (len(self.sizes), self.batch, feat)


def _sigmoid_(a, xp):
    """In-place logistic sigmoid as 0.5 * tanh(x / 2) + 0.5: NumPy's tanh is vectorised and
    several times faster than exp-based forms (which also overflow for large -x)."""
    xp.multiply(a, 0.5, out=a)
    xp.tanh(a, out=a)
    xp.multiply(a, 0.5, out=a)
    xp.add(a, 0.5, out=a)


def _rows_2d(a):
    return a.reshape(-1, a.shape[-1])


# ====================================================================== LSTM kernel
def _lstm_forward(x, h0, c0, w_hh, b_hh, w_hr, steps, reverse, keep):
    """x: input projections with both biases (rows x 4H), gate order i, f, g, o as in
    PyTorch; b_hh is unused (folded into x)."""
    xp = xp_of(x)
    H = c0.shape[-1]
    P = h0.shape[-1]
    dt = x.dtype
    B = steps.batch
    h = h0.astype(dt, copy=True)
    c = c0.astype(dt, copy=True)
    out = xp.empty(steps.rows(P), dt)
    whh_t = w_hh.T
    whr_t = w_hr.T if w_hr is not None else None
    if keep:
        acts = xp.empty(steps.rows(4 * H), dt)
        cprev = xp.empty(steps.rows(H), dt)
        tanhc = xp.empty(steps.rows(H), dt)
        hprev = xp.empty(steps.rows(P), dt)
        hr_all = xp.empty(steps.rows(H), dt) if w_hr is not None else None
    else:
        gbuf = xp.empty((B, 4 * H), dt)
        tbuf = xp.empty((B, H), dt)
        hbuf = xp.empty((B, H), dt) if w_hr is not None else None
    for t in steps.order(reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        hp, cp = h[:bs], c[:bs]
        if keep:
            g, tc = acts[ix], tanhc[ix]
            hprev[ix] = hp
            cprev[ix] = cp
        else:
            g, tc = gbuf[:bs], tbuf[:bs]
        xp.matmul(hp, whh_t, out=g)
        g += x[ix]
        _sigmoid_(g[:, :2 * H], xp)
        xp.tanh(g[:, 2 * H:3 * H], out=g[:, 2 * H:3 * H])
        _sigmoid_(g[:, 3 * H:], xp)
        i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
        cp *= f
        xp.multiply(i, gg, out=tc)      # tc as scratch before it holds tanh(c)
        cp += tc
        xp.tanh(cp, out=tc)
        if w_hr is not None:
            hr = hr_all[ix] if keep else hbuf[:bs]
            xp.multiply(o, tc, out=hr)
            xp.matmul(hr, whr_t, out=hp)
        else:
            xp.multiply(o, tc, out=hp)
        out[ix] = hp
    saved = (acts, cprev, tanhc, hprev, hr_all) if keep else None
    return out, h, c, saved


def _lstm_backward(saved, dout, dhn, dcn, w_hh, w_hr, steps, reverse, needs):
    acts, cprev, tanhc, hprev, hr_all = saved
    xp = xp_of(acts)
    dt = acts.dtype
    H = cprev.shape[-1]
    B = steps.batch
    dgates = xp.empty(acts.shape, dt)
    dh = dhn.astype(dt, copy=True)
    dc = dcn.astype(dt, copy=True)
    tmp = xp.empty((B, H), dt)
    der = xp.empty((B, 4 * H), dt)
    if w_hr is not None:
        dhtot = xp.empty(hprev.shape, dt)
        dhr_buf = xp.empty((B, H), dt)
    for t in steps.order(not reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        dht = dh[:bs]
        dht += dout[ix]
        a = acts[ix]
        i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        tc = tanhc[ix]
        if w_hr is not None:
            dhtot[ix] = dht
            dhr = dhr_buf[:bs]
            xp.matmul(dht, w_hr, out=dhr)
        else:
            dhr = dht
        dct, tm = dc[:bs], tmp[:bs]
        xp.multiply(tc, tc, out=tm)               # dc += dh * o * (1 - tanh(c)^2)
        xp.subtract(1, tm, out=tm)
        tm *= o
        tm *= dhr
        dct += tm
        D = dgates[ix]
        xp.multiply(dct, gg, out=D[:, :H])
        xp.multiply(dct, cprev[ix], out=D[:, H:2 * H])
        xp.multiply(dct, i, out=D[:, 2 * H:3 * H])
        xp.multiply(dhr, tc, out=D[:, 3 * H:])
        dr = der[:bs]                             # a(1-a) for the sigmoids, 1-g^2 for tanh
        xp.subtract(1, a, out=dr)
        dr *= a
        dg = dr[:, 2 * H:3 * H]
        xp.multiply(gg, gg, out=dg)
        xp.subtract(1, dg, out=dg)
        D *= dr
        dct *= f
        xp.matmul(D, w_hh, out=dht)
    g_whh = _rows_2d(dgates).T @ _rows_2d(hprev) if needs.w_hh else None
    g_whr = None
    if w_hr is not None and needs.w_hr:
        g_whr = _rows_2d(dhtot).T @ _rows_2d(hr_all)
    return dgates, dh, dc, g_whh, None, g_whr


# ====================================================================== GRU kernel
def _gru_forward(x, h0, c0, w_hh, b_hh, w_hr, steps, reverse, keep):
    """x: input projections (rows x 3H), gate order r, z, n as in PyTorch:
    n = tanh(x_n + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h."""
    xp = xp_of(x)
    H = h0.shape[-1]
    dt = x.dtype
    B = steps.batch
    h = h0.astype(dt, copy=True)
    out = xp.empty(steps.rows(H), dt)
    whh_t = w_hh.T
    qbuf = xp.empty((B, 3 * H), dt)
    if keep:
        acts = xp.empty(steps.rows(3 * H), dt)
        hpn = xp.empty(steps.rows(H), dt)
        hprev = xp.empty(steps.rows(H), dt)
    else:
        abuf = xp.empty((B, 3 * H), dt)
    for t in steps.order(reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        hp = h[:bs]
        q = qbuf[:bs]
        if keep:
            a = acts[ix]
            hprev[ix] = hp
        else:
            a = abuf[:bs]
        xp.matmul(hp, whh_t, out=q)
        if b_hh is not None:
            q += b_hh
        xt = x[ix]
        xp.add(xt[:, :2 * H], q[:, :2 * H], out=a[:, :2 * H])
        _sigmoid_(a[:, :2 * H], xp)
        r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
        if keep:
            hpn[ix] = q[:, 2 * H:]
        xp.multiply(r, q[:, 2 * H:], out=n)
        n += xt[:, 2 * H:]
        xp.tanh(n, out=n)
        hp -= n                                     # h' = n + z * (h - n)
        hp *= z
        hp += n
        out[ix] = hp
    saved = (acts, hpn, hprev) if keep else None
    return out, h, None, saved


def _gru_backward(saved, dout, dhn, dcn, w_hh, w_hr, steps, reverse, needs):
    acts, hpn, hprev = saved
    xp = xp_of(acts)
    dt = acts.dtype
    H = hprev.shape[-1]
    B = steps.batch
    dx = xp.empty(acts.shape, dt)
    dq = xp.empty(acts.shape, dt)
    dh = dhn.astype(dt, copy=True)
    tmp = xp.empty((B, H), dt)
    tmp2 = xp.empty((B, H), dt)
    for t in steps.order(not reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        dht = dh[:bs]
        dht += dout[ix]
        a = acts[ix]
        r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
        D, Q, tm = dx[ix], dq[ix], tmp[:bs]
        Dr, Dz, Dn = D[:, :H], D[:, H:2 * H], D[:, 2 * H:]
        xp.subtract(1, z, out=Dn)                   # dn_pre = dh (1 - z)(1 - n^2)
        Dn *= dht
        xp.multiply(n, n, out=tm)
        xp.subtract(1, tm, out=tm)
        Dn *= tm
        xp.subtract(hprev[ix], n, out=Dz)           # dz_pre = dh (h - n) z (1 - z)
        Dz *= dht
        xp.subtract(1, z, out=tm)
        tm *= z
        Dz *= tm
        xp.multiply(Dn, hpn[ix], out=Dr)            # dr_pre = dn_pre (W_hn h + b_hn) r (1 - r)
        xp.subtract(1, r, out=tm)
        tm *= r
        Dr *= tm
        Q[:, :2 * H] = D[:, :2 * H]
        xp.multiply(Dn, r, out=Q[:, 2 * H:])
        t2 = tmp2[:bs]
        xp.matmul(Q, w_hh, out=t2)
        dht *= z
        dht += t2
    dQ = _rows_2d(dq)
    g_whh = dQ.T @ _rows_2d(hprev) if needs.w_hh else None
    g_bhh = dQ.sum(0) if needs.b_hh else None
    return dx, dh, None, g_whh, g_bhh, None


# ====================================================================== Elman RNN kernel
def _rnn_forward(x, h0, c0, w_hh, b_hh, w_hr, steps, reverse, keep, relu):
    """x: input projections with both biases; b_hh is unused (folded into x)."""
    xp = xp_of(x)
    H = h0.shape[-1]
    dt = x.dtype
    h = h0.astype(dt, copy=True)
    out = xp.empty(steps.rows(H), dt)      # the activations are the outputs: saved as such
    whh_t = w_hh.T
    hprev = xp.empty(steps.rows(H), dt) if keep else None
    for t in steps.order(reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        hp = h[:bs]
        if keep:
            hprev[ix] = hp
        a = out[ix]
        xp.matmul(hp, whh_t, out=a)
        a += x[ix]
        if relu:
            xp.maximum(a, 0, out=a)
        else:
            xp.tanh(a, out=a)
        hp[...] = a
    return out, h, None, ((hprev,) if keep else None)


def _rnn_backward(saved, dout, dhn, dcn, w_hh, w_hr, steps, reverse, needs, relu, out):
    hprev, = saved
    xp = xp_of(out)
    dt = out.dtype
    dx = xp.empty(out.shape, dt)
    dh = dhn.astype(dt, copy=True)
    for t in steps.order(not reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        dht = dh[:bs]
        dht += dout[ix]
        a, D = out[ix], dx[ix]
        if relu:
            xp.multiply(dht, a > 0, out=D)
        else:
            xp.multiply(a, a, out=D)
            xp.subtract(1, D, out=D)
            D *= dht
        xp.matmul(D, w_hh, out=dht)
    g_whh = _rows_2d(dx).T @ _rows_2d(hprev) if needs.w_hh else None
    return dx, dh, None, g_whh, None, None


def _forward_kernel(mode, *args):
    if mode == "LSTM":
        return _lstm_forward(*args)
    if mode == "GRU":
        return _gru_forward(*args)
    return _rnn_forward(*args, relu=mode == "RNN_RELU")


# ====================================================================== the fused Op
_INPUTS = ("x", "w_ih", "b_ih", "h0", "c0", "w_hh", "b_hh", "w_hr")


class _Needs:
    """needs_input_grad by input name."""
    __slots__ = _INPUTS

    def __init__(self, flags):
        for n, f in zip(_INPUTS, flags):
            setattr(self, n, f)


def _project_forward(x, w_ih, b_ih, b_hh, batch_first, xp):
    """All time steps' input projections in one GEMM, as a time-major (or packed) array.
    b_hh, when given, is folded in here (LSTM and Elman RNN add it to the same gates)."""
    x2 = x.reshape(-1, x.shape[-1])
    r = xp.matmul(x2, w_ih.T)
    bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
    if bias is not None:
        r += bias
    r = r.reshape(x.shape[:-1] + (w_ih.shape[0],))
    return r.swapaxes(0, 1) if batch_first else r


def _time_major_rows(a, batch_first):
    """Rows of a (T, B, ·) / (B, T, ·) / packed array in the time-major row order."""
    if batch_first:
        a = a.swapaxes(0, 1)
    return a.reshape(-1, a.shape[-1])


class RecurrentLayer(Op):
    """One layer and direction of RNN/LSTM/GRU over a whole sequence, from the layer input
    to its outputs.

    Inputs: the layer input x (T x B x I, B x T x I with batch_first, or packed N x I), W_ih,
    b_ih, h0 (B x P), c0 (B x H, LSTM only), W_hh, b_hh, W_hr (LSTM with proj_size only).
    Outputs: the time-major (or packed) output sequence, h_n, and c_n (LSTM only)."""

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr, mode, steps, reverse,
                batch_first):
        xp = xp_of(x)
        keep = any(ctx.needs_input_grad)
        fold = mode != "GRU"
        proj = _project_forward(x, w_ih, b_ih, b_hh if fold else None, batch_first, xp)
        out, h, c, saved = _forward_kernel(mode, proj, h0, c0, w_hh, None if fold else b_hh,
                                           w_hr, steps, reverse, keep)
        if keep:
            ctx.spec = (mode, steps, reverse, batch_first)
            ctx.buffers = saved
            # The inputs are saved as Tensors (with the in-place check): the weights are
            # needed by the fast backward, all of them by the differentiable one. The Elman
            # RNN's activations are its outputs, so those are saved too.
            ctx.save_for_backward(x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr,
                                  out if mode.startswith("RNN") else None)
        return out, h, c

    @staticmethod
    def backward(ctx, dout, dhn, dcn):
        saved = ctx.saved_tensors
        if _enabled[0]:
            return _differentiable_backward(ctx, saved, dout, dhn, dcn)
        x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr, out = saved
        mode, steps, reverse, batch_first = ctx.spec
        needs = _Needs(ctx.needs_input_grad)
        whr = w_hr._data if w_hr is not None else None
        args = (ctx.buffers, dout._data, dhn._data, None if dcn is None else dcn._data,
                w_hh._data, whr, steps, reverse, needs)
        if mode == "LSTM":
            dproj, dh0, dc0, g_whh, g_bhh, g_whr = _lstm_backward(*args)
        elif mode == "GRU":
            dproj, dh0, dc0, g_whh, g_bhh, g_whr = _gru_backward(*args)
        else:
            dproj, dh0, dc0, g_whh, g_bhh, g_whr = _rnn_backward(
                *args, relu=mode == "RNN_RELU", out=out._data)
        # the input projection's backward: three GEMM-sized ops on the stacked steps
        dP = _rows_2d(dproj)
        g_x = g_wih = g_bih = None
        if needs.x:
            xd = x._data
            g_x = (dP @ w_ih._data).reshape(dproj.shape[:-1] + (xd.shape[-1],))
            if batch_first:
                g_x = g_x.swapaxes(0, 1)
        if needs.w_ih:
            g_wih = dP.T @ _time_major_rows(x._data, batch_first)
        if needs.b_ih or (needs.b_hh and mode != "GRU"):
            g_bih = dP.sum(0)
        if mode != "GRU" and needs.b_hh:
            g_bhh = g_bih.copy() if needs.b_ih else g_bih
        dev = ctx._device
        grads = (g_x, g_wih, g_bih, dh0, dc0, g_whh, g_bhh, g_whr)
        res = tuple(_make(g, dev) if (g is not None and f) else None
                    for g, f in zip(grads, ctx.needs_input_grad))
        return res + (None, None, None, None)

    def _release(self):
        super()._release()
        self.__dict__.pop("buffers", None)


def _differentiable_backward(ctx, saved, dout, dhn, dcn):
    """Backward under create_graph: differentiate the composed (ordinary ember ops) form of
    the layer, so the gradients are themselves differentiable."""
    from ...autograd import grad as _grad
    n = len(_INPUTS)
    ins = list(saved[:n])
    needs = ctx.needs_input_grad[:n]
    for k in range(n):
        if needs[k]:
            # A fresh node per input: autograd.grad then stops there instead of running the
            # input's own backward.
            ins[k] = _Alias.apply(ins[k])
    outs = _composed_layer(*ins, *ctx.spec)
    pairs = [(o, g) for o, g in zip(outs, (dout, dhn, dcn)) if o is not None and g is not None]
    wanted = [ins[k] for k in range(n) if needs[k]]
    gs = iter(_grad([o for o, _ in pairs], wanted, [g for _, g in pairs], retain_graph=True,
                    create_graph=True, allow_unused=True))
    res = tuple(next(gs) if needs[k] else None for k in range(n))
    return res + (None, None, None, None)


class _Alias(Op):
    @staticmethod
    def forward(ctx, a):
        return a.view()

    @staticmethod
    def backward(ctx, g):
        return g


def _composed_layer(x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr, mode, steps, reverse,
                    batch_first):
    """The layer written with differentiable ember ops: PyTorch's cell equations, step by
    step. Used for double backward only (RecurrentLayer is the fast form)."""
    from ... import ops
    xproj = x.matmul(w_ih.t())
    if b_ih is not None:
        xproj = xproj + b_ih
    if batch_first:
        xproj = xproj.transpose(0, 1)
    B = steps.batch
    h, c = h0, c0
    outs = [None] * len(steps.sizes)
    for t in steps.order(reverse):
        ix, bs = steps.index[t], steps.sizes[t]
        xt = xproj[ix]
        hp = h[:bs]
        q = hp.matmul(w_hh.t())
        if b_hh is not None:
            q = q + b_hh
        if mode == "LSTM":
            i, f, g, o = (xt + q).chunk(4, 1)
            c_new = ops.sigmoid(f) * c[:bs] + ops.sigmoid(i) * ops.tanh(g)
            h_new = ops.sigmoid(o) * ops.tanh(c_new)
            if w_hr is not None:
                h_new = h_new.matmul(w_hr.t())
            c = c_new if bs == B else ops.cat([c_new, c[bs:]], 0)
        elif mode == "GRU":
            xr, xz, xn = xt.chunk(3, 1)
            qr, qz, qn = q.chunk(3, 1)
            r = ops.sigmoid(xr + qr)
            z = ops.sigmoid(xz + qz)
            n = ops.tanh(xn + r * qn)
            h_new = (1 - z) * n + z * hp
        else:
            pre = xt + q
            h_new = ops.relu(pre) if mode == "RNN_RELU" else ops.tanh(pre)
        h = h_new if bs == B else ops.cat([h_new, h[bs:]], 0)
        outs[t] = h_new
    out = ops.cat(outs, 0) if steps.packed else ops.stack(outs, 0)
    return out, h, (c if mode == "LSTM" else None)


def _dropout(x, p):
    from ..functional import dropout
    return dropout(x, p, True)


# ====================================================================== modules
class RNNBase(Module):
    """Base class for RNN, LSTM and GRU: parameters, initialisation and the layer loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: "
                            f"{type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

        gate_size = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gate_size is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size *= hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * \
                    num_directions
                w_ih = Parameter(_creation.empty((gate_size, layer_input_size),
                                                 **factory_kwargs))
                w_hh = Parameter(_creation.empty((gate_size, real_hidden_size),
                                                 **factory_kwargs))
                b_ih = Parameter(_creation.empty(gate_size, **factory_kwargs))
                b_hh = Parameter(_creation.empty(gate_size, **factory_kwargs))
                params = [w_ih, w_hh] + ([b_ih, b_hh] if bias else [])
                if proj_size > 0:
                    params.append(Parameter(_creation.empty((proj_size, hidden_size),
                                                            **factory_kwargs)))
                suffix = "_reverse" if direction == 1 else ""
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    names += ["weight_hr_l{}{}"]
                names = [n.format(layer, suffix) for n in names]
                for name, param in zip(names, params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        # Looked up on every use, so reassigned or functionally substituted weights are seen.
        return [getattr(self, n, None) for n in self._flat_weights_names]

    def flatten_parameters(self):
        """A no-op: ember keeps no packed cuDNN weight buffer."""

    @property
    def all_weights(self):
        return [[getattr(self, w) for w in ws] for ws in self._all_weights]

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        if "proj_size" not in state:
            self.proj_size = 0

    # ------------------------------------------------------------------ argument checks
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype is not w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got "
                               f"{input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, self._mini_batch(input, batch_sizes),
                self.proj_size if self.proj_size > 0 else self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size,
                          msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # ------------------------------------------------------------------ running
    def _zeros_state(self, input, batch, size):
        num_directions = 2 if self.bidirectional else 1
        return _creation.zeros(self.num_layers * num_directions, batch, size,
                               dtype=input.dtype, device=input.device)

    def _run(self, input, h0, c0, batch_sizes):
        """All layers and directions; returns (output, h_n, c_n)."""
        D = 2 if self.bidirectional else 1
        batch_first = self.batch_first and batch_sizes is None
        x = input
        if batch_sizes is not None:
            steps = _Steps.from_batch_sizes(batch_sizes._data.tolist())
        elif batch_first:
            steps = _Steps.padded(x.shape[1], x.shape[0])
        else:
            steps = _Steps.padded(x.shape[0], x.shape[1])
        weights = self._flat_weights
        per = len(weights) // (self.num_layers * D)
        h0s = h0.unbind(0)
        c0s = c0.unbind(0) if c0 is not None else None
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w = weights[k * per:(k + 1) * per]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                o, h, c = RecurrentLayer.apply(x, w[0], b_ih, h0s[k],
                                               c0s[k] if c0s is not None else None,
                                               w[1], b_hh, w_hr, self.mode, steps, d == 1,
                                               batch_first and layer == 0)
                outs.append(o)
                hs.append(h)
                cs.append(c)
            x = outs[0] if D == 1 else _shape.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        if batch_first:
            x = x.transpose(0, 1)
        h_n = _shape.stack(hs, 0)
        c_n = _shape.stack(cs, 0) if c0 is not None else None
        return x, h_n, c_n

    def _finish(self, output, hidden, batch_sizes, sorted_indices, unsorted_indices,
                is_batched, batch_dim):
        if batch_sizes is not None:
            PackedSequence = _packed_sequence_cls()
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self._permute_back(hidden, unsorted_indices))
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = tuple(h.squeeze(1) for h in hidden) if isinstance(hidden, tuple) else \
                hidden.squeeze(1)
        return output, self._permute_back(hidden, unsorted_indices)

    def _permute_back(self, hidden, permutation):
        if isinstance(hidden, tuple):
            return tuple(self.permute_hidden(h, permutation) for h in hidden)
        return self.permute_hidden(hidden, permutation)


class _SingleStateRNN(RNNBase):
    """forward of RNN and GRU (a single hidden state)."""
    _label = "RNN"
    _dim_word = " tensor"

    def forward(self, input, hx=None):
        PackedSequence = _packed_sequence_cls()
        batch_dim = 0 if self.batch_first else 1
        is_batched = True
        if isinstance(input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = self._zeros_state(input, int(batch_sizes[0]), self.hidden_size)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{self._label}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D{self._dim_word} instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(batch_dim)
                if hx is not None:
                    if hx.dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but "
                                           f"got {hx.dim()}-D tensor")
                    hx = hx.unsqueeze(1)
            elif hx is not None and hx.dim() != 3:
                raise RuntimeError("For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.dim()}-D tensor")
            if hx is None:
                batch = input.size(0) if self.batch_first else input.size(1)
                hx = self._zeros_state(input, batch, self.hidden_size)
        self.check_forward_args(input, hx, batch_sizes)
        output, h_n, _ = self._run(input, hx, None, batch_sizes)
        return self._finish(output, h_n, batch_sizes, sorted_indices, unsorted_indices,
                            is_batched, batch_dim)


class RNN(_SingleStateRNN):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class GRU(_SingleStateRNN):
    """Gated recurrent unit (gate order r, z, n as in PyTorch)."""
    _label = "GRU"
    _dim_word = ""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory (gate order i, f, g, o as in PyTorch), with optional
    projections (proj_size)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, self._mini_batch(input, batch_sizes),
                self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _permute_back(self, hidden, permutation):
        return self.permute_hidden(hidden, permutation)

    def forward(self, input, hx=None):
        PackedSequence = _packed_sequence_cls()
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        batch_dim = 0 if self.batch_first else 1
        is_batched = True
        if isinstance(input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                batch = int(batch_sizes[0])
                hx = (self._zeros_state(input, batch, real_hidden_size),
                      self._zeros_state(input, batch, self.hidden_size))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D "
                                 "instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is None:
                batch = input.size(0) if self.batch_first else input.size(1)
                hx = (self._zeros_state(input, batch, real_hidden_size),
                      self._zeros_state(input, batch, self.hidden_size))
            else:
                if is_batched:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D "
                                           f"but got ({hx[0].dim()}-D, {hx[1].dim()}-D) "
                                           "tensors")
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx and cx should also be "
                                           f"2-D but got ({hx[0].dim()}-D, {hx[1].dim()}-D) "
                                           "tensors")
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, batch_sizes)
        output, h_n, c_n = self._run(input, hx[0], hx[1], batch_sizes)
        return self._finish(output, (h_n, c_n), batch_sizes, sorted_indices, unsorted_indices,
                            is_batched, batch_dim)


# ====================================================================== cells
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size),
                                                   **factory_kwargs))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size),
                                                   **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size,
                                                     **factory_kwargs))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size,
                                                     **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_cell(self, input, hxs):
        """The checks PyTorch's fused cell kernels make."""
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for k, h in enumerate(hxs):
            if input.size(0) != h.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} "
                                   f"batch size {h.size(0)}")
            if h.dim() != 2 or h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.size(1)}, "
                                   f"expected {self.hidden_size}")

    def _step(self, mode, input, h, c=None):
        """One time step through the fused layer Op (a sequence of length 1)."""
        steps = _Steps.padded(1, input.size(0))
        _, h1, c1 = RecurrentLayer.apply(input.unsqueeze(0), self.weight_ih, self.bias_ih, h, c,
                                         self.weight_hh, self.bias_hh, None, mode, steps,
                                         False, False)
        return h1, c1

    def _zeros(self, input):
        return _creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                               device=input.device)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D "
                             "instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_cell(input, (hx,))
        ret, _ = self._step(mode, input, hx)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = self._zeros(input)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_cell(input, hx)
        h, c = self._step("LSTM", input, hx[0], hx[1])
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D "
                             "instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        self._check_cell(input, (hx,))
        ret, _ = self._step("GRU", input, hx)
        return ret if is_batched else ret.squeeze(0)
