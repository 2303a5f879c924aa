"""Adafactor: Adam-like steps whose second moment of a matrix is kept factored (one row and
one column vector), so the optimizer state is sublinear in the parameter's size."""
from .. import dtypes as _dt
from ..tensor import Tensor, _make
from .optimizer import (Optimizer, _use_no_grad, _call_closure, _to_scalar, _scalar_state,
                        _zeros_like, _inc_step)
from . import _kernels as K

__all__ = ["Adafactor"]


def _norm(xp, a):
    return float(xp.sqrt(xp.sum(xp.multiply(a, a))))


class Adafactor(Optimizer):
    """PyTorch's Adafactor (Shazeer & Stern 2018 with PyTorch's choices): β₂ₜ = 1 − t^c,
    ρₜ = min(γ, 1/√t), α = max(ε₂, RMS(θ))·ρₜ; a matrix keeps row/column means of g², a
    vector the elementwise mean; the update g/√v̂ is clipped to RMS ≤ d."""
    _group_setdefaults = {"foreach": None}
    _tensor_scalar_state = ("step",)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    @staticmethod
    def _init_state(st, p):
        st["step"] = _scalar_state(0.0)
        a = p._grad._data
        xp = K.xp_for(a)
        if a.ndim > 1:
            st["row_var"] = _make(xp.zeros(a.shape[:-1] + (1,), a.dtype), p._device)
            st["col_var"] = _make(xp.zeros(a.shape[:-2] + (1,) + a.shape[-1:], a.dtype),
                                  p._device)
        else:
            st["variance"] = _zeros_like(p._grad)

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            eps1, eps2 = group["eps"]
            d, wd, beta2_decay = group["d"], group["weight_decay"], group["beta2_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                if p.dtype.is_complex:
                    raise RuntimeError("Adafactor does not support complex parameters")
                st = self.state[p]
                if len(st) == 0:
                    self._init_state(st, p)
                if eps1 is None:   # as in PyTorch, the first parameter's dtype decides
                    eps1 = _dt.finfo(p.dtype).eps
                step = _inc_step(st["step"])
                raw = p._grad._data
                a = K.view(p._data)
                xp = K.xp_for(a)
                g = xp.negative(raw) if maximize else raw
                one_minus_beta2_t = step ** beta2_decay
                rho_t = min(lr, 1 / step ** 0.5)
                alpha = max(eps2, _norm(xp, a) / a.size ** 0.5) * rho_t
                if wd != 0:
                    xp.multiply(a, 1 - lr * wd, out=a)
                if g.ndim > 1:
                    row_var, col_var = st["row_var"]._data, st["col_var"]._data
                    K.lerp_(xp, row_var, self._mean_sq(xp, g, -1), one_minus_beta2_t)
                    K.lerp_(xp, col_var, self._mean_sq(xp, g, -2), one_minus_beta2_t)
                    var = xp.matmul(row_var, col_var)
                    row_mean = xp.mean(row_var, axis=-2, keepdims=True)
                    xp.maximum(row_mean, row_mean.dtype.type(eps1), out=row_mean)
                    xp.divide(var, row_mean, out=var)
                else:
                    g = K.view(g)
                    variance = K.view(st["variance"]._data)
                    K.lerp_(xp, variance, xp.multiply(g, g), one_minus_beta2_t)
                    var = variance.copy()
                xp.maximum(var, var.dtype.type(eps1 * eps1), out=var)
                update = xp.sqrt(var, out=var)
                xp.divide(update.dtype.type(1), update, out=update)
                xp.multiply(update, g, out=update)
                denom = max(1.0, _norm(xp, update) / (update.size ** 0.5 * d))
                K.add_(xp, a, update.reshape(a.shape), -alpha / denom)
                p._vc[0] += 1
        return loss

    @staticmethod
    def _mean_sq(xp, g, axis):
        """‖g‖² along `axis` over its length, through the norm as PyTorch computes it."""
        n = xp.sqrt(xp.sum(xp.multiply(g, g), axis=axis, keepdims=True))
        xp.multiply(n, n, out=n)
        xp.divide(n, g.shape[axis], out=n)
        return n
