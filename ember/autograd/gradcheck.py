"""Finite-difference gradient checks (float64), as `torch.autograd.gradcheck`."""
import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    from ..tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(func, inputs):
    from ..tensor import Tensor
    out = func(*inputs)
    outs = _as_tuple(out) if isinstance(out, (Tensor, tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor)]


def _numerical_jacobian(func, inputs, idx, eps):
    """J[k][j, i] = d out_k[i] / d inputs[idx][j] by central differences."""
    from ..autograd.grad_mode import no_grad
    x = inputs[idx]
    flat = x._data.reshape(-1)   # a view: we perturb in place
    if not flat.base is not None and flat is not x._data and not np.shares_memory(flat, x._data):
        raise GradcheckError("gradcheck needs contiguous inputs")
    cols = []
    with no_grad():
        for j in range(flat.size):
            orig = flat[j].copy()
            flat[j] = orig + eps
            plus = [o._data.astype(np.complex128 if o.dtype.is_complex else np.float64).copy()
                    for o in _outputs(func, inputs)]
            flat[j] = orig - eps
            minus = [o._data.astype(np.complex128 if o.dtype.is_complex else np.float64).copy()
                     for o in _outputs(func, inputs)]
            flat[j] = orig
            cols.append([((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)])
    n_out = len(cols[0]) if cols else 0
    return [np.stack([c[k] for c in cols], 0) if cols else None for k in range(n_out)]


def _analytical_jacobian(func, inputs, idx_list):
    from .. import autograd
    from ..ops import creation
    outs = _outputs(func, inputs)
    jac = {}   # (k_out, idx) -> (n_in, n_out)
    for k, o in enumerate(outs):
        if not o.requires_grad:
            for idx in idx_list:
                jac[(k, idx)] = np.zeros((inputs[idx].numel(), o.numel()))
            continue
        n = o.numel()
        rows = {idx: np.zeros((inputs[idx].numel(), n)) for idx in idx_list}
        for i in range(n):
            go = creation.zeros_like(o)
            go._data.reshape(-1)[i] = 1
            gs = autograd.grad([o], [inputs[j] for j in idx_list], [go], retain_graph=True,
                               allow_unused=True)
            for idx, g in zip(idx_list, gs):
                if g is not None:
                    rows[idx][:, i] = g._data.reshape(-1)
        for idx in idx_list:
            jac[(k, idx)] = rows[idx]
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Compare autograd's gradients of `func` at `inputs` with central finite differences."""
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    idx_list = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not idx_list:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in idx_list:
        x = inputs[i]
        if x.dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex.")
        if not x._data.flags.c_contiguous:
            raise GradcheckError(f"gradcheck input {i} must be contiguous")
    analytical = _analytical_jacobian(func, inputs, idx_list)
    for idx in idx_list:
        numerical = _numerical_jacobian(func, inputs, idx, eps)
        for k, num in enumerate(numerical):
            ana = analytical.get((k, idx))
            if num is None or ana is None:
                continue
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {idx},\n"
                        f"numerical:{num}\nanalytical:{ana}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the gradient: checks double backward of `func` at `inputs`."""
    from .. import autograd
    from ..tensor import Tensor
    from ..ops import creation
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _outputs(func, inputs)
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            creation.tensor(rng.standard_normal(o.shape), dtype=o.dtype).requires_grad_(True)
            for o in outs if o.requires_grad)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def new_func(*args):
        ins, gos = args[:n_in], args[n_in:]
        # The finite differences call this under no_grad; the gradient it returns must still
        # be computed (else there is nothing to compare and the check passes vacuously).
        with autograd.enable_grad():
            outs = [o for o in _outputs(func, ins) if o.requires_grad]
            gs = autograd.grad(outs, [ins[i] for i in diff_idx], gos, create_graph=True,
                               allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
