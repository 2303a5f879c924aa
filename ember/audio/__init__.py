"""ember.audio: torchaudio's API on ember (`import ember.audio as torchaudio`).

load / save / info     WAV through the standard library (8-bit unsigned, 16/24/32-bit PCM,
                       32/64-bit float, mu-law/A-law reading), other formats through
                       soundfile when installed (`pip install ember[audio]`)
functional             spectrograms, mel filter banks, MFCC pieces, resampling, masking, ...
transforms             the same as nn.Modules (Spectrogram, MelSpectrogram, MFCC, Resample,
                       GriffinLim, FrequencyMasking, TimeMasking, ...)
datasets               SPEECHCOMMANDS
"""
from . import datasets, functional, transforms  # noqa: F401
from ._backend import (AudioMetaData, get_audio_backend, info, list_audio_backends, load,
                       save, set_audio_backend)

# The torchaudio release paired with torch 2.13.
__version__ = "2.13.0"

__all__ = ["load", "save", "info", "AudioMetaData", "list_audio_backends",
           "get_audio_backend", "set_audio_backend", "functional", "transforms", "datasets"]
