"""Page-locked ("pinned") host memory for `Tensor.pin_memory()` / `is_pinned()`.

A pinned tensor is a CPU tensor whose NumPy array lives in a block from CuPy's pinned-memory
pool (`cupy.cuda.alloc_pinned_memory`), so host-to-GPU copies from it run at full PCIe/NVLink
speed. Without CUDA, pin_memory raises PyTorch's error and nothing is pinned."""
import numpy as np

from . import _state


def _pinned_block(array):
    """The CuPy pinned block under `array` (following NumPy's view bases), or None."""
    if not _state.available():
        return None
    kind = _state.cupy().cuda.PinnedMemoryPointer
    base = array
    while base is not None:
        if isinstance(base, kind):
            return base
        # np.frombuffer keeps a memoryview of the block as the array's base
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return None


def is_pinned(array):
    return isinstance(array, np.ndarray) and _pinned_block(array) is not None


def pinned_copy(array):
    """A C-contiguous copy of `array` in pinned host memory."""
    cp = _state.cupy()
    n = max(array.nbytes, 1)
    block = cp.cuda.alloc_pinned_memory(n)
    out = np.frombuffer(block, dtype=array.dtype, count=array.size).reshape(array.shape)
    np.copyto(out, array, casting="no")
    return out


def pin(t):
    """`Tensor.pin_memory()`: t itself when already pinned, else a pinned copy (detached)."""
    if not _state.available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if t._device.type != "cpu":
        raise RuntimeError(f"cannot pin '{t.type()}' only dense CPU tensors can be pinned")
    if is_pinned(t._data):
        return t
    from ..tensor import _make
    return _make(pinned_copy(t._data), t._device)
