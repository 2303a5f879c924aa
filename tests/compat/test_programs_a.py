"""More PyTorch example programs (tests/programs/) run unchanged under `python -m
ember.compat`, each trained briefly and checked to learn: Hogwild MNIST over shared memory,
the sine-wave LSTM with LBFGS, a siamese network on MNIST pairs, forward-forward training,
and super-resolution with PixelShuffle plus its inference script."""
import os
import re

import numpy as np
import pytest

from .test_programs import MNIST_RAW, _mnist_root
from .test_programs import _run as _run_program

needs_mnist = pytest.mark.skipif(not os.path.isdir(MNIST_RAW), reason="bundled MNIST missing")


def _run(program, cwd, *args):
    # one BLAS thread per process: these runs are small, and threaded BLAS slows down many
    # times over when the machine is busy (the test suite runs beside other work)
    return _run_program(program, cwd, *args, timeout=240,
                        env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})


def _ok(r):
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    return r.stdout


# ------------------------------------------------------------------------------ Hogwild
def _shm_names():
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


@needs_mnist
@pytest.mark.skipif(os.name != "posix", reason="shares memory by file descriptor")
def test_mnist_hogwild_spawn_trains_one_shared_model(tmp_path):
    """Two processes started with 'spawn' train the parent's model in place; the parent,
    which never trains, then tests it: above-chance accuracy (10%) is only reachable if the
    children's updates landed in its parameters."""
    work = _mnist_root(tmp_path, n_train=1024, n_test=500)
    before = _shm_names()
    out = _ok(_run("mnist_hogwild/main.py", work, "--epochs", "1", "--num-processes", "2",
                   "--lr", "0.05", "--log-interval", "8", "--save-model"))
    pids = set(re.findall(r"^(\d+)\tTrain Epoch: 1 \[0/1024", out, re.M))
    assert len(pids) == 2, out                        # two training processes logged
    (loss, correct), = re.findall(r"Test set: Average loss: (\d+\.\d+), Accuracy: (\d+)/500",
                                  out)
    assert float(loss) < 2.2 and int(correct) > 150, out     # > 30% (chance: 10%)
    assert (work / "MNIST_hogwild.pt").is_file()
    # ember's shared memory has no name; (DataLoader batches of concurrent runs do)
    assert not [n for n in _shm_names() - before if n.startswith(("ember_shared", "psm_"))]


@needs_mnist
@pytest.mark.skipif(os.name != "posix", reason="fork start method")
def test_mnist_hogwild_fork_dry_run(tmp_path):
    work = _mnist_root(tmp_path, n_train=256, n_test=100)
    out = _ok(_run("mnist_hogwild/main.py", work, "--dry-run", "--num-processes", "2",
                   "--start-method", "fork", "--test-batch-size", "100"))
    assert len(re.findall(r"Train Epoch: 1 \[0/256", out)) == 2
    assert re.search(r"Test set: Average loss: \d+\.\d+, Accuracy: \d+/100", out)


# ------------------------------------------------------------------ sine-wave LSTM, LBFGS
def test_time_sequence_prediction_lbfgs(tmp_path):
    """NumPy-made sine waves saved with torch.save and np.save, two LSTMCells in float64
    trained with LBFGS: the held-out loss falls below 0.01 (predicting 0 scores ~0.5) and
    below its first value."""
    folder = os.path.join("time_sequence_prediction", "")
    out = _ok(_run(folder + "generate_sine_wave.py", tmp_path, "--L", "100", "--N", "20"))
    assert "20 sequences of length 100" in out
    data = np.load(tmp_path / "traindata.npy")
    assert data.shape == (20, 100) and data.dtype == np.float64
    out = _ok(_run(folder + "train.py", tmp_path, "--steps", "3", "--future", "50",
                   "--hidden", "20", "--save-model"))
    losses = [float(v) for v in re.findall(r"^loss: (\S+)", out, re.M)]
    tests = [float(v) for v in re.findall(r"^test loss: (\S+)", out, re.M)]
    assert len(tests) == 3 and len(losses) > 3, out
    assert losses[-1] < losses[0] / 10
    assert tests[-1] < 0.01 and tests[-1] < tests[0], out
    pred = np.load(tmp_path / "predict2.npy")
    assert pred.shape == (3, 99 + 50) and pred.dtype == np.float64
    assert np.abs(pred[:, -50:]).max() < 2           # the continuation stays a wave
    import ember
    sd = ember.load(str(tmp_path / "sequence.pt"))
    assert tuple(sd["lstm1.weight_ih"].shape) == (80, 1) and sd["linear.bias"].dtype == \
        ember.float64
    out = _ok(_run(folder + "train.py", tmp_path, "--steps", "1", "--future", "5",
                   "--hidden", "8", "--max-iter", "2", "--npy"))     # the np.load path
    assert "test loss:" in out


# --------------------------------------------------------------------- siamese network
@needs_mnist
def test_siamese_network_learns_same_or_different(tmp_path):
    """Pairs of MNIST digits, half same-digit: after three short epochs the test pairs are
    classified better than chance (50%), with BCELoss on the sigmoid and with
    BCEWithLogitsLoss on the logit."""
    work = _mnist_root(tmp_path, n_train=768, n_test=200)
    for extra in ([], ["--with-logits"]):
        out = _ok(_run("siamese_network.py", work, "--epochs", "3", "--trunk", "cnn",
                       "--batch-size", "32", "--test-batch-size", "100", "--log-interval",
                       "16", *extra))
        acc = [int(c) for c in re.findall(r"Accuracy: (\d+)/200", out)]
        assert len(acc) == 3, out
        assert acc[-1] > 125, out                    # > 62.5%


@needs_mnist
def test_siamese_network_resnet18_trunk_dry_run(tmp_path):
    # (every digit must occur at least twice, or the dataset's pair drawing never ends)
    work = _mnist_root(tmp_path, n_train=128, n_test=100)
    out = _ok(_run("siamese_network.py", work, "--dry-run", "--epochs", "1", "--batch-size",
                   "8", "--test-batch-size", "50", "--save-model"))
    assert "Train Epoch: 1 [0/128 (0%)]" in out and re.search(r"Accuracy: \d+/100", out)
    assert (work / "siamese_network.pt").is_file()


# ------------------------------------------------------------------- forward-forward
@needs_mnist
def test_mnist_forward_forward_learns(tmp_path):
    """Two layers trained one after the other by the forward-forward rule; the label with
    the highest goodness is right far more often than chance (test error < 0.6; chance
    0.9)."""
    _mnist_root(tmp_path, n_train=300, n_test=500)     # the program reads ./data
    out = _ok(_run("mnist_forward_forward.py", tmp_path, "--epochs", "250", "--train_size",
                   "300", "--test_size", "500", "--hidden", "64", "--lr", "0.05",
                   "--log-interval", "50", "--save_model"))
    assert out.count("training layer: ") == 2
    losses = [float(v) for v in re.findall(r"^Loss:  (\S+)", out, re.M)]
    assert losses[4] < losses[0]                     # layer 0's loss fell
    train_err = float(re.search(r"train error: (\S+)", out).group(1))
    test_err = float(re.search(r"test error: (\S+)", out).group(1))
    assert train_err < 0.5 and test_err < 0.6, out
    import ember
    sd = ember.load(str(tmp_path / "mnist_ff.pt"))
    assert tuple(sd["layer1"]["weight"].shape) == (64, 64)


# -------------------------------------------------------------------- super-resolution
def _image_folder(root, n_train=24, n_test=4, size=64):
    """dataset/BSDS300/images/{train,test} of small PNG/JPEG pictures (waves and shapes),
    where data.py looks before it would download BSDS300."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        d = root / "dataset" / "BSDS300" / "images" / split
        d.mkdir(parents=True)
        for i in range(n):
            yy, xx = np.mgrid[0:size, 0:size] / size
            base = np.stack([128 + 100 * np.sin(2 * np.pi * (xx * rng.uniform(.5, 2) +
                                                             yy * rng.uniform(.5, 2)) +
                                                 rng.uniform(0, 6)) for _ in range(3)], -1)
            img = Image.fromarray(base.clip(0, 255).astype(np.uint8))
            draw = ImageDraw.Draw(img)
            for _ in range(6):
                x0, y0 = (int(v) for v in rng.integers(0, size - 16, 2))
                w, h = (int(v) for v in rng.integers(6, 24, 2))
                color = tuple(int(c) for c in rng.integers(0, 256, 3))
                shape = draw.ellipse if rng.random() < .5 else draw.rectangle
                shape([x0, y0, x0 + w, y0 + h], fill=color)
            img.save(d / f"{i:03d}.{'png' if i % 2 else 'jpg'}")


def test_super_resolution_trains_and_upscales(tmp_path):
    """Sub-pixel convolution (PixelShuffle) trained on a generated image folder: the test
    PSNR rises by > 4 dB over four epochs; super_resolve.py then loads the pickled model
    and triples an image's size."""
    pytest.importorskip("PIL")
    from PIL import Image
    _image_folder(tmp_path)
    out = _ok(_run("super_resolution/main.py", tmp_path, "--upscale_factor", "3",
                   "--crop_size", "48", "--batchSize", "8", "--testBatchSize", "4",
                   "--nEpochs", "4", "--lr", "0.01", "--threads", "1"))
    assert "===> Epoch[1](1/3): Loss:" in out
    psnr = [float(v) for v in re.findall(r"Avg\. PSNR: (\S+) dB", out)]
    assert len(psnr) == 4 and psnr[-1] > psnr[0] + 4 and psnr[-1] > 12, out
    assert (tmp_path / "model_epoch_4.pth").is_file()

    # inference: a 48x48 crop shrunk to 16x16 comes back 48x48, near the original
    original = Image.open(tmp_path / "dataset/BSDS300/images/test/001.png").crop(
        (8, 8, 56, 56))
    original.resize((16, 16), Image.BICUBIC).save(tmp_path / "small.png")
    out = _ok(_run("super_resolution/super_resolve.py", tmp_path, "--input_image",
                   "small.png", "--model", "model_epoch_4.pth", "--output_filename",
                   "big.png"))
    assert "output image saved to  big.png" in out
    big = Image.open(tmp_path / "big.png")
    assert big.size == (48, 48) and big.mode == "RGB"
    y_out = np.asarray(big.convert("YCbCr"))[..., 0] / 255.
    y_ref = np.asarray(original.convert("YCbCr"))[..., 0] / 255.
    assert 10 * np.log10(1 / np.mean((y_out - y_ref) ** 2)) > 12
