"""`torchaudio.load` / `save` / `info` with the classic (torchaudio 2.0-2.8) semantics.

WAV files go through the built-in RIFF reader/writer (`_wav`, standard library only); other
formats, and WAV layouts it does not decode, go through soundfile when it is installed.
`uri` may be a path or a binary file-like object.
"""
import io
import os

import numpy as np

from . import _soundfile, _wav

__all__ = ["AudioMetaData", "load", "save", "info", "list_audio_backends",
           "get_audio_backend", "set_audio_backend"]


class AudioMetaData:
    """What `info` returns: sample_rate, num_frames, num_channels, bits_per_sample (0 for
    compressed formats) and encoding ("PCM_S", "PCM_U", "PCM_F", "ULAW", "ALAW", "FLAC",
    "VORBIS", "MP3", "UNKNOWN")."""

    def __init__(self, sample_rate, num_frames, num_channels, bits_per_sample, encoding):
        self.sample_rate = sample_rate
        self.num_frames = num_frames
        self.num_channels = num_channels
        self.bits_per_sample = bits_per_sample
        self.encoding = encoding

    def __str__(self):
        return (f"AudioMetaData(sample_rate={self.sample_rate}, num_frames={self.num_frames}, "
                f"num_channels={self.num_channels}, bits_per_sample={self.bits_per_sample}, "
                f"encoding={self.encoding})")

    __repr__ = __str__


class _AudioFileNotFound(FileNotFoundError, RuntimeError):
    """A missing file: catchable as FileNotFoundError and, like torchaudio's backends raise
    it, as RuntimeError."""


def list_audio_backends():
    """Backends usable besides the built-in WAV codec: ["soundfile"] when it is installed."""
    return ["soundfile"] if _soundfile.available() else []


def get_audio_backend():
    return "soundfile" if _soundfile.available() else None


def set_audio_backend(backend):
    """Accepted for old scripts (torchaudio deprecated backend switching); only None and
    "soundfile" are valid."""
    _check_backend(backend)


def _check_backend(backend):
    if backend not in (None, "soundfile"):
        raise ValueError(f"Unsupported backend '{backend}' specified; please select one of "
                         f"{list_audio_backends()} instead (or None for the built-in WAV codec).")
    if backend == "soundfile":
        _soundfile.soundfile("backend='soundfile'")


class _Source:
    """An open binary, seekable file for `uri` (a path or a file-like object), its display
    name, and whether its first bytes are a RIFF/WAVE header."""

    def __init__(self, uri):
        if hasattr(uri, "read"):
            self.name = getattr(uri, "name", "<file-like object>")
            self.owned = False
            f = uri
            if not (hasattr(f, "seekable") and f.seekable()):
                f = io.BytesIO(f.read())      # a stream: buffer it so headers can be re-read
            self.start = f.tell()
        else:
            path = os.fspath(uri)
            self.name = path
            try:
                f = open(path, "rb")
            except FileNotFoundError:
                raise _AudioFileNotFound(2, "No such file or directory", path) from None
            self.owned = True
            self.start = 0
        self.f = f
        self.head = f.read(12)
        self.is_wav = _wav.is_wav(self.head)
        f.seek(self.start)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.owned:
            self.f.close()


class _Offset:
    """A view of a file-like object that starts at its current position (a WAV embedded in a
    larger stream), so the parser's absolute seeks stay inside the WAV."""

    def __init__(self, f, start):
        self.f, self.start = f, start

    def read(self, n=-1):
        return self.f.read(n)

    def tell(self):
        return self.f.tell() - self.start

    def seek(self, pos, whence=0):
        if whence == 0:
            pos += self.start
        return self.f.seek(pos, whence) - self.start


# WAV variants the built-in codec does not read (big-endian RIFX, 64-bit RF64/BW64)
_OTHER_WAV_MAGIC = (b"RIFX", b"RF64", b"BW64")


def _use_builtin(src, format, backend):
    """Whether the built-in WAV codec reads `src`: any RIFF/WAVE file, and anything else
    claiming to be WAV (by `format` or extension) unless it is a WAV variant soundfile can
    read, so that a damaged WAV is reported as such."""
    if backend == "soundfile":
        return False
    if format is not None and format.lower() != "wav":
        return False
    if src.is_wav:
        return True
    claims_wav = (format is not None or src.name.lower().endswith((".wav", ".wave"))
                  or src.name == "<file-like object>")
    if not claims_wav:
        return False
    return not (_soundfile.available() and src.head[:4] in _OTHER_WAV_MAGIC)


def info(uri, format=None, buffer_size=4096, backend=None):
    """Metadata of an audio file: `AudioMetaData`. `buffer_size` is accepted for
    compatibility and unused."""
    _check_backend(backend)
    with _Source(uri) as src:
        if _use_builtin(src, format, backend):
            try:
                h = _wav.read_header(_Offset(src.f, src.start), src.name)
            except _wav.Unsupported:
                if not _soundfile.available():
                    raise
                src.f.seek(src.start)
            else:
                return AudioMetaData(h.sample_rate, h.num_frames, h.num_channels,
                                     h.bits_per_sample, h.encoding)
        return AudioMetaData(*_soundfile.info(src.f, _sf_format(format, src)))


def _sf_format(format, src):
    # libsndfile detects every container by its header except raw data
    return format if (format and format.lower() == "raw") else None


def load(uri, frame_offset=0, num_frames=-1, normalize=True, channels_first=True,
         format=None, buffer_size=4096, backend=None):
    """Read audio: (waveform, sample_rate).

    The waveform is `[channels, frames]` (`[frames, channels]` if not channels_first).
    normalize=True gives float32 in [-1, 1]: 8-bit unsigned (x - 128) / 128, 16-bit x / 2**15,
    24/32-bit x / 2**31 of the left-justified int32, floats as stored. normalize=False keeps
    integer PCM in its own type (uint8, int16, int32; 24-bit as int32 left-justified) and
    float data as float32/float64.
    """
    from .. import from_numpy
    if frame_offset < 0:
        raise RuntimeError(f"Invalid argument: frame_offset must be non-negative. Found: "
                           f"{frame_offset}")
    if num_frames == 0 or num_frames < -1:
        raise ValueError(f"Invalid argument: num_frames must be -1 or greater than 0. Found: "
                         f"{num_frames}")
    _check_backend(backend)
    with _Source(uri) as src:
        data = None
        if _use_builtin(src, format, backend):
            f = _Offset(src.f, src.start)
            try:
                h = _wav.read_header(f, src.name)
            except _wav.Unsupported:
                if not _soundfile.available():
                    raise
                src.f.seek(src.start)
            else:
                data = _wav.read_frames(f, h, frame_offset, num_frames, src.name)
                rate = h.sample_rate
                if normalize:
                    data = _wav.native_to_float32(data)
        if data is None:
            data, rate = _soundfile.read(src.f, frame_offset, num_frames, normalize,
                                         _sf_format(format, src))
    data = np.ascontiguousarray(data.T if channels_first else data)
    return from_numpy(data), rate


_SAVE_DTYPES = (np.float32, np.float64, np.int32, np.int16, np.uint8)


def _wav_encoding(dtype, encoding, bits):
    """torchaudio's WAV defaults: the tensor's dtype decides what is not given."""
    if encoding is None and bits is None:
        return {np.dtype(np.uint8): ("PCM_U", 8), np.dtype(np.int16): ("PCM_S", 16),
                np.dtype(np.int32): ("PCM_S", 32), np.dtype(np.float32): ("PCM_F", 32),
                np.dtype(np.float64): ("PCM_F", 64)}[dtype]
    if encoding is None:
        if bits == 8:
            return "PCM_U", 8
        if bits in (16, 24):
            return "PCM_S", bits
        if bits == 32:
            return ("PCM_F", 32) if dtype.kind == "f" else ("PCM_S", 32)
        if bits == 64:
            return "PCM_F", 64
        raise ValueError(f"Invalid bits_per_sample {bits} for WAV: expected one of 8, 16, 24, "
                         "32, 64")
    if bits is None:
        bits = {"PCM_U": 8, "ULAW": 8, "ALAW": 8,
                "PCM_F": 64 if dtype == np.float64 else 32,
                "PCM_S": 32 if dtype == np.int32 else 16}.get(encoding)
        if bits is None:
            raise ValueError(f"Invalid encoding {encoding!r} for WAV: expected one of 'PCM_S', "
                             "'PCM_U', 'PCM_F', 'ULAW', 'ALAW'")
    valid = {"PCM_U": (8,), "PCM_S": (16, 24, 32), "PCM_F": (32, 64), "ULAW": (8,),
             "ALAW": (8,)}
    if encoding not in valid:
        raise ValueError(f"Invalid encoding {encoding!r} for WAV: expected one of 'PCM_S', "
                         "'PCM_U', 'PCM_F', 'ULAW', 'ALAW'")
    if bits not in valid[encoding]:
        raise ValueError(f"{encoding} WAV supports bits_per_sample {valid[encoding]}, got {bits}")
    return encoding, bits


def save(uri, src, sample_rate, channels_first=True, format=None, encoding=None,
         bits_per_sample=None, buffer_size=4096, backend=None, compression=None):
    """Write a 2D waveform (`[channels, frames]`, or `[frames, channels]` if not
    channels_first) to `uri` (path or binary file-like object).

    For WAV, with neither encoding nor bits_per_sample given the dtype decides (uint8 PCM_U 8,
    int16 PCM_S 16, int32 PCM_S 32, float32 PCM_F 32, float64 PCM_F 64). Converting float
    samples to integers scales by 2**(bits-1), rounds to nearest and clips. ULAW/ALAW and
    non-WAV formats (flac, ogg, ...) are written by soundfile.
    """
    from ..tensor import Tensor
    if not isinstance(src, Tensor):
        raise TypeError(f"save(): src must be a Tensor, got {type(src).__name__}")
    if src.dim() != 2:
        raise ValueError(f"Expected 2D Tensor, got {src.dim()}D.")
    if int(sample_rate) != sample_rate or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate}")
    if compression is not None:
        raise NotImplementedError("save(compression=...) is not supported by ember.audio")
    _check_backend(backend)
    a = src.detach().cpu().numpy()
    if a.dtype not in _SAVE_DTYPES:
        raise ValueError(f"Unsupported dtype for saving audio: {src.dtype} (expected float32, "
                         "float64, int32, int16 or uint8)")
    samples = a.T if channels_first else a
    if format is None:
        if hasattr(uri, "write"):
            raise ValueError("`format` is required when saving to a file-like object")
        format = os.path.splitext(os.fspath(uri))[1][1:].lower()
        if not format:
            raise ValueError(f"Cannot tell the audio format from the file name {uri!r}: give "
                             "`format` (e.g. format='wav')")
    format = format.lower()
    sample_rate = int(sample_rate)
    if format == "wav" and backend != "soundfile":
        enc, bits = _wav_encoding(samples.dtype, encoding, bits_per_sample)
        if enc not in ("ULAW", "ALAW"):
            return _write(uri, lambda f: _wav.write(f, samples, sample_rate, enc, bits))
        encoding, bits_per_sample = enc, bits
    _write(uri, lambda f: _soundfile.write(f, samples, sample_rate, format, encoding,
                                           bits_per_sample))


def _write(uri, write):
    if hasattr(uri, "write"):
        write(uri)
        return
    with open(os.fspath(uri), "wb") as f:
        write(f)
