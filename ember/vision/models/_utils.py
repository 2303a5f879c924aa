"""Helpers shared by the model builders (torchvision's `models._utils`)."""
import functools
import inspect
import warnings
from collections import OrderedDict

from ember import nn

from ._api import WeightsEnum


def sequence_to_str(seq, separate_last=""):
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join([str(item) for item in seq[:-1]]) + "'"
    tail = f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"
    return head + tail


class IntermediateLayerGetter(nn.ModuleDict):
    """Runs `model`'s direct children in registration order up to the last one named in
    `return_layers` ({child name: output name}) and returns those children's outputs in an
    OrderedDict."""

    _version = 2

    def __init__(self, model, return_layers):
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            if name in return_layers:
                del return_layers[name]
            if not return_layers:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


def _make_divisible(v, divisor, min_value=None):
    """`v` rounded to the nearest multiple of `divisor` (at least `min_value`, default
    `divisor`), rounded up instead where rounding down would lose more than 10% (the rule of
    TensorFlow's slim MobileNet, which MobileNet's channel widths follow)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def kwonly_to_pos_or_kw(fn):
    """Let `fn`'s keyword-only parameters also be passed positionally, with a warning (old
    builders took `pretrained` and `progress` positionally)."""
    params = inspect.signature(fn).parameters
    try:
        kw_start = next(i for i, p in enumerate(params.values()) if p.kind == p.KEYWORD_ONLY)
    except StopIteration:
        raise TypeError(f"Found no keyword-only parameter on function '{fn.__name__}'") from None
    kw_names = tuple(params)[kw_start:]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args, kw_args = args[:kw_start], args[kw_start:]
        if kw_args:
            kw_kwargs = dict(zip(kw_names, kw_args))
            warnings.warn(
                f"Using {sequence_to_str(tuple(kw_kwargs.keys()), separate_last='and ')} as "
                f"positional parameter(s) is deprecated since 0.13 and may be removed in the "
                f"future. Please use keyword parameter(s) instead.")
            kwargs.update(kw_kwargs)
        return fn(*args, **kwargs)
    return wrapper


def handle_legacy_interface(**weights):
    """Builder decorator for the pre-0.13 interface: `pretrained=True/False` (also passed
    positionally) becomes `weights=<default>/None` with a deprecation warning.

    `weights` maps the new parameter name to (legacy parameter name, default weights for
    `pretrained=True`); the default may be a callable taking the keyword arguments.
    """
    def outer_wrapper(builder):
        @kwonly_to_pos_or_kw
        @functools.wraps(builder)
        def inner_wrapper(*args, **kwargs):
            for weights_param, (pretrained_param, default) in weights.items():
                sentinel = object()
                weights_arg = kwargs.get(weights_param, sentinel)
                if ((weights_param not in kwargs and pretrained_param not in kwargs)
                        or isinstance(weights_arg, WeightsEnum)
                        or (isinstance(weights_arg, str) and weights_arg != "legacy")
                        or weights_arg is None):
                    continue

                # A positional `pretrained` lands in `weights` through kwonly_to_pos_or_kw.
                pretrained_positional = weights_arg is not sentinel
                if pretrained_positional:
                    kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
                else:
                    pretrained_arg = kwargs[pretrained_param]

                if pretrained_arg:
                    default_weights_arg = default(kwargs) if callable(default) else default
                    if not isinstance(default_weights_arg, WeightsEnum):
                        raise ValueError(f"No weights available for model {builder.__name__}")
                else:
                    default_weights_arg = None

                if not pretrained_positional:
                    warnings.warn(
                        f"The parameter '{pretrained_param}' is deprecated since 0.13 and may be "
                        f"removed in the future, please use '{weights_param}' instead.")

                msg = (f"Arguments other than a weight enum or `None` for '{weights_param}' are "
                       f"deprecated since 0.13 and may be removed in the future. The current "
                       f"behavior is equivalent to passing `{weights_param}={default_weights_arg}`.")
                if pretrained_arg:
                    msg = (f"{msg} You can also use `{weights_param}="
                           f"{type(default_weights_arg).__name__}.DEFAULT` to get the most "
                           f"up-to-date weights.")
                warnings.warn(msg)

                del kwargs[pretrained_param]
                kwargs[weights_param] = default_weights_arg
            return builder(*args, **kwargs)
        return inner_wrapper
    return outer_wrapper


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _ovewrite_value_param(param, actual, expected):
    if actual is not None:
        if actual != expected:
            raise ValueError(f"The parameter '{param}' expected value {expected} but got "
                             f"{actual} instead.")
    return expected
