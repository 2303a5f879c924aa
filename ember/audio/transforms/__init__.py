"""`torchaudio.transforms`: audio transforms as `nn.Module`s (buffers follow `.to()`).

spectral  Spectrogram, InverseSpectrogram, GriffinLim, AmplitudeToDB, MelScale,
          MelSpectrogram, MFCC, LFCC, TimeStretch, SpectralCentroid
resample  Resample
masking   FrequencyMasking, TimeMasking, SpecAugment
waveform  MuLawEncoding, MuLawDecoding, ComputeDeltas, Fade, Vol, Preemphasis, AddNoise,
          Convolve, FFTConvolve

Transforms that need IIR filtering, least-squares mel inversion, pitch shifting, VAD,
loudness, beamforming or RNN-T loss are not built and raise NotImplementedError.
"""
from .._unbuilt import module_getattr
from .masking import FrequencyMasking, SpecAugment, TimeMasking
from .resample import Resample
from .spectral import (MFCC, LFCC, AmplitudeToDB, GriffinLim, InverseSpectrogram, MelScale,
                       MelSpectrogram, SpectralCentroid, Spectrogram, TimeStretch)
from .waveform import (AddNoise, ComputeDeltas, Convolve, Fade, FFTConvolve, MuLawDecoding,
                       MuLawEncoding, Preemphasis, Vol)

__all__ = ["Spectrogram", "InverseSpectrogram", "GriffinLim", "AmplitudeToDB", "MelScale",
           "MelSpectrogram", "MFCC", "LFCC", "TimeStretch", "SpectralCentroid", "Resample",
           "FrequencyMasking", "TimeMasking", "SpecAugment", "MuLawEncoding", "MuLawDecoding",
           "ComputeDeltas", "Fade", "Vol", "Preemphasis", "AddNoise", "Convolve",
           "FFTConvolve"]

_UNBUILT = {"InverseMelScale", "Deemphasis", "PitchShift", "Speed", "SpeedPerturbation",
            "Vad", "Loudness", "SlidingWindowCmn", "PSD", "MVDR", "RTFMVDR", "SoudenMVDR",
            "RNNTLoss"}
__getattr__ = module_getattr(__name__, _UNBUILT)
