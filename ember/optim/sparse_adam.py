"""SparseAdam: lazy Adam that only touches the entries present in the gradient.

ember has no sparse tensors, so the gradient is dense here; the entries it "holds" are the
rows (slices along dim 0; single elements for a 1-D parameter) with any nonzero value, which
is what a sparse embedding gradient (`nn.Embedding(sparse=True)` in PyTorch) holds apart from
looked-up rows whose gradient is exactly zero.
"""
import math

from .optimizer import (Optimizer, _use_no_grad, _call_closure, _check_lr, _to_scalar,
                        _zeros_like)
from . import _kernels as K

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """PyTorch's SparseAdam: Adam's moments and parameters are updated only at the rows the
    gradient holds (see the module docstring for what that means for dense gradients)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check_lr(lr)
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    @_use_no_grad
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, maximize = group["eps"], group.get("maximize", False)
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = 0
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                st["step"] += 1
                self._update(p, st, lr, beta1, beta2, eps, maximize)
        return loss

    @staticmethod
    def _update(p, st, lr, beta1, beta2, eps, maximize):
        a = K.view(p._data)
        xp = K.xp_for(a)
        g = K.grad_with(xp, K.view(p._grad._data), a, maximize, 0)
        nz = g != 0
        rows = nz if nz.ndim == 1 else nz.reshape(nz.shape[0], -1).any(axis=1)
        idx = xp.nonzero(rows)[0]
        if idx.size == 0:
            return
        m = st["exp_avg"]._data.reshape(a.shape)
        v = st["exp_avg_sq"]._data.reshape(a.shape)
        gv = g[idx]
        old_m = m[idx]
        m_upd = xp.subtract(gv, old_m)
        xp.multiply(m_upd, 1 - beta1, out=m_upd)
        m[idx] = old_m + m_upd
        old_v = v[idx]
        v_upd = xp.multiply(gv, gv)
        xp.subtract(v_upd, old_v, out=v_upd)
        xp.multiply(v_upd, 1 - beta2, out=v_upd)
        v[idx] = old_v + v_upd
        numer = xp.add(m_upd, old_m, out=m_upd)
        xp.add(v_upd, old_v, out=v_upd)
        denom = xp.sqrt(v_upd, out=v_upd)
        xp.add(denom, eps, out=denom)
        step = st["step"]
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        xp.divide(numer, denom, out=numer)
        xp.multiply(numer, -step_size, out=numer)
        a[idx] += numer
        p._vc[0] += 1
