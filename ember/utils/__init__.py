"""ember.utils: `data` (Dataset, DataLoader, ...), `safetensors`, `tensorboard`
(SummaryWriter), `checkpoint` (activation checkpointing) and `viz` (make_dot), each imported
on first use (PEP 562): `ember.utils.data`, `import ember.utils.data` and `from ember.utils
import data` all work as with eager imports."""
_LAZY_SUBMODULES = ("benchmark", "data", "safetensors", "tensorboard", "checkpoint", "viz")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module("." + name, __name__)   # binds it in globals() too
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
