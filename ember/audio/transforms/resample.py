"""The Resample module: `functional.resample` with the sinc kernel computed once."""
import math

from ember import nn

from ..functional.resample import _apply_sinc_resample_kernel, _sinc_resample_kernel

__all__ = ["Resample"]


class Resample(nn.Module):
    """Resample (..., time) from `orig_freq` to `new_freq`. The kernel buffer is computed in
    float64 and stored as float32 unless `dtype` is given (then computed in that dtype);
    move the module with `.to()` to resample other dtypes/devices."""

    def __init__(self, orig_freq=16000, new_freq=16000, resampling_method="sinc_interp_hann",
                 lowpass_filter_width=6, rolloff=0.99, beta=None, *, dtype=None):
        super().__init__()
        self.orig_freq = orig_freq
        self.new_freq = new_freq
        self.gcd = math.gcd(int(orig_freq), int(new_freq))
        self.resampling_method = resampling_method
        self.lowpass_filter_width = lowpass_filter_width
        self.rolloff = rolloff
        self.beta = beta
        if orig_freq != new_freq:
            kernel, self.width = _sinc_resample_kernel(
                orig_freq, new_freq, self.gcd, lowpass_filter_width, rolloff,
                resampling_method, beta, dtype=dtype)
            self.register_buffer("kernel", kernel)

    def forward(self, waveform):
        if self.orig_freq == self.new_freq:
            return waveform
        return _apply_sinc_resample_kernel(waveform, self.orig_freq, self.new_freq, self.gcd,
                                           self.kernel, self.width)
