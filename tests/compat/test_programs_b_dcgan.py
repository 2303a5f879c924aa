"""The DCGAN program of issue 8 part B (tests/programs/dcgan.py: ConvTranspose2d + BatchNorm
generator, strided-conv discriminator, BCELoss, two Adams, torchvision.datasets.FakeData,
vutils.save_image, torch.save checkpoints) runs unchanged under `python -m ember.compat`."""
import re

import numpy as np
import pytest

from ._program_runner import run_program

LINE = re.compile(r"\[(\d+)/(\d+)\]\[(\d+)/(\d+)\] Loss_D: (\d+\.\d+) Loss_G: (\d+\.\d+) "
                  r"D\(x\): (\d+\.\d+) D\(G\(z\)\): (\d+\.\d+) / (\d+\.\d+)")
SMALL = ["--imageSize", "32", "--ngf", "8", "--ndf", "8", "--nz", "16", "--batchSize", "16",
         "--manualSeed", "1"]


def _iterations(stdout):
    return [tuple(float(v) for v in m.groups()[4:]) for m in LINE.finditer(stdout)]


def test_dcgan_fake_data_discriminator_learns_and_checkpoints(tmp_path):
    # 16 iterations of 16 FakeData images: the discriminator starts at chance (Loss_D near
    # 2 ln 2 = 1.386, D(x) near 0.5) and must learn to tell real from fake: its loss drops by
    # more than 0.1 and D(x) on real images ends above 0.6
    r = run_program("dcgan.py", tmp_path, *SMALL, "--niter", "1", "--max-batches", "16",
                    "--fake-size", "256", "--outf", "out")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stderr == ""                  # no warnings PyTorch would not print either
    its = _iterations(r.stdout)
    assert len(its) == 16, r.stdout[-2000:]
    assert "[0/1][0/16]" in r.stdout                   # len(dataloader) = 256 / 16
    loss_d = np.array([it[0] for it in its])
    d_x = np.array([it[2] for it in its])
    assert 1.2 < loss_d[:4].mean() < 1.6, r.stdout
    assert loss_d[-4:].mean() < loss_d[:4].mean() - 0.1, r.stdout
    assert d_x[-4:].mean() > 0.6, r.stdout
    assert "ConvTranspose2d(16, 32, kernel_size=(4, 4), stride=(1, 1), bias=False)" in r.stdout

    out = tmp_path / "out"
    Image = pytest.importorskip("PIL.Image")
    for name in ("real_samples.png", "fake_samples_epoch_000.png"):
        img = Image.open(out / name)
        assert img.size == (8 * 34 + 2, 2 * 34 + 2) and img.mode == "RGB"   # 16 images, nrow 8
        pixels = np.asarray(img)
        assert pixels.max() == 255                     # normalize=True: batch max -> 255
        assert pixels[2:34, 2:34].std() > 1            # the first tile is an image, not flat

    import ember
    g = ember.load(str(out / "netG_epoch_0.pth"))
    d = ember.load(str(out / "netD_epoch_0.pth"))
    assert list(g)[:6] == ["main.0.weight", "main.1.weight", "main.1.bias", "main.1.running_mean",
                           "main.1.running_var", "main.1.num_batches_tracked"]
    assert tuple(g["main.0.weight"].shape) == (16, 32, 4, 4)        # ConvTranspose: in, out
    assert tuple(d["main.0.weight"].shape) == (8, 3, 4, 4)
    # train-mode forwards: G once per iteration plus the fixed-noise grid at i == 0; D three
    # times per iteration (real, fake.detach(), fake)
    assert g["main.1.num_batches_tracked"].item() == 16 + 1
    assert d["main.3.num_batches_tracked"].item() == 3 * 16
    torch = pytest.importorskip("torch")
    tg = torch.load(str(out / "netG_epoch_0.pth"), weights_only=True)
    assert list(tg) == list(g)
    for k in g:
        np.testing.assert_array_equal(tg[k].numpy(), g[k].numpy())

    # --netG / --netD resume from the checkpoints: the loaded discriminator already separates
    # real from fake on its first iteration, where a fresh one sits at 0.5
    r2 = run_program("dcgan.py", tmp_path, *SMALL, "--dry-run", "--fake-size", "32",
                     "--netG", "out/netG_epoch_0.pth", "--netD", "out/netD_epoch_0.pth",
                     "--outf", "resumed")
    assert r2.returncode == 0, r2.stderr[-3000:]
    (first,) = _iterations(r2.stdout)                  # --dry-run: one iteration
    assert first[2] > 0.6, r2.stdout[-500:]
    assert (tmp_path / "resumed" / "netD_epoch_0.pth").is_file()
