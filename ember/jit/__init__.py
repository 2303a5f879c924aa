"""`torch.jit`, as PyTorch behaves with `PYTORCH_JIT=0`: `script` and `trace` hand back the
Python function or module unchanged, so it runs eagerly with the same results, and the
decorators (`ignore`, `unused`, `export`, `script_method`, ...) are pass-throughs. ember has no
TorchScript compiler or serialized-program format: `save`, `load`, `freeze` and the other calls
that need a compiled program raise NotImplementedError.
"""
import contextlib
import warnings

__all__ = ["script", "trace", "trace_module", "script_if_tracing", "ignore", "unused", "export",
           "script_method", "interface", "is_scripting", "is_tracing", "annotate", "Final",
           "Attribute", "save", "load", "freeze", "optimize_for_inference", "fork", "wait",
           "optimized_execution", "ScriptModule", "ScriptFunction", "Error", "TracerWarning",
           "isinstance"]

try:
    from typing import Final       # noqa: F401  (torch.jit.Final is typing's Final)
except ImportError:                # pragma: no cover
    Final = None


class Error(RuntimeError):
    """`torch.jit.Error`."""


class TracerWarning(Warning):
    """`torch.jit.TracerWarning`."""


class ScriptModule:
    """`torch.jit.ScriptModule`: nothing ember makes is one (script returns the module)."""


class ScriptFunction:
    """`torch.jit.ScriptFunction`: nothing ember makes is one (script returns the function)."""


def _no_program(what):
    return NotImplementedError(
        f"torch.jit.{what}: ember has no TorchScript (script/trace run the Python code eagerly, "
        "as PyTorch does with PYTORCH_JIT=0), so there is no compiled program to "
        f"{'save or load' if what in ('save', 'load') else 'work with'}; save the state_dict "
        "with torch.save instead")


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """The function, module or class itself, run eagerly."""
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """`func` itself (a function or module), run eagerly on each call."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


def script_if_tracing(fn):
    return fn


def ignore(drop=False, **kwargs):
    """`@torch.jit.ignore` / `@torch.jit.ignore(drop=True)`: a pass-through."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def script_method(fn):
    return fn


def interface(obj):
    return obj


def is_scripting():
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


def Attribute(value, type=None):   # noqa: A002 (PyTorch's argument name)
    return value


isinstance = isinstance   # noqa: A001  (torch.jit.isinstance is the builtin outside TorchScript)


def fork(func, *args, **kwargs):
    """Runs `func` now; `wait` returns its result (PyTorch's eager fallback)."""
    return _Done(func(*args, **kwargs))


class _Done:
    def __init__(self, value):
        self.value = value

    def wait(self):
        return self.value


def wait(future):
    return future.wait()


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


def save(m, f, _extra_files=None):
    raise _no_program("save")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise _no_program("load")


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    raise _no_program("freeze")


def optimize_for_inference(mod, other_methods=None):
    raise _no_program("optimize_for_inference")
