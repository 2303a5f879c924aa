"""The optional soundfile (libsndfile) backend: FLAC, OGG/Vorbis, MP3, ... and WAV layouts
the built-in reader does not handle. soundfile is imported on first use only; without it
these formats raise an ImportError naming the extra to install."""
import numpy as np

_MISSING = ("{what} needs the soundfile package, which is not installed. Install it with "
            "`pip install soundfile` (or `pip install ember[audio]`).")

# libsndfile subtype -> (torchaudio encoding name, bits per sample); 0 bits: compressed
_SUBTYPES = {
    "PCM_S8": ("PCM_S", 8), "PCM_U8": ("PCM_U", 8), "PCM_16": ("PCM_S", 16),
    "PCM_24": ("PCM_S", 24), "PCM_32": ("PCM_S", 32), "FLOAT": ("PCM_F", 32),
    "DOUBLE": ("PCM_F", 64), "ULAW": ("ULAW", 8), "ALAW": ("ALAW", 8),
    "VORBIS": ("VORBIS", 0), "OPUS": ("OPUS", 0), "MPEG_LAYER_III": ("MP3", 0),
}


def available():
    import importlib.util
    return importlib.util.find_spec("soundfile") is not None


def soundfile(what="This audio file"):
    """The soundfile module, or an ImportError naming what needed it."""
    try:
        import soundfile as sf
    except ImportError as e:          # also covers a missing libsndfile shared library
        raise ImportError(_MISSING.format(what=what)) from e
    return sf


def info(f, format=None):
    """(sample_rate, num_frames, num_channels, bits_per_sample, encoding) of an open file."""
    sf = soundfile()
    kw = {"format": format.upper()} if format else {}
    with sf.SoundFile(f, **kw) as s:
        rate, frames, channels, fmt, subtype = (s.samplerate, s.frames, s.channels, s.format,
                                                 s.subtype)
    encoding, bits = _SUBTYPES.get(subtype, ("UNKNOWN", 0))
    if fmt == "FLAC":
        encoding = "FLAC"             # torchaudio reports the codec for FLAC files
    return rate, frames, channels, bits, encoding


def read(f, frame_offset, num_frames, normalize, format=None):
    """(frames, channels) samples and the sample rate. With normalize=False integer PCM
    comes back in torchaudio's native types (int16, int32 left-justified for 24 bit, uint8 /
    int8 for 8 bit; mu-law / A-law expanded to int16), float64 files as float64, everything
    else as float32."""
    sf = soundfile()
    kw = {"format": format.upper()} if format else {}
    with sf.SoundFile(f, **kw) as s:
        subtype, rate = s.subtype, s.samplerate
        if frame_offset:
            s.seek(min(frame_offset, s.frames))
        dtype = "float32"
        if not normalize:
            dtype = {"PCM_16": "int16", "PCM_24": "int32", "PCM_32": "int32",
                     "PCM_S8": "int16", "PCM_U8": "int16", "ULAW": "int16", "ALAW": "int16",
                     "DOUBLE": "float64"}.get(subtype, "float32")
        data = s.read(frames=num_frames, dtype=dtype, always_2d=True)
    if not normalize and subtype in ("PCM_S8", "PCM_U8"):
        # libsndfile has no 8-bit output type: it scales 8-bit samples to int16 (x << 8)
        data = (data >> 8).astype(np.int8)
        if subtype == "PCM_U8":
            data = (data.astype(np.int16) + 128).astype(np.uint8)
    return data, rate


def write(f, samples, sample_rate, format, encoding, bits):
    """Write (frames, channels) samples; `encoding`/`bits` pick the libsndfile subtype."""
    sf = soundfile(f"Saving {format.upper()} audio")
    subtype = None
    if encoding is not None or bits is not None:
        for name, (enc, b) in _SUBTYPES.items():
            if (encoding is None or enc == encoding) and (bits is None or b == bits) and b:
                subtype = name
                break
        else:
            raise ValueError(f"encoding {encoding!r} with bits_per_sample {bits} is not "
                             f"supported for format {format!r}")
    if samples.dtype == np.uint8:       # libsndfile takes int16/int32/float input only
        samples = ((samples.astype(np.int16) - 128) << 8).astype(np.int16)
    sf.write(f, samples, sample_rate, subtype=subtype, format=format.upper())
