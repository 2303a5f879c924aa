"""RMSprop (optionally centered, optionally with momentum)."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from . import _kernels as K

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """PyTorch's RMSprop: v ← αv + (1−α)g², d = √(v − ḡ²) (centered) or √v, plus ε;
    θ ← θ − γ g/d, or with momentum b ← μb + g/d, θ ← θ − γb."""
    _group_setdefaults = {"momentum": 0, "centered": False, "foreach": None,
                          "maximize": False, "differentiable": False, "capturable": False}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0, group, p)
                    st["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        st["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        st["grad_avg"] = _zeros_like(p)
                _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, wd)
                v = K.view(st["square_avg"]._data)
                xp.multiply(v, alpha, out=v)
                K.addcmul_(xp, v, g, g, 1 - alpha)
                if centered:
                    ga = K.view(st["grad_avg"]._data)
                    K.lerp_(xp, ga, g, 1 - alpha)
                    avg = v.copy()
                    K.addcmul_(xp, avg, ga, ga, -1)
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(v)
                xp.add(avg, eps, out=avg)
                if momentum > 0:
                    buf = K.view(st["momentum_buffer"]._data)
                    xp.multiply(buf, momentum, out=buf)
                    K.addcdiv_(xp, buf, g, avg, 1)
                    K.add_(xp, a, buf, -lr)
                else:
                    K.addcdiv_(xp, a, g, avg, -lr)
                p._vc[0] += 1
        return loss
