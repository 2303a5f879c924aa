"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging)."""
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_differentiable,
                        _check_lr, _to_scalar, _scalar_state, _zeros_like, _inc_step)
from . import _kernels as K

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """PyTorch's ASGD: θ ← θ(1 − λη) − ηg; the average ax follows θ once t > t0;
    η ← γ / (1 + λγt)^α, μ ← 1 / max(1, t − t0) (both kept as scalar state tensors)."""
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False,
                          "capturable": False}
    _tensor_scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_differentiable(differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["eta"] = _scalar_state(lr)
                    st["mu"] = _scalar_state(1.0)
                    st["ax"] = _zeros_like(p)
                step = _inc_step(st["step"])
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = K.grad_with(xp, K.view(p._grad._data), a, maximize, wd)
                eta, mu = st["eta"], st["mu"]
                eta_value = eta.item()
                xp.multiply(a, 1 - lambd * eta_value, out=a)
                K.add_(xp, a, g, -eta_value)
                ax = K.view(st["ax"]._data)
                mu_value = mu.item()
                if mu_value != 1:
                    d = xp.subtract(a, ax)
                    # μ is a 0-dim tensor: it takes the parameter's dtype, as in PyTorch.
                    xp.multiply(d, a.dtype.type(mu_value), out=d)
                    xp.add(ax, d, out=ax)
                else:
                    ax[...] = a
                # Stored in the scalar dtype, so the next step reads the rounded values.
                eta._data[...] = lr / (1 + lambd * lr * step) ** alpha
                mu._data[...] = 1 / max(1, step - t0)
                eta._vc[0] += 1
                mu._vc[0] += 1
                p._vc[0] += 1
        return loss
