"""Turning a list of samples into a batch (`default_collate`) and single samples into
tensors (`default_convert`), with PyTorch's rules: tensors are stacked; NumPy arrays and
NumPy scalars become tensors of their dtype; Python floats float64 and ints int64 tensors;
strings stay lists; mappings, namedtuples and sequences are collated field by field."""
import collections.abc
import copy
import operator
import re

import numpy as np

from .... import dtypes as _dt
from ....tensor import Tensor, _make
from ....ops.creation import as_tensor, tensor
from ....ops.shape import stack
from . import worker as _worker

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn"]

# dtype.str of NumPy arrays that hold bytes, str or objects: they can't become tensors
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def _rebuild_like(data, items, convert):
    """`data`'s container type refilled with `convert`ed items: mutable containers are
    copied (keeping their subclass and attributes), immutable ones rebuilt from the items,
    and types that can't be rebuilt that way become plain dicts/lists."""
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: convert(key) for key in items})
                return clone
            return type(data)({key: convert(key) for key in items})
        except TypeError:
            return {key: convert(key) for key in items}
    try:
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, item in enumerate(items):
                clone[i] = convert(item)
            return clone
        return type(data)([convert(item) for item in items])
    except TypeError:
        return [convert(item) for item in items]


def default_convert(data):
    """NumPy arrays and scalars inside `data` become tensors (sharing memory); containers
    are converted element-wise; everything else is returned as is."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and \
                np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_like(data, data, lambda key: default_convert(data[key]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):   # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]   # a list, as PyTorch returns
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_like(data, data, default_convert)
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate a list of samples, dispatching on the first sample's type: an exact match in
    `collate_fn_map` first, then the first entry it is an instance of, then containers."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    def sub(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if elem_type is tuple:   # the usual (input, target) samples: no ABC checks needed
        if len(set(map(len, batch))) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        return [sub(samples) for samples in zip(*batch)]
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_like(elem, elem, lambda key: sub([d[key] for d in batch]))
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # namedtuple
        return elem_type(*(sub(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [sub(samples) for samples in transposed]   # a list, as PyTorch returns
        return _rebuild_like(elem, transposed, sub)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    arrays = _plain_arrays(batch)
    if arrays is not None:
        # The common case, stacked by NumPy directly (what `stack` computes, without its
        # per-call checks). In a worker the batch goes straight into shared memory, so
        # handing it to the main process copies nothing more.
        first = arrays[0]
        n = len(arrays)
        if _worker.get_worker_info() is not None:
            if list(map(_shape_of, arrays)).count(first.shape) == n:
                out = _worker._shared_empty((n,) + first.shape, first.dtype)
                np.stack(arrays, out=out)
                return _make(out)
        elif first.ndim == 0:
            if list(map(_ndim_of, arrays)).count(0) == n:
                return _make(np.stack(arrays))
        else:
            # One concatenate along the leading axis and a free reshape: about twice as
            # fast as np.stack, which makes a view of every sample first. concatenate
            # checks that ndim and the trailing sizes agree; the leading sizes are
            # compared here.
            try:
                if list(map(len, arrays)).count(len(first)) == n:
                    return _make(np.concatenate(arrays).reshape((n,) + first.shape))
            except (TypeError, ValueError):   # a 0-d sample, or other shapes
                pass
    return stack(batch, 0)   # autograd, devices, mixed dtypes, and the errors


_data_of = operator.attrgetter("_data")
_device_of = operator.attrgetter("_device")
_requires_grad_of = operator.attrgetter("_requires_grad")
_dtype_of = operator.attrgetter("dtype")
_shape_of = operator.attrgetter("shape")
_ndim_of = operator.attrgetter("ndim")


def _plain_arrays(batch):
    """The NumPy arrays of `batch` when it holds plain CPU tensors outside autograd, all of
    one dtype; None otherwise. (Checked with map and list.count, not a Python loop: this
    runs once per batch over every sample.)"""
    first = batch[0]
    n = len(batch)
    if type(first) is not Tensor or list(map(type, batch)).count(Tensor) != n:
        return None
    dev = first._device
    if dev.type != "cpu" or list(map(_device_of, batch)).count(dev) != n or \
            any(map(_requires_grad_of, batch)):
        return None
    arrays = list(map(_data_of, batch))
    if list(map(_dtype_of, arrays)).count(first._data.dtype) != n:
        return None
    return arrays


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    if set(map(type, batch)) <= _float_or_int:
        # plain Python numbers: NumPy converts them exactly as `tensor` would, without its
        # per-element dtype inference
        try:
            return _make(np.array(batch, dtype=np.float64))
        except OverflowError:
            pass   # an int beyond float64: `tensor` reports it its own way
    return tensor(batch, dtype=_dt.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    if set(map(type, batch)) == _int_only:
        try:
            return _make(np.array(batch, dtype=np.int64))
        except OverflowError:
            pass   # `tensor` reports ints out of range its own way
    return tensor(batch)


_int_only = {int}
_float_or_int = {float, int}


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch with PyTorch's rules (see the module docstring):
    `[(x0, 0), (x1, 1)]` gives `[stack([x0, x1]), tensor([0, 1])]`."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
