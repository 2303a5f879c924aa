"""Names torchaudio has that ember.audio does not build: touching one raises
NotImplementedError saying so, instead of an AttributeError that reads like a typo."""


def module_getattr(module_name, unbuilt):
    """A module-level `__getattr__` for `module_name` that raises NotImplementedError for the
    names in `unbuilt` and AttributeError for anything else."""
    def __getattr__(name):
        if name in unbuilt:
            raise NotImplementedError(
                f"{module_name}.{name} (torchaudio API) is not implemented in ember.audio")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    return __getattr__
