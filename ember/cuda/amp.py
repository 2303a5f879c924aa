"""ember.cuda.amp: the deprecated spellings `torch.cuda.amp.autocast(...)`,
`GradScaler(...)`, `custom_fwd` and `custom_bwd`; each warns FutureWarning (as PyTorch 2.13)
and forwards to ember.amp with device 'cuda' (which, without CUDA, warns and disables
itself, as PyTorch's)."""
import functools
import warnings

from .. import dtypes as _dt
from ..amp import autocast_mode as _autocast_mode
from ..amp import grad_scaler as _grad_scaler

__all__ = ["autocast", "custom_fwd", "custom_bwd", "GradScaler",
           "amp_definitely_not_available"]


def amp_definitely_not_available():
    from . import is_available
    return not is_available()


class autocast(_autocast_mode.autocast):
    """Deprecated: use `ember.amp.autocast('cuda', ...)`."""

    def __init__(self, enabled=True, dtype=_dt.float16, cache_enabled=True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated: use `ember.amp.custom_fwd(args..., device_type='cuda')`."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_autocast_mode.custom_fwd, device_type="cuda")(
        fwd=fwd, cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """Deprecated: use `ember.amp.custom_bwd(args..., device_type='cuda')`."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_autocast_mode.custom_bwd, device_type="cuda")(bwd)


class GradScaler(_grad_scaler.GradScaler):
    """Deprecated: use `ember.amp.GradScaler('cuda', ...)`."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)
