"""`ember.device`: a (type, index) pair, interned so that devices compare by identity on hot paths."""

__all__ = ["device", "set_default_device", "get_default_device"]

_cache = {}


class device:
    """`device('cpu')`, `device('cuda:0')`, `device('cuda', 1)`; equal devices are the same object."""
    __slots__ = ("type", "index", "__weakref__")

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            if index is not None:
                raise ValueError("device(device) takes no index")
            return type_or_str
        key = (type_or_str, index)
        d = _cache.get(key)
        if d is not None:
            return d
        if isinstance(type_or_str, int) and not isinstance(type_or_str, bool):
            # torch.device(0) means the current accelerator's device 0
            typ, idx = "cuda", type_or_str
        elif isinstance(type_or_str, str):
            typ, _, idx_s = type_or_str.partition(":")
            idx = index
            if idx_s:
                if index is not None:
                    raise RuntimeError(f"type (string) must not include an index because index "
                                       f"was passed explicitly: {type_or_str}")
                if not idx_s.isdigit():
                    raise RuntimeError(f"Invalid device string: '{type_or_str}'")
                idx = int(idx_s)
        else:
            raise TypeError(f"device() received an invalid combination of arguments: "
                            f"{type(type_or_str).__name__}")
        from .backends import known_device_types
        if typ not in known_device_types():
            raise RuntimeError(
                "Expected one of cpu, cuda, meta, mps, xpu device type at start of device "
                f"string: {typ}")
        if idx is not None and idx < 0:
            raise RuntimeError(f"Device index must not be negative")
        d = object.__new__(cls)
        object.__setattr__(d, "type", typ)
        object.__setattr__(d, "index", idx)
        _cache[key] = d
        canon = _cache.setdefault((typ, idx), d)
        return canon

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    # `with torch.device("cuda"):` makes it the default device of factory functions inside
    def __enter__(self):
        _default_stack.append(_default[0])
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        _default[0] = _default_stack.pop()

    def __reduce__(self):
        return (device, (str(self),))


cpu = device("cpu")


def canonical(d):
    """The device a tensor lives on: 'cuda' without an index means the current CUDA device."""
    if d.type == "cuda" and d.index is None:
        from . import cuda
        return device("cuda", cuda._current_index())
    return d


# The device factory functions (zeros, tensor, arange, rand, ..., and so module parameters)
# use when given none: None means the CPU. Process-wide (PyTorch's is thread-local).
_default = [None]
_default_stack = []


def set_default_device(device_):
    """Make `device_` the default device of factory functions; None restores the CPU."""
    _default[0] = None if device_ is None else device(device_)


def get_default_device():
    """The default device; a CUDA default without an index means the current CUDA device."""
    d = _default[0]
    if d is None:
        return cpu
    if d.type != "cpu":
        from .backends import get_backend
        get_backend(d)    # PyTorch's error when that device type is unavailable
    return canonical(d)
