"""Indexing: `x[...]` reads and writes, gather/scatter, index_*, masked_*, take/put, where,
nonzero, fill_/zero_/copy_.

Almost everything rests on three ops over a parsed index, a `_Key`:

* `Index` reads `a[key]`; its backward `IndexBackward` scatters the gradient into zeros
  (`np.add.at` where the key may hit a position twice, so repeats accumulate). Each is the
  other's backward, so every read op is differentiable twice.
* `IndexPut` writes `a[key] = v` (or accumulates, `np.add.at`) into a copy of `a`; in-place
  forms finish with `_util.apply_inplace`.

A `_Key` is applied in PyTorch's two stages: first the basic part (ints, slices, None) gives
a view, then the advanced part (int arrays, bool masks, full slices) indexes that view. The
split matters: NumPy treats an int next to an array index as one more advanced index (so
`x[0, :, [1, 2]]` would put the advanced dim first), PyTorch selects with it first.
"""
import builtins
import operator
import warnings

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _make
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ..autograd import grad_mode
from ._util import (infer_size, write_out, apply_inplace, wrap_dim, xp_of,
                    check_inplace_allowed, _type_word)
from .arith import _cast
from .shape import _mark_view

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = ["index_select", "masked_select", "masked_fill", "masked_scatter", "gather",
           "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
           "index_put", "index_put_", "index_reduce", "take", "take_along_dim", "put",
           "nonzero", "argwhere", "where", "fill", "fill_", "zero_"]

_enabled = grad_mode._enabled
_SCALAR_TYPES = (bool, int, float, complex, np.generic)


# ---------------------------------------------------------------- small helpers
def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _type_name(o):
    t = type(o)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _tensor_of(arr, dev):
    """A constant (graph-less) Tensor for a raw array, e.g. a mask used inside a backward."""
    return _make(arr, dev)


_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "uint8": "unsigned char", "int8": "signed char",
          "int16": "short int", "int32": "int", "int64": "long int",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
          "bool": "bool"}
_OVERFLOW_CTYPE = dict(_CTYPE, uint8="uint8_t", int8="int8_t", int16="int16_t",
                       int64="int64_t")


_LIMITS = {}


def _limits(dt):
    """(min, max) a dtype can hold, cached: np.finfo/np.iinfo are slow to call per fill."""
    lim = _LIMITS.get(dt)
    if lim is None:
        info = np.iinfo(dt.np) if dt.category == _dt._INT else _dt.np_finfo(_dt.to_np(dt))
        lim = _LIMITS[dt] = (info.min, info.max) if dt.category == _dt._INT else \
            (-float(info.max), float(info.max))
    return lim


def _scalar_for(value, dt):
    """A Python scalar converted to dtype `dt` as PyTorch does when filling: ints truncate,
    a value the dtype cannot hold raises."""
    if isinstance(value, np.generic):
        value = value.item()
    if dt is _dt.bool:
        return builtins.bool(value)
    if dt.is_complex:
        return complex(value)
    if isinstance(value, complex):
        if value.imag != 0:
            raise _overflow(dt)
        value = value.real
    lo, hi = _limits(dt)
    if dt.category == _dt._INT:
        if value.__class__ is float and not (value == value and abs(value) != np.inf):
            raise _overflow(dt)
        v = int(value)
        if not lo <= v <= hi:
            raise _overflow(dt)
        return v
    value = float(value)
    if (value > hi or value < lo) and abs(value) != np.inf:
        raise _overflow(dt)
    return value


def _overflow(dt):
    return RuntimeError(f"value cannot be converted to type {_OVERFLOW_CTYPE[dt.name]} without "
                        "overflow")


def _check_index_dtype(index, allowed, msg, exc=RuntimeError):
    if not isinstance(index, Tensor):
        raise TypeError(f"expected Tensor as index argument, but got {_type_name(index)}")
    if index.dtype not in allowed:
        raise exc(msg.format(_type_word(index.dtype)))


_LONG_INT = (_dt.int64, _dt.int32)
_LONG = (_dt.int64,)


def _range_error(arr, lo, hi):
    """The first value of `arr` outside [lo, hi), or None."""
    if arr.size == 0:
        return None
    bad = (arr < lo) | (arr >= hi)
    if not bad.any():
        return None
    return int(arr[bad].reshape(-1)[0])


def _value_tensor(value, what):
    """A fill value: a Python scalar, or a 0-dim Tensor (its gradient flows)."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"{what} only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    return value


def _value_array(value, dt, xp):
    """A fill value as a 0-dim array of dtype `dt` (no float64 leaks)."""
    if isinstance(value, Tensor):
        a = value._data
        if a.dtype.kind == "c" and dt.np.kind != "c":
            a = a.real
        return a.astype(dt.np) if a.dtype != dt.np else a
    return xp.asarray(_scalar_for(value, dt), dtype=dt.np)


# ---------------------------------------------------------------- the parsed index
class _Key:
    """An index in PyTorch's two stages: `basic` (a tuple of ints/slices/None ending in
    Ellipsis, so NumPy returns a view even for a 0-dim result; or None) and `adv` (a tuple of
    int arrays, bool masks and full slices applied to that view; or None)."""
    __slots__ = ("basic", "adv", "unique", "name")

    def __init__(self, basic=None, adv=None, unique=True, name="IndexBackward0"):
        self.basic, self.adv, self.unique, self.name = basic, adv, unique, name

    def view(self, a):
        return a if self.basic is None else a[self.basic]

    def read(self, a):
        v = self.view(a)
        if self.adv is None:
            return v
        try:
            return v[self.adv]
        except IndexError:
            self._adv_error(v.shape)
            raise

    def write(self, a, value):
        """a[key] = value, in place (value already of a's dtype or a scalar)."""
        v = self.view(a)
        try:
            if self.adv is None:
                v[...] = value
            else:
                v[self.adv] = value
        except IndexError:
            self._adv_error(v.shape)
            raise
        except ValueError:
            self._value_error(a, value)
            raise

    def accumulate(self, a, value):
        """a[key] += value, in place, every occurrence of a repeated position counting."""
        v = self.view(a)
        try:
            if self.adv is None:
                v += value
            elif self.unique:
                v[self.adv] += value
            else:
                xp_of(a).add.at(v, self.adv, _strip_leading_ones(value))
        except IndexError:
            self._adv_error(v.shape)
            raise
        except ValueError:
            self._value_error(a, value)
            raise

    def slot_shape(self, a):
        """The shape of a[key], without reading a (a zero-strided stand-in is indexed)."""
        xp = xp_of(a)
        return self.read(xp.broadcast_to(xp.zeros((), a.dtype), a.shape)).shape

    def _adv_error(self, vshape):
        """Turn NumPy's IndexError into PyTorch's (dims counted among the advanced indices)."""
        shapes, d, k = [], 0, 0
        for it in self.adv:
            if it.__class__ is slice:
                d += 1
                continue
            if it.dtype.kind == "b":
                n = int(it.sum())
                shapes += [[n]] * it.ndim
                d += it.ndim
                k += it.ndim
                continue
            size = vshape[d]
            bad = _range_error(it, -size, size)
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for dimension {k} with size "
                                 f"{size}")
            shapes.append(list(it.shape))
            d += 1
            k += 1
        try:
            np.broadcast_shapes(*[tuple(s) for s in shapes])
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             "with shapes " + ", ".join(_shape_str(s) for s in shapes)) from None

    def _value_error(self, a, value):
        slot = self.slot_shape(a)
        vshape = tuple(getattr(value, "shape", ()))
        if self.adv is not None:
            raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_str(vshape)} "
                               f"cannot be broadcast to indexing result of shape "
                               f"{_shape_str(slot)}")
        _expand_error(vshape, slot, _dt.from_np(a.dtype))


def _strip_leading_ones(v):
    """Drop a value's leading size-1 dims (assignment ignores them; ufunc.at would not)."""
    shape = getattr(v, "shape", ())
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return v.reshape(shape[k:]) if k else v


def _expand_error(vshape, slot, dt):
    """PyTorch's error for copying a value of shape vshape into a view of shape slot."""
    from ..tensor_types import type_name
    from ..device import cpu
    v = list(vshape)
    while len(v) > len(slot) and v[0] == 1:
        v.pop(0)
    if len(v) > len(slot):
        raise RuntimeError(f"expand({type_name(dt, cpu)}{{{_shape_str(v)}}}, "
                           f"size={_shape_str(slot)}): the number of sizes provided "
                           f"({len(slot)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(v)})")
    lead = len(slot) - len(v)
    for i, s in enumerate(v):
        if s != 1 and s != slot[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({slot[lead + i]}) must match "
                               f"the existing size ({s}) at non-singleton dimension {lead + i}."
                               f"  Target sizes: {_shape_str(slot)}.  Tensor sizes: "
                               f"{_shape_str(v)}")


# Parsed index items: (kind, payload)
_INT, _SLICE, _NONE, _ELL, _ARR, _MASK, _BOOL = range(7)
_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
              "are valid indices (got {})")


def _seq_as_tuple(seq):
    """PyTorch (like old NumPy) reads a short list holding slices, None, Ellipsis, tensors or
    sequences as a tuple of indices (with a deprecation warning)."""
    if len(seq) >= 32:
        return False
    for it in seq:
        if it is None or it is Ellipsis or isinstance(it, (slice, Tensor, list, tuple,
                                                           np.ndarray, range)):
            return True
    return False


def _array_item(arr, xp):
    """An index array (NumPy/CuPy) -> parsed item, with PyTorch's dtype rules."""
    kind = arr.dtype.kind
    if arr.dtype == np.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        arr = arr.astype(bool)
        kind = "b"
    if kind == "b":
        if arr.ndim == 0:
            return (_BOOL, builtins.bool(arr))
        return (_MASK, arr)
    if arr.dtype not in (np.int64, np.int32):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if arr.ndim == 0:
        return (_INT, int(arr))
    if xp is not np and xp_of(arr) is np:
        arr = xp.asarray(arr)
    return (_ARR, arr)


def _seq_item(seq, xp):
    """A (nested) list used as one index: a bool mask if all bools, else int64."""
    try:
        arr = np.array([np.asarray(s) if isinstance(s, Tensor) else s for s in seq]) \
            if builtins.any(isinstance(s, Tensor) for s in seq) else np.array(seq)
    except ValueError as e:
        raise IndexError(str(e)) from None
    if arr.dtype.kind in "USO":
        bad = next((s for s in np.ravel(np.array(seq, dtype=object))
                    if not isinstance(s, (bool, int, float, np.generic))), seq)
        raise TypeError(f"new(): invalid data type '{_type_name(bad)}'")
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype.kind != "b":
        arr = arr.astype(np.int64)
        return (_ARR, arr if xp is np else xp.asarray(arr))
    return (_MASK, arr if xp is np else xp.asarray(arr))


def _item(it, xp):
    if it is None:
        return (_NONE, None)
    if it is Ellipsis:
        return (_ELL, None)
    cls = it.__class__
    if cls is int:
        return (_INT, it)
    if cls is slice:
        return (_SLICE, _check_slice(it))
    if cls is bool:
        return (_BOOL, it)
    if isinstance(it, Tensor):
        return _array_item(it._data, xp)
    if isinstance(it, np.ndarray) or hasattr(it, "__cuda_array_interface__"):
        return _array_item(it, xp)
    if isinstance(it, (list, tuple)):
        return _seq_item(it, xp)
    if isinstance(it, range) or (hasattr(cls, "__len__") and hasattr(cls, "__getitem__") and
                                 not isinstance(it, (str, bytes, dict))):
        # any other sequence (range, deque, array.array) indexes as its list, as in PyTorch
        return _seq_item(list(it), xp)
    if isinstance(it, np.bool_) or not hasattr(cls, "__index__"):
        raise IndexError(_BAD_INDEX.format(_type_name(it)))
    return (_INT, operator.index(it))


def _check_slice(s):
    start, stop, step = s.start, s.stop, s.step
    if step is not None:
        step = operator.index(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    if (start is None or start.__class__ is int) and (stop is None or stop.__class__ is int):
        return s if step is None or step.__class__ is int else slice(start, stop, step)
    return slice(None if start is None else operator.index(start),
                 None if stop is None else operator.index(stop), step)


def _parse(a, index):
    """`x[index]` for array `a` -> _Key, with PyTorch's errors."""
    xp = xp_of(a)
    single = False
    if index.__class__ is not tuple:
        if isinstance(index, list) and _seq_as_tuple(index):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is "
                          "deprecated and will be changed in pytorch 2.9; use x[tuple(seq)] "
                          "instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor "
                          "index, x[torch.tensor(seq)], which will result either in an error or "
                          "a different result", UserWarning, stacklevel=3)
            index = tuple(index)
        else:
            index = (index,)
            single = True
    items = [_item(it, xp) for it in index]
    shape = a.shape
    ndim = len(shape)
    consumed = 0
    for kind, val in items:
        if kind is _INT or kind is _SLICE or kind is _ARR:
            consumed += 1
        elif kind is _MASK:
            consumed += val.ndim
    if ndim == 0 and builtins.any(k is _INT for k, _ in items):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    basic, adv = [], []       # adv: (view dim, array)
    src = dst = 0
    seen_ell = False
    name = "AliasBackward0"
    for kind, val in items:
        if kind is _INT:
            size = shape[src]
            if not -size <= val < size:
                raise IndexError(f"index {val} is out of bounds for dimension {dst} with size "
                                 f"{size}")
            basic.append(val)
            src += 1
            name = "SelectBackward0"
        elif kind is _SLICE:
            basic.append(val)
            if single or not _whole(val, shape[src]):
                name = "SliceBackward0"   # PyTorch skips full slices inside a tuple
            src += 1
            dst += 1
        elif kind is _NONE:
            basic.append(None)
            dst += 1
            name = "UnsqueezeBackward0"
        elif kind is _ELL:
            span = 0 if seen_ell else ndim - consumed
            seen_ell = True
            basic += [slice(None)] * span
            src += span
            dst += span
        elif kind is _BOOL:
            # PyTorch: unsqueeze, then index the new dim with [0] (True) or [] (False)
            basic.append(None)
            adv.append((dst, xp.zeros(1 if val else 0, np.int64)))
            dst += 1
        elif kind is _ARR:
            basic.append(slice(None))
            adv.append((dst, val))
            src += 1
            dst += 1
        else:   # mask
            m = val.ndim
            basic += [slice(None)] * m
            adv.append((dst, val))
            src += m
            dst += m
    trivial = builtins.all(b.__class__ is slice and b == slice(None) for b in basic)
    if not adv:
        return _Key(None if trivial else tuple(basic) + (Ellipsis,), None, True, name)
    basic = None if trivial else tuple(basic) + (Ellipsis,)
    vshape = a[basic].shape if basic is not None else shape
    return _Key(basic, _adv_tuple(adv, vshape), _adv_unique(adv), "IndexBackward0")


def _adv_tuple(adv, vshape):
    """The advanced stage over the view's dims: arrays where given, full slices elsewhere."""
    at = dict(adv)
    key = []
    d = 0
    while d < len(vshape):
        arr = at.get(d)
        if arr is None:
            key.append(slice(None))
            d += 1
            continue
        if arr.dtype.kind == "b":
            want = vshape[d:d + arr.ndim]
            if tuple(arr.shape) != tuple(want):
                j = next(j for j in range(arr.ndim) if j >= len(want) or arr.shape[j] != want[j])
                raise IndexError(f"The shape of the mask {_shape_str(arr.shape)} at index {j} "
                                 f"does not match the shape of the indexed tensor "
                                 f"{_shape_str(vshape)} at index {d + j}")
            d += arr.ndim
        else:
            d += 1
        key.append(arr)
    while key and key[-1].__class__ is slice:
        key.pop()
    return tuple(key)


def _adv_unique(adv):
    """Whether no position can be hit twice (then scatter can assign instead of add.at)."""
    return len(adv) == 1 and adv[0][1].dtype.kind == "b"


# ---------------------------------------------------------------- the primitives
class Index(Op):
    """out = a[key] (a view when the key is basic)."""

    @staticmethod
    def forward(ctx, a, key):
        ctx.key, ctx.in_shape = key, a.shape
        ctx._name = key.name
        return key.read(a)

    @staticmethod
    def backward(ctx, g):
        return IndexBackward.apply(g, ctx.in_shape, ctx.key), None


class IndexBackward(Op):
    """zeros(shape) with g scattered (accumulated) into [key]: the adjoint of Index."""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        z = xp_of(g).zeros(shape, g.dtype)
        if key.unique:
            key.write(z, g)
        else:
            key.accumulate(z, g)
        return z

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.key), None, None


class IndexPut(Op):
    """out = a.copy(); out[key] = v (or += alpha * v). With `done`, a already holds the result
    (an in-place write through a view) and only the graph node is wanted."""

    @staticmethod
    def forward(ctx, a, v, key, accumulate, alpha, name, done=False):
        ctx.key, ctx.accumulate, ctx.alpha = key, accumulate, alpha
        ctx.vshape = getattr(v, "shape", ())
        ctx._name = name
        if done:
            return a
        out = a.copy()
        val = v
        if hasattr(v, "dtype") and not isinstance(v, np.generic):
            if val.dtype != a.dtype:
                if val.dtype.kind == "c" and a.dtype.kind != "c":
                    val = val.real
                val = val.astype(a.dtype)
        if accumulate:
            if alpha != 1:
                val = val * alpha
                if getattr(val, "dtype", a.dtype) != a.dtype:
                    val = val.astype(a.dtype)
            key.accumulate(out, val)
        else:
            key.write(out, val)
        return out

    @staticmethod
    def backward(ctx, g):
        key = ctx.key
        need = ctx.needs_input_grad
        ga = gv = None
        if need[0]:
            ga = g if ctx.accumulate else IndexPut.apply(g, 0, key, False, 1, "IndexPutBackward0")
        if len(need) > 1 and need[1]:
            gv = Index.apply(g, key)
            if ctx.accumulate and ctx.alpha != 1:
                gv = gv * ctx.alpha
            extra = len(ctx.vshape) - gv.ndim
            if extra > 0:   # the value had leading size-1 dims that assignment dropped
                gv = gv.reshape((1,) * extra + tuple(gv.shape))
        return ga, gv, None, None, None, None, None


class _ViewOf:
    """Set on a basic-index view so an in-place op on it updates its base's place in the graph
    (PyTorch's CopySlices): base becomes IndexPut(base, result) and the view a view of that.
    Called by `_util.apply_inplace` after the data was written through the view."""
    __slots__ = ("base", "key")

    def __init__(self, base, key):
        self.base, self.key = base, key

    def __call__(self, view, result):
        base, key = self.base, self.key
        new = IndexPut.apply(base, result, key, False, 1, "CopySlices", True)
        _take_graph_place(base, new)
        v = Index.apply(base, key)
        view.grad_fn, view._output_nr, view._requires_grad = v.grad_fn, 0, True


def _take_graph_place(t, new):
    rebase = t.__dict__.get("_rebase_view")
    if rebase is not None:
        rebase(t, new)
    elif t.__dict__.get("_base_view") is not None:
        raise NotImplementedError(
            "ember does not yet support in-place operations that need gradients on a view of "
            "this kind of view; apply the op to the base tensor or use an out-of-place op")
    else:
        t.grad_fn, t._output_nr, t._requires_grad = new.grad_fn, new._output_nr, True


def _view(self, key):
    """Index with a basic key: a view sharing memory and version counter with self."""
    out = _mark_view(Index.apply(self, key), self)
    if _enabled[0]:
        out.__dict__["_rebase_view"] = _ViewOf(self, key)
    return out


# ---------------------------------------------------------------- x[index], x[index] = v
def _whole(s, n):
    """PyTorch's test for skipping a slice inside a tuple (raw bounds: no negative wrap)."""
    return ((s.start is None or s.start == 0) and (s.step is None or s.step == 1)
            and (s.stop is None or s.stop >= n))


def _fast_basic(shape, index):
    """The key for the common x[i], x[a:b], x[i, j], x[:, i] (ints and slices only), or None."""
    single = index.__class__ is not tuple     # PyTorch keeps even a full slice then
    items = (index,) if single else index
    if len(items) > len(shape):
        return None
    basic = []
    name = "AliasBackward0"
    for d, it in enumerate(items):
        cls = it.__class__
        if cls is int:
            size = shape[d]
            if not -size <= it < size:
                return None     # the full parser raises PyTorch's error
            name = "SelectBackward0"
        elif cls is slice and (it.step is None or it.step.__class__ is int and it.step > 0):
            if single or not _whole(it, shape[d]):
                name = "SliceBackward0"
        else:
            return None
        basic.append(it)
    basic.append(Ellipsis)
    return _Key(tuple(basic), None, True, name)


def getitem(self, index):
    a = self._data
    key = _fast_basic(a.shape, index) if a.ndim else None
    if key is None:
        key = _parse(a, index)
        if key.adv is not None:
            return Index.apply(self, key)
    if not _enabled[0]:
        return _mark_view(_make(key.view(a), self._device), self)
    if self._requires_grad:
        return _view(self, key)
    out = _mark_view(_make(key.view(a), self._device), self)
    # an in-place op with a grad-requiring operand may still write through this view
    out.__dict__["_rebase_view"] = _ViewOf(self, key)
    return out


def _setitem_value(self, value):
    """(raw value cast to self's dtype, Tensor or None)"""
    dt = self.dtype
    if isinstance(value, Tensor):
        a = value._data
        if value._device is not self._device:
            if value.ndim != 0:
                raise RuntimeError(f"Expected all tensors to be on the same device, but found "
                                   f"at least two devices, {self._device} and "
                                   f"{value._device}!")
            return _scalar_for(value.item(), dt), None
        if a.dtype != dt.np:
            if a.dtype.kind == "c" and dt.np.kind != "c":
                a = a.real
            a = a.astype(dt.np)
        return a, value
    if isinstance(value, _SCALAR_TYPES) and not isinstance(value, np.ndarray):
        return _scalar_for(value, dt), None
    raise TypeError(f"can't assign a {_type_name(value)} to a {self.type()}")


def setitem(self, index, value):
    a = self._data
    key = (_fast_basic(a.shape, index) if a.ndim else None) or _parse(a, index)
    val, vt = _setitem_value(self, value)
    if vt is not None and key.adv is not None and vt.dtype is not self.dtype and not (
            vt.ndim == 0 and isinstance(index, Tensor) and index.dtype is _dt.bool):
        # (PyTorch takes x[mask] = 0-dim tensor as masked_fill_, which casts)
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_word(self.dtype)} for the destination and "
                           f"{_type_word(vt.dtype)} for the source.")
    if _enabled[0] and (self._requires_grad or (vt is not None and vt._requires_grad)):
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError(("a view of a leaf Variable" if key.adv is None else
                                "a leaf Variable") + " that requires grad is being used in an "
                               "in-place operation.")
        name = "CopySlices" if key.adv is None else "IndexPutBackward0"
        r = IndexPut.apply(self, vt if vt is not None else val, key, False, 1, name)
        apply_inplace(self, r)
        return
    if not self._data.flags.writeable:
        check_inplace_allowed(self)
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")
    key.write(self._data, val)
    self._vc[0] += 1


# ---------------------------------------------------------------- index_put
def _index_put_key(self, indices):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not "
                        f"{_type_name(indices)}")
    for k, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got "
                            f"{_type_name(t)}")
    if not indices:
        raise RuntimeError("index_put_(): indices must be a non-empty sequence of Tensors")
    consumed = builtins.sum(t.ndim if t.dtype in (_dt.bool, _dt.uint8) else 1 for t in indices)
    if consumed > self.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self.ndim} (got "
                         f"{consumed})")
    # indices all start at dim 0 and are adjacent, so reading a 0-dim int tensor as a select
    # (as x[...] does) gives the same positions and layout as PyTorch's index_put
    key = _parse(self._data, tuple(indices))
    key.name = "IndexPutBackward0"
    return key


def _check_values(self, values, what="index_put"):
    if not isinstance(values, Tensor):
        raise TypeError(f"{what}(): argument 'values' (position 2) must be Tensor, not "
                        f"{_type_name(values)}")
    if values.dtype is not self.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_word(self.dtype)} for the destination and "
                           f"{_type_word(values.dtype)} for the source.")


def index_put(input, indices, values, accumulate=False):
    if _amp_on[0]:
        input, values = _amp.maybe_cast("index_put", input, values)
    _check_values(input, values)
    key = _index_put_key(input, indices)
    return IndexPut.apply(input, values, key, builtins.bool(accumulate), 1, "IndexPutBackward0")


def index_put_(input, indices, values, accumulate=False):
    _check_values(input, values, "index_put_")
    key = _index_put_key(input, indices)
    if input._data.flags.writeable and not (
            _enabled[0] and (input._requires_grad or values._requires_grad)):
        v = values._data
        if accumulate:
            key.accumulate(input._data, v)
        else:
            key.write(input._data, v)
        input._vc[0] += 1
        return input
    return apply_inplace(input, IndexPut.apply(input, values, key, builtins.bool(accumulate), 1,
                                               "IndexPutBackward0"))


# ---------------------------------------------------------------- gather / scatter
def _dims1(shape):
    """PyTorch checks gather/scatter shapes treating a 0-dim tensor as 1-dim."""
    return tuple(shape) if len(shape) else (1,)


def _gather_key(idx, dim, self_ndim, name, unique=False):
    """The key selecting self[..., idx[i,j,k], ...] at dim with i, j, k running over idx."""
    xp = xp_of(idx)
    if self_ndim == 0 or idx.ndim == 0:    # (PyTorch reads 0-dim as 1-dim here)
        return _Key(None if self_ndim else (None, Ellipsis), (idx,), unique, name)
    n = idx.ndim
    parts = []
    for k in range(n):
        if k == dim:
            parts.append(idx)
        else:
            s = [1] * n
            s[k] = idx.shape[k]
            parts.append(xp.arange(idx.shape[k]).reshape(s))
    return _Key(None, tuple(parts), unique, name)


def _check_gather_index(op, input, dim, index, src=None):
    """Validate dtype, rank, sizes and range of a gather/scatter index (PyTorch's messages).
    Returns the wrapped dim."""
    _check_index_dtype(index, _LONG_INT, op + "(): Expected dtype int32/int64 for index")
    dim = wrap_dim(dim, input.ndim)
    ishape, sshape = _dims1(index.shape), _dims1(input.shape)
    if len(ishape) != len(sshape):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           + ("input" if op == "gather" else "self") + " tensor")
    if src is not None and len(_dims1(src.shape)) != len(ishape):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if index.numel():
        if op == "gather":
            for k in range(len(ishape)):
                if k != dim and ishape[k] > sshape[k]:
                    raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                       f"{_shape_str(index.shape)} to be no larger than self "
                                       f"{_shape_str(input.shape)} apart from dimension {dim}")
        else:
            srcs = _dims1(src.shape) if src is not None else None
            for k in range(len(ishape)):
                if (k != dim and ishape[k] > sshape[k]) or (srcs is not None and
                                                              ishape[k] > srcs[k]):
                    msg = (f"Expected index {_shape_str(index.shape)} to be no larger than self "
                           f"{_shape_str(input.shape)} apart from dimension {dim}")
                    if src is not None:
                        msg += f" and to be no larger size than src {_shape_str(src.shape)}"
                    raise RuntimeError(msg)
        size = sshape[dim]
        bad = _range_error(index._data, 0, size)
        if bad is not None:
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size "
                               f"{size}")
    return dim


def _index_array(index):
    a = index._data
    return a if a.dtype == np.int64 else a.astype(np.int64)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    dim = _check_gather_index("gather", input, dim, index)
    key = _gather_key(_index_array(index), dim, input.ndim, "GatherBackward0")
    r = Index.apply(input, key)
    return r if out is None else write_out(r, out)


def _src_part(src, index):
    """src cut to index's shape (scatter reads only src[:i, :j, ...]); differentiable."""
    if src.shape == index.shape:
        return src
    if src.ndim == 0:
        src = src.reshape(1)
    if src.shape == index.shape:
        return src
    basic = tuple(slice(0, s) for s in index.shape) + (Ellipsis,)
    return Index.apply(src, _Key(basic, None, True, "SliceBackward0"))


def _scatter_value(input, src, value):
    if src is not None and value is not None:
        raise TypeError("scatter() got both 'src' and 'value'")
    v = src if src is not None else value
    if v is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    return v


def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    v = _scatter_value(input, src, value)
    is_tensor = isinstance(v, Tensor)
    if is_tensor and v.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    dim = _check_gather_index("scatter", input, dim, index, v if is_tensor else None)
    idx = _index_array(index)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if is_tensor:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated "
                          "and will be removed in a future PyTorch release. Use "
                          "torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        part = _src_part(v, index) if is_tensor else _make(
            xp_of(input._data).full(idx.shape, _scalar_for(v, input.dtype), input.dtype.np),
            input._device)
        r = ScatterReduce.apply(input, dim, idx, part, "sum" if reduce == "add" else "prod",
                                True, "NotImplemented")
    elif is_tensor:
        key = _gather_key(idx, dim, input.ndim, "ScatterBackward0")
        r = IndexPut.apply(input, _src_part(v, index), key, False, 1, "ScatterBackward0")
    else:
        key = _gather_key(idx, dim, input.ndim, "ScatterBackward1")
        r = IndexPut.apply(input, _scalar_for(v, input.dtype), key, False, 1,
                           "ScatterBackward1")
    return r if out is None else write_out(r, out)


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    return apply_inplace(self, scatter(self, dim, index, src, value, reduce=reduce))


def scatter_add(input, dim, index, src, *, out=None):
    if _amp_on[0] and out is None:
        input, src = _amp.maybe_cast("scatter_add", input, src)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{_type_name(src)}")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    dim = _check_gather_index("scatter", input, dim, index, src)
    key = _gather_key(_index_array(index), dim, input.ndim, "ScatterAddBackward0")
    r = IndexPut.apply(input, _src_part(src, index), key, True, 1, "ScatterAddBackward0")
    return r if out is None else write_out(r, out)


def scatter_add_(self, dim, index, src):
    return apply_inplace(self, scatter_add(self, dim, index, src))


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _ufunc_at(xp, reduce, out, key, v):
    uf = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
          "amin": xp.minimum}[reduce]
    with np.errstate(invalid="ignore"):     # NaN propagates, as in PyTorch
        uf.at(key.view(out), key.adv, v)


def _reduce_identity(reduce, npdt):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if npdt.kind == "f" or npdt.kind == "c":
        return -np.inf if reduce == "amax" else np.inf
    if npdt.kind == "b":
        return reduce == "amin"
    info = np.iinfo(npdt)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Op):
    """out = self with src reduced into out[gather-key(index)]; src has index's shape."""

    @staticmethod
    def forward(ctx, a, dim, idx, src, reduce, include_self, name, inplace=False):
        xp = xp_of(a)
        key = _gather_key(idx, dim, a.ndim, name)
        ctx.key, ctx.dim, ctx.idx, ctx.reduce, ctx.include_self = key, dim, idx, reduce, \
            include_self
        ctx._name = name
        out = a.copy()
        if not include_self:
            key.write(out, _reduce_identity(reduce, a.dtype))
        _ufunc_at(xp, reduce, out, key, src)
        if reduce == "mean":
            n = xp.full(a.shape, 1 if include_self else 0, a.dtype if a.dtype.kind == "f"
                        else np.int64)
            key.accumulate(n, 1)
            n[n == 0] = 1
            out = out / n if a.dtype.kind in "fc" else xp.floor_divide(out, n).astype(a.dtype)
            ctx.n = n
        if ctx.needs_input_grad and reduce in ("prod", "amax", "amin"):
            # an in-place call overwrites `a`: keep its values (as PyTorch saves self)
            ctx.save_for_backward(a.copy() if inplace else a, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx._name == "NotImplemented":     # scatter(..., reduce=): PyTorch has no gradient
            raise RuntimeError("derivative for aten::scatter is not implemented")
        key, reduce, dev = ctx.key, ctx.reduce, g._device
        if reduce == "sum":
            gs, gsrc = g, Index.apply(g, key)
        elif reduce == "mean":
            n = _tensor_of(ctx.n, dev)
            gs = g / n
            gsrc = Index.apply(gs, key)
        elif reduce in ("amax", "amin"):
            gs, gsrc = _minmax_grads(ctx, g, key)
        else:
            gs, gsrc = _prod_grads(ctx, g)
        if not ctx.include_self:
            gs = IndexPut.apply(gs, 0, key, False, 1, "ScatterBackward1")
        return gs, None, None, gsrc, None, None, None, None


def _minmax_grads(ctx, g, key):
    """The gradient shared evenly among the elements equal to the max/min (PyTorch's rule)."""
    a, src, out = ctx.saved_tensors
    dt, dev = g.dtype.np, g._device
    self_is = (a._data == out._data).astype(dt)
    src_is = (src._data == key.read(out._data)).astype(dt)
    n = self_is.copy()
    key.accumulate(n, src_is)
    gd = g / _tensor_of(n, dev)
    return gd * _tensor_of(self_is, dev), Index.apply(gd, key) * _tensor_of(src_is, dev)


def _prod_grads(ctx, g):
    """PyTorch's scatter_reduce prod backward: exclusive products where inputs are zero."""
    a, src, out = ctx.saved_tensors
    dev, xp = g._device, xp_of(g._data)
    inc, key, dim = ctx.include_self, ctx.key, ctx.dim
    self_zero = _tensor_of(a._data == 0, dev)
    masked_self = masked_fill(a, self_zero, 1)
    masked_self_result = ScatterReduce.apply(masked_self, dim, ctx.idx, src, "prod", inc,
                                             ctx._name)
    gs = g * masked_self_result / masked_self
    src_zero = src._data == 0
    nz = xp.zeros(a.shape, np.int64)
    key.accumulate(nz, src_zero.astype(np.int64))
    single = src_zero & (key.read(nz) == 1)
    single_t = _tensor_of(single, dev)
    masked_src = masked_fill(src, single_t, 1)
    masked_src_result = ScatterReduce.apply(a, dim, ctx.idx, masked_src, "prod", inc, ctx._name)
    gsrc = where(single_t, Index.apply(g * masked_src_result, key),
                 Index.apply(g * out, key) / masked_fill(src, _tensor_of(src_zero, dev), 1))
    return gs, gsrc


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None,
                   _inplace=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                        f"{_type_name(src)}")
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    dim = _check_gather_index("scatter", input, dim, index, src)
    r = ScatterReduce.apply(input, dim, _index_array(index), _src_part(src, index), reduce,
                            builtins.bool(include_self), "ScatterReduceBackward0", _inplace)
    return r if out is None else write_out(r, out)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    return apply_inplace(self, scatter_reduce(self, dim, index, src, reduce,
                                              include_self=include_self, _inplace=True))


# ---------------------------------------------------------------- index_select / index_*
def _dim_key(ndim, dim, idx, name, unique=False):
    """The key selecting positions idx along dim (a 0-dim input counts as 1-dim)."""
    if ndim == 0:
        return _Key((None, Ellipsis), (idx.reshape(-1),), unique, name)
    return _Key(None, (slice(None),) * dim + (idx.reshape(-1),), unique, name)


def index_select(input, dim, index, *, out=None):
    _check_index_dtype(index, _LONG_INT, "index_select(): Expected dtype int32 or int64 for "
                       "index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = wrap_dim(dim, input.ndim)
    size = _dims1(input.shape)[dim]
    idx = _index_array(index)
    bad = _range_error(idx, 0, size)
    if bad is not None:
        if bad < 0:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                               f"axis_dim={size}")
        raise IndexError("index out of range in self")
    r = Index.apply(input, _dim_key(input.ndim, dim, idx, "IndexSelectBackward0"))
    if input.ndim == 0:
        r = r.reshape(())
    return r if out is None else write_out(r, out)


def _index_dim_check(op, self, dim, index, source):
    """index_add_/index_reduce_: vector index, int32/int64, matching source shape and dtype."""
    _check_index_dtype(index, _LONG_INT, op + "(): Expected dtype int32/int64 for index but "
                       "got: {}")
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {_type_word(index.dtype)} and size: "
                         f"{_shape_str(index.shape)}")
    if not isinstance(source, Tensor):
        raise TypeError(f"{op[:-1]}(): argument 'source' (position 3) must be Tensor, not "
                        f"{_type_name(source)}")
    dim = wrap_dim(dim, self.ndim)
    n = index.numel()
    ssize = source.shape[dim] if dim < source.ndim else 1
    if n != ssize:
        raise RuntimeError(f"{op}(): Number of indices ({n}) should be equal to "
                           f"source.size(dim): ({ssize}), for dim: {dim}")
    if self.ndim != source.ndim or builtins.any(
            self.shape[k] != source.shape[k] for k in range(self.ndim) if k != dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {_shape_str(self.shape)} "
                           f"source.shape = {_shape_str(source.shape)}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"{op}(): self ({_type_word(self.dtype)}) and source "
                           f"({_type_word(source.dtype)}) must have the same scalar type")
    return dim


def index_add(input, dim, index, source, *, alpha=1, out=None):
    dim = _index_dim_check("index_add_", input, dim, index, source)
    idx = _index_array(index)
    size = _dims1(input.shape)[dim]
    bad = _range_error(idx, 0, size)
    if bad is not None:
        if input.ndim <= 1:   # PyTorch's 1-d kernel has its own message
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if not (input.dtype.is_floating_point or input.dtype.is_complex) and \
            isinstance(alpha, float):
        alpha = int(alpha)
    key = _dim_key(input.ndim, dim, idx, "IndexAddBackward0")
    r = IndexPut.apply(input, source, key, True, alpha, "IndexAddBackward0")
    return r if out is None else write_out(r, out)


def index_add_(self, dim, index, source, *, alpha=1):
    return apply_inplace(self, index_add(self, dim, index, source, alpha=alpha))


def index_copy(input, dim, index, source, *, out=None):
    if _amp_on[0] and out is None:
        input, source = _amp.maybe_cast("index_copy", input, source)
    _check_index_dtype(index, _LONG, "index_copy_(): Expected a long tensor for index, but got "
                       "{}")
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_copy(): argument 'source' (position 3) must be Tensor, not "
                        f"{_type_name(source)}")
    dim = wrap_dim(dim, input.ndim)
    n = index.numel()
    ssize = source.shape[dim] if dim < source.ndim else 1
    if n != ssize:
        raise IndexError(f"index_copy_(): Number of indices ({n}) should be equal to "
                         f"source.size(dim) ({ssize})")
    dslice = [s for k, s in enumerate(input.shape) if k != dim]
    sslice = [s for k, s in enumerate(source.shape) if k != dim]
    if input.ndim and source.ndim and dslice != sslice:
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, dslice))} at "
                           f"dimension {dim} and source slice shape: "
                           f"{' '.join(map(str, sslice))} at dimension 0.")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_type_word(input.dtype)} and (source) "
                           f"{_type_word(source.dtype)}")
    idx = _index_array(index)
    size = _dims1(input.shape)[dim]
    bad = _range_error(idx, 0, size)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {dim} "
                         f"with size {size}")
    key = _dim_key(input.ndim, dim, idx, "IndexCopyBackward0")
    r = IndexPut.apply(input, source, key, False, 1, "IndexCopyBackward0")
    return r if out is None else write_out(r, out)


def index_copy_(self, dim, index, source):
    return apply_inplace(self, index_copy(self, dim, index, source))


def index_fill(input, dim, index, value):
    _check_index_dtype(index, _LONG, "index_fill_(): Expected dtype int64 for index.",
                       IndexError)
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    value = _value_tensor(value, "index_fill_")
    dim = wrap_dim(dim, input.ndim)
    size = _dims1(input.shape)[dim]
    idx = _index_array(index)
    bad = _range_error(idx, -size, size)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if isinstance(value, Tensor):
        name = "IndexFillBackward1"
        v = value
    else:
        name = "IndexFillBackward0"
        v = _scalar_for(value, input.dtype)
    return IndexPut.apply(input, v, _dim_key(input.ndim, dim, idx, name), False, 1, name)


def index_fill_(self, dim, index, value):
    return apply_inplace(self, index_fill(self, dim, index, value))


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None,
                 _inplace=False):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    dim = _index_dim_check("index_reduce_", input, dim, index, source)
    idx = _index_array(index)
    size = _dims1(input.shape)[dim]
    if _range_error(idx, 0, size) is not None:
        raise IndexError("index out of range in self")
    # index_reduce is scatter_reduce with the index spread over source's shape
    if input.ndim == 0:
        full = idx.reshape(())
    else:
        s = [1] * source.ndim
        s[dim] = idx.size
        full = xp_of(idx).broadcast_to(idx.reshape(s), source.shape)
    r = ScatterReduce.apply(input, dim, full, source, reduce, builtins.bool(include_self),
                            "IndexReduceBackward0", _inplace)
    return r if out is None else write_out(r, out)


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return apply_inplace(self, index_reduce(self, dim, index, source, reduce,
                                            include_self=include_self, _inplace=True))


# ---------------------------------------------------------------- take / put
def _flat_key(shape, idx, name):
    """The key reading/writing self.flatten()[idx] without flattening."""
    n = 1
    for s in shape:
        n *= s
    bad = _range_error(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    xp = xp_of(idx)
    idx = xp.where(idx < 0, idx + n, idx) if idx.size else idx
    if len(shape) == 0:
        return _Key((None, Ellipsis), (idx,), False, name)
    return _Key(None, tuple(xp.unravel_index(idx, shape)), False, name)


def take(input, index, *, out=None):
    _check_index_dtype(index, _LONG, "take(): Expected a long tensor for index, but got {}")
    r = Index.apply(input, _flat_key(input.shape, index._data, "TakeBackward0"))
    return r if out is None else write_out(r, out)


def put(input, index, source, accumulate=False):
    _check_index_dtype(index, _LONG, "put_(): Expected a long tensor for index, but got {}")
    if not isinstance(source, Tensor):
        raise TypeError(f"put(): argument 'source' (position 2) must be Tensor, not "
                        f"{_type_name(source)}")
    if source.numel() != index.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, index.numel() "
                         f"= {index.numel()}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_type_word(input.dtype)} and source.dtype = "
                           f"{_type_word(source.dtype)}")
    key = _flat_key(input.shape, index._data, "PutBackward0")
    src = source if source.shape == index.shape else source.reshape(index.shape)
    return IndexPut.apply(input, src, key, builtins.bool(accumulate), 1, "PutBackward0")


def put_(self, index, source, accumulate=False):
    return apply_inplace(self, put(self, index, source, accumulate))


def take_along_dim(input, indices, dim=None, *, out=None):
    _check_index_dtype(indices, _LONG, "torch.take_along_dim(): dtype of indices should be Long "
                       "but got {}")
    if dim is None:
        r = gather(input.reshape(-1), 0, indices.reshape(-1))
        return r if out is None else write_out(r, out)
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    dim = wrap_dim(dim, input.ndim)
    s = list(input.shape)
    if s:
        s[dim] = indices.shape[dim]
    bshape = infer_size(s, indices.shape)
    if tuple(indices.shape) != bshape:
        indices = indices.expand(*bshape)
    s = list(bshape)
    if s:
        s[dim] = input.shape[dim]
    if tuple(input.shape) != tuple(s):
        input = input.expand(*s)
    r = gather(input, dim, indices)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- masks
def _check_mask(mask, what, word):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{what}(): argument 'mask' (position 1) must be Tensor, not "
                        f"{_type_name(mask)}")
    if mask.dtype is not _dt.bool:
        raise RuntimeError(f"{what} only supports boolean masks, but got mask with dtype "
                           f"{word(mask.dtype)}")


def masked_select(input, mask, *, out=None):
    if not isinstance(mask, Tensor) or mask.dtype is not _dt.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = infer_size(input.shape, mask.shape)
    if tuple(input.shape) != shape:
        input = input.expand(*shape)
    m = mask._data
    if m.shape != shape:
        m = xp_of(m).broadcast_to(m, shape)
    r = Index.apply(input, _Key(None, (m,), True, "MaskedSelectBackward0") if shape
                    else _Key((None, Ellipsis), (m.reshape(1),), True, "MaskedSelectBackward0"))
    return r if out is None else write_out(r, out)


class MaskedFill(Op):
    """where(mask, value, a) in a's dtype; value is a scalar or a 0-dim array."""

    @staticmethod
    def forward(ctx, a, mask, value, name):
        ctx._name = name
        ctx.mask = mask
        xp = xp_of(a)
        out = xp.where(mask, value, a)
        return out if out.dtype == a.dtype else out.astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        m = _tensor_of(ctx.mask, g._device)
        need = ctx.needs_input_grad
        ga = MaskedFill.apply(g, ctx.mask, 0, "MaskedFillBackward0") if need[0] else None
        gv = None
        if len(need) > 2 and need[2]:
            gv = where(m, g, 0).sum()
        return ga, None, gv, None


def masked_fill(input, mask, value):
    _check_mask(mask, "masked_fill_", lambda d: _CTYPE[d.name])
    value = _value_tensor(value, "masked_fill_")
    if isinstance(value, Tensor):
        v = value if value.dtype is input.dtype else _to_dtype(value, input.dtype)
        return MaskedFill.apply(input, mask, v, "MaskedFillBackward1")
    v = xp_of(input._data).asarray(_scalar_for(value, input.dtype), dtype=input.dtype.np)
    return MaskedFill.apply(input, mask, v, "MaskedFillBackward0")


def _to_dtype(t, dt):
    from .convert import _to
    return _to(t, dt, t._device, False)


def masked_fill_(self, mask, value):
    if not _enabled[0] or not (self._requires_grad or (isinstance(value, Tensor) and
                                                       value._requires_grad)):
        _check_mask(mask, "masked_fill_", lambda d: _CTYPE[d.name])
        value = _value_tensor(value, "masked_fill_")
        shape = infer_size(self.shape, mask.shape)
        if shape != tuple(self.shape):
            raise RuntimeError(f"output with shape {_shape_str(self.shape)} doesn't match the "
                               f"broadcast shape {_shape_str(shape)}")
        xp = xp_of(self._data)
        xp.copyto(self._data, _value_array(value, self.dtype, xp), where=mask._data)
        self._vc[0] += 1
        return self
    return apply_inplace(self, masked_fill(self, mask, value))


def masked_scatter(input, mask, source):
    _check_mask(mask, "masked_scatter_", _type_word)
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' (position 2) must be Tensor, not "
                        f"{_type_name(source)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_type_word(input.dtype)} and {_type_word(source.dtype)}")
    shape = infer_size(input.shape, mask.shape)
    if tuple(input.shape) != shape:
        input = input.expand(*shape)
    xp = xp_of(mask._data)
    m = xp.broadcast_to(mask._data, shape)
    k = int(m.sum())
    if k > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    flat = source.reshape(-1)
    part = flat if k == flat.shape[0] else Index.apply(
        flat, _Key((slice(0, k), Ellipsis), None, True, "SliceBackward0"))
    key = _Key(None, (m,), True, "MaskedScatterBackward0") if shape else \
        _Key((None, Ellipsis), (m.reshape(1),), True, "MaskedScatterBackward0")
    return IndexPut.apply(input, part, key, False, 1, "MaskedScatterBackward0")


def masked_scatter_(self, mask, source):
    if isinstance(mask, Tensor):
        shape = infer_size(self.shape, mask.shape)
        if shape != tuple(self.shape):
            raise RuntimeError(f"output with shape {_shape_str(self.shape)} doesn't match the "
                               f"broadcast shape {_shape_str(shape)}")
    return apply_inplace(self, masked_scatter(self, mask, source))


# ---------------------------------------------------------------- where / nonzero
class Where(Op):
    @staticmethod
    def forward(ctx, cond, a, b, npdt):
        ctx.cond = cond
        xp = xp_of(cond)
        a = _cast(a, npdt) if hasattr(a, "dtype") else xp.asarray(a, dtype=npdt)
        b = _cast(b, npdt) if hasattr(b, "dtype") else xp.asarray(b, dtype=npdt)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        c = ctx.cond
        ga = Where.apply(c, g, 0, g.dtype.np) if need[1] else None
        gb = Where.apply(c, 0, g, g.dtype.np) if need[2] else None
        return None, ga, gb, None


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() missing required argument 'input' or 'other'")
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not "
                        f"{_type_name(condition)}")
    for v in (input, other):
        if not isinstance(v, (Tensor,) + _SCALAR_TYPES):
            raise TypeError(f"where(): argument 'other' (position 3) must be Tensor, not "
                            f"{_type_name(v)}")
    if condition.dtype is not _dt.bool and condition.dtype is not _dt.uint8:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_type_word(condition.dtype)}")
    infer_size(condition.shape, getattr(input, "shape", ()),
                      getattr(other, "shape", ()))
    dt = _dt.result_type(input, other)
    c = condition._data
    if c.dtype != np.bool_:
        c = c.astype(bool)
    r = Where.apply(_make(c, condition._device) if c is not condition._data else condition,
                    input, other, dt.np)
    return r if out is None else write_out(r, out)


def _tensor_where(self, condition, other):
    return where(condition, self, other)


def nonzero(input, *, out=None, as_tuple=False):
    a = input._data
    xp = xp_of(a)
    dev = input._device
    if as_tuple:
        if out is not None:
            raise RuntimeError("nonzero does not support the out kwarg when as_tuple is True")
        return tuple(_make(i.astype(np.int64, copy=False), dev)
                     for i in xp.nonzero(xp.atleast_1d(a)))
    if a.ndim == 0:
        r = _make(xp.zeros((1 if a.item() else 0, 0), np.int64), dev)
    else:
        r = _make(xp.argwhere(a).astype(np.int64, copy=False), dev)
    return r if out is None else write_out(r, out)


def argwhere(input):
    return nonzero(input)


# ---------------------------------------------------------------- fill_ / zero_ / copy_
class Fill(Op):
    """A tensor of `shape` filled with value (a scalar, or a 0-dim array whose gradient is the
    sum). Takes the tensor being overwritten as `a` so an in-place fill joins the graph
    (its gradient is zero)."""

    @staticmethod
    def forward(ctx, a, value, npdt, name):
        ctx._name = name
        xp = xp_of(a)
        if hasattr(value, "dtype"):
            if value.dtype.kind == "c" and npdt.kind != "c":
                value = value.real
            return xp.broadcast_to(value.astype(npdt), a.shape).copy()
        return xp.full(a.shape, value, npdt)

    @staticmethod
    def backward(ctx, g):
        # the overwritten tensor gets zeros (PyTorch too); the engine sums g to the 0-dim value
        return _zeros_if(ctx, g), g, None, None


def _fill_value(value, dt):
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        return value
    if not isinstance(value, _SCALAR_TYPES):
        raise TypeError(f"fill_(): argument 'value' (position 1) must be Number, not "
                        f"{_type_name(value)}")
    return _scalar_for(value, dt)


def fill(input, value):
    v = _fill_value(value, input.dtype)
    return Fill.apply(input, v, input.dtype.np, "FillBackward1" if isinstance(v, Tensor)
                      else "FillBackward0")


def fill_(self, value, _name=None):
    v = _fill_value(value, self.dtype)
    is_t = isinstance(v, Tensor)
    if not _enabled[0] or not (self._requires_grad or (is_t and v._requires_grad)):
        if not self._data.flags.writeable:
            apply_inplace(self, fill(self, v))
            return self
        self._data[...] = _value_array(v, self.dtype, xp_of(self._data)) if is_t else v
        self._vc[0] += 1
        return self
    name = _name or ("FillBackward3" if is_t else "FillBackward2")
    return apply_inplace(self, Fill.apply(self, v, self.dtype.np, name))


def zero_(self):
    return fill_(self, 0, "ZeroBackward0")


class Copy(Op):
    """src broadcast to `a`'s shape and cast to its dtype; `a` (the overwritten tensor) gets no
    gradient."""
    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx, a, src):
        xp = xp_of(a)
        if src.dtype.kind == "c" and a.dtype.kind != "c":
            src = src.real
        return xp.broadcast_to(src.astype(a.dtype, copy=False), a.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return _zeros_if(ctx, g), g


def _zeros_if(ctx, g):
    if not ctx.needs_input_grad[0]:
        return None
    return _make(xp_of(g._data).zeros_like(g._data), g._device)


def _check_copy_shape(self, src):
    shape = infer_size(self.shape, src.shape)
    if shape != tuple(self.shape):
        raise RuntimeError(f"output with shape {_shape_str(self.shape)} doesn't match the "
                           f"broadcast shape {_shape_str(shape)}")


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        if isinstance(src, _SCALAR_TYPES) and not isinstance(src, np.ndarray):
            return fill_(self, src)
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{_type_name(src)}")
    _check_copy_shape(self, src)
    if src._device is not self._device:
        from .convert import _to
        src = _to(src, src.dtype, self._device, False)
    if not _enabled[0] or not (self._requires_grad or src._requires_grad):
        if self._data.flags.writeable:
            a = src._data
            if a.dtype.kind == "c" and self._data.dtype.kind != "c":
                a = a.real
            self._data[...] = a
            self._vc[0] += 1
            return self
    return apply_inplace(self, Copy.apply(self, src))
