"""NAdam: Adam with Nesterov momentum (and the momentum-decay schedule of Dozat 2016)."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from .adam import _check_betas
from . import _kernels as K

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """PyTorch's NAdam: μₜ = β₁(1 − ½·0.96^(tψ)), m and v as in Adam, and
    θ ← θ − γ(1−μₜ)/(1−Πμ) · g/d − γμₜ₊₁/(1−Πμ·μₜ₊₁) · m/d, d = √(v/(1−β₂ᵗ)) + ε."""
    _group_setdefaults = {"maximize": False, "foreach": None, "capturable": False,
                          "differentiable": False, "decoupled_weight_decay": False}
    _tensor_scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
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
            psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0, group, p)
                    st["mu_product"] = _scalar_state(1.0, group, p)
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
                bias_correction2 = 1 - beta2 ** step
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                # The product is a float32 (or float64) state tensor: it rounds every step.
                mp = st["mu_product"]
                mp._data *= mu
                mp._vc[0] += 1
                mu_product = mp.item()
                K.lerp_(xp, m, g, 1 - beta1)
                xp.multiply(v, beta2, out=v)
                K.addcmul_(xp, v, g, g, 1 - beta2)
                denom = xp.divide(v, bias_correction2)
                xp.sqrt(denom, out=denom)
                xp.add(denom, eps, out=denom)
                mu_product_next = mu_product * mu_next
                K.addcdiv_(xp, a, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                K.addcdiv_(xp, a, m, denom, -lr * mu_next / (1.0 - mu_product_next))
                p._vc[0] += 1
        return loss
