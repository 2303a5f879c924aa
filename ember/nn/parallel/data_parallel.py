"""`DataParallel`, as PyTorch's on the devices ember has: without a GPU it keeps the module
and calls it unchanged; with one GPU it moves the module and the inputs there. Splitting a
batch over several GPUs in one process is not implemented: use DistributedDataParallel with
one process per GPU (which is also what PyTorch recommends)."""
from ..modules.module import Module
from .distributed import _to_device

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        from ... import cuda
        self.module = module
        self.dim = dim
        if not cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        ids = [d if isinstance(d, int) else (d.index or 0) for d in device_ids]
        if output_device is None:
            output_device = ids[0]
        self.device_ids = ids
        self.output_device = output_device if isinstance(output_device, int) else \
            (output_device.index or 0)
        from ...device import device
        self.src_device_obj = device("cuda", ids[0])
        if len(ids) > 1:
            raise NotImplementedError(
                "DataParallel over several GPUs is not implemented in ember: use "
                "DistributedDataParallel with one process per GPU (python -m "
                "ember.distributed.run --nproc-per-node N, backend 'nccl')")
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of "
                                   f"them on device: {t.device}")
        inputs, kwargs = _to_device((inputs, kwargs), self.src_device_obj)
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Functional DataParallel: ``module(*inputs, **module_kwargs)`` on GPU device_ids[0].

    As in PyTorch, it needs a GPU ("device type could not be determined" without one) and the
    module's parameters and buffers on device_ids[0]; with one device the inputs move there
    and the output stays there.  Several devices raise NotImplementedError (see DataParallel)."""
    from ... import cuda
    from ...device import device
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    if device_ids is None:
        device_ids = list(range(cuda.device_count()))
    ids = [d if isinstance(d, int) else (d.index or 0) for d in device_ids]
    src = device("cuda", ids[0])
    for t in list(module.parameters()) + list(module.buffers()):
        if t.device != src:
            raise RuntimeError(f"module must have its parameters and buffers on device {src} "
                               f"(device_ids[0]) but found one of them on device: {t.device}")
    if len(ids) > 1:
        raise NotImplementedError(
            "data_parallel over several GPUs is not implemented in ember: use "
            "DistributedDataParallel with one process per GPU")
    inputs, kwargs = _to_device((inputs, module_kwargs or {}), src)
    return module(*inputs, **kwargs)
