"""torchvision's `models.mobilenet` namespace (MobileNetV2; V3 is not provided)."""
from .mobilenetv2 import *  # noqa: F401,F403
from .mobilenetv2 import __all__ as _v2_all

__all__ = list(_v2_all)
