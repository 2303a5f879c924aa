"""ember.audio.transforms: torchaudio's defaults, buffers and state_dict names, agreement with
the functional forms and with reference pipelines (NumPy STFT / torch.stft + the mel and DCT
definitions), float64 gradchecks of the differentiable transforms, and bad input."""
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
import ember.audio.functional as F
import ember.audio.transforms as T
from ember.autograd import gradcheck

from .test_functional import np_hann, np_mel_fbanks, np_stft

try:
    import torch
except ImportError:   # PyTorch is an optional oracle
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")

# torchaudio's default MelSpectrogram (n_mels=128, n_fft=400) has empty filters and says so
pytestmark = pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero")


@pytest.fixture
def wave():
    return np.random.default_rng(0).standard_normal((2, 1600))


def test_defaults_and_buffers():
    s = T.Spectrogram()
    assert (s.n_fft, s.win_length, s.hop_length, s.pad, s.power, s.normalized) == \
        (400, 400, 200, 0, 2.0, False)
    np.testing.assert_array_equal(s.window.numpy(), ember.hann_window(400).numpy())
    assert list(s.state_dict()) == ["window"]
    m = T.MelSpectrogram(n_fft=512, win_length=300)
    assert (m.hop_length, m.n_mels, m.mel_scale.f_max, m.mel_scale.n_stft) == \
        (150, 128, 8000.0, 257)
    assert list(m.state_dict()) == ["spectrogram.window", "mel_scale.fb"]
    mfcc = T.MFCC()
    assert list(mfcc.state_dict()) == ["dct_mat", "MelSpectrogram.spectrogram.window",
                                       "MelSpectrogram.mel_scale.fb"]
    assert (mfcc.top_db, mfcc.n_mfcc, tuple(mfcc.dct_mat.shape)) == (80.0, 40, (128, 40))
    assert list(T.LFCC().state_dict()) == ["filter_mat", "dct_mat", "Spectrogram.window"]
    assert list(T.TimeStretch().state_dict()) == ["phase_advance"]
    r = T.Resample(16000, 12000)
    # rates 4 -> 3 after the gcd; width = ceil(6 * 4 / (3 * 0.99)) = 9; taps 2 * 9 + 4
    assert (r.gcd, r.width, tuple(r.kernel.shape), r.kernel.dtype) == \
        (4000, 9, (3, 1, 22), ember.float32)
    assert "kernel" not in T.Resample(8000, 8000).state_dict()
    w = T.Spectrogram(n_fft=64, window_fn=ember.hamming_window, wkwargs={"periodic": False})
    np.testing.assert_allclose(w.window.numpy(), np.hamming(64), atol=1e-6)
    db = T.AmplitudeToDB("magnitude", 60.0)
    assert (db.multiplier, db.amin, db.ref_value, db.db_multiplier, db.top_db) == \
        (20.0, 1e-10, 1.0, 0.0, 60.0)


def test_modules_move_with_to_double(wave):
    m = T.MFCC(n_mfcc=13, melkwargs={"n_mels": 40, "n_fft": 256}).double()
    assert m.dct_mat.dtype is ember.float64
    assert m.MelSpectrogram.mel_scale.fb.dtype is ember.float64
    out = m(ember.tensor(wave))
    assert out.dtype is ember.float64 and tuple(out.shape) == (2, 13, 13)


@pytest.mark.parametrize("shape", [(1600,), (3, 1600), (2, 3, 1600)])
def test_spectrogram_shapes_and_values(shape):
    x = np.random.default_rng(1).standard_normal(shape)
    f64 = {"dtype": ember.float64}            # a float64 window, not a widened float32 one
    spec = T.Spectrogram(n_fft=128, hop_length=32, wkwargs=f64)(ember.tensor(x))
    ref = np.abs(np_stft(x, 128, 32, np_hann(128))) ** 2
    assert tuple(spec.shape) == shape[:-1] + (65, 51)
    np.testing.assert_allclose(spec.numpy(), ref, rtol=1e-9, atol=1e-9)


def test_mel_spectrogram_is_the_mel_filterbank_of_the_power_spectrum(wave):
    m = T.MelSpectrogram(sample_rate=8000, n_fft=256, hop_length=64, n_mels=32, f_min=50.0,
                         f_max=3800.0, norm="slaney", mel_scale="slaney",
                         wkwargs={"dtype": ember.float64}).double()
    out = m(ember.tensor(wave))
    power = np.abs(np_stft(wave, 256, 64, np_hann(256))) ** 2
    fb = np_mel_fbanks(129, 50.0, 3800.0, 32, 8000, "slaney", "slaney")
    ref = np.einsum("...ft,fm->...mt", power, fb)
    np.testing.assert_allclose(out.numpy(), ref, rtol=5e-5, atol=1e-8 * ref.max())


@requires_torch
def test_mfcc_matches_a_torch_stft_pipeline(wave):
    """MFCC = DCT-II(ortho) of the top_db=80 dB mel power spectrum, with torch.stft."""
    x = wave.astype(np.float32)
    mfcc = T.MFCC(sample_rate=16000, n_mfcc=20, melkwargs={"n_fft": 512, "hop_length": 160,
                                                           "n_mels": 48})
    out = mfcc(ember.from_numpy(x))
    spec = torch.stft(torch.from_numpy(x).double(), 512, 160, window=torch.hann_window(
        512, dtype=torch.float64), return_complex=True).abs().pow(2).numpy()
    mel = np.einsum("...ft,fm->...mt", spec, np_mel_fbanks(257, 0.0, 8000.0, 48, 16000, None,
                                                           "htk"))
    db = 10 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0)            # 3D or less: one floor for the tensor
    fft = pytest.importorskip("scipy.fft")
    ref = np.swapaxes(fft.dct(np.swapaxes(db, -1, -2), type=2, norm="ortho")[..., :20], -1, -2)
    assert tuple(out.shape) == (2, 20, 11) and out.dtype is ember.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-3, atol=2e-3)
    logm = T.MFCC(sample_rate=16000, n_mfcc=20, log_mels=True,
                  melkwargs={"n_fft": 512, "hop_length": 160, "n_mels": 48})(ember.from_numpy(x))
    ref_log = np.swapaxes(fft.dct(np.swapaxes(np.log(mel + 1e-6), -1, -2), type=2,
                                  norm="ortho")[..., :20], -1, -2)
    np.testing.assert_allclose(logm.numpy(), ref_log, rtol=1e-3, atol=2e-3)


def test_lfcc_and_spectral_centroid_modules_match_functional(wave):
    x = ember.tensor(wave)
    lfcc = T.LFCC(sample_rate=8000, n_filter=20, n_lfcc=10, log_lf=True,
                  speckwargs={"n_fft": 128, "hop_length": 64,
                              "wkwargs": {"dtype": ember.float64}}).double()
    spec = F.spectrogram(x, 0, ember.hann_window(128, dtype=ember.float64), 128, 64, 128, 2.0,
                         False)
    lin = ember.matmul(spec.transpose(-1, -2), lfcc.filter_mat).transpose(-1, -2)
    ref = ember.matmul(ember.log(lin + 1e-6).transpose(-1, -2), lfcc.dct_mat).transpose(-1, -2)
    np.testing.assert_allclose(lfcc(x).numpy(), ref.numpy(), rtol=1e-12)
    c = T.SpectralCentroid(8000, n_fft=128, wkwargs={"dtype": ember.float64})(x)
    np.testing.assert_allclose(c.numpy(), F.spectral_centroid(
        x, 8000, 0, ember.hann_window(128, dtype=ember.float64), 128, 64, 128).numpy())


def test_inverse_spectrogram_module_round_trip(wave):
    x = ember.tensor(wave)
    spec = T.Spectrogram(n_fft=256, power=None).double()(x)
    assert spec.dtype is ember.complex128
    back = T.InverseSpectrogram(n_fft=256).double()(spec, 1600)
    np.testing.assert_allclose(back.numpy(), wave, atol=1e-10)


def test_resample_module_equals_functional_and_dtype_option(wave):
    x = ember.tensor(wave, dtype=ember.float32)
    r = T.Resample(16000, 12000)
    out = r(x)
    assert tuple(out.shape) == (2, 1200)
    # the module's kernel is computed in float64 and rounded once: within float32 rounding
    np.testing.assert_allclose(out.numpy(), F.resample(x.double(), 16000, 12000).numpy(),
                               atol=1e-5)
    r64 = T.Resample(16000, 12000, dtype=ember.float64)
    assert r64.kernel.dtype is ember.float64
    np.testing.assert_allclose(r64(x.double()).numpy(),
                               F.resample(x.double(), 16000, 12000).numpy(), atol=1e-14)
    same = T.Resample(8000, 8000)
    assert same(x) is x
    k = T.Resample(4, 5, resampling_method="sinc_interp_kaiser", beta=6.0,
                   lowpass_filter_width=10, rolloff=0.9)
    np.testing.assert_allclose(k(x).numpy(), F.resample(
        x.double(), 4, 5, 10, 0.9, "sinc_interp_kaiser", 6.0).numpy(), atol=1e-5)


def test_griffinlim_module():
    t = np.arange(4000) / 8000
    x = ember.tensor(np.sin(2 * np.pi * 500 * t), dtype=ember.float32)
    spec = T.Spectrogram(n_fft=256)(x)
    ember.manual_seed(0)
    y1 = T.GriffinLim(n_fft=256, n_iter=16, length=4000)(spec)
    ember.manual_seed(0)
    y2 = T.GriffinLim(n_fft=256, n_iter=16, length=4000)(spec)
    assert tuple(y1.shape) == (4000,) and y1.dtype is ember.float32
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())            # seeded random phase
    again = T.Spectrogram(n_fft=256)(y1)
    assert float((again - spec).norm() / spec.norm()) < 0.2
    with pytest.raises(ValueError, match=r"momentum must be in the range \[0, 1\). Found: -0.1"):
        T.GriffinLim(momentum=-0.1)


def test_masking_modules():
    ember.manual_seed(3)
    spec = ember.rand(4, 2, 30, 40) + 1
    out = T.FrequencyMasking(10)(spec)
    masked = (out.numpy() == 0).all(axis=3)                 # whole frequency rows
    assert (masked == masked[0, 0]).all()                    # one band for the whole batch
    out = T.TimeMasking(15, iid_masks=True)(spec, mask_value=-1.0)
    masked = (out.numpy() == -1).all(axis=2)                 # whole time columns, per item
    assert masked.sum(axis=-1).max() < 15
    assert len({tuple(m) for m in masked.reshape(8, 40)}) > 2
    out = T.TimeMasking(30, p=0.05)(spec[0, 0])              # 2D input: axis shifts to dim 1
    assert ((out.numpy() == 0).all(axis=0)).sum() <= 2
    with pytest.raises(ValueError, match=r"p must be between 0.0 and 1.0 \(2.0 given\)"):
        T.TimeMasking(5, p=2.0)
    s = T.SpecAugment(n_time_masks=2, time_mask_param=5, n_freq_masks=1, freq_mask_param=4,
                      zero_masking=True)
    out = s(spec)
    assert tuple(out.shape) == tuple(spec.shape) and (out.numpy() == 0).any()
    out = T.SpecAugment(1, 5, 1, 4, iid_masks=False)(spec)      # fills with the mean
    filled = out.numpy() != spec.numpy()
    np.testing.assert_allclose(out.numpy()[filled], float(spec.mean()), rtol=1e-6)


def test_time_stretch_module():
    spec = T.Spectrogram(n_fft=64, power=None)(ember.randn(2, 800))
    ts = T.TimeStretch(n_freq=33, fixed_rate=2.0)
    assert tuple(spec.shape) == (2, 33, 26)
    assert tuple(ts(spec).shape) == (2, 33, 13)                  # ceil(26 / 2)
    assert tuple(ts(spec, 0.5).shape) == (2, 33, 52)
    np.testing.assert_allclose(ts.phase_advance.numpy()[:, 0],
                               np.linspace(0, math.pi * 32, 33), rtol=1e-6)
    with pytest.raises(ValueError, match="must pass a valid rate"):
        T.TimeStretch(n_freq=33)(spec)


def test_waveform_modules():
    x = ember.tensor(np.linspace(-2, 2, 100))
    np.testing.assert_allclose(T.Vol(0.25)(x).numpy(), np.linspace(-0.5, 0.5, 100))
    np.testing.assert_allclose(T.Vol(20.0, "db")(x).numpy(), np.clip(np.linspace(-20, 20, 100),
                                                                     -1, 1))
    np.testing.assert_allclose(T.Vol(4.0, "power")(x * 0.1).numpy(), np.linspace(-0.4, 0.4, 100),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="gain must be positive"):
        T.Vol(-1.0)
    ones = ember.ones(1, 10)
    np.testing.assert_allclose(T.Fade(4, 3)(ones).numpy()[0],
                               [0, 1 / 3, 2 / 3, 1, 1, 1, 1, 1, 0.5, 0], atol=1e-7)
    np.testing.assert_allclose(T.Fade(3, 0, "half_sine")(ones).numpy()[0, :3], [0, 0.5, 1],
                               atol=1e-7)
    codes = T.MuLawEncoding(16)(ember.tensor([-1.0, 0.0, 1.0]))
    assert codes.tolist() == [0, 8, 15]
    np.testing.assert_allclose(T.MuLawDecoding(16)(codes).numpy()[[0, 2]], [-1, 1], atol=1e-6)
    d = T.ComputeDeltas(win_length=3)(ember.tensor([[0.0, 1.0, 4.0, 9.0]]))
    np.testing.assert_allclose(d.numpy(), [[0.5, 2.0, 4.0, 2.5]])
    np.testing.assert_allclose(T.Preemphasis(0.5)(ember.tensor([2.0, 2.0, 4.0])).numpy(),
                               [2.0, 1.0, 3.0])
    np.testing.assert_allclose(T.Convolve()(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0])
                                            ).numpy(), [1, 3, 2])
    np.testing.assert_allclose(T.FFTConvolve("same")(ember.tensor([1.0, 2.0, 3.0]),
                                                     ember.tensor([0.0, 1.0, 0.0])).numpy(),
                               [1, 2, 3], atol=1e-12)
    with pytest.raises(ValueError, match="Unrecognized mode value 'both'"):
        T.Convolve("both")


# ---------------------------------------------------------------- gradients (float64)
def test_differentiable_transforms_gradcheck():
    rng = np.random.default_rng(4)
    x = ember.tensor(rng.standard_normal((2, 64)), requires_grad=True)
    kw = dict(n_fft=16, hop_length=4)
    assert gradcheck(T.Spectrogram(**kw, normalized=True).double(), (x,))
    assert gradcheck(T.Spectrogram(**kw, power=1.0, pad=3).double(), (x,))
    assert gradcheck(lambda t: ember.view_as_real(T.Spectrogram(**kw, power=None).double()(t)),
                     (x,))
    assert gradcheck(T.MelSpectrogram(sample_rate=8000, n_mels=4, **kw).double(), (x,))
    assert gradcheck(T.MFCC(sample_rate=8000, n_mfcc=3,
                            melkwargs=dict(n_mels=4, **kw)).double(), (x,))
    assert gradcheck(T.MFCC(sample_rate=8000, n_mfcc=3, log_mels=True,
                            melkwargs=dict(n_mels=4, **kw)).double(), (x,))
    assert gradcheck(T.Resample(3, 2, lowpass_filter_width=3, dtype=ember.float64), (x,))
    s = ember.tensor(rng.uniform(0.1, 2, (2, 5, 6)), requires_grad=True)
    assert gradcheck(T.AmplitudeToDB(top_db=3.0), (s,))
    assert gradcheck(T.ComputeDeltas(), (s,))
    re = ember.tensor(rng.standard_normal((2, 9, 13)), requires_grad=True)
    im = ember.tensor(rng.standard_normal((2, 9, 13)), requires_grad=True)
    inv = T.InverseSpectrogram(**kw).double()
    assert gradcheck(lambda a, b: inv(ember.complex(a, b), 40), (re, im))
    mag = ember.tensor(rng.uniform(0.5, 2, (9, 13)), requires_grad=True)
    gl = T.GriffinLim(n_iter=2, rand_init=False, momentum=0.5, **kw).double()
    assert gradcheck(gl, (mag,))


# ---------------------------------------------------------------- bad input
def test_bad_construction_and_input():
    with pytest.raises(RuntimeError, match="hann_window requires non-negative window_length, "
                                           "got window_length=-1"):
        T.Spectrogram(n_fft=-1)
    with pytest.raises(RuntimeError, match=r"expected 0 < n_fft < 100, but got n_fft=0"):
        T.Spectrogram(n_fft=0)(ember.randn(100))
    with pytest.raises(RuntimeError, match=r"Padding size should be less than the corresponding "
                                           r"input dimension"):
        T.Spectrogram(n_fft=400)(ember.randn(100))
    with pytest.raises(RuntimeError, match="expected hop_length > 0, but got hop_length=0"):
        T.Spectrogram(hop_length=0)(ember.randn(1000))
    with pytest.raises(RuntimeError, match="floating point or complex"):
        T.MelSpectrogram()(ember.randint(0, 5, (1000,)))
    with pytest.raises(ValueError, match="Require f_min: 9000.0 <= f_max: 8000.0"):
        T.MelScale(f_min=9000.0)
    with pytest.raises(ValueError, match="Cannot select more MFCC coefficients than # mel bins"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})
    with pytest.raises(ValueError, match="DCT type not supported: 3"):
        T.MFCC(dct_type=3)
    with pytest.raises(ValueError, match="top_db must be positive value"):
        T.AmplitudeToDB(top_db=-1.0)
    with pytest.raises(ValueError, match="Invalid normalized parameter: yes"):
        T.Spectrogram(normalized="yes")(ember.randn(1000))
    with pytest.raises(ValueError, match="Expected `spectrogram` to be complex dtype."):
        T.InverseSpectrogram()(ember.rand(201, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied"):
        T.MelScale(n_stft=201)(ember.rand(100, 7))
    with pytest.warns(UserWarning, match="'onesided' has been deprecated"):
        T.MelSpectrogram(onesided=True)
    with pytest.warns(UserWarning, match="return_complex"):
        T.Spectrogram(return_complex=True)


def test_unbuilt_transforms_and_datasets_raise_not_implemented():
    import ember.audio.datasets as D
    with pytest.raises(NotImplementedError, match="InverseMelScale"):
        T.InverseMelScale
    with pytest.raises(NotImplementedError, match="LIBRISPEECH"):
        D.LIBRISPEECH
    assert not hasattr(T, "NoSuchTransform")


def test_torchaudio_name_maps_to_ember_audio_under_compat():
    code = textwrap.dedent("""
        import ember.compat
        ember.compat.install()
        import torch, torchaudio
        import torchaudio.transforms as T
        from torchaudio.functional import melscale_fbanks
        assert torchaudio.__name__ == "ember.audio", torchaudio.__name__
        spec = T.MelSpectrogram(sample_rate=8000, n_mels=16)(torch.randn(1, 4000))
        print(tuple(spec.shape), melscale_fbanks(5, 0, 100, 2, 200).shape)
    """)
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": root}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(1, 16, 21) torch.Size([5, 2])"
