"""The CUDA backend: CuPy arrays. CuPy is imported only when a CUDA device is first used."""

_available = None


def is_available():
    """True when CuPy imports and sees at least one GPU. Never raises."""
    global _available
    if _available is None:
        try:
            import cupy
            _available = cupy.cuda.runtime.getDeviceCount() > 0
        except Exception:
            _available = False
    return _available


def _lazy_init_error():
    return AssertionError("Torch not compiled with CUDA enabled" if not _cupy_importable()
                          else "Found no NVIDIA driver on your system. Please check that you "
                               "have an NVIDIA GPU and installed a driver")


def _cupy_importable():
    try:
        import cupy  # noqa: F401
        return True
    except Exception:
        return False


class CUDABackend:
    name = "cuda"

    def __init__(self, cupy):
        self.xp = cupy

    def asarray(self, array, dev=None):
        idx = 0 if dev is None or dev.index is None else dev.index
        with self.xp.cuda.Device(idx):
            return self.xp.asarray(array)

    def to_numpy(self, array):
        return self.xp.asnumpy(array)


# ---------------------------------------------------------------- torch.backends.cuda
# This module is also `torch.backends.cuda` for scripts: `matmul.allow_tf32` and friends.
def is_built():
    """Whether ember could run CUDA here at all: CuPy imports (PyTorch: built with CUDA)."""
    return _cupy_importable()


from ._flags import CuBLASFlags as _CuBLASFlags   # noqa: E402

matmul = _CuBLASFlags()


def load_backend():
    if not is_available():
        raise _lazy_init_error()
    import cupy
    from ..cuda import memory
    memory._install_tracker()   # peak memory statistics count from the first CUDA tensor on
    return CUDABackend(cupy)
