"""nn modules: normalization (BatchNorm*, SyncBatchNorm, InstanceNorm*, LayerNorm, GroupNorm,
RMSNorm, LocalResponseNorm, CrossMapLRN2d and the lazy variants).

SyncBatchNorm synchronises batch statistics across processes only while training under an
initialised `ember.distributed` process group with more than one process (it all-reduces
per-channel sums, as PyTorch's does); otherwise it is exactly BatchNorm.
"""
import numbers
import warnings

from ... import dtypes as _dt
from ...autograd import grad_mode
from ...autograd.function import Function
from ...ops import creation, shape as _shape_ops
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "SyncBatchNorm", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
           "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm", "CrossMapLRN2d"]


# ---------------------------------------------------------------------------- batch norm
class _NormBase(Module):
    """Common base of batch and instance norm: affine parameters and running statistics."""
    _version = 2   # version 2 added the num_batches_tracked buffer

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = Parameter(creation.empty(num_features, **fk))
            if bias:
                self.bias = Parameter(creation.empty(num_features, **fk))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **fk))
            self.register_buffer("running_var", creation.ones(num_features, **fk))
            self.register_buffer("num_batches_tracked",
                                 creation.tensor(0, dtype=_dt.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # checkpoints from before version 2 have no num_batches_tracked: keep ours
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked
                                   if self.num_batches_tracked is not None
                                   else creation.tensor(0, dtype=_dt.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    def _average_factor(self):
        """The momentum of this step's running-stat update: momentum, or 1/num_batches_tracked
        (a cumulative moving average) when momentum is None. Counts the batch."""
        factor = 0.0 if self.momentum is None else self.momentum
        nbt = self.num_batches_tracked
        if self.training and self.track_running_stats and nbt is not None:
            a = nbt._data
            if a.ndim == 0 and a.dtype.kind in "iu" and a.flags.writeable and nbt.grad_fn is None:
                a += 1          # nbt.add_(1) without a Tensor op: ~30 us less per call
                nbt._vc[0] += 1
            else:
                nbt.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(nbt.item())
        return factor

    def _stats_args(self):
        """Batch statistics are used in training, and in eval when no buffers exist; buffers
        are passed only where they are updated (training and tracked) or used (eval)."""
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_buffers = not self.training or self.track_running_stats
        return (bn_training, self.running_mean if use_buffers else None,
                self.running_var if use_buffers else None)

    def forward(self, input):
        self._check_input_dim(input)
        factor = self._average_factor()
        bn_training, rm, rv = self._stats_args()
        return F.batch_norm(input, rm, rv, self.weight, self.bias, bn_training, factor,
                            self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a 2D (N, C) or 3D (N, C, L) input."""

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a 4D (N, C, H, W) input."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over a 5D (N, C, D, H, W) input."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class _LazyNormMixin:
    """num_features comes from the first input's dim 1: parameters and buffers stay
    uninitialised (weight/bias are UninitializedParameter, buffers empty) until then; the
    module then initialises them and becomes `cls_to_become`. As in PyTorch, a module with
    nothing to initialise (affine=False, no running stats) keeps num_features=0."""
    cls_to_become = None

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = creation.empty(0, device=device, dtype=dtype)
            self.running_var = creation.empty(0, device=device, dtype=dtype)
            self.num_batches_tracked = creation.tensor(0, dtype=_dt.int64, device=device)
        self._buffers_pending = track_running_stats

    def has_uninitialized_params(self):
        return (any(isinstance(p, UninitializedParameter) for p in self._parameters.values())
                or self.__dict__.get("_buffers_pending", False))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with grad_mode.no_grad():
                c = input.shape[1]
                self.num_features = c
                if self.affine:
                    self.weight.materialize((c,))
                    if self.bias is not None:
                        self.bias.materialize((c,))
                if self.track_running_stats:
                    fk = {"device": self.running_mean.device, "dtype": self.running_mean.dtype}
                    self.running_mean = creation.zeros(c, **fk)
                    self.running_var = creation.ones(c, **fk)
                self._buffers_pending = False
                self.reset_parameters()
        self.__class__ = self.cls_to_become

    def forward(self, input):
        cls = self.cls_to_become
        self.initialize_parameters(input)
        return cls.forward(self, input)


class LazyBatchNorm1d(_LazyNormMixin, _BatchNorm):
    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormMixin, _BatchNorm):
    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormMixin, _BatchNorm):
    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


# ---------------------------------------------------------------------------- sync batch norm
def _distributed():
    """ember.distributed when a process group is initialised, else None."""
    try:
        from ... import distributed as dist
    except ImportError:
        return None
    try:
        return dist if dist.is_available() and dist.is_initialized() else None
    except AttributeError:
        return None


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose training statistics are computed over the whole process group.
    Without an initialised process group (or with one process) it is plain BatchNorm."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        factor = self._average_factor()
        bn_training, rm, rv = self._stats_args()
        dist = _distributed() if (bn_training and self.training) else None
        world = 1
        if dist is not None:
            group = self.process_group or getattr(getattr(dist, "group", None), "WORLD", None)
            world = dist.get_world_size(group) if group is not None else dist.get_world_size()
        if world <= 1:
            return F.batch_norm(input, rm, rv, self.weight, self.bias, bn_training, factor,
                                self.eps)
        return _SyncBatchNormFn.apply(input, self.weight, self.bias, rm, rv, self.eps, factor,
                                      dist, self.process_group)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm*d in `module` by a SyncBatchNorm sharing its parameters
        and buffers."""
        out = module
        if isinstance(module, _BatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group)
            if module.affine:
                with grad_mode.no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return out


class _SyncBatchNormFn(Function):
    """Training batch norm over all processes: per-channel sums of x, x*x and the count are
    all-reduced in float64 (so E[x^2] - E[x]^2 keeps its precision); the backward all-reduces
    sum(dy) and sum(dy * (x - mean)). Weight and bias gradients stay local, as PyTorch's
    (DistributedDataParallel averages them)."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, eps, momentum, dist, group):
        c = x.shape[1]
        dims = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)
        xd = x.double()
        count = x.numel() // c
        packed = _shape_ops.cat([xd.sum(dims), (xd * xd).sum(dims),
                               creation.full((1,), float(count), dtype=_dt.float64,
                                             device=x.device)])
        _all_reduce(dist, packed, group)
        total = packed[2 * c].item()
        mean = packed[:c] / total
        var = (packed[c:2 * c] / total - mean * mean).clamp(min=0)
        invstd = (var + eps).rsqrt()
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_((mean * momentum).to(running_mean.dtype))
        if running_var is not None:
            unbiased = var * (total / (total - 1)) if total > 1 else var
            running_var.mul_(1 - momentum).add_((unbiased * momentum).to(running_var.dtype))
        mean, invstd = mean.to(x.dtype).reshape(bshape), invstd.to(x.dtype).reshape(bshape)
        out = (x - mean) * invstd
        if weight is not None:
            out = out * weight.reshape(bshape)
        if bias is not None:
            out = out + bias.reshape(bshape)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, invstd, total, dims, bshape, dist, group, bias is not None)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        mean, invstd, total, dims, bshape, dist, group, has_bias = ctx.stats
        c = x.shape[1]
        xc = x - mean
        sum_dy = g.sum(dims)
        sum_dy_xmu = (g * xc).sum(dims)
        grad_w = sum_dy_xmu * invstd.reshape(-1) if weight is not None else None
        grad_b = sum_dy if has_bias else None
        packed = _shape_ops.cat([sum_dy, sum_dy_xmu]).double()
        _all_reduce(dist, packed, group)
        mean_dy = (packed[:c] / total).to(x.dtype).reshape(bshape)
        mean_dy_xmu = (packed[c:] / total).to(x.dtype).reshape(bshape)
        scale = invstd if weight is None else invstd * weight.reshape(bshape)
        grad_x = (g - mean_dy - xc * invstd * invstd * mean_dy_xmu) * scale
        return grad_x, grad_w, grad_b, None, None, None, None, None, None


def _all_reduce(dist, tensor, group):
    if group is None:
        dist.all_reduce(tensor)
    else:
        dist.all_reduce(tensor, group=group)


# ---------------------------------------------------------------------------- instance norm
class _InstanceNorm(_NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _get_no_batch_dim(self):
        raise NotImplementedError

    def _handle_no_batch_input(self, input):
        return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)

    def _apply_instance_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            # version 1 stopped saving running stats when track_running_stats=False
            keys = [prefix + n for n in ("running_mean", "running_var") if prefix + n in
                    state_dict]
            if keys:
                klass = type(self).__name__
                error_msgs.append(
                    "Unexpected running stats buffer(s) {names} for {klass} with "
                    "track_running_stats=False. If state_dict is a checkpoint saved before "
                    "0.4.0, this may be expected because {klass} does not track running stats "
                    "by default since 0.4.0. Please remove these keys from state_dict. If the "
                    "running stats are actually needed, instead set track_running_stats=True "
                    "in {klass} to enable them. See the documentation of {klass} for "
                    "details.".format(names=" and ".join(f'"{k}"' for k in keys), klass=klass))
                for k in keys:
                    state_dict.pop(k)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._get_no_batch_dim()
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        if input.dim() == self._get_no_batch_dim():
            return self._handle_no_batch_input(input)
        return self._apply_instance_norm(input)


def _instance_dims(no_batch_dim):
    lo, hi = no_batch_dim, no_batch_dim + 1

    def _check_input_dim(self, input):
        if input.dim() not in (lo, hi):
            raise ValueError(f"expected {lo}D or {hi}D input (got {input.dim()}D input)")

    def _get_no_batch_dim(self):
        return no_batch_dim
    return _check_input_dim, _get_no_batch_dim


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over a (N, C, L) or unbatched (C, L) input."""
    _check_input_dim, _get_no_batch_dim = _instance_dims(2)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over a (N, C, H, W) or unbatched (C, H, W) input."""
    _check_input_dim, _get_no_batch_dim = _instance_dims(3)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation over a (N, C, D, H, W) or unbatched (C, D, H, W) input."""
    _check_input_dim, _get_no_batch_dim = _instance_dims(4)


class LazyInstanceNorm1d(_LazyNormMixin, _InstanceNorm):
    cls_to_become = InstanceNorm1d
    _check_input_dim, _get_no_batch_dim = _instance_dims(2)


class LazyInstanceNorm2d(_LazyNormMixin, _InstanceNorm):
    cls_to_become = InstanceNorm2d
    _check_input_dim, _get_no_batch_dim = _instance_dims(3)


class LazyInstanceNorm3d(_LazyNormMixin, _InstanceNorm):
    cls_to_become = InstanceNorm3d
    _check_input_dim, _get_no_batch_dim = _instance_dims(4)


# ---------------------------------------------------------------------------- layer / group / RMS
def _as_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalises over the trailing `normalized_shape` dims with an elementwise affine."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.empty(self.normalized_shape, **fk))
            if bias:
                self.bias = Parameter(creation.empty(self.normalized_shape, **fk))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalises each group of channels per sample, with a per-channel affine."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(creation.empty(num_channels, **fk))
            if bias:
                self.bias = Parameter(creation.empty(num_channels, **fk))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x**2) + eps) * weight over the trailing `normalized_shape` dims."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.empty(self.normalized_shape, device=device,
                                                   dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


# ---------------------------------------------------------------------------- local response
class LocalResponseNorm(Module):
    """Normalisation across `size` neighbouring channels (AlexNet's LRN)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """Lua Torch's cross-map LRN on 4D input, reproducing PyTorch's legacy implementation
    value for value (including its window arithmetic and hand-written gradient)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return _CrossMapLRN2dFn.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _channel_window_sum(t, lo, hi):
    """out[:, c] = sum of t[:, j] for j in [c + lo, c + hi] (clipped to the channels)."""
    c = t.shape[1]
    pad_lo, pad_hi = max(0, -lo), max(0, hi)
    parts = []
    if pad_lo:
        parts.append(creation.zeros((t.shape[0], pad_lo) + tuple(t.shape[2:]), dtype=t.dtype,
                                    device=t.device))
    parts.append(t)
    if pad_hi:
        parts.append(creation.zeros((t.shape[0], pad_hi) + tuple(t.shape[2:]), dtype=t.dtype,
                                    device=t.device))
    padded = _shape_ops.cat(parts, 1) if len(parts) > 1 else t
    acc = None
    for off in range(lo, hi + 1):
        start = off + pad_lo
        if start < 0 or start + c > padded.shape[1]:
            continue
        w = padded.narrow(1, start, c)
        acc = w if acc is None else acc + w
    return acc


def _crossmap_scale(x, size, alpha, k):
    """PyTorch's running-window scale: channels [c - pre_pad + 1, c + pre_pad - 1], except
    that its update never drops channel 0 from the window once c passes pre_pad."""
    c = x.shape[1]
    pre_pad = int((size - 1) / 2 + 1)
    sq = x * x
    scale = _channel_window_sum(sq, -(pre_pad - 1), pre_pad - 1)
    if c > pre_pad:
        # from c = pre_pad on, the reference's running sum still holds channel 0
        keep = _shape_ops.cat([creation.zeros((1, pre_pad) + (1,) * (x.ndim - 2),
                                            dtype=x.dtype, device=x.device),
                             creation.ones((1, c - pre_pad) + (1,) * (x.ndim - 2),
                                           dtype=x.dtype, device=x.device)], 1)
        scale = scale + sq.narrow(1, 0, 1) * keep
    return scale * (alpha / size) + k


class _CrossMapLRN2dFn(Function):
    @staticmethod
    def forward(ctx, input, size, alpha=1e-4, beta=0.75, k=1):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                             "instead.")
        scale = _crossmap_scale(input, size, alpha, k)
        out = scale.pow(-beta) * input
        ctx.save_for_backward(input)
        ctx.params = (size, alpha, beta, k)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        size, alpha, beta, k = ctx.params
        scale = _crossmap_scale(input, size, alpha, k)
        out = scale.pow(-beta) * input
        ratio = grad_output * out / scale
        inverse_pre_pad = int(size - (size - 1) / 2)
        accum = _channel_window_sum(ratio, -inverse_pre_pad, size - 1 - inverse_pre_pad)
        grad_input = scale.pow(-beta) * grad_output - (2 * alpha * beta / size) * input * accum
        return grad_input, None, None, None, None
