"""L-BFGS with an optional strong-Wolfe line search (PyTorch's port of minFunc).

The algorithm works on one flat vector of all parameters. Scalars that PyTorch keeps as
0-dim tensors (dot products, step lengths, curvature ratios) are NumPy scalars of the
parameters' dtype here, so they round the way PyTorch's float32 tensors do; they are stored
in `state` as 0-dim Tensors, PyTorch's layout.
"""
import numpy as np

from ..tensor import Tensor, _make
from ..autograd import grad_mode
from .optimizer import Optimizer, _use_no_grad, _check_lr, _to_scalar
from . import _kernels as K

__all__ = ["LBFGS"]


def _host_scalar(x, dt):
    """A reduction's result as a NumPy scalar of dtype `dt` (CuPy gives 0-dim arrays)."""
    return x if isinstance(x, np.generic) else dt.type(x.item())


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to bounds."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, dot, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along d for a step t meeting the strong Wolfe conditions; returns
    (f_new, g_new, t, function evaluations)."""
    xp = K.xp_for(d)
    d_norm = _host_scalar(xp.abs(d).max(), d.dtype)
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = dot(g_new, d)

    # Bracketing phase: find an interval containing a point that satisfies the conditions.
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # Zoom phase: shrink the bracket until the conditions hold.
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # Keep t away from the bracket's ends, unless progress stalled last time.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """PyTorch's L-BFGS. `step(closure)` runs up to `max_iter` iterations (and `max_eval`
    closure calls); one parameter group only; the closure must return the loss."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(2 * p.numel() if p.is_complex() else p.numel()
                                    for p in self._params)
        return self._numel_cache

    # ------------------------------------------------------------------ flat-vector views
    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            a = p._data
            xp = K.xp_for(a)
            g = xp.zeros(a.size, a.dtype) if p._grad is None else p._grad._data.reshape(-1)
            views.append(K.view(g).reshape(-1))
        return xp.concatenate(views)

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            a = K.view(p._data)
            n = a.size
            K.add_(K.xp_for(a), a, update[offset:offset + n].reshape(a.shape), step_size)
            p._vc[0] += 1
            offset += n
        if offset != self._numel():
            raise AssertionError(f"Expected offset {offset} to equal {self._numel()}")

    def _clone_param(self):
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data):
        for p, pdata in zip(self._params, params_data):
            p._data[...] = pdata
            p._vc[0] += 1

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ state <-> arrays
    def _wrap(self, v):
        """Arrays and NumPy scalars become Tensors for `state` (PyTorch stores tensors)."""
        if isinstance(v, list):
            return [self._wrap(x) for x in v]
        dev = self._params[0]._device
        if isinstance(v, np.generic):
            arr = np.asarray(v)
            if dev.type != "cpu":
                arr = K.xp_for(self._params[0]._data).asarray(arr)
            return _make(arr, dev)
        if hasattr(v, "shape") and not isinstance(v, Tensor):
            return _make(v, dev)
        return v

    def _unwrap(self, v):
        if isinstance(v, list):
            return [self._unwrap(x) for x in v]
        if isinstance(v, Tensor):
            a = v._data
            return _host_scalar(a, a.dtype) if a.ndim == 0 else a
        return v

    # ------------------------------------------------------------------ step
    @_use_no_grad
    def step(self, closure):
        """Run up to `max_iter` L-BFGS iterations; `closure` re-evaluates the model and
        returns the loss (called with autograd on). Returns the first loss."""
        group = self.param_groups[0]
        lr = _to_scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        def eval_closure():
            with grad_mode.enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = eval_closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        xp = K.xp_for(flat_grad)
        dt = flat_grad.dtype

        def dot(a, b):
            return _host_scalar(xp.dot(a, b), dt)

        def abs_max(a):
            return _host_scalar(xp.abs(a).max(), dt)

        if abs_max(flat_grad) <= tolerance_grad:
            return orig_loss

        d, t = self._unwrap(state.get("d")), self._unwrap(state.get("t"))
        old_dirs = self._unwrap(state.get("old_dirs"))
        old_stps = self._unwrap(state.get("old_stps"))
        ro, H_diag = self._unwrap(state.get("ro")), self._unwrap(state.get("H_diag"))
        prev_flat_grad = self._unwrap(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        al = self._unwrap(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # Direction: steepest descent first, then the two-loop recursion.
            if state["n_iter"] == 1:
                d = xp.negative(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = xp.subtract(flat_grad, prev_flat_grad)
                s = xp.multiply(d, t)
                ys = dot(y, s)
                if ys > 1e-10:   # skip updates that would break positive definiteness
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / dot(y, y)
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                q = xp.negative(flat_grad)
                for i in range(num_old - 1, -1, -1):
                    al[i] = dot(old_stps[i], q) * ro[i]
                    K.add_(xp, q, old_dirs[i], -al[i])
                d = r = xp.multiply(q, H_diag)
                for i in range(num_old):
                    be_i = dot(old_dirs[i], r) * ro[i]
                    K.add_(xp, r, old_stps[i], al[i] - be_i)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # Step length: scaled on the very first iteration, lr afterwards.
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / _host_scalar(xp.abs(flat_grad).sum(), dt)) * lr
            else:
                t = lr
            gtd = dot(flat_grad, d)
            if gtd > -tolerance_change:   # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(eval_closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, dot,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = abs_max(flat_grad) <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # Re-evaluate unless this is the last iteration (the next step() will).
                    loss = float(eval_closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = abs_max(flat_grad) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if abs_max(xp.multiply(d, t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        if al is not None:
            state["al"] = self._wrap(al)
        state["d"] = self._wrap(d)
        state["t"] = self._wrap(t)
        state["old_dirs"] = self._wrap(old_dirs)
        state["old_stps"] = self._wrap(old_stps)
        state["ro"] = self._wrap(ro)
        state["H_diag"] = self._wrap(H_diag)
        state["prev_flat_grad"] = self._wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss
