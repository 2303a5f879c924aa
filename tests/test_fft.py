"""ember.fft and ember.stft / istft against PyTorch, plus finite-difference gradient checks."""
import re
import warnings

import numpy as np
import pytest

import ember
import ember.fft
from tests.conformance.harness import check_op, gradcheck_op, requires_torch, torch, _to_np

NORMS = [None, "backward", "ortho", "forward"]


def _real(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _cplx(rng, shape, dtype=np.complex64):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _same_outcome(fn, *arrays):
    """fn(ember, ...) and fn(torch, ...) agree: equal values and dtypes, or the same
    exception type and message."""
    try:
        expected = fn(torch, *[torch.tensor(a) for a in arrays])
    except Exception as e:          # noqa: BLE001 - the oracle decides which error
        with pytest.raises(type(e), match=re.escape(str(e).split("\n")[0])):
            fn(ember, *[ember.tensor(a) for a in arrays])
        return None
    got = fn(ember, *[ember.tensor(a) for a in arrays])
    assert str(got.dtype) == str(expected.dtype)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(_to_np(got), _to_np(expected), rtol=1e-5, atol=1e-5)
    return got


# ---------------------------------------------------------------- one-dimensional transforms
ONE_D_REAL = ["fft", "ifft", "rfft", "ihfft"]
ONE_D_COMPLEX = ["fft", "ifft", "irfft", "hfft"]


@requires_torch
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ONE_D_REAL)
def test_1d_real_input(name, norm, rng):
    for shape, n, dim in [((8,), None, -1), ((3, 7), None, -1), ((5, 4), None, 0),
                          ((2, 6), 9, -1), ((2, 6), 4, 1), ((3, 5), 5, 0)]:
        x = _real(rng, shape)
        check_op(lambda lib, t: getattr(lib.fft, name)(t, n=n, dim=dim, norm=norm), [x])


@requires_torch
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ONE_D_COMPLEX)
def test_1d_complex_input(name, norm, rng):
    for shape, n, dim in [((8,), None, -1), ((3, 7), None, -1), ((5, 4), None, 0),
                          ((2, 6), 9, -1), ((2, 6), 4, 1), ((2, 6), 11, 1), ((3, 5), 3, 0)]:
        z = _cplx(rng, shape)
        check_op(lambda lib, t: getattr(lib.fft, name)(t, n=n, dim=dim, norm=norm), [z])


@requires_torch
@pytest.mark.parametrize("name", ONE_D_REAL + ["irfft", "hfft"])
def test_float64_and_integer_inputs(name, rng):
    for x in (_real(rng, (3, 6), np.float64), rng.integers(-3, 4, (2, 5)),
              np.array([True, False, True, True])):
        if name in ("irfft", "hfft") and x.dtype == np.float64:
            x = x.astype(np.complex128)
        if x.dtype.kind == "f" or x.dtype.kind == "c":
            check_op(lambda lib, t: getattr(lib.fft, name)(t), [x], rtol=1e-10, atol=1e-10)
        else:
            _same_outcome(lambda lib, t: getattr(lib.fft, name)(t), x)


@requires_torch
def test_complex128_stays_complex128(rng):
    z = _cplx(rng, (4, 5), np.complex128)
    for name in ("fft", "ifft", "fft2", "fftn"):
        check_op(lambda lib, t: getattr(lib.fft, name)(t), [z], rtol=1e-10, atol=1e-10)
    check_op(lambda lib, t: lib.fft.irfft(t, n=7), [z], rtol=1e-10, atol=1e-10)


def test_float32_stays_float32(rng):
    x = ember.tensor(_real(rng, (16,)))
    assert ember.fft.fft(x).dtype is ember.complex64
    assert ember.fft.rfft(x).dtype is ember.complex64
    assert ember.fft.irfft(ember.fft.rfft(x)).dtype is ember.float32
    assert ember.fft.fft(x.double()).dtype is ember.complex128
    ember.set_default_dtype(ember.float64)
    assert ember.fft.fft(ember.tensor([1, 2, 3])).dtype is ember.complex128


@requires_torch
@pytest.mark.parametrize("n", [1, 2, 5, 8, 9])
def test_irfft_gradient_doubles_the_mirrored_bins(n, rng):
    """irfft's gradient w.r.t. the onesided input counts every bin whose mirror image is
    outside the onesided range twice (odd and even n; DC and Nyquist once)."""
    m = n // 2 + 1
    z = _cplx(rng, (3, m))
    check_op(lambda lib, t: lib.fft.irfft(t, n=n), [z], weighted=True)
    check_op(lambda lib, t: lib.fft.hfft(t, n=n, norm="ortho"), [z], weighted=True)
    check_op(lambda lib, t: lib.fft.irfftn(t, s=(2, n)), [_cplx(rng, (2, m))])


# ---------------------------------------------------------------- n-dimensional transforms
ND = ["fftn", "ifftn", "fft2", "ifft2", "rfftn", "rfft2", "irfftn", "irfft2", "hfftn", "hfft2",
      "ihfftn", "ihfft2"]
ND_ARGS = [{}, {"s": (3, 4)}, {"s": (6, 5)}, {"dim": (0, 2)}, {"dim": (-1, 0)},
           {"s": (-1, 7), "dim": (2, 1)}, {"s": (5,)}, {"dim": 1}]


@requires_torch
@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("name", ND)
def test_nd(name, norm, rng):
    real_in = name.startswith(("rfft", "ihfft"))
    for kw in ND_ARGS:
        if name.endswith("2") and "dim" not in kw and "s" in kw and len(kw["s"]) != 2:
            continue
        x = _real(rng, (3, 4, 5)) if real_in else _cplx(rng, (3, 4, 5))
        check_op(lambda lib, t: getattr(lib.fft, name)(t, norm=norm, **kw), [x])
    if not real_in and name.startswith(("fft", "ifft")):
        # real input of a complex transform is promoted first
        check_op(lambda lib, t: getattr(lib.fft, name)(t, norm=norm), [_real(rng, (4, 3))])


@requires_torch
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "ihfft", "fft2", "ifftn", "rfftn",
                                  "ihfft2", "hfft", "irfftn"])
def test_gradients_of_real_and_imaginary_parts(name, rng):
    """A loss reading both parts of a complex result (the harness's default loss reads the
    real part only), for real and complex inputs."""
    inputs = [_real(rng, (3, 4), np.float64)]
    if not name.startswith(("rfft", "ihfft")):
        inputs.append(_cplx(rng, (3, 4), np.complex128))
    for x in inputs:
        def f(lib, t):
            r = getattr(lib.fft, name)(t)
            return (r.real, r.imag) if r.dtype.is_complex else r
        check_op(f, [x], rtol=1e-10, atol=1e-10)


@requires_torch
def test_grad_fn_names_match(rng):
    x, z = _real(rng, (4, 6)), _cplx(rng, (4, 6))
    cases = [("fft", x, {}), ("fft", z, {}), ("ifft", x, {}), ("rfft", x, {}),
             ("irfft", z, {}), ("hfft", z, {}), ("ihfft", x, {}), ("fftn", x, {}),
             ("fft2", x, {"s": (5, 8)}), ("rfft", x, {"n": 3}), ("irfftn", z, {}),
             ("hfftn", z, {}), ("ihfftn", x, {}), ("fftshift", x, {}), ("fft", z, {"n": 8}),
             ("fft", z, {"n": 3})]
    for name, a, kw in cases:
        e = getattr(ember.fft, name)(ember.tensor(a, requires_grad=True), **kw)
        t = getattr(torch.fft, name)(torch.tensor(a, requires_grad=True), **kw)
        assert e.grad_fn.name() == t.grad_fn.name(), name
        fe, ft = e.grad_fn.next_functions[0][0], t.grad_fn.next_functions[0][0]
        assert type(fe).__name__ == "AccumulateGrad" or fe.name() == ft.name(), name


def test_roundtrips(rng):
    x = ember.tensor(_real(rng, (3, 10), np.float64))
    for norm in NORMS:
        np.testing.assert_allclose(np.asarray(ember.fft.irfft(ember.fft.rfft(x, norm=norm),
                                                              n=10, norm=norm)), np.asarray(x))
        np.testing.assert_allclose(
            np.asarray(ember.fft.ifft(ember.fft.fft(x, norm=norm), norm=norm).real),
            np.asarray(x), atol=1e-12)
        np.testing.assert_allclose(
            np.asarray(ember.fft.hfft(ember.fft.ihfft(x, norm=norm), n=10, norm=norm)),
            np.asarray(x), atol=1e-12)
        np.testing.assert_allclose(
            np.asarray(ember.fft.irfftn(ember.fft.rfftn(x, norm=norm), s=x.shape, norm=norm)),
            np.asarray(x), atol=1e-12)


# ---------------------------------------------------------------- finite differences
GRADCHECK = [("fft", "r", {}), ("fft", "c", {"n": 7}), ("ifft", "r", {"norm": "ortho"}),
             ("ifft", "c", {"n": 3}), ("rfft", "r", {}), ("rfft", "r", {"n": 7}),
             ("irfft", "c", {}), ("irfft", "c", {"n": 7, "norm": "forward"}),
             ("hfft", "c", {"n": 6}), ("ihfft", "r", {}), ("fftn", "c", {"s": (2, 5)}),
             ("fft2", "r", {}), ("ifftn", "c", {"norm": "ortho"}), ("rfftn", "r", {}),
             ("rfft2", "r", {"s": (3, 5)}), ("irfftn", "c", {"s": (3, 5)}), ("irfft2", "c", {}),
             ("hfftn", "c", {"s": (3, 4)}), ("hfft2", "c", {}), ("ihfftn", "r", {}),
             ("ihfft2", "r", {"norm": "forward"}), ("fftshift", "r", {}),
             ("ifftshift", "c", {"dim": 0})]


@pytest.mark.parametrize("name,kind,kw", GRADCHECK, ids=lambda v: str(v))
def test_gradcheck(name, kind, kw, rng):
    """Complex inputs and outputs are checked through their real and imaginary parts (both
    directions of every complex gradient, and the double backward)."""
    parts = [_real(rng, (3, 4), np.float64) for _ in range(1 if kind == "r" else 2)]

    def f(lib, *p):
        t = p[0] if kind == "r" else lib.complex(p[0], p[1])
        r = getattr(lib.fft, name)(t, **kw)
        return (r.real, r.imag) if r.dtype.is_complex else r
    gradcheck_op(f, parts, gradgrad=True)


# ---------------------------------------------------------------- frequencies and shifts
@requires_torch
@pytest.mark.parametrize("n", [1, 4, 5, 8, 11])
def test_fftfreq(n):
    for d in (1.0, 0.1, 3):
        for dtype in (None, "float64"):
            kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
            kt = {} if dtype is None else {"dtype": getattr(torch, dtype)}
            for name in ("fftfreq", "rfftfreq"):
                e = getattr(ember.fft, name)(n, d, **kw)
                t = getattr(torch.fft, name)(n, d, **kt)
                assert str(e.dtype) == str(t.dtype)
                np.testing.assert_array_equal(np.asarray(e), t.numpy())
    e = ember.fft.fftfreq(n, requires_grad=True)
    assert e.requires_grad and e.is_leaf
    out = ember.empty(0, dtype=ember.float64)
    assert ember.fft.rfftfreq(n, out=out) is out and out.shape == (n // 2 + 1,)


@requires_torch
def test_fftfreq_errors():
    with pytest.raises(RuntimeError, match="fftfreq requires a floating point or complex dtype"):
        ember.fft.fftfreq(4, dtype=ember.int64)
    with pytest.raises(NotImplementedError, match="arange_cpu"):
        ember.fft.fftfreq(4, dtype=ember.complex64)


@requires_torch
def test_shifts(rng):
    for shape in [(5,), (4, 7), (2, 3, 6)]:
        x = _real(rng, shape)
        for dim in (None, 0, -1, (0, -1), (0, 0)):
            if dim is not None and len(shape) == 1 and dim not in (0, -1):
                continue
            check_op(lambda lib, t: lib.fft.fftshift(t, dim=dim), [x])
            check_op(lambda lib, t: lib.fft.ifftshift(t, dim=dim), [x])
    f = ember.fft.fftfreq(9)
    np.testing.assert_array_equal(np.asarray(ember.fft.ifftshift(ember.fft.fftshift(f))),
                                  np.asarray(f))
    _same_outcome(lambda lib, t: lib.fft.fftshift(t), np.array(1.0))
    _same_outcome(lambda lib, t: lib.fft.fftshift(t, dim=5), _real(rng, (2, 2)))


# ---------------------------------------------------------------- errors
@requires_torch
def test_errors(rng):
    x, z = _real(rng, (4, 6)), _cplx(rng, (4, 6))
    scalar = np.array(1.0, np.float32)
    cases = [
        (lambda lib, t: lib.fft.fft(t, norm="foo"), x),
        (lambda lib, t: lib.fft.rfftn(t, norm="bad"), x),
        (lambda lib, t: lib.fft.fft(t, n=0), x),
        (lambda lib, t: lib.fft.fft(t, n=-1), x),
        (lambda lib, t: lib.fft.irfft(t, n=0), z),
        (lambda lib, t: lib.fft.irfft(t), z[:, :1]),
        (lambda lib, t: lib.fft.fft(t), scalar),
        (lambda lib, t: lib.fft.fft(t), x.astype(np.float16)),
        (lambda lib, t: lib.fft.rfft(t), z),
        (lambda lib, t: lib.fft.ihfft(t), z),
        (lambda lib, t: lib.fft.rfft2(t), z),
        (lambda lib, t: lib.fft.ihfftn(t), z),
        (lambda lib, t: lib.fft.fftn(t, s=(1, 2, 3)), x),
        (lambda lib, t: lib.fft.fftn(t, s=(2,), dim=(0, 1)), x),
        (lambda lib, t: lib.fft.fft2(t, s=3), x),
        (lambda lib, t: lib.fft.fftn(t, dim=(0, 0)), x),
        (lambda lib, t: lib.fft.fftn(t, s=(0, 2)), x),
        (lambda lib, t: lib.fft.rfftn(t, dim=()), x),
        (lambda lib, t: lib.fft.irfftn(t, dim=()), z),
        (lambda lib, t: lib.fft.hfft2(t, dim=()), z),
        (lambda lib, t: lib.fft.ihfftn(t, dim=()), x),
        (lambda lib, t: lib.fft.fft(t, dim=2), x),
        (lambda lib, t: lib.fft.fftn(t, dim=(0,)), scalar),
        (lambda lib, t: lib.fft.rfftn(t), scalar),
        (lambda lib, t: lib.fft.fft2(t), x[0]),
        (lambda lib, t: lib.fft.fftn(t, dim=()), x),
        (lambda lib, t: lib.fft.fftn(t), scalar.astype(np.complex64)),
    ]
    for fn, a in cases:
        _same_outcome(fn, a)


@requires_torch
def test_out(rng):
    x, z = _real(rng, (4, 6)), _cplx(rng, (4, 6))
    cases = [("fft", x, "float32"), ("rfft", x, "float32"), ("irfft", z, "complex64"),
             ("fftn", z, "float32")]
    for name, a, dt in cases:
        with pytest.raises(RuntimeError) as te:
            getattr(torch.fft, name)(torch.tensor(a), out=torch.empty(0, dtype=getattr(torch, dt)))
        with pytest.raises(RuntimeError, match=re.escape(str(te.value))):
            getattr(ember.fft, name)(ember.tensor(a), out=ember.empty(0, dtype=getattr(ember, dt)))
    for name, a, dt in [("fft", z, "complex128"), ("fft", x, "complex64"),
                        ("irfft", z, "float64"), ("rfft2", x, "complex64"),
                        ("ihfft", x, "complex64")]:
        o = ember.empty(0, dtype=getattr(ember, dt))
        r = getattr(ember.fft, name)(ember.tensor(a), out=o)
        t = getattr(torch.fft, name)(torch.tensor(a))
        assert r is o and str(o.dtype) == "torch." + dt
        np.testing.assert_allclose(_to_np(o), _to_np(t), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- stft / istft
def _stft_cases(rng):
    win = np.hanning(9)[:8].astype(np.float32)
    return [
        (_real(rng, (40,)), dict(n_fft=8, window=win, return_complex=True)),
        (_real(rng, (2, 37)), dict(n_fft=8, hop_length=3, window=win, return_complex=True)),
        (_real(rng, (40,)), dict(n_fft=8, window=win, center=False, return_complex=True)),
        (_real(rng, (40,)), dict(n_fft=8, window=win, normalized=True, onesided=False,
                                 return_complex=True)),
        (_real(rng, (33,)), dict(n_fft=10, hop_length=4, win_length=6,
                                 window=np.hanning(6).astype(np.float32), pad_mode="constant",
                                 return_complex=True)),
        (_real(rng, (33,)), dict(n_fft=10, hop_length=3, win_length=6, window=None,
                                 pad_mode="replicate", return_complex=True)),
        (_real(rng, (30,)), dict(n_fft=8, hop_length=3, win_length=4,
                                 window=np.hanning(4).astype(np.float32), center=False,
                                 align_to_window=True, return_complex=True)),
        (_cplx(rng, (2, 30)), dict(n_fft=8, hop_length=2, window=win)),
        (_real(rng, (30,)), dict(n_fft=8, window=win, return_complex=False)),
        (_real(rng, (30,), np.float64), dict(n_fft=7, hop_length=2,
                                             window=np.hanning(7), return_complex=True)),
    ]


@requires_torch
def test_stft(rng):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, kw in _stft_cases(rng):
            ins = [x] + ([kw["window"]] if kw.get("window") is not None else [])
            kw2 = {k: v for k, v in kw.items() if k != "window"}

            def f(lib, t, *w):
                return lib.stft(t, window=w[0] if w else None, **kw2)
            check_op(f, ins, rtol=1e-4, atol=1e-5)
            check_op(lambda lib, t, *w: t.stft(window=w[0] if w else None, **kw2), ins,
                     grad=False)


@requires_torch
def test_istft(rng):
    win = np.hanning(9)[:8].astype(np.float32)
    cases = [
        ((5, 21), dict(n_fft=8, window=win)),
        ((2, 5, 21), dict(n_fft=8, hop_length=2, window=win, length=45)),
        ((5, 17), dict(n_fft=8, hop_length=2, window=win, center=True, length=30)),
        ((8, 11), dict(n_fft=8, hop_length=2, window=win, onesided=False)),
        ((8, 11), dict(n_fft=8, hop_length=2, window=win, return_complex=True)),
        ((6, 13), dict(n_fft=10, hop_length=3, win_length=6, normalized=True,
                       window=np.hanning(6).astype(np.float32) + 0.1)),
        ((5, 13), dict(n_fft=8, hop_length=2, win_length=8, center=False,
                       window=np.ones(8, np.float32))),
    ]
    for shape, kw in cases:
        z = _cplx(rng, shape)
        kw2 = {k: v for k, v in kw.items() if k != "window"}
        check_op(lambda lib, s, w: lib.istft(s, window=w, **kw2), [z, kw["window"]],
                 rtol=1e-4, atol=1e-5)
    z = _cplx(rng, (5, 11), np.complex128)
    check_op(lambda lib, s: s.istft(8, hop_length=2), [z], rtol=1e-9, atol=1e-9)


@requires_torch
def test_stft_istft_roundtrip(rng):
    x = _real(rng, (2, 50), np.float64)
    w = ember.tensor(np.hanning(17)[:16])
    s = ember.stft(ember.tensor(x), 16, hop_length=4, window=w, return_complex=True)
    y = ember.istft(s, 16, hop_length=4, window=w, length=50)
    np.testing.assert_allclose(np.asarray(y), x, atol=1e-12)


def test_stft_istft_gradcheck(rng):
    w = np.hanning(9)[:8] + 0.1
    x = rng.standard_normal((20,))
    gradcheck_op(lambda lib, t, win: lib.stft(t, 8, hop_length=3, window=win,
                                              return_complex=True).abs(), [x, w])
    re, im = rng.standard_normal((2, 5, 7))

    def inv(lib, a, b, win):
        return lib.istft(lib.complex(a, b), 8, hop_length=2, window=win)
    gradcheck_op(inv, [re, im, w], gradgrad=True)


@requires_torch
def test_stft_istft_errors(rng):
    x = _real(rng, (10,))
    w = np.hanning(8).astype(np.float32)
    s = _cplx(rng, (5, 21))
    stft_cases = [
        (lambda lib, t: lib.stft(t, 16, return_complex=True, center=False), x),
        (lambda lib, t: lib.stft(t, 8, hop_length=0, return_complex=True,
                                 window=lib.ones(8)), x),
        (lambda lib, t: lib.stft(t, 8, win_length=9, return_complex=True), x),
        (lambda lib, t: lib.stft(t, 8, win_length=6, return_complex=True,
                                 window=lib.ones(8)), x),
        (lambda lib, t: lib.stft(t, 8, return_complex=True), np.arange(10)),
        (lambda lib, t: lib.stft(t, 4, return_complex=True, center=False),
         _real(rng, (2, 2, 10))),
        (lambda lib, t: lib.stft(t, 8, window=lib.ones(8)), x),
        (lambda lib, t: lib.stft(t, 8, window=lib.ones(8), onesided=True), x.astype(np.complex64)),
        (lambda lib, t: lib.stft(t, 8, window=lib.ones(8), align_to_window=True,
                                 return_complex=True), x),
        (lambda lib, t: lib.istft(t, 8), s.real.copy()),
        (lambda lib, t: lib.istft(t, 8, hop_length=9, window=lib.ones(8)), s),
        (lambda lib, t: lib.istft(t, 10, window=lib.ones(10)), s),
        (lambda lib, t: lib.istft(t, 8, onesided=False), s),
        (lambda lib, t: lib.istft(t, 8, window=lib.ones(7)), s),
        (lambda lib, t: lib.istft(t, 8, return_complex=True), s),
        (lambda lib, t: lib.istft(t, 8), s[None, None]),
        (lambda lib, t: lib.istft(t, 8), s[:, :0]),
        (lambda lib, t: lib.istft(t, 8, win_length=9), s),
        (lambda lib, t: lib.istft(t, 8, window=lib.tensor(w), center=False), s),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn, a in stft_cases:
            _same_outcome(fn, a)


def test_stft_warns_once_without_window(rng, monkeypatch):
    monkeypatch.setattr(ember.fft, "_WARNED", set())
    x = ember.tensor(_real(rng, (20,)))
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.stft(x, 8, return_complex=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.stft(x, 8, return_complex=True)
