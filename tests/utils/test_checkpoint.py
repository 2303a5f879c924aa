"""ember.utils.checkpoint: gradients equal to the un-checkpointed ones (parameters and inputs,
dropout with the random state replayed), lower peak memory, and PyTorch's warnings / errors."""
import re
import tracemalloc
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

try:
    import torch
    import torch.utils.checkpoint as tcp
except ImportError:
    torch = tcp = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")

MODES = [True, False]


def make_model(seed=0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 16),
                         nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 4))


def grads_of(model, x, run, seed=123):
    """Gradients of a loss through `run(x)` for x and every parameter, and the output."""
    for p in model.parameters():
        p.grad = None
    x.grad = None
    ember.manual_seed(seed)
    y = run(x)
    y.square().sum().backward()
    return [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()], \
        y.detach().numpy().copy()


def assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("use_reentrant", MODES)
def test_checkpoint_gradients_match_with_dropout(use_reentrant):
    model = make_model()
    x = ember.randn(5, 8, requires_grad=True)
    ref, y_ref = grads_of(model, x, model)
    got, y = grads_of(model, x, lambda x: checkpoint(model, x, use_reentrant=use_reentrant))
    np.testing.assert_array_equal(y, y_ref)
    assert_same(got, ref)


@pytest.mark.parametrize("use_reentrant", MODES)
def test_without_preserved_rng_the_recompute_draws_other_masks(use_reentrant):
    # the replay is what makes the gradients right: without it, dropout in the recompute
    # draws a different mask and the gradients no longer match the forward
    model = make_model()
    x = ember.randn(5, 8, requires_grad=True)
    ref, _ = grads_of(model, x, model)
    got, _ = grads_of(model, x, lambda x: checkpoint(model, x, use_reentrant=use_reentrant,
                                                     preserve_rng_state=False))
    assert any(not np.array_equal(u, v) for u, v in zip(got, ref))


@pytest.mark.parametrize("use_reentrant", MODES)
@pytest.mark.parametrize("segments", [1, 2, 3, 7])
def test_checkpoint_sequential_gradients_match(use_reentrant, segments):
    model = make_model()
    x = ember.randn(5, 8, requires_grad=True)
    ref, y_ref = grads_of(model, x, model)
    got, y = grads_of(model, x, lambda x: checkpoint_sequential(
        model, segments, x, use_reentrant=use_reentrant))
    np.testing.assert_array_equal(y, y_ref)
    assert_same(got, ref)
    # a list of modules works as well as a Sequential
    got, _ = grads_of(model, x, lambda x: checkpoint_sequential(
        list(model), segments, x, use_reentrant=use_reentrant))
    assert_same(got, ref)


def test_rng_state_after_checkpoint_is_as_without():
    """The forward draws as usual; the recompute doesn't shift the stream for later ops."""
    model = make_model()
    x = ember.randn(5, 8, requires_grad=True)
    for use_reentrant in MODES:
        ember.manual_seed(7)
        checkpoint(model, x, use_reentrant=use_reentrant).sum().backward()
        after = ember.rand(3)
        ember.manual_seed(7)
        model(x).sum().backward()
        np.testing.assert_array_equal(after.numpy(), ember.rand(3).numpy())


def test_multiple_inputs_outputs_and_non_tensor_args():
    w = ember.randn(3, 3, requires_grad=True)
    a = ember.randn(2, 3, requires_grad=True)
    b = ember.randn(2, 3, requires_grad=True)

    def f(a, scale, b):
        h = (a @ w).tanh() * scale
        return h + b, h.sum(), 5

    def run(ck):
        for t in (w, a, b):
            t.grad = None
        out, s, five = ck(f, a, 2.0, b) if ck else f(a, 2.0, b)
        assert five == 5
        (out.square().sum() + s).backward()
        return [t.grad.numpy().copy() for t in (w, a, b)]

    ref = run(None)
    for use_reentrant in MODES:
        assert_same(run(lambda *args: checkpoint(*args, use_reentrant=use_reentrant)), ref)


def test_non_reentrant_kwargs_nested_outputs_and_autograd_grad():
    lin = nn.Linear(3, 2)
    x = ember.randn(4, 3, requires_grad=True)

    def f(x, *, shift):
        y = lin(x) + shift
        return {"y": y, "parts": [y.sum(), y.argmax()]}

    out = checkpoint(f, x, shift=1.0, use_reentrant=False)
    assert set(out) == {"y", "parts"} and not out["parts"][1].requires_grad
    loss = out["y"].square().sum() + out["parts"][0]
    got = ember.autograd.grad(loss, [x, lin.weight, lin.bias])
    ref_out = f(x, shift=1.0)
    ref = ember.autograd.grad(ref_out["y"].square().sum() + ref_out["parts"][0],
                              [x, lin.weight, lin.bias])
    for u, v in zip(got, ref):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6)
    assert lin.weight.grad is None       # autograd.grad doesn't touch .grad


def test_inputs_without_grad():
    model = make_model().eval()
    x = ember.randn(5, 8)                # doesn't require grad: the parameters still do
    ref = ember.autograd.grad(model(x).sum(), list(model.parameters()))
    y = checkpoint(model, x, use_reentrant=False)
    assert y.requires_grad
    got = ember.autograd.grad(y.sum(), list(model.parameters()))
    for u, v in zip(got, ref):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    # the reentrant variant cannot see the parameters: PyTorch's warning, and no grad
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True. "
                                         "Gradients will be None"):
        y = checkpoint(model, x, use_reentrant=True)
    assert not y.requires_grad


@pytest.mark.parametrize("also_direct", [False, True])
def test_non_reentrant_captured_non_leaf_tensor(also_direct):
    # h has a graph of its own outside the checkpoint and is read through a closure; the
    # engine must not free h's node before the recompute backpropagates through it, and w
    # must get each path's gradient once
    w = ember.randn(3, requires_grad=True)
    x = ember.randn(3, requires_grad=True)

    def run(ck):
        w.grad = x.grad = None
        h = w * 2

        def f(x):
            y = (x * h).sin()
            return y + x * w if also_direct else y
        y = checkpoint(f, x, use_reentrant=False) if ck else f(x)
        (y.sum() + h.square().sum()).backward()
        return [w.grad.numpy().copy(), x.grad.numpy().copy()]

    for u, v in zip(run(True), run(False)):   # (the paths are summed in another order)
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_non_reentrant_module_caching_an_intermediate():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            h = self.lin(x).tanh()
            self.cache = h            # keeps a node of the forward's graph alive
            return h * 2

    ember.manual_seed(0)
    block = Block()
    x = ember.randn(2, 3, requires_grad=True)
    ref, _ = grads_of(block, x, block)
    got, _ = grads_of(block, x, lambda x: checkpoint(block, x, use_reentrant=False))
    assert_same(got, ref)


def test_double_backward_non_reentrant():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = ember.randn(5, 3, requires_grad=True)

    def penalty(run):
        for p in model.parameters():
            p.grad = None
        x.grad = None
        (g,) = ember.autograd.grad(run(x).sum(), x, create_graph=True)
        g.square().sum().backward()
        return [x.grad] + [p.grad for p in model.parameters()]

    ref = penalty(model)
    got = penalty(lambda x: checkpoint(model, x, use_reentrant=False))
    for u, v in zip(got, ref):
        if v is None:
            assert u is None or not u.numpy().any()
        else:
            np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6, atol=1e-7)


def test_nested_checkpoints():
    model = make_model().eval()
    x = ember.randn(5, 8, requires_grad=True)

    def inner(h):
        return checkpoint(model[3:5], h, use_reentrant=False)

    def outer(x):
        return model[6](inner(model[0:3](x)))

    ref, _ = grads_of(model, x, model)
    got, _ = grads_of(model, x, lambda x: checkpoint(outer, x, use_reentrant=False))
    for u, v in zip(got, ref):
        np.testing.assert_allclose(u, v, rtol=1e-6)


def test_grad_fn_and_no_grad():
    x = ember.randn(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert checkpoint(ember.sin, x).grad_fn.name() == "CheckpointFunctionBackward"
    with ember.no_grad():
        for use_reentrant in MODES:
            y = checkpoint(ember.sin, x, use_reentrant=use_reentrant)
            assert not y.requires_grad
            np.testing.assert_array_equal(y.numpy(), np.sin(x.detach().numpy()))


@pytest.mark.parametrize("use_reentrant", MODES)
def test_inplace_change_of_input_is_detected(use_reentrant):
    a = ember.randn(3, requires_grad=True)
    x = a * 1
    y = checkpoint(ember.exp, x, use_reentrant=use_reentrant)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_determinism_check():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2 if len(calls) == 1 else x[:2] * 2      # differs when recomputed

    x = ember.randn(3, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="Recomputed values for the following tensors "
                                              "have different metadata"):
        y.sum().backward()
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(f, x, use_reentrant=False, determinism_check="strict")


def test_context_fn_non_reentrant():
    seen = []

    class Tag:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            seen.append(self.name)

        def __exit__(self, *exc):
            return False

    x = ember.randn(3, requires_grad=True)
    y = checkpoint(ember.sin, x, use_reentrant=False,
                   context_fn=lambda: (Tag("forward"), Tag("recompute")))
    assert seen == ["forward"]
    y.sum().backward()
    assert seen == ["forward", "recompute"]


# ---------------------------------------------------------------------- PyTorch's messages
def _warning_of(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(x.message) for x in w if "use_reentrant" in str(x.message)]


@needs_torch
def test_use_reentrant_warnings_match_torch():
    x = ember.randn(3, requires_grad=True)
    tx = torch.randn(3, requires_grad=True)
    assert _warning_of(lambda: checkpoint(ember.sin, x)) == \
        _warning_of(lambda: tcp.checkpoint(torch.sin, tx))
    seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    tseq = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.ReLU())
    ours = _warning_of(lambda: checkpoint_sequential(seq, 2, x))
    assert ours and ours == _warning_of(lambda: tcp.checkpoint_sequential(tseq, 2, tx))
    assert _warning_of(lambda: checkpoint(ember.sin, x, use_reentrant=True)) == []


def test_use_reentrant_warning_without_torch():
    x = ember.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                         "explicitly"):
        checkpoint(ember.sin, x)


@pytest.mark.parametrize("call,match", [
    (lambda f, x: checkpoint(f, x, use_reentrant=True, a=1, b=2),
     "Unexpected keyword arguments: a,b"),
    (lambda f, x: checkpoint(f, x, use_reentrant=True, context_fn=lambda: (None, None)),
     "Passing `context_fn` or `debug` is only supported when use_reentrant=False."),
    (lambda f, x: checkpoint_sequential([f], 1, x, use_reentrant=False, a=1),
     "Unexpected keyword arguments: a"),
])
def test_value_errors_like_torch(call, match):
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match=match):
        call(ember.sin, x)
    if torch is not None:
        with pytest.raises(ValueError, match=match):
            call(torch.sin, torch.randn(3, requires_grad=True))


def test_reentrant_refuses_autograd_grad_and_backward_inputs():
    x = ember.randn(3, requires_grad=True)
    msg = ("When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
           "passing an `inputs` parameter to .backward().")
    for call in (lambda y: ember.autograd.grad(y.sum(), x),
                 lambda y: y.sum().backward(inputs=[x])):
        with pytest.raises(RuntimeError, match=re.escape(msg)):
            call(checkpoint(ember.sin, x, use_reentrant=True))
        call(checkpoint(ember.sin, x, use_reentrant=False))     # fine without reentrancy
    if torch is not None:
        tx = torch.randn(3, requires_grad=True)
        with pytest.raises(RuntimeError, match=re.escape(msg)):
            torch.autograd.grad(tcp.checkpoint(torch.sin, tx, use_reentrant=True).sum(), tx)


def test_reentrant_needs_an_output_with_grad():
    x = ember.randn(3, requires_grad=True)
    y = checkpoint(lambda t: (t * 2, t.detach() * 3), x, use_reentrant=True)
    (y[0].sum() + y[1].sum()).backward()      # the second output carries no gradient
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 2, np.float32))


# ---------------------------------------------------------------------- memory
def _peak_mib(model, x, run):
    for p in model.parameters():
        p.grad = None
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run(x).sum().backward()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("use_reentrant", MODES)
def test_checkpointing_lowers_peak_memory(use_reentrant):
    """24 Linear+ReLU blocks on a (2048, 128) batch: 1 MiB per activation. Without
    checkpointing every block's activations live until backward (~26 MiB); in 6 segments
    only the segment boundaries, the last segment and one recomputed segment do (~13 MiB).
    NumPy reports its buffers to tracemalloc, so this measures the arrays themselves."""
    ember.manual_seed(0)
    layers = []
    for _ in range(24):
        layers += [nn.Linear(128, 128), nn.ReLU()]
    model = nn.Sequential(*layers)
    x = ember.randn(2048, 128, requires_grad=True)
    plain = _peak_mib(model, x, model)
    ckpt = _peak_mib(model, x, lambda x: checkpoint_sequential(
        model, 6, x, use_reentrant=use_reentrant))
    assert plain > 20
    assert ckpt < 0.65 * plain, (plain, ckpt)
