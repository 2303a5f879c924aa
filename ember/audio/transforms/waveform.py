"""Waveform and feature modules: MuLawEncoding, MuLawDecoding, ComputeDeltas, Fade, Vol,
Preemphasis, AddNoise, Convolve, FFTConvolve."""
import math

import ember
from ember import nn

from .. import functional as F

__all__ = ["MuLawEncoding", "MuLawDecoding", "ComputeDeltas", "Fade", "Vol", "Preemphasis",
           "AddNoise", "Convolve", "FFTConvolve"]


class MuLawEncoding(nn.Module):
    """[-1, 1] floats -> mu-law codes 0 .. quantization_channels - 1 (int64)."""
    __constants__ = ["quantization_channels"]

    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x):
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(nn.Module):
    """mu-law codes -> [-1, 1] floats."""
    __constants__ = ["quantization_channels"]

    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x_mu):
        return F.mu_law_decoding(x_mu, self.quantization_channels)


class ComputeDeltas(nn.Module):
    """Delta coefficients along time of (..., freq, time); see `functional.compute_deltas`."""
    __constants__ = ["win_length"]

    def __init__(self, win_length=5, mode="replicate"):
        super().__init__()
        self.win_length = win_length
        self.mode = mode

    def forward(self, specgram):
        return F.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)


class Fade(nn.Module):
    """Fade in over the first `fade_in_len` samples and out over the last `fade_out_len`,
    with shape "linear", "exponential", "logarithmic", "quarter_sine" or "half_sine"."""

    def __init__(self, fade_in_len=0, fade_out_len=0, fade_shape="linear"):
        super().__init__()
        self.fade_in_len = fade_in_len
        self.fade_out_len = fade_out_len
        self.fade_shape = fade_shape

    def forward(self, waveform):
        length = waveform.shape[-1]
        device = waveform.device
        return self._fade_in(length, device) * self._fade_out(length, device) * waveform

    def _fade_in(self, length, device):
        x = ember.linspace(0, 1, self.fade_in_len, device=device)
        ones = ember.ones(length - self.fade_in_len, device=device)
        shape = self.fade_shape
        if shape == "exponential":
            x = ember.pow(2, x - 1) * x
        elif shape == "logarithmic":
            x = ember.log10(0.1 + x) + 1
        elif shape == "quarter_sine":
            x = ember.sin(x * math.pi / 2)
        elif shape == "half_sine":
            x = ember.sin(x * math.pi - math.pi / 2) / 2 + 0.5
        return ember.cat((x, ones)).clamp(0, 1)

    def _fade_out(self, length, device):
        x = ember.linspace(0, 1, self.fade_out_len, device=device)
        ones = ember.ones(length - self.fade_out_len, device=device)
        shape = self.fade_shape
        if shape == "linear":
            x = -x + 1
        elif shape == "exponential":
            x = ember.pow(2, -x) * (1 - x)
        elif shape == "logarithmic":
            x = ember.log10(1.1 - x) + 1
        elif shape == "quarter_sine":
            x = ember.sin(x * math.pi / 2 + math.pi / 2)
        elif shape == "half_sine":
            x = ember.sin(x * math.pi + math.pi / 2) / 2 + 0.5
        return ember.cat((ones, x)).clamp(0, 1)


class Vol(nn.Module):
    """Scale the volume by `gain` ("amplitude" factor, "power" factor or "db"), then clamp
    to [-1, 1]."""

    def __init__(self, gain, gain_type="amplitude"):
        super().__init__()
        self.gain = gain
        self.gain_type = gain_type
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")

    def forward(self, waveform):
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        if self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        if self.gain_type == "power":
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


class Preemphasis(nn.Module):
    """y[n] = x[n] - coeff * x[n - 1]."""

    def __init__(self, coeff=0.97):
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform):
        return F.preemphasis(waveform, coeff=self.coeff)


class AddNoise(nn.Module):
    """forward(waveform, noise, snr, lengths=None): `functional.add_noise`."""

    def forward(self, waveform, noise, snr, lengths=None):
        return F.add_noise(waveform, noise, snr, lengths)


class Convolve(nn.Module):
    """forward(x, y): direct convolution along the last dim (`functional.convolve`)."""

    def __init__(self, mode="full"):
        super().__init__()
        if mode not in ("full", "valid", "same"):
            raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of "
                             "['full', 'valid', 'same'].")
        self.mode = mode

    def forward(self, x, y):
        return F.convolve(x, y, mode=self.mode)


class FFTConvolve(Convolve):
    """forward(x, y): FFT convolution along the last dim (`functional.fftconvolve`)."""

    def forward(self, x, y):
        return F.fftconvolve(x, y, mode=self.mode)
