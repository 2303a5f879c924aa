"""Training parity with PyTorch: the seed LeNet, started from the same weights and fed the
same MNIST batches (dropout off, so nothing random remains), follows PyTorch's loss and
parameter trajectory under SGD with momentum to float32 rounding. Differences in final
accuracy between ember and PyTorch runs therefore come from random streams (init, shuffling,
dropout masks), not from the maths."""
import gzip
import os

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DATA = os.path.join(os.path.dirname(ember.__file__), "_data", "MNIST", "raw")


def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    shape = np.frombuffer(data[4:4 + 4 * nd], ">u4")
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(shape)


def _lenet(lib):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2(x), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)
    return LeNet()


def test_lenet_sgd_trajectory_matches_pytorch():
    images = _idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))[:64 * 40]
    labels = _idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))[:64 * 40].astype(np.int64)
    x_all = ((images / 255.0 - 0.1307) / 0.3081).astype(np.float32)[:, None]

    tm = _lenet(torch)
    em = _lenet(ember)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    t_opt = torch.optim.SGD(tm.parameters(), lr=0.005, momentum=0.9)
    e_opt = ember.optim.SGD(em.parameters(), lr=0.005, momentum=0.9)
    t_loss_fn, e_loss_fn = torch.nn.CrossEntropyLoss(), ember.nn.CrossEntropyLoss()

    for step in range(40):
        xb, yb = x_all[step * 64:(step + 1) * 64], labels[step * 64:(step + 1) * 64]
        t_opt.zero_grad()
        t_loss = t_loss_fn(tm(torch.tensor(xb)), torch.tensor(yb))
        t_loss.backward()
        t_opt.step()
        e_opt.zero_grad()
        e_loss = e_loss_fn(em(ember.tensor(xb)), ember.tensor(yb))
        e_loss.backward()
        e_opt.step()
        assert e_loss.item() == pytest.approx(t_loss.item(), rel=1e-4, abs=1e-5), step
    # 40 momentum steps of float32 sums in other orders (BLAS threads, im2col layout) leave
    # differences around 1e-5 absolute; the losses above agree to 1e-4 at every step.
    for (name, tp), ep in zip(tm.named_parameters(), em.parameters()):
        np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=name)
