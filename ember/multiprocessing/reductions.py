"""How multiprocessing pickles ember tensors: as handles to shared memory, not as bytes.

`init_reductions()` registers a reducer with `multiprocessing.reduction.ForkingPickler`, the
pickler multiprocessing uses for spawn/forkserver process arguments, queues, pipes and
pools (plain `pickle` and `torch.save` are unaffected).  As in PyTorch, a CPU tensor pickled
there is first moved into shared memory (`share_memory_()`, in place), then sent as a
duplicate of its buffer's file descriptor plus dtype, shape, strides and offset; the
receiver maps the same memory, so both processes see each other's in-place writes.
"""
from multiprocessing.reduction import DupFd, ForkingPickler

from .. import _shared_memory
from ..tensor import Tensor, _make

__all__ = ["init_reductions", "reduce_tensor", "rebuild_tensor"]


def rebuild_tensor(cls, fd_handle, size, offset, dtype, shape, strides, device,
                   requires_grad):
    fd = fd_handle.detach()
    arr = _shared_memory.from_shared_handle(fd, size, offset, dtype, shape, strides)
    t = _make(arr, device)
    if cls is Tensor:
        t._requires_grad = requires_grad
        return t
    from ..nn.parameter import Parameter
    if issubclass(cls, Parameter):
        return cls(t, requires_grad)
    return Tensor._make_subclass(cls, t, requires_grad)


def reduce_tensor(tensor):
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
            "autograd does not support crossing process boundaries.  If you just want to "
            "transfer the data, call detach() on the tensor before serializing (e.g., putting "
            "it on the queue).")
    if tensor._device.type != "cpu":
        # no CUDA IPC in ember: a CUDA tensor crosses as a copy (see docs/compat.md)
        return tensor.__reduce_ex__(4)
    tensor.share_memory_()
    a = tensor._data
    fd, size, offset = _shared_memory.shared_handle(a)
    return (rebuild_tensor, (type(tensor), DupFd(fd), size, offset, a.dtype, a.shape,
                             a.strides, tensor._device, tensor._requires_grad))


def _subclasses(cls):
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


def init_reductions():
    """Register reduce_tensor for Tensor and its subclasses defined so far (the pickler picks
    reducers by exact type). Idempotent."""
    from ..nn import parameter     # noqa: F401  (Parameter, Buffer, UninitializedParameter)
    for cls in _subclasses(Tensor):
        ForkingPickler.register(cls, reduce_tensor)
