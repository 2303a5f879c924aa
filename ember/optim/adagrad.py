"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _full_like, _inc_step)
from . import _kernels as K

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """PyTorch's Adagrad: γₜ = γ / (1 + (t−1)·decay), s ← s + g², θ ← θ − γₜ g / (√s + ε)."""
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "fused": None}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        # Unlike the other optimizers, Adagrad creates its state eagerly.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], group, p, initial_accumulator_value)

    @staticmethod
    def _init_state(st, group, p, init):
        st["step"] = _scalar_state(0.0, group, p, is_fused=group["fused"])
        if p.dtype.is_complex:
            init = complex(init, init)
        st["sum"] = _full_like(p, init)

    def share_memory(self):
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["sum"].share_memory_()

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            lr_decay, eps, wd = group["lr_decay"], group["eps"], group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    self._init_state(st, group, p, self.defaults["initial_accumulator_value"])
                step = _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = K.view(st["sum"]._data)
                K.addcmul_(xp, s, g, g, 1)
                std = xp.sqrt(s)
                xp.add(std, eps, out=std)
                K.addcdiv_(xp, a, g, std, -clr)
                p._vc[0] += 1
        return loss
