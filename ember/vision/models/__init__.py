"""Classification models with torchvision's builders, module names (hence state_dict keys)
and initialisation, and its pretrained-weights API (`resnet18(weights="DEFAULT")`,
`ResNet18_Weights.IMAGENET1K_V1.transforms()`, `get_model("vgg16")`, `list_models()`).
Checkpoints are downloaded by `ember.hub.load_state_dict_from_url`."""
from . import alexnet as _alexnet_module, lenet as _lenet_module, mobilenetv2 as _mnv2_module
from . import resnet as _resnet_module, vgg as _vgg_module
from .alexnet import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from . import mobilenet  # noqa: F401
from ._api import (Weights, WeightsEnum, get_model, get_model_builder, get_model_weights,
                   get_weight, list_models)

__all__ = (list(_alexnet_module.__all__) + list(_lenet_module.__all__)
           + list(_mnv2_module.__all__) + list(_resnet_module.__all__)
           + list(_vgg_module.__all__)
           + ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
              "get_weight", "list_models"])
