"""Comparison, testing and sorting: eq/ne/lt/le/gt/ge (and their operators), isclose,
allclose, equal, isnan/isinf/..., isin, sort, argsort, msort, topk, kthvalue, unique,
unique_consecutive, searchsorted, bucketize.

Comparisons compute in PyTorch's promoted dtype (`dtypes.result_type`) and return bool
tensors, which never carry a grad_fn. Sorting treats NaN as the largest value (NumPy's order
as well as PyTorch's) and is stable, so ties keep their input order. The gradient of every
selection op (sort, topk, kthvalue) scatters the incoming gradient back to the positions
that were picked; `_TakeAlong` and `_PutAlong` are each other's backward, so those gradients
are differentiable again.
"""
import builtins

import numpy as np

from .. import dtypes as _dt
from .. import return_types
from ..tensor import Tensor, _make, _as_array
from ..autograd.function import Op
from ._util import infer_size, write_out, apply_inplace, wrap_dim, xp_of, _type_word

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
           "less_equal", "not_equal", "isclose", "allclose", "equal", "isnan", "isinf",
           "isfinite", "isposinf", "isneginf", "isreal", "isin", "sort", "argsort", "msort",
           "topk", "kthvalue", "unique", "unique_consecutive", "searchsorted", "bucketize"]

_NUMBERS = (builtins.bool, builtins.int, builtins.float, builtins.complex, np.number, np.bool_)

# PyTorch's C++ names for dtypes, used in some of its messages ("... but got float != double").
C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
                "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                "uint16": "unsigned short", "uint32": "unsigned int", "uint64": "unsigned long",
                "bool": "bool", "complex64": "c10::complex<float>",
                "complex128": "c10::complex<double>"}


def c_type_name(d):
    return C_TYPE_NAMES.get(d.name, d.name)


def _arg_name(x):
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def _require_tensor(x, fname, argname="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


# PyTorch's infer_size (the broadcast of shapes, or its error); blas and linalg import it
# from here under this name.
broadcast_shapes = infer_size


def _as_operand(x, npdt):
    """Cast an array operand to the compute dtype. Python ints become that dtype the C way
    (wrapping), as PyTorch converts scalars, where NumPy 2 would compare mathematically."""
    dt = getattr(x, "dtype", None)
    if dt is None:
        if isinstance(x, builtins.int) and not isinstance(x, builtins.bool) and \
                npdt.kind in "iu":
            return np.asarray(x).astype(npdt)[()]
        return x
    return x if dt == npdt else x.astype(npdt)


# ---------------------------------------------------------------- eq / ne / lt / le / gt / ge
class _Compare(Op):
    """A comparison on raw arrays (for tensors on two devices; the result is bool, so it
    never joins the graph)."""
    @staticmethod
    def forward(ctx, a, b, ufunc, npdt):
        # the 0-dim CPU operand joins the other device's array as a scalar
        a, b = (x[()] if getattr(x, "ndim", 1) == 0 else x for x in (a, b))
        return ufunc(_as_operand(a, npdt), _as_operand(b, npdt))


def _compare(name, ufunc, ordered, input, other, out):
    if not isinstance(input, Tensor) or not isinstance(other, (Tensor,) + _NUMBERS):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({_arg_name(input)}, "
            f"{_arg_name(other)}), but expected one of:\n"
            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Tensor input, Number other, *, Tensor out = None)\n")
    dt = _dt.result_type(input, other)
    if ordered and dt.is_complex:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_type_word(dt)}\'')
    if isinstance(other, Tensor):
        if input.shape != other.shape:
            broadcast_shapes(input.shape, other.shape)
        if other._device is not input._device:   # apply knows the mixed-device rules
            r = _Compare.apply(input, other, ufunc, dt.np)
            return r if out is None else write_out(r, out)
        other = other._data
    dev = input._device
    r = _make(_as_array(ufunc(_as_operand(input._data, dt.np), _as_operand(other, dt.np)), dev),
              dev)
    return r if out is None else write_out(r, out)


def eq(input, other, *, out=None):
    return _compare("eq", np.equal, False, input, other, out)


def ne(input, other, *, out=None):
    return _compare("ne", np.not_equal, False, input, other, out)


def lt(input, other, *, out=None):
    return _compare("lt", np.less, True, input, other, out)


def le(input, other, *, out=None):
    return _compare("le", np.less_equal, True, input, other, out)


def gt(input, other, *, out=None):
    return _compare("gt", np.greater, True, input, other, out)


def ge(input, other, *, out=None):
    return _compare("ge", np.greater_equal, True, input, other, out)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


class _CompareInplace(Op):
    """`y.lt_(x)` on a tensor in the graph: y becomes 0/1 and its gradient (and x's) is zero,
    as with PyTorch's LtBackward."""
    @staticmethod
    def forward(ctx, a, b, value, name):
        ctx._name = name
        return value.astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        zero = _make(xp_of(g._data).zeros_like(g._data), g._device)
        return zero, (zero if ctx.needs_input_grad[1] else None), None, None


def _inplace(self, other, fn):
    r = fn(self, other)
    if self._requires_grad or isinstance(other, Tensor) and other._requires_grad:
        name = f"{fn.__name__.capitalize()}Backward{1 if isinstance(other, Tensor) else 0}"
        r = _CompareInplace.apply(self, other, r._data, name)
    return apply_inplace(self, r)


def eq_(self, other):
    return _inplace(self, other, eq)


def ne_(self, other):
    return _inplace(self, other, ne)


def lt_(self, other):
    return _inplace(self, other, lt)


def le_(self, other):
    return _inplace(self, other, le)


def gt_(self, other):
    return _inplace(self, other, gt)


def ge_(self, other):
    return _inplace(self, other, ge)


def _operator(fn):
    """The `==`-style operator: anything but a Tensor or a number is NotImplemented, so
    Python falls back (`t == None` is False, `t < "a"` a TypeError), as with PyTorch."""
    def op(self, other):
        if not isinstance(other, (Tensor,) + _NUMBERS):
            return NotImplemented
        return fn(self, other)
    op.__name__ = f"__{fn.__name__}__"
    return op


__eq__, __ne__ = _operator(eq), _operator(ne)
__lt__, __le__, __gt__, __ge__ = _operator(lt), _operator(le), _operator(gt), _operator(ge)


# ---------------------------------------------------------------- isclose / allclose / equal
def _bool_result(arr, ref):
    xp = xp_of(ref._data)
    return _make(xp.asarray(arr), ref._device)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _require_tensor(input, "isclose")
    _require_tensor(other, "isclose", "other", 2)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_type_word(input.dtype)} did not match {_type_word(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    if input.shape != other.shape:
        broadcast_shapes(input.shape, other.shape)
    a, b = input._data, other._data
    xp = xp_of(a)
    if a.dtype.kind == "b":   # PyTorch computes the bool case in the default dtype
        a = a.astype(_dt.get_default_dtype().np)
        b = b.astype(a.dtype)
    close = a == b
    if equal_nan and a.dtype.kind in "fc":
        close |= xp.isnan(a) & xp.isnan(b)
    # allowed and actual error are computed in PyTorch's dtypes: an int tensor times a float
    # rtol is the default float dtype, the difference of ints stays an int
    with np.errstate(invalid="ignore", over="ignore"):   # inf - inf is nan, as intended
        scaled = b * rtol if a.dtype.kind in "fc" else \
            b.astype(_dt.get_default_dtype().np) * rtol
        allowed = atol + xp.abs(scaled)
        actual = xp.abs(a - b)
    if actual.dtype.kind in "fc":
        close |= xp.isfinite(actual) & (actual <= allowed)
    else:
        close |= actual <= allowed
    return _bool_result(close, input)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    _require_tensor(input, "equal")
    _require_tensor(other, "equal", "other", 2)
    if input.shape != other.shape:
        return False
    return builtins.bool(eq(input, other)._data.all())


# ---------------------------------------------------------------- isnan / isinf / ...
def _unary_test(name, input, fn, other_kinds, out):
    """A float/complex test; integer and bool inputs give `other_kinds` everywhere (they are
    never nan or inf, always finite)."""
    _require_tensor(input, name)
    a = input._data
    xp = xp_of(a)
    r = fn(a) if a.dtype.kind in "fc" else xp.full(a.shape, other_kinds, bool)
    t = _bool_result(r, input)
    return t if out is None else write_out(t, out)


def isnan(input, *, out=None):
    return _unary_test("isnan", input, lambda a: xp_of(a).isnan(a), False, out)


def isinf(input, *, out=None):
    return _unary_test("isinf", input, lambda a: xp_of(a).isinf(a), False, out)


def isfinite(input, *, out=None):
    return _unary_test("isfinite", input, lambda a: xp_of(a).isfinite(a), True, out)


def _check_not_complex(input, name):
    _require_tensor(input, name)
    if input.dtype.is_complex:
        raise RuntimeError(f"{name} does not support complex inputs.")


def isposinf(input, *, out=None):
    _check_not_complex(input, "isposinf")
    return _unary_test("isposinf", input, lambda a: xp_of(a).isposinf(a), False, out)


def isneginf(input, *, out=None):
    _check_not_complex(input, "isneginf")
    return _unary_test("isneginf", input, lambda a: xp_of(a).isneginf(a), False, out)


def isreal(input):
    _require_tensor(input, "isreal")
    a = input._data
    xp = xp_of(a)
    r = a.imag == 0 if a.dtype.kind == "c" else xp.ones(a.shape, bool)
    return _bool_result(r, input)


# ---------------------------------------------------------------- isin
def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    if not (isinstance(elements, Tensor) or isinstance(test_elements, Tensor)) or \
            not isinstance(elements, (Tensor,) + _NUMBERS) or \
            not isinstance(test_elements, (Tensor,) + _NUMBERS):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got "
            f"({_arg_name(elements)}, {_arg_name(test_elements)}), but expected one of:\n"
            " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n"
            " * (Number element, Tensor test_elements, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n"
            " * (Tensor elements, Number test_element, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n")
    dt = _dt.result_type(elements, test_elements)
    if dt.category != _dt._INT and dt.category != _dt._FLOAT:
        raise RuntimeError(f"Unsupported input type encountered for isin(): {_type_word(dt)}")
    ref = elements if isinstance(elements, Tensor) else test_elements
    xp = xp_of(ref._data)
    e = elements._data.astype(dt.np, copy=False) if isinstance(elements, Tensor) else \
        xp.asarray(elements, dtype=dt.np)
    te = test_elements._data.astype(dt.np, copy=False) if isinstance(test_elements, Tensor) \
        else xp.asarray(test_elements, dtype=dt.np)
    r = xp.isin(e, te, assume_unique=assume_unique, invert=invert)
    t = _bool_result(r, ref)
    return t if out is None else write_out(t, out)


# ---------------------------------------------------------------- gather/scatter along a dim
def _along(fn, a, idx, dim):
    """take/put along `dim`, treating a 0-dim array as one element."""
    if a.ndim == 0:
        return fn(a.reshape(1), idx.reshape(1), 0).reshape(())
    return fn(a, idx, dim)


def _take_along(a, idx, dim):
    return _along(lambda x, i, d: xp_of(x).take_along_axis(x, i, axis=d), a, idx, dim)


def _put_along(g, idx, dim, shape):
    xp = xp_of(g)
    out = xp.zeros(shape, g.dtype)
    if out.ndim == 0:
        return g.reshape(()).copy()
    xp.put_along_axis(out, idx, g, axis=dim)
    return out


class _TakeAlong(Op):
    """out = input picked at `idx` along `dim` (indices distinct along dim)."""
    _name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, idx, dim):
        ctx.idx, ctx.dim, ctx.shape = idx, dim, a.shape
        return _take_along(a, idx, dim)

    @staticmethod
    def backward(ctx, g):
        return _PutAlong.apply(g, ctx.idx, ctx.dim, ctx.shape), None, None


class _PutAlong(Op):
    """out = zeros(shape) with `g` written at `idx` along `dim` (a selection's gradient)."""
    _name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, g, idx, dim, shape):
        ctx.idx, ctx.dim = idx, dim
        return _put_along(g, idx, dim, shape)

    @staticmethod
    def backward(ctx, gg):
        return _TakeAlong.apply(gg, ctx.idx, ctx.dim), None, None, None


# ---------------------------------------------------------------- sort / argsort / msort
def _argsort(a, dim, descending):
    """Stable argsort along dim (NaN last ascending, first descending; ties in input order)."""
    xp = xp_of(a)
    if a.ndim == 0:
        return xp.zeros((), np.int64)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    # Sorting the reversed input ascending and reading it backwards gives a descending order
    # whose ties come out in increasing input index, like a stable descending sort.
    n = a.shape[dim]
    idx = xp.argsort(xp.flip(a, axis=dim), axis=dim, kind="stable")
    return (n - 1) - xp.flip(idx, axis=dim)


class Sort(Op):
    @staticmethod
    def forward(ctx, a, dim, descending):
        idx = _argsort(a, dim, descending)
        if idx.dtype != np.int64:
            idx = idx.astype(np.int64)
        ctx.idx, ctx.dim, ctx.shape = idx, dim, a.shape
        ctx.mark_non_differentiable(idx)
        return _take_along(a, idx, dim), idx

    @staticmethod
    def backward(ctx, g, _gi):
        return _PutAlong.apply(g, ctx.idx, ctx.dim, ctx.shape), None, None


def _check_sortable(input, what):
    if input.dtype.is_complex:
        raise RuntimeError(f" {what} does not support complex dtypes on CPU")


def _write_pair(name, values, indices, out):
    """`out=(values, indices)` for sort/topk/kthvalue: dtypes must match exactly."""
    ov, oi = out
    if oi.dtype is not _dt.int64:
        raise RuntimeError(f"Expected out tensor to have dtype long int, but got "
                           f"{c_type_name(oi.dtype)} instead")
    if ov.dtype is not values.dtype:
        if name == "kthvalue":
            raise RuntimeError("output values must be of same type as input")
        raise RuntimeError(f"Expected out tensor to have dtype {c_type_name(values.dtype)}, "
                           f"but got {c_type_name(ov.dtype)} instead")
    write_out(values, ov)
    write_out(indices, oi)
    return return_types.make_return_type(name + "_out")(ov, oi)


def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    _require_tensor(input, "sort")
    _check_sortable(input, "Sort")
    dim = wrap_dim(dim, input.ndim)
    values, indices = Sort.apply(input, dim, builtins.bool(descending))
    if out is not None:
        return _write_pair("sort", values, indices, out)
    return return_types.sort(values, indices)


def argsort(input, dim=-1, descending=False, *, stable=False, out=None):
    _require_tensor(input, "argsort")
    _check_sortable(input, "Sort")
    idx = _argsort(input._data, wrap_dim(dim, input.ndim), descending)
    r = _make(idx.astype(np.int64, copy=False), input._device)
    return r if out is None else write_out(r, out)


def msort(input, *, out=None):
    _require_tensor(input, "msort")
    r = sort(input, 0).values
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- topk / kthvalue
def _topk_indices(a, k, dim, largest):
    """Indices of the k largest (or smallest) along dim, in sorted order."""
    xp = xp_of(a)
    n = a.shape[dim]
    if 0 < k and k * 4 < n:
        # partition first: O(n) to find the k candidates, then sort only those
        if largest:
            part = xp.argpartition(a, n - k, axis=dim)
            part = xp.take(part, range(n - k, n), axis=dim)
        else:
            part = xp.argpartition(a, k - 1, axis=dim)
            part = xp.take(part, range(k), axis=dim)
        order = _argsort(xp.take_along_axis(a, part, axis=dim), dim, largest)
        return xp.take_along_axis(part, order, axis=dim)
    idx = _argsort(a, dim, largest)
    return xp.take(idx, range(k), axis=dim) if k < n else idx


class Topk(Op):
    @staticmethod
    def forward(ctx, a, k, dim, largest):
        if a.ndim == 0:
            idx = xp_of(a).zeros((), np.int64)
        else:
            idx = _topk_indices(a, k, dim, largest).astype(np.int64, copy=False)
        ctx.idx, ctx.dim, ctx.shape = idx, dim, a.shape
        ctx.mark_non_differentiable(idx)
        return _take_along(a, idx, dim), idx

    @staticmethod
    def backward(ctx, g, _gi):
        return _PutAlong.apply(g, ctx.idx, ctx.dim, ctx.shape), None, None, None


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    _require_tensor(input, "topk")
    if input.dtype.is_complex:
        raise RuntimeError(" topk does not support complex dtypes on CPU")
    if input.dtype is _dt.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    values, indices = Topk.apply(input, k, dim, builtins.bool(largest))
    if out is not None:
        return _write_pair("topk", values, indices, out)
    return return_types.topk(values, indices)


class Kthvalue(Op):
    @staticmethod
    def forward(ctx, a, k, dim, keepdim):
        xp = xp_of(a)
        if a.ndim == 0:
            idx = xp.zeros((), np.int64)
        else:
            part = xp.argpartition(a, k - 1, axis=dim)
            idx = xp.take(part, [k - 1], axis=dim).astype(np.int64, copy=False)
        ctx.idx, ctx.dim, ctx.shape, ctx.keepdim = idx, dim, a.shape, keepdim
        values = _take_along(a, idx, dim)
        if not keepdim and a.ndim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        if not ctx.keepdim and len(ctx.shape):
            g = g.unsqueeze(ctx.dim)
        return _PutAlong.apply(g, ctx.idx, ctx.dim, ctx.shape), None, None, None


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    _require_tensor(input, "kthvalue")
    if input.dtype.is_complex or input.dtype is _dt.bool:
        raise NotImplementedError(f'"kthvalue_cpu" not implemented for '
                                  f"'{_type_word(input.dtype)}'")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    values, indices = Kthvalue.apply(input, k, dim, builtins.bool(keepdim))
    if out is not None:
        return _write_pair("kthvalue", values, indices, out)
    return return_types.kthvalue(values, indices)


# ---------------------------------------------------------------- unique / unique_consecutive
def _rows(a, dim):
    """`a` with `dim` moved first and the rest flattened: one row per slice along dim."""
    moved = xp_of(a).moveaxis(a, dim, 0)
    return moved, moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))


def _group_starts(rows):
    """True where a row differs from the one before it (NaN never equals anything)."""
    xp = xp_of(rows)
    n = rows.shape[0]
    starts = xp.ones(n, bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    return starts


def _consecutive(order, rows):
    """Unique groups of `rows` (already in `order`): first index of each group in that order,
    inverse (group of each original row) and counts."""
    xp = xp_of(rows)
    starts = _group_starts(rows)
    group = xp.cumsum(starts) - 1
    first = xp.nonzero(starts)[0]
    counts = xp.diff(xp.append(first, rows.shape[0])).astype(np.int64)
    inverse = xp.empty(rows.shape[0], np.int64)
    inverse[order] = group
    return first, inverse, counts


def _unique_dim(a, dim, consecutive):
    xp = xp_of(a)
    if a.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if a.size == 0 and a.shape[dim] != 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    moved, rows = _rows(a, dim)
    n = rows.shape[0]
    if consecutive or n == 0:
        order = xp.arange(n)
    else:   # lexicographic order of the slices, first element most significant
        order = xp.lexsort(rows.T[::-1])
    srows = rows[order]
    first, inverse, counts = _consecutive(order, srows)
    values = xp.moveaxis(moved[order[first]], 0, dim)
    return values, inverse, counts


def _unique_flat(a, consecutive):
    xp = xp_of(a)
    flat = a.reshape(-1)
    order = xp.arange(flat.size) if consecutive else xp.argsort(flat, kind="stable")
    s = flat[order]
    first, inverse, counts = _consecutive(order, s.reshape(-1, 1))
    return s[first], inverse.reshape(a.shape), counts


class _UniqueBase(Op):
    """Values carry a grad_fn whose backward raises, as PyTorch's do."""
    _derivative = None

    @staticmethod
    def forward(ctx, a, dim, consecutive):
        if dim is None:
            values, inverse, counts = _unique_flat(a, consecutive)
        else:
            values, inverse, counts = _unique_dim(a, dim, consecutive)
        ctx.mark_non_differentiable(inverse, counts)
        return values, inverse, counts

    @classmethod
    def _fail(cls):
        raise NotImplementedError(f"the derivative for '{cls._derivative}' is not implemented.")


class Unique2(_UniqueBase):
    _derivative = "_unique2"

    @staticmethod
    def backward(ctx, *grads):
        Unique2._fail()


class UniqueDim(_UniqueBase):
    _derivative = "unique_dim"

    @staticmethod
    def backward(ctx, *grads):
        UniqueDim._fail()


class UniqueConsecutive(_UniqueBase):
    _derivative = "unique_consecutive"

    @staticmethod
    def backward(ctx, *grads):
        UniqueConsecutive._fail()


def _unique_result(values, inverse, counts, return_inverse, return_counts):
    if not (return_inverse or return_counts):
        return values
    res = (values,)
    if return_inverse:
        res += (inverse,)
    if return_counts:
        res += (counts,)
    return res


def _check_unique_dtype(input, name):
    if input.dtype.is_complex:
        raise NotImplementedError(f'"{name}" not implemented for \'{_type_word(input.dtype)}\'')


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Always sorted: PyTorch's CPU result with sorted=False is sorted too."""
    _require_tensor(input, "unique")
    _check_unique_dtype(input, "unique")
    if dim is None:
        values, inverse, counts = Unique2.apply(input, None, False)
    else:
        d = wrap_dim(dim, input.ndim) if input.ndim else dim
        values, inverse, counts = UniqueDim.apply(input, d, False)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    _require_tensor(input, "unique_consecutive")
    _check_unique_dtype(input, "unique_consecutive")
    d = wrap_dim(dim, input.ndim) if dim is not None and input.ndim else dim
    values, inverse, counts = UniqueConsecutive.apply(input, d, True)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


# ---------------------------------------------------------------- searchsorted / bucketize
def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _binary_search(bd, v, right):
    """PyTorch's search loop, vectorised over every value: the first i with bd[i] >= v (left)
    or bd[i] > v (right), written as "move right while not ..." so NaNs land where PyTorch
    puts them. `bd` is 1-D or has v's leading dims."""
    xp = xp_of(v)
    n = bd.shape[-1]
    lo = xp.zeros(v.shape, np.int64)
    hi = xp.full(v.shape, n, np.int64)
    rows = bd if bd.ndim == 1 else bd.reshape(-1, n)
    flat_v = v.reshape(-1) if bd.ndim == 1 else v.reshape(rows.shape[0], -1)
    lo, hi = lo.reshape(flat_v.shape), hi.reshape(flat_v.shape)
    while True:
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        midc = xp.minimum(mid, n - 1)
        mv = rows[midc] if bd.ndim == 1 else xp.take_along_axis(rows, midc, axis=1)
        go_right = ~(mv > flat_v) if right else ~(mv >= flat_v)
        lo = xp.where(active & go_right, mid + 1, lo)
        hi = xp.where(active & ~go_right, mid, hi)
    return lo.reshape(v.shape)


def _searchsorted_arrays(bd, v, right):
    xp = xp_of(v)
    if bd.ndim == 1 and not (bd.dtype.kind in "fc" and xp.isnan(bd).any()):
        return xp.searchsorted(bd, v, side="right" if right else "left")
    return _binary_search(bd, v, right)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    if not isinstance(sorted_sequence, Tensor) or \
            not isinstance(input, (Tensor,) + _NUMBERS):
        raise TypeError(
            f"searchsorted() received an invalid combination of arguments - got "
            f"({_arg_name(sorted_sequence)}, {_arg_name(input)}), but expected one of:\n"
            " * (Tensor sorted_sequence, Tensor input, *, bool out_int32 = False, bool right = "
            "False, str side = None, Tensor sorter = None, Tensor out = None)\n"
            " * (Tensor sorted_sequence, Number self, *, bool out_int32 = False, bool right = "
            "False, str side = None, Tensor sorter = None, Tensor out = None)\n")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    bd_t = sorted_sequence
    if bd_t.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    v_shape = input.shape if isinstance(input, Tensor) else ()
    if bd_t.ndim > 1:
        if len(v_shape) == 0:
            raise RuntimeError(
                "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                f"dimension is 1, but we got boundaries tensor dim({bd_t.ndim}) and input "
                f"value's dim(0) numel(1)")
        if tuple(bd_t.shape[:-1]) != tuple(v_shape[:-1]):
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {_shape_str(bd_t.shape)} and input value tensor "
                f"{_shape_str(v_shape)}")
    dt = _dt.result_type(bd_t, input)
    if dt.is_complex or dt is _dt.bool:
        raise NotImplementedError(f'"searchsorted_out_cpu" not implemented for '
                                  f"'{_type_word(dt)}'")
    xp = xp_of(bd_t._data)
    bd = bd_t._data.astype(dt.np, copy=False)
    if sorter is not None:
        bd = _apply_sorter(bd, sorter, xp)
    v = input._data.astype(dt.np, copy=False) if isinstance(input, Tensor) else \
        xp.asarray(input, dtype=dt.np)
    idx = _searchsorted_arrays(bd, v, right)
    r = _make(xp.asarray(idx, dtype=np.int32 if out_int32 else np.int64), bd_t._device)
    if out is not None:
        if out.dtype is not r.dtype:
            raise RuntimeError(
                "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) "
                "or Long(int64) depending on whether out_int32 flag is True, but we got output "
                f"tensor's dtype {_type_word(out.dtype)} and out_int32 flag is "
                f"{builtins.bool(out_int32)}")
        return write_out(r, out)
    return r


def _apply_sorter(bd, sorter, xp):
    if sorter.dtype is not _dt.int64:
        raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got "
                           f"dtype {_type_word(sorter.dtype)}")
    if tuple(sorter.shape) != bd.shape:
        raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, "
                           f"but got boundary tensor {_shape_str(bd.shape)}and got sorter tensor "
                           f"{_shape_str(sorter.shape)}")
    s = sorter._data
    if s.size and (s.min() < 0 or s.max() >= bd.shape[-1]):
        raise RuntimeError("torch.searchsorted(): sorter index out of range")
    return xp.take_along_axis(bd, s, axis=-1)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    _require_tensor(boundaries, "bucketize", "boundaries", 2)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim"
                           f"({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)
