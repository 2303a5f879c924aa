"""nn modules; each family in its own file, each listing its names in `__all__`."""
from .module import Module
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from . import (activation, channelshuffle, conv, distance, dropout, flatten, fold, linear, loss,
               normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer,
               upsampling)

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
for _m in (activation, channelshuffle, conv, distance, dropout, flatten, fold, linear, loss,
           normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer, upsampling):
    __all__ += _m.__all__
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
del _m
