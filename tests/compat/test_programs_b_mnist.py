"""MNIST programs of issue 8 part B run unchanged under `python -m ember.compat`: an RNN that
reads image rows (tests/programs/mnist_rnn.py) and a VAE (tests/programs/mnist_vae.py), each
trained for a few seconds on a slice of the bundled MNIST subset."""
import gzip
import os
import re

import numpy as np
import pytest

from ._program_runner import run_program as _run
from .test_programs import MNIST_RAW, _mnist_root

needs_mnist = pytest.mark.skipif(not os.path.isdir(MNIST_RAW),
                                 reason="bundled MNIST subset missing")


@needs_mnist
def test_mnist_rnn_lstm_learns(tmp_path):
    # 2 epochs of 16 batches of 64: chance is 10% (20/200); the LSTM must reach 40% (80/200)
    work = _mnist_root(tmp_path, n_train=1024, n_test=200)
    r = _run("mnist_rnn.py", work, "--epochs", "2", "--batch-size", "64", "--test-batch-size",
             "200", "--lr", "0.01", "--log-interval", "8", "--no-cuda", "--save-model")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stderr == ""                  # no warnings PyTorch would not print either
    assert "Train Epoch: 2 [512/1024 (50%)]" in r.stdout
    results = re.findall(r"Test set: Average loss: (\d+\.\d+), Accuracy: (\d+)/200", r.stdout)
    assert len(results) == 2, r.stdout
    (loss1, _), (loss2, correct2) = results
    assert float(loss2) < float(loss1) < 2.3 and int(correct2) >= 80, r.stdout

    import ember
    sd = ember.load(str(work / "mnist_rnn.pt"), weights_only=True)
    assert [k for k in sd if k.startswith("rnn.")] == [
        "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]
    assert tuple(sd["rnn.weight_ih_l0"].shape) == (256, 28)     # 4 gates x 64 hidden
    assert sd["batchnorm.num_batches_tracked"].item() == 32
    torch = pytest.importorskip("torch")
    tsd = torch.load(str(work / "mnist_rnn.pt"), weights_only=True)
    assert list(tsd) == list(sd)
    assert tsd["batchnorm.num_batches_tracked"].dtype == torch.int64


@needs_mnist
@pytest.mark.parametrize("cell, gates", [("gru", 3), ("rnn", 1)])
def test_mnist_rnn_other_cells_dry_run(tmp_path, cell, gates):
    work = _mnist_root(tmp_path, n_train=128, n_test=100)
    r = _run("mnist_rnn.py", work, "--dry-run", "--cell", cell, "--epochs", "1", "--no-cuda",
             "--save-model")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Train Epoch: 1 [0/128 (0%)]" in r.stdout and "Test set:" in r.stdout
    import ember
    sd = ember.load(str(work / "mnist_rnn.pt"))
    assert tuple(sd["rnn.weight_hh_l0"].shape) == (gates * 64, 64)


@needs_mnist
def test_mnist_vae_learns_and_saves_grids(tmp_path):
    # the per-image loss starts near 784 * ln 2 = 543 (a decoder outputting ~0.5 everywhere);
    # 3 epochs of 16 batches must bring the test loss under 250 and keep it falling
    work = _mnist_root(tmp_path, n_train=1024, n_test=200)
    r = _run("mnist_vae.py", work, "--epochs", "3", "--batch-size", "64", "--log-interval",
             "4", "--no-cuda")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stderr == ""
    first = float(re.search(r"Train Epoch: 1 \[0/1024 \(0%\)\]\tLoss: (\d+\.\d+)", r.stdout)[1])
    assert 480 < first < 600, r.stdout
    tests = [float(x) for x in re.findall(r"====> Test set loss: (\d+\.\d+)", r.stdout)]
    assert len(tests) == 3 and tests[0] > tests[1] > tests[2] and tests[2] < 250, r.stdout

    Image = pytest.importorskip("PIL.Image")
    results = work / "results"
    for epoch in (1, 2, 3):
        sample = Image.open(results / f"sample_{epoch}.png")
        assert sample.size == (242, 242) and sample.mode == "RGB"     # 8 x 8 grid of 28 + 2
        recon = Image.open(results / f"reconstruction_{epoch}.png")
        assert recon.size == (242, 62)                                # data row + recon row
    # the top-left tile of the reconstruction grid is the first test image, pixel for pixel
    grid = np.asarray(Image.open(results / "reconstruction_1.png"))
    with gzip.open(os.path.join(MNIST_RAW, "t10k-images-idx3-ubyte.gz")) as f:
        first_image = np.frombuffer(f.read(16 + 784)[16:], np.uint8).reshape(28, 28)
    for c in range(3):
        np.testing.assert_array_equal(grid[2:30, 2:30, c], first_image)
    assert (grid[:2] == 0).all()                                      # black padding
    # samples are real images, not blank or saturated
    pixels = np.asarray(Image.open(results / "sample_3.png"))
    assert 5 < pixels.mean() < 200 and pixels.std() > 20
