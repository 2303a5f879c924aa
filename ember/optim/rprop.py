"""Rprop: resilient backpropagation (sign-based steps with adaptive step sizes)."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _full_like,
                        _inc_step)
from . import _kernels as K

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """PyTorch's Rprop: each step size grows by η₊ while the gradient keeps its sign and
    shrinks by η₋ when it flips (that step then skips the coordinate), clamped to
    `step_sizes`; θ ← θ − sign(g)·step."""
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "capturable": False}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0, group, p)
                    st["prev"] = _zeros_like(p)
                    lr = _to_scalar(group["lr"])
                    st["step_size"] = _full_like(p, complex(lr, lr) if p.dtype.is_complex
                                                 else lr)
                _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, 0)
                prev, step_size = K.view(st["prev"]._data), K.view(st["step_size"]._data)
                sign = xp.multiply(g, prev)
                xp.sign(sign, out=sign)
                one = sign.dtype.type(1)
                factor = xp.where(sign > 0, sign.dtype.type(etaplus),
                                  xp.where(sign < 0, sign.dtype.type(etaminus),
                                           xp.where(sign == 0, one, sign)))   # NaN stays
                xp.multiply(step_size, factor, out=step_size)
                xp.clip(step_size, step_size_min, step_size_max, out=step_size)
                # Where the sign flipped, this step leaves the coordinate alone and forgets
                # the gradient (so the next step counts as a fresh start).
                g = xp.where(factor == sign.dtype.type(etaminus), g.dtype.type(0), g)
                upd = xp.sign(g)
                xp.multiply(upd, step_size, out=upd)
                xp.subtract(a, upd, out=a)
                prev[...] = g
                p._vc[0] += 1
        return loss
