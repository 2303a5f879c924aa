"""dtype objects, PyTorch's type promotion, finfo/iinfo and the default dtype.

A `dtype` wraps one NumPy dtype (CuPy uses the same dtype objects). bfloat16 exists only
when the optional `ml_dtypes` package is installed; asking for it otherwise raises.
"""
import numpy as np

__all__ = [
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "complex64", "cfloat", "complex128", "cdouble", "uint8", "int8", "int16", "short",
    "int32", "int", "int64", "long", "bool", "uint16", "uint32", "uint64",
    "finfo", "iinfo", "get_default_dtype", "set_default_dtype", "promote_types",
    "result_type", "can_cast",
]

_builtin_bool, _builtin_int, _builtin_float, _builtin_complex = bool, int, float, complex

# Categories for promotion: bool < integer < floating < complex.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type; `repr` is `torch.<name>` as in PyTorch."""
    __slots__ = ("name", "np", "itemsize", "category", "is_floating_point", "is_complex",
                 "is_signed", "__weakref__")

    def __init__(self, name, np_dtype, category, signed):
        self.name = name
        self.np = np.dtype(np_dtype) if np_dtype is not None else None
        self.itemsize = self.np.itemsize if self.np is not None else 2
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = signed

    def __repr__(self):
        return "torch." + self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float16: complex64, float32: complex64, float64: complex128}.get(self, self)


def _dtype_by_name(name):
    return _by_name[name]


float16 = dtype("float16", np.float16, _FLOAT, True)
float32 = dtype("float32", np.float32, _FLOAT, True)
float64 = dtype("float64", np.float64, _FLOAT, True)
complex64 = dtype("complex64", np.complex64, _COMPLEX, True)
complex128 = dtype("complex128", np.complex128, _COMPLEX, True)
uint8 = dtype("uint8", np.uint8, _INT, False)
uint16 = dtype("uint16", np.uint16, _INT, False)
uint32 = dtype("uint32", np.uint32, _INT, False)
uint64 = dtype("uint64", np.uint64, _INT, False)
int8 = dtype("int8", np.int8, _INT, True)
int16 = dtype("int16", np.int16, _INT, True)
int32 = dtype("int32", np.int32, _INT, True)
int64 = dtype("int64", np.int64, _INT, True)
bool = dtype("bool", np.bool_, _BOOL, False)


def _make_bfloat16():
    try:
        import ml_dtypes
    except ImportError:
        return dtype("bfloat16", None, _FLOAT, True)
    return dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, True)


# bfloat16 is a dtype object either way (so `torch.bfloat16` can be named and compared);
# without ml_dtypes its `np` is None and using it raises a clear error (see `to_np`).
bfloat16 = _make_bfloat16()

half, float, double, cfloat, cdouble = float16, float32, float64, complex64, complex128
short, int, long = int16, int32, int64

_all_dtypes = [float16, bfloat16, float32, float64, complex64, complex128, uint8, uint16,
               uint32, uint64, int8, int16, int32, int64, bool]
_by_name = {d.name: d for d in _all_dtypes}
_by_name.update(half=float16, float=float32, double=float64, cfloat=complex64,
                cdouble=complex128, short=int16, int=int32, long=int64)
# numpy dtype -> ember dtype; used on every op result, so a plain dict lookup.
_from_np = {d.np: d for d in _all_dtypes if d.np is not None}


def from_np(np_dtype):
    """The ember dtype of a NumPy dtype (float64 arrays stay float64: no silent narrowing)."""
    try:
        return _from_np[np_dtype]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np_dtype}. The only supported types "
                        "are: float64, float32, float16, complex64, complex128, int64, int32, "
                        "int16, int8, uint8, and bool.") from None


def to_np(d):
    if d.np is None:
        raise RuntimeError(f"{d} needs the optional 'ml_dtypes' package: pip install ml_dtypes")
    return d.np


def as_dtype(d):
    """Accepts an ember dtype, a NumPy dtype or type, a Python type or a name; returns dtype."""
    if d.__class__ is dtype:
        return d
    if d is None:
        return None
    if d is _builtin_float:
        return _default[0]
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    if d is _builtin_complex:
        return _default[0].to_complex()
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d
        if name in _by_name:
            return _by_name[name]
    try:
        return from_np(np.dtype(d))
    except TypeError:
        raise TypeError(f"{d!r} is not a valid dtype") from None


# ---------------------------------------------------------------- default dtype
_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


# ---------------------------------------------------------------- promotion
def _promote_np(a, b):
    return from_np(np.promote_types(a.np, b.np))


def promote_types(a, b):
    """PyTorch's promote_types: the smallest dtype both can be cast to."""
    a, b = as_dtype(a), as_dtype(b)
    if a is b:
        return a
    if a is bfloat16 or b is bfloat16:
        other = b if a is bfloat16 else a
        if other.category <= _INT or other is bfloat16:
            return bfloat16
        if other is float16:
            return float32
        return other
    if a.category != b.category:
        # Across categories the higher one wins (int64 + float32 -> float32, unlike NumPy);
        # only float64 + complex64 widens, to complex128.
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.is_complex and lo is float64:
            return complex128
        return hi
    return _promote_np(a, b)


def _combine(higher, lower):
    """PyTorch's combine_categories: a lower-priority group only widens across categories."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        if higher.is_floating_point:  # keep the float width, become complex
            return higher.to_complex() if higher is not float16 else complex64
        return lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def _scalar_dtype(s):
    if isinstance(s, _builtin_bool) or isinstance(s, np.bool_):
        return bool
    if isinstance(s, (_builtin_int, np.integer)):
        return int64
    if isinstance(s, (_builtin_float, np.floating)):
        return _default[0]
    if isinstance(s, (_builtin_complex, np.complexfloating)):
        return _default[0].to_complex()
    raise TypeError(f"unsupported operand type: {type(s).__name__}")


def result_type(*operands):
    """PyTorch's result_type over tensors and Python scalars.

    Three priority groups: tensors with dimensions, zero-dim tensors, Python numbers. A lower
    group changes the result only when it is of a higher category (`int_tensor * 2.5` is
    float32, `float32_tensor * float64_scalar_tensor` stays float32).
    """
    if len(operands) == 2:
        # Fast path for the common binary cases (same-dtype tensors, tensor with a Python
        # number of a category it already covers); everything else takes the general rules.
        a, b = operands
        ad = getattr(a, "_data", None)     # a Tensor's array
        if ad is not None and ad.ndim:
            da = _from_np[ad.dtype]
            bd = getattr(b, "_data", None)
            if bd is not None:
                if bd.dtype == ad.dtype and bd.ndim:
                    return da
            elif b.__class__ is _builtin_float:
                if da.category >= _FLOAT:
                    return da
            elif b.__class__ is _builtin_int:
                if da is not bool:
                    return da
        elif ad is None and a.__class__ in (_builtin_float, _builtin_int):
            bd = getattr(b, "_data", None)
            if bd is not None and bd.ndim:
                db = _from_np[bd.dtype]
                if db.category >= (_FLOAT if a.__class__ is _builtin_float else _INT):
                    return db
    dim = zero = wrapped = None
    for o in operands:
        d = getattr(o, "dtype", None)
        if d is not None and d.__class__ is dtype:
            if o.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        elif o is not None:
            s = _scalar_dtype(o)
            wrapped = s if wrapped is None else promote_types(wrapped, s)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(from_, to):
    from_, to = as_dtype(from_), as_dtype(to)
    return from_.category <= to.category


# ---------------------------------------------------------------- finfo / iinfo
def np_finfo(npdt):
    """np.finfo, also for bfloat16 (NumPy's finfo does not know ml_dtypes' types; PyTorch's
    resolution is 10**-precision, which ml_dtypes rounds to bfloat16)."""
    if npdt.kind != "V":
        return np.finfo(npdt)
    import ml_dtypes
    f = ml_dtypes.finfo(npdt)

    class _Info:
        bits, precision = f.bits, f.precision
        eps, max, min, tiny = (_builtin_float(v) for v in (f.eps, f.max, f.min, f.tiny))
        resolution = 10.0 ** -f.precision
    return _Info


class finfo:
    def __init__(self, type=None):
        d = as_dtype(type) if type is not None else _default[0]
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(f"torch.finfo() requires a floating point input type, got {d}")
        d = d.to_real()
        info = np_finfo(to_np(d))
        self.dtype = d.name
        self.bits = info.bits
        self.eps = _builtin_float(info.eps)
        self.max = _builtin_float(info.max)
        self.min = _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.tiny)
        self.resolution = _builtin_float(info.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:e}, max={self.max:e}, "
                f"eps={self.eps:e}, smallest_normal={self.tiny:e}, tiny={self.tiny:e}, "
                f"dtype={self.dtype})")


class iinfo:
    def __init__(self, type):
        d = as_dtype(type)
        if d.category > _INT:
            raise TypeError(f"torch.iinfo() requires an integer input type, got {d}")
        info = np.iinfo(d.np) if d is not bool else None
        self.dtype = d.name
        self.bits = d.itemsize * 8 if info is None else info.bits
        self.max = 1 if info is None else _builtin_int(info.max)
        self.min = 0 if info is None else _builtin_int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
