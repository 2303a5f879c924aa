"""nn.functional vision ops: pad, interpolate/upsample, grid_sample, affine_grid,
pixel_shuffle/unshuffle, channel_shuffle, unfold/fold.

* Constant padding is one op whose adjoint is itself with negated pads (a crop).
* Reflect/replicate/circular padding and every interpolation mode are separable index maps
  along each axis, run by pooling's `_AxisTaps` (weighted gathers forward, sorted `reduceat`
  sums backward). The index and weight formulas follow PyTorch's CPU kernels, in the same
  float precision, so nearest indices and interpolation weights agree exactly.
* grid_sample and affine_grid compose ember ops (gathers and arithmetic), so they
  differentiate any number of times in both the input and the grid.
* unfold/fold are conv's im2col/col2im as an adjoint pair of ops.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _make
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...ops._util import xp_of
from . import pooling as _pool
from .conv import _Geom, _pad_input, _xp_strided

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "grid_sample", "affine_grid", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle", "unfold", "fold"]


def _lst(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _word(t):
    from ...ops._util import _type_word
    return _type_word(t.dtype)


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


# ---------------------------------------------------------------- pad
class _ConstantPad(Op):
    """Pad (or crop, for negative amounts) every dim by (low, high) with a constant."""
    _name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        xp = xp_of(x)
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads))
        out = xp.full(shape, value, x.dtype) if value != 0 else xp.zeros(shape, x.dtype)
        src, dst = [], []
        empty = False
        for n, (lo, hi) in zip(x.shape, pads):
            s0, s1 = builtins_max(0, -lo), n - builtins_max(0, -hi)
            if s1 <= s0:
                empty = True
                break
            d0 = builtins_max(0, lo)
            src.append(slice(s0, s1))
            dst.append(slice(d0, d0 + s1 - s0))
        if not empty:
            out[tuple(dst)] = x[tuple(src)]
        if ctx.needs_input_grad:
            ctx.pads = pads
        return out

    @staticmethod
    def backward(ctx, g):
        return _ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0), None, None


def builtins_max(a, b):
    return a if a > b else b


def _pad_index(n, lo, hi, mode):
    """Input index of every output position along one padded axis."""
    i = np.arange(n + lo + hi) - lo
    if mode == "reflect":
        i = np.abs(i)
        i = np.where(i > n - 1, 2 * (n - 1) - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    else:
        # circular: PyTorch crops negative pads first and wraps around what is left
        c0 = builtins_max(0, -lo)
        m = n - c0 - builtins_max(0, -hi)
        i = c0 + np.mod(np.arange(n + lo + hi) - builtins_max(0, lo), m)
    return i


_PAD_NAMES = {"reflect": "ReflectionPad", "replicate": "ReplicationPad",
              "circular": "CircularPad"}


def pad(input, pad, mode="constant", value=None):
    if not isinstance(pad, (list, tuple)) or not all(_is_int(p) for p in pad):
        bad = next((p for p in pad if not _is_int(p)), None) if isinstance(
            pad, (list, tuple)) else pad
        pos = list(pad).index(bad) if isinstance(pad, (list, tuple)) else 0
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                        f"element of type {type(bad).__name__} at pos {pos}")
    pad = tuple(int(p) for p in pad)
    nd = input.dim()
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > nd:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    # pad lists the last dim first
    per_dim = [(0, 0)] * (nd - k) + [(pad[2 * j], pad[2 * j + 1]) for j in range(k - 1, -1, -1)]
    if mode == "constant":
        if value is None:
            value = 0
        for n, (lo, hi) in zip(input.shape, per_dim):
            if n + lo + hi < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return _ConstantPad.apply(input, tuple(per_dim), value)
    if mode not in _PAD_NAMES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input "
                                  "tensor.")
    if _amp_on[0] and mode != "circular":   # autocast (CPU): reflection/replication pads
        kind = "reflection" if mode == "reflect" else "replication"
        input, = _amp.maybe_cast(f"{kind}_pad{k}d", input)
    shape = tuple(input.shape)
    if mode != "circular":
        if any(s == 0 for s in shape[1 if nd == k + 2 else 0:]):
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly "
                               "0 batch size and other non-zero dimensions for input, but got: "
                               f"{_lst(shape)}")
        if input.dtype is _dt.bool:
            kind = "reflection" if mode == "reflect" else "replication"
            raise NotImplementedError(f"\"{kind}_pad{k}d\" not implemented for 'Bool'")
    spec = []
    for j in range(k):
        dim = nd - 1 - j
        lo, hi = pad[2 * j], pad[2 * j + 1]
        n = shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * j}: Padding size should be less than the "
                               "corresponding input dimension, but got: padding "
                               f"({lo}, {hi}) at dimension {dim} of input {_lst(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError(f"input tensor is too small for padding at dimension {dim}")
        if lo or hi:
            spec.append((dim, _pad_index(n, lo, hi, mode)[:, None], None))
    if not spec:
        return input.clone()
    return _pool._taps_call(input, spec[::-1], f"{_PAD_NAMES[mode]}{k}DBackward0")


# ---------------------------------------------------------------- interpolate: index maps
def _opmath(dtype):
    return np.float64 if dtype == np.float64 else np.float32


def _scales_value(scale, n_in, n_out, ft):
    """PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out."""
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(n_in) / ft(n_out)


def _nearest_taps(n_in, n_out, scale, exact):
    j = np.arange(n_out)
    if not exact:
        if n_out == n_in:
            return j[:, None], None
        if n_out == 2 * n_in:
            return (j >> 1)[:, None], None
        s = _scales_value(scale, n_in, n_out, np.float32)
        idx = np.floor(j.astype(np.float32) * s).astype(np.int64)
    else:
        s = _scales_value(scale, n_in, n_out, np.float32)
        idx = np.floor(((j + 0.5) * np.float64(s)).astype(np.float32)).astype(np.int64)
    return np.minimum(idx, n_in - 1)[:, None], None


def _area_scale(n_in, n_out, align_corners, scale, ft):
    if align_corners:
        return ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    return _scales_value(scale, n_in, n_out, ft)


def _source_index(s, n_out, align_corners, cubic, ft):
    j = np.arange(n_out).astype(ft)
    if align_corners:
        return s * j
    src = s * (j + ft(0.5)) - ft(0.5)
    return src if cubic else np.maximum(src, ft(0))


def _linear_taps(n_in, n_out, align_corners, scale, ft):
    if n_out == n_in:
        j = np.arange(n_out)
        return np.stack([j, j], 1), np.stack([np.ones(n_out), np.zeros(n_out)], 1).astype(ft)
    s = _area_scale(n_in, n_out, align_corners, scale, ft)
    real = _source_index(s, n_out, align_corners, False, ft)
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    lam1 = np.clip(real - i0.astype(ft), 0, 1).astype(ft)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([ft(1) - lam1, lam1], 1)


def _cubic_taps(n_in, n_out, align_corners, scale, ft):
    s = _area_scale(n_in, n_out, align_corners, scale, ft)
    real = _source_index(s, n_out, align_corners, True, ft)
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    t = np.clip(real - i0.astype(ft), 0, 1).astype(ft)
    a = ft(-0.75)

    def conv1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    w = np.stack([conv2(t + ft(1)), conv1(t), conv1(ft(1) - t), conv2(ft(2) - t)], 1)
    idx = np.clip(i0[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, w.astype(ft)


def _aa_taps(n_in, n_out, align_corners, scale, cubic):
    """Antialiased weights (PyTorch's _compute_indices_min_size_weights_aa): the filter is
    stretched by the downscale factor and renormalised at the borders."""
    s = float(_area_scale(n_in, n_out, align_corners, scale, np.float64))
    interp = 4 if cubic else 2
    support = interp * 0.5 * s if s >= 1.0 else interp * 0.5
    invscale = 1.0 / s if s >= 1.0 else 1.0
    max_t = int(math.ceil(support)) * 2 + 1

    def filt(x):
        x = np.abs(x)
        if not cubic:
            return np.where(x < 1.0, 1.0 - x, 0.0)
        a = -0.5
        return np.where(x < 1.0, ((a + 2.0) * x - (a + 3.0)) * x * x + 1,
                        np.where(x < 2.0, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))
    idx = np.zeros((n_out, max_t), np.int64)
    w = np.zeros((n_out, max_t))
    for i in range(n_out):
        center = s * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xsize = min(int(center + support + 0.5), n_in) - xmin
        xsize = min(max(xsize, 0), max_t)
        j = np.arange(xsize)
        wi = filt((j + xmin - center + 0.5) * invscale)
        tot = wi.sum()
        if tot != 0:
            wi = wi / tot
        idx[i, :xsize] = xmin + j
        idx[i, xsize:] = xmin + xsize - 1 if xsize else xmin
        w[i, :xsize] = wi
    return idx, w


_MODE_DIMS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    scale_factors = None
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial "
                                 "dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, "
                                "int] or Tuple[int, int, int], but got size with types "
                                f"{[type(x) for x in size]}")
            output_size = [int(x) for x in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial "
                                 "dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, "
                                 "d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                                 "format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.floor(float(input.shape[i + 2]) * scale_factors[i])
                       for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    nd_ok = input.dim() in (3, 4, 5)
    if mode in _MODE_DIMS and nd_ok and input.dim() != _MODE_DIMS[mode]:
        need = _MODE_DIMS[mode]
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D "
                                  "input")
    if not nd_ok or mode not in ("nearest", "nearest-exact", "area", "linear", "bilinear",
                                 "trilinear", "bicubic") or (mode == "bicubic" and dim != 2):
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported"
            f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | "
            f"trilinear | lanczos | area | nearest-exact (got {mode})")
    in_sp = tuple(input.shape[2:])
    if output_size is None:
        output_size = [int(n * s) for n, s in zip(in_sp, scale_factors)]
    if mode == "area":
        return [None, _pool.adaptive_avg_pool1d, _pool.adaptive_avg_pool2d,
                _pool.adaptive_avg_pool3d][dim](input, tuple(output_size))
    if any(n <= 0 for n in in_sp) or any(o <= 0 for o in output_size):
        names = ("W",) if dim == 1 else (("H", "W") if dim == 2 else ("D", "H", "W"))
        raise RuntimeError("Input and output sizes should be greater than 0, but got input ("
                           + ", ".join(f"{n}: {v}" for n, v in zip(names, in_sp))
                           + ") output ("
                           + ", ".join(f"{n}: {v}" for n, v in zip(names, output_size)) + ")")
    if not input.dtype.is_floating_point:
        kind = {"nearest": "nearest", "nearest-exact": "nearest_exact"}.get(mode, mode)
        raise NotImplementedError(f"\"upsample_{kind}{dim}d_channels_last\" not implemented "
                                  f"for '{_word(input)}'")
    if _amp_on[0]:   # autocast (CUDA): upsampling runs in float32
        op = {"nearest": f"upsample_nearest{dim}d",
              "nearest-exact": f"_upsample_nearest_exact{dim}d",
              "linear": "upsample_linear1d", "bilinear": "upsample_bilinear2d",
              "trilinear": "upsample_trilinear3d", "bicubic": "upsample_bicubic2d"}[mode]
        input, = _amp.maybe_cast("_" + op + "_aa" if antialias else op, input)
    scales = scale_factors or [None] * dim
    ft = _opmath(input._data.dtype)
    spec = []
    for ax, (n, o, s) in enumerate(zip(in_sp, output_size, scales)):
        if mode in ("nearest", "nearest-exact"):
            idx, w = _nearest_taps(n, o, s, mode == "nearest-exact")
        elif antialias:
            idx, w = _aa_taps(n, o, align_corners, s, mode == "bicubic")
        elif mode == "bicubic":
            idx, w = _cubic_taps(n, o, align_corners, s, ft)
        else:
            idx, w = _linear_taps(n, o, align_corners, s, ft)
        if w is None and n == o:
            continue
        spec.append((ax + 2, idx, w))
    name = {"nearest": f"UpsampleNearest{dim}DBackward0",
            "nearest-exact": f"UpsampleNearestExact{dim}DBackward0",
            "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
            "trilinear": "UpsampleTrilinear3DBackward0",
            "bicubic": "UpsampleBicubic2DBackward0"}[mode]
    if antialias:
        name = name.replace("2DBackward0", "2DAaBackward0")
    if not spec:
        return _pool._taps_call(input, [(2, np.arange(in_sp[0])[:, None], None)], name)
    return _pool._taps_call(input, spec, name)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- grid_sample / affine_grid
_GRID_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                 "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                 "behavior is desired. See the documentation of grid_sample for details.")


class _ZeroGradFrom(Op):
    """Identity on `out` that gives `src` a zero gradient (PyTorch answers zeros, not None,
    for the grid of a nearest-mode grid_sample)."""
    _name = "GridSampler2DBackward0"

    @staticmethod
    def forward(ctx, out, src):
        if ctx.needs_input_grad:
            ctx.src_shape = src.shape
        return out[...]

    @staticmethod
    def backward(ctx, g):
        from ...ops import creation
        return g, creation.zeros(ctx.src_shape, dtype=g.dtype, device=g.device)


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    if twice_low == twice_high:
        return coord * 0
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - lo).abs()
    flips = (c / span).floor()
    extra = c - flips * span          # fmod for non-negative c
    even = (flips.remainder(2) == 0)
    return (extra + lo).where(even, span - extra + lo)


def _source_coord(coord, size, padding_mode, align_corners):
    c = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        c = c.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            c = _reflect(c, 0, 2 * (size - 1))
        else:
            c = _reflect(c, -1, 2 * size - 1)
        c = c.clamp(0, size - 1)
    return c


def _cubic_coeffs(t):
    a = -0.75

    def conv1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [conv2(t + 1), conv1(t), conv1(1 - t), conv2(2 - t)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if _amp_on[0]:
        input, grid = _amp.maybe_cast("grid_sampler", input, grid)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_GRID_WARNING, stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected {input.dim()}D input and grid with same "
                           f"number of dimensions, but got input with sizes "
                           f"{_lst(input.shape)} and grid with sizes {_lst(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {_lst(input.shape)} and grid with sizes "
                           f"{_lst(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, "
                           f"but got grid with sizes {_lst(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {_word(input)} but found {_word(grid)}")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, "
                           f"but input has sizes {_lst(input.shape)} with dimension "
                           f"{2 + list(input.shape[2:]).index(0)} being empty")
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])                      # (H, W) or (D, H, W)
    out_sp = tuple(grid.shape[1:-1])
    g = grid.reshape(n, -1, nd)
    # grid's last axis is (x, y[, z]): x indexes the last spatial dim
    coords = [_source_coord(g[..., nd - 1 - d], sizes[d], padding_mode, align_corners)
              for d in range(nd)]
    flat = input.reshape(n, c, -1)
    strides = [math.prod(sizes[d + 1:]) for d in range(nd)]
    xp = xp_of(input._data)
    length = g.shape[1]
    dt = input._data.dtype

    def const(a):
        return _make(xp.asarray(a), input._device)

    def corner(idxs):
        """Values at integer corner indices (arrays (N, L) per dim; the index arithmetic
        needs no gradient, so it stays in raw arrays) and the in-bounds mask."""
        inside = None
        lin = 0
        for d, ix in enumerate(idxs):
            ok = (ix >= 0) & (ix <= sizes[d] - 1)
            inside = ok if inside is None else inside & ok
            lin = lin + xp.clip(ix, 0, sizes[d] - 1).astype(np.int64) * strides[d]
        idx = const(lin.reshape(n, 1, length)).expand(n, c, length)
        return flat.gather(2, idx), inside

    def raw(t):
        return t.detach()._data

    if mode == "nearest":
        vals, inside = corner([xp.rint(raw(co)) for co in coords])
        out = vals * const(inside.astype(dt)[:, None])
        if grid.requires_grad:
            out = _ZeroGradFrom.apply(out, grid)
    elif mode == "bilinear":
        base = [xp.floor(raw(co)) for co in coords]
        frac = [co - const(b) for co, b in zip(coords, base)]
        out = 0
        for bits in range(2 ** nd):
            idxs, w = [], None
            for d in range(nd):
                hi = (bits >> (nd - 1 - d)) & 1
                idxs.append(base[d] + hi)
                f = frac[d] if hi else 1 - frac[d]
                w = f if w is None else w * f
            vals, inside = corner(idxs)
            out = out + vals * (w * const(inside.astype(dt))).unsqueeze(1)
    else:   # bicubic: 4x4 taps, coordinates not clipped first, each tap padded on its own
        src = [_unnormalize(g[..., 1 - d], sizes[d], align_corners) for d in range(2)]
        base = [xp.floor(raw(r)) for r in src]
        coef = [_cubic_coeffs(r - const(b)) for r, b in zip(src, base)]
        out = 0
        for i in range(4):
            for j in range(4):
                idxs = []
                for d, k in ((0, i), (1, j)):
                    pos = base[d] + (k - 1)
                    if padding_mode != "zeros":
                        pos = _source_coord_index(pos, sizes[d], padding_mode, align_corners,
                                                  xp)
                    idxs.append(pos)
                vals, inside = corner(idxs)
                w = coef[0][i] * coef[1][j]
                out = out + vals * (w * const(inside.astype(dt))).unsqueeze(1)
    return out.reshape((n, c) + out_sp)


def _np_reflect(coord, twice_low, twice_high, xp):
    if twice_low == twice_high:
        return coord * 0
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = xp.abs(coord - lo)
    flips = xp.floor(c / span)
    extra = xp.fmod(c, span)
    return xp.where(flips % 2 == 0, extra + lo, span - extra + lo)


def _source_coord_index(pos, size, padding_mode, align_corners, xp):
    """Padding applied to an integer tap position (bicubic's get_value_bounded)."""
    if padding_mode == "border":
        return xp.clip(pos, 0, size - 1)
    if align_corners:
        r = _np_reflect(pos, 0, 2 * (size - 1), xp)
    else:
        r = _np_reflect(pos, -1, 2 * size - 1, xp)
    return xp.floor(xp.clip(r, 0, size - 1))


def _linspace_from_neg_one(num_steps, align_corners, dtype, device):
    from ...ops import creation
    if num_steps <= 1:
        return creation.tensor(0, dtype=dtype, device=device)
    a = ((num_steps - 1) / num_steps) if not align_corners else 1
    return creation.linspace(-a, a, steps=num_steps, dtype=dtype, device=device)


def affine_grid(theta, size, align_corners=None):
    from ...ops import creation, shape as _shape
    if align_corners is None:
        warnings.warn(_GRID_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError("Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError("Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n = size[0]
    if theta.shape[0] != n:
        k = theta.shape[2]
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {k}] but got: [{theta.shape[0]}, {k}].")
    dt, dev = theta.dtype, theta.device
    nd = len(spatial)
    axes = [_linspace_from_neg_one(s, align_corners, dt, dev) for s in spatial]
    # base grid (*spatial, nd + 1): (x, y[, z], 1) with x along the last spatial dim
    parts = []
    for k in range(nd):
        d = nd - 1 - k
        shp = [1] * nd
        shp[d] = spatial[d]
        parts.append(axes[d].reshape(shp).expand(*spatial))
    parts.append(creation.ones(*spatial, dtype=dt, device=dev))
    base = _shape.stack(parts, dim=-1).reshape(1, -1, nd + 1).expand(n, -1, -1)
    grid = base.bmm(theta.transpose(1, 2))
    return grid.reshape((n,) + tuple(spatial) + (nd,))


# ---------------------------------------------------------------- shuffles
def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           "divisible by the square of upscale_factor, but input.size(-3)="
                           f"{c} is not divisible by {r * r}")
    lead = tuple(input.shape[:-3])
    k = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    lead = tuple(input.shape[:-3])
    k = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    g = int(groups)
    if input.dim() <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {_lst(input.shape)}")
    if g <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    c = input.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    n = input.shape[0]
    rest = tuple(input.shape[2:])
    x = input.reshape((n, g, c // g) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------- unfold / fold
class _Im2Col(Op):
    """(N, C, H, W) -> (N, C*kh*kw, L): F.unfold."""
    _name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geom, k, out_sp):
        xp = xp_of(x)
        xpad = _pad_input(x, geom)
        n, c = xpad.shape[:2]
        st = xpad.strides
        shape = (n, c) + tuple(k) + tuple(out_sp)
        strides = ((st[0], st[1]) + tuple(d * s for d, s in zip(geom.dilation, st[2:]))
                   + tuple(s * t for s, t in zip(geom.stride, st[2:])))
        cols = _xp_strided(xp)(xpad, shape, strides).reshape(n, c * math.prod(k),
                                                             math.prod(out_sp))
        if ctx.needs_input_grad:
            ctx.geom, ctx.k, ctx.out_sp, ctx.in_sp = geom, k, out_sp, x.shape[2:]
        return cols

    @staticmethod
    def backward(ctx, g):
        return _Col2Im.apply(g, ctx.geom, ctx.k, ctx.out_sp, ctx.in_sp), None, None, None


class _Col2Im(Op):
    """(N, C*kh*kw, L) -> (N, C, H, W), overlapping blocks summed: F.fold."""
    _name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, geom, k, out_sp, in_sp):
        xp = xp_of(cols)
        n = cols.shape[0]
        kk = math.prod(k)
        c = cols.shape[1] // kk
        view = cols.reshape((n, c) + tuple(k) + tuple(out_sp))
        padded = tuple(m + lo + hi for m, (lo, hi) in zip(in_sp, geom.pad))
        dxp = xp.zeros((n, c) + padded, cols.dtype)
        lead = (slice(None), slice(None))
        for pos in np.ndindex(*k):
            win = tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                        for p, d, s, o in zip(pos, geom.dilation, geom.stride, out_sp))
            dxp[lead + win] += view[lead + pos]
        if any(lo or hi for lo, hi in geom.pad):
            dxp = xp.ascontiguousarray(dxp[lead + tuple(slice(lo, lo + m) for m, (lo, _) in
                                                        zip(in_sp, geom.pad))])
        if ctx.needs_input_grad:
            ctx.geom, ctx.k, ctx.out_sp = geom, k, out_sp
        return dxp

    @staticmethod
    def backward(ctx, g):
        return _Im2Col.apply(g, ctx.geom, ctx.k, ctx.out_sp), None, None, None, None


def _pair_arg(v):
    if isinstance(v, Tensor):
        v = v.tolist()
    if _is_int(v):
        return (int(v), int(v))
    v = tuple(int(a) for a in v)
    return v if len(v) == 2 else (v * 2 if len(v) == 1 else v)


def _check_fold_params(k, d, p, s):
    if any(x <= 0 for x in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if any(x <= 0 for x in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if any(x < 0 for x in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")
    if any(x <= 0 for x in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    k, d, p, s = (_pair_arg(v) for v in (kernel_size, dilation, padding, stride))
    if input.dim() == 2:
        input.size(2)   # PyTorch's IndexError for 2-D input
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {_lst(input.shape)}")
    _check_fold_params(k, d, p, s)
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        raise NotImplementedError(f"\"im2col_out_cpu\" not implemented for '{_word(input)}'")
    x = input if input.dim() == 4 else input.unsqueeze(0)
    in_sp = tuple(x.shape[2:])
    out_sp = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                   for n, pp, dd, kk, ss in zip(in_sp, p, d, k, s))
    if any(o < 1 for o in out_sp):
        raise RuntimeError(f"Given input with spatial size {in_sp}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as {out_sp}, but its components must be at least "
                           "one.")
    geom = _Geom(s, tuple((pp, pp) for pp in p), d, 1)
    out = _Im2Col.apply(x, geom, k, out_sp)
    return out if input.dim() == 4 else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if not isinstance(output_size, (int, np.integer)) and len(tuple(output_size)) != 2:
        raise RuntimeError(f"It is expected output_size equals to 2, but got size "
                           f"{len(tuple(output_size))}")
    o, k, d, p, s = (_pair_arg(v) for v in (output_size, kernel_size, dilation, padding,
                                             stride))
    if input.dim() not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{_lst(input.shape)}")
    _check_fold_params(k, d, p, s)
    x = input if input.dim() == 3 else input.unsqueeze(0)
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={k}.")
    blocks = tuple((n + 2 * pp - dd * (kk_ - 1) - 1) // ss + 1
                   for n, pp, dd, kk_, ss in zip(o, p, d, k, s))
    if any(b < 1 for b in blocks) or blocks[0] * blocks[1] != x.shape[2]:
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {blocks[0]} * "
                           f"{blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
                           f"{x.shape[2]}.")
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        raise NotImplementedError(f"\"col2im_out_cpu\" not implemented for '{_word(input)}'")
    geom = _Geom(s, tuple((pp, pp) for pp in p), d, 1)
    out = _Col2Im.apply(x, geom, k, blocks, o)
    return out if input.dim() == 3 else out.squeeze(0)
