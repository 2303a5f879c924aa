"""Internals of the DataLoader: collation, fetching, worker processes and the transport of
batches between processes."""
import atexit
import sys
import traceback

# How long a worker waits for an index before checking that its parent is still alive.
MP_STATUS_CHECK_INTERVAL = 5.0

# Set at interpreter exit: iterators then leave their workers to multiprocessing's own
# clean-up instead of talking to them from half torn-down modules.
python_exit_status = False


def _set_python_exit_flag():
    global python_exit_status
    python_exit_status = True


atexit.register(_set_python_exit_flag)


class KeyErrorMessage(str):
    """A str whose repr is itself: KeyError reprs its argument, which would print a
    traceback as one line full of escaped newlines."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception and its formatted traceback, picklable, to re-raise in another process
    as "Caught ValueError in DataLoader worker process 0.\\nOriginal Traceback ..."."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        # the traceback object itself is not kept: it would pin every frame's locals
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # exception types whose constructor wants other arguments
            raise RuntimeError(msg) from None
        raise exception


from . import collate, fetch, transport, worker  # noqa: E402,F401
