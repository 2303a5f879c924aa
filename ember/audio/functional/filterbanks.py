"""Filter-bank and DCT matrices: melscale_fbanks (HTK or Slaney mel scale, optional Slaney
area normalisation), linear_fbanks, create_dct.

The matrices are built with ember ops in the default dtype (float32 unless changed), as
torchaudio builds them with torch ops, and are meant to be right-multiplied:
`spec.transpose(-1, -2) @ fb`.
"""
import math
import warnings

import ember

__all__ = ["melscale_fbanks", "linear_fbanks", "create_dct"]

# Slaney's Auditory Toolbox scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above
_SLANEY_F_SP = 200.0 / 3
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = math.log(6.4) / 27.0


def _check_scale(mel_scale):
    if mel_scale not in ("slaney", "htk"):
        raise ValueError('mel_scale should be one of "htk" or "slaney".')


def _hz_to_mel(freq, mel_scale="htk"):
    """One frequency in Hz (a Python float) to mels."""
    _check_scale(mel_scale)
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    if freq >= _SLANEY_MIN_LOG_HZ:
        return _SLANEY_MIN_LOG_MEL + math.log(freq / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return freq / _SLANEY_F_SP


def _mel_to_hz(mels, mel_scale="htk"):
    """A tensor of mels to Hz (the inverse of `_hz_to_mel`)."""
    _check_scale(mel_scale)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    linear = _SLANEY_F_SP * mels
    log = _SLANEY_MIN_LOG_HZ * ember.exp(_SLANEY_LOGSTEP * (mels - _SLANEY_MIN_LOG_MEL))
    return ember.where(mels >= _SLANEY_MIN_LOG_MEL, log, linear)


def _triangular_filterbank(all_freqs, f_pts):
    """(n_freqs, n_filter) triangles: filter m rises from f_pts[m] to f_pts[m + 1] and falls
    to f_pts[m + 2], evaluated at the STFT bin frequencies `all_freqs`."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)       # (n_freqs, n_filter + 2)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return ember.clamp(ember.minimum(down, up), min=0.0)


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    """Triangular mel filter bank (n_freqs, n_mels) for STFT bins spread evenly over
    0 .. sample_rate // 2. n_mels + 2 points evenly spaced in mels between f_min and f_max
    give the triangle corners; norm="slaney" divides each triangle by half its width in Hz
    (constant energy per channel)."""
    if norm is not None and norm != "slaney":
        raise ValueError('norm must be one of None or "slaney"')
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs)
    m_min = _hz_to_mel(f_min, mel_scale=mel_scale)
    m_max = _hz_to_mel(f_max, mel_scale=mel_scale)
    m_pts = ember.linspace(m_min, m_max, n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale=mel_scale)
    fb = _triangular_filterbank(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels])).unsqueeze(0)
    if bool((fb.amax(dim=0) == 0.0).any()):
        warnings.warn("At least one mel filterbank has all zero values. "
                      f"The value for `n_mels` ({n_mels}) may be set too high. "
                      f"Or, the value for `n_freqs` ({n_freqs}) may be set too low.")
    return fb


def linear_fbanks(n_freqs, f_min, f_max, n_filter, sample_rate):
    """Triangular filters (n_freqs, n_filter) with corners evenly spaced in Hz."""
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs)
    f_pts = ember.linspace(f_min, f_max, n_filter + 2)
    return _triangular_filterbank(all_freqs, f_pts)


def create_dct(n_mfcc, n_mels, norm):
    """DCT-II matrix (n_mels, n_mfcc): column k is cos(pi / n_mels * (n + 0.5) * k).
    norm=None scales by 2; norm="ortho" makes it orthonormal (first column / sqrt(2), all
    * sqrt(2 / n_mels))."""
    if norm is not None and norm != "ortho":
        raise ValueError('norm must be either "ortho" or None')
    n = ember.arange(float(n_mels))
    k = ember.arange(float(n_mfcc)).unsqueeze(1)
    dct = ember.cos(math.pi / float(n_mels) * (n + 0.5) * k)       # (n_mfcc, n_mels)
    if norm is None:
        dct = dct * 2.0
    else:
        scale = ember.full((n_mfcc, 1), math.sqrt(2.0 / float(n_mels)))
        scale[0] = scale[0] / math.sqrt(2.0)
        dct = dct * scale
    return dct.t()
