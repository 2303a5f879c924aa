"""The ImageNet-style program of issue 8 part B (tests/programs/imagenet/main.py: -a from
torchvision.models.__dict__, SGD + StepLR, AverageMeter / ProgressMeter, top-k accuracy,
checkpoint.pth.tar / model_best.pth.tar, --resume, --evaluate, --dummy, torch.backends.cudnn)
trains a resnet18 unchanged under `python -m ember.compat` on a tiny ImageFolder written by
the test: three classes of differently coloured 48x40 images with small random squares on
them."""
import random
import re

import numpy as np
import pytest

from ._program_runner import PROGRAMS, run_program

Image = pytest.importorskip("PIL.Image")
from PIL import ImageDraw  # noqa: E402

PROGRAM = "imagenet/main.py"
COLOURS = {"blue": (40, 60, 200), "green": (40, 180, 60), "red": (200, 40, 40)}
SUMMARY = re.compile(r"^ \*   Acc@1 (\d+\.\d+) Acc@5 (\d+\.\d+)$", re.M)
TRAIN_LINE = re.compile(r"^Epoch: \[(\d+)\]\[(\d+)/3\]\tTime .*\tLoss (\S+) \((\S+)\)\t"
                        r"Acc@1 +(\d+\.\d+) \( *(\d+\.\d+)\)\tAcc@5", re.M)


def _image_folder(root):
    """root/{train,val}/{blue,green,red}/*.png: 12 train and 8 val images a class."""
    rng = random.Random(0)
    for split, n in (("train", 12), ("val", 8)):
        for cls, rgb in COLOURS.items():
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                base = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in rgb)
                img = Image.new("RGB", (48, 40), base)
                draw = ImageDraw.Draw(img)
                for _ in range(2):
                    x, y = rng.randint(0, 40), rng.randint(0, 32)
                    draw.rectangle([x, y, x + 4, y + 4],
                                   fill=tuple(rng.randint(0, 255) for _ in range(3)))
                img.save(folder / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One 5-epoch run (15 SGD steps of 12 images at 32 px); the tests below read its output
    and continue from its checkpoints."""
    work = tmp_path_factory.mktemp("imagenet")
    data = _image_folder(work / "data")
    r = run_program(PROGRAM, work, str(data), "-a", "resnet18", "-j", "0", "--epochs", "5",
                    "-b", "12", "--lr", "0.003", "--momentum", "0.9", "--wd", "1e-4", "-p", "1",
                    "--seed", "1", "--image-size", "32")
    return work, data, r


def test_resnet18_learns_on_image_folder(trained):
    work, _, r = trained
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("=> creating model 'resnet18'\nusing CPU, this will be slow\n")
    # the --seed warning is the only one
    assert [re.sub(r":\d+: ", ":N: ", l) for l in r.stderr.splitlines() if "Warning" in l] == [
        f"{PROGRAMS}/imagenet/main.py:N: UserWarning: You have chosen to seed training. This "
        "will turn on the CUDNN deterministic setting, which can slow down your training "
        "considerably! You may see unexpected behavior when restarting from checkpoints."]
    lines = TRAIN_LINE.findall(r.stdout)
    assert [(int(e), int(i)) for e, i, *_ in lines] == [(e, i) for e in range(5) for i in (1, 2, 3)]
    # the 1000-way head starts near ln(1000) = 6.9; the last epoch's mean loss is under 1 and
    # its training top-1 over 80% (chance: 33%)
    assert 5.5 < float(lines[0][2]) < 9.0, r.stdout
    assert float(lines[-1][3]) < 1.0 and float(lines[-1][5]) > 80.0, r.stdout
    # validation (24 images, eval-mode BatchNorm): the last epoch beats chance (33.3%) clearly
    summaries = [float(a1) for a1, _ in SUMMARY.findall(r.stdout)]
    assert len(summaries) == 5 and summaries[-1] >= 66.0, r.stdout
    assert "Test: [1/2]" in r.stdout and "Test: [2/2]" in r.stdout

    ckpt, best = work / "checkpoint.pth.tar", work / "model_best.pth.tar"
    assert ckpt.is_file() and best.is_file()
    import ember
    state = ember.load(str(ckpt))                 # weights_only=True: tensors and primitives
    assert state["epoch"] == 5 and state["arch"] == "resnet18"
    assert list(state) == ["epoch", "arch", "state_dict", "best_acc1", "optimizer", "scheduler"]
    assert len(state["state_dict"]) == 122 and state["state_dict"]["fc.weight"].shape == (1000, 512)
    assert state["scheduler"]["last_epoch"] == 5 and state["scheduler"]["step_size"] == 30
    assert len(state["optimizer"]["state"]) == 62                   # a momentum buffer a param
    best_state = ember.load(str(best))
    assert abs(float(state["best_acc1"]) - max(summaries)) < 1e-3
    assert abs(float(best_state["best_acc1"]) - max(summaries)) < 1e-3
    assert best_state["epoch"] == summaries.index(max(summaries)) + 1
    torch = pytest.importorskip("torch")
    tstate = torch.load(str(ckpt), weights_only=True)      # real PyTorch reads the checkpoint
    assert tstate["epoch"] == 5 and isinstance(tstate["best_acc1"], torch.Tensor)
    np.testing.assert_array_equal(tstate["state_dict"]["conv1.weight"].numpy(),
                                  state["state_dict"]["conv1.weight"].numpy())
    assert tstate["optimizer"]["param_groups"][0]["momentum"] == 0.9


def test_evaluate_model_best_reproduces_its_accuracy(trained):
    work, data, r = trained
    assert r.returncode == 0, r.stderr[-3000:]
    best = max(float(a1) for a1, _ in SUMMARY.findall(r.stdout))
    e = run_program(PROGRAM, work, str(data), "-e", "--resume", "model_best.pth.tar", "-j", "0",
                    "-b", "12", "--image-size", "32")
    assert e.returncode == 0, e.stderr[-3000:]
    assert "=> loaded checkpoint 'model_best.pth.tar' (epoch " in e.stdout
    (acc1, acc5), = SUMMARY.findall(e.stdout)
    assert float(acc1) == best and "Epoch:" not in e.stdout


def test_resume_continues_from_the_saved_epoch(trained):
    work, data, r = trained
    assert r.returncode == 0, r.stderr[-3000:]
    c = run_program(PROGRAM, work, str(data), "--resume", "checkpoint.pth.tar", "--epochs", "6",
                    "-j", "2", "-b", "12", "--lr", "0.003", "-p", "1", "--image-size", "32")
    assert c.returncode == 0, c.stderr[-3000:]
    assert "=> loaded checkpoint 'checkpoint.pth.tar' (epoch 5)" in c.stdout
    assert [int(e) for e, *_ in TRAIN_LINE.findall(c.stdout)] == [5, 5, 5]   # only epoch 5
    # a resumed model keeps training from where it was: its loss is already low
    assert float(TRAIN_LINE.findall(c.stdout)[-1][3]) < 1.5, c.stdout
    import ember
    assert ember.load(str(work / "checkpoint.pth.tar"))["epoch"] == 6


def test_dummy_data_and_bad_arch(tmp_path):
    r = run_program(PROGRAM, tmp_path, "--dummy", "-a", "resnet18", "-j", "2", "--epochs", "1",
                    "-b", "4", "--max-batches", "2", "-p", "1", "--image-size", "32")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "=> Dummy data is used!" in r.stdout
    assert "Epoch: [0][1/2]" in r.stdout and "Epoch: [0][2/2]" in r.stdout
    assert "Test: [2/2]" in r.stdout and len(SUMMARY.findall(r.stdout)) == 1
    assert (tmp_path / "checkpoint.pth.tar").is_file()
    bad = run_program(PROGRAM, tmp_path, "--dummy", "-a", "resnet19")
    assert bad.returncode == 2
    assert "argument -a/--arch: invalid choice: 'resnet19'" in bad.stderr
    assert "resnet18" in run_program(PROGRAM, tmp_path, "--help").stdout
