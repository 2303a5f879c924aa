"""Shape ops: views (reshape/view/expand/permute/transpose) share memory with their input."""
import numpy as np

from ..tensor import Tensor, Size
from ..autograd.function import Op
from ..autograd import grad_mode
from ._util import wrap_dim

__all__ = ["reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "squeeze", "unsqueeze"]

_enabled = grad_mode._enabled


def _mark_view(out, base):
    """Remember the base of a view (needed to refuse in-place ops that would need CopySlices)."""
    if _enabled[0]:
        out.__dict__["_base_view"] = base
    return out


def _infer_shape(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for i, s in enumerate(shape):
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of "
                               f"size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size "
                           f"{numel}")
    return tuple(shape)


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


class View(Op):
    """`view`: never copies; raises PyTorch's error when the strides don't allow a view."""
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        shape = _infer_shape(shape, a.size)
        out = a.view()
        try:
            out.shape = shape   # NumPy raises instead of copying when a view is impossible
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces)."
                               " Use .reshape(...) instead.") from None
        return out

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Reshape(Op):
    _name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(_infer_shape(shape, a.size))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, Size, int)):
        return self.to(shape[0])   # view(dtype) reinterpretation is not a cast; see note
    return _mark_view(View.apply(self, _shape_args(shape)), self)


def reshape(input, *shape):
    out = Reshape.apply(input, _shape_args(shape))
    if np.shares_memory(out._data, input._data) if input._data.size < 2 else \
            out._data.base is not None:
        _mark_view(out, input)
    return out


class Expand(Op):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        lead = len(shape) - a.ndim
        if lead < 0:
            raise RuntimeError(f"expand(torch.FloatTensor{{[{', '.join(map(str, a.shape))}]}}, "
                               f"size=[{', '.join(map(str, shape))}]): the number of sizes "
                               "provided must be greater or equal to the number of dimensions "
                               "in the tensor")
        full = []
        for i, s in enumerate(shape):
            if i < lead:
                if s < 0:
                    raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed "
                                       "in a leading, non-existing dimension")
                full.append(s)
            else:
                cur = a.shape[i - lead]
                if s == -1:
                    s = cur
                elif cur != 1 and s != cur:
                    raise RuntimeError(f"The expanded size of the tensor ({s}) must match the "
                                       f"existing size ({cur}) at non-singleton dimension {i}."
                                       f"  Target sizes: [{', '.join(map(str, shape))}].  "
                                       f"Tensor sizes: [{', '.join(map(str, a.shape))}]")
                full.append(s)
        xp = np if isinstance(a, np.ndarray) else __import__("cupy")
        return xp.broadcast_to(a, tuple(full))

    @staticmethod
    def backward(ctx, g):
        return g, None    # the engine sums back to the input's shape


def expand(self, *sizes):
    return _mark_view(Expand.apply(self, _shape_args(sizes)), self)


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


def permute(input, *dims):
    dims = _shape_args(dims)
    n = input.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _mark_view(Permute.apply(input, dims), input)


class Transpose(Op):
    @staticmethod
    def forward(ctx, a, d0, d1):
        ctx.d = (d0, d1)
        return a.swapaxes(d0, d1)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.d), None, None


def transpose(input, dim0, dim1):
    n = input.ndim
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    return _mark_view(Transpose.apply(input, d0, d1), input)


swapaxes = swapdims = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def _T(self):
    return permute(self, *range(self.ndim - 1, -1, -1)) if self.ndim > 1 else self


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


class Unsqueeze(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return a.reshape(a.shape[:dim] + (1,) + a.shape[dim:])

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None


def unsqueeze(input, dim):
    return _mark_view(Unsqueeze.apply(input, wrap_dim(dim, input.ndim + 1)), input)


class Squeeze(Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.in_shape = a.shape
        dims = tuple(d for d in dims if a.shape[d] == 1)
        return a.squeeze(dims) if dims else a.view()

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def squeeze(input, dim=None):
    n = input.ndim
    if dim is None:
        dims = tuple(range(n))
    elif isinstance(dim, (tuple, list)):
        dims = tuple(wrap_dim(d, n) for d in dim)
    else:
        dims = (wrap_dim(dim, n),)
    return _mark_view(Squeeze.apply(input, dims), input)
