"""Side-by-side timing: each workload runs on ember and on PyTorch alternately in one process,
and we report medians and the time ratio ember / PyTorch (lower is better).

Every measurement is also appended to RESULTS so `bench/run.py` can print one table of all
workloads with their targets (issue: CPU performance)."""
import statistics
import time

# (workload number, name, ember seconds, torch seconds, target ratio or None)
RESULTS = []


def time_call(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def record(workload, name, ember_s, torch_s, target=None):
    """Add a row to the summary table; times in seconds (or seconds per sample)."""
    RESULTS.append((workload, name, ember_s, torch_s, target))


def compare(name, ember_fn, torch_fn, number=100, rounds=7, unit="us", workload=None,
            target=None, warmup=1):
    """Alternate ember and torch rounds (so drift hits both), return (ember_s, torch_s)."""
    for _ in range(warmup):
        ember_fn()
        if torch_fn is not None:
            torch_fn()
    e_times, t_times = [], []
    for _ in range(rounds):
        e_times.append(time_call(ember_fn, number))
        if torch_fn is not None:
            t_times.append(time_call(torch_fn, number))
    e = statistics.median(e_times)
    t = statistics.median(t_times) if t_times else float("nan")
    scale = {"us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    ratio = e / t if t_times else float("nan")
    print(f"{name:<44} ember {e * scale:10.1f} {unit}   torch {t * scale:10.1f} {unit}   "
          f"ratio {ratio:6.2f}", flush=True)
    if workload is not None:
        record(workload, name, e, t, target)
    return e, t


def try_torch():
    try:
        import torch
        torch.set_num_threads(__import__("os").cpu_count() or 1)
        return torch
    except ImportError:
        print("(PyTorch not installed: ember timings only)")
        return None
