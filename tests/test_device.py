"""Devices: parsing, placement, `.to()`/`.cuda()`/`.cpu()`, and mismatch errors.

Without a GPU, a fixture registers a stand-in backend for the 'cuda' device type that keeps
arrays in NumPy but copies on every transfer, so placement logic runs for real."""
import numpy as np
import pytest

import ember
from ember import backends


class StandInBackend:
    name = "cuda"
    xp = np

    @staticmethod
    def asarray(array, dev=None):
        return np.array(array, copy=True)   # a transfer is always a copy

    @staticmethod
    def to_numpy(array):
        return np.array(array, copy=True)


@pytest.fixture
def fake_cuda():
    prev = backends._backends.get("cuda")
    backends.register_backend("cuda", StandInBackend())
    yield
    if prev is None:
        backends._backends.pop("cuda", None)
    else:
        backends._backends["cuda"] = prev


def test_device_parsing_and_identity():
    d = ember.device("cuda:1")
    assert d.type == "cuda" and d.index == 1
    assert ember.device("cuda", 1) is d
    assert repr(d) == "device(type='cuda', index=1)" and str(d) == "cuda:1"
    assert repr(ember.device("cpu")) == "device(type='cpu')"
    assert ember.device("cpu") == "cpu"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.device("tpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        ember.device("cuda:x")


def test_cuda_unavailable_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    assert ember.cuda.device_count() == 0
    x = ember.ones(2)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled|NVIDIA"):
        x.cuda()
    with pytest.raises(AssertionError):
        x.to("cuda")
    with pytest.raises(AssertionError):
        ember.zeros(2, device="cuda")


def test_placement_and_transfer(fake_cuda):
    x = ember.tensor([1.0, 2.0])
    y = x.cuda()
    assert y.device == ember.device("cuda", 0) and y.is_cuda and not x.is_cuda
    assert y.type() == "torch.cuda.FloatTensor"
    assert not np.shares_memory(y._data, x._data)
    z = ember.ones(2, 3, device="cuda:0", dtype=ember.float64)
    assert z.device.type == "cuda" and z.dtype == ember.float64
    back = (y * 2).cpu()
    assert back.device.type == "cpu"
    np.testing.assert_array_equal(back.numpy(), [2, 4])
    assert y.to("cpu").device == ember.device("cpu")
    assert x.to(y).device == y.device
    assert x.to("cuda", ember.float64).dtype == ember.float64


def test_numpy_of_cuda_tensor_raises(fake_cuda):
    y = ember.ones(2).cuda()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()


def test_mixed_devices_raise_naming_both(fake_cuda):
    x = ember.ones(3)
    y = ember.ones(3).cuda()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices, cpu and cuda:0"):
        x + y
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        y * x
    with pytest.raises(RuntimeError, match="same device"):
        ember.matmul(ember.ones(2, 2), ember.ones(2, 2).cuda())


def test_zero_dim_cpu_tensor_joins_cuda_op(fake_cuda):
    y = ember.ones(3).cuda()
    s = ember.tensor(2.0)
    r = y * s
    assert r.device == y.device
    np.testing.assert_array_equal(r.cpu().numpy(), [2, 2, 2])


def test_gradient_flows_across_transfer(fake_cuda):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda() * 3
    y.sum().backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_legacy_cuda_types(fake_cuda):
    y = ember.cuda.FloatTensor([1, 2])
    assert y.is_cuda and y.dtype == ember.float32
    assert isinstance(y, ember.cuda.FloatTensor) and not isinstance(y, ember.FloatTensor)
    assert isinstance(ember.zeros(1), ember.FloatTensor)
    assert not isinstance(ember.zeros(1), ember.cuda.FloatTensor)
    assert ember.zeros(2).type(ember.cuda.LongTensor).type() == "torch.cuda.LongTensor"


# ---------------------------------------------------------------- default device


@pytest.fixture(autouse=True)
def _restore():
    yield
    ember.set_default_device(None)


def test_default_is_cpu_and_factories_follow_it(fake_cuda):
    assert ember.get_default_device() == ember.device("cpu")
    ember.set_default_device("cuda")
    assert ember.get_default_device() == ember.device("cuda", 0)
    for t in (ember.ones(2), ember.zeros(2, 3), ember.tensor([1.0]), ember.arange(3),
              ember.full((2,), 1.0), ember.eye(2),
              ember.nn.LayerNorm(2).weight, ember.nn.BatchNorm1d(2).running_var):
        assert t.device.type == "cuda", t
    # explicit devices and tensors made from NumPy memory stay where they are asked to be
    assert ember.ones(2, device="cpu").device.type == "cpu"
    assert ember.from_numpy(np.ones(2)).device.type == "cpu"
    ember.set_default_device(None)
    assert ember.ones(1).device.type == "cpu"


def test_device_context_manager_nests_and_restores(fake_cuda):
    with ember.device("cuda"):
        assert ember.zeros(1).device.type == "cuda"
        with ember.device("cpu"):
            assert ember.zeros(1).device.type == "cpu"
        assert ember.get_default_device().type == "cuda"
    assert ember.get_default_device() == ember.device("cpu")


def test_cuda_default_without_cuda_fails_like_torch():
    if ember.cuda.is_available():
        pytest.skip("CUDA present")
    ember.set_default_device("cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled|NVIDIA"):
        ember.get_default_device()
    with pytest.raises(AssertionError):
        ember.ones(2)
    torch = pytest.importorskip("torch")
    torch.set_default_device("cuda")
    try:
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            torch.ones(2)
    finally:
        torch.set_default_device(None)
