"""Time-domain helpers: gain, preemphasis, add_noise, convolve, fftconvolve, edit_distance."""
import ember

__all__ = ["gain", "preemphasis", "add_noise", "convolve", "fftconvolve", "edit_distance"]


def gain(waveform, gain_db=1.0):
    """Amplify `waveform` by `gain_db` decibels (a factor of 10 ** (gain_db / 20))."""
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)


def preemphasis(waveform, coeff=0.97):
    """y[n] = x[n] - coeff * x[n - 1] along the last dim (y[0] = x[0])."""
    return ember.cat([waveform[..., :1], waveform[..., 1:] - coeff * waveform[..., :-1]], dim=-1)


def add_noise(waveform, noise, snr, lengths=None):
    """waveform + noise scaled so that the signal-to-noise ratio is `snr` dB. Shapes:
    waveform and noise (..., L), snr and lengths (...); with `lengths` only the first
    lengths[i] samples of each item count towards the energies."""
    if not (waveform.dim() - 1 == noise.dim() - 1 == snr.dim()
            and (lengths is None or lengths.dim() == snr.dim())):
        raise ValueError("Input leading dimensions don't match.")
    L = waveform.shape[-1]
    if L != noise.shape[-1]:
        raise ValueError(f"Length dimensions of waveform and noise don't match (got {L} and "
                         f"{noise.shape[-1]}).")
    if lengths is not None:
        mask = ember.arange(0, L, device=waveform.device).expand(waveform.shape) < \
            lengths.unsqueeze(-1)
        masked_waveform, masked_noise = waveform * mask, noise * mask
    else:
        masked_waveform, masked_noise = waveform, noise
    energy_signal = masked_waveform.pow(2).sum(-1)
    energy_noise = masked_noise.pow(2).sum(-1)
    original_snr_db = 10 * (ember.log10(energy_signal) - ember.log10(energy_noise))
    scale = 10 ** ((original_snr_db - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise


_MODES = ["full", "valid", "same"]


def _check_convolve(x, y, mode):
    if x.dim() != y.dim():
        raise ValueError(f"The operands must be the same dimension (got {x.dim()} and "
                         f"{y.dim()}).")
    for a, b in zip(x.shape[:-1], y.shape[:-1]):
        if a != b and a != 1 and b != 1:
            raise ValueError(f"Leading dimensions of x and y are not broadcastable (got "
                             f"{tuple(x.shape)} and {tuple(y.shape)}).")
    if mode not in _MODES:
        raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of {_MODES}.")


def _crop(full, x_length, y_length, mode):
    """The 'valid' (length |N - M| + 1) or 'same' (length N) centre of a full convolution."""
    if mode == "full":
        return full
    target = (max(x_length, y_length) - min(x_length, y_length) + 1) if mode == "valid" \
        else x_length
    start = (full.shape[-1] - target) // 2
    return full[..., start:start + target]


def fftconvolve(x, y, mode="full"):
    """Convolution of x (..., N) and y (..., M) along the last dim through the FFT (leading
    dims broadcast); mode "full" (N + M - 1), "valid" or "same" (N)."""
    _check_convolve(x, y, mode)
    n = x.shape[-1] + y.shape[-1] - 1
    full = ember.fft.irfft(ember.fft.rfft(x, n=n) * ember.fft.rfft(y, n=n), n=n)
    return _crop(full, x.shape[-1], y.shape[-1], mode)


def convolve(x, y, mode="full"):
    """Direct (sum of products) convolution of x (..., N) and y (..., M) along the last dim;
    same contract as `fftconvolve`."""
    _check_convolve(x, y, mode)
    n_x, n_y = x.shape[-1], y.shape[-1]
    if n_x < n_y:          # convolution commutes; slide the shorter one
        x, y = y, x
    m = y.shape[-1]
    padded = ember.nn.functional.pad(x, (m - 1, m - 1))
    windows = padded.unfold(-1, m, 1)                            # (..., N + M - 1, M)
    full = (windows * y.flip(-1).unsqueeze(-2)).sum(-1)
    return _crop(full, n_x, n_y, mode)


def edit_distance(seq1, seq2):
    """Levenshtein distance between two sequences (insertions, deletions, substitutions)."""
    len_sent2 = len(seq2)
    dold = list(range(len_sent2 + 1))
    for i in range(1, len(seq1) + 1):
        dnew = [i] + [0] * len_sent2
        for j in range(1, len_sent2 + 1):
            if seq1[i - 1] == seq2[j - 1]:
                dnew[j] = dold[j - 1]
            else:
                dnew[j] = min(dold[j - 1], dold[j], dnew[j - 1]) + 1
        dold = dnew
    return dold[-1]
