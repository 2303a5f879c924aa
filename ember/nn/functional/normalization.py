"""nn.functional: normalization (batch, instance, layer, group, RMS, local response).

batch_norm, layer_norm and group_norm are fused primitives: forward and the first-order
backward run on raw arrays (a handful of passes over the data, no float64 temporaries).
Each first-order backward is itself an Op, so it is fast and still differentiable: its own
backward (second order) re-expresses the forward in Tensor ops and differentiates that twice
(`_double_backward`). The limit: third-order gradients with respect to the input are not
tracked through that recomputation (grad-of-grad-of-grad w.r.t. the incoming gradients is).
instance_norm, rms_norm and local_response_norm are compositions.
"""
import builtins
import numbers

import numpy as np

from ... import dtypes as _dt
from ...tensor import Size, _make
from ...autograd import grad_mode
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...ops._util import xp_of, wrap_dim, _type_word

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]

# ---------------------------------------------------------------------------- shared helpers
def _compute_dtype(a):
    """Statistics of half-precision data are accumulated in float32, as PyTorch's opmath."""
    return a.dtype if a.dtype in (np.float32, np.float64) else np.float32


def _check_float(input, kernel):
    dt = input.dtype
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dt)}\'')


def _check_param_dtypes(input, *params):
    """PyTorch's CPU rule: parameters share the input's dtype, except that a reduced-precision
    input may come with float32 parameters."""
    dt = input.dtype
    for p in params:
        if p is None or p.dtype is dt:
            continue
        if dt in (_dt.float16, _dt.bfloat16) and p.dtype is _dt.float32:
            continue
        if dt is _dt.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _double_backward(composed, primals, g, grad_grads):
    """Second-order gradients of a fused normalization.

    `composed(*primals)` is the forward written in Tensor ops. The first-order gradients of
    it (w.r.t. the primals, given the output gradient `g`) are rebuilt with create_graph and
    differentiated again against `grad_grads` (one per primal, None where unused). Returns
    gradients for (g, *primals). The recomputation starts from detached copies, so these
    results are connected to the outer graph only through `grad_grads`.
    """
    from ... import autograd
    create = grad_mode.is_grad_enabled()
    with grad_mode.enable_grad():
        gd = g.detach().requires_grad_(True)
        ps = [None if p is None else p.detach().requires_grad_(True) for p in primals]
        live = [i for i, p in enumerate(ps) if p is not None]
        y = composed(*ps)
        firsts = autograd.grad(y, [ps[i] for i in live], gd, create_graph=True,
                               allow_unused=True)
        outs, gos = [], []
        for i, f in zip(live, firsts):
            gg = grad_grads[i]
            if f is not None and gg is not None and f.requires_grad:
                outs.append(f)
                gos.append(gg)
        result = [None] * (1 + len(primals))
        if not outs:
            return tuple(result)
        wrt = [gd] + [ps[i] for i in live]
        res = autograd.grad(outs, wrt, gos, allow_unused=True, create_graph=create)
    result[0] = res[0]
    for k, i in enumerate(live):
        result[1 + i] = res[1 + k]
    return tuple(result)


# NumPy makes one pass over memory per ufunc call. Running a kernel's several passes on
# cache-sized blocks of rows (or samples) makes every pass after the first hit the cache;
# measured about 2x faster than whole-array passes for layer_norm's backward.
_BLOCK_BYTES = 1 << 20


def _blocks(n, unit_bytes, xp):
    if xp is not np:
        return (slice(0, n),)
    step = builtins.max(1, _BLOCK_BYTES // builtins.max(unit_bytes, 1))
    return tuple(slice(i, builtins.min(i + step, n)) for i in range(0, n, step))


def _result(xp, shape, dtype, view_shape):
    """A fresh result array of `shape` and a view of it as `view_shape` to compute into.
    The array itself (not a view) is returned from the op, so the engine can hand it to a
    leaf's .grad without copying."""
    a = xp.empty(shape, dtype)
    return a, a.reshape(view_shape)


def _scratch(blocks, rest, dtype, xp):
    """One work buffer for the largest block, reused (and cache-hot) across blocks."""
    n = builtins.max(b.stop - b.start for b in blocks) if blocks else 0
    return xp.empty((n,) + tuple(rest), dtype)


def _rowdot(a, b):
    """sum(a * b) over the last axis (b may broadcast). NumPy's vecdot is several times
    faster than a.sum(-1) or einsum for this, except on short rows (it pays per row)."""
    xp = xp_of(a)
    vecdot = getattr(xp, "vecdot", None)
    if vecdot is None or a.shape[-1] < 16:
        return xp.einsum("...d,...d->...", a, b)
    return vecdot(a, b)


def _rowsum(a):
    xp = xp_of(a)
    if a.shape[-1] < 16:
        return xp.einsum("...d->...", a)
    return _rowdot(a, xp.ones(a.shape[-1], a.dtype))


def _channel_sum(a3, wide=False):
    """(n, c, l) -> per-channel sums (c,). Contiguous data: two BLAS matrix-vector products
    (over the samples, then over each channel's row), 1.5-3x faster than NumPy's sum.
    `wide`: the second, small (c, l) stage is summed in float64 and the float64 sums are
    returned (PyTorch accumulates batch statistics in double; this keeps the mean within
    rounding of its)."""
    n, c, l = a3.shape
    if a3.flags.c_contiguous and a3.dtype.kind == "f":
        xp = xp_of(a3)
        part = (xp.ones(n, a3.dtype) @ a3.reshape(n, c * l)).reshape(c, l)
        if wide and a3.dtype.itemsize < 8:
            return part.astype(np.float64) @ xp.ones(l, np.float64)
        return part @ xp.ones(l, a3.dtype)
    if l < 16:    # vecdot pays per row; short rows go through one reduction
        return a3.sum((0, 2))
    return _rowsum(a3).sum(0)


def _channel_dot(a3, b3):
    """(n, c, l) x (n, c, l) -> per-channel sums of a * b (c,)."""
    if a3.shape[2] < 16:
        return xp_of(a3).einsum("ncl,ncl->c", a3, b3)
    return _rowdot(a3, b3).sum(0)


def _row_stats(xb, mb, rb, eps, centred):
    """Mean and 1/std of each row of the block `xb` into mb, rb; `centred` receives
    xb - mean."""
    xp = xp_of(xb)
    k = xb.shape[1]
    mb[:, 0] = _rowsum(xb)
    mb /= k
    xp.subtract(xb, mb, out=centred)
    var = _rowdot(centred, centred)[:, None]
    var /= k
    var += eps
    rb[...] = 1 / xp.sqrt(var)


def _rows_forward(xb, ob, mb, rb, eps):
    """Normalise each row of the block `xb` into `ob`; its mean and 1/std into mb, rb."""
    _row_stats(xb, mb, rb, eps, ob)
    ob *= rb


def _rows_dx(gxb, xb, mb, rb, db, ds, tmp):
    """dx of row normalisation in place of gxb (which holds dy*w on entry), PyTorch's CPU
    formula: dx = rstd*dy*w + b*x + c with b = (db*mean - ds)*rstd**3/k and
    c = -b*mean - db*rstd/k, where db = sum(dy*w) and ds = sum(dy*w*x) over the row."""
    k = xb.shape[1]
    bc = (db[:, None] * mb - ds[:, None]) * (rb * rb * rb) / k
    cc = -bc * mb - db[:, None] * rb / k
    gxb *= rb
    xp_of(xb).multiply(xb, bc, out=tmp)
    gxb += tmp
    gxb += cc


# ---------------------------------------------------------------------------- batch norm
def _bn_composed(eps, mean=None, invstd=None):
    """Batch norm in Tensor ops (used only for double backward): batch statistics, or the
    given constant running statistics (eval mode)."""
    def f(x, w, b):
        nd = x.ndim
        dims = (0,) + tuple(range(2, nd))
        bshape = (1, x.shape[1]) + (1,) * (nd - 2)
        if mean is None:
            m = x.mean(dims, keepdim=True)
            xc = x - m
            y = xc * ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
        else:
            y = (x - _make(mean.reshape(bshape), x._device)) * _make(invstd.reshape(bshape),
                                                                     x._device)
        if w is not None:
            y = y * w.reshape(bshape)
        if b is not None:
            y = y + b.reshape(bshape)
        return y
    return f


def _spread(v, l, xp):
    """Per-channel coefficients (c,) as a contiguous (c, l) block. NumPy applies a (c, l)
    operand to (n, c, l) data with one long contiguous inner loop per sample, where a (c, 1)
    operand costs an inner loop per row (measured 1.3-1.7x slower per pass)."""
    return v[:, None] if l == 1 else v.repeat(l).reshape(-1, l)


class NativeBatchNorm(Op):
    """Batch norm over dim 1. Training: batch statistics, and the running buffers (raw
    arrays here) are updated in place. Eval: the running statistics.

    Training takes three passes over x, with the centred x held in the result buffer (no
    other temporary): the per-channel sum, x - mean, and the sum of squares of that (the
    two-pass variance, stable where E[x^2] - E[x]^2 is not); then two in-place passes make
    the output (x - mean) * (invstd * w) + b. Eval: x * (invstd * w) + (b - mean * invstd * w)
    as PyTorch's CPU kernel computes it. Backward: NativeBatchNormBackward below."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        ct = _compute_dtype(x)
        x3 = x.reshape(n, c, -1).astype(ct, copy=False)
        l = x3.shape[2]
        res, out = _result(xp, shape, ct, x3.shape)
        if training:
            m = n * l
            mean = (_channel_sum(x3, wide=True) / m).astype(ct, copy=False)
            xp.subtract(x3, _spread(mean, l, xp), out=out)
            var = _channel_dot(out, out) / m
            invstd = 1 / xp.sqrt(var + eps)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    unbiased = var * (m / (m - 1)) if m > 1 else var * (xp.inf if m else xp.nan)
                running_var *= 1 - momentum
                running_var += (momentum * unbiased).astype(running_var.dtype, copy=False)
        else:
            # a copy: a later training step updates the buffer in place
            mean = running_mean.astype(ct, copy=True)
            invstd = 1 / xp.sqrt(running_var.astype(ct, copy=False) + eps)
        scale = invstd if weight is None else invstd * weight
        if training:
            # out holds x - mean: scale it in place (no second read of x, and no
            # cancellation between x * scale and mean * scale)
            out *= _spread(scale, l, xp)
            if bias is not None:
                out += _spread(bias.astype(ct, copy=False), l, xp)
        else:
            shift = -mean * scale
            if bias is not None:
                shift += bias
            xp.multiply(x3, _spread(scale, l, xp), out=out)
            out += _spread(shift, l, xp)
        if ctx.needs_input_grad:
            ctx.mean, ctx.invstd, ctx.eps, ctx.training = mean, invstd, eps, training
            ctx.save_for_backward(x, weight, bias)
        return res.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        gx, gw, gb = NativeBatchNormBackward.apply(g, x, w, b, ctx.mean, ctx.invstd, ctx.eps,
                                                   ctx.training, ctx.needs_input_grad[:3])
        return gx, gw, gb, None, None


class NativeBatchNormBackward(Op):
    """First-order batch norm backward on raw arrays; its own backward goes through
    `_double_backward`. With xc = x - mean (held in the result buffer, which then becomes
    dx in place) and PyTorch's CPU formula in training:
        dx = (dy - mean(dy) - xc * invstd**2 * mean(dy * xc)) * invstd * w
    dw = sum(dy * xc) * invstd, db = sum(dy); in eval dx = dy * invstd * w."""

    @staticmethod
    def forward(ctx, g, x, weight, bias, mean, invstd, eps, training, needs):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        ct = _compute_dtype(x)
        x3 = x.reshape(n, c, -1).astype(ct, copy=False)
        g3 = g.reshape(n, c, -1).astype(ct, copy=False)
        l = x3.shape[2]
        m = n * l
        need_x = needs[0]
        need_w = len(needs) > 1 and needs[1] and weight is not None
        need_b = len(needs) > 2 and needs[2] and bias is not None
        sum_g = _channel_sum(g3) if training and need_x or need_b else None
        res = buf = dotp = None
        if training and need_x or need_w:
            res, buf = _result(xp, shape, ct, x3.shape)
            xp.subtract(x3, _spread(mean, l, xp), out=buf)
            dotp = _channel_dot(g3, buf)
        gx = gw = gb = None
        if need_x:
            k1 = invstd if weight is None else invstd * weight
            if res is None:
                res, buf = _result(xp, shape, ct, x3.shape)
            if training:
                buf *= _spread(dotp * invstd * invstd / m, l, xp)
                xp.subtract(g3, buf, out=buf)
                buf -= _spread(sum_g / m, l, xp)
                buf *= _spread(k1, l, xp)
            else:
                xp.multiply(g3, _spread(k1, l, xp), out=buf)
            gx = res.astype(x.dtype, copy=False)
        if need_w:
            gw = (dotp * invstd).astype(weight.dtype, copy=False)
        if need_b:
            gb = sum_g.astype(bias.dtype, copy=False)
        if ctx.needs_input_grad:
            ctx.stats = None if training else (mean, invstd)
            ctx.eps = eps
            ctx.save_for_backward(g, x, weight, bias)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        g, x, w, b = ctx.saved_tensors
        composed = _bn_composed(ctx.eps, *(ctx.stats or ()))
        return _double_backward(composed, (x, w, b), g, (ggx, ggw, ggb))


def _verify_batch_size(size):
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{Size(size)}")


def _check_features(name, expected, t):
    if t is not None and t.numel() != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over dim 1 (see torch.nn.functional.batch_norm)."""
    if training:
        _verify_batch_size(tuple(input.shape))
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    if input.ndim < 2:
        if running_mean is None and running_var is None and weight is None and bias is None:
            wrap_dim(1, input.ndim)
        c = 0
    else:
        c = input.shape[1]
    _check_features("running_mean", c, running_mean)
    if running_mean is None and not training:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    _check_features("running_var", c, running_var)
    if running_var is None and not training:
        raise RuntimeError("running_var must be defined in evaluation mode")
    _check_features("weight", c, weight)
    _check_features("bias", c, bias)
    _check_float(input, "batch_norm")
    _check_param_dtypes(input, weight, bias, running_mean, running_var)
    if input.numel() == 0:
        # Nothing to normalise; the result still depends on the parameters, as PyTorch's.
        out = input * 1 if weight is None else input * weight.reshape(
            (1, c) + (1,) * (input.ndim - 2))
        return out if bias is None else out + bias.reshape((1, c) + (1,) * (input.ndim - 2))
    out = NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training),
                                momentum, eps)
    if training:
        for buf in (running_mean, running_var):
            if buf is not None:
                buf._vc[0] += 1
    return out


# ---------------------------------------------------------------------------- instance norm
def _verify_spatial_size(size):
    prod = 1
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{Size(size)}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Per-sample, per-channel normalisation: batch norm of the input viewed as one sample
    with N*C channels; the running statistics (if given) get the batch mean of the update."""
    if use_input_stats:
        _verify_spatial_size(tuple(input.shape))
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    shape = tuple(input.shape)
    n, c = shape[0], shape[1]
    x = input.reshape((1, n * c) + shape[2:])
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    out = _batch_norm(x, rm, rv, None, None, use_input_stats, momentum, eps).view(shape)
    if use_input_stats:
        with grad_mode.no_grad():
            if running_mean is not None:
                running_mean.copy_(rm.view(n, c).mean(0))
            if running_var is not None:
                running_var.copy_(rv.view(n, c).mean(0))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    if weight is not None:
        _check_features("weight", c, weight)
        out = out * weight.reshape(bshape)
    if bias is not None:
        _check_features("bias", c, bias)
        out = out + bias.reshape(bshape)
    return out


# ---------------------------------------------------------------------------- layer norm
def _ln_composed(nd, eps):
    def f(x, w, b):
        dims = tuple(range(x.ndim - nd, x.ndim))
        mean = x.mean(dims, keepdim=True)
        xc = x - mean
        y = xc * ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y
    return f


class NativeLayerNorm(Op):
    @staticmethod
    def forward(ctx, x, weight, bias, nd, eps):
        xp = xp_of(x)
        shape = x.shape
        ct = _compute_dtype(x)
        x2 = x.reshape(-1, _prod(shape[len(shape) - nd:])).astype(ct, copy=False)
        r, k = x2.shape
        res, out = _result(xp, shape, ct, (r, k))
        mean = xp.empty((r, 1), ct)
        rstd = xp.empty((r, 1), ct)
        w = None if weight is None else weight.reshape(-1)
        b = None if bias is None else bias.reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            for s in _blocks(r, k * x2.itemsize, xp):
                o = out[s]
                _rows_forward(x2[s], o, mean[s], rstd[s], eps)
                if w is not None:
                    o *= w
                if b is not None:
                    o += b
        if ctx.needs_input_grad:
            ctx.mean, ctx.rstd, ctx.nd, ctx.eps = mean, rstd, nd, eps
            ctx.save_for_backward(x, weight, bias)
        return res.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        gx, gw, gb = NativeLayerNormBackward.apply(g, x, w, b, ctx.mean, ctx.rstd, ctx.nd,
                                                   ctx.eps, ctx.needs_input_grad[:3])
        return gx, gw, gb


class NativeLayerNormBackward(Op):
    @staticmethod
    def forward(ctx, g, x, weight, bias, mean, rstd, nd, eps, needs):
        xp = xp_of(x)
        shape = x.shape
        ct = _compute_dtype(x)
        k = _prod(shape[len(shape) - nd:])
        x2 = x.reshape(-1, k).astype(ct, copy=False)
        g2 = g.reshape(-1, k).astype(ct, copy=False)
        r = x2.shape[0]
        w = None if weight is None else weight.reshape(-1).astype(ct, copy=False)
        need_x = needs[0]
        need_w = len(needs) > 1 and needs[1] and weight is not None
        res, gx = _result(xp, shape, ct, (r, k)) if need_x else (None, None)
        gw = xp.zeros(k, ct) if need_w else None
        blocks = _blocks(r, k * x2.itemsize, xp)
        buf = _scratch(blocks, (k,), ct, xp)
        for s in blocks:
            gb_, xb, mb, rb = g2[s], x2[s], mean[s], rstd[s]
            p = buf[:s.stop - s.start]
            xp.multiply(gb_, xb, out=p)
            if need_w:
                # sum over rows of dy * (x - mean) * rstd, as two matrix-vector products
                r1 = rb[:, 0]
                gw += r1 @ p
                gw -= (mb[:, 0] * r1) @ gb_
            if need_x:
                db = _rowdot(gb_, w) if w is not None else _rowsum(gb_)
                ds = _rowdot(p, w) if w is not None else _rowsum(p)
                gxb = gx[s]
                if w is not None:
                    xp.multiply(gb_, w, out=gxb)
                else:
                    gxb[...] = gb_
                _rows_dx(gxb, xb, mb, rb, db, ds, p)
        if gx is not None:
            gx = res.astype(x.dtype, copy=False)
        if gw is not None:
            gw = gw.reshape(weight.shape).astype(weight.dtype, copy=False)
        gb = None
        if len(needs) > 2 and needs[2] and bias is not None:
            gb = g2.sum(0).reshape(bias.shape).astype(bias.dtype, copy=False)
        ctx.nd, ctx.eps = nd, eps
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, weight, bias)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        g, x, w, b = ctx.saved_tensors
        return _double_backward(_ln_composed(ctx.nd, ctx.eps), (x, w, b), g, (ggx, ggw, ggb))


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _normalized_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _check_normalized(input, ns, weight, bias, star):
    if len(ns) == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {_shape_str(p.shape)} and "
                               f"normalized_shape = {_shape_str(ns)}")
    shape = tuple(input.shape)
    if len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        expected = "[*" + star + ", ".join(map(str, ns)) + "]"
        raise RuntimeError(f"Given normalized_shape={_shape_str(ns)}, expected input with shape "
                           f"{expected}, but got input of size{_shape_str(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing `normalized_shape` dims, then the elementwise affine."""
    if _amp_on[0]:
        input, weight, bias = _amp.maybe_cast("layer_norm", input, weight, bias)
    ns = _normalized_shape(normalized_shape)
    _check_normalized(input, ns, weight, bias, ", ")
    _check_float(input, "LayerNormKernelImpl")
    _check_param_dtypes(input, weight, bias)
    return NativeLayerNorm.apply(input, weight, bias, len(ns), eps)


# ---------------------------------------------------------------------------- group norm
def _gn_composed(groups, eps):
    def f(x, w, b):
        shape = tuple(x.shape)
        bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
        x3 = x.reshape(shape[0], groups, -1)
        mean = x3.mean(2, keepdim=True)
        xc = x3 - mean
        y = (xc * ((xc * xc).mean(2, keepdim=True) + eps).rsqrt()).reshape(shape)
        if w is not None:
            y = y * w.reshape(bshape)
        if b is not None:
            y = y + b.reshape(bshape)
        return y
    return f


def _per_channel(rows, n, groups, cg):
    """(n * groups, 1) per-group values -> (n, c) per-channel values."""
    return xp_of(rows).repeat(rows.reshape(n, groups), cg, axis=1)


class NativeGroupNorm(Op):
    """Group norm. Statistics per (sample, group) row; the output is then one multiply and
    one add with per-(sample, channel) coefficients: x * (rstd * w) + (b - mean * rstd * w)."""

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        cg = c // groups
        ct = _compute_dtype(x)
        x3 = x.reshape(n, c, -1).astype(ct, copy=False)
        x2 = x3.reshape(n * groups, -1)
        d = x2.shape[1]
        res, out3 = _result(xp, shape, ct, x3.shape)
        mean = xp.empty((n * groups, 1), ct)
        rstd = xp.empty((n * groups, 1), ct)
        blocks = _blocks(n, groups * d * x2.itemsize, xp)
        buf = _scratch(blocks, (groups, d), ct, xp)
        with np.errstate(divide="ignore", invalid="ignore"):
            for s in blocks:
                nb = s.stop - s.start
                rows = slice(s.start * groups, s.stop * groups)
                mb, rb = mean[rows], rstd[rows]
                _row_stats(x2[rows], mb, rb, eps, buf[:nb].reshape(-1, d))
                scale = _per_channel(rb, nb, groups, cg)
                if weight is not None:
                    scale *= weight
                shift = -_per_channel(mb, nb, groups, cg) * scale
                if bias is not None:
                    shift += bias
                o = out3[s]
                xp.multiply(x3[s], scale[:, :, None], out=o)
                o += shift[:, :, None]
        if ctx.needs_input_grad:
            ctx.mean, ctx.rstd, ctx.groups, ctx.eps = mean, rstd, groups, eps
            ctx.save_for_backward(x, weight, bias)
        return res.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        gx, gw, gb = NativeGroupNormBackward.apply(g, x, w, b, ctx.mean, ctx.rstd, ctx.groups,
                                                   ctx.eps, ctx.needs_input_grad[:3])
        return gx, gw, gb


class NativeGroupNormBackward(Op):
    """Per block of samples: two reductions over each channel's elements (sum dy and
    sum dy*x), from which the per-group terms follow; then dx = dy * (w * rstd) + x * bc + cc
    with per-(sample, channel) coefficients (PyTorch's CPU formula)."""

    @staticmethod
    def forward(ctx, g, x, weight, bias, mean, rstd, groups, eps, needs):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        cg = c // groups
        ct = _compute_dtype(x)
        x3 = x.reshape(n, c, -1).astype(ct, copy=False)
        g3 = g.reshape(n, c, -1).astype(ct, copy=False)
        d = cg * x3.shape[2]
        need_x = needs[0]
        need_w = len(needs) > 1 and needs[1] and weight is not None
        w = None if weight is None else weight.astype(ct, copy=False)
        res, gx3 = _result(xp, shape, ct, x3.shape) if need_x else (None, None)
        gw = xp.zeros(c, ct) if need_w else None
        sum_g = xp.empty((n, c), ct)
        blocks = _blocks(n, c * x3.shape[2] * x3.itemsize, xp)
        buf = _scratch(blocks, x3.shape[1:], ct, xp)
        for s in blocks:
            nb = s.stop - s.start
            rows = slice(s.start * groups, s.stop * groups)
            g_blk, x_blk = g3[s], x3[s]
            sg = sum_g[s]
            sg[...] = _rowsum(g_blk)                       # sum of dy per (n, c)
            sgx = _rowdot(g_blk, x_blk)                    # sum of dy * x per (n, c)
            m_nc = _per_channel(mean[rows], nb, groups, cg)
            r_nc = _per_channel(rstd[rows], nb, groups, cg)
            if need_w:
                gw += ((sgx - m_nc * sg) * r_nc).sum(0)
            if need_x:
                wg = sg if w is None else sg * w
                wgx = sgx if w is None else sgx * w
                db = wg.reshape(nb, groups, cg).sum(2).reshape(-1, 1)    # per (n, group)
                ds = wgx.reshape(nb, groups, cg).sum(2).reshape(-1, 1)
                mb, rb = mean[rows], rstd[rows]
                bc = (db * mb - ds) * (rb * rb * rb) / d
                cc = -bc * mb - db * rb / d
                scale = r_nc if w is None else r_nc * w
                o = gx3[s]
                xp.multiply(g_blk, scale[:, :, None], out=o)
                t = buf[:nb]
                xp.multiply(x_blk, _per_channel(bc, nb, groups, cg)[:, :, None], out=t)
                o += t
                o += _per_channel(cc, nb, groups, cg)[:, :, None]
        gx = None if res is None else res.astype(x.dtype, copy=False)
        if gw is not None:
            gw = gw.astype(weight.dtype, copy=False)
        gb = None
        if len(needs) > 2 and needs[2] and bias is not None:
            gb = sum_g.sum(0).astype(bias.dtype, copy=False)
        ctx.groups, ctx.eps = groups, eps
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, weight, bias)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        g, x, w, b = ctx.saved_tensors
        return _double_backward(_gn_composed(ctx.groups, ctx.eps), (x, w, b), g,
                                (ggx, ggw, ggb))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of `num_groups` channel groups per sample, then a per-channel affine."""
    if _amp_on[0]:
        input, weight, bias = _amp.maybe_cast("group_norm", input, weight, bias)
    if input.dim() < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    shape = tuple(input.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + list(shape[2:]))
    c = shape[1]
    if c % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_shape_str(shape)} and "
                           f"num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{_shape_str(p.shape)} and input of shape {_shape_str(shape)}")
    _check_float(input, "GroupNormKernelImpl")
    _check_param_dtypes(input, weight, bias)
    return NativeGroupNorm.apply(input, weight, bias, int(num_groups), eps)


# ---------------------------------------------------------------------------- RMS norm
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x**2 over the trailing dims) + eps) * weight; eps defaults to the
    dtype's machine epsilon."""
    ns = _normalized_shape(normalized_shape)
    _check_normalized(input, ns, weight, None, "")
    if eps is None:
        eps = _dt.finfo(input.dtype).eps
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out


# ---------------------------------------------------------------------------- local response
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x**2 over `size` neighbouring channels) ** beta, the window
    zero-padded by size//2 before and (size-1)//2 after each channel."""
    dim = input.dim()
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from ...ops import creation, shape as shape_ops
    sq = input * input
    shape = tuple(input.shape)
    c = shape[1]
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(creation.zeros((shape[0], before) + shape[2:], dtype=input.dtype,
                                    device=input.device))
    parts.append(sq)
    if after:
        parts.append(creation.zeros((shape[0], after) + shape[2:], dtype=input.dtype,
                                    device=input.device))
    padded = shape_ops.cat(parts, 1) if len(parts) > 1 else sq
    acc = None
    for i in range(size):
        window = padded.narrow(1, i, c)
        acc = window if acc is None else acc + window
    div = (acc / size).mul(alpha).add(k).pow(beta)
    return input / div
