"""Import time and peak memory of the LeNet training process, ember vs PyTorch (issue: CPU
performance, workload 10). Each measurement is a fresh interpreter:

  import: `python -c "import ember"` (median of 5 fresh processes, wall time)
  peak memory: a process that imports the framework and runs 20 seed-LeNet training steps
               (batch 64); its peak resident set size (ru_maxrss of the child)

Run: python bench/startup.py
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import record  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRAIN = """
import sys; sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import numpy as np
import {lib} as lib
from train_lenet import make
rng = np.random.default_rng(0)
step = make(lib, rng.standard_normal((64, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, 64).astype(np.int64))
for _ in range(20):
    step()
"""


def peak_rss(code):
    # ru_maxrss of RUSAGE_CHILDREN is the maximum over every child ever waited for, so a fresh
    # measuring process runs the workload as its only child and reports that maximum
    probe = ("import resource, subprocess, sys; subprocess.run([sys.executable, '-c', {!r}], "
             "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
             ).format(code)
    out = subprocess.run([sys.executable, "-c", probe], check=True, cwd=ROOT,
                         capture_output=True, text=True, env=ENV).stdout
    return int(out.split()[-1]) * 1024


# Installed packages come with compiled bytecode (pip writes it, and PyTorch's wheel has it);
# a shell with PYTHONDONTWRITEBYTECODE set would make ember recompile ~50k lines on every
# import. So children run with bytecode caching on, after one warm-up import.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_time(lib, n=5):
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {ROOT!r}); "
                    f"import {lib}"], check=True, cwd=ROOT, env=ENV)   # warm-up: writes .pyc
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {ROOT!r}); "
                        f"import {lib}"], check=True, cwd=ROOT, env=ENV)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    try:
        import importlib.util
        have_torch = importlib.util.find_spec("torch") is not None
    except Exception:
        have_torch = False
    libs = ["ember"] + (["torch"] if have_torch else [])
    t = {lib: import_time(lib) for lib in libs}
    tt = t.get("torch", float("nan"))
    print(f"{'import time':<44} ember {t['ember'] * 1e3:10.0f} ms   torch {tt * 1e3:10.0f} ms   "
          f"ratio {t['ember'] / tt:6.2f}", flush=True)
    record(10, "import time", t["ember"], tt, 1 / 3)
    m = {lib: peak_rss(TRAIN.format(root=ROOT, bench=os.path.join(ROOT, "bench"), lib=lib))
         for lib in libs}
    mt = m.get("torch", float("nan"))
    print(f"{'peak RSS, LeNet training process':<44} ember {m['ember'] / 2**20:10.0f} MB   "
          f"torch {mt / 2**20:10.0f} MB   ratio {m['ember'] / mt:6.2f}", flush=True)
    record(10, "peak RSS of LeNet training (bytes)", m["ember"], mt, 0.5)


if __name__ == "__main__":
    main()
