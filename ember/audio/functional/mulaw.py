"""mu-law companding (as used to quantise WaveNet targets): mu_law_encoding and
mu_law_decoding between [-1, 1] floats and integer codes 0 .. quantization_channels - 1."""
import warnings

import ember

__all__ = ["mu_law_encoding", "mu_law_decoding"]


def mu_law_encoding(x, quantization_channels):
    """sign(x) ln(1 + mu |x|) / ln(1 + mu), mapped to int64 codes in [0, mu] by
    floor((y + 1) / 2 * mu + 0.5), with mu = quantization_channels - 1."""
    mu = quantization_channels - 1.0
    if not x.is_floating_point():
        warnings.warn("The input Tensor must be of floating type. This will be an error in the "
                      "v0.12 release.")
        x = x.to(ember.float)
    mu = ember.tensor(mu, dtype=x.dtype, device=x.device)
    x_mu = ember.sign(x) * ember.log1p(mu * ember.abs(x)) / ember.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(ember.int64)


def mu_law_decoding(x_mu, quantization_channels):
    """The inverse of `mu_law_encoding`: codes in [0, mu] -> floats in [-1, 1]."""
    mu = quantization_channels - 1.0
    if not x_mu.is_floating_point():
        x_mu = x_mu.to(ember.float)
    mu = ember.tensor(mu, dtype=x_mu.dtype, device=x_mu.device)
    x = x_mu / mu * 2 - 1.0
    return ember.sign(x) * (ember.exp(ember.abs(x) * ember.log1p(mu)) - 1.0) / mu
