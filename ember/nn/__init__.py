"""ember.nn: modules, parameters, functional, init, utils."""
from .parameter import Parameter, Buffer, UninitializedParameter
from .modules import *  # noqa: F401,F403
from . import functional, init, utils
