"""`torchvision.io` image functions: files as 1-D uint8 tensors, images as uint8 (or uint16
for 16-bit PNG) [C, H, W] tensors, decoded and encoded through Pillow."""
import io as _io
import os
from enum import Enum

import numpy as np

import ember
from ember.tensor import Tensor

from .._pil import pil as _pil

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png",
           "decode_jpeg", "encode_png", "encode_jpeg", "write_png", "write_jpeg", "read_image"]


class ImageReadMode(Enum):
    """Channels to decode to: UNCHANGED, GRAY, GRAY_ALPHA, RGB, RGB_ALPHA (alias RGBA)."""
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


# ---------------------------------------------------------------- files
def read_file(path):
    """The bytes of a file as a 1-D uint8 tensor."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise RuntimeError(f"[Errno {e.errno}] {e.strerror}: '{os.fspath(path)}'") from e
    return ember.from_numpy(np.frombuffer(bytearray(data), np.uint8))


def write_file(filename, data):
    """Write a 1-D uint8 tensor to a file."""
    _check_data(data, "write_file")
    with open(filename, "wb") as f:
        f.write(data.detach().cpu().numpy().tobytes())


def _check_data(data, what):
    if not isinstance(data, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(data)}")
    if data.dtype != ember.uint8:
        raise RuntimeError("Expected a torch.uint8 tensor")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError("Expected a non empty 1-dimensional tensor")


# ---------------------------------------------------------------- decoding
def _parse_mode(mode):
    if isinstance(mode, str):
        mode = mode.upper()
        if mode == "RGBA":
            return ImageReadMode.RGB_ALPHA
        try:
            return ImageReadMode[mode]
        except KeyError:
            raise ValueError(f"Unknown image read mode {mode!r}. Valid modes are UNCHANGED, "
                             "GRAY, GRAY_ALPHA, RGB and RGB_ALPHA") from None
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"mode should be an ImageReadMode or a str, got {type(mode)}")
    return mode


def _to_tensor(img, mode, apply_exif_orientation):
    if apply_exif_orientation:
        from PIL import ImageOps
        img = ImageOps.exif_transpose(img)
    if mode is ImageReadMode.UNCHANGED:
        if img.mode == "P":
            # palettes are expanded as libpng does: RGB, or RGBA with a transparency chunk
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "PA":
            img = img.convert("RGBA")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode in ("I;16", "I;16B", "I;16L"):
            arr = np.array(img, dtype=np.uint16)
            return ember.from_numpy(arr[None].copy())
        elif img.mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
            img = img.convert("RGB")
    else:
        img = img.convert(_PIL_MODES[mode])
    arr = np.array(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _open(data, what):
    Image = _pil(what)
    buf = _io.BytesIO(data.detach().cpu().numpy().tobytes())
    try:
        img = Image.open(buf)
        img.load()
    except Exception as e:   # Pillow raises several types for undecodable data
        raise RuntimeError(f"{what}: could not decode the image ({e})") from e
    return img


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode an image (JPEG, PNG, GIF, WebP, BMP, TIFF... whatever Pillow reads) from a 1-D
    uint8 tensor of its bytes, or from a path, into a uint8 [C, H, W] tensor."""
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    mode = _parse_mode(mode)
    _check_data(input, "decode_image")
    try:
        img = _open(input, "decode_image")
    except RuntimeError:
        raise RuntimeError("Unsupported image file. Only jpeg, png, webp and gif are currently "
                           "supported.") from None
    return _to_tensor(img, mode, apply_exif_orientation)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read an image file into a uint8 [C, H, W] tensor."""
    data = read_file(path)
    return decode_image(data, mode, apply_exif_orientation=apply_exif_orientation)


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode PNG bytes into a uint8 [C, H, W] tensor (uint16 for 16-bit grayscale)."""
    _check_data(input, "decode_png")
    mode = _parse_mode(mode)
    if input[:8].numpy().tobytes() != _PNG_SIGNATURE:
        raise RuntimeError("Content is not png")
    return _to_tensor(_open(input, "decode_png"), mode, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Decode JPEG bytes (or a list of them) into uint8 [C, H, W] tensors."""
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(i, mode, device, apply_exif_orientation) for i in input]
    _check_data(input, "decode_jpeg")
    mode = _parse_mode(mode)
    head = input[:2].numpy().tobytes()
    if head != b"\xff\xd8":
        raise RuntimeError(f"Not a JPEG file: starts with 0x{head[0]:02x} 0x"
                           f"{head[1] if len(head) > 1 else 0:02x}")
    out = _to_tensor(_open(input, "decode_jpeg"), mode, apply_exif_orientation)
    return out.to(device)


# ---------------------------------------------------------------- encoding
def _to_pil(input, what):
    if not isinstance(input, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(input)}")
    if input.dtype != ember.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    channels = input.shape[0]
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    arr = input.detach().cpu().numpy().transpose(1, 2, 0)
    Image = _pil(what)
    return Image.fromarray(np.ascontiguousarray(arr[:, :, 0] if channels == 1 else arr))


def _bytes_tensor(data):
    return ember.from_numpy(np.frombuffer(bytearray(data), np.uint8))


def encode_png(input, compression_level=6):
    """uint8 [C, H, W] (C = 1 or 3) -> PNG bytes as a 1-D uint8 tensor."""
    if compression_level < 0 or compression_level > 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    img = _to_pil(input, "encode_png")
    buf = _io.BytesIO()
    img.save(buf, format="PNG", compress_level=compression_level)
    return _bytes_tensor(buf.getvalue())


def write_png(input, filename, compression_level=6):
    """Encode a uint8 [C, H, W] tensor as PNG and write it to `filename`."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    """uint8 [C, H, W] (C = 1 or 3), or a list of them -> JPEG bytes as 1-D uint8 tensors."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is passed")
        return [encode_jpeg(i, quality) for i in input]
    img = _to_pil(input, "encode_jpeg")
    buf = _io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return _bytes_tensor(buf.getvalue())


def write_jpeg(input, filename, quality=75):
    """Encode a uint8 [C, H, W] tensor as JPEG and write it to `filename`."""
    write_file(filename, encode_jpeg(input, quality))
