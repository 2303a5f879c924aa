"""Grad-mode switches. The flag is process-global (a one-element list read on every op) rather
than thread-local: reading it must cost next to nothing. Threads that flip it race."""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]

_enabled = [True]
_inference = [False]
_anomaly = [False, True]   # detect_anomaly: [enabled, check_nan]


def is_grad_enabled():
    return _enabled[0]


class _GradModeContext:
    """Context manager and decorator, like PyTorch's `_DecoratorContextManager`."""

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError("use the context manager on functions, not classes")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return func(*args, **kwargs)
        return wrapper

    _args = ()

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_GradModeContext):
    def __init__(self):
        self._prev = None

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = False

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False


class enable_grad(_GradModeContext):
    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = True

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False


class set_grad_enabled(_GradModeContext):
    """Sets the mode immediately (usable as a plain call) and restores it on `__exit__`."""

    def __init__(self, mode):
        self._args = (mode,)
        self._prev = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, func):
        _enabled[0] = self._prev   # used as a decorator: undo the eager switch
        return super().__call__(func)


class inference_mode(_GradModeContext):
    """Like no_grad (ember has no separate inference tensors); `inference_mode(False)` is a no-op."""

    def __init__(self, mode=True):
        self._args = (mode,)
        self.mode = mode

    def __enter__(self):
        self._prev = (_enabled[0], _inference[0])
        if self.mode:
            _enabled[0] = False
            _inference[0] = True

    def __exit__(self, *exc):
        _enabled[0], _inference[0] = self._prev
        return False


def is_inference_mode_enabled():
    return _inference[0]
