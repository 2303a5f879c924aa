"""The op conformance harness, in the spirit of tinygrad's helper_test_op.

`check_op(fn, inputs)` runs `fn(lib, *tensors)` once with `lib = ember` and once with
`lib = torch` on tensors built from the same NumPy inputs, and compares shape, dtype, values
and, for floating inputs, the gradient of `out.sum()` (or of a fixed random weighting, to
catch gradients that only sum correctly). Without torch installed the PyTorch half skips.

`gradcheck_op(fn, inputs)` checks ember's gradients of fn in float64 by finite differences;
it needs no PyTorch.

EMBER_TEST_DEVICE=cuda (on a GPU machine) builds ember's inputs on 'cuda' and PyTorch's on
'cuda' too when torch.cuda is available (else on CPU), so the same suite checks ember's CUDA
ops against PyTorch.
"""
import os

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:   # PyTorch is an optional test oracle
    torch = None

DEVICE = os.environ.get("EMBER_TEST_DEVICE", "cpu")
if DEVICE != "cpu":
    # tensors the tests make themselves (out= buffers, setitem values) land there too
    ember.set_default_device(DEVICE)
    if torch is not None and torch.cuda.is_available():
        torch.set_default_device(DEVICE)


def _torch_device():
    return DEVICE if DEVICE != "cpu" and torch.cuda.is_available() else "cpu"


requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")


def _ember_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def _to_np(x):
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy(force=True)   # force: conj views and ZeroTensor grads
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach().cpu())
    return np.asarray(x)


def _make(lib, arrays, grad):
    dev = DEVICE if lib is ember else _torch_device()
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = lib.tensor(a.copy(), device=dev)
            if grad and a.dtype.kind in "fc":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _flatten(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten(o))
        return res
    return [out]


def check_op(fn, inputs, *, grad=True, atol=1e-5, rtol=1e-4, grad_atol=None, grad_rtol=None,
             check_dtype=True, weighted=True):
    """Compare fn(ember, *inputs) with fn(torch, *inputs). `inputs` are NumPy arrays (become
    tensors; floating ones require grad when grad=True) or plain values passed as they are."""
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    ins_e = _make(ember, inputs, grad)
    ins_t = _make(torch, inputs, grad)
    out_e = _flatten(fn(ember, *ins_e))
    out_t = _flatten(fn(torch, *ins_t))
    assert len(out_e) == len(out_t), f"{len(out_e)} outputs vs torch's {len(out_t)}"
    for i, (e, t) in enumerate(zip(out_e, out_t)):
        if not isinstance(t, torch.Tensor):
            assert not isinstance(e, ember.Tensor), f"output {i}: ember gave a Tensor"
            if isinstance(t, float):
                np.testing.assert_allclose(e, t, atol=atol, rtol=rtol)
            else:
                assert e == t, f"output {i}: {e!r} != {t!r}"
            continue
        assert isinstance(e, ember.Tensor), f"output {i}: expected Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"output {i}: shape {tuple(e.shape)} vs " \
                                                 f"torch {tuple(t.shape)}"
        if check_dtype:
            assert _ember_dtype_name(e) == str(t.dtype).replace("torch.", ""), \
                f"output {i}: dtype {e.dtype} vs torch {t.dtype}"
        ve, vt = _to_np(e), _to_np(t)
        if vt.dtype.kind in "fc":
            np.testing.assert_allclose(ve, vt, atol=atol, rtol=rtol, equal_nan=True,
                                       err_msg=f"output {i} values")
        else:
            np.testing.assert_array_equal(ve, vt, err_msg=f"output {i} values")
    if not grad:
        return
    diff_e = [(i, e) for i, e in enumerate(out_e)
              if isinstance(e, ember.Tensor) and e.requires_grad]
    diff_t = [(i, t) for i, t in enumerate(out_t)
              if isinstance(t, torch.Tensor) and t.requires_grad]
    assert [i for i, _ in diff_e] == [i for i, _ in diff_t], \
        "which outputs require grad differs from torch"
    if not diff_t:
        return
    rng = np.random.default_rng(1)
    loss_e = loss_t = 0
    for (_, e), (_, t) in zip(diff_e, diff_t):
        if weighted and t.numel() > 1:
            w = rng.standard_normal(tuple(t.shape)).astype(_to_np(t).dtype)
            if np.iscomplexobj(w):
                w = w.real
            loss_e = loss_e + (e * ember.tensor(w, device=DEVICE)).sum()
            loss_t = loss_t + (t * torch.tensor(w, device=_torch_device())).sum()
        else:
            loss_e = loss_e + e.sum()
            loss_t = loss_t + t.sum()
    if loss_e.dtype.is_complex:
        loss_e, loss_t = loss_e.real, loss_t.real
    loss_e.backward()
    loss_t.backward()
    ga, gr = grad_atol or atol * 10, grad_rtol or rtol * 10
    for k, (xe, xt) in enumerate(zip(ins_e, ins_t)):
        if isinstance(xt, torch.Tensor) and xt.requires_grad:
            if xt.grad is None:
                assert xe.grad is None or not np.any(_to_np(xe.grad)), \
                    f"input {k}: ember has a gradient, torch has none"
                continue
            assert xe.grad is not None, f"input {k}: no gradient from ember"
            assert tuple(xe.grad.shape) == tuple(xt.grad.shape)
            assert _ember_dtype_name(xe.grad) == str(xt.grad.dtype).replace("torch.", "")
            np.testing.assert_allclose(_to_np(xe.grad), _to_np(xt.grad), atol=ga, rtol=gr,
                                       equal_nan=True, err_msg=f"input {k} gradient")


def gradcheck_op(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, gradgrad=False):
    """Finite-difference check of fn(ember, *tensors) in float64 (no PyTorch needed)."""
    ts = []
    for a in inputs:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            ts.append(ember.tensor(a.astype(np.float64), requires_grad=True))
        elif isinstance(a, np.ndarray) and a.dtype.kind == "c":
            ts.append(ember.tensor(a.astype(np.complex128), requires_grad=True))
        elif isinstance(a, np.ndarray):
            ts.append(ember.tensor(a))
        else:
            ts.append(a)

    def f(*args):
        return fn(ember, *args)
    assert ember.autograd.gradcheck(f, tuple(ts), eps=eps, atol=atol, rtol=rtol)
    if gradgrad:
        assert ember.autograd.gradgradcheck(f, tuple(ts), eps=eps, atol=atol, rtol=rtol)
