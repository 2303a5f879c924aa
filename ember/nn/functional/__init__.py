"""ember.nn.functional: the functional form of every layer, activation and loss.

One file per family; each lists its names in `__all__`."""
from . import activation, attention, conv, linear, loss, normalization, pooling, vision

__all__ = []
for _m in (activation, attention, conv, linear, loss, normalization, pooling, vision):
    __all__ += _m.__all__
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
del _m
