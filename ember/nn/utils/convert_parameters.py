"""parameters_to_vector / vector_to_parameters: one flat vector for a list of parameters."""
from ...tensor import Tensor
from ...ops import shape as _shape

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param, old_param_device):
    """-1 for CPU, the GPU index otherwise; two parameters on different devices raise."""
    dev = param.device
    index = (dev.index or 0) if dev.type != "cpu" else -1
    if old_param_device is None:
        return index
    if index != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return old_param_device


def parameters_to_vector(parameters):
    """Flatten `parameters` into one 1-D tensor (differentiable w.r.t. them)."""
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.view(-1))
    return _shape.cat(vec)


def vector_to_parameters(vec, parameters):
    """Make each parameter's data the matching slice of `vec` (sharing its memory)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param


def _typename(obj):
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
