"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from .adam import _check_betas
from . import _kernels as K

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """PyTorch's RAdam: with ρ∞ = 2/(1−β₂) − 1 and ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ), the Adam step is
    scaled by the rectification r when ρₜ > 5, and is plain momentum SGD otherwise."""
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "decoupled_weight_decay": False, "capturable": False}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0, group, p)
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                step = _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize,
                                0 if decoupled else wd)
                if wd != 0 and decoupled:
                    xp.multiply(a, 1 - lr * wd, out=a)
                m, v = K.view(st["exp_avg"]._data), K.view(st["exp_avg_sq"]._data)
                K.lerp_(xp, m, g, 1 - beta1)
                xp.multiply(v, beta2, out=v)
                K.addcmul_(xp, v, g, g, 1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                upd = xp.divide(m, bias_correction1)
                xp.multiply(upd, lr, out=upd)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                if rho_t > 5.0:
                    adaptive = xp.sqrt(v)
                    xp.add(adaptive, eps, out=adaptive)
                    xp.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
                    xp.multiply(upd, adaptive, out=upd)
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    xp.multiply(upd, rect, out=upd)
                xp.subtract(a, upd, out=a)
                p._vc[0] += 1
        return loss
