"""The autograd engine: backward, grad, retain/create graph, hooks, grad modes, custom
Functions, anomaly detection, the in-place check, and a very deep graph."""
import math

import numpy as np
import pytest

import ember
from ember.autograd import Function


def t(x, **kw):
    return ember.tensor(x, **kw)


# ---------------------------------------------------------------- the seeds' examples
def test_seed_cubic_gradient():
    x = t(3.5, requires_grad=True)
    y = (x - 1) * (x - 2) * (x - 3)
    y.backward()
    assert x.grad.item() == pytest.approx(5.75)


def test_seed_multipath_gradient():
    a = t(2.0, requires_grad=True)
    b = t(1.0, requires_grad=True)
    x = 2 * a + 3 * b
    y = 5 * a * a + 3 * b * b * b
    z = 2 * x + 3 * y
    z.backward()
    assert a.grad.item() == pytest.approx(64.0)
    assert b.grad.item() == pytest.approx(2 * 3 + 3 * 9)


def test_nonscalar_backward_needs_gradient():
    x = t([1., 2., 3.], requires_grad=True)
    y = t([2., 3., 4.], requires_grad=True)
    z = 3 * x * x + 2 * y * y
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        z.backward()
    z.backward(gradient=t([1., 1., 1.]))
    np.testing.assert_allclose(x.grad.numpy(), [6, 12, 18])
    np.testing.assert_allclose(y.grad.numpy(), [8, 12, 16])


def test_mean_gradient_matches_seed():
    x = t([1., 2., 3.], requires_grad=True)
    y = t([2., 3., 4.], requires_grad=True)
    (3 * x * x + 2 * y * y).mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6], rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), [8 / 3, 4, 16 / 3], rtol=1e-6)


# ---------------------------------------------------------------- graph lifetime
def test_second_backward_through_freed_graph_raises():
    x = t(2.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward_and_grads_accumulate():
    x = t(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(8.0)


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        t([1., 2.]).sum().backward()


def test_backward_inputs_restricts_accumulation():
    a = t(1.0, requires_grad=True)
    b = t(2.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0
    assert b.grad is None


def test_leaf_grads_do_not_alias():
    a = t([1., 2.], requires_grad=True)
    b = t([3., 4.], requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(10)
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])


def test_user_gradient_is_not_aliased():
    a = t([1., 2.], requires_grad=True)
    g = t([1., 1.])
    (a * 1).backward(g)
    a.grad.add_(1)
    np.testing.assert_array_equal(g.numpy(), [1, 1])


# ---------------------------------------------------------------- autograd.grad
def test_autograd_grad_does_not_touch_dot_grad():
    x = t(3.0, requires_grad=True)
    (g,) = ember.autograd.grad(x * x * x, x)
    assert g.item() == pytest.approx(27.0)
    assert x.grad is None


def test_create_graph_second_derivative():
    x = t(3.0, requires_grad=True)
    (g,) = ember.autograd.grad(x * x * x, x, create_graph=True)
    assert g.requires_grad
    (h,) = ember.autograd.grad(g, x)
    assert h.item() == pytest.approx(18.0)


def test_backward_create_graph_gives_differentiable_grad():
    x = t(2.0, requires_grad=True)
    (x * x * x).backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    (h,) = ember.autograd.grad(gx, x)
    assert h.item() == pytest.approx(12.0)


def test_grad_unused_input():
    x = t(1.0, requires_grad=True)
    y = t(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad(x * 2, [x, y])
    gx, gy = ember.autograd.grad(x * 2, [x, y], allow_unused=True)
    assert gx.item() == 2.0 and gy is None


def test_grad_of_nonleaf_input():
    x = t(2.0, requires_grad=True)
    h = x * 3
    y = h * h
    (gh,) = ember.autograd.grad(y, h)
    assert gh.item() == pytest.approx(12.0)


def test_grad_outputs_shape_mismatch():
    x = t([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        ember.autograd.grad(x * 2, x, grad_outputs=t([1., 2., 3.]))


# ---------------------------------------------------------------- non-leaf grads and hooks
def test_retain_grad():
    x = t(2.0, requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).backward()
    assert h.retains_grad
    assert h.grad.item() == pytest.approx(12.0)
    assert not h.is_leaf and x.is_leaf


def test_leaf_hook_changes_gradient_and_can_be_removed():
    x = t(1.0, requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (x * 2).backward()
    assert x.grad.item() == 20.0
    handle.remove()
    x.grad = None
    (x * 2).backward()
    assert x.grad.item() == 2.0


def test_nonleaf_hook_sees_and_replaces_gradient():
    x = t(1.0, requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.item()) or g * 0)
    (h * 5).backward()
    assert seen == [5.0]
    assert x.grad.item() == 0.0


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        t(1.0).register_hook(lambda g: g)


def test_grad_fn_names_and_next_functions():
    x = t(1.0, requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0"
    (fn, nr), = [e for e in y.grad_fn.next_functions if e[0] is not None]
    assert type(fn).__name__ == "AccumulateGrad" and fn.variable is x
    assert (y + 1).grad_fn.name() == "AddBackward0"


# ---------------------------------------------------------------- grad modes
def test_no_grad_context_and_decorator():
    x = t(1.0, requires_grad=True)
    with ember.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @ember.no_grad()
    def f(v):
        return v * 2
    assert not f(x).requires_grad
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad_and_set_grad_enabled():
    x = t(1.0, requires_grad=True)
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)


def test_inference_mode():
    x = t(1.0, requires_grad=True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
        assert ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()


# ---------------------------------------------------------------- requires_grad rules
def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="[Oo]nly Tensors of floating point"):
        t([1, 2], requires_grad=True)


def test_requires_grad_flag_of_nonleaf():
    x = t(1.0, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    z = y.detach()
    assert not z.requires_grad and z.is_leaf


def test_inplace_on_leaf_requiring_grad_raises():
    x = t([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)   # allowed: this is how optimizers update parameters
    assert x.detach().numpy()[0] == 2.0


def test_modified_saved_tensor_raises():
    x = t([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h * h          # saves h
    h.mul_(2)          # modifies it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_nonleaf_is_differentiated():
    x = t([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.add_(1)          # add doesn't save its input: fine
    h.mul_(2)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6, 6])
    assert h._version == 2


# ---------------------------------------------------------------- custom Functions
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x * x


def test_custom_function():
    x = t(2.0, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_custom_function_double_backward():
    x = t(2.0, requires_grad=True)
    (g,) = ember.autograd.grad(Cube.apply(x), x, create_graph=True)
    (h,) = ember.autograd.grad(g, x)
    assert h.item() == pytest.approx(12.0)


def test_custom_function_needs_input_grad_and_non_differentiable():
    class Split(Function):
        @staticmethod
        def forward(ctx, x, k):
            assert ctx.needs_input_grad == (True, False)
            idx = (x > 0) if hasattr(x, "__gt__") and False else x.detach() * 0
            ctx.mark_non_differentiable(idx)
            return x * k, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2, None

    x = t([1., 2.], requires_grad=True)
    y, idx = Split.apply(x, 2)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])


def test_custom_function_wrong_gradient_count():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    a, b = t(1.0, requires_grad=True), t(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).backward()


def test_once_differentiable():
    class F(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x

    x = t(3.0, requires_grad=True)
    go = t(1.0, requires_grad=True)
    (g,) = ember.autograd.grad(F.apply(x), x, grad_outputs=go, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad(g, x)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        ember.autograd.grad(g, go)


# ---------------------------------------------------------------- anomaly detection
def test_detect_anomaly_names_the_node():
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = t(1.0, requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = NanGrad.apply(x) * 2
        with pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan "
                                               "values in its 0th output"):
            y.backward()
    # outside anomaly mode the NaN passes silently, as in PyTorch
    x.grad = None
    (NanGrad.apply(x) * 2).backward()
    assert math.isnan(x.grad.item())


# ---------------------------------------------------------------- engine scale
def test_deep_chain_has_no_recursion_limit():
    x = t(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert x.grad.item() == 1.0


# ---------------------------------------------------------------- gradcheck itself
def test_gradcheck_detects_wrong_gradient():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g   # should be 2x

    x = t([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(Wrong.apply, (x,))
    assert ember.autograd.gradcheck(Cube.apply, (x,))
    assert ember.autograd.gradgradcheck(Cube.apply, (x,))


def test_variable_is_the_tensor():
    from ember.autograd import Variable
    x = Variable(t([1.0, 2.0]), requires_grad=True)
    assert isinstance(x, ember.Tensor) and x.requires_grad
    assert isinstance(x, Variable)


def test_inplace_mul_by_tensor_requiring_grad():
    # x.mul_(w) saves x's value for w's gradient: it must survive the overwrite
    x = t([1.0, 2.0], requires_grad=True)
    w = t([3.0, 4.0], requires_grad=True)
    h = x * 1
    h.mul_(w)
    h.sum().backward()
    assert w.grad.tolist() == [1.0, 2.0]
    assert x.grad.tolist() == [3.0, 4.0]
