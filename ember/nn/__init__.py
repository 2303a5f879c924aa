"""ember.nn: modules, parameters, functional, init, utils.

`parameter` and `functional` load with the package (Tensor's methods are bound to the
functional ops); the module classes (`nn.modules`, re-exported here), `nn.init` and
`nn.utils` load on first use (PEP 562), which keeps `import ember` fast. None of them binds
anything or sets global state when imported, so when they load makes no difference:
`ember.nn.Linear`, `from ember.nn import Linear`, `from ember.nn import *`, `dir(ember.nn)`
and unpickling modules all import them on demand.
"""
from .parameter import Parameter, Buffer, UninitializedParameter
from . import functional

_LAZY_SUBMODULES = ("init", "modules", "parallel", "utils")


def _load_all():
    """Import every lazy part and bind its names here, as the eager imports used to."""
    import importlib
    modules = importlib.import_module(".modules", __name__)
    for name in modules.__all__:
        globals().setdefault(name, getattr(modules, name))
    for sub in _LAZY_SUBMODULES:
        importlib.import_module("." + sub, __name__)
    globals().setdefault("DataParallel", globals()["parallel"].DataParallel)


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module("." + name, __name__)   # binds it in globals() too
    if name.startswith("__"):
        if name == "__all__":
            # `from ember.nn import *` asks for __all__ first: load everything, then let it
            # fall back (as before, with no __all__) to every public name in the namespace
            _load_all()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _load_all()
    if name in globals():
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    _load_all()
    return sorted(globals())
