"""Stochastic gradient descent (optionally with momentum / Nesterov momentum)."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _zeros_like)
from . import _kernels as K

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD: with momentum μ and dampening τ,
    b ← μ b + (1 − τ) g (b₁ = g), g ← g + μ b (Nesterov) or b, θ ← θ − γ g."""
    _group_setdefaults = {"nesterov": False, "maximize": False, "foreach": None,
                          "differentiable": False, "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            wd = _to_scalar(group["weight_decay"])
            momentum, dampening = group["momentum"], group["dampening"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, wd)
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:   # the first buffer is the gradient itself
                        st["momentum_buffer"] = buf = _zeros_like(p)
                        b = K.view(buf._data)
                        b[...] = g
                    else:
                        b = K.view(buf._data)
                        xp.multiply(b, momentum, out=b)
                        K.add_(xp, b, g, 1 - dampening)
                    if nesterov:
                        g = xp.add(g, xp.multiply(b, momentum))
                    else:
                        g = b
                K.add_(xp, a, g, -lr)
                p._vc[0] += 1
        return loss
