"""Ops with a `backward_raw` (the array-level backward the engine uses when no graph is being
recorded) must give exactly what their Tensor-level `backward` gives. create_graph=True makes
the engine use `backward`; create_graph=False uses `backward_raw`. No PyTorch needed."""
import numpy as np
import pytest

import ember
from ember.autograd.function import Function

rng = np.random.default_rng(0)


def _leaf(shape, dtype=ember.float64):
    return ember.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)


def _cfloat(shape):
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return ember.tensor(z, requires_grad=True)


CASES = {
    "add": (lambda a, b: a + b, [(3, 4), (4,)]),
    "add_alpha": (lambda a, b: ember.add(a, b, alpha=2.5), [(3, 4), (3, 1)]),
    "sub": (lambda a, b: a - b, [(2, 3), (2, 3)]),
    "sub_alpha": (lambda a, b: ember.sub(a, b, alpha=3), [(5,), ()]),
    "mul": (lambda a, b: a * b, [(3, 4), (1, 4)]),
    "mul_scalar": (lambda a: a * 2.5, [(3,)]),
    "div": (lambda a, b: a / (b.abs() + 1), [(2, 3), (3,)]),
    "neg": (lambda a: -a, [(4,)]),
    "sum_all": (lambda a: a.sum(), [(3, 4)]),
    "sum_dim": (lambda a: a.sum(1), [(2, 3, 4)]),
    "sum_keepdim": (lambda a: a.sum((0, 2), keepdim=True), [(2, 3, 4)]),
    "mean": (lambda a: a.mean(0), [(5, 2)]),
    "mean_empty": (lambda a: a.mean(), [(0, 3)]),
    "view": (lambda a: a.view(6, 2), [(3, 4)]),
    "reshape_copy": (lambda a: a.t().reshape(12), [(3, 4)]),
    "expand": (lambda a: a.expand(2, 3, 4), [(3, 1)]),
    "permute": (lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    "transpose": (lambda a: a.transpose(0, 2), [(2, 3, 4)]),
    "unsqueeze": (lambda a: a.unsqueeze(1), [(2, 3)]),
    "squeeze": (lambda a: a.squeeze(), [(2, 1, 3)]),
    "matmul_2d": (lambda a, b: a @ b, [(3, 4), (4, 5)]),
    "matmul_batched_broadcast": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "matmul_vec_mat": (lambda a, b: a @ b, [(4,), (2, 4, 5)]),
    "matmul_mat_vec": (lambda a, b: a @ b, [(3, 4), (4,)]),
    "matmul_dot": (lambda a, b: a @ b, [(4,), (4,)]),
    "linear": (lambda x, w, b: ember.nn.functional.linear(x, w, b), [(3, 4), (5, 4), (5,)]),
    "linear_3d_nobias": (lambda x, w: ember.nn.functional.linear(x, w), [(2, 3, 4), (5, 4)]),
}


def _grads(fn, inputs, create_graph):
    out = fn(*inputs)
    # a fixed weighting so every element of the output gets a different gradient
    w = ember.arange(out.numel(), dtype=ember.float64).reshape(out.shape).cos().to(out.dtype)
    return ember.autograd.grad((out * w).sum(), inputs, create_graph=create_graph)


@pytest.mark.parametrize("name", sorted(CASES))
def test_backward_raw_matches_backward(name):
    fn, shapes = CASES[name]
    inputs = [_leaf(s) for s in shapes]
    g_raw = _grads(fn, inputs, create_graph=False)
    g_ten = _grads(fn, inputs, create_graph=True)
    for r, t in zip(g_raw, g_ten):
        assert r.shape == t.shape and r.dtype == t.dtype
        np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("name", ["mul", "div", "matmul_2d", "matmul_vec_mat"])
def test_backward_raw_complex(name):
    fn, shapes = CASES[name]
    inputs = [_cfloat(s) for s in shapes]
    g_raw = _grads(fn, inputs, create_graph=False)
    g_ten = _grads(fn, inputs, create_graph=True)
    for r, t in zip(g_raw, g_ten):
        assert r.dtype == t.dtype == ember.complex128
        np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy(), rtol=1e-12)


def test_backward_raw_float32_keeps_dtype():
    a = _leaf((3, 4), ember.float32)
    b = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)   # 0-dim: no promotion
    (a * b).sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64
    np.testing.assert_allclose(a.grad.numpy(), 2.0)


def test_backward_raw_checks_inplace_modification():
    a = _leaf((3,))
    b = _leaf((3,))
    y = a * b
    b.data.add_(1)          # .data changes are invisible to autograd, as in PyTorch
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.detach().numpy())
    c = _leaf((3,))
    d = c * 1.0
    z = d * d
    d.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_backward_raw_freed_graph_error():
    a = _leaf((3,))
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_ops_without_backward_raw_still_work_and_ops_declare_it():
    from ember.ops import arith, reduce, shape, blas
    for cls in (arith.Add, arith.Sub, arith.Mul, arith.Div, arith.Neg, reduce.Sum, reduce.Mean,
                shape.View, shape.Reshape, shape.Expand, shape.Permute, shape.Transpose,
                shape.Unsqueeze, shape.Squeeze, blas.MatMul,
                _linear_module()._Linear):
        assert cls.backward_raw is not None, cls
    assert Function.backward_raw is None
    a = _leaf((3,))
    a.exp().sin().sum().backward()   # exp/sin: Tensor-level backward only
    np.testing.assert_allclose(a.grad.numpy(), np.cos(np.exp(a.detach().numpy())) *
                               np.exp(a.detach().numpy()))


# ------------------------------------------------------------ in-place arithmetic fast path
@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
@pytest.mark.parametrize("other", ["scalar_float", "scalar_int", "same_shape", "broadcast"])
def test_direct_inplace_matches_general_path(op, other):
    base = rng.standard_normal((3, 4)).astype(np.float32)
    o = {"scalar_float": 1.5, "scalar_int": 3,
         "same_shape": ember.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
         "broadcast": ember.tensor(rng.standard_normal(4).astype(np.float32))}[other]
    x = ember.tensor(base.copy())
    v0 = x._version
    r = getattr(x, op)(o)
    assert r is x and x._version == v0 + 1 and x.dtype == ember.float32
    o_np = o.numpy() if isinstance(o, ember.Tensor) else o
    expect = {"add_": base + o_np, "sub_": base - o_np, "mul_": base * o_np,
              "div_": base / o_np}[op]
    np.testing.assert_allclose(x.numpy(), expect, rtol=1e-6)


def test_direct_inplace_keeps_pytorch_errors_and_autograd():
    x = ember.zeros(3, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.div_(2)
    with pytest.raises(RuntimeError, match="must match the size"):
        ember.zeros(3).add_(ember.ones(4))
    with pytest.raises(RuntimeError, match="output with shape"):
        ember.zeros(3).add_(ember.ones(2, 3))
    b = ember.zeros(2, dtype=ember.bool)
    with pytest.raises(RuntimeError, match="Subtraction"):
        b.sub_(b)
    leaf = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.mul_(2)
    with ember.no_grad():
        leaf.mul_(2)              # allowed under no_grad, as in an optimizer step
    np.testing.assert_allclose(leaf.detach().numpy(), 2.0)
    y = ember.ones(3, requires_grad=True) * 1.0
    y.mul_(ember.tensor([1.0, 2.0, 3.0]))  # autograd through the in-place op
    y.sum().backward()
    u = ember.zeros(3, dtype=ember.uint8)
    u.add_(300)                   # wraps like PyTorch (general path)
    assert u.tolist() == [44, 44, 44]


def _linear_module():
    import importlib
    return importlib.import_module("ember.nn.functional.linear")
