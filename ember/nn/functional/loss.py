"""Loss functions: the functional forms behind nn's loss modules.

The hot or numerically delicate losses are primitives (Ops): cross_entropy with class-index
targets (log-softmax and NLL in one pass; the gradient is `softmax - onehot`, scaled by the
weights, the label smoothing and the reduction), nll_loss, the pointwise regression losses
(mse, l1, smooth_l1, huber), binary_cross_entropy, binary_cross_entropy_with_logits and
ctc_loss (alpha-beta recursion in log space, vectorised over the batch). Their first
backward is itself an Op on raw arrays (no Tensor overhead); its own backward, the double
backward, is written in Tensor ops. ctc_loss is differentiable once, as in PyTorch.

Everything else composes ember ops, following PyTorch's own formulas (including the ones
that are not numerically ideal, such as soft_margin_loss's log1p(exp(.))) so values, NaNs
and infinities agree.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _make
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...autograd import grad_mode
from ...ops import pointwise as _pw, reduce as _red
from ...ops.index import where as _where
from ...ops._util import xp_of, _type_word, broadcast_error

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["l1_loss", "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "smooth_l1_loss", "huber_loss",
           "soft_margin_loss", "multilabel_soft_margin_loss", "multilabel_margin_loss",
           "multi_margin_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss"]

_enabled = grad_mode._enabled
_EPSILON = 1e-12      # PyTorch's EPSILON in Loss.cpp (bce backward, cosine_embedding_loss)


# ================================================================ reduction arguments
def _reduction_arg(reduction):
    """PyTorch's `_Reduction.get_enum`, as a validated string."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=4)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce):
    """The deprecated size_average/reduce pair mapped to a reduction, with PyTorch's warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=4)
    return ret


def _get_reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return _reduction_arg(reduction)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_raw(loss, reduction):
    if reduction == "none":
        return loss
    if loss.dtype == np.float16:      # accumulate half in float32, as PyTorch does
        r = loss.astype(np.float32)
        return (r.sum() if reduction == "sum" else r.mean()).astype(np.float16)
    if reduction == "sum":
        return loss.sum()
    if loss.size == 0:
        return xp_of(loss).asarray(np.nan, loss.dtype)
    return loss.sum() / loss.size       # what mean() does, minus NumPy's Python-level wrapper


def _nondiff(fn, arg, t):
    """PyTorch refuses a weight that requires grad for losses whose weight is not
    differentiable, even when nothing else needs a gradient."""
    if t is not None and t._requires_grad and _enabled[0]:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")


def _check_tensor(x, fn, name, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _shape_str(shape):
    return f"[{', '.join(map(str, shape))}]"


def _size_str(shape):
    return f"torch.Size({_shape_str(shape)})"


def _warn_size(input, target):
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({_size_str(target.shape)}) that is different to "
                      f"the input size ({_size_str(input.shape)}). This will likely lead to "
                      f"incorrect results due to broadcasting. Please ensure they have the same "
                      f"size.", stacklevel=3)


def _float_compute(a):
    """Half inputs are computed in float32 (as PyTorch's CPU kernels accumulate)."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


# ================================================================ regression losses
def _clip(a, lo, hi, out=None):
    """np.clip with both bounds: NumPy's fast path (a one-sided bound, np.maximum or
    np.minimum take a NaN-aware loop several times slower); NaN stays NaN."""
    return xp_of(a).clip(a, lo, hi, out=out)


class _Regression(Op):
    """mse / l1 / smooth_l1 / huber on (broadcast) input and target in one pass."""

    @staticmethod
    def forward(ctx, x, y, kind, param, reduction):
        xp = xp_of(x)
        d = xp.asarray(x - y)       # 0-dim operands give a NumPy scalar
        if kind == "mse":
            loss = xp.square(d, out=d)
        elif kind == "l1":
            loss = xp.abs(d, out=d)
        else:
            # with z = min(|d|, p): z (|d| - z/2) is 0.5 d^2 below p and p (|d| - p/2) above,
            # without a (slow, branchy) np.where
            ad = xp.abs(d, out=d)
            z = _clip(ad, 0, param)
            loss = z * (ad - 0.5 * z)
            if kind == "smooth_l1":
                loss /= param
        ctx.kind, ctx.param, ctx.reduction, ctx.n = kind, param, reduction, d.size
        ctx._name = _REGRESSION_NAMES[kind](reduction)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, y)
        return _reduce_raw(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = _RegressionBackward.apply(g, x, y, ctx.kind, ctx.param, ctx.reduction, ctx.n)
        needs = ctx.needs_input_grad
        return (gx if needs[0] else None), (-gx if needs[1] else None), None, None, None


class _RegressionBackward(Op):
    """g * f'(x - y) (scaled by 1/n for 'mean') in one pass; its own backward (the double
    backward) uses f'' in Tensor ops."""

    @staticmethod
    def forward(ctx, g, x, y, kind, p, reduction, n):
        xp = xp_of(x)
        ctx.kind, ctx.p, ctx.scale = kind, p, (1.0 / n if reduction == "mean" else 1.0)
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, y)
        sg = g * ctx.scale if reduction == "mean" else g
        d = xp.asarray(x - y)
        if kind == "mse":
            d *= 2 * sg
            return d
        if kind == "l1":
            out = xp.sign(d, out=d)
        else:
            out = _clip(d, -p, p, out=d)
            if kind == "smooth_l1":
                sg = sg / p
        out *= sg
        return out

    @staticmethod
    def backward(ctx, gg):
        g, x, y = ctx.saved_tensors
        kind, p, s = ctx.kind, ctx.p, ctx.scale
        d = x - y
        if kind == "mse":
            d1, d2 = d * 2, 2.0
        elif kind == "l1":
            d1, d2 = d.sign(), None
        else:
            inside = _make((xp_of(d._data).abs(d._data) < p).astype(d._data.dtype), d._device)
            d1 = d.clamp(-p, p)
            d2 = inside
            if kind == "smooth_l1":
                d1, d2 = d1 / p, inside / p
        needs = ctx.needs_input_grad
        gs = gg * s if s != 1.0 else gg
        grad_g = gs * d1 if needs[0] else None
        grad_x = None if d2 is None or not (needs[1] or needs[2]) else gs * g * d2
        return (grad_g, grad_x if needs[1] else None,
                (-grad_x if grad_x is not None and needs[2] else None), None, None, None, None)


_REGRESSION_NAMES = {
    "mse": lambda r: "MseLossBackward0",
    "l1": lambda r: {"none": "AbsBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"}[r],
    "smooth_l1": lambda r: "SmoothL1LossBackward0",
    "huber": lambda r: "HuberLossBackward0",
}


def _regression(kind, input, target, reduction, param=None, weight=None, weighted_mean="sum"):
    _check_tensor(input, kind + "_loss", "input", 1)
    _check_tensor(target, kind + "_loss", "target", 2)
    if input._data.shape != target._data.shape:
        _warn_size(input, target)
        err = broadcast_error((input, target))
        if err is not None:
            raise err
    rt = _dt.result_type(input, target)
    if not rt.is_floating_point:
        if kind == "l1":     # PyTorch composes abs and mean here, so mean() reports it
            return _reduce((input - target).abs(), reduction)
        raise NotImplementedError(f"\"{kind}_cpu\" not implemented for '{_type_word(rt)}'")
    if input.dtype is not rt:
        input = input.to(rt)
    if target.dtype is not rt:
        target = target.to(rt)
    if weight is None:
        return _Regression.apply(input, target, kind, param, reduction)
    # torch 2.13's weighted variants: elementwise loss times weight, then reduced
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = _Regression.apply(input, target, kind, param, "none") * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if weighted_mean == "sum":
        return loss.sum() / weight.sum()
    return loss.mean()


def _check_weighted_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                         f"'mean', 'sum'.")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("l1_loss", input, target, weight)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif weight is not None:
        _check_weighted_reduction(reduction)
    else:
        reduction = _reduction_arg(reduction)
    return _regression("l1", input, target, reduction, weight=weight)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("mse_loss", input, target, weight)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif weight is not None:
        _check_weighted_reduction(reduction)
    else:
        reduction = _reduction_arg(reduction)
    return _regression("mse", input, target, reduction, weight=weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if _amp_on[0]:
        input, target = _amp.maybe_cast("smooth_l1_loss", input, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _regression("l1", input, target, reduction)
    return _regression("smooth_l1", input, target, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("huber_loss", input, target, weight)
    if weight is not None:
        _check_weighted_reduction(reduction)
    else:
        reduction = _reduction_arg(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _regression("huber", input, target, reduction, float(delta), weight=weight,
                       weighted_mean="mean")


# ================================================================ class-index losses
# Shared by nll_loss and cross_entropy: inputs (C), (N, C) or (N, C, d1, ...) are viewed as
# rows (M, C) with the class axis last, so every reduction runs along contiguous memory.
def _to_rows(x):
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape(1, -1)
    xp = xp_of(x)
    return xp.ascontiguousarray(xp.moveaxis(x, 1, -1)).reshape(-1, x.shape[1])


def _from_rows(r, shape):
    if len(shape) == 2:
        return r
    if len(shape) == 1:
        return r.reshape(shape)
    xp = xp_of(r)
    return xp.moveaxis(r.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


def _rows_t(t):
    """Tensor-op version of `_to_rows` (for the double backward)."""
    if t.ndim == 2:
        return t
    if t.ndim == 1:
        return t.reshape(1, -1)
    return t.movedim(1, -1).reshape(-1, t.shape[1])


def _from_rows_t(r, shape):
    if len(shape) == 2:
        return r
    if len(shape) == 1:
        return r.reshape(shape)
    return r.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)).movedim(-1, 1)


def _check_class_args(input, target, weight, fn):
    """nll_loss_nd's checks; returns the output shape for reduction='none'."""
    xs, ts = input._data.shape, target._data.shape    # plain tuples: cheap on the hot path
    nd, tnd = len(xs), len(ts)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and xs[0] != (ts[0] if tnd else 0):
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target "
                         f"batch_size ({ts[0] if tnd else 0}).")
    C = xs[1] if nd > 1 else xs[0]
    if nd <= 2:
        if tnd > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 1 and tnd == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{ts[0]}")
        if weight is not None and (weight.ndim != 1 or weight.numel() != C):
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{_shape_str(weight.shape)}")
        out_shape = () if nd == 1 else (xs[0],)
    else:
        if nd == 4:
            if tnd != 3:
                raise RuntimeError("only batches of spatial targets supported (3D tensors) but "
                                   f"got targets of dimension: {tnd}")
            if ts[1:] != xs[2:]:
                raise RuntimeError(f"size mismatch (got input: {_shape_str(xs)} , "
                                   f"target: {_shape_str(ts)}")
        elif ts[1:] != xs[2:]:
            raise RuntimeError(f"Expected target size {_shape_str((xs[0],) + xs[2:])}, got "
                               f"{_shape_str(ts)}")
        if weight is not None and weight.numel() != C:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        out_shape = (xs[0],) + xs[2:]
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(input.dtype)} but found "
                           f"{_type_word(weight.dtype)}")
    if target._data.dtype.type not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_type_word(target.dtype)}")
    if input._data.dtype.kind != "f" and not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}\" not implemented for '{_type_word(input.dtype)}'")
    return out_shape


class _ClassTargets:
    """The flattened targets of a class-index loss: which rows count (`valid`, None when all
    do), safe indices for gathering (`idx`), per-row weights (`wt`, None when unweighted,
    zero on ignored rows) and the 'mean' denominator."""
    __slots__ = ("t", "idx", "rows", "valid", "wt", "w", "denom", "M", "C", "shape",
                 "out_shape", "reduction", "ignore_index")

    def __init__(self, x_shape, t, w, reduction, ignore_index, out_shape):
        xp = xp_of(t)
        C = x_shape[1] if len(x_shape) > 1 else x_shape[0]
        t = t.reshape(-1)
        if t.dtype != np.int64:
            t = t.astype(np.int64)
        M = t.shape[0]
        self.t, self.M, self.C, self.w = t, M, C, w
        self.shape, self.out_shape = tuple(x_shape), out_shape
        self.reduction, self.ignore_index = reduction, ignore_index
        self.rows = xp.arange(M)
        valid = None
        if M:
            lo, hi = int(t.min()), int(t.max())
            if lo < 0 or hi >= C or (0 <= ignore_index < C and lo <= ignore_index <= hi):
                valid = t != ignore_index
                bad = valid & ((t < 0) | (t >= C))
                if bool(bad.any()):
                    raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
                if bool(valid.all()):
                    valid = None
        self.valid = valid
        self.idx = t if valid is None else xp.where(valid, t, 0)
        wt = None
        if w is not None:
            wt = w[self.idx]
            if valid is not None:
                wt = xp.where(valid, wt, 0)
        self.wt = wt
        if wt is not None:
            self.denom = wt.sum()
        else:
            self.denom = M if valid is None else int(valid.sum())

    def row_scale(self, g, dtype):
        """The gradient's per-row factor: g (scalar or per row) / denom, zero on ignored rows."""
        xp = xp_of(g)
        if self.reduction == "none":
            c = g.reshape(-1)
        elif self.reduction == "mean":
            c = xp.asarray(g / self.denom if self.denom else np.nan, dtype)
        else:
            c = g
        if self.valid is not None:
            c = xp.where(self.valid, c, 0)
        return c

    def reduce(self, loss):
        """loss: per-row (M,), already zero on ignored rows."""
        if self.reduction == "none":
            return loss.reshape(self.out_shape)
        s = loss.sum()
        if self.reduction == "sum":
            return s
        return xp_of(loss).asarray(s / self.denom if self.denom else np.nan, loss.dtype)

    def row_scale_t(self, g):
        """Tensor-op `row_scale` (linear in g, for the double backward)."""
        if self.reduction == "none":
            c = g.reshape(-1)
        elif self.reduction == "mean":
            c = g / _make(xp_of(g._data).asarray(self.denom, g._data.dtype), g._device)
        else:
            c = g
        if self.valid is not None:
            c = c * _make(self.valid.astype(g._data.dtype), g._device)
        return c

    def sum_rows_t(self, v, g):
        """The adjoint of `row_scale_t`: per-row values v (M,) back to g's shape."""
        if self.valid is not None:
            v = v * _make(self.valid.astype(v._data.dtype), v._device)
        if self.reduction == "none":
            return v.reshape(g.shape)
        s = v.sum()
        if self.reduction == "mean":
            s = s / _make(xp_of(v._data).asarray(self.denom, v._data.dtype), v._device)
        return s


def _nll_name(input, reduction):
    nd = input.ndim
    if nd == 4 or (nd >= 3 and reduction != "none"):
        return "NllLoss2DBackward0"
    return "NllLossBackward0"


class _NLLLoss(Op):
    @staticmethod
    def forward(ctx, x, t, w, reduction, ignore_index, out_shape, name):
        ctx._name = name
        st = _ClassTargets(x.shape, t, w, reduction, ignore_index, out_shape)
        x2 = _to_rows(x)
        picked = x2[st.rows, st.idx]
        loss = -picked if st.wt is None else -(picked * st.wt)
        if st.valid is not None:
            loss = xp_of(x).where(st.valid, loss, 0)
        ctx.st = st
        return st.reduce(loss)

    @staticmethod
    def backward(ctx, g):
        return _NLLLossBackward.apply(g, ctx.st), None, None, None, None, None, None


class _NLLLossBackward(Op):
    """-g * w[t] scattered into the target positions; linear in g, constant in the input."""

    @staticmethod
    def forward(ctx, g, st):
        ctx.st = st
        xp = xp_of(g)
        dt = g.dtype
        c = st.row_scale(g, dt)
        if st.wt is not None:
            c = c * st.wt
        dx = xp.zeros((st.M, st.C), dt)
        dx[st.rows, st.idx] = -c
        return _from_rows(dx, st.shape)

    @staticmethod
    def backward(ctx, ggx):
        st = ctx.st
        w = None if st.w is None else _make(st.w, ggx._device)
        t = _make(st.t, ggx._device)
        gg = _NLLLoss.apply(ggx, t, w, st.reduction, st.ignore_index, st.out_shape,
                            "NllLossBackward0")
        return gg, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("nll_loss", input, target, weight)
    _check_tensor(input, "nll_loss_nd", "input", 1)
    _check_tensor(target, "nll_loss_nd", "target", 2)
    reduction = _get_reduction(size_average, reduce, reduction)
    out_shape = _check_class_args(input, target, weight, "nll_loss_forward_out_frame")
    _nondiff("nll_loss_forward", "weight", weight)
    return _NLLLoss.apply(input, target, weight, reduction, ignore_index, out_shape,
                          _nll_name(input, reduction))


class _CrossEntropy(Op):
    """log_softmax + nll (+ label smoothing) in one pass over the logits.

    Per row i with target t, weights w (all ones when None), smoothing e and C classes:
        loss_i = (1 - e) w_t (-lp_it) + (e / C) sum_c w_c (-lp_ic)
    = -sum_c q_ic lp_ic with q_i = (1 - e) w_t onehot(t) + (e / C) w, so
        d loss_i / d x_i = Q_i softmax(x_i) - q_i,   Q_i = sum_c q_ic.
    """

    @staticmethod
    def forward(ctx, x, t, w, reduction, ignore_index, ls, out_shape, name):
        ctx._name = name
        xp = xp_of(x)
        st = _ClassTargets(x.shape, t, w, reduction, ignore_index, out_shape)
        odt = x.dtype
        x2 = _float_compute(_to_rows(x))
        if w is not None:
            w = _float_compute(w)
        if st.M == 0:
            if ctx.needs_input_grad:
                ctx.e, ctx.s = xp.zeros((0, st.C), x2.dtype), xp.zeros(0, x2.dtype)
                ctx.st, ctx.ls = st, ls
                ctx.save_for_backward(x)
            return st.reduce(xp.zeros(0, odt))
        ones = xp.ones(st.C, x2.dtype)
        e, s, sh = _exp_rows(x2, ones)
        sh_t = sh[st.rows, st.idx]
        logs = xp.log(s)
        loss = logs - sh_t                            # -lp at the target
        if st.wt is not None:
            loss *= st.wt if st.wt.dtype == loss.dtype else st.wt.astype(loss.dtype)
        if ls > 0:     # sum_c w_c (-lp_c) = (sum_c w_c) log s - sum_c w_c sh_c
            wsum = st.C if w is None else w.sum()
            sw = sh @ (ones if w is None else w)
            loss = (1 - ls) * loss + (ls / st.C) * (logs * wsum - sw)
        if st.valid is not None:
            loss = xp.where(st.valid, loss, 0)
        if ctx.needs_input_grad:
            # softmax = e / s; the division is folded into the backward's scaling pass
            ctx.e, ctx.s, ctx.st, ctx.ls = e, s, st, ls
            ctx.save_for_backward(x)
        return st.reduce(loss.astype(odt, copy=False))

    @staticmethod
    def backward(ctx, g):
        # x only matters for a double backward; its saved copy is touched only then, so an
        # in-place change of the logits after the forward doesn't break a plain backward
        x = ctx.saved_tensors[0] if _enabled[0] else None
        # The exponentials become the gradient in place (no new logits-sized buffer) and are
        # dropped from the node; a second backward through a retained graph recomputes them.
        e, s = ctx.e, ctx.s
        ctx.e = ctx.s = None
        if e is None:
            x2 = _float_compute(_to_rows(ctx.saved_tensors[0]._data))
            e, s, _ = _exp_rows(x2, xp_of(x2).ones(x2.shape[1], x2.dtype))
        return (_CrossEntropyBackward.apply(g, x, e, s, ctx.st, ctx.ls),
                None, None, None, None, None, None, None)


def _exp_rows(x2, ones):
    """e = exp(x2 - shift), s = e.sum(1) and the shifted logits x2 - shift, per row.

    The shift is the usual row max, except that when the unshifted exponentials neither
    overflow nor underflow (ordinary logits) it is zero: that saves two passes over the
    logits (the max and the subtraction). s comes from a BLAS matvec, several times faster
    than a NumPy row sum."""
    xp = xp_of(x2)
    with np.errstate(over="ignore", invalid="ignore"):
        e = xp.exp(x2)
        s = e @ ones
    if _TINY_SUM.get(x2.dtype.type, 0) < s.min() and s.max() < np.inf:   # False for NaN
        return e, s, x2
    sh = x2 - x2.max(axis=1, keepdims=True)
    e = xp.exp(sh)
    return e, e @ ones, sh


# below this a row sum of exponentials has lost precision to underflow: shift instead
_TINY_SUM = {np.float32: 1e-29, np.float64: 1e-230}


def _ce_q(st, ls, xp, dtype):
    """Q (M,) and the smoothing row (C,) of the formula above; the onehot part is
    (1 - e) * wt at the target."""
    wt = st.wt
    if wt is None:
        wt_v = xp.ones(st.M, dtype) if st.valid is None else st.valid.astype(dtype)
    else:
        wt_v = wt.astype(dtype, copy=False)
    if ls <= 0:
        return wt_v, None, wt_v
    wrow = xp.ones(st.C, dtype) if st.w is None else st.w.astype(dtype, copy=False)
    Q = (1 - ls) * wt_v + (ls / st.C) * wrow.sum()
    return Q, (ls / st.C) * wrow, (1 - ls) * wt_v


class _CrossEntropyBackward(Op):
    _name = "NllLossBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, e, s, st, ls):
        ctx.st, ctx.ls = st, ls
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x)
        xp = xp_of(e)
        dt = e.dtype
        c = st.row_scale(g, dt)
        dx = e                                 # e is ours to overwrite (see above)
        if st.wt is None and ls <= 0:          # the common case: (softmax - onehot) * c
            dx *= (c / s)[:, None]
            dx[st.rows, st.idx] -= c
        else:
            Q, srow, hot = _ce_q(st, ls, xp, dt)
            cv = c if c.ndim else xp.full(st.M, c, dt)
            dx *= (cv * Q / s)[:, None]
            if srow is not None:
                dx -= cv[:, None] * srow
            dx[st.rows, st.idx] -= cv * hot
        return _from_rows(dx.astype(g.dtype, copy=False), st.shape)

    @staticmethod
    def backward(ctx, ggx):
        g, x = ctx.saved_tensors
        st, ls = ctx.st, ctx.ls
        dev = ggx._device
        xp = xp_of(ggx._data)
        dt = x._data.dtype
        x2 = _rows_t(x)
        gg2 = _rows_t(ggx)
        p = _LogSoftmax.apply(x2, 1).exp()
        Q, srow, hot = _ce_q(st, ls, xp, dt)
        q = xp.zeros((st.M, st.C), dt)
        if srow is not None:
            q += srow
        q[st.rows, st.idx] += hot
        Qt = _make(Q[:, None], dev)
        c = st.row_scale_t(g)
        needs = ctx.needs_input_grad
        gg = gx = None
        if needs[0]:
            d = Qt * p - _make(q, dev)
            gg = st.sum_rows_t((d * gg2).sum(1), g)
        if needs[1]:
            v = gg2 * Qt * (c.unsqueeze(1) if c.ndim else c)
            gx = _from_rows_t(p * (v - (p * v).sum(1, keepdim=True)), x.shape)
        return gg, gx, None, None, None, None


class _LogSoftmax(Op):
    """A private log_softmax (max-shifted) so the losses don't depend on F.log_softmax."""
    _name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        xp = xp_of(x)
        xc = _float_compute(x)
        sh = xc - xc.max(axis=dim, keepdims=True)
        out = sh - xp.log(xp.exp(sh).sum(axis=dim, keepdims=True))
        out = out.astype(x.dtype, copy=False)
        ctx.dim = dim
        if ctx.needs_input_grad:
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g - out.exp() * g.sum(ctx.dim, keepdim=True), None


def _log_softmax(x, dim):
    if x.numel() == 0:
        return x * 1
    return _LogSoftmax.apply(x, dim)


def _cross_entropy_probs(input, target, weight, reduction, ls):
    """Class-probability targets: PyTorch's composite (so the target is differentiable)."""
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"Expected floating point type for target with class "
                           f"probabilities, got {_type_word(target.dtype)}")
    cdim = 0 if input.ndim == 1 else 1
    C = input.shape[cdim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != C):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {C} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{_shape_str(weight.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError("\"log_softmax_lastdim_kernel_impl\" not implemented for "
                                  f"'{_type_word(input.dtype)}'")
    lp = _log_softmax(input, cdim)
    if ls > 0:
        if ls > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {ls}")
        target = target * (1 - ls) + ls / C
    prod = lp * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[cdim] = C
        prod = prod * weight.view(shape)
    if reduction == "none":
        return -prod.sum(cdim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    if input.numel() == 0:
        return total * float("nan")
    return total / (input.numel() // C)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("cross_entropy_loss", input, target, weight)
    _check_tensor(input, "cross_entropy_loss", "input", 1)
    _check_tensor(target, "cross_entropy_loss", "target", 2)
    reduction = _get_reduction(size_average, reduce, reduction)
    if input.shape == target.shape:
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    out_shape = _check_class_args(input, target, weight, "log_softmax_lastdim_kernel_impl")
    _nondiff("nll_loss_forward", "weight", weight)
    ls = float(label_smoothing) if label_smoothing > 0 else 0.0
    name = "AddBackward0" if ls > 0 else _nll_name(input, reduction)
    return _CrossEntropy.apply(input, target, weight, reduction, ignore_index, ls, out_shape,
                               name)


# ================================================================ binary cross entropy
class _BCE(Op):
    _name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, w, reduction):
        xp = xp_of(x)
        if not bool(((x >= 0) & (x <= 1)).all()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        with np.errstate(divide="ignore"):
            # PyTorch clamps both logs at -100 so that 0 * log(0) stays finite
            lx = _clip(xp.log(x), -100, np.inf)
            l1x = _clip(xp.log1p(-x), -100, np.inf)
        loss = (y - 1) * l1x
        loss -= y * lx
        if w is not None:
            loss *= w
        ctx.reduction, ctx.n = reduction, loss.size
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, y, w)
        return _reduce_raw(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w = ctx.saved_tensors
        scale = 1.0 / ctx.n if ctx.reduction == "mean" else 1.0
        needs = ctx.needs_input_grad
        gx = _BCEGradX.apply(g, x, y, w, scale) if needs[0] else None
        gy = None
        if needs[1]:        # PyTorch's target gradient: -logit(x), unclamped
            gy = g * scale * -x.logit()
            if w is not None:
                gy = gy * w
        return gx, gy, None, None


class _BCEGradX(Op):
    """g w (x - y) / max(x (1 - x), 1e-12), scaled; Tensor-op double backward."""

    @staticmethod
    def forward(ctx, g, x, y, w, scale):
        ctx.scale = scale
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, y, w)
        d = _clip((1 - x) * x, _EPSILON, np.inf)
        out = x - y
        out /= d
        if w is not None:
            out *= w
        out *= g * scale if scale != 1.0 else g
        return out

    @staticmethod
    def backward(ctx, gg):
        g, x, y, w = ctx.saved_tensors
        s = ctx.scale
        gg = gg * s if s != 1.0 else gg
        if w is not None:
            gg = gg * w
        raw = (1 - x._data) * x._data
        kept = _make((raw > _EPSILON).astype(raw.dtype), x._device)   # where the clamp is off
        d = ((1 - x) * x).clamp_min(_EPSILON)
        diff = x - y
        needs = ctx.needs_input_grad
        grad_g = gg * diff / d if needs[0] else None
        ggg = gg * g
        grad_x = ggg * (1 / d - diff * (1 - 2 * x) * kept / (d * d)) if needs[1] else None
        grad_y = -ggg / d if needs[2] else None
        return grad_g, grad_x, grad_y, None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("binary_cross_entropy", input, target, weight)
    _check_tensor(input, "binary_cross_entropy", "input", 1)
    _check_tensor(target, "binary_cross_entropy", "target", 2)
    reduction = _get_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({_size_str(target.shape)}) that is different "
                         f"to the input size ({_size_str(input.shape)}) is deprecated. Please "
                         f"ensure they have the same size.")
    if weight is not None:
        shape = np.broadcast_shapes(tuple(target.shape), tuple(weight.shape))
        if shape != tuple(input.shape):
            raise RuntimeError(f"output with shape {_shape_str(input.shape)} doesn't match the "
                               f"broadcast shape {_shape_str(shape)}")
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"Found dtype {_type_word(weight.dtype)} but expected "
                               f"{_type_word(input.dtype)}")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_type_word(target.dtype)} but expected "
                           f"{_type_word(input.dtype)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for "
                                  f"'{_type_word(input.dtype)}'")
    _nondiff("binary_cross_entropy", "weight", weight)
    return _BCE.apply(input, target, weight, reduction)


def _log_sigmoid_raw(x):
    """min(x, 0) - log1p(exp(-|x|)): no overflow for any x."""
    xp = xp_of(x)
    t = xp.asarray(xp.abs(x))       # (0-dim operands give NumPy scalars)
    xp.negative(t, out=t)
    xp.exp(t, out=t)
    xp.log1p(t, out=t)
    return _clip(x, -np.inf, 0) - t


def _log_sigmoid_t(x):
    return _LogSigmoid.apply(x)


class _LogSigmoid(Op):
    _name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad:
            ctx.save_for_backward(x)
        return _log_sigmoid_raw(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (-x).sigmoid()


class _BCEWithLogits(Op):
    """loss = (1 - y) x - (1 + (pw - 1) y) log_sigmoid(x), times w; stable for any x."""
    _name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, w, pw, reduction):
        ls = _log_sigmoid_raw(x)
        if pw is not None:
            ls = ls * ((pw - 1) * y + 1)
        loss = (1 - y) * x
        loss -= ls
        if w is not None:
            loss = loss * w
        ctx.reduction, ctx.n = reduction, loss.size
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, y, w, pw)
        return _reduce_raw(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w, pw = ctx.saved_tensors
        scale = 1.0 / ctx.n if ctx.reduction == "mean" else 1.0
        needs = ctx.needs_input_grad
        gx = _BCELogitsGradX.apply(g, x, y, w, pw, scale) if needs[0] else None
        gy = None
        if needs[1]:
            gs = g * scale
            if w is not None:
                gs = gs * w
            if pw is None:
                gy = gs * -x
            else:
                gy = gs * (_log_sigmoid_t(-x) - pw * _log_sigmoid_t(x))
        return gx, gy, None, None, None


def _sigmoid_raw(x):
    xp = xp_of(x)
    with np.errstate(over="ignore"):        # exp(-x) = inf gives exactly 0, the right limit
        t = xp.asarray(xp.exp(-x))
    t += 1
    return xp.reciprocal(t, out=t)


class _BCELogitsGradX(Op):
    """g w ((1 + (pw - 1) y) sigmoid(x) - pw y), scaled; Tensor-op double backward."""

    @staticmethod
    def forward(ctx, g, x, y, w, pw, scale):
        ctx.scale = scale
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, y, w, pw)
        sig = _sigmoid_raw(x)
        if pw is None:
            out = sig - y
        else:
            out = ((pw - 1) * y + 1) * sig
            out -= pw * y
        if w is not None:
            out *= w
        out *= g * scale if scale != 1.0 else g
        return out

    @staticmethod
    def backward(ctx, gg):
        g, x, y, w, pw = ctx.saved_tensors
        s = ctx.scale
        gg = gg * s if s != 1.0 else gg
        if w is not None:
            gg = gg * w
        sig = x.sigmoid()
        needs = ctx.needs_input_grad
        ggg = gg * g
        dsig = sig * (1 - sig)
        if pw is None:
            grad_g = gg * (sig - y) if needs[0] else None
            grad_x = ggg * dsig if needs[1] else None
            grad_y = -ggg if needs[2] else None
        else:
            lw = (pw - 1) * y + 1
            grad_g = gg * (lw * sig - pw * y) if needs[0] else None
            grad_x = ggg * lw * dsig if needs[1] else None
            grad_y = ggg * ((pw - 1) * sig - pw) if needs[2] else None
        return grad_g, grad_x, grad_y, None, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    if _amp_on[0]:
        input, target, weight, pos_weight = _amp.maybe_cast(
            "binary_cross_entropy_with_logits", input, target, weight, pos_weight)
    _check_tensor(input, "binary_cross_entropy_with_logits", "input", 1)
    _check_tensor(target, "binary_cross_entropy_with_logits", "target", 2)
    reduction = _get_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({_size_str(target.shape)}) must be the same as input "
                         f"size ({_size_str(input.shape)})")
    args = [a for a in (input, target, weight, pos_weight) if a is not None]
    err = broadcast_error(args)
    if err is not None:
        raise err
    rt = _dt.result_type(*args)
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {_type_word(rt)} can't be cast to the desired output "
                           f"type {_type_word(target.dtype)}")
    if not rt.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy_with_logits\" not implemented for "
                                  f"'{_type_word(rt)}'")
    _nondiff("binary_cross_entropy_with_logits", "weight", weight)
    _nondiff("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    input, target, weight, pos_weight = (a if a is None or a.dtype is rt else a.to(rt)
                                         for a in (input, target, weight, pos_weight))
    return _BCEWithLogits.apply(input, target, weight, pos_weight, reduction)


# ================================================================ composed losses
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if _amp_on[0]:
        input, target = _amp.maybe_cast("kl_div", input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        if reduction != "batchmean":
            reduction = _reduction_arg(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _pw.xlogy(target, target) - target * input
    if reduction == "batchmean":
        s = loss.sum()
        return s / input.shape[0] if input.ndim != 0 else s
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if _amp_on[0]:
        input, target = _amp.maybe_cast("soft_margin_loss", input, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    _nondiff("soft_margin_loss", "target", target)
    # PyTorch's formula as it is: log1p(exp(-y x)) overflows to inf for large margins
    return _reduce((-target * input).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * _log_sigmoid_t(input) + (1 - target) * _log_sigmoid_t(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    C = input.shape[class_dim]
    loss = loss.sum(dim=class_dim) / C
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def _check_vector_or_matrix(input):
    nd = input.ndim
    if not (nd <= 1 and input.numel() > 0 or nd == 2 and input.shape[1] != 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {_shape_str(input.shape)}")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if _amp_on[0]:
        input, target = _amp.maybe_cast("multilabel_margin_loss", input, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_vector_or_matrix(input)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {_shape_str(target.shape)} for input of "
                           f"size: {_shape_str(input.shape)}")
    if target.dtype is not _dt.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_word(target.dtype)}")
    C = input.shape[-1] if input.ndim else 1
    N = input.shape[0] if input.ndim == 2 else 1
    t = target._data.reshape(N, C)
    xp = xp_of(t)
    if t.size and (int(t.min()) < -1 or int(t.max()) >= C):
        raise RuntimeError("argument #2 'target' is out of range")
    # the targets of a row are the entries before its first -1
    valid = xp.cumprod(t != -1, axis=1).astype(bool)
    K = int(valid.sum(1).max()) if t.size else 0
    valid, tk = valid[:, :K], xp.where(valid, t, 0)[:, :K]
    is_target = xp.zeros((N, C), bool)
    rows = xp.broadcast_to(xp.arange(N)[:, None], (N, K))
    is_target[rows[valid], tk[valid]] = True
    x2 = input.reshape(N, C)
    xt = x2.gather(1, _make(tk, input._device))                       # (N, K)
    z = (1 - xt.unsqueeze(2) + x2.unsqueeze(1)).clamp_min(0)           # (N, K, C)
    mask = (valid[:, :, None] & ~is_target[:, None, :]).astype(input._data.dtype)
    loss = (z * _make(mask, input._device)).sum((1, 2)) / C
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    if _amp_on[0]:
        input, target, weight = _amp.maybe_cast("multi_margin_loss", input, target, weight)
    reduction = _get_reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    _check_vector_or_matrix(input)
    nd = input.ndim
    C = input.shape[-1] if nd else 1
    N = input.shape[0] if nd == 2 else 1
    if not (target.ndim <= 1 and target.numel() == N):
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           "the number of input samples (batch size). Expected target size "
                           f"[{N}], but got {_shape_str(target.shape)}. Input has shape "
                           f"{_shape_str(input.shape)}.")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got "
                           f"{_shape_str(weight.shape)}")
    if target.dtype is not _dt.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_word(target.dtype)}")
    t = target._data.reshape(N)
    xp = xp_of(t)
    if t.size and (int(t.min()) < 0 or int(t.max()) >= C):
        raise RuntimeError("target out of range")
    x2 = input.reshape(N, C)
    tt = _make(t[:, None], input._device)
    z = (margin - x2.gather(1, tt) + x2).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[_make(t, input._device)].unsqueeze(1)
    others = xp.ones((N, C), input._data.dtype)
    others[xp.arange(N), t] = 0                      # the target class doesn't count
    loss = (z * _make(others, input._device)).sum(1) / C
    if nd < 2:
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    if _amp_on[0]:
        input, target = _amp.maybe_cast("hinge_embedding_loss", input, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    zero = input.new_zeros(())
    margin_clamp = (margin - input).clamp_min(0)
    output_margin = _where(target != 1, margin_clamp, zero)
    output_self = _where(target != -1, input, zero)
    return _reduce(output_margin + output_self, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    if _amp_on[0]:
        input1, input2, target = _amp.maybe_cast("cosine_embedding_loss", input1, input2, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    td = target.ndim
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {_shape_str(input1.shape)} and {_shape_str(input2.shape)}.")
    if td == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {_shape_str(input1.shape)} and {_shape_str(input2.shape)}.")
    prod_sum = (input1 * input2).sum(td)
    mag_square1 = (input1 * input1).sum(td) + _EPSILON
    mag_square2 = (input2 * input2).sum(td) + _EPSILON
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zero = cos.new_zeros(())
    output_pos = _where(target == 1, 1 - cos, zero)
    output_neg = _where(target == -1, (cos - margin).clamp_min(0), zero)
    return _reduce(output_pos + output_neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    if _amp_on[0]:
        input1, input2, target = _amp.maybe_cast("margin_ranking_loss", input1, input2, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {_size_str(input1.shape)}, input2: "
                           f"{_size_str(input2.shape)}, target: {_size_str(target.shape)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    from .linear import pairwise_distance   # lazily: linear imports this module's siblings
    return pairwise_distance(x1, x2, p, eps, keepdim)


def _check_triplet_dims(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p == n):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    if _amp_on[0]:
        anchor, positive, negative = _amp.maybe_cast("triplet_margin_loss", anchor, positive,
                                                     negative)
    reduction = _get_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist_pos = _pairwise_distance(anchor, positive, p, eps)
    dist_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _pw.minimum(dist_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    if distance_function is None:
        distance_function = _pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = _pw.minimum(dist_neg, distance_function(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    if _amp_on[0]:
        input, target = _amp.maybe_cast("poisson_nll_loss", input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(input.shape)
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): argument 'var' must be Tensor or float, not "
                        f"{type(var).__name__}")
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass      # one broadcast dimension: homoscedastic along it
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    # clamped for stability without letting the clamp cut the gradient (as PyTorch does)
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ================================================================ CTC
def _lse(a, b, c):
    """log(exp(a) + exp(b) + exp(c)) elementwise, -inf where all three are -inf."""
    xp = xp_of(a)
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(xp.isneginf(m), 0, m)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


class _CTC(Op):
    """Per-sample CTC negative log likelihoods (T, N, C) -> (N,).

    The extended label sequence of sample n is blank, l1, blank, l2, ..., blank (length
    2 S_n + 1), padded to the longest. alpha_t(s) runs forward over time for every sample at
    once; a sample's alphas freeze once t reaches its input length, so the final alphas hold
    each sample's own last step.
    """
    _name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, lp, targets, il, tl, blank, zero_infinity):
        xp = xp_of(lp)
        T, N, C = lp.shape
        dt = lp.dtype
        S = int(tl.max()) if N else 0
        L = 2 * S + 1
        ext = xp.full((N, L), blank, np.int64)
        ext[:, 1::2] = targets[:, :S]
        skip = xp.zeros((N, L), bool)      # s-2 -> s allowed: a label differing from s-2's
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        n_idx = xp.arange(N)
        lpe = lp[:, n_idx[:, None], ext]                       # (T, N, L)
        ninf = -np.inf
        alphas = xp.full((T, N, L), ninf, dt)
        la = alphas[0] if T else xp.full((N, L), ninf, dt)
        if T:
            la[:, 0] = lpe[0, :, 0]
            if L > 1:
                la[:, 1] = lpe[0, :, 1]
        a2 = xp.full((N, L), ninf, dt)
        a3 = xp.full((N, L), ninf, dt)
        for t in range(1, T):
            a2[:, 1:] = la[:, :-1]
            a3[:, 2:] = xp.where(skip[:, 2:], la[:, :-2], ninf)
            new = _lse(la, a2, a3) + lpe[t]
            la = xp.where((t < il)[:, None], new, la)
            alphas[t] = la
        end = 2 * tl
        last = la[n_idx, end]
        prev = xp.where(tl > 0, la[n_idx, xp.maximum(end - 1, 0)], ninf)
        nll = -xp.logaddexp(last, prev)
        nll = xp.where(il == 0, xp.where(tl == 0, -0.0, np.inf), nll).astype(dt)
        if ctx.needs_input_grad:
            ctx.st = (lpe, alphas, ext, skip, il, tl, blank, zero_infinity)
            ctx.save_for_backward(lp, nll)
        return nll

    @staticmethod
    def backward(ctx, g):
        lp, nll = ctx.saved_tensors
        return _CTCBackward.apply(g, lp, nll, ctx.st), None, None, None, None, None


class _CTCBackward(Op):
    """PyTorch's CTC gradient: exp(lp) - exp(log(sum_s alpha beta [l'_s = c]) + nll - lp),
    zero past each input length (and for infinite losses under zero_infinity)."""

    @staticmethod
    def forward(ctx, g, lp, nll, st):
        lpe, alphas, ext, skip, il, tl, blank, zero_infinity = st
        xp = xp_of(lp)
        T, N, C = lp.shape
        L = ext.shape[1]
        dt = lp.dtype
        ninf = -np.inf
        n_idx = xp.arange(N)
        end = 2 * tl
        skip_up = xp.zeros((N, L), bool)   # s+2 -> s allowed (the skip seen from below)
        skip_up[:, :-2] = skip[:, 2:]
        betas = xp.full((T, N, L), ninf, dt)
        lb = xp.full((N, L), ninf, dt)
        b2 = xp.full((N, L), ninf, dt)
        b3 = xp.full((N, L), ninf, dt)
        for t in range(T - 1, -1, -1):
            b2[:, :-1] = lb[:, 1:]
            b3[:, :-2] = xp.where(skip_up[:, :-2], lb[:, 2:], ninf)
            rec = _lse(lb, b2, b3) + lpe[t]
            lb = xp.where((t < il - 1)[:, None], rec, ninf)
            start = xp.nonzero(il - 1 == t)[0]          # samples whose last step is t
            if start.size:
                e = end[start]
                lb[start, e] = lpe[t, start, e]
                has = tl[start] > 0
                s1, e1 = start[has], e[has] - 1
                lb[s1, e1] = lpe[t, s1, e1]
            betas[t] = lb
        ab = alphas + betas
        m = ab.max(axis=2, keepdims=True) if L else xp.zeros((T, N, 1), dt)
        m = xp.where(xp.isneginf(m), 0, m)
        acc = xp.zeros((T, N, C), dt)
        # sum alpha*beta over the positions s that carry each label c (repeats accumulate)
        idx = (n_idx[:, None] * C + ext).reshape(-1)
        acc2 = acc.reshape(T, N * C)
        _add_at(acc2, idx, xp.exp(ab - m).reshape(T, N * L))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lcab = xp.log(acc) + m
            grad = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        keep = xp.arange(T)[:, None] < il[None, :]
        if zero_infinity:
            keep = keep & ~xp.isinf(nll)[None, :]
        grad = xp.where(keep[:, :, None], grad, 0)
        return (grad * g[None, :, None]).astype(dt, copy=False)

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


def _add_at(acc2, idx, vals):
    """acc2[:, idx] += vals with repeated indices accumulating."""
    xp = xp_of(acc2)
    if xp is np:
        np.add.at(acc2, (slice(None), idx), vals)
    else:   # pragma: no cover - CuPy
        xp.add.at(acc2, (slice(None), idx), vals)


def _lengths(x, name):
    if isinstance(x, Tensor):
        if not (x.dtype.is_floating_point is False and x.dtype is not _dt.bool
                and not x.dtype.is_complex):
            raise RuntimeError(f"{name} must be integral")
        return np.asarray(x._data if x._device.type == "cpu" else x.cpu()._data,
                          np.int64).reshape(-1)
    if isinstance(x, (list, tuple)):
        return np.asarray([int(v) for v in x], np.int64)
    raise TypeError(f"ctc_loss(): argument '{name}' must be tuple of ints or Tensor, not "
                    f"{type(x).__name__}")


def _ctc_check(msg):
    return RuntimeError(msg + " (while checking arguments for ctc_loss_allocate_outputs)")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    if _amp_on[0]:
        log_probs, targets = _amp.maybe_cast("ctc_loss", log_probs, targets)
    reduction = _reduction_arg(reduction)
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if not lp.dtype.is_floating_point:
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for "
                                  f"'{_type_word(lp.dtype)}'")
    T, N, C = lp.shape
    if not (0 <= blank < C):
        raise RuntimeError("blank must be in label range")
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    tg = targets._data
    if tg.ndim not in (1, 2):
        raise _ctc_check(f"Expected 1 to 2 dimensions, but got {tg.ndim}-dimensional tensor for "
                         f"argument #2 'targets'")
    tg = np.asarray(tg if targets._device.type == "cpu" else targets.cpu()._data)
    tg = tg.astype(np.int64) if tg.dtype != np.int64 else tg
    for lens, name in ((il, "input_lengths"), (tl, "target_lengths")):
        if lens.size and lens.min() < 0:
            raise _ctc_check(f"Expected {name} to have value at least 0, but got value "
                             f"{int(lens.min())}")
    if il.size and il.max() > T:
        raise _ctc_check(f"Expected input_lengths to have value at most {T}, but got value "
                         f"{int(il.max())}")
    S = int(tl.max()) if N else 0
    if tg.ndim == 1:           # concatenated targets
        total = int(tl.sum())
        if tg.shape[0] != total:
            raise _ctc_check(f"Expected tensor to have size {total} at dimension 0, but got "
                             f"size {tg.shape[0]} for argument #2 'targets'")
        start = np.cumsum(tl) - tl
        pos = np.arange(S)[None, :]
        inside = pos < tl[:, None]
        padded = np.where(inside, tg[np.where(inside, start[:, None] + pos, 0)]
                          if tg.size else 0, blank)
    else:
        if tg.shape[0] != N:
            raise _ctc_check(f"Expected tensor to have size {N} at dimension 0, but got size "
                             f"{tg.shape[0]} for argument #2 'targets'")
        if tg.shape[1] < S:
            raise _ctc_check(f"Expected tensor to have size at least {S} at dimension 1, but "
                             f"got size {tg.shape[1]} for argument #2 'targets'")
        pos = np.arange(S)[None, :]
        padded = np.where(pos < tl[:, None], tg[:, :S], blank)
    if padded.size and (padded.min() < 0 or padded.max() >= C):
        # PyTorch reads out of bounds here (undefined); ember refuses
        raise IndexError(f"ctc_loss: target label out of range [0, {C})")
    xp = xp_of(lp._data)
    if xp is not np:   # pragma: no cover - CuPy
        padded, il_d, tl_d = xp.asarray(padded), xp.asarray(il), xp.asarray(tl)
    else:
        il_d, tl_d = il, tl
    res = _CTC.apply(lp, padded, il_d, tl_d, int(blank), bool(zero_infinity))
    if zero_infinity:
        res = _where(res == float("inf"), res.new_zeros(()), res)
    if reduction == "mean":
        tlt = _make(xp.asarray(np.maximum(tl, 1), res._data.dtype), res._device)
        return (res / tlt).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
