"""Gradient clipping: clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_.

`foreach` is accepted for compatibility; it changes nothing. The common case (2-norm of
float32/float64 CPU gradients of one dtype) works on the raw arrays: each gradient's sum of
squares is a BLAS dot product per 64 KB chunk, summed in float64 (one read pass, no
temporaries, and more accurate than a float32 running sum), and the scaling is one in-place
multiply per gradient. Other norms, dtypes and devices take the Tensor-op path.
"""
import functools
import math
import types
import warnings

import numpy as np

from ...tensor import Tensor, _make
from ...autograd import grad_mode
from ...ops import creation, reduce as _reduce, shape as _shape

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _no_grad(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with grad_mode.no_grad():
            return fn(*args, **kwargs)
    return wrapper


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


_CHUNK = 1 << 14    # elements per dot product (64 KB of float32)


def _sum_sq(a):
    """sum(a * a) of a real NumPy array, as a Python float."""
    f = a.reshape(-1)
    n = f.shape[0]
    k = n - n % _CHUNK
    total = 0.0
    if k:
        head = f[:k].reshape(-1, _CHUNK)
        total = float(np.vecdot(head, head).sum(dtype=np.float64))
    if k < n:
        tail = f[k:]
        total += float(np.dot(tail, tail))
    return total


def _fast_2norm(tensors, norm_type):
    """The total 2-norm as a 0-dim array of the gradients' dtype, or None when the raw-array
    path doesn't apply. Like PyTorch: the norm of the per-tensor norms (each rounded to the
    dtype)."""
    if norm_type != 2.0:
        return None
    dt = None
    for t in tensors:
        a = t._data
        if a.__class__ is not np.ndarray or a.dtype.type not in (np.float32, np.float64) or \
                (dt is not None and a.dtype != dt):
            return None
        dt = a.dtype
    with np.errstate(over="ignore", invalid="ignore"):    # inf / nan norms, silently
        norms = np.sqrt(np.array([_sum_sq(t._data) for t in tensors])).astype(dt)
        return np.asarray(np.sqrt(np.dot(norms, norms)), dtype=dt)


@_no_grad
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type` norm of all `tensors` together (as if concatenated into one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return creation.tensor(0.0)
    fast = _fast_2norm(tensors, norm_type)
    if fast is not None:
        total_norm = _make(fast, tensors[0]._device)
        if error_if_nonfinite and not math.isfinite(float(fast)):
            raise _nonfinite_error(norm_type)
        return total_norm
    first_device = tensors[0].device
    norms = [_reduce.norm(t, norm_type).to(first_device) for t in tensors]
    total_norm = _reduce.norm(_shape.stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise _nonfinite_error(norm_type)
    return total_norm


def _nonfinite_error(norm_type):
    return RuntimeError(
        f"The total norm of order {norm_type} for gradients from `parameters` is "
        "non-finite, so it cannot be clipped. To disable this error and scale the "
        "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")


@_no_grad
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of `parameters` by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    clip_coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
    coef = clip_coef._data
    for g in grads:
        a = g._data
        if a.__class__ is np.ndarray and coef.__class__ is np.ndarray and a.flags.writeable \
                and a.dtype.type in (np.float32, np.float64) and g.grad_fn is None:
            # g.mul_(clip_coef) on the raw array: a 0-dim factor doesn't promote the grad
            np.multiply(a, a.dtype.type(coef), out=a)
            g._vc[0] += 1
        else:
            g.mul_(clip_coef.to(g.device))


@_no_grad
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Clip the gradients of `parameters` so their total `norm_type` norm is at most
    `max_norm` (in place); returns the total norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@_no_grad
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` into [-clip_value, clip_value] (in place)."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad.clamp_(min=-clip_value, max=clip_value)
