"""`torch.backends.openmp`: ember's kernels are NumPy's (threaded, where at all, by its BLAS
library), not OpenMP loops, so this is False (PyTorch's CPU build says True)."""

__all__ = ["is_available"]


def is_available():
    return False
