"""SpecAugment masking modules: FrequencyMasking, TimeMasking, SpecAugment."""
from ember import nn
from ember.tensor import Tensor

from .. import functional as F

__all__ = ["FrequencyMasking", "TimeMasking", "SpecAugment"]


class _AxisMasking(nn.Module):
    """Mask a band along `axis` (1: frequency, 2: time, counted for a 3D input; other ranks
    are shifted so it is always one of the last two dims). iid_masks draws a band per item
    (inputs of 3 dims or more), otherwise one band for the whole batch."""
    __constants__ = ["mask_param", "axis", "iid_masks", "p"]

    def __init__(self, mask_param, axis, iid_masks, p=1.0):
        super().__init__()
        self.mask_param = mask_param
        self.axis = axis
        self.iid_masks = iid_masks
        self.p = p

    def forward(self, specgram, mask_value=0.0):
        axis = self.axis + specgram.dim() - 3
        if self.iid_masks:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        value = float(mask_value) if isinstance(mask_value, Tensor) else mask_value
        return F.mask_along_axis(specgram, self.mask_param, value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    """Mask a band of up to `freq_mask_param` frequency rows of (..., freq, time)."""

    def __init__(self, freq_mask_param, iid_masks=False):
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    """Mask a band of up to `time_mask_param` (and at most p * time) frames of
    (..., freq, time)."""

    def __init__(self, time_mask_param, iid_masks=False, p=1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 2, iid_masks, p=p)


class SpecAugment(nn.Module):
    """`n_time_masks` time masks then `n_freq_masks` frequency masks, filled with 0
    (zero_masking) or the input's mean; iid per item for inputs of more than 2 dims when
    iid_masks."""
    __constants__ = ["n_time_masks", "time_mask_param", "n_freq_masks", "freq_mask_param",
                     "iid_masks", "p", "zero_masking"]

    def __init__(self, n_time_masks, time_mask_param, n_freq_masks, freq_mask_param,
                 iid_masks=True, p=1.0, zero_masking=False):
        super().__init__()
        self.n_time_masks = n_time_masks
        self.time_mask_param = time_mask_param
        self.n_freq_masks = n_freq_masks
        self.freq_mask_param = freq_mask_param
        self.iid_masks = iid_masks
        self.p = p
        self.zero_masking = zero_masking

    def forward(self, specgram):
        mask_value = 0.0 if self.zero_masking else specgram.mean()
        time_dim = specgram.dim() - 1
        freq_dim = time_dim - 1
        iid = specgram.dim() > 2 and self.iid_masks is True
        mask = F.mask_along_axis_iid if iid else F.mask_along_axis
        if not iid and isinstance(mask_value, Tensor):
            mask_value = float(mask_value)
        for _ in range(self.n_time_masks):
            specgram = mask(specgram, self.time_mask_param, mask_value, time_dim, p=self.p)
        for _ in range(self.n_freq_masks):
            specgram = mask(specgram, self.freq_mask_param, mask_value, freq_dim, p=self.p)
        return specgram
