"""Legacy tensor types: `FloatTensor(2, 3)`, `isinstance(x, LongTensor)`, `x.type()` returning
'torch.FloatTensor', `x.type(torch.LongTensor)`, and `set_default_tensor_type`."""
from . import dtypes as _dt
from .tensor import Tensor

_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
          "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
          "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
          "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
          "complex128": "ComplexDoubleTensor"}


def type_name(dtype, device):
    base = _NAMES.get(dtype.name, dtype.name)
    return f"torch.cuda.{base}" if device.type == "cuda" else f"torch.{base}"


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        if not isinstance(obj, Tensor) or obj.dtype is not cls.dtype:
            return False
        return (obj.device.type == "cuda") == cls.is_cuda

    def __repr__(cls):
        return f"<class '{cls.__module_name__}.{cls.__name__}'>"


def _legacy_class(name, dtype, is_cuda):
    def __new__(cls, *args, **kwargs):
        from .ops import creation
        if is_cuda:
            kwargs.setdefault("device", "cuda")
        return creation._legacy_new(Tensor, dtype, args, dict(kwargs))
    mod = "torch.cuda" if is_cuda else "torch"
    return _LegacyMeta(name, (), {"__new__": __new__, "dtype": dtype, "is_cuda": is_cuda,
                                  "__module_name__": mod})


_cpu_types = {}
_cuda_types = {}
for _dname, _cname in _NAMES.items():
    _d = getattr(_dt, _dname)
    _cpu_types[_cname] = _legacy_class(_cname, _d, False)
    _cuda_types[_cname] = _legacy_class(_cname, _d, True)

FloatTensor = _cpu_types["FloatTensor"]
DoubleTensor = _cpu_types["DoubleTensor"]
HalfTensor = _cpu_types["HalfTensor"]
BFloat16Tensor = _cpu_types["BFloat16Tensor"]
LongTensor = _cpu_types["LongTensor"]
IntTensor = _cpu_types["IntTensor"]
ShortTensor = _cpu_types["ShortTensor"]
CharTensor = _cpu_types["CharTensor"]
ByteTensor = _cpu_types["ByteTensor"]
BoolTensor = _cpu_types["BoolTensor"]
ComplexFloatTensor = _cpu_types["ComplexFloatTensor"]
ComplexDoubleTensor = _cpu_types["ComplexDoubleTensor"]

__all__ = list(_cpu_types) + ["set_default_tensor_type"]


def _resolve(t):
    """A legacy class, its name string or a dtype -> (dtype, is_cuda or None)."""
    if isinstance(t, _LegacyMeta):
        return t.dtype, t.is_cuda
    if isinstance(t, str):
        name = t.split(".")[-1]
        cuda = ".cuda." in t
        for cname, cls in _cpu_types.items():
            if cname == name:
                return cls.dtype, cuda
        return _dt.as_dtype(t), None
    return _dt.as_dtype(t), None


def convert_type(x, t, non_blocking=False):
    dtype, cuda = _resolve(t)
    if cuda is None:
        return x.to(dtype)
    return x.to(device="cuda" if cuda else "cpu", dtype=dtype)


def set_default_tensor_type(t):
    dtype, cuda = _resolve(t)
    if cuda:
        raise NotImplementedError("ember does not support a CUDA default tensor type; create "
                                  "tensors on CPU and move them with .cuda()")
    _dt.set_default_dtype(dtype)
