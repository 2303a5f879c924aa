"""Tensor creation from data and from shapes: tensor, as_tensor, from_numpy, zeros, ones,
empty, full and their `_like` forms, plus the legacy `Tensor(...)` constructor."""
import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls, cpu as _cpu, canonical as _canonical
from ..tensor import Tensor, _make, Size
from ..backends import get_backend
from ._util import write_out

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "zeros_like", "ones_like", "empty_like", "full_like", "scalar_tensor"]


def _device(device):
    if device is None:
        return _cpu
    if isinstance(device, _device_cls):
        return _canonical(device)
    return _canonical(_device_cls(device))


def _to_device(arr, dev):
    """Put a host (NumPy) array on `dev`."""
    if dev is _cpu:
        return arr
    return get_backend(dev).asarray(arr, dev)


def _finish(arr, dev, requires_grad):
    t = _make(_to_device(arr, dev), dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def parse_size(args, name="size"):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]), zeros(Size([2, 3])) -> (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = args[0]
    try:
        shape = tuple(int(s) if not isinstance(s, Tensor) else int(s.item()) for s in args)
    except TypeError:
        bad = next(s for s in args if not isinstance(s, (int, Tensor)))
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element of "
                        f"type {type(bad).__name__}") from None
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"[{', '.join(map(str, shape))}]")
    return shape


# ---------------------------------------------------------------- from data
def _scalar_kind_dtype(x):
    """dtype PyTorch infers for one element of a Python sequence."""
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return _dt.from_np(x.dtype)
    return _dt._scalar_dtype(x)


def _walk_dtype(data):
    """Infer the dtype of nested sequences the way torch.tensor does: Python floats take the
    default dtype, NumPy scalars and tensors keep theirs."""
    result = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        d = _scalar_kind_dtype(x)
        result = d if result is None else _dt.promote_types(result, d)
    return result


def _host_array_from_data(data, dtype):
    """A fresh NumPy array holding `data`, with PyTorch's inferred dtype unless given."""
    if isinstance(data, Tensor):
        arr = np.array(data._host_array())
    elif isinstance(data, np.ndarray):
        _dt.from_np(data.dtype)  # raises for unsupported dtypes
        arr = np.array(data)
    elif isinstance(data, (bool, int, float, complex, np.generic)):
        d = dtype or _scalar_kind_dtype(data)
        return np.array(data, dtype=_dt.to_np(d))
    elif isinstance(data, (list, tuple)):
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(_ragged_message(data) or str(e)) from None
        if arr.dtype.kind in "USO":
            if arr.dtype.kind == "O" or arr.size == 0 and arr.dtype.kind != "f":
                pass
            bad = _first_bad(data)
            if bad is not None:
                raise TypeError(f"new(): invalid data type '{type(bad).__name__}'")
        if dtype is None:
            if arr.size == 0:
                arr = arr.astype(_dt.to_np(_dt.get_default_dtype()))
            else:
                arr = arr.astype(_dt.to_np(_walk_dtype(data)), copy=False)
    elif hasattr(data, "__array__") or hasattr(data, "__cuda_array_interface__"):
        arr = np.array(data)
    else:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(_dt.to_np(dtype), copy=False)
    return arr


def _first_bad(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif not isinstance(x, (bool, int, float, complex, np.generic, np.ndarray, Tensor)):
            return x
    return None


def _ragged_message(data):
    def rec(x, dim):
        if not isinstance(x, (list, tuple)) or not x:
            return None
        lens = [len(e) if isinstance(e, (list, tuple)) else None for e in x]
        first = lens[0]
        for l in lens:
            if l != first:
                return f"expected sequence of length {first} at dim {dim + 1} (got {l})"
        for e in x:
            m = rec(e, dim + 1)
            if m:
                return m
        return None
    return rec(data, 0)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Copy `data` (nested lists, scalars, arrays, tensors) into a new leaf tensor."""
    dtype = _dt.as_dtype(dtype)
    if isinstance(data, Tensor):
        dev = _device(device) if device is not None else data._device
        arr = data._host_array() if dev.type != data._device.type else data._data
        if dtype is not None and arr.dtype != _dt.to_np(dtype):
            arr = arr.astype(_dt.to_np(dtype))
        else:
            arr = arr.copy()
        if dev.type == data._device.type and dev is not _cpu:
            return _finish_device_array(arr, dev, requires_grad)
        return _finish(arr, dev, requires_grad)
    arr = _host_array_from_data(data, dtype)
    return _finish(arr, _device(device), requires_grad)


def _finish_device_array(arr, dev, requires_grad):
    t = _make(arr, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    dtype = _dt.as_dtype(dtype) or _dt.get_default_dtype()
    return _finish(np.array(s, dtype=_dt.to_np(dtype)), _device(device), requires_grad)


def from_numpy(ndarray):
    """A tensor sharing `ndarray`'s memory."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_np(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return _make(ndarray, _cpu)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a Tensor or NumPy array when it can."""
    dtype = _dt.as_dtype(dtype)
    if isinstance(data, Tensor):
        if (dtype is None or dtype is data.dtype) and (device is None or
                                                       _device(device) is data._device):
            return data
        return data.to(device=device if device is not None else data._device,
                       dtype=dtype or data.dtype)
    dev = _device(device)
    if isinstance(data, np.ndarray) and dev is _cpu and \
            (dtype is None or _dt.to_np(dtype) == data.dtype):
        return from_numpy(data) if all(s >= 0 for s in data.strides) else tensor(data)
    return tensor(data, dtype=dtype, device=dev)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    if copy:
        t = tensor(obj, dtype=dtype, device=device)
    else:
        t = as_tensor(obj, dtype=dtype, device=device)
        if copy is False and isinstance(obj, (list, tuple)):
            pass
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---------------------------------------------------------------- from shapes
def _filled(fn_name, shape, value, dtype, device, requires_grad, out):
    dtype = _dt.as_dtype(dtype) or _dt.get_default_dtype()
    dev = _device(device) if out is None or device is not None else out._device
    xp = np if dev is _cpu else get_backend(dev).xp
    npdt = _dt.to_np(dtype)
    if value is None:
        arr = xp.empty(shape, npdt)
    elif value == 0:
        arr = xp.zeros(shape, npdt)
    elif value == 1:
        arr = xp.ones(shape, npdt)
    else:
        arr = xp.full(shape, value, npdt)
    t = _make(arr, dev)
    if out is not None:
        return write_out(t, out)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _filled("zeros", parse_size(size, "zeros"), 0, dtype, device, requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, memory_format=None):
    return _filled("ones", parse_size(size, "ones"), 1, dtype, device, requires_grad, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _filled("empty", parse_size(size, "empty"), None, dtype, device, requires_grad, out)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dt._scalar_dtype(fill_value)
    return _filled("full", parse_size((size,), "full"), fill_value, dtype, device,
                   requires_grad, out)


def _like(input, value, dtype, device, requires_grad):
    dtype = _dt.as_dtype(dtype) or input.dtype
    dev = _device(device) if device is not None else input._device
    return _filled("like", input._data.shape, value, dtype, dev, requires_grad, None)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like(input, None, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(input, fill_value, dtype, device, requires_grad)


# ---------------------------------------------------------------- legacy constructor
def _legacy_new(cls, dtype, args, kwargs):
    """`Tensor()`, `Tensor(2, 3)`, `Tensor(size)`, `Tensor([1, 2])`, `Tensor(ndarray)`,
    `FloatTensor(...)`: sizes give uninitialised tensors, data is copied into `dtype`."""
    device = kwargs.pop("device", None)
    if kwargs.get("size") is not None:
        args = (kwargs.pop("size"),)
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"unexpected keyword arguments {list(kwargs)}")
    if not args:
        t = empty(0, dtype=dtype, device=device)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src.dtype is not dtype:
            raise TypeError(f"expected {_dt_type_name(dtype)} (got {src.type()})")
        t = src.detach() if cls is Tensor else src
    elif all(isinstance(a, int) and not isinstance(a, bool) for a in args) or \
            (len(args) == 1 and isinstance(args[0], Size)):
        t = empty(*args, dtype=dtype, device=device)
    else:
        if len(args) != 1:
            raise TypeError("new(): invalid data: expected a sequence or sizes")
        t = tensor(args[0], dtype=dtype, device=device)
    if cls is not Tensor and isinstance(cls, type) and issubclass(cls, Tensor):
        t.__class__ = cls
    return t


def _dt_type_name(d):
    from ..tensor_types import type_name
    return type_name(d, _cpu)
