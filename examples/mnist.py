"""The main job: the seed tutorial's LeNet trained on MNIST with ember.

    python examples/mnist.py                      # the MNIST subset bundled with ember
    python examples/mnist.py --data-dir data      # full MNIST, torchvision's layout
                                                  # (downloaded into DIR when missing)
    python examples/mnist.py --resume             # continue from the last checkpoint

The model, optimizer (SGD, lr 0.005, momentum 0.9), batch size 64 and the loss
(CrossEntropyLoss applied to log_softmax outputs, exactly as the seed writes it) follow the
seed; so do the printed lines ("Test set: Average loss: 0.0471, Accuracy: 9859/10000 (99%)").
It is written as a PyTorch user would: `import ember as torch` is the only change.
"""
import argparse
import os
import sys
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.vision import datasets, transforms


class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
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
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class Progress:
    """tqdm when it is installed, else a one-line bar on stderr."""

    def __init__(self, total, desc, enabled):
        self.total, self.desc, self.enabled, self.n = total, desc, enabled, 0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc, leave=False, file=sys.stderr)
            except ImportError:
                pass
        self.start = time.perf_counter()

    def update(self, n, loss):
        self.n += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(loss=f"{loss:.4f}")
            return
        width = 30
        done = int(width * self.n / self.total)
        rate = self.n / max(time.perf_counter() - self.start, 1e-9)
        sys.stderr.write(f"\r{self.desc} [{'#' * done}{'.' * (width - done)}] "
                         f"{self.n}/{self.total} loss {loss:.4f} {rate:.0f} img/s")
        sys.stderr.flush()

    def clear(self):
        """Blank the fallback bar's line so a printed line doesn't run into it."""
        if self.bar is None and self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        self.clear()


def train(model, epoch, criterion, optimizer, data_loader, progress=True):
    model.train()
    bar = Progress(len(data_loader.dataset), f"epoch {epoch}", progress)
    for batch_idx, (data, target) in enumerate(data_loader):
        output = model(data)
        optimizer.zero_grad()
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        bar.update(len(data), loss.item())
        if (batch_idx + 1) % 400 == 0:
            bar.clear()
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, (batch_idx + 1) * len(data), len(data_loader.dataset),
                100. * (batch_idx + 1) / len(data_loader), loss.item()))
    bar.close()


def test(model, epoch, criterion, data_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in data_loader:
            output = model(data)
            test_loss += criterion(output, target).item()
            pred = output.max(1)[1]  # get the index of the max log-probability
            correct += pred.eq(target).sum().item()
    test_loss /= len(data_loader)  # loss function already averages over batch size
    acc = correct / len(data_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(data_loader.dataset), 100. * acc))
    return acc, test_loss


def bundled_root():
    """The MNIST subset inside the ember package (built by tools/make_mnist_subset.py)."""
    return os.path.join(os.path.dirname(torch.__file__), "_data")


def main(argv=None):
    p = argparse.ArgumentParser(description="Train the seed LeNet on MNIST with ember")
    p.add_argument("--data-dir", default=None,
                   help="MNIST in torchvision's layout (DIR/MNIST/raw); downloaded when "
                        "missing. Default: the subset bundled with ember")
    p.add_argument("--epochs", type=int, default=None,
                   help="default: 5 on full MNIST, 4 on the bundled subset")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--test-batch-size", type=int, default=1000)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--num-workers", type=int, default=0)
    p.add_argument("--checkpoint", default="mnist_checkpoint.pt",
                   help="saved after every epoch (model, optimizer, epoch)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)

    torch.manual_seed(args.seed)
    root = args.data_dir or bundled_root()
    download = args.data_dir is not None
    epochs = args.epochs or (5 if args.data_dir else 4)
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root, train=True, download=download, transform=transform)
    test_set = datasets.MNIST(root, train=False, download=download, transform=transform)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size,
                                               shuffle=True, num_workers=args.num_workers)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size,
                                              shuffle=False, num_workers=args.num_workers)

    model = LeNet()
    print('MNIST_net model:\n')
    print(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    start_epoch = 1
    if args.resume:
        if not os.path.isfile(args.checkpoint):
            p.error(f"--resume: no checkpoint at {args.checkpoint}")
        print('Loading model')
        ckpt = torch.load(args.checkpoint)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        torch.set_rng_state(ckpt["rng_state"])
        start_epoch = ckpt["epoch"] + 1
    else:
        print('Training model')

    acc = loss = None
    t0 = time.perf_counter()
    for epoch in range(start_epoch, epochs + 1):
        train(model, epoch, criterion, optimizer, train_loader, progress=not args.no_progress)
        acc, loss = test(model, epoch, criterion, test_loader)
        torch.save({"epoch": epoch, "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "rng_state": torch.get_rng_state()},
                   args.checkpoint)
    print(f"Trained {epochs - start_epoch + 1} epoch(s) on {len(train_set)} images in "
          f"{time.perf_counter() - t0:.1f} s")
    return acc, loss


if __name__ == "__main__":
    main()
