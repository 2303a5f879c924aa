"""A minimal PNG encoder (8-bit grey, RGB or RGBA) on the standard library's zlib.

TensorBoard stores images as encoded PNG bytes. tensorboard's own encoder needs TensorFlow,
and Pillow would be one more optional dependency for something this small: a PNG is a
signature plus three chunks (IHDR, IDAT holding the zlib-compressed rows, IEND), each chunk
`length | type | data | crc32(type + data)`.
"""
import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 3: 2, 4: 6}     # channels -> PNG colour type (grey, RGB, RGBA)


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(image):
    """PNG bytes for a uint8 array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise TypeError(f"encode_png expects uint8 pixels, got {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in _COLOR_TYPE:
        raise ValueError(f"encode_png expects (H, W[, 1|3|4]) pixels, got shape {a.shape}")
    h, w, c = a.shape
    # every scanline starts with its filter type; 0 = "None" (the raw bytes)
    rows = np.empty((h, 1 + w * c), np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = a.reshape(h, w * c)
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPE[c], 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header) +
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))
