"""Every differentiable op. Each module lists its public functions in `__all__`;
`ember/__init__.py` re-exports them and `ember/_tensor_methods.py` binds the methods."""
from . import _util, arith, convert, creation
from .arith import *  # noqa: F401,F403
from .convert import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403

__all__ = arith.__all__ + convert.__all__ + creation.__all__
