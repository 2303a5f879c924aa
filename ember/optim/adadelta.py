"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from . import _kernels as K

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """PyTorch's Adadelta: v ← ρv + (1−ρ)g², Δ = √(u + ε)/√(v + ε) · g,
    u ← ρu + (1−ρ)Δ², θ ← θ − γΔ."""
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "capturable": False}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            rho, eps, wd, maximize = group["rho"], group["eps"], group["weight_decay"], \
                group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0, group, p)
                    st["square_avg"] = _zeros_like(p)
                    st["acc_delta"] = _zeros_like(p)
                _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, wd)
                v, u = K.view(st["square_avg"]._data), K.view(st["acc_delta"]._data)
                xp.multiply(v, rho, out=v)
                K.addcmul_(xp, v, g, g, 1 - rho)
                std = xp.add(v, eps)
                xp.sqrt(std, out=std)
                delta = xp.add(u, eps)
                xp.sqrt(delta, out=delta)
                xp.divide(delta, std, out=delta)
                xp.multiply(delta, g, out=delta)
                xp.multiply(u, rho, out=u)
                K.addcmul_(xp, u, delta, delta, 1 - rho)
                K.add_(xp, a, delta, -lr)
                p._vc[0] += 1
        return loss
