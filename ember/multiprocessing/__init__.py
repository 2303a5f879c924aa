"""`torch.multiprocessing`: Python's `multiprocessing`, plus tensors that cross process
boundaries as shared memory.

Everything in the standard library's `multiprocessing` is re-exported (Process, Queue, Pool,
get_context, set_start_method, ...).  Importing this module registers reducers so that
tensors pickled by multiprocessing (spawn/forkserver process arguments, queues, pipes) are
moved into shared memory and sent as handles (see `reductions` and `ember._shared_memory`):
with `model.share_memory()` several processes train one model in place (Hogwild), whatever
the start method.  `spawn()` / `start_processes()` run a function in several processes.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from . import reductions  # noqa: F401  (torch.multiprocessing.reductions)
from .reductions import init_reductions
from .spawn import (ProcessContext, ProcessException, ProcessExitedException,
                    ProcessRaisedException, SpawnContext, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "init_reductions", "spawn", "start_processes", "ProcessContext",
           "ProcessException", "ProcessExitedException", "ProcessRaisedException",
           "SpawnContext"]
__all__ += multiprocessing.__all__

# ember always shares by file descriptor (memory with no name, which cannot leak). PyTorch's
# 'file_system' strategy (named segments) is accepted for compatibility and shares the same
# way; the difference is invisible to programs.
_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Set the strategy for sharing CPU tensors (one of get_all_sharing_strategies())."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    return _sharing_strategy


def get_all_sharing_strategies():
    return _all_sharing_strategies


init_reductions()
