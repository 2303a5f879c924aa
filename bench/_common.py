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


# After a call, each library's BLAS/OpenMP worker threads keep spinning for a while before
# they sleep: OpenBLAS's for about 2^28 cycles (~0.1 s). On a 2-core machine a round that
# starts right after the other library's round shares the cores with those spinning threads;
# measured on the small ResNet, PyTorch's step took 37 ms right after ember's round and 25 ms
# after a 0.3 s pause (ember is hit less, PyTorch's OpenMP threads stop spinning sooner).
# So every round starts after a pause: the two are timed as if each ran alone.
SETTLE_S = 0.3


def _settle():
    time.sleep(SETTLE_S)


def compare(name, ember_fn, torch_fn, number=100, rounds=7, unit="us", workload=None,
            target=None, warmup=1):
    """Alternate ember and torch rounds (so drift hits both), return (ember_s, torch_s)."""
    for _ in range(warmup):
        ember_fn()
        if torch_fn is not None:
            torch_fn()
    e_times, t_times = [], []
    for _ in range(rounds):
        _settle()
        e_times.append(time_call(ember_fn, number))
        if torch_fn is not None:
            _settle()
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
