"""Adamax: Adam with the infinity norm in place of the second moment."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from .adam import _check_betas
from . import _kernels as K

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """PyTorch's Adamax: m ← lerp(m, g, 1−β₁), u ← max(β₂u, |g| + ε),
    θ ← θ − (γ / (1−β₁ᵗ)) · m / u."""
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "capturable": False}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0, group, p)
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_inf"] = _zeros_like(p)
                step = _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, wd)
                m, u = K.view(st["exp_avg"]._data), K.view(st["exp_inf"]._data)
                K.lerp_(xp, m, g, 1 - beta1)
                xp.multiply(u, beta2, out=u)
                absg = xp.abs(g)
                xp.add(absg, eps, out=absg)
                xp.maximum(u, absg, out=u)
                clr = lr / (1 - beta1 ** step)
                K.addcdiv_(xp, a, m, u, -clr)
                p._vc[0] += 1
        return loss
