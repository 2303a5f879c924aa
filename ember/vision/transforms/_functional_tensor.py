"""The tensor half of `transforms.functional`: images are ember tensors shaped [..., C, H, W].

Written with ember ops so that a transform applied to a tensor that requires grad stays in
the graph, as torchvision's do. Resampling (resize, blur, affine, rotate, perspective) is
expressed as constant sampling weights built in NumPy and applied with matmul / index_select:
separable filters become two matrix products (Wh @ img @ Ww^T), grid sampling a weighted sum
of gathered pixels. The weights follow PyTorch's kernels (interpolate, grid_sample, conv2d with
reflect padding) that torchvision calls, so results agree to float rounding.
"""
import numpy as np

import ember
from ember import dtypes as _dt

_INT_DTYPES = (ember.uint8, ember.int8, ember.int16, ember.int32, ember.int64)


# ---------------------------------------------------------------- checks and metadata
def _is_tensor_a_torch_image(x):
    return x.ndim >= 2


def _assert_image_tensor(img):
    if not _is_tensor_a_torch_image(img):
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    height, width = img.shape[-2:]
    return [channels, height, width]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    _assert_image_tensor(img)
    if img.ndim == 2:
        return 1
    return img.shape[-3]


def _max_value(dtype):
    if dtype == ember.uint8:
        return 255
    if dtype == ember.int8:
        return 127
    if dtype == ember.int16:
        return 32767
    if dtype == ember.uint16:
        return 65535
    if dtype == ember.int32:
        return 2147483647
    if dtype == ember.int64:
        return 9223372036854775807
    # floating images live in [0, 1]
    return 1


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _float_dtype(img):
    return img.dtype if img.is_floating_point() else ember.float32


def _cast_squeeze_in(img, req_dtypes):
    need_squeeze = False
    if img.ndim < 4:
        img = img.unsqueeze(dim=0)
        need_squeeze = True
    out_dtype = img.dtype
    need_cast = out_dtype not in req_dtypes
    if need_cast:
        img = img.to(req_dtypes[0])
    return img, need_cast, need_squeeze, out_dtype


def _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype):
    if need_squeeze:
        img = img.squeeze(dim=0)
    if need_cast:
        if out_dtype in _INT_DTYPES:
            img = ember.round(img)   # round, not truncate, on the way back to integers
        img = img.to(out_dtype)
    return img


def _const(arr, like):
    """A constant tensor from a NumPy array, in `like`'s dtype and on its device."""
    return ember.as_tensor(arr, dtype=like.dtype, device=like.device)


# ---------------------------------------------------------------- dtype conversion
def convert_image_dtype(image, dtype=ember.float32):
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
                image.dtype == ember.float64 and dtype == ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integer range (1.0 still maps to max)
        eps = 1e-3
        max_val = float(_max_value(dtype))
        return image.mul(max_val + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


# ---------------------------------------------------------------- geometry without resampling
def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right = left + width
    bottom = top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_pad_padding(padding):
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]   # -> left, right, top, bottom


def _pad_indices(n, before, after, mode):
    """Source indices along one axis of length n padded by `before`/`after` (both >= 0)."""
    idx = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        idx = np.abs(idx) % period
        return np.where(idx > n - 1, period - idx, idx)
    # symmetric: the edge value is repeated
    period = 2 * n
    idx = np.mod(idx, period)
    return np.where(idx >= n, period - 1 - idx, idx)


def _check_reflect(img, p):
    h, w = img.shape[-2:]
    for (a, b), size, dim in (((p[0], p[1]), w, img.ndim - 1), ((p[2], p[3]), h, img.ndim - 2)):
        if a >= size or b >= size:
            shape = list(img.shape) if img.ndim >= 4 else [1] * (4 - img.ndim) + list(img.shape)
            dim += 4 - img.ndim if img.ndim < 4 else 0
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({a}, {b}) at dimension {dim} of input {shape}")


def _index(arr, like):
    return ember.from_numpy(np.ascontiguousarray(arr, dtype=np.int64)).to(like.device)


def _gather_hw(img, rows, cols):
    out = ember.index_select(img, img.ndim - 2, _index(rows, img))
    return ember.index_select(out, img.ndim - 1, _index(cols, img))


def _constant_pad(img, p, fill):
    left, right, top, bottom = p
    shape = list(img.shape)

    def block(h, w):
        return ember.full(shape[:-2] + [h, w], fill, dtype=img.dtype, device=img.device)

    if left or right:
        parts = ([block(shape[-2], left)] if left else []) + [img] + \
                ([block(shape[-2], right)] if right else [])
        img = ember.cat(parts, dim=-1)
        shape = list(img.shape)
    if top or bottom:
        parts = ([block(top, shape[-1])] if top else []) + [img] + \
                ([block(bottom, shape[-1])] if bottom else [])
        img = ember.cat(parts, dim=-2)
    return img


def pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")

    p = _parse_pad_padding(padding)
    # negative padding crops, as torch.nn.functional.pad does
    if any(x < 0 for x in p):
        cl, cr, ct, cb = [-min(x, 0) for x in p]
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        p = [max(x, 0) for x in p]
    if padding_mode == "constant":
        return _constant_pad(img, p, fill)
    mode = {"edge": "replicate"}.get(padding_mode, padding_mode)
    if mode == "reflect":
        _check_reflect(img, p)
    rows = _pad_indices(img.shape[-2], p[2], p[3], mode)
    cols = _pad_indices(img.shape[-1], p[0], p[1], mode)
    return _gather_hw(img, rows, cols)


# ---------------------------------------------------------------- resize
def _cubic1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _nearest_indices(in_size, out_size, exact):
    """PyTorch's nearest / nearest-exact source indices (float32 arithmetic, as its kernel)."""
    o = np.arange(out_size)
    if not exact:
        if out_size == in_size:
            return o
        if out_size == 2 * in_size:
            return o >> 1
    scale = np.float32(in_size) / np.float32(out_size)
    src = (o.astype(np.float32) + np.float32(0.5)) * scale if exact else o.astype(np.float32) * scale
    return np.minimum(np.floor(src).astype(np.int64), in_size - 1)


def _interp_matrix(in_size, out_size, mode):
    """(out, in) weights of align_corners=False bilinear / bicubic without antialiasing."""
    scale = np.float32(in_size) / np.float32(out_size)
    src = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    m = np.zeros((out_size, in_size), np.float64)
    rows = np.arange(out_size)
    if mode == "bilinear":
        src = np.maximum(src, 0).astype(np.float64)
        i0 = src.astype(np.int64)
        lam = np.clip(src - i0, 0, 1)
        i1 = np.where(i0 < in_size - 1, i0 + 1, i0)
        np.add.at(m, (rows, i0), 1 - lam)
        np.add.at(m, (rows, i1), lam)
        return m
    src = src.astype(np.float64)
    i = np.floor(src).astype(np.int64)
    t = src - i
    a = -0.75
    coeffs = (_cubic2(t + 1, a), _cubic1(t, a), _cubic1(1 - t, a), _cubic2(2 - t, a))
    for k, c in enumerate(coeffs):
        np.add.at(m, (rows, np.clip(i - 1 + k, 0, in_size - 1)), c)
    return m


def _aa_matrix(in_size, out_size, mode):
    """(out, in) weights of PyTorch's antialiased bilinear / bicubic (PIL's algorithm)."""
    scale = in_size / out_size
    if mode == "bilinear":
        support = 1.0

        def filt(x):
            x = np.abs(x)
            return np.where(x < 1, 1 - x, 0.0)
    else:
        support = 2.0

        def filt(x):
            x = np.abs(x)
            return np.where(x < 1, _cubic1(x, -0.5), np.where(x < 2, _cubic2(x, -0.5), 0.0))
    if scale >= 1.0:
        support *= scale
        invscale = 1.0 / scale
    else:
        invscale = 1.0
    m = np.zeros((out_size, in_size), np.float64)
    for i in range(out_size):
        center = scale * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        j = np.arange(xmin, xmax)
        w = filt((j - center + 0.5) * invscale)
        total = w.sum()
        m[i, xmin:xmax] = w / total if total != 0 else w
    return m


def _resample(img, out_h, out_w, mode, antialias):
    """img: float [..., H, W] -> [..., out_h, out_w] with PyTorch's interpolate weights."""
    in_h, in_w = img.shape[-2:]
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        return _gather_hw(img, _nearest_indices(in_h, out_h, exact),
                          _nearest_indices(in_w, out_w, exact))
    build = _aa_matrix if antialias else _interp_matrix
    wh = _const(build(in_h, out_h, mode), img)
    ww = _const(build(in_w, out_w, mode).T.copy(), img)
    return ember.matmul(ember.matmul(wh, img), ww)


def resize(img, size, interpolation="bilinear", antialias=True):
    _assert_image_tensor(img)
    if isinstance(size, tuple):
        size = list(size)
    if antialias is None:
        antialias = False
    if antialias and interpolation not in ["bilinear", "bicubic"]:
        antialias = False
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got 4D) for the modes: nearest | linear | bilinear | "
                                  f"bicubic | trilinear | area | nearest-exact (got {interpolation})")
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [ember.float32, ember.float64])
    img = _resample(img, size[0], size[1], interpolation, antialias)
    if interpolation == "bicubic" and out_dtype == ember.uint8:
        img = img.clamp(min=0, max=255)
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


# ---------------------------------------------------------------- grid transforms
def _assert_grid_transform_inputs(img, matrix, interpolation, fill, supported_interpolation_modes,
                                  coeffs=None):
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        import warnings
        warnings.warn("Argument fill should be either int, float, tuple or list")
    num_channels = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 \
            and len(fill) != num_channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {num_channels})")
    if interpolation not in supported_interpolation_modes:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _grid_sample(img, grid, mode):
    """grid_sample(img, grid, mode, padding_mode='zeros', align_corners=False) for one grid
    shared by the batch: img [N, C, H, W]; grid (oh, ow, 2) NumPy in img's dtype. Returns the
    sampled image and the mask grid_sample gives for an all-ones channel."""
    n, c, h, w = img.shape
    oh, ow = grid.shape[:2]
    npdt = grid.dtype
    ix = ((grid[..., 0] + 1) * w - 1) / 2
    iy = ((grid[..., 1] + 1) * h - 1) / 2
    if mode == "nearest":
        x0, y0 = np.rint(ix), np.rint(iy)   # nearbyint: half to even
        corners = [(x0, y0, np.ones_like(ix))]
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        x1, y1 = x0 + 1, y0 + 1
        corners = [(x0, y0, (x1 - ix) * (y1 - iy)), (x1, y0, (ix - x0) * (y1 - iy)),
                   (x0, y1, (x1 - ix) * (iy - y0)), (x1, y1, (ix - x0) * (iy - y0))]
    flat = img.reshape(n, c, h * w)
    out = None
    mask = np.zeros((oh, ow), npdt)
    for cx, cy, wt in corners:
        valid = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        wt = np.where(valid, wt, 0).astype(npdt)
        idx = np.where(valid, cy * w + cx, 0).astype(np.int64).reshape(-1)
        term = ember.index_select(flat, 2, _index(idx, img)) * _const(wt.reshape(-1), img)
        out = term if out is None else out + term
        mask = mask + wt
    return out.reshape(n, c, oh, ow), mask


def _apply_grid_transform(img, grid, mode, fill):
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(
        img, [_dt.from_np(grid.dtype)])
    out, mask = _grid_sample(img, grid, mode)
    if fill is not None:
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = ember.tensor(fill_list, dtype=out.dtype, device=out.device).view(
            1, len(fill_list), 1, 1).expand_as(out)
        mask_t = _const(mask, out).expand_as(out)
        if mode == "nearest":
            out = ember.where(mask_t < 0.5, fill_img, out)
        else:
            out = out * mask_t + (1.0 - mask_t) * fill_img
    return _cast_squeeze_out(out, need_cast, need_squeeze, out_dtype)


def _np_dtype(img):
    return np.dtype(_float_dtype(img).np)


def _gen_affine_grid(theta, w, h, ow, oh):
    """torchvision's affine grid: pixel-centre coordinates relative to the image centre,
    mapped by theta and normalised by the *input* size (so `expand` can grow the output)."""
    npdt = theta.dtype
    d = 0.5
    x = np.linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, ow).astype(np.float32)
    y = np.linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, oh).astype(np.float32)
    base = np.empty((oh, ow, 3), npdt)
    base[..., 0] = x
    base[..., 1] = y[:, None]
    base[..., 2] = 1
    rescaled = theta.T / np.array([0.5 * w, 0.5 * h], npdt)
    return (base.reshape(-1, 3) @ rescaled).astype(npdt).reshape(oh, ow, 2)


def affine(img, matrix, interpolation="nearest", fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    theta = np.array(matrix, dtype=_np_dtype(img)).reshape(2, 3)
    h, w = img.shape[-2:]
    grid = _gen_affine_grid(theta, w=w, h=h, ow=w, oh=h)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _compute_affine_output_size(matrix, w, h):
    # The four corners (image centre at the origin) mapped by the matrix; the bounding box,
    # truncated to 1e-4 so that ceil(x.00000001) does not add a pixel (as PIL does).
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], np.float32)
    theta = np.array(matrix, np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    min_vals = new_pts.min(axis=0) + np.array((w * 0.5, h * 0.5), np.float32)
    max_vals = new_pts.max(axis=0) + np.array((w * 0.5, h * 0.5), np.float32)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    theta = np.array(matrix, dtype=_np_dtype(img)).reshape(2, 3)
    grid = _gen_affine_grid(theta, w=w, h=h, ow=ow, oh=oh)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _perspective_grid(coeffs, ow, oh, npdt):
    theta1 = np.array([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]], npdt)
    theta2 = np.array([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]], npdt)
    d = 0.5
    base = np.empty((oh, ow, 3), npdt)
    base[..., 0] = np.linspace(d, ow * 1.0 + d - 1.0, ow).astype(np.float32)
    base[..., 1] = np.linspace(d, oh * 1.0 + d - 1.0, oh).astype(np.float32)[:, None]
    base[..., 2] = 1
    flat = base.reshape(-1, 3)
    grid1 = flat @ (theta1.T / np.array([0.5 * ow, 0.5 * oh], npdt))
    grid2 = flat @ theta2.T
    return (grid1 / grid2 - 1.0).astype(npdt).reshape(oh, ow, 2)


def perspective(img, perspective_coeffs, interpolation="bilinear", fill=None):
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be Tensor.")
    _assert_image_tensor(img)
    _assert_grid_transform_inputs(img, matrix=None, interpolation=interpolation, fill=fill,
                                  supported_interpolation_modes=["nearest", "bilinear"],
                                  coeffs=perspective_coeffs)
    ow, oh = img.shape[-1], img.shape[-2]
    grid = _perspective_grid(perspective_coeffs, ow=ow, oh=oh, npdt=_np_dtype(img))
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def elastic_transform(img, displacement, interpolation="bilinear", fill=None):
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    h, w = img.shape[-2:]
    npdt = _np_dtype(img)
    ys = np.linspace((-h + 1) / h, (h - 1) / h, h).astype(np.float32)
    xs = np.linspace((-w + 1) / w, (w - 1) / w, w).astype(np.float32)
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    grid = np.stack([gx, gy], -1) + displacement.detach().cpu().numpy().reshape(h, w, 2)
    return _apply_grid_transform(img, grid.astype(npdt), interpolation, fill)


# ---------------------------------------------------------------- blur
def _get_gaussian_kernel1d(kernel_size, sigma, npdt):
    ksize_half = (kernel_size - 1) * 0.5
    x = np.linspace(-ksize_half, ksize_half, kernel_size).astype(npdt)
    pdf = np.exp(-0.5 * (x / npdt.type(sigma)) ** 2)
    return pdf / pdf.sum()


def _reflect_conv_matrix(n, kernel):
    """(n, n) matrix of a 1-D correlation with `kernel` after reflect-padding by len//2."""
    r = len(kernel) // 2
    m = np.zeros((n, n), np.float64)
    rows = np.arange(n)
    src = _pad_indices(n, r, r, "reflect")
    for k, kv in enumerate(kernel):
        np.add.at(m, (rows, src[rows + k]), float(kv))
    return m


def gaussian_blur(img, kernel_size, sigma):
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    dtype = _float_dtype(img)
    npdt = _np_dtype(img)
    kx = _get_gaussian_kernel1d(kernel_size[0], sigma[0], npdt)
    ky = _get_gaussian_kernel1d(kernel_size[1], sigma[1], npdt)
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [dtype])
    _check_reflect(img, [kernel_size[0] // 2] * 2 + [kernel_size[1] // 2] * 2)
    h, w = img.shape[-2:]
    bh = _const(_reflect_conv_matrix(h, ky), img)
    bw = _const(_reflect_conv_matrix(w, kx).T.copy(), img)
    img = ember.matmul(ember.matmul(bh, img), bw)
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


# ---------------------------------------------------------------- color
def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        # ITU-R 601-2 luma, the TF / torchvision coefficients (truncated back to the dtype)
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype)
        l_img = l_img.unsqueeze(dim=-3)
    else:
        l_img = img.clone()
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    c = get_dimensions(img)[0]
    dtype = _float_dtype(img)
    gray = rgb_to_grayscale(img) if c == 3 else img
    mean = ember.mean(gray.to(dtype), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = ember.max(img, dim=-3).values
    minc = ember.min(img, dim=-3).values
    # where maxc == minc, S and H are 0: replace the denominators so that no NaN is made
    eqc = maxc == minc
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_divisor = ember.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = ember.fmod((h / 6.0 + 1.0), 1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = ember.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=ember.int32)
    p = ember.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = ember.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = ember.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == ember.arange(6, device=i.device).view(-1, 1, 1)
    a1 = ember.stack((v, q, p, p, t, v), dim=-3)
    a2 = ember.stack((t, v, v, q, p, p), dim=-3)
    a3 = ember.stack((p, p, t, v, v, q), dim=-3)
    a4 = ember.stack((a1, a2, a3), dim=-4)
    return ember.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:   # as PIL: a grayscale image has no hue
        return img
    orig_dtype = img.dtype
    img = convert_image_dtype(img, ember.float32)
    h, s, v = _rgb2hsv(img).unbind(dim=-3)
    h = (h + hue_factor) % 1.0
    img_hue_adj = _hsv2rgb(ember.stack((h, s, v), dim=-3))
    return convert_image_dtype(img_hue_adj, orig_dtype)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    result = img
    dtype = img.dtype
    if not img.is_floating_point():
        result = convert_image_dtype(result, ember.float32)
    result = (gain * result ** gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def posterize(img, bits):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    mask = (-int(2 ** (8 - bits))) & 0xFF   # keep the top `bits` bits
    return img & mask


def solarize(img, threshold):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return ember.where(img >= threshold, invert(img), img)


def _blurred_degenerate_image(img):
    # PIL's SMOOTH filter: [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 on the interior only
    dtype = _float_dtype(img)
    x, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [dtype])
    h, w = x.shape[-2:]
    acc = None
    for dy in range(3):
        for dx in range(3):
            term = x[..., dy:dy + h - 2, dx:dx + w - 2] * ((5.0 if dy == dx == 1 else 1.0) / 13.0)
            acc = term if acc is None else acc + term
    acc = _cast_squeeze_out(acc, need_cast, need_squeeze, out_dtype)
    top, bottom = img[..., :1, :], img[..., -1:, :]
    middle = ember.cat([img[..., 1:-1, :1], acc, img[..., 1:-1, -1:]], dim=-1)
    return ember.cat([top, middle, bottom], dim=-2)


def adjust_sharpness(img, sharpness_factor):
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.size(-1) <= 2 or img.size(-2) <= 2:
        return img
    return _blend(img, _blurred_degenerate_image(img), sharpness_factor)


def autocontrast(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    bound = _max_value(img.dtype)
    dtype = _float_dtype(img)
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    scale = bound / (maximum - minimum)
    eq_idxs = ember.isfinite(scale).logical_not()
    minimum = ember.where(eq_idxs, ember.zeros_like(minimum), minimum)
    scale = ember.where(eq_idxs, ember.ones_like(scale), scale)
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def _scale_channel(img_chan):
    hist = ember.bincount(img_chan.reshape(-1), minlength=256)
    nonzero_hist = hist[hist != 0]
    step = ember.div(nonzero_hist[:-1].sum(), 255, rounding_mode="floor")
    if step == 0:
        return img_chan
    lut = ember.div(ember.cumsum(hist, 0) + ember.div(step, 2, rounding_mode="floor"), step,
                    rounding_mode="floor")
    lut = ember.cat([ember.zeros(1, dtype=lut.dtype), lut[:-1]]).clamp(0, 255)
    return lut[img_chan.to(ember.int64)].to(ember.uint8)


def _equalize_single_image(img):
    return ember.stack([_scale_channel(img[c]) for c in range(img.size(0))])


def equalize(img):
    _assert_image_tensor(img)
    if not (3 <= img.ndim <= 4):
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    if img.ndim == 3:
        return _equalize_single_image(img)
    return ember.stack([_equalize_single_image(x) for x in img])


# ---------------------------------------------------------------- normalize / erase
def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace and tensor.device.type == "cpu" and not (
            tensor.requires_grad and ember.is_grad_enabled()):
        fast = _normalize_numpy(tensor, mean, std)
        if fast is not None:
            return fast
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = ember.as_tensor(mean, dtype=dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def _normalize_numpy(tensor, mean, std):
    """The out-of-place, no-grad case in plain NumPy (the same float ops as sub_ then div_,
    without a dozen tensor ops per image). None to fall back where NumPy would disagree
    with the tensor path (shapes that do not broadcast, zero std: the errors come from there)."""
    arr = (tensor.detach() if tensor.requires_grad else tensor).numpy()
    npdt = arr.dtype
    try:
        m = np.asarray(mean, dtype=npdt)
        s = np.asarray(std, dtype=npdt)
    except (TypeError, ValueError):
        return None
    # mean/std of shape () or (1,) or (C,) (viewed as (C, 1, 1)) broadcast against the
    # (..., C, H, W) image without changing its shape; anything else goes the tensor way
    channels = arr.shape[-3]
    if m.ndim > 1 or s.ndim > 1 or m.size not in (1, channels) or \
            s.size not in (1, channels) or 0 in s.ravel().tolist():
        return None
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    out = np.subtract(arr, m)
    np.divide(out, s, out=out)
    return ember.from_numpy(out)


def erase(img, i, j, h, w, v, inplace=False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img

