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
from ...tensor import Tensor, Size
from ...autograd import grad_mode
from ...autograd.function import Op
from ...ops._util import xp_of, wrap_dim

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]

_TYPE_WORDS = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


# ---------------------------------------------------------------------------- shared helpers
def _compute_dtype(a):
    """Statistics of half-precision data are accumulated in float32, as PyTorch's opmath."""
    return a.dtype if a.dtype in (np.float32, np.float64) else np.float32


def _check_float(input, kernel):
    dt = input.dtype
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE_WORDS.get(dt.name, dt.name)}'")


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


def _raw(t):
    return None if t is None else t._data


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


def _row_moments(x2, eps):
    """Centered rows, mean and 1/std of a 2-D (rows, n) array; statistics per row."""
    xp = xp_of(x2)
    n = x2.shape[1]
    mean = x2.sum(1, keepdims=True) / n if n else xp.zeros((x2.shape[0], 1), x2.dtype)
    xc = x2 - mean
    var = xp.einsum("rd,rd->r", xc, xc)[:, None] / builtins.max(n, 1)
    rstd = 1 / xp.sqrt(var + eps)
    return xc, mean, rstd


def _row_backward(gxhat, xhat, rstd):
    """d(input) of row normalisation given d(xhat): rstd*(gxhat - mean(gxhat) - xhat*mean(
    gxhat*xhat)), each mean over the row."""
    xp = xp_of(gxhat)
    n = builtins.max(gxhat.shape[1], 1)
    a = gxhat.sum(1, keepdims=True) / n
    c = xp.einsum("rd,rd->r", gxhat, xhat)[:, None] / n
    gx = xhat * c
    xp.subtract(gxhat, gx, out=gx)
    gx -= a
    gx *= rstd
    return gx


# ---------------------------------------------------------------------------- batch norm
def _bn_composed(eps):
    """Training-mode batch norm in Tensor ops (used only for double backward)."""
    def f(x, w, b):
        nd = x.ndim
        dims = (0,) + tuple(range(2, nd))
        bshape = (1, x.shape[1]) + (1,) * (nd - 2)
        mean = x.mean(dims, keepdim=True)
        xc = x - mean
        y = xc * ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
        if w is not None:
            y = y * w.reshape(bshape)
        if b is not None:
            y = y + b.reshape(bshape)
        return y
    return f


class NativeBatchNorm(Op):
    """Batch norm over dim 1. Training: batch statistics, and the running buffers (raw
    arrays here) are updated in place. Eval: the running statistics."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        ct = _compute_dtype(x)
        x3 = x.reshape(n, c, -1).astype(ct, copy=False)
        ctx.training, ctx.eps = training, eps
        if training:
            m = n * x3.shape[2]
            mean = x3.sum((0, 2)) / m
            xc = x3 - mean[:, None]
            var = xp.einsum("ncl,ncl->c", xc, xc) / m
            invstd = 1 / xp.sqrt(var + eps)
            scale = invstd if weight is None else invstd * weight
            xc *= scale[:, None]
            if bias is not None:
                xc += bias[:, None]
            out = xc
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    unbiased = var * (m / (m - 1)) if m > 1 else var * (xp.inf if m else xp.nan)
                running_var *= 1 - momentum
                running_var += (momentum * unbiased).astype(running_var.dtype, copy=False)
            if ctx.needs_input_grad:
                ctx.mean, ctx.invstd = mean, invstd
                ctx.save_for_backward(x, weight, bias)
        else:
            invstd = 1 / xp.sqrt(running_var.astype(ct, copy=False) + eps)
            scale = invstd if weight is None else invstd * weight
            shift = -running_mean * scale
            if bias is not None:
                shift += bias
            out = x3 * scale[:, None]
            out += shift[:, None]
            if ctx.needs_input_grad:
                ctx.save_for_backward(x, weight, running_mean, running_var)
        return out.reshape(shape).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        needs = ctx.needs_input_grad[:3]
        if ctx.training:
            x, w, b = ctx.saved_tensors
            gx, gw, gb = NativeBatchNormBackward.apply(g, x, w, b, ctx.mean, ctx.invstd,
                                                       ctx.eps, needs)
            return gx, gw, gb, None, None
        x, w, rm, rv = ctx.saved_tensors
        nd = x.ndim
        dims = (0,) + tuple(range(2, nd))
        bshape = (1, x.shape[1]) + (1,) * (nd - 2)
        invstd = (rv + ctx.eps).rsqrt().reshape(bshape)
        gx = gw = gb = None
        if needs[0]:
            gx = g * (invstd if w is None else invstd * w.reshape(bshape))
        if len(needs) > 1 and needs[1]:
            gw = (g * ((x - rm.reshape(bshape)) * invstd)).sum(dims)
        if len(needs) > 2 and needs[2]:
            gb = g.sum(dims)
        return gx, gw, gb, None, None


class NativeBatchNormBackward(Op):
    @staticmethod
    def forward(ctx, g, x, weight, bias, mean, invstd, eps, needs):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        ct = _compute_dtype(x)
        x3 = x.reshape(n, c, -1).astype(ct, copy=False)
        g3 = g.reshape(n, c, -1).astype(ct, copy=False)
        m = n * x3.shape[2]
        sum_g = g3.sum((0, 2))
        xc = x3 - mean[:, None]
        dotp = xp.einsum("ncl,ncl->c", g3, xc)
        gx = gw = gb = None
        if needs[0]:
            k1 = invstd if weight is None else invstd * weight
            k2 = k1 * invstd * invstd * dotp / m
            k3 = k1 * sum_g / m
            xc *= k2[:, None]
            gx = g3 * k1[:, None]
            gx -= xc
            gx -= k3[:, None]
            gx = gx.reshape(shape).astype(x.dtype, copy=False)
        if len(needs) > 1 and needs[1] and weight is not None:
            gw = (dotp * invstd).astype(weight.dtype, copy=False)
        if len(needs) > 2 and needs[2] and bias is not None:
            gb = sum_g.astype(bias.dtype, copy=False)
        ctx.eps = eps
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, weight, bias)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        g, x, w, b = ctx.saved_tensors
        return _double_backward(_bn_composed(ctx.eps), (x, w, b), g, (ggx, ggw, ggb))


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
        shape = x.shape
        k = 1
        for s in shape[len(shape) - nd:]:
            k *= s
        ct = _compute_dtype(x)
        x2 = x.reshape(-1, k).astype(ct, copy=False)
        xc, mean, rstd = _row_moments(x2, eps)
        xc *= rstd
        if weight is not None:
            xc *= weight.reshape(-1)
        if bias is not None:
            xc += bias.reshape(-1)
        if ctx.needs_input_grad:
            ctx.mean, ctx.rstd, ctx.nd, ctx.eps = mean, rstd, nd, eps
            ctx.save_for_backward(x, weight, bias)
        return xc.reshape(shape).astype(x.dtype, copy=False)

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
        k = 1
        for s in shape[len(shape) - nd:]:
            k *= s
        ct = _compute_dtype(x)
        x2 = x.reshape(-1, k).astype(ct, copy=False)
        g2 = g.reshape(-1, k).astype(ct, copy=False)
        xhat = x2 - mean
        xhat *= rstd
        gx = gw = gb = None
        if len(needs) > 1 and needs[1] and weight is not None:
            gw = xp.einsum("mk,mk->k", g2, xhat).reshape(weight.shape).astype(weight.dtype,
                                                                             copy=False)
        if len(needs) > 2 and needs[2] and bias is not None:
            gb = g2.sum(0).reshape(bias.shape).astype(bias.dtype, copy=False)
        if needs[0]:
            gxhat = g2 if weight is None else g2 * weight.reshape(-1)
            gx = _row_backward(gxhat, xhat, rstd).reshape(shape).astype(x.dtype, copy=False)
        ctx.nd, ctx.eps = nd, eps
        if ctx.needs_input_grad:
            ctx.save_for_backward(g, x, weight, bias)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        g, x, w, b = ctx.saved_tensors
        return _double_backward(_ln_composed(ctx.nd, ctx.eps), (x, w, b), g, (ggx, ggw, ggb))


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


class NativeGroupNorm(Op):
    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        shape = x.shape
        n, c = shape[0], shape[1]
        ct = _compute_dtype(x)
        x2 = x.reshape(n * groups, -1).astype(ct, copy=False)
        xc, mean, rstd = _row_moments(x2, eps)
        xc *= rstd
        y = xc.reshape(n, c, -1)
        if weight is not None:
            y *= weight[:, None]
        if bias is not None:
            y += bias[:, None]
        if ctx.needs_input_grad:
            ctx.mean, ctx.rstd, ctx.groups, ctx.eps = mean, rstd, groups, eps
            ctx.save_for_backward(x, weight, bias)
        return y.reshape(shape).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        gx, gw, gb = NativeGroupNormBackward.apply(g, x, w, b, ctx.mean, ctx.rstd, ctx.groups,
                                                   ctx.eps, ctx.needs_input_grad[:3])
        return gx, gw, gb


class NativeGroupNormBackward(Op):
    @staticmethod
    def forward(ctx, g, x, weight, bias, mean, rstd, groups, eps, needs):
        xp = xp_of(x)
        shape = x.shape
        n, c = shape[0], shape[1]
        ct = _compute_dtype(x)
        x2 = x.reshape(n * groups, -1).astype(ct, copy=False)
        g3 = g.reshape(n, c, -1).astype(ct, copy=False)
        xhat = x2 - mean
        xhat *= rstd
        gx = gw = gb = None
        if len(needs) > 1 and needs[1] and weight is not None:
            gw = xp.einsum("ncl,ncl->c", g3, xhat.reshape(n, c, -1)).astype(weight.dtype,
                                                                            copy=False)
        if len(needs) > 2 and needs[2] and bias is not None:
            gb = g3.sum((0, 2)).astype(bias.dtype, copy=False)
        if needs[0]:
            gxhat = g3 if weight is None else g3 * weight[:, None]
            gx = _row_backward(gxhat.reshape(n * groups, -1), xhat, rstd)
            gx = gx.reshape(shape).astype(x.dtype, copy=False)
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
