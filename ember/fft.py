"""`ember.fft`, like `torch.fft`: discrete Fourier transforms with gradients, plus
`ember.stft` / `ember.istft`.

Every transform is built the way PyTorch builds it, from three primitive ops:

* `FftC2C`: complex to complex over some dims, forward (e^{-i...}) or inverse;
* `FftR2C`: real to complex, forward, all bins or only the onesided half of the last dim;
* `FftC2R`: onesided Hermitian complex to real, inverse.

plus the same dtype promotion (integers to the default float dtype, real to complex where
needed), resizing (`n` / `s` crop with a slice or zero-pad the input), `conj` and
normalisation. Doing it in the same order gives the same results, the same `grad_fn`
names and the same gradients, including PyTorch's conventions for the Hermitian halves.

Normalisation is one of three modes applied to the transform as a whole: none, 1/sqrt(n)
or 1/n. The adjoint of a transform is the opposite-direction transform with the same mode,
which is what every backward below uses. NumPy (2.x) computes in the input's precision, so
float32 stays float32 / complex64; `xp.fft` is cupy.fft for CUDA tensors.
"""
import warnings

import numpy as np

from . import dtypes as _dt
from .tensor import Tensor, _make
from .autograd.function import Op
from .amp import autocast_mode as _amp
from .ops._util import write_out, wrap_dim, xp_of, _type_word
from .ops import shape as _shape
from .ops import unary as _unary
from .ops import creation as _creation

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2",
           "irfft2", "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift", "stft", "istft"]

# normalisation modes (PyTorch's fft_norm_mode)
_NONE, _BY_ROOT_N, _BY_N = 0, 1, 2
# NumPy's `norm` strings giving each mode for a forward / an inverse transform
_NP_NORM_FORWARD = {_NONE: "backward", _BY_ROOT_N: "ortho", _BY_N: "forward"}
_NP_NORM_INVERSE = {_NONE: "forward", _BY_ROOT_N: "ortho", _BY_N: "backward"}


# ================================================================ primitive ops
class FftC2C(Op):
    @staticmethod
    def forward(ctx, a, dims, mode, forward):
        ctx.dims, ctx.mode, ctx.fwd = dims, mode, forward
        if not dims:
            return a.copy()
        xp = xp_of(a)
        if forward:
            return xp.fft.fftn(a, axes=dims, norm=_NP_NORM_FORWARD[mode])
        return xp.fft.ifftn(a, axes=dims, norm=_NP_NORM_INVERSE[mode])

    @staticmethod
    def backward(ctx, g):
        return FftC2C.apply(g, ctx.dims, ctx.mode, not ctx.fwd), None, None, None


class FftR2C(Op):
    @staticmethod
    def forward(ctx, a, dims, mode, onesided):
        ctx.dims, ctx.mode, ctx.onesided = dims, mode, onesided
        ctx.last_size = a.shape[dims[-1]]
        xp = xp_of(a)
        norm = _NP_NORM_FORWARD[mode]
        if onesided:
            return xp.fft.rfftn(a, axes=dims, norm=norm)
        return xp.fft.fftn(a, axes=dims, norm=norm)

    @staticmethod
    def backward(ctx, g):
        # The onesided result is the full transform with its upper half discarded: put
        # zeros back there, then apply the adjoint of the full transform.
        last = ctx.dims[-1]
        missing = ctx.last_size - g.shape[last]
        if ctx.onesided and missing > 0:
            g = _ZeroPad.apply(g, ((last, 0, missing),))
        return _unary.real(FftC2C.apply(g, ctx.dims, ctx.mode, False)), None, None, None


class FftC2R(Op):
    @staticmethod
    def forward(ctx, a, dims, mode, last_size):
        ctx.dims, ctx.mode = dims, mode
        xp = xp_of(a)
        s = [a.shape[d] for d in dims[:-1]] + [last_size]
        return xp.fft.irfftn(a, s=s, axes=dims, norm=_NP_NORM_INVERSE[mode])

    @staticmethod
    def backward(ctx, g):
        # The onesided input stands for itself and its mirrored conjugate: every bin whose
        # mirror image falls outside the onesided range (all but DC and, for even n,
        # Nyquist) was used twice, so its gradient is doubled (PyTorch's convention).
        dims = ctx.dims
        last = dims[-1]
        n = g.shape[last]
        gi = FftR2C.apply(g, dims, ctx.mode, True)
        double = n - gi.shape[last]
        if double > 0:
            shape = [1] * gi.ndim
            shape[last] = gi.shape[last]
            w = np.ones(gi.shape[last], _dt.to_np(g.dtype))
            w[1:1 + double] = 2
            xp = xp_of(g._data)
            gi = gi * _make(xp.asarray(w.reshape(shape)), g._device)
        return gi, None, None, None


class _ZeroPad(Op):
    """Zeros around some dims (`pads`: (dim, before, after) triples): how `n` / `s` longer
    than the input pads it, and how a window shorter than n_fft is centred."""
    _name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, a, pads):
        shape = list(a.shape)
        index = [slice(None)] * a.ndim
        for d, lo, hi in pads:
            shape[d] += lo + hi
            index[d] = slice(lo, lo + a.shape[d])
        ctx.pads, ctx.sizes = pads, [a.shape[d] for d, _, _ in pads]
        out = xp_of(a).zeros(shape, a.dtype)
        out[tuple(index)] = a
        return out

    @staticmethod
    def backward(ctx, g):
        for (d, lo, _), n in zip(ctx.pads, ctx.sizes):
            g = _shape.narrow(g, d, lo, n)
        return g, None


# ================================================================ argument handling
def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _norm_mode(norm, forward):
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _wrap(dim, ndim):
    """A dim of the input; unlike most ops a 0-dim input has none to transform."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, ndim)


def _promote(x, require_complex):
    """PyTorch's promote_tensor_fft: integers and bool to the default float dtype; only
    float32/float64 (and their complex types) are supported on the CPU."""
    dt = x.dtype
    if dt.is_complex:
        return x
    t = dt if dt.is_floating_point else _dt.get_default_dtype()
    if t is not _dt.float32 and t is not _dt.float64:
        raise RuntimeError(f"Unsupported dtype {_type_word(t)}")
    if require_complex:
        t = _dt.complex64 if t is _dt.float32 else _dt.complex128
    return x if t is dt else x.to(t)


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _resize(x, dims, sizes):
    """Crop (a slice) or zero-pad each of `dims` to its size in `sizes`."""
    pads = []
    for d, n in zip(dims, sizes):
        cur = x.shape[d]
        if cur > n:
            x = _shape.narrow(x, d, 0, n)
        elif cur < n:
            pads.append((d, 0, n - cur))
    return _ZeroPad.apply(x, tuple(pads)) if pads else x


def _check_out(out, name, want_complex):
    if out is None:
        return
    if not isinstance(out, Tensor):
        raise TypeError(f"fft_{name}(): argument 'out' must be Tensor, not "
                        f"{type(out).__name__}")
    if want_complex and not out.dtype.is_complex:
        raise RuntimeError(f"{name} expects a complex output tensor, but got "
                           f"{_type_word(out.dtype)}")
    if not want_complex and not out.dtype.is_floating_point:
        raise RuntimeError(f"{name} expects a floating point output tensor, but got "
                           f"{_type_word(out.dtype)}")


def _finish(r, out):
    return r if out is None else write_out(r, out)


def _int_list(v):
    if isinstance(v, (tuple, list)):
        return [int(i) for i in v]
    return [int(v)]


def _shape_and_dims(x, s, dim):
    """PyTorch's canonicalize_fft_shape_and_dim_args: the dims transformed and the signal
    size along each (`s` entries of -1 keep the input's size)."""
    ndim = x.ndim
    dims = None
    if dim is not None:
        dims = [_wrap(d, ndim) for d in _int_list(dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = _int_list(s)
        if dims is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{ndim} dimensions.")
        if dims is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [x.shape[d] if n == -1 else n for n, d in zip(s, dims)]
    elif dims is None:
        dims = list(range(ndim))
        shape = list(x.shape)
    else:
        shape = [x.shape[d] for d in dims]
    for n in shape:
        _check_n(n)
    return shape, dims


def _c2r_shape_and_dims(name, x, s, dim):
    """As `_shape_and_dims`, plus the real output size of the last dim (`2 (m - 1)` for m
    input bins unless `s` says otherwise); the last dim's input size becomes n // 2 + 1."""
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError(f"{name} must transform at least one axis")
    s_list = None if s is None else _int_list(s)
    if s_list is None or s_list[-1] == -1:
        last = 2 * (x.shape[dims[-1]] - 1)
    else:
        last = shape[-1]
    _check_n(last)
    shape[-1] = last // 2 + 1
    return shape, dims, last


# ================================================================ one-dimensional transforms
def _c2c(name, x, n, dim, norm, forward):
    d = _wrap(dim, x.ndim)
    size = x.shape[d] if n is None else n
    _check_n(size)
    if n is not None:
        x = _resize(x, (d,), (size,))
    return FftC2C.apply(x, (d,), _norm_mode(norm, forward), forward)


def _r2c(name, x, n, dim, norm, forward, onesided):
    if x.dtype.is_complex:
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{_type_word(x.dtype)}")
    x = _promote(x, False)
    d = _wrap(dim, x.ndim)
    size = x.shape[d] if n is None else n
    _check_n(size)
    if n is not None:
        x = _resize(x, (d,), (size,))
    r = FftR2C.apply(x, (d,), _norm_mode(norm, forward), onesided)
    # the primitive only transforms forward; conj turns it into the inverse
    return r if forward else _unary.conj(r)


def _c2r(name, x, n, dim, norm, forward):
    x = _promote(x, True)
    d = _wrap(dim, x.ndim)
    size = 2 * (x.shape[d] - 1) if n is None else n
    _check_n(size)
    if n is not None:
        x = _resize(x, (d,), (size // 2 + 1,))
    mode = _norm_mode(norm, forward)
    if forward:
        x = _unary.conj(x)
    return FftC2R.apply(x, (d,), mode, size)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """One-dimensional discrete Fourier transform."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_fft", input)
    _check_tensor(input, "fft")
    _check_out(out, "fft", True)
    if input.dtype.is_complex:
        return _finish(_c2c("fft", input, n, dim, norm, True), out)
    return _finish(_r2c("fft", input, n, dim, norm, True, False), out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """One-dimensional inverse discrete Fourier transform."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_ifft", input)
    _check_tensor(input, "ifft")
    _check_out(out, "ifft", True)
    if input.dtype.is_complex:
        return _finish(_c2c("ifft", input, n, dim, norm, False), out)
    return _finish(_r2c("ifft", input, n, dim, norm, False, False), out)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The Fourier transform of real input: only the n // 2 + 1 non-redundant bins."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_rfft", input)
    _check_tensor(input, "rfft")
    if input.dtype.is_complex:
        raise RuntimeError(f"rfft expects a real input tensor, but got "
                           f"{_type_word(input.dtype)}")
    _check_out(out, "rfft", True)
    return _finish(_r2c("rfft", input, n, dim, norm, True, True), out)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of `rfft`: n real samples (default 2 (m - 1)) from m Hermitian bins."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_irfft", input)
    _check_tensor(input, "irfft")
    _check_out(out, "irfft", False)
    return _finish(_c2r("irfft", input, n, dim, norm, False), out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The (real) Fourier transform of a Hermitian-symmetric signal given by its half."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_hfft", input)
    _check_tensor(input, "hfft")
    _check_out(out, "hfft", False)
    return _finish(_c2r("hfft", input, n, dim, norm, True), out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of `hfft`: the onesided half of the inverse transform of real input."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_ihfft", input)
    _check_tensor(input, "ihfft")
    if input.dtype.is_complex:
        raise RuntimeError(f"ihfft expects a real input tensor, but got "
                           f"{_type_word(input.dtype)}")
    _check_out(out, "ihfft", True)
    return _finish(_r2c("ihfft", input, n, dim, norm, False, True), out)


# ================================================================ n-dimensional transforms
def _fftn(name, input, s, dim, norm, forward, out):
    _check_tensor(input, name)
    shape, dims = _shape_and_dims(input, s, dim)
    x = _promote(input, True)
    _check_out(out, name, True)
    x = _resize(x, dims, shape)
    return _finish(FftC2C.apply(x, tuple(dims), _norm_mode(norm, forward), forward), out)


def _rfftn(name, input, s, dim, norm, out):
    _check_tensor(input, name)
    if input.dtype.is_complex:
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got "
                           f"{_type_word(input.dtype)}")
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _promote(input, False)
    _check_out(out, name, True)
    x = _resize(x, dims, shape)
    return _finish(FftR2C.apply(x, tuple(dims), _norm_mode(norm, True), True), out)


def _irfftn(name, input, s, dim, norm, out):
    _check_tensor(input, name)
    shape, dims, last = _c2r_shape_and_dims("irfftn", input, s, dim)
    x = _promote(input, True)
    _check_out(out, name, False)
    x = _resize(x, dims, shape)
    return _finish(FftC2R.apply(x, tuple(dims), _norm_mode(norm, False), last), out)


def _hfftn(name, input, s, dim, norm, out):
    _check_tensor(input, name)
    shape, dims, last = _c2r_shape_and_dims("hfftn", input, s, dim)
    x = _promote(input, True)
    _check_out(out, name, False)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, True)
    if len(dims) > 1:
        x = FftC2C.apply(x, tuple(dims[:-1]), mode, True)
    x = _unary.conj(x)
    return _finish(FftC2R.apply(x, (dims[-1],), mode, last), out)


def _ihfftn(name, input, s, dim, norm, out):
    _check_tensor(input, name)
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    if input.dtype.is_complex:
        raise RuntimeError(f"Only supports floating-point dtypes, but found: "
                           f"{_type_word(input.dtype)}")
    x = _promote(input, False)
    _check_out(out, name, True)
    x = _resize(x, dims, shape)
    mode = _norm_mode(norm, False)
    r = FftR2C.apply(x, (dims[-1],), mode, True)
    if len(dims) == 1:
        return _finish(_unary.conj(r), out)
    r = _unary.conj_physical(r)
    return _finish(FftC2C.apply(r, tuple(dims[:-1]), mode, False), out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """N-dimensional discrete Fourier transform (all dims by default)."""
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_fftn", input)
    return _fftn("fftn", input, s, dim, norm, True, out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_ifftn", input)
    return _fftn("ifftn", input, s, dim, norm, False, out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_fft2", input)
    return _fftn("fft2", input, s, dim, norm, True, out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_ifft2", input)
    return _fftn("ifft2", input, s, dim, norm, False, out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_rfftn", input)
    return _rfftn("rfftn", input, s, dim, norm, out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_rfft2", input)
    return _rfftn("rfft2", input, s, dim, norm, out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_irfftn", input)
    return _irfftn("irfftn", input, s, dim, norm, out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    if _amp_on[0] and out is None:
        input, = _amp.maybe_cast("fft_irfft2", input)
    return _irfftn("irfft2", input, s, dim, norm, out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _hfftn("hfftn", input, s, dim, norm, out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _hfftn("hfft2", input, s, dim, norm, out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _ihfftn("ihfftn", input, s, dim, norm, out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _ihfftn("ihfft2", input, s, dim, norm, out)


# ================================================================ frequencies and shifts
def _freq_tensor(name, values, n, d, out, dtype, device, requires_grad):
    if dtype is None:
        dtype = out.dtype if out is not None else _dt.get_default_dtype()
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if dtype.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_type_word(dtype)}'")
    npdt = _dt.to_np(dtype)
    # PyTorch multiplies by 1 / (n d) (rounded to the dtype), not divides by n d
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.asarray(1.0 / (n * d), npdt)
        arr = (values.astype(npdt) * scale).astype(npdt, copy=False)
    dev = _creation._device(device) if out is None or device is not None else out._device
    t = _make(_creation._to_device(arr, dev), dev)
    if out is not None:
        return write_out(t, out)
    return t.requires_grad_(True) if requires_grad else t


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of `fft` for signal size n and sample spacing d:
    [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d n)."""
    k = np.arange(n)
    k[(n + 1) // 2:] -= n
    return _freq_tensor("fftfreq", k, n, d, out, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """Sample frequencies of `rfft`: [0, 1, ..., n // 2] / (d n)."""
    return _freq_tensor("rfftfreq", np.arange(n // 2 + 1), n, d, out, dtype, device,
                        requires_grad)


def _shift(input, dim, half):
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [_wrap(d, input.ndim) for d in _int_list(dim)]
    return _shape.roll(input, [half(input.shape[d]) for d in dims], dims)


def fftshift(input, dim=None):
    """Move the zero-frequency bin to the centre (a roll by n // 2 along each dim)."""
    _check_tensor(input, "fftshift")
    return _shift(input, dim, lambda n: n // 2)


def ifftshift(input, dim=None):
    """Inverse of `fftshift` (a roll by (n + 1) // 2)."""
    _check_tensor(input, "ifftshift")
    return _shift(input, dim, lambda n: (n + 1) // 2)


# ================================================================ stft / istft
_WARNED = set()


def _warn_once(key, msg):
    # PyTorch's TORCH_WARN_ONCE: once per process
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(msg, UserWarning, stacklevel=3)


def _opt(v):
    if v is None:
        return "None"
    return str(int(v)) if isinstance(v, bool) else str(v)


def _sizes(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _window_repr(window):
    return "None" if window is None else f"{window.type()}{{{_sizes(window)}}}"


class _OverlapAdd(Op):
    """frames (C, T, n) -> signal (C, n + hop (T - 1)): frame t added at offset t * hop
    (PyTorch's unfold_backward); its adjoint is framing (`unfold`)."""
    @staticmethod
    def forward(ctx, frames, hop):
        c, t, n = frames.shape
        ctx.n, ctx.hop = n, hop
        xp = xp_of(frames)
        chunks = -(-n // hop)
        out = xp.zeros((c, (chunks + t) * hop), frames.dtype)
        # frames split into hop-wide columns: column j of every frame lands on one
        # contiguous stretch of the output, so each chunk is a single vectorised add
        for j in range(chunks):
            seg = frames[:, :, j * hop:(j + 1) * hop]
            w = seg.shape[2]
            if w < hop:
                seg = xp.concatenate([seg, xp.zeros((c, t, hop - w), frames.dtype)], axis=2)
            out[:, j * hop:(j + t) * hop] += seg.reshape(c, t * hop)
        return out[:, :n + hop * (t - 1)]

    @staticmethod
    def backward(ctx, g):
        return _shape.unfold(g, 1, ctx.n, ctx.hop), None


def _view_as_real(z):
    return _shape.stack([_unary.real(z), _unary.imag(z)], -1)


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """Short-time Fourier transform: (B?, N, T) spectra of windowed frames of a 1D or 2D
    (batch) signal, as `torch.stft`."""
    if _amp_on[0]:
        input, window = _amp.maybe_cast("stft", input, window)
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        from .nn import functional as F    # reflect/replicate/circular padding lives there
        signal_dim = input.dim()
        extended = [1] * (3 - signal_dim) + list(input.shape)
        pad = int(n_fft // 2)
        input = F.pad(input.view(extended), [pad, pad], pad_mode)
        input = input.view(input.shape[-signal_dim:])
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length

    def fail(msg):
        raise RuntimeError(
            f"stft({input.type()}{_sizes(input)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_repr(window)}, normalized={_opt(normalized)}, "
            f"onesided={_opt(onesided)}, return_complex={_opt(return_complex)}, "
            f"align_to_window={_opt(align_to_window)}) : {msg}")

    if window is not None and window.device != input.device:
        raise RuntimeError(f"stft input and window must be on the same device but got self on "
                           f"{input.device} and window on {window.device}")
    if window is None:
        _warn_once("stft_window",
                   "A window was not provided. A rectangular window will be applied,which is "
                   "known to cause spectral leakage. Other windows such as torch.hann_window or "
                   "torch.hamming_window are recommended to reduce spectral leakage.To suppress "
                   "this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`.")
    as_complex = return_complex if return_complex is not None else (
        input.dtype.is_complex or (window is not None and window.dtype.is_complex))
    if not as_complex:
        if return_complex is None:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in "
                               "a future PyTorch release.")
        _warn_once("stft_real",
                   "stft with return_complex=False is deprecated. In a future pytorch release, "
                   "stft will return complex tensors for all inputs, and return_complex=False "
                   "will raise an error.\nNote: you can still call torch.view_as_real on the "
                   "complex output to recover the old return format.")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        fail("expected a tensor of floating point or complex values")
    if input.dim() > 2 or input.dim() < 1:
        fail("expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        fail(f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        fail(f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        fail(f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        fail(f"expected a 1D window tensor of size equal to win_length={win}, but got window "
             f"with size {_sizes(window)}")
    full_window = window
    left = (n_fft - win) // 2
    if win < n_fft:
        # the window sits in the middle of each frame
        base = window if window is not None else _creation.ones(
            win, dtype=input.dtype, device=input.device)
        full_window = _ZeroPad.apply(base, ((0, left, n_fft - win - left),))
    if align_to_window:
        # frames follow the window rather than the frame start: the frame of window
        # position t * hop starts `left` samples earlier
        n_frames = 1 + (length - win) // hop
        x = _ZeroPad.apply(x, ((1, left, left),))
        if (n_frames - 1) * hop + n_fft > x.shape[1]:
            raise RuntimeError(f"stft: with align_to_window=True the last of {n_frames} frames "
                               f"of size {n_fft} does not fit the {x.shape[1]} padded samples")
        x = _shape.narrow(x, 1, 0, (n_frames - 1) * hop + n_fft)
    frames = _shape.unfold(x, 1, n_fft, hop)          # (batch, n_frames, n_fft)
    if full_window is not None:
        frames = frames * full_window
    complex_fft = frames.dtype.is_complex
    sided = onesided if onesided is not None else not complex_fft
    mode = _BY_ROOT_N if normalized else _NONE
    if complex_fft:
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        spec = FftC2C.apply(frames, (2,), mode, True)
    else:
        spec = FftR2C.apply(frames, (2,), mode, bool(sided))
    spec = spec.transpose(1, 2)
    if input.dim() == 1:
        spec = spec.squeeze(0)
    return spec if as_complex else _view_as_real(spec)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """Inverse short-time Fourier transform (overlap-add of the inverse transforms of the
    frames, divided by the overlap-added squared window), as `torch.istft`."""
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length

    def desc():
        kind = "CUDA" if input.device.type == "cuda" else "CPU"
        return (f"istft({kind}{_type_word(input.dtype)}Type{_sizes(input)}, n_fft={n_fft}, "
                f"hop_length={hop}, win_length={win}, window={_window_repr(window)}, "
                f"center={_opt(center)}, normalized={_opt(normalized)}, "
                f"onesided={_opt(onesided)}, length={_opt(length)}, "
                f"return_complex={_opt(return_complex)})")

    def fail(msg):
        raise RuntimeError(f"{desc()} : {msg}")

    if window is not None and window.device != input.device:
        raise RuntimeError(f"istft input and window must be on the same device but got self "
                           f"on {input.device} and window on {window.device}")
    if window is None:
        _warn_once("istft_window",
                   "A window was not provided. A rectangular window will be applied.Please "
                   "provide the same window used by stft to make the inversion lossless.To "
                   "suppress this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`.")
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    real_dim = input.dim() + 1          # PyTorch checks the view_as_real shape
    if input.numel() == 0:
        fail("input tensor cannot be empty.")
    if real_dim not in (3, 4):
        fail(f"expected a tensor with 3 or 4 dimensions, but got {real_dim}")
    n_frames = input.shape[-1]
    fft_size = input.shape[-2]
    expected_len = n_fft + hop * (n_frames - 1)
    sided = onesided if onesided is not None else fft_size != n_fft
    if sided:
        if n_fft // 2 + 1 != fft_size:
            fail("expected the frequency dimension (3rd to the last) of the input tensor to "
                 f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    elif n_fft != fft_size:
        fail("expected the frequency dimension (3rd to the last) of the input tensor to match "
             f"n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        fail("expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        fail("expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        fail("Invalid window shape. window has to be 1D and length of `win_length`")
    real_dtype = _dt.float64 if input.dtype is _dt.complex128 else _dt.float32
    w = window if window is not None else _creation.ones(win, dtype=real_dtype,
                                                         device=input.device)
    if win != n_fft:
        left = (n_fft - win) // 2
        w = _ZeroPad.apply(w, ((0, left, n_fft - win - left),))
    z = input.unsqueeze(0) if real_dim == 3 else input
    z = z.transpose(1, 2)                        # (channel, n_frames, fft_size)
    mode = _BY_ROOT_N if normalized else _BY_N
    if return_complex:
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = FftC2C.apply(z, (2,), mode, False)
    else:
        if window is not None and window.dtype.is_complex:
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not sided:
            z = _shape.narrow(z, -1, 0, n_fft // 2 + 1)
        frames = FftC2R.apply(z, (2,), mode, n_fft)
    y = _OverlapAdd.apply(frames * w.view(1, 1, n_fft), hop)
    env = _OverlapAdd.apply((w * w).expand(1, n_frames, n_fft), hop)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(n_fft // 2)
    else:
        end = expected_len
    y = y[:, start:end]
    env = env[:, start:end]
    if bool((env.abs().min() < 1e-11).item()):
        raise RuntimeError(f"{desc()} window overlap add min: 1")
    y = y / env
    if real_dim == 3:
        y = y.squeeze(0)
    if end > expected_len:
        _warn_once("istft_length",
                   "The length of signal is shorter than the length parameter. Result is being "
                   "padded with zeros in the tail. Please check your center and hop_length "
                   "settings.")
        y = _ZeroPad.apply(y, ((y.dim() - 1, 0, end - expected_len),))
    return y


# ---- Tensor methods (ember.fft owns these bindings) --------------------------------------
Tensor.stft = stft
Tensor.istft = istft
