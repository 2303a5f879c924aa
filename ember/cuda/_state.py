"""Shared helpers of ember.cuda: the CuPy module, the availability check, device indices.

Every CuPy call of ember.cuda goes through `cupy()` (a plain `import cupy`), so CPU-only tests
can put a stand-in module into `sys.modules['cupy']` and check how ember drives it."""
from ..backends import cuda as _backend


def cupy():
    import cupy as _cp
    return _cp


def available():
    return _backend.is_available()


def require():
    """PyTorch's lazy-init error (AssertionError) when ember can't use CUDA here."""
    if not available():
        raise _backend._lazy_init_error()


_current = [0]


def current_index():
    """The current CUDA device index (0 until set_device); no GPU needed to ask."""
    return _current[0]


def device_index(device, optional=False):
    """`torch.cuda._get_device_index`: int, 'cuda:1', device('cuda', 1) -> 1; a CUDA device
    without an index (or None with optional=True) means the current device."""
    from ..device import device as _device
    if isinstance(device, str):
        device = _device(device)
    if isinstance(device, _device):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        if device.index is None:
            if not optional:
                raise ValueError(f"Expected a torch.device with a specified index or an "
                                 f"integer, but got:{device}")
            return current_index() if available() else None
        return device.index
    if device is None:
        if not optional:
            raise ValueError("Expected a torch.device with a specified index or an integer, "
                             "but got:None")
        # PyTorch's CPU build answers None here (no current device to name)
        return current_index() if available() else None
    if isinstance(device, bool) or not isinstance(device, int):
        raise ValueError(f"Expected a torch.device with a specified index or an integer, "
                         f"but got:{device}")
    return device
