"""A 2-layer Transformer encoder (d_model 256, 4 heads, feed-forward 1024, seq 128, batch 16,
batch_first, dropout 0.1) with a mean-pooled linear head, Adam: training steps/s, ember vs
PyTorch (issue: CPU performance, workload 8).

Run: python bench/train_transformer.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402

D, HEADS, FF, SEQ, BATCH = 256, 4, 1024, 128, 16


def make(lib, x_np, y_np):
    nn = lib.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(D, 10)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))

    lib.manual_seed(0)
    model = Model()
    opt = lib.optim.Adam(model.parameters(), lr=1e-4)
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
    x = rng.standard_normal((BATCH, SEQ, D)).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.int64)
    e, t = compare("2-layer Transformer encoder train step", make(ember, x, y),
                   make(torch, x, y) if torch else None, number=3, rounds=5, unit="ms",
                   workload=8, target=1.3)
    print(f"{'':<44} ember {1 / e:8.1f} steps/s   torch {1 / t if torch else float('nan'):8.1f}"
          " steps/s")


if __name__ == "__main__":
    main()
