"""Turning what users log (Tensors, NumPy arrays, Python numbers) into NumPy arrays, and
images into the HWC layout TensorBoard stores. Errors are worded as torch.utils.tensorboard's."""
import numpy as np

from ...tensor import Tensor


def make_np(x):
    """A NumPy array for `x`: arrays pass through, Python/NumPy scalars become 1-element
    arrays, Tensors are detached and copied to the host."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        a = x._host_array()
        if a.dtype.name == "bfloat16":      # ml_dtypes' bfloat16: widen for NumPy maths
            a = a.astype(np.float32)
        return a
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def make_grid(images, ncols=8):
    """Tile N images (N, 1 or 3, H, W) into one (3, H*rows, W*cols) canvas, row by row."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = images[i]
    return canvas


def convert_to_HWC(tensor, input_format):
    """Reorder an image array given its layout ('CHW', 'HWC', 'HW', 'NCHW', ...) into HWC;
    grey images get three channels and a batch (4-D) is tiled into one grid image."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError("You can not use the same dimension shorthand twice.             "
                             f"input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError("size of input tensor and input format are different.         "
                             f"tensor shape: {tensor.shape}, input_format: {input_format}")
    fmt = input_format.upper()
    if len(fmt) == 4:
        nchw = tensor.transpose([fmt.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = tensor.transpose([fmt.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        return hwc
    if len(fmt) == 2:
        hw = tensor.transpose([fmt.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    raise AssertionError(f"input_format {input_format!r} is not one of the supported layouts")


def to_uint8_image(hwc):
    """uint8 images are stored as they are; anything else is taken to be in [0, 1]."""
    scale = 1 if hwc.dtype == np.uint8 else 255
    return (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
