"""Delta (time-derivative) features: compute_deltas."""
from ember.nn import functional as _F

__all__ = ["compute_deltas"]


def compute_deltas(specgram, win_length=5, mode="replicate"):
    """Deltas of `specgram` (..., freq, time) along time:
    d_t = sum_{n=1}^{N} n (c_{t+n} - c_{t-n}) / (2 sum_{n=1}^{N} n^2), N = (win_length - 1) // 2,
    with the edges padded by `mode` ("replicate" repeats the first/last frame)."""
    shape = specgram.shape
    specgram = specgram.reshape(1, -1, shape[-1])
    if win_length < 3:
        raise ValueError(f"Window length should be greater than or equal to 3. Found win_length "
                         f"{win_length}")
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3                  # 2 * sum of n^2
    padded = _F.pad(specgram, (n, n), mode=mode)
    t = shape[-1]
    # the length-(2n + 1) correlation with [-n .. n], written as n shifted differences
    out = None
    for k in range(1, n + 1):
        term = k * (padded[..., n + k:n + k + t] - padded[..., n - k:n - k + t])
        out = term if out is None else out + term
    return (out / denom).reshape(shape)
