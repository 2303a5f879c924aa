"""ember.cpu: torch.cpu's device queries (the CPU is always there) and `ember.cpu.amp`."""
from . import amp  # noqa: F401

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "set_device",
           "device_count"]


def is_available():
    return True


def is_initialized():
    return True


def synchronize(device=None):
    """CPU work is synchronous: nothing to wait for."""


def current_device():
    return "cpu"


def set_device(device):
    """There is one CPU device: a no-op, as in PyTorch."""


def device_count():
    return 1
