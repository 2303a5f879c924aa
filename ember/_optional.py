"""Optional dependencies, imported on first use so `import ember` stays fast (SciPy alone
would add ~0.1 s to every start)."""
import importlib
import importlib.util


class _LazyModule:
    def __init__(self, name):
        self.__dict__["_name"] = name
        self.__dict__["_module"] = None

    def __getattr__(self, attr):
        mod = self.__dict__["_module"]
        if mod is None:
            mod = self.__dict__["_module"] = importlib.import_module(self.__dict__["_name"])
        return getattr(mod, attr)


def lazy_import(name):
    """A proxy importing module `name` on first attribute access; None if its top-level
    package isn't installed (checked without importing it)."""
    try:
        spec = importlib.util.find_spec(name.partition(".")[0])
    except (ImportError, ValueError):
        spec = None
    return _LazyModule(name) if spec is not None else None
