"""ember.vision: torchvision's API on ember (`import ember.vision as torchvision`).

datasets (MNIST family, CIFAR, SVHN, ImageFolder, ...), transforms (the v1 API over PIL images
and image tensors), io (image files through Pillow), ops (box ops, NMS, RoIAlign), utils
(make_grid, save_image) and models. Pillow is optional: it is imported only when an image is
read, written or built.
"""
from . import datasets, io, models, ops, transforms, utils  # noqa: F401

# The torchvision release whose API this follows (the one paired with torch 2.13).
__version__ = "0.28.0"

_image_backend = "PIL"


def set_image_backend(backend):
    """Choose the image loader of `datasets.folder.default_loader`: 'PIL' or 'accimage'."""
    global _image_backend
    if backend not in ["PIL", "accimage"]:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    _image_backend = backend


def get_image_backend():
    """The name of the package used to load images."""
    return _image_backend

