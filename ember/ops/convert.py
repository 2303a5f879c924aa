"""dtype and device conversion (`to`, `float()`, `cuda()`, ...), `clone`, `contiguous`."""
import warnings

from .. import dtypes as _dt
from ..device import device as _device_cls, cpu as _cpu, canonical as _canonical
from ..tensor import Tensor, _make
from ..backends import get_backend
from ..autograd.function import Op
from ..autograd.grad_mode import _enabled

__all__ = ["clone"]


class ToCopy(Op):
    """Cast and/or move. Backward casts/moves the gradient back."""
    _name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, npdt, src, dst):
        ctx.src_dtype = _dt.from_np(a.dtype)
        ctx.src_dev = src
        if a.dtype.kind == "c" and npdt.kind != "c":
            warnings.warn("Casting complex values to real discards the imaginary part")
            a = a.real
        if src is not dst:
            a = get_backend(src).to_numpy(a) if src.type != "cpu" else a
            if dst.type != "cpu":
                a = get_backend(dst).asarray(a, dst)
            elif src.type == "cpu":
                a = a.copy()
        return a.astype(npdt, copy=True) if a.dtype != npdt else (a if src is not dst else a.copy())

    @staticmethod
    def backward(ctx, g):
        return _to(g, ctx.src_dtype, ctx.src_dev, False), None, None, None


def _to(t, dtype, dev, copy):
    if not copy and dtype is t.dtype and dev is t._device:
        return t
    a = t._data
    npdt = _dt.to_np(dtype)
    if dev is t._device and not (_enabled[0] and t._requires_grad) and \
            not (a.dtype.kind == "c" and npdt.kind != "c"):
        # a plain cast with nothing to record: skip the Function machinery
        return _make(a.astype(npdt, copy=True), dev)
    out = ToCopy.apply(t, npdt, t._device, dev)
    # ToCopy's forward runs with the source's device as ctx device; fix the result's device.
    out._device = dev
    return out


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected "
                        f"keyword arguments {list(kwargs)}")
    args = list(args)
    if args and isinstance(args[0], Tensor):
        other = args.pop(0)
        dtype, device = other.dtype, other._device
    while args:
        a = args.pop(0)
        if isinstance(a, (_device_cls, str)) and not (isinstance(a, str) and
                                                      a.startswith("torch.")):
            device = a
        elif isinstance(a, int) and not isinstance(a, bool) and device is None:
            device = _device_cls("cuda", a)
        elif isinstance(a, bool):
            if args or True:
                pass  # non_blocking / copy positional flags
        else:
            dtype = a
    return dtype, device, copy


def to(self, *args, **kwargs):
    if not kwargs and len(args) == 1 and args[0].__class__ is _dt.dtype:
        return _to(self, args[0], self._device, False)    # t.to(torch.float32)
    dtype, device, copy = _parse_to(args, dict(kwargs))
    dtype = _dt.as_dtype(dtype) if dtype is not None else self.dtype
    dev = _canonical(_device_cls(device)) if device is not None else self._device
    return _to(self, dtype, dev, copy)


def cpu(self, memory_format=None):
    return _to(self, self.dtype, _cpu, False)


def cuda(self, device=None, non_blocking=False, memory_format=None):
    if device is None:
        dev = _device_cls("cuda")
    elif isinstance(device, int):
        dev = _device_cls("cuda", device)
    else:
        dev = _device_cls(device)
    dev = _canonical(dev)
    get_backend(dev)    # raises PyTorch's error when CUDA isn't available
    return _to(self, self.dtype, dev, False)


def _caster(dt):
    def cast(self, memory_format=None):
        return _to(self, dt, self._device, False)
    cast.__name__ = dt.name
    return cast


float_ = _caster(_dt.float32)
double = _caster(_dt.float64)
half = _caster(_dt.float16)
bfloat16 = _caster(_dt.bfloat16)
int_ = _caster(_dt.int32)
long = _caster(_dt.int64)
short = _caster(_dt.int16)
char = _caster(_dt.int8)
byte = _caster(_dt.uint8)
bool_ = _caster(_dt.bool)
cfloat = _caster(_dt.complex64)
cdouble = _caster(_dt.complex128)


def type_as(self, other):
    return _to(self, other.dtype, other._device, False)


class Clone(Op):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    return Clone.apply(input)


def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)
