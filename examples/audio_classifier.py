"""Classify synthetic tones with a mel-spectrogram CNN, the torchaudio way, on ember.

Each clip is 0.25 s at 8 kHz: a sine at one of five pitches a whole tone apart (+-2% detune,
random phase and level) buried in Gaussian noise at -15 to +5 dB SNR. Clips go through
`MelSpectrogram -> AmplitudeToDB` and a small 2-layer CNN; three epochs of Adam reach 99-100%
test accuracy (chance: 20%) in a few seconds on a CPU.

Run: python examples/audio_classifier.py [--epochs 3] [--seed 0]
(the same script runs on PyTorch with `import torch, torchaudio` in place of ember.)
"""
import argparse
import math

import ember as torch
import ember.audio as torchaudio
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

SAMPLE_RATE = 8000
CLIP = SAMPLE_RATE // 4
PITCHES = [440.0, 493.9, 554.4, 622.3, 698.5]       # Hz: A4 B4 C#5 D#5 F5, a whole tone apart


def make_tones(n, generator):
    """n noisy tone clips (n, 1, CLIP) and their pitch-class labels (n,)."""
    labels = torch.randint(len(PITCHES), (n,), generator=generator)
    detune = 1 + 0.02 * (2 * torch.rand(n, generator=generator) - 1)
    freqs = torch.tensor(PITCHES)[labels] * detune
    phase = 2 * math.pi * torch.rand(n, 1, generator=generator)
    level = 0.2 + 0.8 * torch.rand(n, 1, generator=generator)
    t = torch.arange(CLIP) / SAMPLE_RATE
    tones = level * torch.sin(2 * math.pi * freqs[:, None] * t + phase)
    snr_db = 20 * torch.rand(n, 1, generator=generator) - 15
    noise_rms = level / math.sqrt(2) / 10 ** (snr_db / 20)
    clips = tones + noise_rms * torch.randn(n, CLIP, generator=generator)
    return clips.unsqueeze(1), labels


class ToneNet(nn.Module):
    """(batch, 1, time) waveform -> class logits: log-mel features, two conv blocks, an
    average over time (pitch lives on the mel axis, so that axis is kept) and a linear
    layer."""

    def __init__(self, n_classes, n_mels=32):
        super().__init__()
        self.features = nn.Sequential(
            torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, n_fft=256, hop_length=128,
                                                 n_mels=n_mels),
            torchaudio.transforms.AmplitudeToDB(top_db=80.0))
        self.conv = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.fc = nn.Linear(16 * (n_mels // 2), n_classes)

    def forward(self, wave):
        spec = self.features(wave)                       # (batch, 1, n_mels, frames)
        spec = (spec - spec.mean(dim=(2, 3), keepdim=True)) / 20.0
        h = self.conv(spec).mean(dim=3)                  # (batch, 16, n_mels // 2)
        return self.fc(h.flatten(1))


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main(epochs=3, seed=0, n_train=1500, n_test=500):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    train = TensorDataset(*make_tones(n_train, g))
    test = TensorDataset(*make_tones(n_test, g))
    train_loader = DataLoader(train, batch_size=50, shuffle=True)
    test_loader = DataLoader(test, batch_size=250)
    model = ToneNet(len(PITCHES))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, "
              f"test accuracy {evaluate(model, test_loader):.4f}")
    acc = evaluate(model, test_loader)
    print(f"final test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.seed)
