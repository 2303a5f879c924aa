"""Shape ops: views, joins, splits, flips, triangles and diagonals.

Views. Where PyTorch returns a view (view, reshape when it can, expand, permute, transpose,
squeeze, unsqueeze, select, narrow, split, chunk, unbind, diagonal, unfold, as_strided, ...)
the result's array is a NumPy/CuPy view of the input's array, so writes through either are
seen by the other, and `_mark_view` makes the view share its base's version counter.
Every other op returns fresh memory, as PyTorch does (flip, roll, tril, cat, repeat, ...).

Strided views NumPy has no writable function for (diagonal, unfold, as_strided) are built
with `_strided` directly on the memory that owns the input's data (its "storage").

Gradients. A view's backward is its adjoint: zeros of the input's shape with the gradient
written through the same view (`_ViewOf` / `_Unview`, each the other's backward, so double
backward works). Overlapping views (unfold windows that share elements) add instead of
writing. Gathers (`_Take` / `_Put`) do the same by flat index.

In-place ops through a view (`y.diagonal().add_(1)` with y in a graph) are PyTorch's
CopySlices: each view remembers how to replay itself on its base (`_Rebase`), and the base
takes `_CopySlices(base, result)` as its place in the graph.
"""
import builtins
import itertools
import math
import operator
import warnings

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, Size, _make, _zeros, _ptr
from ..autograd.function import Op
from ..amp import autocast_mode as _amp
from ..autograd import grad_mode
from ._util import (infer_size, wrap_dim, xp_of, write_out, check_inplace_allowed, _TYPE_WORDS,
                    broadcast_view)

_amp_on = _amp._active   # autocast's one fast check (ember.amp)

__all__ = [
    "reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "squeeze", "unsqueeze",
    "flatten", "unflatten", "ravel", "movedim", "moveaxis", "broadcast_to",
    "broadcast_tensors", "broadcast_shapes", "repeat_interleave", "tile", "cat", "concat",
    "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack", "split",
    "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "unbind", "narrow", "narrow_copy",
    "select", "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu", "diagonal",
    "diag_embed", "diag", "diagflat", "as_strided", "atleast_1d", "atleast_2d", "atleast_3d",
    "meshgrid", "tril_indices", "triu_indices", "trace", "kron", "block_diag", "cartesian_prod",
    "combinations", "adjoint",
]

_enabled = grad_mode._enabled


# ---------------------------------------------------------------- helpers
def _mark_view(out, base, fn=None, name="AsStridedBackward0"):
    """Make `out` a view of `base` for autograd: one version counter for both (an in-place
    change through either is seen by saved-tensor checks), `_base` as in PyTorch, and the
    base remembered. With `fn` (out's array is `fn(base's array)`), an in-place op on the
    view that needs gradients rewires the base's graph (PyTorch's CopySlices)."""
    out._vc = base._vc
    root = base._base
    d = out.__dict__
    d["_base"] = base if root is None else root
    if _enabled[0]:
        d["_base_view"] = base
        if fn is not None:
            d["_rebase_view"] = _Rebase(base, fn, name)
    return out


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _type_name(d):
    return _TYPE_WORDS.get(d.name) or d.name[0].upper() + d.name[1:].replace("int", "Int")


def _int(x, fn, arg):
    """An int argument (a Python int, NumPy integer or one-element integer Tensor)."""
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{fn}(): argument '{arg}' must be int, not {type(x).__name__}") from None


def _shape_args(shape, fn="view", arg="size"):
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])`, `f(Size)` -> (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple(map(operator.index, shape))
    except TypeError:
        pass
    for i, s in enumerate(shape):
        if not hasattr(s, "__index__"):
            raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"") from None
    raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints")


def _estrides(a):
    """Strides in elements."""
    item = a.itemsize
    return tuple(s // item for s in a.strides)


def _root(a):
    """The array that owns a's memory (PyTorch's storage), following view links."""
    cls = type(a)
    while isinstance(a.base, cls):
        a = a.base
    return a


def _storage_offset(a):
    return (_ptr(a) - _ptr(_root(a))) // a.itemsize


class _ArrayInterface:
    """Lets NumPy wrap raw memory (what numpy.lib.stride_tricks.as_strided does)."""
    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def _strided(a, shape, strides, offset=0, dtype=None):
    """A view of a's memory as `dtype` (default a's) with element `strides`, starting
    `offset` elements after a's first element (elements of `dtype`). Writable exactly when
    `a` is."""
    dtype = a.dtype if dtype is None else dtype
    item = dtype.itemsize
    bstrides = tuple(s * item for s in strides)
    if not isinstance(a, np.ndarray):   # CuPy: a pointer into the same allocation
        import cupy
        return cupy.ndarray(shape, dtype, memptr=a.data + offset * item, strides=bstrides)
    root = _root(a)
    try:
        out = np.ndarray(shape, dtype, buffer=root,
                         offset=_ptr(a) - _ptr(root) + offset * item, strides=bstrides)
    except (TypeError, ValueError):
        # the owner isn't one plain buffer (e.g. a user's own stride-tricks array)
        iface = dict(a.__array_interface__, shape=tuple(shape), strides=bstrides,
                     typestr=dtype.str, descr=[("", dtype.str)],
                     data=(_ptr(a) + offset * item, not a.flags.writeable))
        iface.pop("mask", None)
        return np.asarray(_ArrayInterface(iface, a))
    if not a.flags.writeable and out.flags.writeable:
        out.flags.writeable = False
    return out


def _contig_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= builtins.max(s, 1)
    return tuple(reversed(st))


def _scatter_add(flat, idx, vals):
    if isinstance(flat, np.ndarray):
        np.add.at(flat, idx, vals)
    else:
        import cupyx
        cupyx.scatter_add(flat, idx, vals)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _check_tensor(x, fn, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _tensor_list(tensors, fn):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def _alias(a):
    return a.view()


# ---------------------------------------------------------------- generic view / gather
class _ViewOf(Op):
    """out = fn(a), a view of a. Backward is the adjoint `_Unview` through the same fn."""
    @staticmethod
    def forward(ctx, a, fn, name, overlap):
        ctx.in_shape, ctx.fn, ctx.overlap = a.shape, fn, overlap
        ctx._name = name
        return fn(a)

    @staticmethod
    def backward(ctx, g):
        return _Unview.apply(g, ctx.fn, ctx.in_shape, ctx.overlap, ctx._name), None, None, None


class _Unview(Op):
    """Zeros of `shape` with `g` written where the view `fn` looks (added where the view's
    elements overlap). It is also diag_embed's forward (then `name` is given)."""
    @staticmethod
    def forward(ctx, g, fn, shape, overlap, view_name, name=None):
        ctx.fn, ctx.overlap, ctx.view_name = fn, overlap, view_name
        ctx._name = name or view_name[:-len("Backward0")] + "BackwardBackward0"
        xp = xp_of(g)
        z = xp.zeros(shape, g.dtype)
        if overlap:
            idx = fn(xp.arange(z.size).reshape(shape))
            _scatter_add(z.reshape(-1), idx.reshape(-1), g.reshape(-1))
        else:
            fn(z)[...] = g
        return z

    @staticmethod
    def backward(ctx, gg):
        return _ViewOf.apply(gg, ctx.fn, ctx.view_name, ctx.overlap), None, None, None, None, \
            None


def _view_op(input, fn, name, overlap=False):
    out = _ViewOf.apply(input, fn, name, overlap)
    return _mark_view(out, input, None if overlap else fn, name)


# ---------------------------------------------------------------- in-place ops through views
class _Rebase:
    """Called by `_util.apply_inplace` after an in-place op wrote `result` through `view`
    (= fn(base)): the base becomes CopySlices(base, result) in the graph and the view a view
    of that, so gradients reach both what was overwritten and what was written."""
    __slots__ = ("base", "fn", "name")

    def __init__(self, base, fn, name):
        self.base, self.fn, self.name = base, fn, name

    def __call__(self, view, result):
        base = self.base
        _take_graph_place(base, _CopySlices.apply(base, result, self.fn))
        v = _ViewOf.apply(base, self.fn, self.name, False)
        view.grad_fn, view._output_nr, view._requires_grad = v.grad_fn, 0, True


class _MultiOutputView:
    """The `_rebase_view` of split/unbind pieces: PyTorch refuses in-place ops that need
    gradients on them."""
    __slots__ = ("index", "name")

    def __init__(self, index, name):
        self.index, self.name = index, name

    def __call__(self, view, result):
        raise RuntimeError(f"Output {self.index} of {self.name} is a view and is being modified "
                           "inplace. This view is the output of a function that returns "
                           "multiple views. Such functions do not allow the output views to be "
                           "modified inplace. You should replace the inplace operation by an "
                           "out-of-place one.")


def _multi_output_views(pieces, base, name):
    out = []
    for i, p in enumerate(pieces):
        _mark_view(p, base)
        if _enabled[0]:
            p.__dict__["_rebase_view"] = _MultiOutputView(i, name[:-len("Backward0")])
        out.append(p)
    return tuple(out)


def _take_graph_place(t, new):
    rebase = t.__dict__.get("_rebase_view")
    if rebase is not None:
        rebase(t, new)     # t is itself a view: its base is rewired too
    elif t.__dict__.get("_base_view") is not None:
        raise NotImplementedError(
            "ember does not yet support in-place operations that need gradients on this kind "
            "of view; apply the op to the base tensor or use an out-of-place op")
    else:
        t.grad_fn, t._output_nr, t._requires_grad = new.grad_fn, new._output_nr, True


class _CopySlices(Op):
    """`base` with the region fn(base) replaced by `src`. The memory already holds it (the
    in-place op wrote through the view), so forward only hands the array on."""
    _name = "CopySlices"

    @staticmethod
    def forward(ctx, base, src, fn):
        ctx.fn = fn
        return base

    @staticmethod
    def backward(ctx, g):
        fn = ctx.fn
        gsrc = _ViewOf.apply(g, fn, "AsStridedBackward0", False) if ctx.needs_input_grad[1] \
            else None
        return _MaskView.apply(g, fn), gsrc, None


class _MaskView(Op):
    """g with the region the view `fn` covers set to zero (a projection: its own adjoint)."""
    @staticmethod
    def forward(ctx, g, fn):
        ctx.fn = fn
        out = g.copy()
        fn(out)[...] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        return _MaskView.apply(gg, ctx.fn), None


class _Take(Op):
    """out = a.flatten()[src] (a copy). With `pad`, index a.numel() reads a zero."""
    @staticmethod
    def forward(ctx, a, src, name, pad):
        ctx.in_shape, ctx.src, ctx.pad = a.shape, src, pad
        ctx._name = name
        flat = a.reshape(-1)
        if pad:
            flat = xp_of(a).concatenate([flat, xp_of(a).zeros(1, a.dtype)])
        return flat[src]

    @staticmethod
    def backward(ctx, g):
        return _Put.apply(g, ctx.src, ctx.in_shape, ctx.pad, ctx._name), None, None, None


class _Put(Op):
    """The adjoint of `_Take`: zeros of `shape` plus `g` added at the flat indices `src`."""
    @staticmethod
    def forward(ctx, g, src, shape, pad, name):
        ctx.src, ctx.pad, ctx.take_name = src, pad, name
        n = _prod(shape)
        z = xp_of(g).zeros(n + pad, g.dtype)
        _scatter_add(z, src.reshape(-1), g.reshape(-1))
        return z[:n].reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        return _Take.apply(gg, ctx.src, ctx.take_name, ctx.pad), None, None, None, None


def _flat_index(a, xp=None):
    xp = xp or xp_of(a._data)
    return xp.arange(a.numel()).reshape(a.shape)


# ---------------------------------------------------------------- view / reshape
def _infer_shape(shape, numel):
    if -1 not in shape and math.prod(shape) == numel and (not shape or min(shape) >= 0):
        return shape
    infer, known = None, 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{_fmt(shape)}")
        else:
            known *= s
    if infer is None:
        if known == numel:
            return tuple(shape)
    elif known != 0:
        if numel % known == 0:
            shape = list(shape)
            shape[infer] = numel // known
            return tuple(shape)
    elif numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_fmt(shape)} "
                           "because the unspecified dimension size -1 can be any value and is "
                           "ambiguous")
    raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")


def _reshape_fn(shape):
    return lambda a: a.reshape(shape)


def _reshape_view(a, shape):
    """a reshaped without copying, or None when the strides don't allow it."""
    if isinstance(a, np.ndarray):
        try:
            return a.reshape(shape, copy=False)
        except ValueError:
            return None
    out = a.view()
    try:
        out.shape = shape
    except AttributeError:
        return None
    return out


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one "
               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")


class View(Op):
    """`view`: never copies; raises PyTorch's error when the strides don't allow a view."""
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        out = _reshape_view(a, shape)
        if out is None:
            raise RuntimeError(_VIEW_ERROR)
        return out

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None

    backward_raw = backward   # the same formula works on arrays


class Reshape(Op):
    """`reshape`: the view `v` when the strides allow one (ViewBackward0), else a copy
    (UnsafeViewBackward0), exactly as PyTorch decides."""
    @staticmethod
    def forward(ctx, a, shape, v):
        ctx.in_shape = a.shape
        if v is None:
            ctx._name = "UnsafeViewBackward0"
            return a.reshape(shape)
        ctx._name = "ViewBackward0"
        return v

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None, None

    backward_raw = backward   # the same formula works on arrays


def _view_dtype(self, dtype):
    """`view(dtype)`: the same bytes read as another dtype (no gradient, like PyTorch).
    A different element size rescales the last dimension, under PyTorch's conditions."""
    a = self._data
    new = _dt.to_np(dtype)
    if new.itemsize == a.itemsize:
        out = a.view(new)
    else:
        out = _view_dtype_resized(self, dtype, new)
    return _mark_view(_make(out, self._device), self)


def _view_dtype_resized(self, dtype, new):
    a, old = self._data, self.dtype
    what = f"to view {_type_name(old)} as {_type_name(dtype)} (different element sizes)"
    if a.ndim == 0:
        raise RuntimeError(f"self.dim() cannot be 0 {what}")
    st = self.stride()
    if st[-1] != 1:
        raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {st[-1]}")
    if new.itemsize > a.itemsize:
        k = new.itemsize // a.itemsize
        if a.shape[-1] % k:
            raise RuntimeError(f"self.size(-1) must be divisible by {k} {what}, but got "
                               f"{a.shape[-1]}")
        off = self.storage_offset()
        if off % k:
            raise RuntimeError(f"self.storage_offset() must be divisible by {k} {what}, but "
                               f"got {off}")
        for i in range(a.ndim - 1):
            if st[i] % k:
                raise RuntimeError(f"self.stride({i}) must be divisible by {k} {what}, but got "
                                   f"{st[i]}")
        shape = a.shape[:-1] + (a.shape[-1] // k,)
        strides = tuple(s // k for s in st[:-1]) + (1,)
    else:
        k = a.itemsize // new.itemsize
        shape = a.shape[:-1] + (a.shape[-1] * k,)
        strides = tuple(s * k for s in st[:-1]) + (1,)
    return _strided(a, shape, strides, 0, new)


def view(self, *shape, dtype=None, size=None):
    if size is not None:
        shape = (size,)
    if dtype is None and len(shape) == 1 and isinstance(shape[0], _dt.dtype):
        dtype = shape[0]
    if dtype is not None:
        return _view_dtype(self, _dt.as_dtype(dtype))
    try:
        shape = _shape_args(shape, "view", "size")
    except TypeError:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            raise
        raise TypeError(f"view() received an invalid combination of arguments - got "
                        f"({', '.join(type(x).__name__ for x in shape)}), but expected one "
                        "of:\n * (torch.dtype dtype)\n * (tuple of ints size)\n") from None
    shape = _infer_shape(shape, self._data.size)
    if not (_enabled[0] and self._requires_grad):
        # nothing to record: skip the Function machinery (per-sample transforms, no_grad)
        v = _reshape_view(self._data, shape)
        if v is None:
            raise RuntimeError(_VIEW_ERROR)
        out = _make(v, self._device)
    else:
        out = View.apply(self, shape)
    return _mark_view(out, self, _reshape_fn(shape), "ViewBackward0")


def view_as(self, other):
    return view(self, other.shape)


def reshape(input, *shape, **kwargs):
    if "shape" in kwargs:
        shape = (kwargs.pop("shape"),)
    if kwargs:
        raise TypeError(f"reshape() got an unexpected keyword argument '{next(iter(kwargs))}'")
    shape = _infer_shape(_shape_args(shape, "reshape", "shape"), input._data.size)
    v = _reshape_view(input._data, shape)
    out = Reshape.apply(input, shape, v)
    return out if v is None else _mark_view(out, input, _reshape_fn(shape), "ViewBackward0")


def reshape_as(self, other):
    return reshape(self, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    n = input.ndim
    if n == 0:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input.shape
    return reshape(input, shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input, dim, sizes):
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, input.ndim)
    sizes = _shape_args((sizes,), "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[dim]
    try:
        inner = _infer_shape(sizes, n)
    except RuntimeError:
        if sizes.count(-1) > 1:
            raise
        raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor") from None
    shape = input.shape
    return view(input, shape[:dim] + inner + shape[dim + 1:])


def ravel(input):
    return reshape(input, -1)


# ---------------------------------------------------------------- expand / broadcast
class Expand(Op):
    @staticmethod
    def forward(ctx, a, shape):
        if _adds_only_ones(a.shape, shape):
            return a.reshape(shape)   # an ordinary (writable) view
        return broadcast_view(a, shape)   # read-only: elements alias each other

    @staticmethod
    def backward(ctx, g):
        return g, None    # the engine sums back to the input's shape

    backward_raw = backward   # the same formula works on arrays


def _adds_only_ones(a_shape, shape):
    """expand to `shape` repeats nothing: it only prepends size-1 dims."""
    lead = len(shape) - len(a_shape)
    return shape[lead:] == a_shape and builtins.all(s == 1 for s in shape[:lead])


def _expand_shape(input, shape):
    a_shape = input.shape
    lead = len(shape) - len(a_shape)
    if lead < 0:
        raise RuntimeError(f"expand({input.type()}{{{_fmt(a_shape)}}}, size={_fmt(shape)}): the "
                           f"number of sizes provided ({len(shape)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({len(a_shape)})")
    full = []
    for i, s in enumerate(shape):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            full.append(s)
            continue
        cur = a_shape[i - lead]
        if s == -1:
            s = cur
        elif cur != s and (cur != 1 or s < 0):
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{_fmt(shape)}.  Tensor sizes: {_fmt(a_shape)}")
        full.append(s)
    return tuple(full)


def expand(self, *sizes, size=None):
    if size is not None:
        sizes = (size,)
    shape = _expand_shape(self, _shape_args(sizes, "expand", "size"))
    out = Expand.apply(self, shape)
    if _adds_only_ones(self._data.shape, shape):
        return _mark_view(out, self, _reshape_fn(shape), "ExpandBackward0")
    return _mark_view(out, self)


def expand_as(self, other):
    return expand(self, other.shape)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shapes(*shapes):
    """PyTorch's broadcast_shapes (ints count as 1-D shapes)."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes if s is not None]
    if not shapes:
        return Size(())
    common = [1] * builtins.max(len(s) for s in shapes)
    for k, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] == common[i]:
                continue
            if common[i] == 1:
                if shape[i] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = shape[i]
                continue
            if shape[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[i]} "
                                   f"at {i}! Mismatching argument at index {k} had {shape}; but "
                                   f"expected shape should be broadcastable to {common}")
    return Size(common)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "broadcast_tensors")
    if len(tensors) == 1:
        return (tensors[0],)
    shape = ()
    for t in tensors:
        shape = infer_size(shape, t.shape)
    return tuple(expand(t, shape) for t in tensors)


# ---------------------------------------------------------------- permute / transpose
class Permute(Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return g.permute(*inv), None

    @staticmethod
    def backward_raw(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return g.transpose(inv), None


def permute(input, *dims, **kwargs):
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"permute() got an unexpected keyword argument '{next(iter(kwargs))}'")
    dims = _shape_args(dims, "permute", "dims")
    n = input.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _mark_view(Permute.apply(input, dims), input, lambda a: a.transpose(dims),
                      "PermuteBackward0")


class Transpose(Op):
    @staticmethod
    def forward(ctx, a, d0, d1, name):
        ctx.d = (d0, d1)
        ctx._name = name
        return a.swapaxes(d0, d1)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.d), None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        return g.swapaxes(*ctx.d), None, None, None


def transpose(input, dim0, dim1):
    n = input.ndim
    if n == 0:   # 0 and -1 still name the scalar's one pseudo-dim; others raise
        wrap_dim(dim0, n)
        wrap_dim(dim1, n)
        return _view_op(input, _alias, "TransposeBackward0")
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    return _mark_view(Transpose.apply(input, d0, d1, "TransposeBackward0"), input,
                      lambda a: a.swapaxes(d0, d1), "TransposeBackward0")


swapaxes = swapdims = transpose


def t(input):
    n = input.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    if n < 2:
        return _view_op(input, _alias, "TBackward0")
    return _mark_view(Transpose.apply(input, 0, 1, "TBackward0"), input,
                      lambda a: a.swapaxes(0, 1), "TBackward0")


def _T(self):
    n = self.ndim
    if n == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif n != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return permute(self, *range(n - 1, -1, -1))


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


def _adjoint(self, what, zero_msg):
    n = self.ndim
    if n == 0:
        warnings.warn(zero_msg, UserWarning, stacklevel=3)
        return _conj(self)
    if n < 2:
        raise RuntimeError(f"{what} is only supported on matrices or batches of matrices. "
                           f"Got {n}-D tensor.")
    return _conj(transpose(self, -2, -1))


def adjoint(input):
    return _adjoint(input, "tensor.adjoint()",
                    "adjoint() is deprecated on 0-D tensors. Consider using x.conj().")


def _mH(self):
    return _adjoint(self, "tensor.mH",
                    "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().")


def _H(self):
    if self.ndim > 2 or self.ndim == 1:
        extra = (" For batches of matrices, consider using tensor.mH" if self.ndim > 2 else "")
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.{extra}")
    return _adjoint(self, "tensor.H",
                    "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")


def movedim(input, source, destination):
    n = input.ndim
    src = list(source) if isinstance(source, (tuple, list)) else [source]
    dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, n) for d in src]
    dst = [wrap_dim(d, n) for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    if n == 0:
        return _view_op(input, _alias, "AliasBackward0")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, *order)


moveaxis = movedim


# ---------------------------------------------------------------- squeeze / unsqueeze
class Unsqueeze(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return a[(slice(None),) * dim + (None,)]

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None

    backward_raw = backward   # the same formula works on arrays


def unsqueeze(input, dim):
    dim = wrap_dim(dim, input.ndim + 1)
    if not (_enabled[0] and input._requires_grad):   # nothing to record: skip apply
        out = _make(input._data[(slice(None),) * dim + (None,)], input._device)
    else:
        out = Unsqueeze.apply(input, dim)
    return _mark_view(out, input, _reshape_fn(out._data.shape), "UnsqueezeBackward0")


class Squeeze(Op):
    @staticmethod
    def forward(ctx, a, dims, name):
        ctx.in_shape = a.shape
        ctx._name = name
        dims = tuple(d for d in dims if d < a.ndim and a.shape[d] == 1)
        return a.squeeze(dims) if dims else a.view()

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None, None

    backward_raw = backward   # the same formula works on arrays


def squeeze(input, dim=None):
    n = input.ndim
    if dim is None:
        dims, name = tuple(range(n)), "SqueezeBackward0"
    elif isinstance(dim, (tuple, list)):
        dims, name = tuple(wrap_dim(d, n) for d in dim), "SqueezeBackward2"
        for i, d in enumerate(dims):
            if d in dims[:i]:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    else:
        dims, name = (wrap_dim(dim, n),), "SqueezeBackward1"
    out = Squeeze.apply(input, dims, name)
    return _mark_view(out, input, _reshape_fn(out.shape), name)


# ---------------------------------------------------------------- in-place metadata ops
_INPLACE_NAMES = {"TBackward0": "TBackward1", "TransposeBackward0": "TransposeBackward1",
                  "UnsqueezeBackward0": "UnsqueezeBackward1", "SqueezeBackward0":
                  "SqueezeBackward3", "SqueezeBackward1": "SqueezeBackward4",
                  "SqueezeBackward2": "SqueezeBackward5"}


def _become(self, result):
    """`self` takes on `result` (a view of self): t_(), squeeze_(), ... change the tensor
    object itself, as in PyTorch."""
    check_inplace_allowed(self)
    self._data = result._data
    self._vc[0] += 1
    _compose_rebase(self, result)
    fn = result.grad_fn
    if fn is not None:
        fn._name = _INPLACE_NAMES.get(fn.name(), fn.name())
        self.grad_fn = fn
        self._output_nr = result._output_nr
    return self


def _compose_rebase(self, result):
    """self (a view of some base) now holds result's view of itself: in-place ops through
    self must replay both views."""
    r1 = self.__dict__.get("_rebase_view")
    if r1 is None:
        return
    r2 = result.__dict__.get("_rebase_view")
    if isinstance(r1, _Rebase) and isinstance(r2, _Rebase):
        f1, f2 = r1.fn, r2.fn
        self.__dict__["_rebase_view"] = _Rebase(r1.base, lambda a: f2(f1(a)), r2.name)
    else:
        del self.__dict__["_rebase_view"]


def t_(self):
    return _become(self, t(self))


def transpose_(self, dim0, dim1):
    return _become(self, transpose(self, dim0, dim1))


swapaxes_ = swapdims_ = transpose_


def squeeze_(self, dim=None):
    return _become(self, squeeze(self, dim))


def unsqueeze_(self, dim):
    return _become(self, unsqueeze(self, dim))


def resize_(self, *sizes, memory_format=None):
    """PyTorch's resize_: contiguous strides over the same storage from the tensor's storage
    offset. When the storage is too small, ember copies into new memory (PyTorch grows the
    storage in place, so other views of it would see the growth; here they keep the old
    memory). New elements are zero (PyTorch leaves them uninitialised)."""
    shape = _shape_args(sizes, "resize_", "size")
    if builtins.any(s < 0 for s in shape):
        raise RuntimeError("numel: integer multiplication overflow")
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    a = self._data
    if shape == a.shape:
        return self
    n = _prod(shape)
    root = _root(a)
    avail = root.nbytes // a.itemsize - _storage_offset(a)
    if n <= avail and (root.flags.c_contiguous or not isinstance(a, np.ndarray)):
        new = _strided(a, shape, _contig_strides(shape))
    else:
        xp = xp_of(a)
        flat = xp.zeros(n, a.dtype)
        old = _strided(a, (builtins.min(avail, n),), (1,)) if root.flags.c_contiguous else \
            a.reshape(-1)[:n]
        flat[:old.size] = old
        new = flat.reshape(shape)
    self._data = new
    self._vc[0] += 1
    return self


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, the_template.shape)


# ---------------------------------------------------------------- repeat / tile
class Repeat(Op):
    @staticmethod
    def forward(ctx, a, reps):
        shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.in_shape, ctx.shape, ctx.reps = a.shape, shape, reps
        return xp_of(a).tile(a.reshape(shape), reps)

    @staticmethod
    def backward(ctx, g):
        if ctx.reps:
            pairs = []
            for r, s in zip(ctx.reps, ctx.shape):
                pairs += [r, s]
            g = g.reshape(pairs).sum(dim=tuple(range(0, len(pairs), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(self, *sizes, repeats=None):
    if repeats is not None:
        sizes = (repeats,)
    reps = _shape_args(sizes, "repeat", "repeats")
    if len(reps) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(reps) - self.ndim) + self.shape
    out_shape = [r * s for r, s in zip(reps, shape)]
    if builtins.any(r < 0 for r in reps):
        bad = next(s for s in out_shape if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{_fmt(out_shape)}")
    return Repeat.apply(self, reps)


def tile(input, dims):
    dims = _shape_args((dims,), "tile", "dims")
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def _repeats_index(repeats, n, xp):
    """indices 0..n-1, each repeated repeats[i] times (a host array moved to xp)."""
    r = np.asarray(repeats._host_array() if isinstance(repeats, Tensor) else repeats)
    if r.size == 1 and r.ndim <= 1 and n != 1:
        r = np.broadcast_to(r.reshape(()), (n,))
    return xp.asarray(np.repeat(np.arange(n), r.reshape(-1)))


def _check_repeats_tensor(repeats):
    if repeats.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if repeats.dtype.category != _dt._INT:
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{_type_name(repeats.dtype)}'")
    if repeats.numel() and int(repeats._host_array().min()) < 0:
        raise RuntimeError("repeats can not be negative")


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:   # torch.repeat_interleave(repeats): the repeated indices
        if input.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        _check_repeats_tensor(input)
        idx = _repeats_index(input, input.numel(), xp_of(input._data))
        return _make(idx.astype(np.int64), input._device)
    if dim is None:
        input, dim = flatten(input), 0
    elif input.ndim == 0:
        wrap_dim(dim + 1 if dim >= 0 else dim, 1)
        input = reshape(input, 1)
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    if isinstance(repeats, Tensor):
        _check_repeats_tensor(repeats)
        if repeats.numel() not in (1, n):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats.numel()} and input.size({dim}) = "
                               f"{n}")
        idx = _repeats_index(repeats, n, xp_of(input._data))
        if output_size is not None and output_size != idx.size:
            raise RuntimeError("allocated size does not match required size")
        src = _flat_index(input).take(idx, axis=dim)
        return _Take.apply(input, src, "IndexSelectBackward0", False)
    r = _int(repeats, "repeat_interleave", "repeats")
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != n * r:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {n * r} but got "
                           f"{output_size}")
    shape = input.shape
    wide = expand(unsqueeze(input, dim + 1), shape[:dim + 1] + (r,) + shape[dim + 1:])
    out = reshape(wide, shape[:dim] + (n * r,) + shape[dim + 1:])
    if r == 1:   # the reshape was a view; repeat_interleave always returns new memory
        from .convert import clone
        out = clone(out)
    return out


# ---------------------------------------------------------------- cat / stack
def _legacy_empty(a):
    return a.ndim == 1 and a.shape[0] == 0


class Cat(Op):
    """Join along `dim`; 1-D empty tensors are skipped (PyTorch's legacy behaviour)."""
    @staticmethod
    def forward(ctx, dim, npdt, *arrays):
        ctx.dim = dim
        ctx.sizes = [None if _legacy_empty(a) else a.shape[dim] for a in arrays]
        keep = [a for a in arrays if not _legacy_empty(a)]
        xp = xp_of(arrays[0])
        if not keep:
            return xp.empty((0,), npdt)
        return xp.concatenate(keep, axis=dim, dtype=npdt, casting="unsafe")

    @staticmethod
    def backward(ctx, g):
        sizes = [s for s in ctx.sizes if s is not None]
        pieces = iter(split(g, sizes, ctx.dim) if sizes else ())
        return (None, None) + tuple(next(pieces) if s is not None else
                                    _zeros((0,), g.dtype, g._device) for s in ctx.sizes)


def _check_cat(tensors, dim):
    ref = None
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
        if ref is None and not _legacy_empty(t._data):
            ref = t
    if ref is None:
        wrap_dim(dim, 1)
        return 0
    n = ref.ndim
    dim = wrap_dim(dim, n)
    for i, t in enumerate(tensors):
        if _legacy_empty(t._data) or t is ref:
            continue
        if t.ndim != n:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {n} and "
                               f"{t.ndim}")
        for d in range(n):
            if d != dim and t.shape[d] != ref.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {ref.shape[d]} but got size {t.shape[d]} "
                                   f"for tensor number {i} in the list.")
    return dim


def cat(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "cat")
    if _amp_on[0] and out is None:
        tensors, = _amp.maybe_cast("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    if not isinstance(dim, int):
        raise TypeError(f"cat(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = _check_cat(tensors, dim)
    r = Cat.apply(dim, _dt.result_type(*tensors).np, *tensors)
    return r if out is None else write_out(r, out)


concat = cat


def concatenate(tensors, axis=0, out=None):
    return cat(tensors, axis, out=out)


class Stack(Op):
    @staticmethod
    def forward(ctx, dim, npdt, *arrays):
        ctx.dim = dim
        return xp_of(arrays[0]).stack(arrays, axis=dim, dtype=npdt, casting="unsafe")

    @staticmethod
    def backward(ctx, g):
        return (None, None) + unbind(g, ctx.dim)


def stack(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "stack")
    if _amp_on[0] and out is None:
        tensors, = _amp.maybe_cast("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_fmt(shape)} at entry 0 and {_fmt(t.shape)} at entry {i}")
    dim = wrap_dim(dim, len(shape) + 1)
    r = Stack.apply(dim, _dt.result_type(*tensors).np, *tensors)
    return r if out is None else write_out(r, out)


def hstack(tensors, *, out=None):
    tensors = atleast_1d(_tensor_list(tensors, "hstack"))
    if tensors and tensors[0].ndim == 1:
        return cat(tensors, 0, out=out)
    return cat(tensors, 1, out=out)


def vstack(tensors, *, out=None):
    return cat(atleast_2d(_tensor_list(tensors, "vstack")), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2, out=out)


def column_stack(tensors, *, out=None):
    tensors = _tensor_list(tensors, "column_stack")
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    cols = [reshape(t, t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: reshape(t, 1) if t.ndim == 0 else t, "atleast_1d")


def _to_2d(t):
    if t.ndim == 0:
        return reshape(t, 1, 1)
    return unsqueeze(t, 0) if t.ndim == 1 else t


def atleast_2d(*tensors):
    return _atleast(tensors, _to_2d, "atleast_2d")


def _to_3d(t):
    if t.ndim == 0:
        return reshape(t, 1, 1, 1)
    if t.ndim == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if t.ndim == 2 else t


def atleast_3d(*tensors):
    return _atleast(tensors, _to_3d, "atleast_3d")


def _atleast(tensors, fn, name):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in _tensor_list(tensors[0], name))
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        got = type(tensors[0]).__name__
        why = f"      didn't match because some of the arguments have invalid types: (!{got}!)\n"
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n * (Tensor input)\n{why} * (tuple of Tensors "
                        f"tensors)\n{why}")
    _tensor_list(tensors, name)
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


# ---------------------------------------------------------------- split / unbind / narrow
class Split(Op):
    """One node for all pieces (PyTorch's SplitBackward0); each piece is a view."""
    @staticmethod
    def forward(ctx, a, sizes, dim, name):
        ctx.dim = dim
        ctx._name = name
        pre = (slice(None),) * dim
        out, start = [], 0
        for s in sizes:
            out.append(a[pre + (slice(start, start + s),)])
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        return cat(list(grads), ctx.dim), None, None, None


def _split_pieces(input, sizes, dim, name):
    return _multi_output_views(Split.apply(input, tuple(sizes), dim, name), input, name)


def split(tensor, split_size_or_sections, dim=0):
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int(s, "split", "split_size") for s in split_size_or_sections]
        if builtins.any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={_fmt(sizes)}")
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={_fmt(sizes)}")
        return _split_pieces(tensor, sizes, dim, "SplitWithSizesBackward0")
    s = _int(split_size_or_sections, "split", "split_size")
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    if n == 0:
        sizes = [0]
    else:
        sizes = [s] * (n // s) + ([n % s] if n % s else [])
    return _split_pieces(tensor, sizes, dim, "SplitBackward0")


def _split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


def chunk(input, chunks, dim=0):
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = _int(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    size = -(-n // chunks)
    if size == 0 and n == 0:
        return _split_pieces(input, [0] * chunks, dim, "SplitWithSizesBackward0")
    return split(input, size, dim)


def _slice_bounds(start, end, n):
    """PyTorch's slice(): negative ends wrap once, then both clamp into [0, n]."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = builtins.min(builtins.max(start, 0), n)
    end = builtins.min(builtins.max(end, start), n)
    return start, end


def _slice(input, dim, start, end):
    pre = (slice(None),) * dim
    return _view_op(input, lambda a: a[pre + (slice(start, end),)], "SliceBackward0")


def tensor_split(input, indices_or_sections, dim=0):
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {ios.ndim} dims")
        if ios.dtype is not _dt.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {_type_name(ios.dtype)}")
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, (list, tuple)):
        bounds, start = [], 0
        for i in ios:
            bounds.append((start, _int(i, "tensor_split", "indices")))
            start = bounds[-1][1]
        bounds.append((start, n))
        return tuple(_slice(input, dim, *_slice_bounds(s, e, n)) for s, e in bounds)
    if isinstance(ios, float):
        raise TypeError("tensor_split() received an invalid combination of arguments - got "
                        "(float), but expected one of:\n * (tuple of ints indices, int dim = 0)"
                        "\n * (Tensor tensor_indices_or_sections, int dim = 0)\n * (int "
                        "sections, int dim = 0)\n")
    k = _int(ios, "tensor_split", "sections")
    if k <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {k}")
    small, extra = divmod(n, k)
    out, start = [], 0
    for i in range(k):
        size = small + (1 if i < extra else 0)
        out.append(_slice(input, dim, start, start + size))
        start += size
    return tuple(out)


def _nsplit(input, ios, dim, name, need):
    if input.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {input.ndim} dimensions!")
    if isinstance(ios, int) and not isinstance(ios, bool):
        n = input.shape[dim]
        if ios != 0 and n % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    return _nsplit(input, indices_or_sections, 2, "dsplit", 3)


class Unbind(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        pre = (slice(None),) * dim
        return tuple(a[pre + (i, Ellipsis)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads), ctx.dim), None


def unbind(input, dim=0):
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, input.ndim)
    return _multi_output_views(Unbind.apply(input, dim), input, "UnbindBackward0")


def _index_arg(x, what):
    if isinstance(x, Tensor):
        if x.ndim != 0 or x.dtype.category != _dt._INT:
            raise RuntimeError(f"{what} must be an 0-dim integral Tensor.")
        return int(x.item())
    return operator.index(x)


def narrow(input, dim, start, length):
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if isinstance(start, float) or isinstance(length, float):
        raise TypeError(f"narrow() received an invalid combination of arguments - got "
                        f"({type(dim).__name__}, {type(start).__name__}, "
                        f"{type(length).__name__})")
    start, length = _index_arg(start, "start"), _index_arg(length, "length")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    dim = wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, dim, start, start + length)


def narrow_copy(input, dim, start, length):
    from .convert import clone
    return clone(narrow(input, dim, start, length))


def select(input, dim, index):
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, input.ndim)
    index = _index_arg(index, "index")
    n = input.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{_fmt(input.shape)} at dimension {dim}")
    index %= n
    pre = (slice(None),) * dim
    return _view_op(input, lambda a: a[pre + (index, Ellipsis)], "SelectBackward0")


# ---------------------------------------------------------------- flip / roll / rot90
def _dims_list(dims, n):
    dims = list(dims) if isinstance(dims, (tuple, list)) else [dims]
    out = [wrap_dim(d, n) for d in dims]
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(out)


class Flip(Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp_of(a).flip(a, axis=dims).copy() if dims and a.ndim else a.copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(input, *dims, **kwargs):
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return Flip.apply(input, _dims_list(dims, input.ndim))


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Op):
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(a).roll(a, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if ctx.dims is not None else -ctx.shifts
        return Roll.apply(g, back, ctx.dims), None, None


def roll(input, shifts, dims=None):
    sh = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    sh = tuple(_int(s, "roll", "shifts") for s in sh)
    if dims is None or (isinstance(dims, (tuple, list)) and len(dims) == 0):
        if not sh:
            raise RuntimeError("`shifts` required")
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        return Roll.apply(input, sh[0], None)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(sh) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, "
                           f"dims:{len(dims)}")
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return Roll.apply(input, sh, tuple(wrap_dim(d, input.ndim) for d in dims))


def rot90(input, k=1, dims=(0, 1)):
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    n = input.ndim
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = wrap_dim(dims[0], n), wrap_dim(dims[1], n)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, d0), d0, d1)
    from .convert import clone
    return clone(input)


# ---------------------------------------------------------------- triangles
class Tril(Op):
    @staticmethod
    def forward(ctx, a, k, upper):
        ctx.k, ctx.upper = k, upper
        ctx._name = "TriuBackward0" if upper else "TrilBackward0"
        xp = xp_of(a)
        return xp.triu(a, k) if upper else xp.tril(a, k)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.k, ctx.upper), None, None


def _tri(input, diagonal, upper, out, pos=2):
    name = "triu" if upper else "tril"
    if not isinstance(diagonal, int):
        raise TypeError(f"{name}(): argument 'diagonal' (position {pos}) must be int, not "
                        f"{type(diagonal).__name__}")
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    r = Tril.apply(input, diagonal, upper)
    return r if out is None else write_out(r, out)


def tril(input, diagonal=0, *, out=None):
    return _tri(input, diagonal, False, out)


def triu(input, diagonal=0, *, out=None):
    return _tri(input, diagonal, True, out)


def _tril_method(self, diagonal=0):
    return _tri(self, diagonal, False, None, 1)


def _triu_method(self, diagonal=0):
    return _tri(self, diagonal, True, None, 1)


def tril_(self, diagonal=0):
    from ._util import apply_inplace
    return apply_inplace(self, _tri(self, diagonal, False, None, 1))


def triu_(self, diagonal=0):
    from ._util import apply_inplace
    return apply_inplace(self, _tri(self, diagonal, True, None, 1))


def _tri_indices(row, col, offset, dtype, device, lower):
    name = "tril_indices" if lower else "triu_indices"
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    if dt.category != _dt._INT:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_name(dt)}'")
    if lower:
        r, c = np.tril_indices(row, offset, col)
    else:
        r, c = np.triu_indices(row, offset, col)
    from .creation import _device, _to_device
    dev = _device(device)
    return _make(_to_device(np.stack([r, c]).astype(dt.np), dev), dev)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(row, col, offset, dtype, device, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(row, col, offset, dtype, device, False)


# ---------------------------------------------------------------- diagonals
def _diag_geometry(shape, strides, offset, d1, d2):
    """(shape, element strides, start offset) of the diagonal view."""
    if offset >= 0:
        n = builtins.max(builtins.min(shape[d1], shape[d2] - offset), 0)
        start = offset * strides[d2]
    else:
        n = builtins.max(builtins.min(shape[d1] + offset, shape[d2]), 0)
        start = -offset * strides[d1]
    keep = [i for i in range(len(shape)) if i != d1 and i != d2]
    out_shape = tuple(shape[i] for i in keep) + (n,)
    out_strides = tuple(strides[i] for i in keep) + (strides[d1] + strides[d2],)
    return out_shape, out_strides, start if n else 0


def _diagonal_fn(offset, d1, d2):
    def fn(a):
        shape, strides, start = _diag_geometry(a.shape, _estrides(a), offset, d1, d2)
        return _strided(a, shape, strides, start)
    return fn


def _diag_dims(n, dim1, dim2):
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _diag_dims(input.ndim, dim1, dim2)
    return _view_op(input, _diagonal_fn(offset, d1, d2), "DiagonalBackward0")


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.ndim + 1
    d1, d2 = _diag_dims(n, dim1, dim2)   # a 0-d input fails here, as in PyTorch
    m = input.shape[-1] + abs(offset)
    shape = list(input.shape[:-1])
    lo, hi = builtins.min(d1, d2), builtins.max(d1, d2)
    shape.insert(lo, m)
    shape.insert(hi, m)
    return _Unview.apply(input, _diagonal_fn(offset, d1, d2), tuple(shape), False,
                         "DiagonalBackward0", "DiagEmbedBackward0")


def diag(input, diagonal=0, *, out=None):
    if input.ndim == 1:
        r = diag_embed(input, diagonal)
    elif input.ndim == 2:
        from .convert import clone
        r = clone(globals()["diagonal"](input, diagonal))
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return r if out is None else write_out(r, out)


def diagflat(input, offset=0):
    return diag_embed(reshape(input, -1), offset)


def trace(input):
    if _amp_on[0]:
        input, = _amp.maybe_cast("trace", input)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype is _dt.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return diagonal(input).sum()


# ---------------------------------------------------------------- unfold / as_strided
def unfold(self, dimension, size, step):
    n = self.ndim
    dim = wrap_dim(dimension, n)
    length = self.shape[dim] if n else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (length - size) // step + 1

    def fn(a):
        if a.ndim == 0:
            return _strided(a, (size,), (1,))
        st = _estrides(a)
        shape = a.shape[:dim] + (count,) + a.shape[dim + 1:] + (size,)
        strides = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        return _strided(a, shape, strides)
    return _view_op(self, fn, "UnfoldBackward0", overlap=step < size and count > 1)


class AsStrided(Op):
    """A view of the input's storage; the gradient reaches the input elements that share
    memory with the view (by flat index, `_Put`)."""
    @staticmethod
    def forward(ctx, a, size, stride, offset):
        rel = offset - _storage_offset(a)
        if ctx.needs_input_grad:
            ctx.src = _as_strided_src(a, size, stride, offset)
            ctx.in_shape = a.shape
        return _strided(a, size, stride, rel)

    @staticmethod
    def backward(ctx, g):
        return _Put.apply(g, ctx.src, ctx.in_shape, 1, "AsStridedBackward0"), None, None, None


def _as_strided_src(a, size, stride, offset):
    """For each element of the as_strided view, the flat index of the input element at the
    same memory location (or a.size where the input doesn't cover it)."""
    xp = xp_of(a)
    nstore = _root(a).nbytes // a.itemsize
    store = xp.arange(nstore)
    inv = xp.full(nstore, a.size, dtype=np.int64)
    pos_in = _strided(store, a.shape, _estrides(a), _storage_offset(a))
    inv[pos_in.reshape(-1)] = xp.arange(a.size)
    return inv[_strided(store, size, stride, offset)]


def as_strided(input, size, stride, storage_offset=None):
    """Strides and storage_offset are in elements of the memory that owns the input's data
    (its NumPy base array; PyTorch's storage), so `x[1:].as_strided(s, st)` starts at x[1] and
    an explicit storage_offset counts from the owner's first element. The owner must be one
    contiguous buffer (true for every tensor ember creates)."""
    size = _shape_args((size,), "as_strided", "size")
    stride = _shape_args((stride,), "as_strided", "stride")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if builtins.any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {_fmt(stride)}")
    a = input._data
    off = _storage_offset(a) if storage_offset is None else int(storage_offset)
    root = _root(a)
    need = 0 if _prod(size) == 0 else \
        (off + builtins.sum((s - 1) * st for s, st in zip(size, stride)) + 1)
    have = root.nbytes
    if need * a.itemsize > have:
        raise RuntimeError(f"setStorage: sizes {_fmt(size)}, strides {_fmt(stride)}, storage "
                           f"offset {off}, and itemsize {a.itemsize} requiring a storage size "
                           f"of {need * a.itemsize} are out of bounds for storage of size {have}")
    if isinstance(a, np.ndarray) and not root.flags.c_contiguous:
        raise NotImplementedError("as_strided: ember needs the tensor's memory to be owned by "
                                  "one contiguous array; call .contiguous() first")
    return _mark_view(AsStrided.apply(input, size, stride, off), input)


# ---------------------------------------------------------------- grids and products
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    if builtins.any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if builtins.any(t._device is not tensors[0]._device for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same device")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for s, ax in zip(sizes, axes):
        shape[ax] = s
    out = []
    for t, ax in zip(tensors, axes):
        view_shape = [1] * len(tensors)
        view_shape[ax] = -1
        out.append(expand(reshape(t, view_shape), shape))
    return tuple(out)


def cartesian_prod(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([flatten(g) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _make(xp_of(input._data).empty((0,), input._data.dtype), input._device)
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    src = xp_of(input._data).asarray(idx)
    return _Take.apply(input, src, "IndexBackward0", False)


def kron(input, other, *, out=None):
    n = builtins.max(input.ndim, other.ndim)
    a_shape = (1,) * (n - input.ndim) + input.shape
    b_shape = (1,) * (n - other.ndim) + other.shape
    a_int, b_int = [], []
    for sa, sb in zip(a_shape, b_shape):
        a_int += [sa, 1]
        b_int += [1, sb]
    r = reshape(input, a_int) * reshape(other, b_int)
    r = reshape(r, [sa * sb for sa, sb in zip(a_shape, b_shape)])
    return r if out is None else write_out(r, out)


class BlockDiag(Op):
    @staticmethod
    def forward(ctx, npdt, *mats):
        rows = builtins.sum(m.shape[0] for m in mats)
        cols = builtins.sum(m.shape[1] for m in mats)
        out = xp_of(mats[0]).zeros((rows, cols), npdt)
        r = c = 0
        ctx.spans = []
        for m in mats:
            h, w = m.shape
            out[r:r + h, c:c + w] = m
            ctx.spans.append((r, c, h, w))
            r, c = r + h, c + w
        return out

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(narrow(narrow(g, 0, r, h), 1, c, w) for r, c, h, w in ctx.spans)


def block_diag(*tensors):
    for i, t in enumerate(tensors):
        _check_tensor(t, "block_diag", "tensors")
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    if not tensors:
        return _zeros((1, 0), _dt.get_default_dtype())
    mats = [reshape(t, 1, 1) if t.ndim == 0 else unsqueeze(t, 0) if t.ndim == 1 else t
            for t in tensors]
    return BlockDiag.apply(_dt.result_type(*mats).np, *mats)
