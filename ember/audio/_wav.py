"""WAV files with the standard library only: a small RIFF reader and writer.

Python's `wave` module handles only integer PCM with the plain format tag, refuses 32-bit
float (format 3) and WAVE_FORMAT_EXTENSIBLE headers, and on a truncated file quietly returns
fewer frames than the header promised. Reading goes through this one parser instead, so every
layout (8-bit unsigned, 16/24/32-bit signed, 32/64-bit float, plain or extensible header) takes
the same path and a damaged file is reported, never decoded into garbage.

Samples come back as NumPy arrays of shape (frames, channels) in the file's own
representation ("native"): uint8 for 8-bit, int16, int32 for 24 bit (left-justified: the
24-bit value times 256, as sox and ffmpeg hand it to torchaudio) and 32 bit, float32/float64
for float files, int16 for mu-law / A-law (expanded per G.711). `native_to_float32` gives
torchaudio's normalised floats. Writing covers PCM_U 8, PCM_S 16/24/32 and PCM_F 32/64.
"""
import struct

import numpy as np

__all__ = ["Unsupported", "WavHeader", "is_wav", "read_header", "read_frames", "write",
           "native_to_float32", "decode_g711", "encode"]

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE

# data chunk size written by streaming recorders that never went back to fix the header
_UNKNOWN_SIZE = 0xFFFFFFFF


class WavHeader:
    """What the fmt and data chunks say: the encoding (torchaudio's names: PCM_S, PCM_U,
    PCM_F, ULAW, ALAW), bits per sample, and where the sample bytes are."""
    __slots__ = ("sample_rate", "num_channels", "bits_per_sample", "encoding", "block_align",
                 "data_offset", "num_frames", "format_tag")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def is_wav(head):
    """Whether the first 12 bytes are a little-endian RIFF/WAVE header."""
    return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE"


class Unsupported(RuntimeError):
    """A well-formed WAV whose encoding this reader does not decode (ADPCM, 12-bit, ...):
    the caller may hand the file to soundfile instead."""


def _corrupt(name, why, cls=RuntimeError):
    return cls(f"Failed to read WAV file {name}: {why}")


def read_header(f, name="<file>"):
    """Parse the RIFF chunks of the open binary file `f` (positioned at its start) up to the
    data chunk. Raises RuntimeError naming the file for anything malformed or truncated."""
    riff = f.read(12)
    if len(riff) < 12:
        raise _corrupt(name, f"file is too short ({len(riff)} bytes) to hold a RIFF header")
    if not is_wav(riff):
        raise _corrupt(name, "not a RIFF/WAVE file")
    fmt = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            if fmt is None:
                raise _corrupt(name, "no 'fmt ' chunk (file truncated?)")
            raise _corrupt(name, "no 'data' chunk (file truncated?)")
        cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if cid == b"fmt ":
            body = f.read(size)
            if len(body) < size or size < 16:
                raise _corrupt(name, f"'fmt ' chunk is truncated ({len(body)} of {size} bytes)")
            fmt = _parse_fmt(body, name)
            if size % 2:
                f.read(1)
        elif cid == b"data":
            if fmt is None:
                raise _corrupt(name, "'data' chunk comes before the 'fmt ' chunk")
            offset = f.tell()
            available = _remaining(f)
            if size == _UNKNOWN_SIZE:
                size = available - available % fmt["block_align"]
            elif size > available:
                raise _corrupt(name, f"the data chunk declares {size} bytes but only {available} "
                                     "are present (file truncated)")
            if size % fmt["block_align"]:
                raise _corrupt(name, f"data size {size} is not a whole number of "
                                     f"{fmt['block_align']}-byte frames")
            return WavHeader(data_offset=offset, num_frames=size // fmt["block_align"], **fmt)
        else:
            # LIST, fact, cue, ...: skip (chunks are padded to an even size)
            skip = size + (size % 2)
            if _remaining(f) < skip:
                raise _corrupt(name, f"chunk {cid!r} is truncated before any 'data' chunk")
            f.seek(skip, 1)


def _remaining(f):
    here = f.tell()
    end = f.seek(0, 2)
    f.seek(here)
    return end - here


def _parse_fmt(body, name):
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise _corrupt(name, "WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk shorter than 40 bytes")
        # the real format tag is the first two bytes of the sub-format GUID
        tag = struct.unpack("<H", body[24:26])[0]
    if channels == 0:
        raise _corrupt(name, "the header says 0 channels")
    if rate == 0:
        raise _corrupt(name, "the header says a sample rate of 0")
    if tag == WAVE_FORMAT_PCM:
        if bits not in (8, 16, 24, 32):
            raise _corrupt(name, f"unsupported PCM bit depth {bits} (expected 8, 16, 24 or 32)",
                           Unsupported)
        encoding = "PCM_U" if bits == 8 else "PCM_S"
    elif tag == WAVE_FORMAT_IEEE_FLOAT:
        if bits not in (32, 64):
            raise _corrupt(name, f"unsupported float bit depth {bits} (expected 32 or 64)",
                           Unsupported)
        encoding = "PCM_F"
    elif tag in (WAVE_FORMAT_MULAW, WAVE_FORMAT_ALAW):
        encoding = "ULAW" if tag == WAVE_FORMAT_MULAW else "ALAW"
        if bits != 8:
            raise _corrupt(name, f"{encoding} data must have 8 bits per sample, not {bits}",
                           Unsupported)
    else:
        raise _corrupt(name, f"unsupported WAV format tag 0x{tag:04x}", Unsupported)
    if block_align != channels * (bits // 8):
        raise _corrupt(name, f"block align {block_align} does not match {channels} channels "
                             f"of {bits} bits")
    return dict(sample_rate=rate, num_channels=channels, bits_per_sample=bits,
                encoding=encoding, block_align=block_align, format_tag=tag)


_NATIVE = {("PCM_U", 8): "u1", ("PCM_S", 16): "<i2", ("PCM_S", 32): "<i4",
           ("PCM_F", 32): "<f4", ("PCM_F", 64): "<f8", ("ULAW", 8): "u1", ("ALAW", 8): "u1"}


def read_frames(f, header, frame_offset=0, num_frames=-1, name="<file>"):
    """(frames, channels) array of samples `frame_offset` .. `+num_frames` (-1: to the end)
    in the file's native representation (see the module docstring); ULAW/ALAW codes are
    expanded to int16."""
    start = min(frame_offset, header.num_frames)
    count = header.num_frames - start if num_frames < 0 else min(num_frames,
                                                                  header.num_frames - start)
    f.seek(header.data_offset + start * header.block_align)
    nbytes = count * header.block_align
    raw = f.read(nbytes)
    if len(raw) < nbytes:
        raise _corrupt(name, f"expected {nbytes} bytes of samples, got {len(raw)} (file "
                             "truncated)")
    ch = header.num_channels
    if header.bits_per_sample == 24:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        wide = np.zeros((b.shape[0], 4), np.uint8)
        wide[:, 1:] = b                                  # low byte zero: left-justified int32
        return wide.view("<i4").reshape(-1, ch).astype(np.int32)
    dt = np.dtype(_NATIVE[(header.encoding, header.bits_per_sample)])
    a = np.frombuffer(raw, dt).reshape(-1, ch).astype(dt.newbyteorder("="))
    if header.encoding in ("ULAW", "ALAW"):
        a = decode_g711(a, header.encoding)
    return a


def native_to_float32(a):
    """torchaudio's normalisation of native samples to float32 in [-1, 1):
    uint8 (x - 128) / 128, int16 x / 2**15, int32 x / 2**31 (24-bit data is left-justified,
    so this is x24 / 2**23), floats unchanged (cast to float32)."""
    return _normalise(a).astype(np.float32)


def _normalise(a):
    # in float64: int32 values do not all fit float32's mantissa before scaling
    if a.dtype == np.uint8:
        return (a.astype(np.float64) - 128.0) / 128.0
    if a.dtype == np.int16:
        return a.astype(np.float64) / 32768.0
    if a.dtype == np.int32:
        return a.astype(np.float64) / 2147483648.0
    return a


def decode_g711(codes, encoding):
    """8-bit mu-law / A-law codes -> int16 linear samples (ITU-T G.711 expansion)."""
    c = codes.astype(np.int32)
    if encoding == "ULAW":
        u = ~c & 0xFF
        exponent, mantissa = (u >> 4) & 7, u & 0x0F
        mag = (((mantissa << 3) + 0x84) << exponent) - 0x84
        out = np.where(u & 0x80, -mag, mag)
    else:
        a = c ^ 0x55
        exponent, mantissa = (a >> 4) & 7, a & 0x0F
        mag = np.where(exponent == 0, (mantissa << 4) + 8,
                       ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
        out = np.where(a & 0x80, mag, -mag)
    return out.astype(np.int16)


def encode(a, encoding, bits):
    """Samples (frames, channels) of any dtype -> bytes of `encoding`/`bits` (little endian).
    Same-representation data is written as is; otherwise through normalised floats scaled by
    2**(bits-1), rounded to nearest and clipped to the integer range."""
    if encoding == "PCM_F":
        dt = np.float32 if bits == 32 else np.float64
        return np.ascontiguousarray(_normalise(a), dtype=np.dtype(dt).newbyteorder("<")).tobytes()
    native = {8: np.uint8, 16: np.int16, 24: np.int32, 32: np.int32}[bits]
    if a.dtype == native and bits != 24:
        ints = a
    else:
        x = _normalise(a).astype(np.float64)
        scale = 2.0 ** (bits - 1)
        q = np.clip(np.rint(x * scale), -scale, scale - 1)
        ints = (q + 128).astype(np.uint8) if bits == 8 else q.astype(np.int32)
    if bits == 24:
        le = np.ascontiguousarray(ints.astype("<i4")).view(np.uint8).reshape(-1, 4)
        return np.ascontiguousarray(le[:, :3]).tobytes()
    return np.ascontiguousarray(ints.astype(np.dtype(native).newbyteorder("<"))).tobytes()


def write(f, samples, sample_rate, encoding, bits):
    """Write a complete WAV file (plain, non-extensible header) to the binary file `f`.
    `samples` is a (frames, channels) array."""
    frames, channels = samples.shape
    data = encode(samples, encoding, bits)
    tag = WAVE_FORMAT_IEEE_FLOAT if encoding == "PCM_F" else WAVE_FORMAT_PCM
    block_align = channels * (bits // 8)
    fmt = struct.pack("<HHIIHH", tag, channels, sample_rate, sample_rate * block_align,
                      block_align, bits)
    chunks = []
    if tag == WAVE_FORMAT_IEEE_FLOAT:
        # non-PCM formats carry cbSize and a 'fact' chunk with the frame count (RIFF spec)
        fmt += struct.pack("<H", 0)
        chunks.append(b"fact" + struct.pack("<II", 4, frames))
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"".join(chunks)
            + b"data" + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b""))
    if len(body) + 8 > 0xFFFFFFFF:
        raise RuntimeError(f"{frames} frames of {channels} x {bits}-bit audio exceed the 4 GiB "
                           "limit of a WAV file")
    f.write(b"RIFF" + struct.pack("<I", len(body)) + body)
