"""ember.nn.utils.prune against torch.nn.utils.prune: the same masks, names and gradients."""
import numpy as np
import pytest

import ember
from ember.nn.utils import prune


def _pair(torch, shape=(4, 6), seed=0):
    w = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    em, tm = ember.nn.Linear(shape[1], shape[0]), torch.nn.Linear(shape[1], shape[0])
    b = np.linspace(-1, 1, shape[0]).astype(np.float32)
    with ember.no_grad():
        em.weight.copy_(ember.tensor(w))
        em.bias.copy_(ember.tensor(b))
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
        tm.bias.copy_(torch.tensor(b))
    return em, tm


@pytest.fixture
def torch():
    t = pytest.importorskip("torch")
    import torch.nn.utils.prune  # noqa: F401
    return t


def test_l1_then_ln_structured_like_torch(torch):
    em, tm = _pair(torch)
    prune.l1_unstructured(em, "weight", amount=0.3)
    torch.nn.utils.prune.l1_unstructured(tm, "weight", amount=0.3)
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]
    np.testing.assert_array_equal(em.weight_mask.numpy(), tm.weight_mask.numpy())
    prune.ln_structured(em, "weight", amount=1, n=2, dim=0)
    torch.nn.utils.prune.ln_structured(tm, "weight", amount=1, n=2, dim=0)
    np.testing.assert_array_equal(em.weight_mask.numpy(), tm.weight_mask.numpy())
    prune.l1_unstructured(em, "weight", amount=2)
    torch.nn.utils.prune.l1_unstructured(tm, "weight", amount=2)
    np.testing.assert_array_equal(em.weight_mask.numpy(), tm.weight_mask.numpy())
    hook = [h for h in em._forward_pre_hooks.values()][0]
    assert isinstance(hook, prune.PruningContainer) and len(hook) == 3
    # the forward uses the masked weight; gradients reach weight_orig through the mask
    x = np.ones((2, 6), np.float32)
    ye, yt = em(ember.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(em.weight_orig.grad.numpy(), tm.weight_orig.grad.numpy())
    prune.remove(em, "weight")
    torch.nn.utils.prune.remove(tm, "weight")
    assert [n for n, _ in em.named_parameters()] == ["weight", "bias"] or \
        sorted(n for n, _ in em.named_parameters()) == ["bias", "weight"]
    np.testing.assert_array_equal(em.weight.detach().numpy(), tm.weight.detach().numpy())
    assert not prune.is_pruned(em)


def test_global_unstructured_and_state_dict_like_torch(torch):
    e1, t1 = _pair(torch, (3, 5), 1)
    e2, t2 = _pair(torch, (4, 3), 2)
    prune.global_unstructured([(e1, "weight"), (e2, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.4)
    torch.nn.utils.prune.global_unstructured(
        [(t1, "weight"), (t2, "weight")], pruning_method=torch.nn.utils.prune.L1Unstructured,
        amount=0.4)
    for e, t in ((e1, t1), (e2, t2)):
        np.testing.assert_array_equal(e.weight_mask.numpy(), t.weight_mask.numpy())
        assert sorted(e.state_dict()) == sorted(t.state_dict())


def test_custom_mask_random_and_errors():
    m = ember.nn.Linear(3, 2)
    mask = ember.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    prune.custom_from_mask(m, "weight", mask)
    assert (m.weight == m.weight_orig * mask).all() and prune.is_pruned(m)
    prune.random_unstructured(m, "bias", amount=1)
    assert int(m.bias_mask.sum().item()) == 1
    r = ember.nn.Conv2d(2, 4, 3)
    prune.random_structured(r, "weight", amount=0.5, dim=0)
    assert int((r.weight_mask.sum(dim=(1, 2, 3)) > 0).sum().item()) == 2
    with pytest.raises(ValueError, match="should either be a float in the range"):
        prune.l1_unstructured(ember.nn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
        prune.l1_unstructured(ember.nn.Linear(2, 2), "weight", amount=20)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(ember.nn.Linear(2, 2), "weight")
    lin = ember.nn.Linear(2, 2)
    with pytest.raises(ValueError):
        prune.l1_unstructured(lin, "weight", amount=20)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]   # restored
