"""Pillow, imported only when an image is actually needed.

`import ember.vision` must work without Pillow (it is an optional dependency, as for
torchvision's tensor-only users); anything that has to build, read or write a PIL image calls
`pil()` and gets a clear ImportError when Pillow is missing.
"""
import sys

import numpy as np

_MISSING = ("{what} needs Pillow, which is not installed. Install it with `pip install pillow` "
            "(or `pip install ember[vision]`).")


def pil(what="This ember.vision feature"):
    """The `PIL.Image` module, or an ImportError naming what needed it."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(_MISSING.format(what=what)) from e
    return Image


def is_pil_image(obj):
    # Checked without importing Pillow: an object can only be a PIL image if PIL.Image is
    # already loaded, and this keeps isinstance checks free for tensor-only pipelines.
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(obj, mod.Image)


def fromarray(obj, mode=None):
    """`Image.fromarray(obj, mode)` with the pre-Pillow-11.3 meaning of `mode`: read the bytes
    *as* that mode (e.g. int16 data as 'I;16'), which newer Pillow rejects in fromarray."""
    Image = pil()
    if mode is None:
        return Image.fromarray(obj)
    obj = np.ascontiguousarray(obj)
    h, w = obj.shape[:2]
    # What fromarray did before Pillow 11.3: for modes Pillow can map (L, P, RGBA, I;16, ...)
    # the image is a read-only view of the array's memory (Pillow copies it on a write),
    # other modes are copied in.
    return Image.frombuffer(mode, (w, h), obj, "raw", mode, 0, 1)
