"""The pretrained-weights API and the model registry (torchvision's `models._api`).

Each builder's `weights=` argument takes a member of its `WeightsEnum` (or that member's name
as a string, e.g. "IMAGENET1K_V1" or "ResNet50_Weights.IMAGENET1K_V1"). A member's value is
a `Weights` record: the checkpoint `url`, the `transforms` preset to build for its inputs, and
`meta` (categories, parameter count, ImageNet accuracy, recipe, ...). `DEFAULT` is an alias of
the best member.
"""
import fnmatch
import importlib
import inspect
import sys
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Callable, Dict

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]


@dataclass
class Weights:
    """A pretrained checkpoint: `url`, `transforms` (a callable building the preprocessing
    preset) and `meta` (informative and configuration metadata)."""
    url: str
    transforms: Callable
    meta: Dict[str, Any]

    def __eq__(self, other):
        # Enum members are looked up by value when deep-copied or unpickled, and a copy of a
        # functools.partial never equals the original: compare partials by their parts.
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, partial) and isinstance(other.transforms, partial):
            return (self.transforms.func == other.transforms.func
                    and self.transforms.args == other.transforms.args
                    and self.transforms.keywords == other.transforms.keywords)
        return self.transforms == other.transforms


class WeightsEnum(Enum):
    """Base class of every model's weights enum; members' values are `Weights`."""

    @classmethod
    def verify(cls, obj):
        """`obj` as a member of this enum (a member, its name, "Enum.NAME" or None)."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        """Download (once) and load the checkpoint: `ember.hub.load_state_dict_from_url`."""
        from ember.hub import load_state_dict_from_url
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def get_weight(name):
    """The weights member named like "ResNet50_Weights.IMAGENET1K_V1"."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.")

    base_module_name = ".".join(sys.modules[__name__].__name__.split(".")[:-1])
    base_module = importlib.import_module(base_module_name)
    model_modules = [base_module] + [
        m for _, m in inspect.getmembers(base_module, inspect.ismodule)
        if m.__file__.endswith("__init__.py")]

    weights_enum = None
    for m in model_modules:
        candidate = m.__dict__.get(enum_name, None)
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            weights_enum = candidate
            break
    if weights_enum is None:
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                         "retrieved.")
    return weights_enum[value_name]


def get_model_weights(name):
    """The weights enum class of a model builder (the builder or its registered name)."""
    model = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(model)


def _get_enum_from_fn(fn):
    # The enum is the annotation of the builder's `weights` parameter (Optional[X_Weights]).
    sig = inspect.signature(fn)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = sig.parameters["weights"].annotation
    weights_enum = None
    if isinstance(ann, type) and issubclass(ann, WeightsEnum):
        weights_enum = ann
    else:
        for t in getattr(ann, "__args__", ()):
            if isinstance(t, type) and issubclass(t, WeightsEnum):
                weights_enum = t
                break
    if weights_enum is None:
        raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                         "Make sure the typing info is correct.")
    return weights_enum


BUILTIN_MODELS = {}


def register_model(name=None):
    """Decorator adding a model builder to the registry under `name` (default: its own)."""
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """Sorted names of the registered models, optionally only those of `module` and
    filtered by Unix shell-style wildcards in `include` / `exclude`."""
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        if isinstance(include, str):
            include = [include]
        models = set()
        for pattern in include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        if isinstance(exclude, str):
            exclude = [exclude]
        for pattern in exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name):
    """The builder function registered as `name`."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}")


def get_model(name, **config):
    """Build the registered model `name`, passing `config` to its builder."""
    return get_model_builder(name)(**config)
