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
