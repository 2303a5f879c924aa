"""Spectrograms and their inverses: spectrogram, inverse_spectrogram, griffinlim,
phase_vocoder, amplitude_to_DB / DB_to_amplitude, spectral_centroid.

All are compositions of ember ops (`ember.stft` / `istft`, abs, pow, ...), so they are
differentiable wherever the ops are, and run on any device the input is on. Leading
dimensions are packed into one batch dimension and restored, as torchaudio does.
"""
import math
import warnings

import ember
from ember.nn import functional as _F

__all__ = ["spectrogram", "inverse_spectrogram", "griffinlim", "phase_vocoder",
           "amplitude_to_DB", "DB_to_amplitude", "spectral_centroid"]


def _spec_norms(normalized):
    """`normalized` (bool or "window" / "frame_length") -> (frame_length_norm, window_norm):
    True means "window", i.e. divide by the window's L2 norm."""
    if isinstance(normalized, str):
        if normalized not in ("frame_length", "window"):
            raise ValueError(f"Invalid normalized parameter: {normalized}")
        return normalized == "frame_length", normalized == "window"
    if isinstance(normalized, bool):
        return False, normalized
    raise TypeError("Input type not supported")


def spectrogram(waveform, pad, window, n_fft, hop_length, win_length, power, normalized,
                center=True, pad_mode="reflect", onesided=True, return_complex=None):
    """Spectrogram of `waveform` (..., time) -> (..., n_fft // 2 + 1, frames).

    power=None returns the complex STFT; otherwise |STFT| ** power. normalized=True or
    "window" divides by the window's L2 norm, "frame_length" by sqrt(n_fft) (torch.stft's
    normalized=True).
    """
    if return_complex is not None:
        warnings.warn("`return_complex` argument is now deprecated and is not effective."
                      "`torchaudio.functional.spectrogram(power=None)` always returns a tensor "
                      "with complex dtype. Please remove the argument in the function call.")
    if pad > 0:
        waveform = _F.pad(waveform, (pad, pad), "constant")
    frame_length_norm, window_norm = _spec_norms(normalized)
    shape = waveform.shape
    spec = ember.stft(waveform.reshape(-1, shape[-1]), n_fft=n_fft, hop_length=hop_length,
                      win_length=win_length, window=window, center=center, pad_mode=pad_mode,
                      normalized=frame_length_norm, onesided=onesided, return_complex=True)
    spec = spec.reshape(tuple(shape[:-1]) + tuple(spec.shape[-2:]))
    if window_norm:
        spec = spec / window.pow(2.0).sum().sqrt()
    if power is None:
        return spec
    if power == 1.0:
        return spec.abs()
    return spec.abs().pow(power)


def inverse_spectrogram(spectrogram, length, pad, window, n_fft, hop_length, win_length,
                        normalized, center=True, pad_mode="reflect", onesided=True):
    """Least-squares waveform (..., time) of a complex spectrogram (..., freq, frames):
    the inverse of `spectrogram(power=None)` with the same settings. `pad` is removed from
    both ends only when `length` is given (torchaudio's rule); `pad_mode` is unused."""
    frame_length_norm, window_norm = _spec_norms(normalized)
    if not spectrogram.is_complex():
        raise ValueError("Expected `spectrogram` to be complex dtype.")
    if window_norm:
        spectrogram = spectrogram * window.pow(2.0).sum().sqrt()
    shape = spectrogram.shape
    spectrogram = spectrogram.reshape(-1, shape[-2], shape[-1])
    waveform = ember.istft(spectrogram, n_fft=n_fft, hop_length=hop_length,
                           win_length=win_length, window=window, center=center,
                           normalized=frame_length_norm, onesided=onesided,
                           length=length + 2 * pad if length is not None else None,
                           return_complex=False)
    if length is not None and pad > 0:
        waveform = waveform[:, pad:-pad]
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def _complex_of(real_dtype):
    if real_dtype is ember.float64:
        return ember.complex128
    if real_dtype is ember.float32:
        return ember.complex64
    raise ValueError(f"Unexpected dtype {real_dtype}")


def griffinlim(specgram, window, n_fft, hop_length, win_length, power, n_iter, momentum,
               length, rand_init):
    """Waveform (..., time) from a magnitude spectrogram (..., n_fft // 2 + 1, frames) by the
    fast Griffin-Lim algorithm (Perraudin et al.): alternate istft/stft, keep the phase,
    with `momentum` extrapolation (0 gives plain Griffin-Lim). rand_init draws the starting
    phase uniformly (real and imaginary parts in [0, 1)), otherwise it starts at 1."""
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in range [0, 1). Found: {momentum}")
    momentum = momentum / (1 + momentum)
    shape = specgram.shape
    specgram = specgram.reshape([-1] + list(shape[-2:]))
    specgram = specgram.pow(1 / power)
    cdtype = _complex_of(specgram.dtype)
    if rand_init:
        angles = ember.rand(specgram.shape, dtype=cdtype, device=specgram.device)
    else:
        angles = ember.full(specgram.shape, 1, dtype=cdtype, device=specgram.device)
    tprev = None
    stft_kw = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
    for _ in range(n_iter):
        inverse = ember.istft(specgram * angles, length=length, **stft_kw)
        rebuilt = ember.stft(inverse, center=True, pad_mode="reflect", normalized=False,
                             onesided=True, return_complex=True, **stft_kw)
        angles = rebuilt
        if momentum and tprev is not None:
            angles = angles - tprev * momentum
        angles = angles / (angles.abs() + 1e-16)
        tprev = rebuilt
    waveform = ember.istft(specgram * angles, length=length, **stft_kw)
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def phase_vocoder(complex_specgrams, rate, phase_advance):
    """Stretch a complex STFT (..., freq, frames) in time by 1 / `rate` without changing
    pitch: frames are read at steps of `rate`, magnitudes interpolated linearly and phases
    accumulated with the expected per-bin `phase_advance` (freq, 1). The result has
    ceil(frames / rate) frames."""
    if rate == 1.0:
        return complex_specgrams
    shape = complex_specgrams.shape
    specs = complex_specgrams.reshape([-1] + list(shape[-2:]))
    real_dtype = ember.real(specs).dtype
    time_steps = ember.arange(0, specs.shape[-1], rate, device=specs.device, dtype=real_dtype)
    alphas = time_steps % 1.0
    phase_0 = specs[..., :1].angle()
    specs = _F.pad(specs, [0, 2])                    # frames t and t + 1 exist for every step
    idx = time_steps.long()
    specs_0 = specs.index_select(-1, idx)
    specs_1 = specs.index_select(-1, idx + 1)
    angle_0, angle_1 = specs_0.angle(), specs_1.angle()
    norm_0, norm_1 = specs_0.abs(), specs_1.abs()
    phase = angle_1 - angle_0 - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi))   # wrap to [-pi, pi]
    phase = phase + phase_advance
    phase = ember.cat([phase_0, phase[..., :-1]], dim=-1)
    phase_acc = ember.cumsum(phase, -1)
    mag = alphas * norm_1 + (1 - alphas) * norm_0
    out = ember.polar(mag, phase_acc)
    return out.reshape(tuple(shape[:-2]) + tuple(out.shape[1:]))


def amplitude_to_DB(x, multiplier, amin, db_multiplier, top_db=None):
    """multiplier * log10(max(x, amin)) - multiplier * db_multiplier, then (with top_db)
    floored at top_db below the maximum. The maximum is taken per item over the last three
    dims (channel, freq, time) for 4D+ input, over the whole tensor for 2D/3D input."""
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        channels = shape[-3] if x_db.dim() > 2 else 1
        packed = x_db.reshape(-1, channels, shape[-2], shape[-1])
        floor = (packed.amax(dim=(-3, -2, -1)) - top_db).view(-1, 1, 1, 1)
        x_db = ember.max(packed, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x, ref, power):
    """ref * (10 ** (x / 10)) ** power: power=1 undoes power-dB, power=0.5 amplitude-dB."""
    return ref * ember.pow(ember.pow(10.0, 0.1 * x), power)


def spectral_centroid(waveform, sample_rate, pad, window, n_fft, hop_length, win_length):
    """Frequency-weighted mean of the magnitude spectrum per frame: (..., frames)."""
    specgram = spectrogram(waveform, pad=pad, window=window, n_fft=n_fft,
                           hop_length=hop_length, win_length=win_length, power=1.0,
                           normalized=False)
    freqs = ember.linspace(0, sample_rate // 2, steps=1 + n_fft // 2,
                           device=specgram.device).reshape((-1, 1))
    freq_dim = -2
    return (freqs * specgram).sum(dim=freq_dim) / specgram.sum(dim=freq_dim)
