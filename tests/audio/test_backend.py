"""ember.audio.load / save / info: the built-in WAV codec against the standard library's
`wave`, scipy.io.wavfile and (when installed) soundfile, torchaudio's normalisation rules,
and clear errors for damaged files and bad arguments."""
import io
import wave

import numpy as np
import pytest

import ember
import ember.audio as torchaudio
from ember.audio import _soundfile

wavfile = pytest.importorskip("scipy.io.wavfile")

requires_soundfile = pytest.mark.skipif(not _soundfile.available(),
                                        reason="soundfile not installed")
without_soundfile = pytest.mark.skipif(_soundfile.available(),
                                       reason="checks the message shown without soundfile")


@pytest.fixture
def stereo():
    return np.random.default_rng(0).uniform(-1, 1, (2, 500)).astype(np.float32)


def write_wave_module(path, ints, rate, width):
    """A WAV written by the standard library (integer PCM), from (frames, channels) ints."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(ints.shape[1])
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 3:
            le = ints.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
            w.writeframes(np.ascontiguousarray(le).tobytes())
        else:
            w.writeframes(np.ascontiguousarray(ints).tobytes())


# ---------------------------------------------------------------- reading files written by others
@pytest.mark.parametrize("width, dtype, lo, hi, scale", [
    (1, np.uint8, 0, 256, None), (2, np.int16, -2 ** 15, 2 ** 15, 2.0 ** 15),
    (3, np.int32, -2 ** 23, 2 ** 23, 2.0 ** 23), (4, np.int32, -2 ** 31, 2 ** 31, 2.0 ** 31)])
def test_load_integer_pcm_written_by_wave(tmp_path, width, dtype, lo, hi, scale):
    rng = np.random.default_rng(width)
    ints = rng.integers(lo, hi, (300, 3), dtype=np.int64)
    ints[:2] = [[lo] * 3, [hi - 1] * 3]                 # the extremes
    path = tmp_path / "x.wav"
    write_wave_module(path, ints.astype(dtype), 22050, width)

    wav, rate = torchaudio.load(path)
    assert rate == 22050
    assert wav.dtype is ember.float32 and tuple(wav.shape) == (3, 300)
    # torchaudio: uint8 (x - 128) / 128, signed x / 2**(bits - 1)
    expected = (ints - 128) / 128.0 if width == 1 else ints / scale
    np.testing.assert_allclose(wav.numpy(), expected.T.astype(np.float32), rtol=0, atol=0)
    assert wav.numpy().min() >= -1.0 and wav.numpy().max() <= 1.0

    native, _ = torchaudio.load(path, normalize=False)
    assert native.dtype is {1: ember.uint8, 2: ember.int16, 3: ember.int32, 4: ember.int32}[width]
    # 24-bit samples come back left-justified in int32 (x * 256), as sox/ffmpeg give them
    np.testing.assert_array_equal(native.numpy(), (ints * (256 if width == 3 else 1)).T)

    meta = torchaudio.info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample,
            meta.encoding) == (22050, 300, 3, 8 * width, "PCM_U" if width == 1 else "PCM_S")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_load_float_wav_written_by_scipy(tmp_path, stereo, dtype):
    path = tmp_path / "f.wav"
    data = (stereo * 1.5).astype(dtype)              # float WAV may exceed [-1, 1]
    wavfile.write(path, 44100, data.T)
    wav, rate = torchaudio.load(path)
    assert rate == 44100 and wav.dtype is ember.float32
    np.testing.assert_array_equal(wav.numpy(), data.astype(np.float32))
    native, _ = torchaudio.load(path, normalize=False)
    assert native.numpy().dtype == dtype
    np.testing.assert_array_equal(native.numpy(), data)
    meta = torchaudio.info(path)
    assert (meta.bits_per_sample, meta.encoding) == (np.dtype(dtype).itemsize * 8, "PCM_F")


def test_load_frame_offset_num_frames_channels_last(tmp_path, stereo):
    path = tmp_path / "x.wav"
    wavfile.write(path, 8000, stereo.T)
    part, _ = torchaudio.load(path, frame_offset=100, num_frames=50)
    np.testing.assert_array_equal(part.numpy(), stereo[:, 100:150])
    tail, _ = torchaudio.load(path, frame_offset=480, num_frames=100)   # clipped at the end
    np.testing.assert_array_equal(tail.numpy(), stereo[:, 480:])
    past, _ = torchaudio.load(path, frame_offset=10_000)
    assert tuple(past.shape) == (2, 0)
    last, _ = torchaudio.load(path, channels_first=False)
    assert tuple(last.shape) == (500, 2) and last.is_contiguous()
    np.testing.assert_array_equal(last.numpy(), stereo.T)


def test_load_skips_extra_chunks_and_reads_extensible_header(tmp_path):
    """A LIST chunk (odd size, padded) before 'fmt ', and WAVE_FORMAT_EXTENSIBLE."""
    import struct
    samples = np.arange(-6, 6, dtype=np.int16).reshape(6, 2)
    data = samples.tobytes()
    guid_pcm = struct.pack("<H", 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 2, 16000, 64000, 4, 16, 22, 16, 3) + guid_pcm
    body = (b"WAVE" + b"LIST" + struct.pack("<I", 3) + b"abc\x00"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(data)) + data)
    path = tmp_path / "ext.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    native, rate = torchaudio.load(path, normalize=False)
    assert rate == 16000
    np.testing.assert_array_equal(native.numpy(), samples.T)


def test_load_g711_codes_follow_the_itu_tables(tmp_path):
    """mu-law / A-law WAVs (format tags 7 and 6) decode to G.711's int16 values; spot values
    from the ITU tables: mu-law 0x00 -> -32124, 0x80 -> 32124, 0xFF -> 0; A-law 0xD5 -> 8,
    0x55 -> -8, 0xAA -> 32256."""
    import struct
    codes = {7: (bytes([0x00, 0x80, 0xFF, 0x7F]), [-32124, 32124, 0, 0]),
             6: (bytes([0xD5, 0x55, 0xAA, 0x2A]), [8, -8, 32256, -32256])}
    for tag, (data, expected) in codes.items():
        fmt = struct.pack("<HHIIHHH", tag, 1, 8000, 8000, 1, 8, 0)
        body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
                + b"data" + struct.pack("<I", len(data)) + data)
        path = tmp_path / f"g711_{tag}.wav"
        path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
        native, _ = torchaudio.load(path, normalize=False)
        assert native.dtype is ember.int16
        assert native.numpy().ravel().tolist() == expected
        wav, _ = torchaudio.load(path)
        np.testing.assert_allclose(wav.numpy().ravel(), np.array(expected) / 32768.0)
        assert torchaudio.info(path).encoding == ("ULAW" if tag == 7 else "ALAW")


# ---------------------------------------------------------------- writing
@pytest.mark.parametrize("encoding, bits", [("PCM_U", 8), ("PCM_S", 16), ("PCM_S", 24),
                                            ("PCM_S", 32), ("PCM_F", 32), ("PCM_F", 64)])
def test_save_float_waveform_is_read_back_by_scipy(tmp_path, stereo, encoding, bits):
    path = tmp_path / "out.wav"
    torchaudio.save(path, ember.from_numpy(stereo), 16000, encoding=encoding,
                    bits_per_sample=bits)
    rate, data = wavfile.read(path)
    assert rate == 16000 and data.shape == (500, 2)
    if encoding == "PCM_F":
        np.testing.assert_array_equal(data.T, stereo.astype(data.dtype))
    else:
        # scale by 2**(bits-1), round to nearest, clip; 8-bit is offset by 128
        scale = 2.0 ** (bits - 1)
        q = np.clip(np.rint(stereo.astype(np.float64) * scale), -scale, scale - 1)
        if bits == 8:
            q = q + 128
        ref = data.T.astype(np.float64) / (256 if bits == 24 else 1)   # scipy left-justifies
        np.testing.assert_array_equal(ref, q)
    back, _ = torchaudio.load(path)
    # half a step of rounding, or one step where the top value clipped
    np.testing.assert_allclose(back.numpy(), stereo, atol=1 / 2 ** (bits - 1) + 1e-7)
    meta = torchaudio.info(path)
    assert (meta.bits_per_sample, meta.encoding, meta.num_frames) == (bits, encoding, 500)


@pytest.mark.parametrize("dtype, width", [(np.int16, 2), (np.uint8, 1), (np.int32, 4)])
def test_save_integer_tensor_default_encoding_is_lossless(tmp_path, dtype, width):
    rng = np.random.default_rng(1)
    info_ = np.iinfo(dtype)
    ints = rng.integers(info_.min, info_.max, (1, 321), endpoint=True).astype(dtype)
    path = tmp_path / "i.wav"
    torchaudio.save(path, ember.from_numpy(ints), 8000)
    with wave.open(str(path)) as w:                    # a plain PCM header `wave` accepts
        assert (w.getsampwidth(), w.getnchannels(), w.getnframes()) == (width, 1, 321)
        raw = np.frombuffer(w.readframes(321), dtype)
    np.testing.assert_array_equal(raw, ints[0])
    back, _ = torchaudio.load(path, normalize=False)
    assert back.numpy().dtype == dtype
    np.testing.assert_array_equal(back.numpy(), ints)


def test_save_default_encodings_follow_dtype(tmp_path):
    cases = {ember.float32: (32, "PCM_F"), ember.float64: (64, "PCM_F"),
             ember.int16: (16, "PCM_S"), ember.int32: (32, "PCM_S"), ember.uint8: (8, "PCM_U")}
    for dtype, expected in cases.items():
        path = tmp_path / f"{dtype}.wav"
        torchaudio.save(path, ember.zeros(1, 10, dtype=dtype), 8000)
        meta = torchaudio.info(path)
        assert (meta.bits_per_sample, meta.encoding) == expected
    path = tmp_path / "b.wav"
    torchaudio.save(path, ember.zeros(1, 4), 8000, bits_per_sample=16)
    assert torchaudio.info(path).encoding == "PCM_S"
    torchaudio.save(path, ember.zeros(1, 4), 8000, encoding="PCM_S")
    assert torchaudio.info(path).bits_per_sample == 16


def test_save_channels_last_and_clipping(tmp_path):
    x = ember.tensor([[2.0, -3.0], [0.5, -1.0], [1.0, 0.0]])      # (frames, channels)
    path = tmp_path / "c.wav"
    torchaudio.save(path, x, 8000, channels_first=False, bits_per_sample=16)
    back, _ = torchaudio.load(path, normalize=False)
    assert back.numpy().tolist() == [[32767, 16384, 32767], [-32768, -32768, 0]]


def test_file_like_objects_round_trip(stereo):
    buf = io.BytesIO()
    torchaudio.save(buf, ember.from_numpy(stereo), 11025, format="wav")
    buf.seek(0)
    meta = torchaudio.info(buf)
    assert (meta.sample_rate, meta.num_frames) == (11025, 500)
    buf.seek(0)
    wav, rate = torchaudio.load(buf)
    assert rate == 11025
    np.testing.assert_array_equal(wav.numpy(), stereo)

    class Stream:                          # not seekable, like an HTTP response
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)
    wav, _ = torchaudio.load(Stream(buf.getvalue()), frame_offset=3, num_frames=2)
    np.testing.assert_array_equal(wav.numpy(), stereo[:, 3:5])


# ---------------------------------------------------------------- damaged files and bad arguments
def test_truncated_wav_raises_instead_of_returning_short_data(tmp_path, stereo):
    path = tmp_path / "ok.wav"
    torchaudio.save(path, ember.from_numpy(stereo), 8000, bits_per_sample=16)
    raw = path.read_bytes()
    for cut, msg in [(len(raw) - 10, "truncated"), (40, "truncated"), (30, "fmt"),
                     (20, "fmt"), (8, "too short"), (0, "too short")]:
        bad = tmp_path / f"cut{cut}.wav"
        bad.write_bytes(raw[:cut])
        with pytest.raises(RuntimeError, match=msg) as e:
            torchaudio.load(bad)
        assert str(bad) in str(e.value)
        with pytest.raises(RuntimeError, match=msg):
            torchaudio.info(bad)


def test_corrupt_headers_raise_clear_errors(tmp_path):
    import struct

    def wav(fmt_fields, data=b"\0\0\0\0", fmt_tail=b""):
        fmt = struct.pack("<HHIIHH", *fmt_fields) + fmt_tail
        body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
                + b"data" + struct.pack("<I", len(data)) + data)
        return b"RIFF" + struct.pack("<I", len(body)) + body

    cases = [
        (wav((1, 0, 8000, 0, 0, 16)), "0 channels"),
        (wav((1, 1, 0, 0, 2, 16)), "sample rate of 0"),
        (wav((1, 1, 8000, 16000, 3, 16)), "block align"),
        (wav((1, 1, 8000, 16000, 2, 16), data=b"\0\0\0"), "whole number"),
        (b"RIFF\x10\x00\x00\x00WAVEdata\x04\x00\x00\x00abcd", "before the 'fmt ' chunk"),
    ]
    for i, (raw, msg) in enumerate(cases):
        path = tmp_path / f"bad{i}.wav"
        path.write_bytes(raw)
        with pytest.raises(RuntimeError, match=msg):
            torchaudio.load(path)


@without_soundfile
def test_unsupported_wav_encoding_without_soundfile(tmp_path):
    import struct
    fmt = struct.pack("<HHIIHH", 2, 1, 8000, 4000, 256, 4)         # MS ADPCM
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0)
    path = tmp_path / "adpcm.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(RuntimeError, match="format tag 0x0002"):
        torchaudio.load(path)


@without_soundfile
def test_other_formats_need_soundfile(tmp_path):
    path = tmp_path / "x.flac"
    path.write_bytes(b"fLaC" + b"\0" * 40)
    with pytest.raises(ImportError, match=r"pip install ember\[audio\]"):
        torchaudio.load(path)
    with pytest.raises(ImportError, match="soundfile"):
        torchaudio.save(path, ember.zeros(1, 10), 8000)
    # a file named .wav that is not a WAV is reported as a bad WAV, not a missing package
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"this is not audio at all")
    with pytest.raises(RuntimeError, match="not a RIFF/WAVE file"):
        torchaudio.load(fake)


def test_missing_file_is_file_not_found_and_runtime_error(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError):
        torchaudio.load(missing)
    with pytest.raises(RuntimeError, match="No such file"):
        torchaudio.info(missing)


def test_bad_arguments(tmp_path):
    path = tmp_path / "x.wav"
    torchaudio.save(path, ember.zeros(1, 10), 8000)
    with pytest.raises(RuntimeError, match="frame_offset must be non-negative"):
        torchaudio.load(path, frame_offset=-1)
    for n in (0, -2):
        with pytest.raises(ValueError, match="num_frames must be -1 or greater than 0"):
            torchaudio.load(path, num_frames=n)
    with pytest.raises(ValueError, match="Expected 2D Tensor, got 1D"):
        torchaudio.save(path, ember.zeros(10), 8000)
    with pytest.raises(ValueError, match="Expected 2D Tensor, got 3D"):
        torchaudio.save(path, ember.zeros(1, 1, 10), 8000)
    with pytest.raises(ValueError, match="Unsupported dtype"):
        torchaudio.save(path, ember.zeros(1, 10, dtype=ember.int64), 8000)
    with pytest.raises(ValueError, match="sample_rate"):
        torchaudio.save(path, ember.zeros(1, 10), 0)
    with pytest.raises(ValueError, match="PCM_S WAV supports bits_per_sample"):
        torchaudio.save(path, ember.zeros(1, 10), 8000, encoding="PCM_S", bits_per_sample=8)
    with pytest.raises(ValueError, match="Invalid encoding"):
        torchaudio.save(path, ember.zeros(1, 10), 8000, encoding="OPUS")
    with pytest.raises(ValueError, match="Invalid bits_per_sample 12"):
        torchaudio.save(path, ember.zeros(1, 10), 8000, bits_per_sample=12)
    with pytest.raises(ValueError, match="`format` is required"):
        torchaudio.save(io.BytesIO(), ember.zeros(1, 10), 8000)
    with pytest.raises(ValueError, match="Cannot tell the audio format"):
        torchaudio.save(tmp_path / "noext", ember.zeros(1, 10), 8000)
    with pytest.raises(TypeError, match="must be a Tensor"):
        torchaudio.save(path, np.zeros((1, 10)), 8000)
    with pytest.raises(ValueError, match="Unsupported backend 'sox'"):
        torchaudio.load(path, backend="sox")


def test_audio_metadata_repr():
    m = torchaudio.AudioMetaData(16000, 10, 1, 16, "PCM_S")
    assert str(m) == ("AudioMetaData(sample_rate=16000, num_frames=10, num_channels=1, "
                      "bits_per_sample=16, encoding=PCM_S)")


# ---------------------------------------------------------------- soundfile, when installed
@requires_soundfile
@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE",
                                     "ULAW", "ALAW"])
def test_builtin_reader_agrees_with_libsndfile(tmp_path, stereo, subtype):
    import soundfile as sf
    path = tmp_path / f"{subtype}.wav"
    sf.write(path, stereo.T, 8000, subtype=subtype)
    ours, _ = torchaudio.load(path)
    ref, _ = sf.read(path, dtype="float32", always_2d=True)
    np.testing.assert_allclose(ours.numpy(), ref.T, rtol=0, atol=1e-7)
    native, _ = torchaudio.load(path, normalize=False)
    native_sf, _ = torchaudio.load(path, normalize=False, backend="soundfile")
    assert native.dtype is native_sf.dtype
    np.testing.assert_array_equal(native.numpy(), native_sf.numpy())
    a, b = torchaudio.info(path), torchaudio.info(path, backend="soundfile")
    assert str(a) == str(b)


@requires_soundfile
def test_flac_through_soundfile(tmp_path, stereo):
    path = tmp_path / "x.flac"
    torchaudio.save(path, ember.from_numpy(stereo), 16000, bits_per_sample=24)
    meta = torchaudio.info(path)
    assert (meta.encoding, meta.bits_per_sample, meta.num_frames) == ("FLAC", 24, 500)
    wav, rate = torchaudio.load(path, frame_offset=10, num_frames=20)
    assert rate == 16000
    np.testing.assert_allclose(wav.numpy(), stereo[:, 10:30], atol=2 ** -23)
    native, _ = torchaudio.load(path, normalize=False)
    assert native.dtype is ember.int32
    assert torchaudio.list_audio_backends() == ["soundfile"]
