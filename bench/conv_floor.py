"""How fast ember's convolutions could possibly be: the GEMMs alone, against PyTorch's whole
convolutions (issue: CPU performance, the convolution workloads 3, 5 and 6).

ember computes a convolution as GEMMs over im2col columns, or one GEMM per kernel tap for
the stride-1 forward (nn/functional/conv.py). Either way it runs the same floating-point
work through NumPy's BLAS, plus copies around it. This script times only that BLAS work:
for every convolution of a workload, each phase's product at its real shape.
* forward: (O, C*k) @ (C*k, N*P)
* weight gradient: (C*k, N*P) @ (N*P, O)
* input gradient: (C*k, O) @ (O, N*P)
It times them on preallocated operands with NumPy's matmul, and sets them against
PyTorch's forward and backward convolution kernels on the same layers. The ratio
"GEMMs alone / PyTorch" is a lower bound on ember's convolution time ratio: every copy
ember adds only raises it.

Run: python bench/conv_floor.py
"""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import SETTLE_S, try_torch  # noqa: E402
from conv_layers import LAYERS as RESNET_LAYERS  # noqa: E402

# (batch, in channels, out channels, input size, kernel, stride, padding, times, input grad?)
WORKLOADS = {
    "3: conv2d 64->64, batch 64": [(64, 64, 64, 32, 3, 1, 1, 1, True)],
    "5: seed LeNet's two convs, batch 64": [(64, 1, 10, 28, 5, 1, 0, 1, False),
                                            (64, 10, 20, 12, 5, 1, 0, 1, True)],
    "6: small ResNet's convs, batch 32": [
        (32, cin, cout, hw, k, s, k // 2, times, i > 0)
        for i, (cin, cout, hw, s, k, times) in enumerate(RESNET_LAYERS)],
}


def _median_time(fn, number, rounds=5):
    fn()
    times = []
    for _ in range(rounds):
        time.sleep(SETTLE_S)
        fn()     # untimed: the first call after a pause pays for waking the idle cores
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def _gemms(n, cin, cout, hw, k, s, p, input_grad, rng):
    """The layer's GEMMs as (a, b, out) triples of float32 arrays."""
    out_hw = (hw + 2 * p - k) // s + 1
    ck, npos = cin * k * k, n * out_hw * out_hw
    mats = [(rng.standard_normal((cout, ck), dtype=np.float32),
             rng.standard_normal((ck, npos), dtype=np.float32), np.empty((cout, npos), np.float32)),
            (rng.standard_normal((ck, npos), dtype=np.float32),
             rng.standard_normal((npos, cout), dtype=np.float32), np.empty((ck, cout), np.float32))]
    if input_grad:
        mats.append((rng.standard_normal((ck, cout), dtype=np.float32),
                     rng.standard_normal((cout, npos), dtype=np.float32),
                     np.empty((ck, npos), np.float32)))
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b, _ in mats)
    return mats, flops


def _torch_layer(torch, n, cin, cout, hw, k, s, p, input_grad, rng):
    x = torch.tensor(rng.standard_normal((n, cin, hw, hw), dtype=np.float32))
    w = torch.tensor(rng.standard_normal((cout, cin, k, k), dtype=np.float32))
    out_hw = (hw + 2 * p - k) // s + 1
    gy = torch.tensor(rng.standard_normal((n, cout, out_hw, out_hw), dtype=np.float32))
    aten = torch.ops.aten

    def run():
        aten.convolution(x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1)
        aten.convolution_backward(gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1,
                                  [input_grad, True, False])
    return run


def main():
    torch = try_torch()
    rng = np.random.default_rng(0)
    for name, layers in WORKLOADS.items():
        total_gemm = total_torch = total_flops = 0.0
        for (n, cin, cout, hw, k, s, p, times, ig) in layers:
            mats, flops = _gemms(n, cin, cout, hw, k, s, p, ig, rng)
            number = max(3, int(5e9 // flops))
            t_gemm = _median_time(lambda: [np.matmul(a, b, out=o) for a, b, o in mats], number)
            total_gemm += times * t_gemm
            total_flops += times * flops
            if torch is not None:
                with torch.no_grad():
                    t_torch = _median_time(_torch_layer(torch, n, cin, cout, hw, k, s, p, ig,
                                                        rng), number)
                total_torch += times * t_torch
        line = (f"{name:<38} GEMMs alone {total_gemm * 1e3:7.2f} ms "
                f"({total_flops / total_gemm / 1e9:4.0f} GFLOP/s)")
        if torch is not None:
            line += (f"   PyTorch's convs {total_torch * 1e3:7.2f} ms "
                     f"({total_flops / total_torch / 1e9:4.0f} GFLOP/s)   "
                     f"floor ratio {total_gemm / total_torch:5.2f}")
        print(line, flush=True)
    cores = os.environ.get("OPENBLAS_CORETYPE", "auto-detected")
    print(f"(NumPy's OpenBLAS kernels: OPENBLAS_CORETYPE={cores}; every round after a "
          f"{SETTLE_S} s pause)")


if __name__ == "__main__":
    main()
