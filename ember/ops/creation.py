"""Tensor creation from data and from shapes: tensor, as_tensor, from_numpy, zeros, ones,
empty, full and their `_like` forms, ranges (arange, range, linspace, logspace), eye,
empty_strided, complex/polar, the `x.new_*` methods, and the legacy `Tensor(...)`
constructor.

`range` and `complex` are defined here as ops, so the builtins are reached as `builtins.X`.
"""
import builtins
import math
import warnings

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls, cpu as _cpu, canonical as _canonical
from ..device import _default as _default_device
from ..tensor import Tensor, _make, Size
from ..backends import get_backend
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ._util import write_out, _type_word, xp_of, xp_for

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "zeros_like", "ones_like", "empty_like", "full_like", "scalar_tensor", "arange",
           "range", "linspace", "logspace", "eye", "empty_strided", "complex", "polar"]


def _device(device):
    if device is None:
        d = _default_device[0]    # set_default_device / `with torch.device(...)`
        return _cpu if d is None else _canonical(d)
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
    return _leaf_requires_grad(t) if requires_grad else t


def _leaf_requires_grad(t):
    """requires_grad=True on a factory: PyTorch's factories word the dtype error this way."""
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return t.requires_grad_(True)


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
    elif isinstance(data, (bool, int, float, builtins.complex, np.generic)):
        d = dtype or _scalar_kind_dtype(data)
        if data.__class__ is int and d is _dt.int64 and not -2**63 <= data < 2**63:
            raise ValueError("Overflow when unpacking long long")
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
                inferred = _walk_dtype(data)
                if inferred is _dt.int64 and arr.dtype.kind in "uO":
                    # NumPy made uint64/object of a Python int outside int64's range;
                    # PyTorch refuses it rather than wrapping it
                    raise ValueError("Overflow when unpacking long long")
                arr = arr.astype(_dt.to_np(inferred), copy=False)
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
        elif not isinstance(x, (bool, int, float, builtins.complex, np.generic, np.ndarray,
                                   Tensor)):
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
    return _leaf_requires_grad(t) if requires_grad else t


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
    return _leaf_requires_grad(t) if requires_grad else t


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
        arr = xp.full(shape, _fill_value(value, dtype), npdt)
    t = _make(arr, dev)
    if out is not None:
        return write_out(t, out)
    return _leaf_requires_grad(t) if requires_grad else t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _filled("zeros", parse_size(size, "zeros"), 0, dtype, device, requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, memory_format=None):
    return _filled("ones", parse_size(size, "ones"), 1, dtype, device, requires_grad, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _filled("empty", parse_size(size, "empty"), None, dtype, device, requires_grad, out)


# C++ names PyTorch's overflow message uses for each dtype.
_C_NAMES = {"float32": "float", "float64": "double", "int64": "int64_t", "int32": "int",
            "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t", "uint16": "uint16_t",
            "uint32": "uint32_t", "uint64": "uint64_t", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


def _fill_value(value, dtype):
    """`value` converted for storage in `dtype` with c10's checked conversion: floats out of
    the type's range (or NaN/inf for integer types, or a nonzero imaginary part for real
    types) raise PyTorch's overflow error; floats truncate into integer types; negative Python
    ints wrap into unsigned types (as two's complement)."""
    if dtype is _dt.bool or dtype.is_complex or dtype in (_dt.float16, _dt.bfloat16):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, builtins.complex):
        if value.imag != 0:
            _overflow(dtype)
        value = value.real
    if isinstance(value, float):
        if dtype.is_floating_point:
            if math.isfinite(value) and builtins.abs(value) > float(np.finfo(dtype.np).max):
                _overflow(dtype)
            return value
        info = np.iinfo(dtype.np)
        if not (math.isfinite(value) and info.min <= value <= info.max):
            _overflow(dtype)
        return builtins.int(value)
    v = builtins.int(value)
    if dtype.is_floating_point:
        if builtins.abs(v) > float(np.finfo(dtype.np).max):
            _overflow(dtype)
        return v
    info = np.iinfo(dtype.np)
    if info.min == 0:
        if v > info.max or v < -builtins.int(info.max):
            _overflow(dtype)
        return v % (builtins.int(info.max) + 1)
    if not info.min <= v <= info.max:
        _overflow(dtype)
    return v


def _overflow(dtype):
    raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dtype.name, dtype.name)} "
                       "without overflow")


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        # PyTorch's argument parser reads a NumPy bool as a float number
        dtype = _dt.get_default_dtype() if isinstance(fill_value, np.bool_) else \
            _dt._scalar_dtype(fill_value)
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


# ---------------------------------------------------------------- ranges
def _number(x, fn, name, pos):
    """A Python number from a Scalar argument: a number or a 0-dim tensor."""
    if isinstance(x, Tensor):
        if x.ndim:
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Number, not "
                            "Tensor")
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (bool, int, float, builtins.complex)):
        return x
    raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Number, not "
                    f"{type(x).__name__}")


def _fmt(x):
    """A number the way PyTorch's C++ messages print it (`0 -> inf`, `-1`, `2.5`)."""
    return "%g" % x if isinstance(x, float) else str(x)


def _out_dtype(dtype, out, default):
    dtype = _dt.as_dtype(dtype)
    if dtype is None and out is not None:
        return out.dtype
    return dtype or default


def _check_range(start, end, step):
    """PyTorch's bound checks, done in double precision on the arguments as given."""
    if not (step > 0 or step < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_fmt(float(start))} -> {_fmt(float(end))}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def _not_implemented(kernel, dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dtype)}\'')


def _affine_values(start, step, n, dtype):
    """start + step * i for i < n, computed in PyTorch's accumulate type for `dtype` (double
    for float32/64, float for half types, int64 with truncated bounds for integers)."""
    if dtype.is_floating_point:
        acc = np.float64 if dtype in (_dt.float32, _dt.float64) else np.float32
        vals = np.arange(n, dtype=acc)
        vals *= acc(step)
        vals += acc(start)
    else:
        vals = np.arange(n, dtype=np.int64)
        vals *= builtins.int(step)
        vals += builtins.int(start)
    return vals.astype(_dt.to_np(dtype), copy=False)


def _range_result(vals, dtype, device, requires_grad, out):
    dev = _device(device) if out is None or device is not None else out._device
    t = _make(_to_device(vals, dev), dev)
    if out is not None:
        return write_out(t, out)
    return _leaf_requires_grad(t) if requires_grad else t


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values from `start` to `end` (exclusive) by `step`. Integers give int64, any float gives
    the default dtype; the length is ceil((end - start) / step) computed in double."""
    if end is None:
        start, end = 0, _number(start, "arange", "end", 1)
        args = (start, end, _number(step, "arange", "step", 3))
    else:
        args = tuple(_number(v, "arange", n, i + 1)
                     for i, (v, n) in enumerate(zip((start, end, step), ("start", "end", "step"))))
    if any(isinstance(v, builtins.complex) for v in args):
        raise RuntimeError("value cannot be converted to type double without overflow")
    start, end, step = args
    inferred = _dt.get_default_dtype() if any(isinstance(v, float) for v in args) else _dt.int64
    dtype = _out_dtype(dtype, out, inferred)
    if dtype is _dt.bool or dtype.is_complex:
        raise _not_implemented("arange_cpu", dtype)
    _check_range(start, end, step)
    if dtype is _dt.int64:
        # PyTorch truncates the bounds to int64 first and counts in integer arithmetic.
        xs, xe, xst = builtins.int(start), builtins.int(end), builtins.int(step)
        if xst == 0:
            raise ValueError("step must be nonzero")
        sgn = (xst > 0) - (xst < 0)
        num = xe - xs + xst - sgn
        n = builtins.abs(num) // builtins.abs(xst) * (1 if (num >= 0) == (xst > 0) else -1)
    else:
        n = math.ceil((end - start) / step)
    if n < 0 or n > np.iinfo(np.int64).max:
        raise RuntimeError("invalid size, possible overflow?")
    return _range_result(_affine_values(start, step, n, dtype), dtype, device, requires_grad,
                         out)


_RANGE_WARNING = ("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).")


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Deprecated: values from `start` to `end` inclusive, in the default dtype."""
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=2)
    start, end, step = (_number(v, "range", n, i + 1) for i, (v, n) in
                        enumerate(zip((start, end, step), ("start", "end", "step"))))
    dtype = _out_dtype(dtype, out, _dt.get_default_dtype())
    if dtype is _dt.bool or dtype.is_complex:
        raise _not_implemented("range_cpu", dtype)
    _check_range(start, end, step)
    if dtype.is_floating_point:
        n = builtins.int((end - start) / step) + 1
    else:
        xs, xe, xst = builtins.int(start), builtins.int(end), builtins.int(step)
        if xst == 0:   # (PyTorch divides by zero here)
            raise ValueError("step must be nonzero")
        n = builtins.int((xe - xs) / xst) + 1
    return _range_result(_affine_values(start, step, n, dtype), dtype, device, requires_grad,
                         out)


def _space_args(fn, start, end, steps):
    """Validate linspace/logspace arguments; returns Python numbers and the step count."""
    if isinstance(start, Tensor) and start.ndim or isinstance(end, Tensor) and end.ndim:
        sd = start.ndim if isinstance(start, Tensor) else 0
        ed = end.ndim if isinstance(end, Tensor) else 0
        raise RuntimeError(f"{fn} only supports 0-dimensional start and end tensors, but got "
                           f"start with {sd} dimension(s) and end with {ed} dimension(s).")
    if isinstance(steps, Tensor) and steps.ndim == 0 and not steps.dtype.is_floating_point:
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{fn}(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _number(start, fn, "start", 1), _number(end, fn, "end", 2), builtins.int(steps)


def _space_dtype(dtype, out, start, end):
    default = _dt.get_default_dtype()
    if isinstance(start, builtins.complex) or isinstance(end, builtins.complex):
        default = default.to_complex()
    return _out_dtype(dtype, out, default)


# A type wide enough to hold start + step * i exactly before one rounding.
_WIDER = {np.dtype(np.float32): np.float64, np.dtype(np.float64): np.longdouble,
          np.dtype(np.complex64): np.complex128, np.dtype(np.complex128): np.clongdouble}


def _linspace_values(start, end, steps, dtype, fused=True):
    """PyTorch's linspace kernel: the first half counts up from start, the second half down
    from end, so both ends are exact. Floats compute in the result's precision; integer types
    convert start/end to the type and step in double. The kernel's multiply-add is fused by
    the compiler, so each value is computed here in a wider type and rounded once, which
    reproduces its results (and hence the integer truncations) exactly; logspace's kernel
    is not fused (`fused=False`)."""
    if dtype.is_complex:
        ct = np.dtype(np.complex128 if dtype is _dt.complex128 else np.complex64)
    elif dtype.is_floating_point:
        ct = np.dtype(np.float64 if dtype is _dt.float64 else np.float32)
    else:
        ct = np.dtype(np.float64)
    if steps == 0:
        return np.empty(0, ct)
    if not dtype.is_complex:
        start = _fill_value(start, dtype)
        if steps == 1:   # PyTorch fills with start and never converts end
            return np.full(1, start, ct)
        end = _fill_value(end, dtype)
    s, e = ct.type(start), ct.type(end)
    if steps == 1:
        return np.full(1, s, ct)
    step = (e - s) / ct.type(steps - 1)
    wide = _WIDER[ct] if fused else ct.type
    idx = np.arange(steps, dtype=wide)
    half = steps // 2
    vals = np.empty(steps, wide)
    vals[:half] = wide(s) + wide(step) * idx[:half]
    vals[half:] = wide(e) - wide(step) * (wide(steps - 1) - idx[half:])
    return vals.astype(ct)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """`steps` values evenly spaced from `start` to `end` inclusive (default dtype)."""
    start, end, steps = _space_args("linspace", start, end, steps)
    dtype = _space_dtype(dtype, out, start, end)
    if dtype is _dt.bool:
        raise _not_implemented("linspace_cpu", dtype)
    vals = _linspace_values(start, end, steps, dtype)
    return _range_result(vals.astype(_dt.to_np(dtype), copy=False), dtype, device,
                         requires_grad, out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """base ** linspace(start, end, steps): the exponents as linspace computes them, the power
    in double precision."""
    start, end, steps = _space_args("logspace", start, end, steps)
    dtype = _space_dtype(dtype, out, start, end)
    if dtype is _dt.bool:
        raise _not_implemented("logspace_cpu", dtype)
    if steps == 1:   # PyTorch fills with base ** start, start unconverted
        exps = np.array([start])
    else:
        exps = _linspace_values(start, end, steps, dtype, fused=False)
    wide = np.complex128 if exps.dtype.kind == "c" else np.float64
    vals = np.power(wide(base), exps.astype(wide))
    return _range_result(vals.astype(_dt.to_np(dtype)), dtype, device, requires_grad, out)


# ---------------------------------------------------------------- eye, empty_strided
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    dtype = _out_dtype(dtype, out, _dt.get_default_dtype())
    dev = _device(device) if out is None or device is not None else out._device
    arr = xp_for(dev).eye(builtins.int(n), None if m is None else builtins.int(m),
                          dtype=_dt.to_np(dtype))
    t = _make(arr, dev)
    if out is not None:
        return write_out(t, out)
    return _leaf_requires_grad(t) if requires_grad else t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor with the given strides (in elements) over fresh storage."""
    size, stride = tuple(builtins.int(s) for s in size), tuple(builtins.int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    parse_size((size,), "empty_strided")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    dtype = _dt.as_dtype(dtype) or _dt.get_default_dtype()
    dev = _device(device)
    xp = xp_for(dev)
    npdt = _dt.to_np(dtype)
    storage = 0 if 0 in size else 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    buf = xp.empty(storage, npdt)
    arr = xp.lib.stride_tricks.as_strided(buf, size, tuple(s * buf.itemsize for s in stride))
    t = _make(arr, dev)
    return _leaf_requires_grad(t) if requires_grad else t


# ---------------------------------------------------------------- complex, polar
def broadcast_shape(a, b):
    """The broadcast of two shapes, with PyTorch's error when they don't broadcast."""
    n = builtins.max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _complex_np(real_np):
    return np.dtype(np.complex128 if real_np == np.float64 else np.complex64)


class Complex(Op):
    """real + i*imag from two real tensors of one floating dtype."""
    @staticmethod
    def forward(ctx, re, im):
        xp = xp_of(re)
        out = xp.empty(broadcast_shape(re.shape, im.shape), _complex_np(re.dtype))
        out.real = re
        out.imag = im
        return out

    @staticmethod
    def backward(ctx, g):
        return _real(g), _imag(g)


class _RealPart(Op):
    """Re(z) as a copy; only used inside backward formulas (so double backward works)."""
    _name = "RealBackward0"

    @staticmethod
    def forward(ctx, z):
        return z.real.copy() if z.dtype.kind == "c" else z.copy()

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(g, zeros_like(g))


class _ImagPart(Op):
    _name = "ImagBackward0"

    @staticmethod
    def forward(ctx, z):
        return z.imag.copy() if z.dtype.kind == "c" else xp_of(z).zeros_like(z)

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(zeros_like(g), g)


def _real(z):
    return _RealPart.apply(z)


def _imag(z):
    return _ImagPart.apply(z)


def _check_complex_inputs(fn, a, b, names):
    for x, name, pos in ((a, names[0], 1), (b, names[1], 2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(x).__name__}")
    ok = (_dt.float16, _dt.float32, _dt.float64)
    if a.dtype not in ok or b.dtype not in ok:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_type_word(a.dtype)} and {_type_word(b.dtype)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_type_word(a.dtype)} but got scalar "
                           f"type {_type_word(b.dtype)} for second argument")
    if a.dtype is _dt.float16:
        raise NotImplementedError("ember has no complex32 (ComplexHalf) dtype; use float32 or "
                                  "float64 inputs")


def _complex_out(r, out):
    if out is not None and out.dtype is not r.dtype:
        raise RuntimeError(f"Expected object of scalar type {_type_word(r.dtype)} but got scalar "
                           f"type {_type_word(out.dtype)} for argument 'out'")
    return r if out is None else write_out(r, out)


def complex(real, imag, *, out=None):
    """A complex tensor from real and imaginary parts (float -> complex64, double ->
    complex128); differentiable in both."""
    _check_complex_inputs("complex", real, imag, ("real", "imag"))
    return _complex_out(Complex.apply(real, imag), out)


class Polar(Op):
    """abs * (cos(angle) + i sin(angle))."""
    @staticmethod
    def forward(ctx, r, theta):
        xp = xp_of(r)
        out = xp.empty(broadcast_shape(r.shape, theta.shape), _complex_np(r.dtype))
        out.real = r * xp.cos(theta)
        out.imag = r * xp.sin(theta)
        if ctx.needs_input_grad:
            ctx.save_for_backward(theta, out)
        return out

    @staticmethod
    def backward(ctx, g):
        theta, z = ctx.saved_tensors
        g_re, g_im = _real(g), _imag(g)
        unit = Polar.apply(ones_like(theta), theta)
        # d/d abs = Re(g * conj(e^{i angle})); d/d angle = Im(conj(z) * g)
        grad_r = g_re * _real(unit) + g_im * _imag(unit)
        grad_theta = _real(z) * g_im - _imag(z) * g_re
        return grad_r, grad_theta


def polar(abs, angle, *, out=None):
    """The complex tensor with magnitude `abs` and phase `angle`; differentiable in both."""
    if _amp_on[0] and out is None:
        abs, angle = _amp.maybe_cast("polar", abs, angle)
    _check_complex_inputs("polar", abs, angle, ("abs", "angle"))
    return _complex_out(Polar.apply(abs, angle), out)


# ---------------------------------------------------------------- Tensor.new_*
_NEW_TENSOR_WARNING = ("To copy construct from a tensor, it is recommended to use "
                       "sourceTensor.detach().clone() or "
                       "sourceTensor.detach().clone().requires_grad_(True), rather than "
                       "tensor.new_tensor(sourceTensor).")


def _new_opts(self, dtype, device):
    return (_dt.as_dtype(dtype) or self.dtype,
            self._device if device is None else _device(device))


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    """A copy of `data` with this tensor's dtype and device unless given."""
    if isinstance(data, Tensor):
        warnings.warn(_NEW_TENSOR_WARNING, UserWarning, stacklevel=2)
    dtype, dev = _new_opts(self, dtype, device)
    return tensor(data, dtype=dtype, device=dev, requires_grad=requires_grad)


def _new_size(fn, args, size):
    if size is not None:
        if args:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        args = (size,)
    if not args:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    return parse_size(args, fn)


def _new_filled(fn, value, self, args, size, dtype, device, requires_grad):
    dtype, dev = _new_opts(self, dtype, device)
    return _filled(fn, _new_size(fn, args, size), value, dtype, dev, requires_grad, None)


def new_zeros(self, *args, size=None, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    return _new_filled("new_zeros", 0, self, args, size, dtype, device, requires_grad)


def new_ones(self, *args, size=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    return _new_filled("new_ones", 1, self, args, size, dtype, device, requires_grad)


def new_empty(self, *args, size=None, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    return _new_filled("new_empty", None, self, args, size, dtype, device, requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype, dev = _new_opts(self, dtype, device)
    return _filled("new_full", parse_size((size,), "new_full"), fill_value, dtype, dev,
                   requires_grad, None)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    dtype, dev = _new_opts(self, dtype, device)
    return empty_strided(size, stride, dtype=dtype, device=dev, requires_grad=requires_grad)


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
