"""The small ResNet's convolutions one by one (batch 32), forward + backward, ember vs
PyTorch: where the ResNet workload's (issue: CPU performance, workload 6) time goes.

Run: python bench/conv_layers.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402

# (in channels, out channels, input size, stride, kernel, times it occurs in bench/train_resnet)
LAYERS = [(3, 16, 32, 1, 3, 1), (16, 16, 32, 1, 3, 4), (16, 32, 32, 2, 3, 1),
          (32, 32, 16, 1, 3, 3), (16, 32, 32, 2, 1, 1), (32, 64, 16, 2, 3, 1),
          (64, 64, 8, 1, 3, 3), (32, 64, 16, 2, 1, 1)]


def make(lib, x_np, w_np, stride, pad):
    F = lib.nn.functional
    x = lib.tensor(x_np, requires_grad=True)
    w = lib.tensor(w_np, requires_grad=True)
    g = lib.ones_like(F.conv2d(x, w, stride=stride, padding=pad))

    def step():
        x.grad = w.grad = None
        F.conv2d(x, w, stride=stride, padding=pad).backward(g)
    return step


def main():
    torch = try_torch()
    rng = np.random.default_rng(0)
    total_e = total_t = 0.0
    for cin, cout, hw, s, k, times in LAYERS:
        x = rng.standard_normal((32, cin, hw, hw)).astype(np.float32)
        w = (rng.standard_normal((cout, cin, k, k)) * 0.1).astype(np.float32)
        e, t = compare(f"conv {cin}->{cout} {hw}px stride {s} {k}x{k} (x{times})",
                       make(ember, x, w, s, k // 2),
                       make(torch, x, w, s, k // 2) if torch else None,
                       number=5, rounds=5, unit="ms")
        total_e += times * e
        total_t += times * (t or 0.0)
    if torch:
        print(f"{'all convolutions of one ResNet step':<44} ember {total_e * 1e3:8.1f} ms   "
              f"torch {total_t * 1e3:8.1f} ms   ratio {total_e / total_t:6.2f}")


if __name__ == "__main__":
    main()
