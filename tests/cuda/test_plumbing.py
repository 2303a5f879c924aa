"""PLUMBING tests, not GPU verification: ember.cuda driven against a stand-in `cupy` module
(tests/cuda/fake_cupy.py) that exposes exactly the CuPy calls ember makes. They check the
bookkeeping ember adds on top of CuPy (peak tracking, counters, stream/event wiring, device
indices, pinned blocks) and how CuPy is called. What a real GPU does is checked by
tests/cuda/test_gpu.py, which runs only where a GPU is present."""
import collections
import sys
import warnings

import numpy as np
import pytest

import ember
from ember import accelerator
from ember.backends import cuda as cuda_backend
from ember.cuda import device_info, memory
from tests.cuda.fake_cupy import OutOfMemoryError, make_fake_cupy


@pytest.fixture
def cp(monkeypatch):
    fake = make_fake_cupy(n_devices=2)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(cuda_backend, "_available", True)
    monkeypatch.setitem(memory._tracker, "installed", None)
    monkeypatch.setattr(memory, "_counters", collections.defaultdict(memory._DeviceCounters))
    monkeypatch.setattr(memory, "_fraction", {})
    monkeypatch.setattr(device_info, "_props_cache", {})
    monkeypatch.setattr(ember.cuda._state, "_current", [0])
    return fake


def test_memory_allocated_tracks_pool_and_peak(cp):
    assert ember.cuda.memory_allocated() == 0          # installs the counting allocator
    assert cp._state["allocator"] is not None
    a = cp.cuda.alloc(1000)                            # rounded to 1024 by the pool
    b = cp.cuda.alloc(3000)
    assert ember.cuda.memory_allocated() == 1024 + 3072
    assert ember.cuda.max_memory_allocated() == 4096
    b.free()
    assert ember.cuda.memory_allocated() == 1024
    assert ember.cuda.max_memory_allocated() == 4096   # the peak stays
    assert ember.cuda.memory_reserved() == 4096        # the pool keeps the freed block
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == 1024
    ember.cuda.empty_cache()
    assert ("free_all_blocks", 0) in cp._state["log"]
    assert ember.cuda.memory_reserved() == 1024
    assert ember.cuda.max_memory_reserved() == 4096    # held when the peaks were reset
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_reserved() == 1024
    a.free()
    assert ember.cuda.memory_allocated() == 0


def test_peak_is_exact_between_queries(cp):
    # the peak comes from the allocator, not from sampling at query time
    ember.cuda.reset_peak_memory_stats()
    for _ in range(3):
        cp.cuda.alloc(10_000).free()
    big = cp.cuda.alloc(1 << 20)
    big.free()
    assert ember.cuda.memory_allocated() == 0
    assert ember.cuda.max_memory_allocated() == 1 << 20


def test_memory_stats_keys_and_counts(cp):
    ember.cuda.memory_stats()
    p = cp.cuda.alloc(512)
    s = ember.cuda.memory_stats()
    assert isinstance(s, collections.OrderedDict)
    for k in ("allocated_bytes.all.current", "allocated_bytes.all.peak",
              "reserved_bytes.all.current", "reserved_bytes.all.peak",
              "active_bytes.all.current", "allocated_bytes.large_pool.current",
              "allocated_bytes.small_pool.current", "num_ooms",
              "allocation.all.allocated", "allocated_bytes.all.allocated",
              "allocated_bytes.all.freed"):
        assert k in s, k
    assert s["allocation.all.allocated"] == 1 and s["allocated_bytes.all.allocated"] == 512
    p.free()
    s = ember.cuda.memory_stats()
    assert s["allocated_bytes.all.freed"] == 512 and s["allocated_bytes.all.current"] == 0
    nested = ember.cuda.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["peak"] == 512
    ember.cuda.reset_accumulated_memory_stats()
    assert ember.cuda.memory_stats()["allocation.all.allocated"] == 0
    text = ember.cuda.memory_summary()
    assert "Allocated memory" in text and "GPU reserved memory" in text


def test_stats_are_per_device(cp):
    ember.cuda.memory_allocated()
    with ember.cuda.device(1):
        cp.cuda.alloc(2048)
        assert ember.cuda.current_device() == 1
    assert ember.cuda.current_device() == 0
    assert ember.cuda.memory_allocated(0) == 0
    assert ember.cuda.memory_allocated(1) == 2048
    assert ember.cuda.max_memory_allocated("cuda:1") == 2048
    assert ember.cuda.memory_allocated(ember.device("cuda", 1)) == 2048
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        ember.cuda.memory_allocated("cpu")


def test_fraction_limit_and_oom_counter(cp):
    ember.cuda.set_per_process_memory_fraction(0.5)
    assert ("set_limit", 0, None, 0.5) in cp._state["log"]
    assert ember.cuda.get_per_process_memory_fraction() == 0.5
    with pytest.raises(OutOfMemoryError):
        cp.cuda.alloc(41 * 2 ** 30)
    assert ember.cuda.memory_stats()["num_ooms"] == 1
    with pytest.raises(TypeError, match="must be `float`"):
        ember.cuda.set_per_process_memory_fraction(1)
    with pytest.raises(ValueError, match="Invalid fraction value: 1.5"):
        ember.cuda.set_per_process_memory_fraction(1.5)
    free, total = ember.cuda.mem_get_info()
    assert total == 80 * 2 ** 30 and free <= total


def test_deprecated_spellings_warn_and_forward(cp):
    cp.cuda.alloc(4096)
    with pytest.warns(FutureWarning, match="renamed to `torch.cuda.memory_reserved`"):
        assert ember.cuda.memory_cached() == 4096
    with pytest.warns(FutureWarning, match="resets /all/ peak memory stats"):
        ember.cuda.reset_max_memory_allocated()


def test_streams_and_events(cp):
    s = ember.cuda.Stream()
    assert s.device == ember.device("cuda", 0) and s.cuda_stream != 0
    assert ember.cuda.current_stream() == ember.cuda.default_stream()
    assert ember.cuda.default_stream().cuda_stream == 0
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s      # CuPy's current stream is s
    assert ember.cuda.current_stream().cuda_stream == 0
    assert ("Stream.use", s.cuda_stream) in cp._state["log"]
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    cp.tick(0.25)
    end.record(s)
    end.synchronize()
    assert start.elapsed_time(end) == pytest.approx(250.0)
    assert end.query() and s.query()
    assert ("Event.record", s.cuda_stream) in cp._state["log"]
    s.wait_event(start)
    s.wait_stream(ember.cuda.default_stream())
    assert sum(1 for e in cp._state["log"] if e[0] == "Stream.wait_event") == 2
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        ember.cuda.Event().elapsed_time(end)
    with pytest.raises(RuntimeError, match="recorded"):
        ember.cuda.Event(enable_timing=True).elapsed_time(end)
    ember.cuda.synchronize()
    assert ("Device.synchronize", 0) in cp._state["log"]
    assert ember.cuda.is_current_stream_capturing() is False


def test_device_queries(cp):
    p = ember.cuda.get_device_properties(0)
    assert (p.name, p.major, p.minor, p.total_memory, p.multi_processor_count) == \
        ("Fake GPU 0", 9, 0, 80 * 2 ** 30, 132)
    assert "name='Fake GPU 0'" in repr(p)
    assert ember.cuda.get_device_capability() == (9, 0)
    assert ember.cuda.get_device_name(1) == "Fake GPU 1"
    assert ember.cuda.is_bf16_supported() is True
    assert ember.cuda.get_arch_list() == ["sm_90"]
    assert ember.cuda.can_device_access_peer(0, 1) is True
    with pytest.raises(AssertionError, match="Invalid device id"):
        ember.cuda.get_device_properties(5)
    ember.cuda.set_device(1)
    assert ember.cuda.current_device() == 1 and ("Device.use", 1) in cp._state["log"]
    ember.cuda.set_device(0)


def test_old_gpu_has_no_bf16(monkeypatch):
    fake = make_fake_cupy(major=7, minor=5)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(cuda_backend, "_available", True)
    monkeypatch.setattr(device_info, "_props_cache", {})
    assert ember.cuda.is_bf16_supported() is False


def test_accelerator_forwards_to_cuda(cp):
    cp.cuda.alloc(1024)
    assert accelerator.memory_allocated() == ember.cuda.memory_allocated() == 1024
    assert accelerator.max_memory_allocated(0) == 1024
    assert accelerator.memory_reserved() == 1024
    assert accelerator.memory_stats()["allocated_bytes.all.current"] == 1024
    accelerator.reset_peak_memory_stats()
    accelerator.reset_accumulated_memory_stats()
    accelerator.empty_cache()
    accelerator.empty_host_cache()
    assert ("pinned_free_all_blocks",) in cp._state["log"]
    assert accelerator.get_memory_info()[1] == 80 * 2 ** 30
    assert ember.float32 in accelerator.get_device_capability()["supported_dtypes"]
    s = ember.cuda.Stream()
    accelerator.set_stream(s)
    assert accelerator.current_stream() == s


def test_pin_memory_copies_into_a_pinned_block(cp):
    x = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    assert not x.is_pinned()
    p = x.pin_memory()
    assert p.is_pinned() and p.device.type == "cpu" and p.dtype == x.dtype
    assert ("alloc_pinned_memory", 24) in cp._state["log"]
    np.testing.assert_array_equal(p.numpy(), x.numpy())
    assert not np.shares_memory(p.numpy(), x.numpy())
    assert p.pin_memory() is p                      # already pinned: itself
    assert p[1:].is_pinned()                        # views of pinned memory are pinned
    assert not p.clone().is_pinned()


def test_dataloader_pin_memory_pins_batches(cp):
    ds = ember.utils.data.TensorDataset(ember.arange(8.0), ember.arange(8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no "no accelerator" warning now
        batches = list(ember.utils.data.DataLoader(ds, batch_size=4, pin_memory=True))
    assert len(batches) == 2
    assert all(t.is_pinned() for b in batches for t in b)
    unpinned = next(iter(ember.utils.data.DataLoader(ds, batch_size=4)))
    assert not any(t.is_pinned() for t in unpinned)
