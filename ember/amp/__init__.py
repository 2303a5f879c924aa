"""ember.amp: automatic mixed precision (`autocast`, `GradScaler`), as torch.amp.

`autocast_mode` holds autocast's state and op lists and is imported with ember (the ops
consult it); `grad_scaler` (GradScaler) is imported on first use.
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]


def __getattr__(name):
    if name in ("GradScaler", "grad_scaler"):
        import importlib
        mod = importlib.import_module(".grad_scaler", __name__)
        return mod if name == "grad_scaler" else mod.GradScaler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
