"""ember.autograd: the graph engine's public face."""
import numpy as _np

from . import grad_mode
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
                        inference_mode, is_inference_mode_enabled)
from .function import Function, once_differentiable, FunctionCtx
from .engine import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, run_backward
from .gradcheck import gradcheck, gradgradcheck
from .. import tensor as _tensor_mod

Tensor = _tensor_mod.Tensor

__all__ = ["backward", "grad", "Function", "Variable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "once_differentiable"]


def _tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, is_grads_batched=False):
    res = []
    for i, out in enumerate(outputs):
        g = grads[i] if grads is not None and i < len(grads) else None
        if g is None:
            if out._requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not (out.dtype.is_floating_point or out.dtype.is_complex):
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
                a = out._data
                g = _tensor_mod._make(_xp(out._device).ones(a.shape, a.dtype), out._device)
            res.append(g)
            continue
        if not isinstance(g, Tensor):
            from ..ops.creation import tensor as _t
            g = _t(g, dtype=out.dtype, device=out.device)
        if g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"torch.Size({list(g.shape)}) and output[{i}] has a shape of "
                               f"torch.Size({list(out.shape)}).")
        if g.dtype.is_complex != out.dtype.is_complex:
            raise RuntimeError(f"For complex Tensors, both grad_output and output are required "
                               f"to have the same dtype. Mismatch in dtype: grad_output[{i}] has "
                               f"a dtype of {g.dtype} and output[{i}] has a dtype of {out.dtype}.")
        res.append(g)
    return res


def _xp(dev):
    if dev.type == "cpu":
        return _np
    from ..backends import get_backend
    return get_backend(dev).xp


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' `.grad`."""
    tensors = _tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grad_tensors = _tuple(grad_tensors) if grad_tensors is not None else None
    if inputs is not None:
        inputs = _tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    for t in tensors:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn")
    grads = _make_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, capture=False)


_tensor_mod._autograd_backward[0] = backward   # Tensor.backward calls it without an import


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any `.grad`."""
    outputs = _tuple(outputs)
    inputs_t = _tuple(inputs)
    grad_outputs = _tuple(grad_outputs) if grad_outputs is not None else None
    if allow_unused is None:
        allow_unused = materialize_grads
    for o in outputs:
        if not o._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn")
    grads = _make_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_t,
                       capture=True, allow_unused=allow_unused)
    if materialize_grads:
        from ..ops import creation
        res = [creation.zeros_like(x) if r is None else r for r, x in zip(res, inputs_t)]
    return tuple(res)


def _variable(data, requires_grad=False, volatile=False):
    """The pre-0.4 wrapper: today it returns the tensor itself, as PyTorch's does."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if requires_grad:
        data.requires_grad_(True)
    return data


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


# `isinstance(x, autograd.Variable)` is true for every Tensor, as in PyTorch.
class _VariableClass(metaclass=_VariableMeta):
    def __new__(cls, data, requires_grad=False, volatile=False):
        return _variable(data, requires_grad, volatile)


Variable = _VariableClass
Variable._execution_engine = engine._execution_engine   # queue_callback, as in PyTorch
_is_checkpoint_valid = engine.is_checkpoint_valid   # torch.autograd._is_checkpoint_valid
variable = Variable
from . import functional  # noqa: E402  (jacobian, hessian, vjp, jvp, hvp, vhp)
