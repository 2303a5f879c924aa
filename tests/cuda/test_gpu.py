"""GPU verification of ember.cuda: runs only where ember can use CUDA (CuPy and a GPU), and
compares with torch.cuda where PyTorch sees the GPU too. Elsewhere every test skips."""
import numpy as np
import pytest

import ember

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(),
                                reason="needs an NVIDIA GPU with CuPy")

try:
    import torch
    HAVE_TORCH_CUDA = torch.cuda.is_available()
except ImportError:
    torch, HAVE_TORCH_CUDA = None, False

needs_torch_cuda = pytest.mark.skipif(not HAVE_TORCH_CUDA, reason="torch.cuda not available")
MiB = 1 << 20


def test_memory_stats_follow_allocations():
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    base = ember.cuda.memory_allocated()
    ember.cuda.reset_peak_memory_stats()
    x = ember.empty(4 * MiB // 4, dtype=ember.float32, device="cuda")
    assert ember.cuda.memory_allocated() == base + 4 * MiB
    y = ember.empty(8 * MiB // 4, dtype=ember.float32, device="cuda")
    assert ember.cuda.max_memory_allocated() == base + 12 * MiB
    assert ember.cuda.memory_reserved() >= ember.cuda.memory_allocated()
    del x, y
    assert ember.cuda.memory_allocated() == base
    assert ember.cuda.max_memory_allocated() == base + 12 * MiB
    reserved = ember.cuda.memory_reserved()
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() < reserved     # the freed blocks went back
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == base
    free, total = ember.cuda.mem_get_info()
    assert 0 < free <= total
    assert "Allocated memory" in ember.cuda.memory_summary()


def test_training_memory_is_flat():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(256, 512), ember.nn.ReLU(),
                                ember.nn.Linear(512, 10)).cuda()
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    x = ember.randn(64, 256, device="cuda")
    y = ember.randint(0, 10, (64,), device="cuda")
    seen = []
    for step in range(200):
        opt.zero_grad()
        loss = ember.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step in (20, 199):
            ember.cuda.synchronize()
            seen.append(ember.cuda.memory_allocated())
    assert seen[0] == seen[1], f"memory grew from {seen[0]} to {seen[1]} bytes"


def test_events_time_a_matmul_on_a_side_stream():
    a = ember.randn(2048, 2048, device="cuda")
    s = ember.cuda.Stream()
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    s.wait_stream(ember.cuda.current_stream())
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
        start.record()
        c = a @ a
        end.record()
    assert ember.cuda.current_stream() == ember.cuda.default_stream()
    end.synchronize()
    assert end.query() and s.query()
    ms = start.elapsed_time(end)
    assert 0 < ms < 10_000
    ref = a.cpu().numpy().astype(np.float64) @ a.cpu().numpy().astype(np.float64)
    np.testing.assert_allclose(c.cpu().numpy(), ref, rtol=1e-3, atol=1e-2)


def test_pin_memory_round_trip():
    x = ember.randn(1000, 33)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned()
    g = p.to("cuda", non_blocking=True)
    ember.cuda.synchronize()
    np.testing.assert_array_equal(g.cpu().numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        g.pin_memory()
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x), batch_size=100,
                                         pin_memory=True)
    assert all(b.is_pinned() for (b,) in loader)


def test_device_context_and_properties():
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0
    p = ember.cuda.get_device_properties(0)
    assert p.total_memory > 0 and p.multi_processor_count > 0 and p.name
    assert ember.cuda.get_device_capability() == (p.major, p.minor)
    assert ember.cuda.get_arch_list() == [f"sm_{p.major}{p.minor}"]


@needs_torch_cuda
def test_queries_match_torch_cuda():
    pe, pt = ember.cuda.get_device_properties(0), torch.cuda.get_device_properties(0)
    assert (pe.name, pe.major, pe.minor, pe.total_memory, pe.multi_processor_count) == \
        (pt.name, pt.major, pt.minor, pt.total_memory, pt.multi_processor_count)
    assert ember.cuda.get_device_capability() == torch.cuda.get_device_capability()
    assert ember.cuda.is_bf16_supported() == torch.cuda.is_bf16_supported()
    assert ember.cuda.device_count() == torch.cuda.device_count()
    assert ember.cuda.mem_get_info()[1] == torch.cuda.mem_get_info()[1]
    assert ember.cuda.get_device_name() == torch.cuda.get_device_name()


@needs_torch_cuda
def test_allocation_accounting_matches_torch_cuda():
    """The same allocations move both libraries' memory_allocated by the same bytes (both
    round blocks up to 512 bytes)."""
    deltas = []
    for lib in (ember, torch):
        lib.cuda.synchronize()
        before = lib.cuda.memory_allocated()
        xs = [lib.empty(n, dtype=lib.float32, device="cuda") for n in (1, 1000, 1 << 20)]
        deltas.append(lib.cuda.memory_allocated() - before)
        del xs
        assert lib.cuda.memory_allocated() == before
    assert deltas[0] == deltas[1]
