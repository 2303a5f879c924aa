"""The CPU backend: NumPy arrays."""
import numpy as np


class CPUBackend:
    name = "cpu"
    xp = np

    @staticmethod
    def asarray(array, dev=None):
        """Bring an array of any backend to host memory (no copy for NumPy arrays)."""
        if isinstance(array, np.ndarray):
            return array
        get = getattr(array, "get", None)   # cupy.ndarray -> numpy
        if get is not None:
            return get()
        return np.asarray(array)

    @staticmethod
    def to_numpy(array):
        return array


backend = CPUBackend()


# ---------------------------------------------------------------- glibc malloc tuning
# Training allocates and frees the same large temporaries every step. glibc serves blocks
# over its (dynamic) mmap threshold with fresh mmap()s and gives freed heap tops back to the
# OS, so each step page-faults those arrays in again: ~3,000 faults and ~8% of a small
# ResNet's CPU time here. Like PyTorch's caching allocators, keep that memory in the process:
# blocks up to 32 MB come from the heap and up to 256 MB of free heap top is kept.
# EMBER_MALLOC_TUNING=0 leaves malloc as it is.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def _tune_malloc():
    import os
    if os.environ.get("EMBER_MALLOC_TUNING", "1") == "0":
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (ValueError, OSError, AttributeError):
        return False   # not glibc (macOS, Windows, musl)
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20) and
                mallopt(_M_TRIM_THRESHOLD, 256 << 20) and mallopt(_M_TOP_PAD, 64 << 20))


malloc_tuned = _tune_malloc()
