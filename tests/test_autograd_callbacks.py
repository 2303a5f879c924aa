"""`Variable._execution_engine.queue_callback`: a callable queued during backward runs once
the whole backward pass has finished (what DistributedDataParallel uses to wait for its
gradient all-reduces), compared with PyTorch."""
import pytest

import ember

try:
    import torch
except ImportError:
    torch = None
oracle = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def scenario(lib, use_grad=False):
    """Hooks queue callbacks (one of which queues another); returns the event order."""
    Variable = lib.autograd.Variable
    order = []
    x = lib.ones(3, requires_grad=True)
    w = lib.ones(3, requires_grad=True)

    def hook(g):
        order.append("hook")
        Variable._execution_engine.queue_callback(
            lambda: (order.append("cb1:" + ("x.grad" if x.grad is not None else "none")),
                     Variable._execution_engine.queue_callback(lambda: order.append("cb2"))))
        return g
    x.register_hook(hook)
    w.register_hook(lambda g: order.append("w-hook"))
    y = (x * w).sum() * 2
    if use_grad:
        lib.autograd.grad(y, [x, w])
    else:
        y.backward()
    order.append("after")
    return order


@oracle
@pytest.mark.parametrize("use_grad", [False, True])
def test_callbacks_run_at_the_end_like_pytorch(use_grad):
    ours = scenario(ember, use_grad)
    assert ours[-1] == "after" and ours[-2] == "cb2"
    assert sorted(ours) == sorted(scenario(torch, use_grad))


@oracle
def test_outside_backward_is_an_error_like_pytorch():
    with pytest.raises(RuntimeError) as ours:
        ember.autograd.Variable._execution_engine.queue_callback(lambda: None)
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.Variable._execution_engine.queue_callback(lambda: None)
    assert str(ours.value) == str(theirs.value)


def test_callback_sees_accumulated_grads_and_a_failed_backward_leaves_no_callbacks():
    from ember.autograd import engine
    Variable = ember.autograd.Variable
    seen = []
    p = ember.ones(2, requires_grad=True)
    p.register_post_accumulate_grad_hook(
        lambda t: Variable._execution_engine.queue_callback(lambda: seen.append(
            t.grad.tolist())))
    (p * 3).sum().backward()
    assert seen == [[3.0, 3.0]]

    def boom(g):
        Variable._execution_engine.queue_callback(lambda: seen.append("ran"))
        raise ValueError("boom")
    q = ember.ones(2, requires_grad=True)
    q.register_hook(boom)
    with pytest.raises(ValueError):
        (q * 2).sum().backward()
    assert seen == [[3.0, 3.0]] and engine._final_callbacks == []


def test_nested_backward_has_its_own_callbacks():
    Variable = ember.autograd.Variable
    order = []
    a = ember.ones(2, requires_grad=True)

    def hook(g):
        b = ember.ones(2, requires_grad=True)
        b.register_hook(lambda gb: Variable._execution_engine.queue_callback(
            lambda: order.append("inner")))
        with ember.enable_grad():   # backward runs hooks with grad mode off
            (b * 2).sum().backward()
        order.append("inner done")
        Variable._execution_engine.queue_callback(lambda: order.append("outer"))
    a.register_hook(hook)
    (a * 2).sum().backward()
    assert order == ["inner", "inner done", "outer"]
