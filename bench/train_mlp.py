"""MLP 784-512-256-10, batch 128, SGD with momentum: training steps/s, ember vs PyTorch.

Run: python bench/train_mlp.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402


def make(lib, x_np, y_np):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.tensor(x_np), lib.tensor(y_np)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def main():
    torch = try_torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128).astype(np.int64)
    e, t = compare("MLP 784-512-256-10 train step, batch 128", make(ember, x, y),
                   make(torch, x, y) if torch else None, number=20, unit="ms", workload=4,
                   target=1.0)
    print(f"{'':<44} ember {1 / e:8.1f} steps/s   torch {1 / t if torch else float('nan'):8.1f}"
          " steps/s")


if __name__ == "__main__":
    main()
