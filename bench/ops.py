"""Per-op overhead and big-kernel throughput, ember vs PyTorch (issue: core).

Run: python bench/ops.py
"""
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402


def main():
    torch = try_torch()
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else '-'}, {os.cpu_count()} cores")
    rng = np.random.default_rng(0)

    a16 = rng.standard_normal(16).astype(np.float32)
    ea, eb = ember.tensor(a16), ember.tensor(a16)
    ta, tb = (torch.tensor(a16), torch.tensor(a16)) if torch else (None, None)
    compare("add, 16 elements", lambda: ea + eb, (lambda: ta + tb) if torch else None,
            number=20000, workload=1, target=3.0)

    x = rng.standard_normal((16,)).astype(np.float32)
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True) if torch else None

    def e5():
        y = ((ex * 2 + 1) * ex - ex).sum()   # 5 ops: mul, add, mul, sub, sum
        y.backward()

    def t5():
        y = ((tx * 2 + 1) * tx - tx).sum()
        y.backward()
    compare("5-op graph forward+backward, 16 elements", e5, t5 if torch else None, number=2000,
            workload=1, target=1.5)

    m = rng.standard_normal((1024, 1024)).astype(np.float32)
    em1, em2 = ember.tensor(m), ember.tensor(m.T.copy())
    tm1, tm2 = (torch.tensor(m), torch.tensor(m.T.copy())) if torch else (None, None)
    e, t = compare("matmul 1024x1024 float32", lambda: em1 @ em2,
                   (lambda: tm1 @ tm2) if torch else None, number=5, unit="ms", workload=2, target=1.0)
    print(f"{'':<44} ember {2 * 1024 ** 3 / e / 1e9:8.1f} GFLOP/s   torch "
          f"{2 * 1024 ** 3 / t / 1e9 if torch else float('nan'):8.1f} GFLOP/s")

    big = rng.standard_normal(10_000_000).astype(np.float32)
    eb1, eb2 = ember.tensor(big), ember.tensor(big)
    tb1, tb2 = (torch.tensor(big), torch.tensor(big)) if torch else (None, None)
    compare("add, 10M elements float32", lambda: eb1 + eb2,
            (lambda: tb1 + tb2) if torch else None, number=5, unit="ms", workload=2,
            target=1.0)


if __name__ == "__main__":
    main()
