"""conv2d 64->64, 3x3, padding 1, batch 64, 32x32 input: forward + backward (input, weight
and bias gradients), ember vs PyTorch (issue: CPU performance, workload 3).

Run: python bench/conv.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402


def make(lib, x_np, w_np, b_np):
    F = lib.nn.functional
    x = lib.tensor(x_np, requires_grad=True)
    w = lib.tensor(w_np, requires_grad=True)
    b = lib.tensor(b_np, requires_grad=True)

    def step():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1).sum().backward()
    return step


def main():
    torch = try_torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    compare("conv2d 64->64 3x3 pad 1, batch 64, 32x32, fwd+bwd", make(ember, x, w, b),
            make(torch, x, w, b) if torch else None, number=3, rounds=5, unit="ms",
            workload=3, target=1.3)


if __name__ == "__main__":
    main()
