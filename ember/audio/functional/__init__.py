"""`torchaudio.functional`: stateless audio transforms on ember tensors.

spectral     spectrogram, inverse_spectrogram, griffinlim, phase_vocoder, amplitude_to_DB,
             DB_to_amplitude, spectral_centroid
filterbanks  melscale_fbanks, linear_fbanks, create_dct
resample     resample (windowed sinc, Hann or Kaiser)
masking      mask_along_axis, mask_along_axis_iid
deltas       compute_deltas
mulaw        mu_law_encoding, mu_law_decoding
waveform     gain, preemphasis, add_noise, convolve, fftconvolve, edit_distance

torchaudio's IIR filters (lfilter, biquads, ...), pitch/VAD/loudness analysis, beamforming
and alignment functions are not built: they raise NotImplementedError.
"""
from .._unbuilt import module_getattr
from .deltas import compute_deltas
from .filterbanks import create_dct, linear_fbanks, melscale_fbanks
from .masking import mask_along_axis, mask_along_axis_iid
from .mulaw import mu_law_decoding, mu_law_encoding
from .resample import resample
from .spectral import (DB_to_amplitude, amplitude_to_DB, griffinlim, inverse_spectrogram,
                       phase_vocoder, spectral_centroid, spectrogram)
from .waveform import add_noise, convolve, edit_distance, fftconvolve, gain, preemphasis

__all__ = ["spectrogram", "inverse_spectrogram", "griffinlim", "phase_vocoder",
           "amplitude_to_DB", "DB_to_amplitude", "spectral_centroid", "melscale_fbanks",
           "linear_fbanks", "create_dct", "resample", "mask_along_axis", "mask_along_axis_iid",
           "compute_deltas", "mu_law_encoding", "mu_law_decoding", "gain", "preemphasis",
           "add_noise", "convolve", "fftconvolve", "edit_distance"]

_UNBUILT = {
    "lfilter", "filtfilt", "biquad", "allpass_biquad", "band_biquad", "bandpass_biquad",
    "bandreject_biquad", "bass_biquad", "contrast", "dcshift", "deemphasis_biquad",
    "deemphasis", "equalizer_biquad", "flanger", "highpass_biquad", "lowpass_biquad",
    "overdrive", "phaser", "riaa_biquad", "treble_biquad", "dither", "detect_pitch_frequency",
    "sliding_window_cmn", "vad", "loudness", "pitch_shift", "speed", "rnnt_loss", "psd",
    "mvdr_weights_souden", "mvdr_weights_rtf", "rtf_evd", "rtf_power", "apply_beamforming",
    "forced_align", "merge_tokens", "frechet_distance", "apply_codec", "compute_kaldi_pitch",
}
__getattr__ = module_getattr(__name__, _UNBUILT)
