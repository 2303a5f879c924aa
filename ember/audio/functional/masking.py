"""SpecAugment-style masking: mask_along_axis (one band shared by the whole batch) and
mask_along_axis_iid (an independent band per example and channel).

A band of v consecutive rows/columns starting at v0 is set to `mask_value`, with
v ~ uniform[0, max_v) and v0 ~ uniform[0, size - v), both floored; max_v = mask_param, or
min(mask_param, floor(size * p)) when p < 1. Draws use ember's global generator, so
`ember.manual_seed` makes them reproducible. The fill is `masked_fill` / `where`, so the
gradient flows to the unmasked entries.
"""
import ember

__all__ = ["mask_along_axis", "mask_along_axis_iid"]


def _max_mask(mask_param, p, axis_length):
    if p == 1.0:
        return mask_param
    return min(mask_param, int(axis_length * p))


def _check_axis_and_p(dim, axis, p):
    if axis not in (dim - 2, dim - 1):
        raise ValueError("Only Frequency and Time masking are supported"
                         f" (axis {dim - 2} and axis {dim - 1} supported; {axis} given).")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")


def mask_along_axis_iid(specgrams, mask_param, mask_value, axis, p=1.0):
    """Mask an independent band along `axis` (one of the last two dims) of every item of
    `specgrams` (..., freq, time), which needs at least 3 dimensions."""
    dim = specgrams.dim()
    if dim < 3:
        raise ValueError(f"Spectrogram must have at least three dimensions ({dim} given).")
    _check_axis_and_p(dim, axis, p)
    mask_param = _max_mask(mask_param, p, specgrams.shape[axis])
    if mask_param < 1:
        return specgrams
    device, dtype = specgrams.device, specgrams.dtype
    batch_shape = specgrams.shape[:dim - 2]
    value = ember.rand(batch_shape, device=device, dtype=dtype) * mask_param
    min_value = ember.rand(batch_shape, device=device, dtype=dtype) * (
        specgrams.shape[axis] - value)
    mask_start = min_value.long()[..., None, None]
    mask_end = (min_value.long() + value.long())[..., None, None]
    positions = ember.arange(0, specgrams.shape[axis], device=device, dtype=dtype)
    # the band is built along the last dim: move `axis` there and back
    specgrams = specgrams.transpose(axis, -1)
    mask = (positions >= mask_start) & (positions < mask_end)
    if isinstance(mask_value, ember.Tensor):
        specgrams = ember.where(mask, mask_value.to(dtype), specgrams)
    else:
        specgrams = specgrams.masked_fill(mask, mask_value)
    return specgrams.transpose(axis, -1)


def mask_along_axis(specgram, mask_param, mask_value, axis, p=1.0):
    """Mask one band along `axis` (one of the last two dims), the same band for every item
    of `specgram` (..., freq, time)."""
    dim = specgram.dim()
    if dim < 2:
        raise ValueError(f"Spectrogram must have at least two dimensions (time and frequency) "
                         f"({dim} given).")
    _check_axis_and_p(dim, axis, p)
    mask_param = _max_mask(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    shape = specgram.shape
    specgram = specgram.reshape([-1] + list(shape[-2:]))
    axis_in_3d = axis - dim + 3
    value = float(ember.rand(1)) * mask_param
    min_value = float(ember.rand(1)) * (specgram.shape[axis_in_3d] - value)
    mask_start, mask_end = int(min_value), int(min_value) + int(value)
    positions = ember.arange(0, specgram.shape[axis_in_3d], device=specgram.device,
                             dtype=specgram.dtype)
    mask = (positions >= mask_start) & (positions < mask_end)
    if axis == dim - 2:
        mask = mask.unsqueeze(-1)
    specgram = specgram.masked_fill(mask, mask_value)
    return specgram.reshape(tuple(shape[:-2]) + tuple(specgram.shape[-2:]))
