"""Real PyTorch programs (tests/programs/) run unchanged under `python -m ember.compat`."""
import gzip
import os
import re
import struct
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(REPO, "tests", "programs")
MNIST_RAW = os.path.join(REPO, "ember", "_data", "MNIST", "raw")


def _mnist_root(tmp_path, n_train=256, n_test=200):
    """tmp_path/data/MNIST/raw with the first images of the bundled subset, torchvision layout."""
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        for kind, header, item in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
            name = f"{prefix}-{kind}-ubyte.gz"
            with gzip.open(os.path.join(MNIST_RAW, name)) as f:
                data = f.read(header + n * item)
            with gzip.open(str(raw / name), "wb", compresslevel=1) as f:
                f.write(data[:4] + struct.pack(">I", n) + data[8:])
    work = tmp_path / "work"        # the program reads ../data, as PyTorch's example does
    work.mkdir()
    return work


def _run(program, cwd, *args, timeout=120, env=None):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **(env or {}))
    return subprocess.run([sys.executable, "-m", "ember.compat", os.path.join(PROGRAMS, program),
                           *args], capture_output=True, text=True, timeout=timeout,
                          cwd=str(cwd), env=env)


@pytest.mark.skipif(not os.path.isdir(MNIST_RAW), reason="bundled MNIST subset missing")
def test_mnist_cnn_dry_run_and_save_model(tmp_path):
    work = _mnist_root(tmp_path)
    r = _run("mnist_cnn.py", work, "--dry-run", "--epochs", "2", "--batch-size", "32",
             "--test-batch-size", "100", "--lr", "1.0", "--gamma", "0.7", "--no-cuda",
             "--save-model")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Train Epoch: 1 [0/256 (0%)]" in r.stdout
    results = re.findall(r"Test set: Average loss: (\d+\.\d+), Accuracy: (\d+)/200", r.stdout)
    assert len(results) == 2, r.stdout            # one evaluation per epoch
    assert all(float(loss) < 3.0 for loss, _ in results)
    saved = work / "mnist_cnn.pt"
    assert saved.is_file()

    import ember
    sd = ember.load(str(saved), weights_only=True)
    assert list(sd) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert tuple(sd["fc1.weight"].shape) == (128, 9216)
    try:
        import torch
    except ImportError:
        return
    tsd = torch.load(str(saved), weights_only=True)        # real PyTorch reads ember's file
    assert list(tsd) == list(sd)
    for k in sd:
        assert tsd[k].dtype == torch.float32
        assert (tsd[k].numpy() == sd[k].numpy()).all(), k


@pytest.mark.skipif(not os.path.isdir(MNIST_RAW), reason="bundled MNIST subset missing")
def test_mnist_cnn_full_epoch_learns(tmp_path):
    work = _mnist_root(tmp_path, n_train=512, n_test=200)
    r = _run("mnist_cnn.py", work, "--epochs", "1", "--log-interval", "4", "--no-cuda")
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(re.findall(r"Train Epoch: 1 \[\d+/512", r.stdout)) == 2   # batches 0 and 4 of 8
    (loss, correct), = re.findall(r"Test set: Average loss: (\d+\.\d+), Accuracy: (\d+)/200",
                                  r.stdout)
    assert float(loss) < 2.2 and int(correct) > 40, r.stdout


def test_mnist_cnn_help(tmp_path):
    r = _run("mnist_cnn.py", tmp_path, "--help")
    assert r.returncode == 0
    assert "PyTorch MNIST Example" in r.stdout and "--dry-run" in r.stdout
