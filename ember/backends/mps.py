"""`torch.backends.mps`: ember has no Metal backend; both answers are False, as on a PyTorch
build without MPS."""

__all__ = ["is_built", "is_available"]


def is_built():
    return False


def is_available():
    return False
