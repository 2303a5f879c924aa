"""dtype objects, PyTorch's promotion rules, default dtype, finfo/iinfo, legacy types."""
import itertools

import numpy as np
import pytest

import ember
from tests.conformance.harness import torch, requires_torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]


def test_repr_and_aliases():
    assert repr(ember.float32) == "torch.float32"
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.long is ember.int64 and ember.half is ember.float16
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.complex64.is_complex


@requires_torch
@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_matches_torch(a, b):
    got = ember.promote_types(getattr(ember, a), getattr(ember, b))
    want = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert str(got) == str(want)


def _same(got, want):
    # NumPy has no complex32, so where PyTorch gives complex32 ember widens to complex64.
    want = str(want).replace("complex32", "complex64")
    return str(got) == want


def _t(lib, name, ndim):
    shape = (2,) if ndim else ()
    return lib.zeros(shape, dtype=getattr(lib, name))


@requires_torch
@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_result_type_zero_dim_and_scalars_match_torch(a, b):
    for da, db in [(1, 0), (0, 1), (0, 0)]:
        got = ember.result_type(_t(ember, a, da), _t(ember, b, db))
        want = torch.result_type(_t(torch, a, da), _t(torch, b, db))
        assert _same(got, want), (a, da, b, db)
    for s in [True, 3, 2.5, 1j]:
        got = ember.result_type(_t(ember, a, 1), s)
        want = torch.result_type(_t(torch, a, 1), s)
        assert _same(got, want), (a, s)


def test_promotion_without_torch():
    i64 = ember.zeros(2, dtype=ember.int64)
    f32 = ember.zeros(2)
    assert (i64 + 2.5).dtype == ember.float32
    assert (i64 + f32).dtype == ember.float32
    assert (f32 + ember.tensor(1.0, dtype=ember.float64)).dtype == ember.float32
    assert (i64 / 2).dtype == ember.float32
    assert (i64 + 1).dtype == ember.int64
    assert (ember.zeros(2, dtype=ember.uint8) + ember.zeros(2, dtype=ember.int8)).dtype == \
        ember.int16


def test_default_dtype():
    assert ember.get_default_dtype() == ember.float32
    ember.set_default_dtype(ember.float64)
    assert ember.tensor([1.5]).dtype == ember.float64
    assert ember.zeros(2).dtype == ember.float64
    assert (ember.tensor([1, 2]) / 2).dtype == ember.float64
    with pytest.raises(TypeError, match="only floating-point types"):
        ember.set_default_dtype(ember.int64)


def test_set_default_tensor_type():
    ember.set_default_tensor_type(ember.DoubleTensor)
    assert ember.tensor([1.0]).dtype == ember.float64
    ember.set_default_tensor_type("torch.FloatTensor")
    assert ember.tensor([1.0]).dtype == ember.float32


def test_finfo_iinfo():
    fi = ember.finfo(ember.float32)
    assert fi.eps == pytest.approx(np.finfo(np.float32).eps)
    assert fi.bits == 32 and fi.max == pytest.approx(3.4028234663852886e38)
    assert ember.finfo().dtype == "float32"
    ii = ember.iinfo(ember.int8)
    assert (ii.min, ii.max, ii.bits) == (-128, 127, 8)
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)


def test_legacy_types():
    x = ember.FloatTensor([1, 2])
    assert x.dtype == ember.float32 and x.type() == "torch.FloatTensor"
    assert isinstance(x, ember.FloatTensor) and not isinstance(x, ember.LongTensor)
    y = x.type(ember.LongTensor)
    assert y.dtype == ember.int64 and y.type() == "torch.LongTensor"
    assert x.type("torch.DoubleTensor").dtype == ember.float64
    assert x.type(ember.int32).dtype == ember.int32
    z = ember.LongTensor(2, 3)
    assert z.shape == (2, 3) and z.dtype == ember.int64
    e = ember.Tensor(10, 20)
    assert e.shape == (10, 20) and e.dtype == ember.float32
    assert ember.Tensor([1, 2]).dtype == ember.float32
    assert ember.Tensor().shape == (0,)
    assert ember.BoolTensor([True]).dtype == ember.bool
    assert ember.ByteTensor([1]).type() == "torch.ByteTensor"


def test_bfloat16_needs_ml_dtypes_or_works():
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="ml_dtypes"):
            ember.zeros(2, dtype=ember.bfloat16)
    else:
        assert ember.zeros(2, dtype=ember.bfloat16).dtype == ember.bfloat16
