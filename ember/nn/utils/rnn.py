"""nn.utils.rnn: PackedSequence and the packing/padding helpers, all differentiable.

Packing and padding are the same linear map seen from two sides: packing gathers rows of the
padded array (flattened over its two leading dims) into the packed data, padding scatters
them back. Each Op's backward is the other Op, so both are differentiable any number of
times. The row indices are computed once, in NumPy, from the lengths / batch sizes.
"""
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _make
from ...autograd.function import Op
from ...ops import creation as _creation
from ...ops._util import xp_of

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


# ---------------------------------------------------------------- the two row maps
def _on_device_of(idx, like):
    xp = xp_of(like)
    return idx if xp is np else xp.asarray(idx)


class PackPaddedSequence(Op):
    """rows `idx` of `a` flattened over its first two dims -> packed data."""

    @staticmethod
    def forward(ctx, a, idx):
        ctx.shape, ctx.idx = a.shape, idx
        flat = a.reshape((-1,) + a.shape[2:])
        return flat[_on_device_of(idx, a)]

    @staticmethod
    def backward(ctx, g):
        return PadPackedSequence.apply(g, ctx.idx, ctx.shape, 0), None


class PadPackedSequence(Op):
    """packed rows -> an array of `shape` filled with `fill`, row k landing at flat row idx[k]."""

    @staticmethod
    def forward(ctx, data, idx, shape, fill):
        xp = xp_of(data)
        out = xp.full((shape[0] * shape[1],) + tuple(shape[2:]), fill, dtype=data.dtype)
        out[_on_device_of(idx, data)] = data
        ctx.idx = idx
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return PackPaddedSequence.apply(g, ctx.idx), None, None, None


def _packed_rows(batch_sizes):
    """For each packed row: its time step and its position within that step's batch."""
    n = int(batch_sizes.sum())
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    j = np.arange(n) - np.repeat(offsets, batch_sizes)
    return t, j


def _flat_index(t, b, B, T, batch_first):
    return b * T + t if batch_first else t * B + b


# ---------------------------------------------------------------- PackedSequence
_PackedSequenceBase = namedtuple("PackedSequence_",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(_PackedSequenceBase):
    """Holds the data and list of `batch_sizes` of a packed sequence (what RNNs accept in
    place of a padded batch). Build it with `pack_padded_sequence` or `pack_sequence`."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should "
                    "never be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        else:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          _bind(self.sorted_indices, lambda t: t.pin_memory()),
                          _bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs):
        """Moves/casts `data` like Tensor.to; the indices follow data's device (never its
        dtype); batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get("non_blocking", False)

        def call_to(t):
            return t.to(data.device, non_blocking=non_blocking)
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, call_to),
                          _bind(self.unsorted_indices, call_to))

    def cuda(self, *args, **kwargs):
        data = self.data.cuda(*args, **kwargs)
        return self.to(data.device)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_dt.float64)

    def float(self):
        return self.to(dtype=_dt.float32)

    def half(self):
        return self.to(dtype=_dt.float16)

    def long(self):
        return self.to(dtype=_dt.int64)

    def int(self):
        return self.to(dtype=_dt.int32)

    def short(self):
        return self.to(dtype=_dt.int16)

    def char(self):
        return self.to(dtype=_dt.int8)

    def byte(self):
        return self.to(dtype=_dt.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    if permutation is None:
        return None
    p = np.asarray(_host(permutation))
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return _creation.tensor(inv, device=permutation.device)


def _host(t):
    """A tensor's values as a NumPy array (copied off the GPU when needed)."""
    a = t._data
    return a if xp_of(a) is np else a.get()


def _index_tensor(a):
    return _make(np.ascontiguousarray(a, dtype=np.int64))


# ---------------------------------------------------------------- pack / pad
def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.ndim}D {lengths.device.type} Long tensor")
        return _host(lengths).astype(np.int64)
    arr = np.asarray(lengths, dtype=np.int64)
    if arr.ndim != 1:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{arr.ndim}D cpu Long tensor")
    return arr


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch of variable-length sequences (T x B x * or B x T x *)."""
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    B = input.shape[batch_dim]
    T = input.shape[1 - batch_dim]
    if enforce_sorted:
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if lens.shape[0] != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.shape[0]} (batch_size={B})")
    if B == 0 or lens[-1] <= 0 or (lens <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if enforce_sorted and (np.diff(lens) > 0).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX exportability.")
    if lens[0] > T:
        raise RuntimeError(f"Length of a sample ({int(lens[0])}) is larger than the padded "
                           f"sequence length ({T})")
    batch_sizes = (lens[None, :] > np.arange(lens[0])[:, None]).sum(1)
    t, j = _packed_rows(batch_sizes)
    b = j if order is None else order[j]
    data = PackPaddedSequence.apply(input, _flat_index(t, b, B, T, batch_first))
    sorted_indices = None
    if order is not None:
        sorted_indices = _index_tensor(order)
        if input.device.type != "cpu":
            sorted_indices = sorted_indices.to(input.device)
    return PackedSequence(data, _index_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: returns (padded batch, lengths) in the original
    batch order."""
    bs = _host(sequence.batch_sizes).astype(np.int64)
    T = bs.shape[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             "sequence in input, but got "
                             f"total_length={total_length} and max sequence length being {T}")
        T = total_length
    B = int(bs[0])
    lens_sorted = (bs[None, :] > np.arange(B)[:, None]).sum(1)
    t, j = _packed_rows(bs)
    data = sequence.data
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        order = np.argsort(_host(unsorted), kind="stable")   # == sorted_indices
        b = order[j]
        lens = lens_sorted[_host(unsorted)]
    else:
        b, lens = j, lens_sorted
    rest = tuple(data.shape[1:])
    shape = (B, T) + rest if batch_first else (T, B) + rest
    padded = PadPackedSequence.apply(data, _flat_index(t, b, B, T, batch_first), shape,
                                     padding_value)
    return padded, _index_tensor(lens)


class PadSequence(Op):
    @staticmethod
    def forward(ctx, *seqs, batch_first, padding_value, left, npdt):
        xp = xp_of(seqs[0])
        B = len(seqs)
        T = max(s.shape[0] for s in seqs)
        rest = seqs[0].shape[1:]
        shape = (B, T) + rest if batch_first else (T, B) + rest
        out = xp.full(shape, padding_value, dtype=npdt)
        for i, s in enumerate(seqs):
            rows = slice(T - s.shape[0], T) if left else slice(0, s.shape[0])
            out[(i, rows) if batch_first else (rows, i)] = s
        ctx.spec = (batch_first, left, T, [s.shape[0] for s in seqs])
        return out

    @staticmethod
    def backward(ctx, g):
        batch_first, left, T, lens = ctx.spec
        grads = []
        for i, L in enumerate(lens):
            rows = slice(T - L, T) if left else slice(0, L)
            grads.append(g[i, rows] if batch_first else g[rows, i])
        return tuple(grads)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks variable-length tensors (L_i x *) into T x B x * (or B x T x *), padding with
    `padding_value` on the right or the left."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    seqs = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    first = seqs[0]
    for s in seqs[1:]:
        _check_trailing(first, s)
    return PadSequence.apply(*seqs, batch_first=batch_first, padding_value=padding_value,
                             left=padding_side == "left", npdt=first._data.dtype)


def _check_trailing(first, s):
    """The message PyTorch's copy into the padded slot gives for mismatched trailing dims."""
    a, b = tuple(first.shape[1:]), tuple(s.shape[1:])
    if a == b:
        return
    if len(a) != len(b):
        raise RuntimeError(f"expand(torch.{s.type().split('.')[-1]}{{{list(s.shape)}}}, "
                           f"size=[{', '.join(map(str, (s.shape[0],) + a))}]): the number of "
                           "sizes provided must be greater or equal to the number of "
                           "dimensions in the tensor")
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {k + 1}")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into the list of its sequences (inverse of pad_sequence).

    Like PyTorch, a time-major `padded_sequences` is transposed in place."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    lens = _host(lengths) if isinstance(lengths, Tensor) else np.asarray(lengths)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lens.reshape(-1), strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of variable-length tensors (L_i x *)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Inverse of pack_sequence: the list of the sequences in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
