"""torch.accelerator on a machine without CUDA answers as PyTorch's CPU build does."""
import warnings

import pytest

import ember
from ember import accelerator

NEEDS_DEVICE = ["current_device_index", "current_stream", "synchronize", "empty_cache",
                "memory_allocated", "max_memory_allocated", "memory_reserved",
                "max_memory_reserved", "memory_stats", "get_memory_info",
                "get_device_capability", "reset_peak_memory_stats",
                "reset_accumulated_memory_stats", "empty_host_cache"]

no_cuda = pytest.mark.skipif(ember.cuda.is_available(), reason="CUDA present")


def test_lazy_attribute():
    assert ember.accelerator is accelerator


@no_cuda
def test_queries_without_an_accelerator():
    assert accelerator.is_available() is False
    assert accelerator.current_accelerator() is None
    assert accelerator.current_accelerator(check_available=True) is None
    assert accelerator.device_count() == 0
    with accelerator.device_index(None):     # None is allowed without a device
        pass


@no_cuda
@pytest.mark.parametrize("name", NEEDS_DEVICE)
def test_device_calls_raise_pytorchs_error(name):
    with pytest.raises(RuntimeError,
                       match="^Cannot access accelerator device when none is available.$"):
        getattr(accelerator, name)()


@no_cuda
def test_set_device_and_device_index_raise():
    msg = "Cannot access accelerator device when none is available."
    with pytest.raises(RuntimeError, match=msg):
        accelerator.set_device_index(0)
    with pytest.raises(RuntimeError, match=msg):
        with accelerator.device_index(0):
            pass
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match=msg):
            accelerator.current_device_idx()
    assert w and w[0].category is FutureWarning


def test_matches_torch():
    torch = pytest.importorskip("torch")
    assert set(accelerator.__all__) <= set(torch.accelerator.__all__) | {"Graph"}
    assert accelerator.is_available() is torch.accelerator.is_available()
    assert accelerator.device_count() == torch.accelerator.device_count()
    assert (accelerator.current_accelerator() is None) == \
        (torch.accelerator.current_accelerator() is None)
    for name in NEEDS_DEVICE:
        try:
            getattr(torch.accelerator, name)()
        except RuntimeError as e:
            with pytest.raises(RuntimeError) as ee:
                getattr(accelerator, name)()
            assert str(ee.value) == str(e)
