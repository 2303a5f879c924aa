"""class Tensor: one backend array plus autograd fields.

The array is the storage: views are array views, so slicing, `view`, `transpose`,
`t.numpy()` and `from_numpy` share memory as in PyTorch. Ops are not defined here: they live
in `ember/ops/` and are bound onto the class in one table, `ember/_tensor_methods.py`.
This module holds only what is about the Tensor object itself (attributes, conversion to
Python values, autograd entry points).
"""
import numpy as np

from . import dtypes as _dt
from .device import device as _device_cls, cpu as _cpu
from .backends import get_backend, ndarray_types as _ndarray_types

__all__ = ["Tensor", "Size", "is_tensor"]

_new = object.__new__
_autograd_backward = [None]   # ember.autograd.backward, set when ember.autograd is imported
_from_np = _dt._from_np


class Size(tuple):
    """`torch.Size`: a tuple of ints with PyTorch's repr."""
    __slots__ = ()

    def __repr__(self):
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __reduce__(self):
        return (Size, (tuple(self),))


def _as_array(o, dev=_cpu):
    """Make a backend array out of an op's raw result (NumPy returns scalars for 0-dim)."""
    if dev is _cpu or dev.type == "cpu":
        return np.asarray(o)
    return get_backend(dev).asarray(o, dev)


def _make(arr, dev=_cpu):
    """The internal constructor: no validation, one object. `arr` must already be a backend
    array of a supported dtype on `dev`."""
    t = _new(Tensor)
    t._data = arr
    t._device = dev
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._vc = [0]
    return t


def _zeros(shape, dt, dev=_cpu):
    xp = np if dev is _cpu else get_backend(dev).xp
    return _make(xp.zeros(shape, _dt.to_np(dt)), dev)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def _grad_mode():
    from .autograd import grad_mode
    return grad_mode


class Tensor:
    __slots__ = ("_data", "_device", "_requires_grad", "_grad", "grad_fn", "_vc",
                 "__dict__", "__weakref__")
    # Rarely-set fields live in the instance __dict__ only when used; these are the defaults.
    _output_nr = 0
    _hooks = None
    _post_acc_hooks = None
    _base = None
    _is_param = False

    # NumPy must defer `ndarray + Tensor` to Tensor.__radd__ instead of iterating the tensor.
    __array_ufunc__ = None
    __array_priority__ = 1000

    # ------------------------------------------------------------------ construction
    def __new__(cls, *args, **kwargs):
        """The legacy constructor: `Tensor(2, 3)` is uninitialised, `Tensor([1, 2])` copies
        data into the default dtype, `Tensor()` is empty."""
        from .ops import creation
        return creation._legacy_new(cls, _dt.get_default_dtype(), args, kwargs)

    @staticmethod
    def _make_subclass(cls, data, require_grad=False):
        """A `cls` instance sharing `data`'s array (how `nn.Parameter` is built)."""
        t = _new(cls)
        t._data = data._data
        t._device = data._device
        t._grad = None
        t.grad_fn = None
        t._vc = data._vc
        t._requires_grad = False
        if require_grad:
            t.requires_grad_(True)
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _from_np[self._data.dtype]

    @property
    def device(self):
        return self._device

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    is_sparse = False
    is_quantized = False
    is_meta = False
    is_mkldnn = False
    is_nested = False
    layout = "torch.strided"

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._device is not self._device:
                raise RuntimeError("assigned grad has data located on a different device")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """A tensor sharing this one's memory, outside the graph and with its own version
        counter (so changes through `.data` are not seen by autograd, as in PyTorch)."""
        return _make(self._data, self._device)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    @property
    def _version(self):
        return self._vc[0]

    @property
    def itemsize(self):
        return self._data.itemsize

    def element_size(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        a = self._data
        if a.size == 0 and a.base is None:
            # a new empty tensor: NumPy gives zeros, PyTorch the contiguous strides (size 0
            # counted as 1); empty views keep the strides their op produced, in both
            st, acc = [], 1
            for n in reversed(a.shape):
                st.append(acc)
                acc *= max(n, 1)
            st = tuple(reversed(st))
            return st if dim is None else st[_wrap_dim(dim, a.ndim)]
        item = a.itemsize
        st = [s // item for s in a.strides]
        # NumPy leaves arbitrary strides on size-1 dims; PyTorch reports the contiguous value.
        shape = a.shape
        for i in range(a.ndim - 1, -1, -1):
            if shape[i] == 1:
                st[i] = st[i + 1] * shape[i + 1] if i + 1 < a.ndim else 1
        st = tuple(st)
        if dim is None:
            return st
        return st[_wrap_dim(dim, a.ndim)]

    def storage_offset(self):
        a = self._data
        base = a
        # the owning array (a base that isn't an array, e.g. a memoryview, ends the walk)
        while isinstance(getattr(base, "base", None), type(base)):
            base = base.base
        return (_ptr(a) - _ptr(base)) // a.itemsize

    def data_ptr(self):
        return _ptr(self._data)

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def get_device(self):
        return -1 if self._device.type == "cpu" else (self._device.index or 0)

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_signed(self):
        return self.dtype.is_signed

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, bool, complex)):
            return bool((self == element).any().item())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                           f"passed in a {type(element)}.")

    # ------------------------------------------------------------------ to Python
    def item(self):
        a = self._data
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        return a.reshape(()).item() if self._device.type == "cpu" else a.reshape(()).get().item()

    def tolist(self):
        return self._host_array().tolist()

    def numpy(self, *, force=False):
        if force:   # detach and copy to host, whatever the tensor is
            return self._host_array()
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def _host_array(self):
        if self._device.type == "cpu":
            return self._data
        return get_backend(self._device).to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self._host_array()
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return np.array(a, copy=True) if copy else a

    def _scalar_check(self, what):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")

    def __bool__(self):
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __int__(self):
        self._scalar_check("int")
        return int(self.item().real) if self.dtype.is_complex else int(self.item())

    def __float__(self):
        self._scalar_check("float")
        return float(self.item())

    def __complex__(self):
        self._scalar_check("complex")
        return complex(self.item())

    def __index__(self):
        if self.dtype.category > _dt._INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import _str
        return _str(self, tensor_contents=tensor_contents)

    def __reduce_ex__(self, proto):
        return (_rebuild_tensor, (self._host_array(), str(self._device), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = _new(type(self))
        new._data = self._data.copy()
        new._device = self._device
        new._requires_grad = self._requires_grad
        new.grad_fn = None
        new._vc = [0]
        new._grad = None
        memo[id(self)] = new
        if self._grad is not None:
            import copy
            new._grad = copy.deepcopy(self._grad, memo)
        for k, v in self.__dict__.items():
            import copy
            new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _autograd_backward[0](self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) -> Tensor or None, called with this tensor's gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        from .autograd.function import _RemovableHandle
        fn = self.grad_fn
        if fn is None:
            if self._hooks is None:
                self._hooks = {}
            handle = _RemovableHandle(self._hooks, hook)
            self._hooks[handle.id] = hook
            handle._container = self._hooks
            handle.remove = lambda h=handle: self._hooks.pop(h.id, None)
            return handle
        if fn._tensor_pre_hooks is None:
            fn._tensor_pre_hooks = {}
        lst = fn._tensor_pre_hooks.setdefault(self._output_nr, [])
        lst.append(hook)
        return _RemovableHandle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        from .autograd.function import _RemovableHandle
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _RemovableHandle(self._post_acc_hooks, hook)

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None:
            return
        import weakref
        if fn._retain is None:
            fn._retain = {}
        fn._retain[self._output_nr] = weakref.ref(self)
        self.__dict__["_retains"] = True

    @property
    def retains_grad(self):
        return bool(self.__dict__.get("_retains")) and self.grad_fn is not None

    def detach(self):
        t = _make(self._data, self._device)
        t._vc = self._vc   # detach shares the version counter (PyTorch does too)
        return t

    def detach_(self):
        if self.__dict__.get("_base_view") is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------------ memory placement
    def pin_memory(self, device=None):
        """A copy in page-locked host memory (CuPy's pinned pool) for fast GPU copies;
        self when already pinned. Without CUDA: PyTorch's RuntimeError (ember/cuda/pinned.py)."""
        from .cuda import pinned
        return pinned.pin(self)

    def is_pinned(self, device=None):
        from .cuda import pinned
        return pinned.is_pinned(self._data)

    # ------------------------------------------------------------------ type strings
    def type(self, dtype=None, non_blocking=False, **kwargs):
        from . import tensor_types
        if dtype is None:
            return tensor_types.type_name(self.dtype, self._device)
        return tensor_types.convert_type(self, dtype, non_blocking)


def _ptr(a):
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr


def _wrap_dim(dim, ndim):
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n if ndim > 0 else 0


def _rebuild_tensor(array, dev, requires_grad):
    d = _device_cls(dev)
    arr = array if d.type == "cpu" else get_backend(d).asarray(array, d)
    t = _make(arr, d)
    t._requires_grad = requires_grad
    return t
