"""Helpers every op module shares: the backend of an array, broadcasting undone (`sum_to`),
dim normalisation, `out=` and in-place write-back."""
import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _make, _wrap_dim, _ndarray_types
from ..device import cpu as _cpu
from ..backends import get_backend
from ..autograd import grad_mode
from ..autograd.function import Op

_enabled = grad_mode._enabled

__all__ = ["xp_of", "sum_to", "wrap_dim", "dims_tuple", "write_out", "apply_inplace",
           "as_tensor_like", "has_nan", "unwrap"]


def xp_of(a):
    """The array namespace (numpy or cupy) of an array or a Python scalar."""
    if a.__class__ is np.ndarray or not hasattr(a, "__cuda_array_interface__"):
        return np
    import cupy
    return cupy


def xp_for(dev):
    return np if dev is _cpu else get_backend(dev).xp


wrap_dim = _wrap_dim


def dims_tuple(dim, ndim):
    """Normalise `dim` (int, tuple/list or None) into a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        out = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        if len(set(out)) != len(out):
            raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
        return out
    return (_wrap_dim(dim, ndim),)


def sum_to(g, shape):
    """Sum a broadcast gradient `g` back to `shape` (the one place broadcasting is undone)."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise RuntimeError(f"sum_to: gradient of shape {list(gshape)} cannot be reduced to "
                           f"{list(shape)}")
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
        elif s != gshape[lead + i] and s != 1:
            raise RuntimeError(f"sum_to: gradient of shape {list(gshape)} cannot be reduced "
                               f"to {list(shape)}")
    if dims:
        g = g.sum(dim=tuple(dims), keepdim=True)
    if lead:
        g = g.reshape(shape)
    elif g.shape != shape:
        g = g.reshape(shape)
    return g


def unwrap(x):
    return x._data if isinstance(x, Tensor) else x


def as_tensor_like(value, ref):
    """A Tensor for `value` (Tensor passes through) on `ref`'s device."""
    if isinstance(value, Tensor):
        return value
    from .creation import tensor
    return tensor(value, device=ref._device)


def has_nan(a):
    xp = xp_of(a)
    if a.dtype.kind not in "fc":
        return False
    return bool(xp.isnan(a).any())


def write_out(result, out):
    """Implement `out=`: copy `result` into `out` (resized if its shape differs), return out."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if _enabled[0] and (out._requires_grad or result._requires_grad):
        if out._requires_grad or result.grad_fn is not None:
            raise RuntimeError(f"{_opname(result)}(): functions with out=... arguments don't "
                               "support automatic differentiation, but one of the arguments "
                               "requires grad.")
    if out._device is not result._device:
        raise RuntimeError(f"Expected out tensor to have device {result._device}, but got "
                           f"{out._device} instead")
    rd, od = result.dtype, out.dtype
    if rd is not od and not _can_cast_out(rd, od):
        raise RuntimeError(f"result type {_type_word(rd)} can't be cast to the desired output "
                           f"type {_type_word(od)}")
    if out._data.shape != result._data.shape:
        out._data = xp_of(out._data).empty(result._data.shape, out._data.dtype)
    out._data[...] = result._data
    out._vc[0] += 1
    return out


def _opname(t):
    return t.grad_fn.name() if t.grad_fn is not None else "op"


def _can_cast_out(src, dst):
    return src.category <= dst.category


_TYPE_WORDS = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


def _type_word(d):
    return _TYPE_WORDS.get(d.name, d.name)


def check_inplace_allowed(x):
    if _enabled[0] and x._requires_grad and x.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = x.__dict__.get("_base_view") if _enabled[0] else None
    while base is not None:   # checked before writing: the leaf must stay untouched
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        base = base.__dict__.get("_base_view")


def apply_inplace(x, result):
    """Finish an in-place op: `result` was computed out of place from `x`; write it into x's
    memory (so views see it), bump the version, and let x take result's place in the graph.

    PyTorch's rules hold: a leaf that requires grad can't be modified while grad is enabled,
    the result must fit x's shape, and its dtype must be castable to x's dtype.
    """
    check_inplace_allowed(x)
    r = result._data
    xa = x._data
    if r.shape != xa.shape:
        raise RuntimeError(f"output with shape [{', '.join(map(str, xa.shape))}] doesn't match "
                           f"the broadcast shape [{', '.join(map(str, r.shape))}]")
    if r.dtype != xa.dtype:
        rd, xd = result.dtype, x.dtype
        if not _can_cast_out(rd, xd):
            raise RuntimeError(f"result type {_type_word(rd)} can't be cast to the desired "
                               f"output type {_type_word(xd)}")
    if not xa.flags.writeable:
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")
    if result.grad_fn is not None:
        _snapshot_saved_self(x, result.grad_fn)
    xa[...] = r
    x._vc[0] += 1
    if result.grad_fn is not None:
        if x.__dict__.get("_base_view") is not None:
            rebase = x.__dict__.get("_rebase_view")   # set by views that support CopySlices
            if rebase is not None:
                rebase(x, result)
                return x
            raise NotImplementedError(
                "ember does not yet support in-place operations that need gradients on a view "
                "of another tensor (PyTorch's CopySlices); apply the op to the base tensor or "
                "use an out-of-place op")
        x.grad_fn = result.grad_fn
        x._output_nr = result._output_nr
        x._requires_grad = True
    return x


def _snapshot_saved_self(x, fn):
    """The node computing an in-place result may have saved x itself (x.mul_(w) saves x for
    w's gradient). x is about to be overwritten, so give the node a copy of x's current value
    that keeps x's place in the graph, as PyTorch saves the original self."""
    saved = fn._saved
    if not saved or saved.__class__ is not tuple or not any(s is x for s in saved):
        return
    snap = _make(x._data.copy(), x._device)
    snap.grad_fn = x.grad_fn
    snap._output_nr = x._output_nr
    snap._requires_grad = x._requires_grad
    fn._saved = tuple(snap if s is x else s for s in saved)
    fn._saved_versions = [0 if s is x else v for s, v in zip(saved, fn._saved_versions)]


def broadcast_view(a, shape):
    """`xp.broadcast_to(a, shape)`: a read-only view repeating `a`. For a contiguous NumPy
    array it is built directly from strides, because np.broadcast_to costs ~5 us a call and
    every `loss.backward()` expands a gradient. `shape` must be a valid broadcast target."""
    if a.__class__ is not np.ndarray or not a.flags.c_contiguous:
        return xp_of(a).broadcast_to(a, shape)
    lead = len(shape) - a.ndim
    strides = [0] * lead
    for n_in, n_out, st in zip(a.shape, shape[lead:], a.strides):
        strides.append(0 if n_in != n_out else st)
    r = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
    r.flags.writeable = False
    return r


def infer_size(*shapes):
    """PyTorch's infer_size folded over shapes: their broadcast shape, or its error
    "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"."""
    out = ()
    for s in shapes:
        a, b = out, tuple(s)
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        res = []
        for i in range(n):
            da, db = a[i], b[i]
            if da != db and da != 1 and db != 1:
                raise RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b "
                                   f"({db}) at non-singleton dimension {i}")
            res.append(db if da == 1 else da)
        out = tuple(res)
    return out


def broadcast_error(args):
    """PyTorch's message for operands whose shapes don't broadcast (None if they do)."""
    shapes = [a.shape for a in args if isinstance(a, Tensor)]
    if not shapes:
        return None
    acc = tuple(shapes[0])
    for sh in shapes[1:]:
        n = max(len(acc), len(sh))
        a = (1,) * (n - len(acc)) + acc
        b = (1,) * (n - len(sh)) + tuple(sh)
        for i in range(n):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of "
                                    f"tensor b ({b[i]}) at non-singleton dimension {i}")
        acc = tuple(y if x == 1 else x for x, y in zip(a, b))
    return None


class Pointwise(Op):
    """Base of this module's ops: NumPy's broadcasting ValueError becomes PyTorch's error
    (Function.apply calls `_value_error` when forward raises ValueError)."""
    _value_error = staticmethod(broadcast_error)
