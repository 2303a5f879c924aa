"""Band-limited resampling by windowed-sinc interpolation (Julius O. Smith's "resample"
method, as torchaudio implements it).

After dividing both rates by their gcd (orig, new), output sample j of each block of `new`
outputs is a dot product of the input with one fixed filter, and output j + new reuses that
filter shifted by `orig` input samples. So the whole resampling is a single strided
convolution with `new` filters (one per output phase) and stride `orig`:

    kernel[j, i] = sinc(base * (i / orig - j / new)) * window(...) * base / orig,
    i in [-width, width + orig),  base = min(orig, new) * rolloff,
    width = ceil(lowpass_filter_width * orig / base),

where the argument is clamped to +-lowpass_filter_width zero crossings and the window is
Hann (cos^2) or Kaiser (beta defaults to 14.769656459379492).
"""
import math
import warnings

import ember
from ember.nn import functional as _F

__all__ = ["resample"]

_DEFAULT_KAISER_BETA = 14.769656459379492


def _sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width=6, rolloff=0.99,
                          resampling_method="sinc_interp_hann", beta=None, device=None,
                          dtype=None):
    """(new, 1, 2 * width + orig) filters and `width`. dtype=None computes in float64 and
    returns float32 (what the Resample module caches by default)."""
    if not (int(orig_freq) == orig_freq and int(new_freq) == new_freq):
        raise Exception(
            "Frequencies must be of integer type to ensure quality resampling computation. "
            "To work around this, manually convert both frequencies to integer values "
            "that maintain their resampling rate ratio before passing them into the function. "
            "Example: To downsample a 44100 hz waveform by a factor of 8, use "
            "`orig_freq=8` and `new_freq=1` instead of `orig_freq=44100` and "
            "`new_freq=5512.5`. For more information, please refer to "
            "https://github.com/pytorch/audio/issues/1487.")
    if resampling_method in ("sinc_interpolation", "kaiser_window"):
        new_name = {"sinc_interpolation": "sinc_interp_hann",
                    "kaiser_window": "sinc_interp_kaiser"}[resampling_method]
        warnings.warn(f'"{resampling_method}" resampling method name is being deprecated and '
                      f'replaced by "{new_name}" in the next release. The default behavior '
                      "remains unchanged.", stacklevel=3)
        resampling_method = new_name
    elif resampling_method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"Invalid resampling method: {resampling_method}")
    orig = int(orig_freq) // gcd
    new = int(new_freq) // gcd
    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    # filter below the lower Nyquist rate: anti-aliasing when downsampling, and no imaging
    # (or edge artifacts from the implicit zero padding) when upsampling
    base_freq = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base_freq)
    # dtype=None mirrors torchaudio's arithmetic exactly: the input positions in float64,
    # the output phases j / new (an integer arange divided) in the default dtype
    idx = ember.arange(-width, width + orig, dtype=dtype if dtype is not None else
                       ember.float64, device=device)[None, None] / orig
    t = ember.arange(0, -new, -1, dtype=dtype, device=device)[:, None, None] / new + idx
    t = ember.clamp(t * base_freq, -lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = ember.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        b = float(beta) if beta is not None else _DEFAULT_KAISER_BETA
        b_t = ember.tensor(b, device=device)        # default dtype, as torchaudio does
        window = ember.i0(b_t * ember.sqrt(1 - (t / lowpass_filter_width) ** 2)) / ember.i0(b_t)
    t = t * math.pi
    safe_t = ember.where(t == 0, ember.ones_like(t), t)
    kernels = ember.where(t == 0, ember.ones_like(t), ember.sin(safe_t) / safe_t)
    kernels = kernels * window * (base_freq / orig)
    if dtype is None:
        kernels = kernels.to(ember.float32)
    return kernels, width


def _apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width):
    if not waveform.is_floating_point():
        raise TypeError(f"Expected floating point type for waveform tensor, but received "
                        f"{waveform.dtype}.")
    orig = int(orig_freq) // gcd
    new = int(new_freq) // gcd
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    num_wavs, length = waveform.shape
    waveform = _F.pad(waveform, (width, width + orig))
    resampled = _F.conv1d(waveform[:, None], kernel, stride=orig)   # (B, new, blocks)
    resampled = resampled.transpose(1, 2).reshape(num_wavs, -1)
    target_length = -(-new * length // orig)                        # ceil(new * length / orig)
    resampled = resampled[..., :target_length]
    return resampled.reshape(tuple(shape[:-1]) + tuple(resampled.shape[-1:]))


def resample(waveform, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99,
             resampling_method="sinc_interp_hann", beta=None):
    """Resample `waveform` (..., time) from `orig_freq` to `new_freq` (integers) by
    band-limited windowed-sinc interpolation; the output has ceil(time * new / orig)
    samples. `lowpass_filter_width` is the number of sinc zero crossings kept on each side,
    `rolloff` the cutoff as a fraction of the lower Nyquist frequency, `resampling_method`
    "sinc_interp_hann" or "sinc_interp_kaiser" (with `beta`)."""
    if orig_freq <= 0.0 or new_freq <= 0.0:
        raise ValueError("Original frequency and desired frequecy should be positive")
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = _sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width,
                                          rolloff, resampling_method, beta, waveform.device,
                                          waveform.dtype)
    return _apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width)
