"""Every differentiable op. Each module lists its public functions in `__all__`;
`ember/__init__.py` re-exports them and `ember/_tensor_methods.py` binds the methods."""
from . import (_util, arith, blas, compare, convert, creation, index, misc, pointwise, random,
               reduce, shape, unary)

__all__ = []
for _m in (arith, blas, compare, convert, creation, index, misc, pointwise, random, reduce,
           shape, unary):
    __all__ += _m.__all__
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
del _m
