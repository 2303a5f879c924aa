"""The Tensor object: attributes, conversions to Python/NumPy, memory sharing, errors."""
import copy
import pickle

import numpy as np
import pytest

import ember


def test_attributes():
    x = ember.zeros(2, 3)
    assert x.shape == (2, 3) and isinstance(x.shape, ember.Size)
    assert x.size() == ember.Size([2, 3]) and x.size(1) == 3 and x.size(-1) == 3
    assert repr(x.shape) == "torch.Size([2, 3])"
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and x.nelement() == 6
    assert x.dtype == ember.float32 and x.device == ember.device("cpu")
    assert not x.is_cuda and x.is_leaf and not x.requires_grad and x.grad is None
    assert x.element_size() == 4 and x.itemsize == 4 and x.nbytes == 24
    assert x.stride() == (3, 1) and x.is_contiguous() and x.storage_offset() == 0
    assert x.data_ptr() == x.numpy().__array_interface__["data"][0]
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)


def test_item_and_python_conversions():
    assert ember.tensor([[1]]).item() == 1
    assert ember.tensor(2.5).item() == 2.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to "
                                           "Scalar"):
        ember.tensor([1, 2]).item()
    assert int(ember.tensor(3.7)) == 3 and float(ember.tensor(2)) == 2.0
    assert bool(ember.tensor([1])) is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert [1, 2, 3][ember.tensor(1)] == 2
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.0)]
    assert f"{ember.tensor(3.14159):.2f}" == "3.14"
    assert len(ember.zeros(4, 2)) == 4
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))


def test_numpy_bridge_shares_memory():
    # seed 004: "Torch tensors and NumPy arrays share their memory"
    t = ember.ones(5)
    n = t.numpy()
    assert n.dtype == np.float32
    t.add_(1)
    np.testing.assert_array_equal(n, [2, 2, 2, 2, 2])
    n = np.ones(5)
    t = ember.from_numpy(n)
    assert t.dtype == ember.float64
    np.add(n, 1, out=n)
    np.testing.assert_array_equal(t.numpy(), [2, 2, 2, 2, 2])


def test_numpy_requires_grad_raises():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\) instead"):
        x.numpy()
    assert x.detach().numpy().shape == (2,)


def test_from_numpy_errors():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ember.from_numpy([1, 2])
    with pytest.raises(ValueError, match="negative"):
        ember.from_numpy(np.arange(3)[::-1])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        ember.from_numpy(np.array(["a"]))


def test_tensor_constructor_inference():
    assert ember.tensor([[1, 2, 3], [4, 5, 6]]).dtype == ember.int64
    assert ember.tensor([1, 2.0]).dtype == ember.float32
    assert ember.tensor([True, False]).dtype == ember.bool
    assert ember.tensor(np.array([1.0])).dtype == ember.float64
    assert ember.tensor(3).dtype == ember.int64 and ember.tensor(3).shape == ()
    assert ember.tensor([1j]).dtype == ember.complex64
    assert ember.tensor([]).dtype == ember.float32 and ember.tensor([]).shape == (0,)
    assert ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]).shape == (2,)
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1 \\(got 3\\)"):
        ember.tensor([[1, 2], [1, 2, 3]])
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        ember.tensor(["a"])


def test_full_and_like():
    c = ember.full((2, 3), 3)
    assert c.dtype == ember.int64 and c.tolist() == [[3, 3, 3], [3, 3, 3]]
    assert ember.full((2,), 1.5).dtype == ember.float32
    assert ember.full((2,), True).dtype == ember.bool
    a = ember.tensor([[1, 2, 3], [4, 5, 6]])
    d = ember.ones_like(a)
    assert d.dtype == ember.int64 and d.shape == (2, 3)
    assert ember.ones_like(a, dtype=ember.float).dtype == ember.float32
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        ember.zeros(-1, 3)


def test_data_and_detach():
    x = ember.ones(2, requires_grad=True)
    d = x.data
    assert not d.requires_grad and np.shares_memory(d._data, x._data)
    y = x.detach()
    assert not y.requires_grad and np.shares_memory(y._data, x._data)
    x.data = ember.zeros(3)
    assert x.shape == (3,) and x.requires_grad


def test_grad_setter_checks():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = ember.ones(3)
    with pytest.raises(RuntimeError, match="different type"):
        x.grad = ember.ones(2, dtype=ember.float64)
    x.grad = ember.ones(2)
    assert x.grad.shape == (2,)


def test_pickle_and_deepcopy():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.tolist() == [1.0, 2.0]
    z = copy.deepcopy(x)
    assert z.requires_grad and not np.shares_memory(z._data, x._data)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_hash_is_identity():
    a, b = ember.ones(1), ember.ones(1)
    assert len({a, b}) == 2


def test_numpy_interop_operators():
    x = ember.tensor([1.0, 2.0])
    r = np.float32(2) * x
    assert isinstance(r, ember.Tensor) and r.tolist() == [2.0, 4.0]
    assert np.asarray(x).tolist() == [1.0, 2.0]


def test_to_and_casts():
    x = ember.tensor([1.5, -2.5], requires_grad=True)
    y = x.int()
    assert y.dtype == ember.int32 and y.tolist() == [1, -2] and not y.requires_grad
    z = x.double()
    assert z.dtype == ember.float64 and z.grad_fn.name() == "ToCopyBackward0"
    z.sum().backward()
    assert x.grad.dtype == ember.float32 and x.grad.tolist() == [1.0, 1.0]
    assert x.to(ember.float32) is x
    assert x.to(ember.float32, copy=True) is not x
    assert x.long().type() == "torch.LongTensor"
    assert ember.tensor([1, 2]).type_as(x).dtype == ember.float32
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not np.shares_memory(c._data, x._data)


def test_pin_memory_without_accelerator():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    x = ember.ones(2)
    assert not x.is_pinned()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is "
                                           "available"):
        x.pin_memory()


def test_stride_of_empty_tensors_is_contiguous():
    assert ember.zeros(2, 0, 3).stride() == (3, 3, 1)
    assert ember.zeros(3, 2, 0).stride() == (2, 1, 1)
    assert ember.zeros(0, 4).stride(0) == 4


def test_no_numpy_warnings_for_inf_nan_but_user_numpy_still_warns():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import importlib
        importlib.reload(importlib.import_module("ember._warnings"))
        x = ember.tensor([0.0, 1.0])
        (1.0 / x, ember.log(x), x * float("inf"), ember.sqrt(-x - 1))
        with pytest.raises(RuntimeWarning):
            np.array([1.0]) / np.array([0.0])


@pytest.mark.parametrize("data", [[2**63], 2**63, [-2**63 - 1], [1, 2**70]])
def test_tensor_int_overflow_raises_like_torch(data):
    # NumPy would wrap (uint64 -> int64) or build an object array; PyTorch refuses
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        ember.tensor(data)


def test_tensor_int_range_edges_and_float_context():
    assert ember.tensor([2**63 - 1, -2**63]).tolist() == [2**63 - 1, -2**63]
    t = ember.tensor([1.0, 2**64])            # a float among them: float32, no overflow
    assert t.dtype == ember.float32 and t[1].item() == float(2**64)
