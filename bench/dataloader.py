"""DataLoader throughput, ember vs PyTorch, with 0 and 2 worker processes (issue: data
pipeline; CPU performance workload 9). Prints samples/s (higher is better) and the time
ratio ember / PyTorch; each epoch includes starting the workers.

  slow:  __getitem__ sleeps 2 ms and returns a small array (I/O-bound loading: workers
         should scale it almost linearly)
  mnist: 28x28 uint8 images through a ToTensor + Normalize style transform, batch 64

Run: python bench/dataloader.py
"""
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import record, try_torch  # noqa: E402


class SlowDataset:
    """Built per framework: `lib` is ember or torch."""

    def __init__(self, lib, n=512):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(0.002)
        return np.full(32, i, np.float32), i


class MnistLike:
    def __init__(self, lib, n=6000):
        rng = np.random.default_rng(0)
        self.lib = lib
        self.images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        self.labels = rng.integers(0, 10, n)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        lib = self.lib
        x = lib.from_numpy(self.images[i]).to(lib.float32).div(255).unsqueeze(0)   # ToTensor
        x = x.sub_(0.1307).div_(0.3081)                                            # Normalize
        return x, int(self.labels[i])


def _dataset_class(lib, base):
    # a Dataset subclass of the framework under test, so its DataLoader treats it natively
    return type(base.__name__, (base, lib.utils.data.Dataset), {"__module__": __name__})


def epoch_rate(lib, dataset, batch_size, num_workers):
    loader = lib.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                       num_workers=num_workers)
    t0 = time.perf_counter()
    n = 0
    for x, _ in loader:
        n += len(x)
    return n / (time.perf_counter() - t0)


def run(name, make, batch_size, libs, rounds=3, workload=None):
    for workers in (0, 2):
        rates = {lib.__name__: [] for lib in libs}
        datasets = {lib.__name__: make(lib) for lib in libs}
        for _ in range(rounds):   # alternate frameworks so drift hits both
            for lib in libs:
                rates[lib.__name__].append(
                    epoch_rate(lib, datasets[lib.__name__], batch_size, workers))
        med = {k: statistics.median(v) for k, v in rates.items()}
        torch_rate = med.get("torch", float("nan"))
        print(f"{name:<8} num_workers={workers}   ember {med['ember']:9.0f} samples/s   "
              f"torch {torch_rate:9.0f} samples/s   ratio {torch_rate / med['ember']:5.2f}",
              flush=True)
        if workload is not None:   # the summary table wants time per sample
            record(workload, f"DataLoader {name}, num_workers={workers} (s/sample)",
                   1 / med["ember"], 1 / torch_rate, 1.0)


def main():
    torch = try_torch()
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else '-'}, {os.cpu_count()} cores")
    libs = [ember] + ([torch] if torch else [])
    if torch:
        torch.set_num_threads(1)
    run("slow", lambda lib: _dataset_class(lib, SlowDataset)(lib), 32, libs)
    run("mnist", lambda lib: _dataset_class(lib, MnistLike)(lib), 64, libs, workload=9)


if __name__ == "__main__":
    main()
