"""Without CUDA, every ember.cuda call answers exactly as PyTorch 2.13's CPU build does:
same return value, or same exception type and message, and the same warnings. Each case runs
on both libraries and compares. (Skipped where ember has a GPU: there both answer with CUDA.)"""
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(ember.cuda.is_available() or torch.cuda.is_available(),
                                reason="compares CPU-only behaviour; CUDA is present")

CASES = {
    "memory_allocated": lambda t: t.cuda.memory_allocated(),
    "memory_allocated(0)": lambda t: t.cuda.memory_allocated(0),
    "memory_allocated('cuda:1')": lambda t: t.cuda.memory_allocated("cuda:1"),
    "memory_allocated('cpu')": lambda t: t.cuda.memory_allocated("cpu"),
    "max_memory_allocated": lambda t: t.cuda.max_memory_allocated(),
    "memory_reserved": lambda t: t.cuda.memory_reserved(),
    "max_memory_reserved": lambda t: t.cuda.max_memory_reserved(),
    "memory_cached": lambda t: t.cuda.memory_cached(),
    "max_memory_cached": lambda t: t.cuda.max_memory_cached(),
    "reset_peak_memory_stats": lambda t: t.cuda.reset_peak_memory_stats(),
    "reset_max_memory_allocated": lambda t: t.cuda.reset_max_memory_allocated(),
    "reset_max_memory_cached": lambda t: t.cuda.reset_max_memory_cached(),
    "reset_accumulated_memory_stats": lambda t: t.cuda.reset_accumulated_memory_stats(),
    "empty_cache": lambda t: t.cuda.empty_cache(),
    "memory_stats": lambda t: t.cuda.memory_stats(),
    "memory_stats_as_nested_dict": lambda t: t.cuda.memory_stats_as_nested_dict(),
    "memory_summary": lambda t: t.cuda.memory_summary(),
    "mem_get_info": lambda t: t.cuda.mem_get_info(),
    "set_per_process_memory_fraction": lambda t: t.cuda.set_per_process_memory_fraction(0.5),
    "get_per_process_memory_fraction": lambda t: t.cuda.get_per_process_memory_fraction(),
    "host_memory_stats": lambda t: t.cuda.host_memory_stats(),
    "caching_allocator_alloc": lambda t: t.cuda.caching_allocator_alloc(10),
    "Stream()": lambda t: t.cuda.Stream(),
    "Stream(priority=-1)": lambda t: t.cuda.Stream(priority=-1),
    "Event()": lambda t: t.cuda.Event(),
    "Event(enable_timing=True)": lambda t: t.cuda.Event(enable_timing=True),
    "current_stream": lambda t: t.cuda.current_stream(),
    "default_stream": lambda t: t.cuda.default_stream(),
    "stream(None)": lambda t: t.cuda.stream(None).__enter__(),
    "StreamContext(None)": lambda t: t.cuda.StreamContext(None).__enter__(),
    "set_stream(None)": lambda t: t.cuda.set_stream(None),
    "is_current_stream_capturing": lambda t: t.cuda.is_current_stream_capturing(),
    "device(0).__enter__": lambda t: t.cuda.device(0).__enter__(),
    "device('cuda:1').idx": lambda t: t.cuda.device("cuda:1").idx,
    "device(-1) block": lambda t: _enter_exit(t.cuda.device(-1)),
    "device(None).__enter__": lambda t: t.cuda.device(None).__enter__(),
    "device('cpu')": lambda t: t.cuda.device("cpu"),
    "device_of(cpu tensor) block": lambda t: _enter_exit(t.cuda.device_of(t.ones(1))),
    "get_device_properties(0)": lambda t: t.cuda.get_device_properties(0),
    "get_device_properties()": lambda t: t.cuda.get_device_properties(),
    "get_device_capability": lambda t: t.cuda.get_device_capability(),
    "get_device_name": lambda t: t.cuda.get_device_name(),
    "is_bf16_supported": lambda t: t.cuda.is_bf16_supported(),
    "is_bf16_supported(False)": lambda t: t.cuda.is_bf16_supported(including_emulation=False),
    "get_arch_list": lambda t: t.cuda.get_arch_list(),
    "get_gencode_flags": lambda t: t.cuda.get_gencode_flags(),
    "ipc_collect": lambda t: t.cuda.ipc_collect(),
    "can_device_access_peer": lambda t: t.cuda.can_device_access_peer(0, 1),
    "init": lambda t: t.cuda.init(),
    "synchronize": lambda t: t.cuda.synchronize(),
    "current_device": lambda t: t.cuda.current_device(),
    "set_device(0)": lambda t: t.cuda.set_device(0),
    "set_device(-1)": lambda t: t.cuda.set_device(-1),
    "set_device('cpu')": lambda t: t.cuda.set_device("cpu"),
    "device_count": lambda t: t.cuda.device_count(),
    "is_initialized": lambda t: t.cuda.is_initialized(),
    "manual_seed": lambda t: t.cuda.manual_seed(1),
    "Tensor.pin_memory": lambda t: t.ones(2).pin_memory(),
    "Tensor.is_pinned": lambda t: t.ones(2).is_pinned(),
    "Tensor.to(cuda, non_blocking)": lambda t: t.ones(2).to("cuda", non_blocking=True),
    "Tensor.to(cpu, non_blocking)": lambda t: t.ones(2).to("cpu", non_blocking=True).tolist(),
    "Tensor.to(cpu, float64, True)": lambda t: str(t.ones(2).to("cpu", t.float64, True).dtype),
    "Tensor.cuda(non_blocking)": lambda t: t.ones(2).cuda(non_blocking=True),
    "accelerator.memory_allocated": lambda t: t.accelerator.memory_allocated(),
    "accelerator.max_memory_allocated": lambda t: t.accelerator.max_memory_allocated(),
    "accelerator.memory_reserved": lambda t: t.accelerator.memory_reserved(),
    "accelerator.max_memory_reserved": lambda t: t.accelerator.max_memory_reserved(),
    "accelerator.memory_stats": lambda t: t.accelerator.memory_stats(),
    "accelerator.reset_peak_memory_stats": lambda t: t.accelerator.reset_peak_memory_stats(),
    "accelerator.reset_accumulated_memory_stats":
        lambda t: t.accelerator.reset_accumulated_memory_stats(),
    "accelerator.empty_cache": lambda t: t.accelerator.empty_cache(),
    "accelerator.empty_host_cache": lambda t: t.accelerator.empty_host_cache(),
    "accelerator.get_memory_info": lambda t: t.accelerator.get_memory_info(),
    "accelerator.current_stream": lambda t: t.accelerator.current_stream(),
    "accelerator.get_device_capability": lambda t: t.accelerator.get_device_capability(),
}


def _enter_exit(ctx):
    with ctx:
        return "entered"


def _outcome(lib, case):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            result = ("ok", CASES[case](lib))
        except Exception as e:   # the exception is the behaviour under test
            result = ("raise", type(e).__name__, str(e))
    return result, [(x.category.__name__, str(x.message)) for x in w]


@pytest.mark.parametrize("case", list(CASES))
def test_matches_torch_cpu_build(case):
    (e_res, e_warn), (t_res, t_warn) = _outcome(ember, case), _outcome(torch, case)
    if e_res[0] == "ok" and t_res[0] == "ok" and not isinstance(t_res[1], (int, str, list,
                                                                            dict, type(None))):
        # objects (context managers): same kind of thing, not the same class
        assert type(e_res[1]).__name__ == type(t_res[1]).__name__
    else:
        assert e_res == t_res
    assert e_warn == t_warn


def test_dataloader_pin_memory_warns_as_torch():
    import torch.utils.data as tud
    import ember.utils.data as eud

    def first(mod, lib):
        ds = mod.TensorDataset(lib.arange(4.0))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            (b,) = next(iter(mod.DataLoader(ds, batch_size=2, pin_memory=True)))
        return b.is_pinned(), b.tolist(), [str(x.message) for x in w]
    assert first(eud, ember) == first(tud, torch)
