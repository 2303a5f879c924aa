"""nn.init: parameter initialisation, with PyTorch's distributions and bounds.

Every initialiser fills its tensor in place without recording autograd history and returns
it. Samples come from ember's generators (the default one unless `generator=` is given), so
`ember.manual_seed` makes them reproducible; the values are not PyTorch's bit for bit.
"""
import math
import warnings

import numpy as np

from ..autograd import grad_mode
from ..backends import get_backend
from ..ops import random as _random

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
           "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
           "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for `nonlinearity` (PyTorch's table)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param   # bool is an int, hence the check above
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4   # found empirically (pytorch/pytorch#50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _xp(tensor):
    return np if tensor._device.type == "cpu" else get_backend(tensor._device).xp


def _written(tensor):
    """Record a direct write into tensor's array (in-place checks see the new version)."""
    tensor._vc[0] += 1
    return tensor


# ---------------------------------------------------------------- plain distributions
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    with grad_mode.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    with grad_mode.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std^2) restricted to [a, b], by rejection sampling: normal proposals when the
    interval holds much of the mass, otherwise uniform proposals on [a, b] accepted with
    probability pdf(x) / pdf(mode). Exact, unlike the inverse-CDF trick in float32."""
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    p = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    with grad_mode.no_grad():
        if p > 0.3:
            tensor.normal_(mean, std, generator=generator)     # validates the dtype
            draw = lambda n: _random._normal(src, (n,), tensor.dtype, mean, std)  # noqa: E731
            accept = None
        else:
            tensor.uniform_(a, b, generator=generator)
            draw = lambda n: _random._uniform(src, (n,), tensor.dtype, a, b)      # noqa: E731
            mode = max(a, min(mean, b))
            log_peak = -0.5 * ((mode - mean) / std) ** 2
            accept = lambda x: _accept(src, x, tensor.dtype, mean, std, log_peak)  # noqa: E731
    src = _random._source(generator, tensor._device)
    data = tensor._data
    # the bounds as the tensor's dtype represents them, so every kept value lies in [a, b]
    lo, hi = data.dtype.type(a), data.dtype.type(b)
    pending = (data < lo) | (data > hi) if accept is None else ~accept(data)
    redrawn = False
    while pending.any():
        redrawn = True
        x = draw(int(pending.sum()))
        ok = ((x >= lo) & (x <= hi)) if accept is None else accept(x)
        idx = src.xp.nonzero(pending.reshape(-1))[0][ok]
        flat = data.reshape(-1) if data.flags.c_contiguous else None
        if flat is not None:
            flat[idx] = x[ok]
        else:   # a non-contiguous view: write through its multi-index
            data[src.xp.unravel_index(idx, data.shape)] = x[ok]
        pending.reshape(-1)[idx] = False
    return _written(tensor) if redrawn else tensor


def _accept(src, x, dt, mean, std, log_peak):
    """Which uniform proposals x to keep: log(u) <= log(pdf(x) / pdf(mode))."""
    u = _random._uniform(src, x.shape, dt)
    log_ratio = (x - mean) / std
    log_ratio *= log_ratio
    log_ratio *= -0.5
    log_ratio -= log_peak
    return src.xp.log(u) <= log_ratio


def constant_(tensor, val):
    with grad_mode.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    with grad_mode.no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor):
    with grad_mode.no_grad():
        return tensor.zero_()


# ---------------------------------------------------------------- structured matrices
def eye_(tensor):
    """The identity matrix (as much of it as fits) in a 2-D tensor."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with grad_mode.no_grad():
        tensor.zero_()
    n = min(tensor.shape)
    if n:
        i = _xp(tensor).arange(n)
        tensor._data[i, i] = 1
        _written(tensor)
    return tensor


def dirac_(tensor, groups=1):
    """A Dirac delta at the centre of each (out, in) kernel, per group, so a convolution with
    this weight copies its input channels through."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    with grad_mode.no_grad():
        tensor.zero_()
    if min_dim and groups:
        xp = _xp(tensor)
        d = xp.tile(xp.arange(min_dim), groups)
        out = xp.repeat(xp.arange(groups) * out_per_group, min_dim) + d
        centre = tuple(s // 2 for s in sizes[2:])
        tensor._data[(out, d) + centre] = 1
        _written(tensor)
    return tensor


# ---------------------------------------------------------------- fan-scaled distributions
def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan_mode) (He et al., 2015)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan_mode)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix (trailing dims flattened), from the QR decomposition of a
    Gaussian matrix with R's diagonal signs folded into Q so Q is Haar-distributed
    (Mezzadri, 2007), times `gain`."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    src = _random._source(generator, tensor._device)
    flat = _random._normal(src, (rows, cols), tensor.dtype)
    if flat.dtype.itemsize < 4:   # LAPACK has no half precision
        flat = flat.astype(np.float32)
    if rows < cols:
        flat = flat.T
    q, r = src.xp.linalg.qr(flat)
    q *= src.xp.sign(src.xp.diagonal(r))
    if rows < cols:
        q = q.T
    q *= gain
    with grad_mode.no_grad():
        tensor._data[...] = q.reshape(tensor.shape)
    return _written(tensor)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """N(0, std^2) with ceil(sparsity * rows) random entries of every column set to zero."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0.0, std, generator)
    if num_zeros and rows and cols:
        src = _random._source(generator, tensor._device)
        # an independent random permutation per column: argsort of uniform keys
        keys = src.uniform((rows, cols), np.float64)
        zero_rows = src.xp.argsort(keys, axis=0)[:num_zeros]
        tensor._data[zero_rows, src.xp.arange(cols)[None, :]] = 0
        _written(tensor)
    return tensor


# ---------------------------------------------------------------- deprecated names
def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated: use nn.init.{new_name}."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
