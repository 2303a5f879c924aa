"""ember.testing (torch.testing): assert_close's verdicts and messages match PyTorch's."""
import numpy as np
import pytest

import ember
from ember.testing import assert_close, make_tensor

CASES = [
    ([1.0, 2.0, 3.0], [1.0, 2.1, 3.0], "float32", "float32", {}),
    ([1, 2], [1, 3], "int64", "int64", {}),
    ([1.0], [1.0], "float32", "float64", {}),
    ([1.0, 2.0], [1.0, 2.0, 3.0], "float32", "float32", {}),
    ([float("nan")], [float("nan")], "float32", "float32", {}),
    ([float("nan")], [float("nan")], "float32", "float32", {"equal_nan": True}),
    ([1.0, 2.0], [1.0, 2.0000001], "float32", "float32", {}),
    ([1.0], [1.5], "float64", "float64", {"rtol": 0.5, "atol": 0.0}),
    ([1.0], [1.0], "float32", "float64", {"check_dtype": False}),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], "float64", "float64", {}),
    ([True, False], [True, True], "bool", "bool", {}),
]


def _outcome(lib, a, e, da, de, kw):
    try:
        lib.testing.assert_close(lib.tensor(a, dtype=getattr(lib, da)),
                                 lib.tensor(e, dtype=getattr(lib, de)), **kw)
        return "ok"
    except AssertionError as err:
        return "AssertionError: " + str(err).replace("ember.", "torch.")


@pytest.mark.parametrize("a, e, da, de, kw", CASES)
def test_like_torch(a, e, da, de, kw):
    torch = pytest.importorskip("torch")
    import torch.testing  # noqa: F401
    assert _outcome(ember, a, e, da, de, kw) == _outcome(torch, a, e, da, de, kw)


def test_containers_scalars_and_errors():
    assert_close([ember.ones(1), {"a": ember.zeros(2)}], [ember.ones(1), {"a": ember.zeros(2)}])
    with pytest.raises(AssertionError, match=r"The failure occurred for item \[1\]\['a'\]"):
        assert_close([ember.ones(1), {"a": ember.zeros(2)}], [ember.ones(1), {"a": ember.ones(2)}])
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(ember.ones(1), 1.0)
    assert_close(1.0, 1.0 + 1e-9)
    with pytest.raises(AssertionError, match="Scalars are not close"):
        assert_close(1.0, 1.1)
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(ember.ones(1), ember.ones(1), rtol=1e-3)
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(ember.ones(1), ember.zeros(1), msg="custom")
    assert_close(np.ones(2), np.ones(2))


def test_make_tensor():
    t = make_tensor(3, 4, dtype=ember.float32, device="cpu", low=-1, high=1)
    assert t.shape == (3, 4) and t.dtype == ember.float32
    assert (t >= -1).all() and (t < 1).all()
    i = make_tensor((50,), dtype=ember.int64, device="cpu", exclude_zero=True)
    assert (i != 0).all() and (i >= -9).all() and (i < 10).all()
    u = make_tensor(50, dtype=ember.uint8, device="cpu")
    assert (u >= 0).all() and (u < 10).all()
    n = make_tensor(2, 3, dtype=ember.float64, device="cpu", noncontiguous=True,
                    requires_grad=True)
    assert not n.is_contiguous() and n.requires_grad
    with pytest.raises(ValueError, match="low"):
        make_tensor(2, dtype=ember.float32, device="cpu", low=2, high=1)
