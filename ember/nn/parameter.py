"""Parameter (a leaf Tensor a Module registers as learnable) and Buffer (a marker that makes
attribute assignment register a buffer)."""
from ..tensor import Tensor, _make
from ..ops import creation

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "is_lazy"]


class Parameter(Tensor):
    """A Tensor that is a module parameter: `Parameter(data, requires_grad=True)` shares
    `data`'s memory, is a leaf, and appears in `module.parameters()` when assigned."""
    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(_make(self._data.copy(), self._device), self._requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """`self.x = nn.Buffer(t)` registers `t` as a buffer (persistent unless told)."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = creation.empty(0)
        t = Tensor._make_subclass(cls, data, data.requires_grad)
        t.__dict__["persistent"] = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules): using it before
    `materialize(shape)` raises."""

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        t = Parameter.__new__(cls, creation.empty(0, dtype=dtype, device=device), requires_grad)
        return t

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None):
        new = creation.empty(*shape, dtype=dtype or self.dtype, device=device or self.device)
        self._data = new._data
        self._device = new._device
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"


def is_lazy(param):
    return isinstance(param, UninitializedParameter)
