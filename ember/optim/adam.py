"""Adam (and AMSGrad; AdamW is Adam with decoupled weight decay)."""
from ..tensor import Tensor
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from . import _kernels as K

__all__ = ["Adam"]


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


class Adam(Optimizer):
    """PyTorch's Adam: m ← lerp(m, g, 1−β₁), v ← β₂v + (1−β₂)g²,
    θ ← θ − (γ / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε), with `amsgrad` using max(v) and
    `decoupled_weight_decay` (AdamW) shrinking θ by (1 − γλ) instead of adding λθ to g."""
    _group_setdefaults = {"amsgrad": False, "maximize": False, "foreach": None,
                          "capturable": False, "differentiable": False,
                          "decoupled_weight_decay": False, "fused": None}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b
                      for b in betas)
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _init_state(self, st, group, p):
        st["step"] = _scalar_state(0.0, group, p, is_fused=group["fused"])
        st["exp_avg"] = _zeros_like(p)
        st["exp_avg_sq"] = _zeros_like(p)
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = _zeros_like(p)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = (_to_scalar(b) for b in group["betas"])
            wd, eps = _to_scalar(group["weight_decay"]), group["eps"]
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    self._init_state(st, group, p)
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
                step_size = lr / bias_correction1
                if amsgrad:
                    vmax = K.view(st["max_exp_avg_sq"]._data)
                    xp.maximum(vmax, v, out=vmax)
                    denom = xp.sqrt(vmax)
                else:
                    denom = xp.sqrt(v)
                xp.divide(denom, bias_correction2 ** 0.5, out=denom)
                xp.add(denom, eps, out=denom)
                K.addcdiv_(xp, a, m, denom, -step_size)
                p._vc[0] += 1
        return loss
