"""The seed LeNet (conv 1->10 5x5, conv 10->20 5x5, Dropout2d, fc 320-50-10, log_softmax),
batch 64, SGD lr 0.005 momentum 0.9: training samples/s, ember vs PyTorch.

Run: python bench/train_lenet.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402


def make(lib, x_np, y_np):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            return F.log_softmax(self.fc2(x), dim=1)

    lib.manual_seed(0)
    model = LeNet()
    opt = lib.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
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
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64).astype(np.int64)
    e, t = compare("seed LeNet train step, batch 64", make(ember, x, y),
                   make(torch, x, y) if torch else None, number=20, unit="ms", workload=5,
                   target=1.0)
    print(f"{'':<44} ember {64 / e:8.0f} samples/s   torch "
          f"{64 / t if torch else float('nan'):8.0f} samples/s")


if __name__ == "__main__":
    main()
