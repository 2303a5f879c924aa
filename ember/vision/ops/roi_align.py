"""RoIAlign (Mask R-CNN) and RoIPool (Fast R-CNN).

roi_align samples each output bin on a regular grid with bilinear interpolation and averages.
Bilinear weights factor into a y part and an x part, so one RoI's output is
Ay @ input[b] @ Ax^T with Ay (PH x H) and Ax (PW x W) built in NumPy following torchvision's
CPU kernel (same sample positions, clamping and out-of-range rule). Applying them with
ember.matmul makes the op differentiable with respect to the input, twice (the boxes get no
gradient, as in torchvision).

roi_pool takes the maximum of each bin; the arg-max positions are found in NumPy and the
values gathered with ember ops, so the gradient flows to the arg-max pixels only.
"""
import math

import numpy as np

import ember
from ember import nn
from ember.tensor import Tensor

__all__ = ["roi_align", "RoIAlign", "roi_pool", "RoIPool"]


def _pair(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x, x)


def check_roi_boxes_shape(boxes):
    if isinstance(boxes, (list, tuple)):
        for _tensor in boxes:
            if _tensor.size(1) != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct as "
                                     "List[Tensor[L, 4]]")
    elif isinstance(boxes, Tensor):
        if boxes.size(1) != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def convert_boxes_to_roi_format(boxes):
    """List of [L_i, 4] boxes per image -> [K, 5] rois (batch index, x1, y1, x2, y2)."""
    concat_boxes = ember.cat([b for b in boxes], dim=0)
    ids = ember.cat([ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat_boxes], dim=1)


def _check_same_type(input, rois, name):
    if input.dtype != rois.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'input' to have the same type as "
                           f"tensor for argument #2 'rois'; but type {input.type()} does not "
                           f"equal {rois.type()} (while checking arguments for {name})")


def _rois_by_image(rois_np, n_images):
    """{batch index: positions in rois} (torchvision reads the index as an int)."""
    batch = rois_np[:, 0].astype(np.int64)
    if batch.size and (batch.min() < 0 or batch.max() >= n_images):
        raise IndexError(f"roi batch index out of range for an input batch of {n_images} images")
    return {int(b): np.nonzero(batch == b)[0] for b in np.unique(batch)}


# ---------------------------------------------------------------- roi_align
def _align_axis_weights(start, end, pooled, size, sampling_ratio, aligned, T):
    """(pooled, size) weights of one axis of one RoI: the average over the bin's samples of
    the bilinear weights, as torchvision's roi_align CPU kernel computes them in dtype T."""
    length = end - start
    if not aligned:
        length = max(length, T(1.0))   # force malformed RoIs to 1 pixel
    bin_size = T(length / T(pooled))
    grid = sampling_ratio if sampling_ratio > 0 else int(math.ceil(length / T(pooled)))
    m = np.zeros((pooled, size), T)
    if grid <= 0:
        return m, 0
    p = np.arange(pooled, dtype=T)[:, None]
    i = np.arange(grid, dtype=T)[None, :]
    coord = (start + p * bin_size + (i + T(0.5)) * bin_size / T(grid)).astype(T)
    valid = (coord >= -1.0) & (coord <= size)
    coord = np.maximum(coord, T(0))
    low = coord.astype(np.int64)
    at_edge = low >= size - 1
    low = np.where(at_edge, size - 1, low)
    high = np.where(at_edge, low, low + 1)
    coord = np.where(at_edge, low.astype(T), coord)
    frac = (coord - low).astype(T)
    w_low = np.where(valid, T(1) - frac, 0).astype(T)
    w_high = np.where(valid, frac, 0).astype(T)
    rows = np.broadcast_to(np.arange(pooled)[:, None], low.shape)
    np.add.at(m, (rows, low), w_low)
    np.add.at(m, (rows, high), w_high)
    return m, grid


def _align_weights(roi, ph, pw, h, w, spatial_scale, sampling_ratio, aligned, T):
    offset = T(0.5) if aligned else T(0.0)
    # computed in double and rounded to T, as the kernel's `roi[1] * spatial_scale - offset`
    x1, y1, x2, y2 = (T(float(v) * spatial_scale - float(offset)) for v in roi[1:5])
    ay, gh = _align_axis_weights(y1, y2, ph, h, sampling_ratio, aligned, T)
    ax, gw = _align_axis_weights(x1, x2, pw, w, sampling_ratio, aligned, T)
    count = max(gh * gw, 1)
    return ay / T(count), ax


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoIAlign: [N, C, H, W] features and boxes ([K, 5] rois or a list of [L, 4] per image)
    -> [K, C, PH, PW]. sampling_ratio <= 0 picks ceil(roi size / output size) samples per bin;
    aligned=True shifts the boxes by -0.5 pixel for exact pixel alignment."""
    check_roi_boxes_shape(boxes)
    rois = boxes
    ph, pw = _pair(output_size)
    if not isinstance(rois, Tensor):
        rois = convert_boxes_to_roi_format(rois)
    _check_same_type(input, rois, "roi_align_forward_kernel")
    n, c, h, w = input.shape
    k = rois.shape[0]
    if k == 0:
        return input.new_zeros((0, c, ph, pw))
    T = np.dtype(input.dtype.np).type
    rois_np = rois.detach().cpu().numpy()
    pieces, order = [], []
    for b, positions in _rois_by_image(rois_np, n).items():
        ws = [_align_weights(rois_np[p], ph, pw, h, w, spatial_scale, sampling_ratio, aligned, T)
              for p in positions]
        ay = ember.as_tensor(np.stack([a for a, _ in ws]), device=input.device)
        axt = ember.as_tensor(np.stack([x.T for _, x in ws]), device=input.device)
        # RoIs in chunks so that the [k, C, PH, W] intermediate stays small
        step = max(1, (1 << 22) // max(1, c * ph * w))
        img = input[b].unsqueeze(0)
        for s in range(0, len(positions), step):
            t = ember.matmul(ay[s:s + step].unsqueeze(1), img)
            pieces.append(ember.matmul(t, axt[s:s + step].unsqueeze(1)))
        order.append(positions)
    out = ember.cat(pieces, dim=0) if len(pieces) > 1 else pieces[0]
    inverse = np.empty(k, np.int64)
    inverse[np.concatenate(order)] = np.arange(k)
    return ember.index_select(out, 0, ember.from_numpy(inverse).to(out.device))


class RoIAlign(nn.Module):
    """See `roi_align`."""

    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio,
                         self.aligned)

    def __repr__(self):
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
                f"aligned={self.aligned})")


# ---------------------------------------------------------------- roi_pool
def _round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _pool_argmax(feat, roi, ph, pw, spatial_scale, T):
    """Flat arg-max index (or -1 for an empty bin) of each channel and bin: [C, ph, pw]."""
    c, h, w = feat.shape
    rsw, rsh, rew, reh = (_round_half_away(float(v) * spatial_scale) for v in roi[1:5])
    roi_w = max(rew - rsw + 1, 1)
    roi_h = max(reh - rsh + 1, 1)
    bin_h = T(roi_h) / T(ph)
    bin_w = T(roi_w) / T(pw)
    idx = np.full((c, ph, pw), -1, np.int64)
    flat = feat.reshape(c, -1)
    for i in range(ph):
        hs = min(max(int(math.floor(T(i) * bin_h)) + rsh, 0), h)
        he = min(max(int(math.ceil(T(i + 1) * bin_h)) + rsh, 0), h)
        for j in range(pw):
            ws_ = min(max(int(math.floor(T(j) * bin_w)) + rsw, 0), w)
            we = min(max(int(math.ceil(T(j + 1) * bin_w)) + rsw, 0), w)
            if he <= hs or we <= ws_:
                continue
            cells = (np.arange(hs, he)[:, None] * w + np.arange(ws_, we)[None, :]).reshape(-1)
            vals = flat[:, cells]
            # the first strictly greatest value in scan order; NaN never wins a comparison
            vals = np.where(np.isnan(vals), -np.inf, vals)
            idx[:, i, j] = cells[np.argmax(vals, axis=1)]
    return idx


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoIPool: max over each of the [PH, PW] bins of every RoI -> [K, C, PH, PW]."""
    check_roi_boxes_shape(boxes)
    rois = boxes
    ph, pw = _pair(output_size)
    if not isinstance(rois, Tensor):
        rois = convert_boxes_to_roi_format(rois)
    _check_same_type(input, rois, "roi_pool_forward_kernel")
    n, c, h, w = input.shape
    k = rois.shape[0]
    if k == 0:
        return input.new_zeros((0, c, ph, pw))
    T = np.dtype(input.dtype.np).type
    rois_np = rois.detach().cpu().numpy()
    feats = input.detach().cpu().numpy()
    batch = rois_np[:, 0].astype(np.int64)
    _rois_by_image(rois_np, n)   # range check
    idx = np.stack([_pool_argmax(feats[batch[r]], rois_np[r], ph, pw, spatial_scale, T)
                    for r in range(k)])                                  # [K, C, ph, pw]
    empty = idx < 0
    flat_idx = (batch[:, None, None, None] * c + np.arange(c)[None, :, None, None]) * (h * w) \
        + np.where(empty, 0, idx)
    gathered = ember.index_select(input.reshape(-1), 0,
                                  ember.from_numpy(flat_idx.reshape(-1)).to(input.device))
    gathered = gathered.reshape(k, c, ph, pw)
    if empty.any():
        zeros = ember.zeros_like(gathered)
        gathered = ember.where(ember.from_numpy(empty).to(input.device), zeros, gathered)
    return gathered


class RoIPool(nn.Module):
    """See `roi_pool`."""

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
