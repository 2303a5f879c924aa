"""`save` and `load` in PyTorch's checkpoint formats, without importing PyTorch.

`save` writes the zip archive `torch.save` writes: a `data.pkl` pickle in which every tensor
refers to its storage by a persistent id, one raw `data/<key>` record per storage (records
start on 64-byte boundaries, as PyTorch's miniz writer pads them), and the `byteorder`,
`version` and `.data/serialization_id` records. Views of one array share one storage, so
PyTorch (and `load`) rebuild the sharing. A path is written atomically (temp file, fsync,
rename): an interrupted save leaves the previous file intact.

`load` reads those archives, the legacy stream `torch.save(..., _use_new_zipfile_serialization
=False)` writes (magic number, protocol, system info, pickle, storage keys, raw storages), the
older tar archive, and `.safetensors` files. With `weights_only=True` (the default, as in
PyTorch 2.6+) the pickle runs through a small interpreter that only builds tensors,
containers and plain values and refuses every other global, so a hostile file can't run code;
`weights_only=False` uses the stdlib unpickler and allows arbitrary classes.

The pickle names PyTorch's globals (`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`,
`torch.float32`, ...). Saving writes those names with a pickler that emits the GLOBAL opcode
itself (`_Global` stands in for each name); loading maps the same names to ember's objects.
"""
import builtins
import codecs
import collections
import contextlib
import io
import mmap as _mmap
import os
import pickle
import pickletools
import secrets
import stat as _stat
import struct
import sys
import tarfile
import warnings
import zipfile
import zlib
import _compat_pickle

import numpy as np

from . import dtypes as _dt
from .device import device as _device, cpu as _cpu
from .tensor import Tensor, Size, _make, _ptr
from .tensor_types import _LegacyMeta

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "UntypedStorage", "TypedStorage"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C     # the legacy stream format's first pickle
PROTOCOL_VERSION = 1001
_STORAGE_ALIGNMENT = 64
_FILE_FORMAT_VERSION = 3                  # the `version` record PyTorch writes today
_MAX_FILE_FORMAT_VERSION = 10             # the newest PyTorch reads

# PyTorch's legacy typed storage classes <-> dtypes (what the persistent id names).
_STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexDoubleStorage": "complex128",
    "ComplexFloatStorage": "complex64",
}
_STORAGE_OF_DTYPE = {d: s for s, d in _STORAGE_DTYPES.items()}
# dtypes PyTorch saves through UntypedStorage and `_rebuild_tensor_v3` (no typed storage class)
_V3_DTYPES = {"uint16", "uint32", "uint64"}
# Names a checkpoint may hold for PyTorch dtypes and storages ember doesn't have.
_FOREIGN_NAMES = {"complex32", "chalf", "quint8", "qint8", "qint32", "quint4x2", "quint2x4",
                  "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz",
                  "float8_e8m0fnu", "float4_e2m1fn_x2", "bits1x8", "bits2x4", "bits4x2",
                  "bits8", "bits16", "QUInt8Storage", "QInt8Storage", "QInt32Storage",
                  "QUInt4x2Storage", "QUInt2x4Storage", "ComplexHalfStorage",
                  "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                  "per_channel_symmetric", "per_channel_affine_float_qparams"}
_FOREIGN_NAMES.update(f"uint{i}" for i in range(1, 8))
_FOREIGN_NAMES.update(f"int{i}" for i in range(1, 8))

UNSAFE_MESSAGE = (
    "ember.load defaults to `weights_only=True` (as PyTorch 2.6+ does). Re-running "
    "`ember.load` with `weights_only` set to `False` will likely succeed, but it can result in "
    "arbitrary code execution. Do it only if you got the file from a trusted source.")


class _CorruptFileError(RuntimeError, pickle.UnpicklingError):
    """A file that is not a readable checkpoint (truncated, corrupted or not a checkpoint at
    all). Both a RuntimeError (what PyTorch raises for a bad archive) and an UnpicklingError
    (what it raises for a bad pickle)."""


def _corrupt(name, what):
    return _CorruptFileError(f"{name}: {what}")


# =============================================================== safe globals (weights_only)
_marked_safe_globals = set()


def add_safe_globals(safe_globals):
    """Allow these globals (classes, functions, or `(obj, "module.name")` pairs) in
    `weights_only=True` loads."""
    global _marked_safe_globals
    _marked_safe_globals = _marked_safe_globals.union(set(safe_globals))


def get_safe_globals():
    return list(_marked_safe_globals)


def clear_safe_globals():
    global _marked_safe_globals
    _marked_safe_globals = set()


def _remove_safe_globals(globals_to_remove):
    global _marked_safe_globals
    _marked_safe_globals = _marked_safe_globals - set(globals_to_remove)


class safe_globals:
    """`with ember.serialization.safe_globals([MyClass]): ember.load(f)`: allow these globals
    for loads inside the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _remove_safe_globals(self.safe_globals)


def _user_allowed_globals():
    rc = {}
    for f in _marked_safe_globals:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(f[1])}")
            rc[f[1]] = f[0]
            continue
        module, name = f.__module__, f.__qualname__
        rc[f"{module}.{name}"] = f
        # an ember class stands for the PyTorch class a checkpoint names
        if module == "ember" or module.startswith("ember."):
            rc[f"torch{module[5:]}.{name}"] = f
    return rc


# =============================================================== storages
class UntypedStorage:
    """The bytes of one saved storage on a device: what a `map_location` callable receives
    (`lambda storage, loc: storage`, `storage.cuda(1)`, `storage.cpu()`)."""

    def __init__(self, array, device=_cpu):
        self._array = array      # one-dimensional uint8 array of the device's backend
        self._device = device

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    def nbytes(self):
        return int(self._array.size)

    size = nbytes

    def __len__(self):
        return int(self._array.size)

    def element_size(self):
        return 1

    def data_ptr(self):
        return _ptr(self._array)

    def type(self):
        return "torch.storage.UntypedStorage"

    def tolist(self):
        return self.cpu()._array.tolist()

    def cpu(self):
        if self._device.type == "cpu":
            return self
        from .backends import get_backend
        host = np.ascontiguousarray(get_backend(self._device).to_numpy(self._array))
        return UntypedStorage(host.view(np.uint8).reshape(-1), _cpu)

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            from . import cuda
            device = cuda._current_index()
        if isinstance(device, int):
            device = _device("cuda", device)
        return self.to(device=device)

    def to(self, *, device=None, non_blocking=False):
        dev = _device(device) if device is not None else self._device
        if dev.type == "cuda" and dev.index is None:
            from . import cuda
            dev = _device("cuda", cuda._current_index())
        if dev == self._device:
            return self
        if dev.type == "cpu":
            return self.cpu()
        from .backends import get_backend
        host = self.cpu()._array
        return UntypedStorage(get_backend(dev).asarray(host, dev), dev)

    def pin_memory(self, device=None):
        return self

    def _fill(self, host):
        """Copy host bytes in (the legacy format reads data after the storage was placed)."""
        if isinstance(self._array, np.ndarray):
            np.copyto(self._array, host)
        else:
            self._array.set(host)

    def _view(self, np_dtype, size, stride, offset):
        item = np_dtype.itemsize
        bstrides = tuple(s * item for s in stride)
        arr = self._array
        if isinstance(arr, np.ndarray):
            if 0 in size:   # empty: any in-range offset will do
                offset = min(offset * item, arr.size) // item
            return np.ndarray(size, np_dtype, buffer=arr, offset=offset * item, strides=bstrides)
        import cupy
        return cupy.ndarray(size, np_dtype, memptr=arr.data + offset * item, strides=bstrides)

    def __repr__(self):
        return (f"UntypedStorage of {self.nbytes()} bytes on {self._device} "
                f"[torch.storage.UntypedStorage]")


class TypedStorage:
    """An UntypedStorage read as one dtype (what a pickle's storage ids resolve to)."""

    def __init__(self, untyped, dtype):
        self._untyped_storage = untyped
        self.dtype = dtype

    @property
    def device(self):
        return self._untyped_storage.device

    def size(self):
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    __len__ = size

    def untyped(self):
        return self._untyped_storage

    def tolist(self):
        u = self._untyped_storage.cpu()
        return u._array.view(_dt.to_np(self.dtype)).tolist()

    def __repr__(self):
        return (f"TypedStorage of {self.size()} elements of {self.dtype} on {self.device} "
                f"[torch.storage.TypedStorage]")


class _StorageType:
    """A storage class named in a pickle (`torch.FloatStorage`): stands for its dtype."""

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = dtype

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


# =============================================================== save
class _Global:
    """A global PyTorch's unpickler resolves (`torch._utils._rebuild_tensor_v2`); the pickler
    writes it as a GLOBAL opcode, so saving never imports the module."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __reduce__(self):
        return self.name    # "save as a global": the pickler's save_global writes it

    def __call__(self, *args, **kwargs):   # pickle requires a REDUCE function to be callable
        raise TypeError(f"{self!r} only names a PyTorch function in a checkpoint")

    def __repr__(self):
        return f"{self.module}.{self.name}"


_globals_cache = {}


def _G(module, name):
    g = _globals_cache.get((module, name))
    if g is None:
        g = _globals_cache[(module, name)] = _Global(module, name)
    return g


_REBUILD_V2 = _G("torch._utils", "_rebuild_tensor_v2")
_REBUILD_V3 = _G("torch._utils", "_rebuild_tensor_v3")
_REBUILD_PARAMETER = _G("torch._utils", "_rebuild_parameter")
_TORCH_DEVICE = _G("torch", "device")
_TORCH_SIZE = _G("torch", "Size")
_UNTYPED_STORAGE = _G("torch.storage", "UntypedStorage")


def _root(a):
    """The array that owns a's memory, following view links (PyTorch's storage)."""
    cls = type(a)
    while isinstance(a.base, cls):
        a = a.base
    return a


def _extent(a):
    """[lo, hi): the absolute byte addresses a's elements span."""
    lo = hi = _ptr(a)
    if a.size == 0:
        return lo, hi
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


class _SavedStorage:
    """One storage being saved: a byte span [lo, lo + nbytes) of the memory `root` owns."""
    __slots__ = ("key", "root", "lo", "nbytes", "dtype", "location")

    def __init__(self, key, root, lo, nbytes, dtype, location):
        self.key, self.root, self.lo, self.nbytes = key, root, lo, nbytes
        self.dtype, self.location = dtype, location

    def host_bytes(self):
        """The bytes as a host uint8 array (a view on CPU; a copy from a GPU)."""
        r = self.root
        if isinstance(r, np.ndarray):
            if self.nbytes == 0:
                return np.empty(0, np.uint8)
            try:
                return np.ndarray((self.nbytes,), np.uint8, buffer=r, offset=self.lo - _ptr(r))
            except (TypeError, ValueError):   # an owner that isn't one plain buffer
                return np.frombuffer(_raw_span(r, self.lo, self.nbytes), np.uint8)
        import cupy
        span = cupy.ndarray((self.nbytes,), np.uint8, memptr=r.data + (self.lo - _ptr(r)))
        return cupy.asnumpy(span)


def _raw_span(owner, lo, n):
    """Bytes at absolute address lo..lo+n inside `owner`'s memory, via the array interface."""
    class _Iface:
        def __init__(self):
            self.__array_interface__ = {"data": (lo, True), "shape": (n,), "typestr": "|u1",
                                        "version": 3}
            self.base = owner
    return np.asarray(_Iface()).tobytes()


def _location(dev):
    if dev.type == "cuda":
        return f"cuda:{dev.index or 0}"
    return str(dev)


class _Pickler(pickle._Pickler):
    """The stdlib's Python pickler (the C one won't write a GLOBAL for a module it can't
    import, and torch must not be imported), plus PyTorch's reductions: a tensor becomes
    `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())` with the
    storage written as a persistent id; dtypes, devices and Size pickle as PyTorch's."""

    def __init__(self, file, protocol, legacy=False):
        super().__init__(file, protocol)
        self.legacy = legacy
        self.storages = {}    # key -> _SavedStorage, in the order keys were made
        self._by_root = {}    # id(root array) -> _SavedStorage
        self._pid_items = {}  # key -> the (memoized) objects its persistent id is built from

    # -------------------------------------------------------------- globals
    def save_global(self, obj, name=None):
        target = _torch_name_of(obj)
        if target is None:
            return super().save_global(obj, name)
        module, qualname = target
        if self.proto >= 4:
            self.save(module)
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode("utf-8"))
        self.memoize(obj)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        t = type(obj)
        if t is _dt.dtype:
            return obj.name
        if t is _device:
            return (_TORCH_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        if t is Size:
            return (_TORCH_SIZE, (tuple(obj),))
        if t is _Global:
            return obj.name
        if isinstance(obj, _LegacyMeta):     # torch.FloatTensor and friends
            return obj.__name__
        return NotImplemented

    def persistent_id(self, obj):
        if isinstance(obj, _SavedStorage):
            return self._storage_pid(obj)
        if isinstance(obj, (UntypedStorage, TypedStorage)):
            return self._storage_pid(self._loaded_storage(obj))
        return None

    # -------------------------------------------------------------- tensors
    def _reduce_tensor(self, t):
        if t._is_param:
            data = _make(t._data, t._device)
            return (_REBUILD_PARAMETER, (data, t._requires_grad, collections.OrderedDict()))
        storage, offset, stride = self._storage_of(t._data, t.dtype, t._device)
        args = (storage, offset, tuple(t._data.shape), stride, t._requires_grad,
                collections.OrderedDict())
        if t.dtype.name in _V3_DTYPES:
            return (_REBUILD_V3, args + (t.dtype,))
        return (_REBUILD_V2, args)

    def _storage_of(self, a, dtype, dev):
        """The storage holding a's memory (shared by every view of the same owner array), a's
        offset into it and its strides, in elements."""
        item = a.itemsize
        root = _root(a)
        st = self._by_root.get(id(root))
        if st is None:
            lo, hi = _extent(root)
            if (hi - lo) % item == 0:
                st = self._new_storage(root, lo, hi - lo, dtype, dev)
                self._by_root[id(root)] = st
        elif st.dtype is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same "
                               "data as different types")
        if st is not None:
            placed = _place(a, st)
            if placed is not None:
                return (st,) + placed
        # memory PyTorch can't describe (negative or uneven strides): save a compact copy
        xp = np if isinstance(a, np.ndarray) else __import__("cupy")
        c = xp.ascontiguousarray(a)
        st = self._new_storage(c, _ptr(c), c.nbytes, dtype, dev)
        return st, 0, _contiguous_strides(c.shape)

    def _new_storage(self, root, lo, nbytes, dtype, dev):
        key = str(lo) if self.legacy else str(len(self.storages))
        if key in self.storages:       # legacy keys are addresses; two empty owners may tie
            key = f"{key}_{len(self.storages)}"
        st = _SavedStorage(key, root, lo, nbytes, dtype, _location(dev))
        self.storages[key] = st
        return st

    def _loaded_storage(self, s):
        """A storage object a load returned, saved again as itself."""
        dtype = s.dtype if isinstance(s, TypedStorage) else _dt.uint8
        u = s._untyped_storage if isinstance(s, TypedStorage) else s
        st = self._by_root.get(id(u))
        if st is None:
            st = self._new_storage(u._array, _ptr(u._array), u.nbytes(), dtype, u.device)
            self._by_root[id(u)] = st
        return st

    def _storage_pid(self, st):
        items = self._pid_items.get(st.key)
        if items is None:
            if st.dtype.name in _V3_DTYPES or st.dtype.name not in _STORAGE_OF_DTYPE:
                typ, numel = _UNTYPED_STORAGE, st.nbytes
            else:
                typ, numel = _G("torch", _STORAGE_OF_DTYPE[st.dtype.name]), \
                    st.nbytes // st.dtype.itemsize
            items = self._pid_items[st.key] = ("storage", typ, st.key, st.location, numel)
        # a fresh tuple each time, as PyTorch's persistent_id returns (its items are memoized)
        return items + (None,) if self.legacy else tuple(list(items))


def _place(a, st):
    """a's (offset, strides) in elements inside storage `st`, or None if they don't exist."""
    item = a.itemsize
    off = _ptr(a) - st.lo
    if off % item or off < 0 or off > st.nbytes:
        return None
    shape = a.shape
    if a.size == 0:     # addresses nothing: the strides a fresh empty tensor has
        return off // item, _contiguous_strides(shape)
    strides = [0] * a.ndim
    for i in range(a.ndim - 1, -1, -1):
        n, s = shape[i], a.strides[i]
        if n == 1:   # a size-1 dim's stride addresses nothing: Tensor.stride()'s value
            strides[i] = strides[i + 1] * shape[i + 1] if i + 1 < a.ndim else 1
        elif s >= 0 and s % item == 0:
            strides[i] = s // item
        else:
            return None
    return off // item, tuple(strides)


def _contiguous_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _torch_name_of(obj):
    """(module, name) PyTorch pickles `obj` as a global, or None for ordinary objects."""
    if isinstance(obj, _Global):
        return obj.module, obj.name
    if type(obj) is _dt.dtype:
        return "torch", obj.name
    if isinstance(obj, _LegacyMeta):
        return ("torch.cuda" if obj.is_cuda else "torch"), obj.__name__
    return None


class _ZipWriter:
    """Writes a zip archive laid out as PyTorch's miniz writer lays it out: stored records,
    each local header padded with an 'FB' extra field so the data starts on a 64-byte
    boundary, a data descriptor after non-empty data, zip64 fields past 4 GiB."""
    _ZIP64_LIMIT = 0xFFFFFFFF     # sizes and offsets from here on need zip64 fields

    def __init__(self, out, archive_name):
        self.out = out
        self.prefix = archive_name + "/"
        self.pos = 0
        self.central = []
        self.names = []
        self.crcs = []

    def _write(self, b):
        self.out.write(b)
        self.pos += len(b) if not isinstance(b, memoryview) else b.nbytes

    def write_record(self, name, data):
        """data: bytes, or a one-dimensional uint8 array."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
        size = view.nbytes
        fname = (self.prefix + name).encode("utf-8")
        ofs = self.pos
        big_size, big_ofs = size >= self._ZIP64_LIMIT, ofs >= self._ZIP64_LIMIT
        z64 = b""
        if big_size or big_ofs:
            fields = (struct.pack("<QQ", size, size) if big_size else b"") + \
                (struct.pack("<Q", ofs) if big_ofs else b"")
            z64 = struct.pack("<HH", 1, len(fields)) + fields
        start = ofs + 30 + len(fname) + len(z64) + 4
        pad = -start % _STORAGE_ALIGNMENT
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = 0x0808 if size else 0x0800     # data descriptor follows; UTF-8 names
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0,
                                len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        crc = zlib.crc32(view) if size else 0
        if size:
            self._write(view)
            if z64:
                self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
            else:
                self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.central.append((fname, flags, crc, size, ofs))
        self.names.append(name)
        self.crcs.append(crc)

    def finish(self):
        cd_start = self.pos
        for fname, flags, crc, size, ofs in self.central:
            big_size, big_ofs = size >= self._ZIP64_LIMIT, ofs >= self._ZIP64_LIMIT
            extra = b""
            if big_size or big_ofs:
                fields = (struct.pack("<QQ", size, size) if big_size else b"") + \
                    (struct.pack("<Q", ofs) if big_ofs else b"")
                extra = struct.pack("<HH", 1, len(fields)) + fields
            s32 = 0xFFFFFFFF if big_size else size
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 45 if extra else 0,
                                    flags, 0, 0, 0, crc, s32, s32, len(fname), len(extra), 0,
                                    0, 0, 0, 0xFFFFFFFF if big_ofs else ofs))
            self._write(fname)
            self._write(extra)
        cd_size = self.pos - cd_start
        n = len(self.central)
        # PyTorch's writer is in zip64 mode: a zip64 end record and locator always precede
        # the classic end record, which holds the real values where they fit
        z64_end = self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n,
                                cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, z64_end, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF),
                                min(n, 0xFFFF), self._fit32(cd_size),
                                self._fit32(cd_start), 0))

    def _fit32(self, v):
        return v if v < self._ZIP64_LIMIT else 0xFFFFFFFF

    def serialization_id(self):
        """PyTorch's id: 20 digits of a hash over the record names, 20 of a hash over the
        records' CRC-32s (reproduced from its writer on Linux: libstdc++'s string hash and
        unordered_set order, c10's hash_combine)."""
        names = 0
        for rec in _unordered_set_order(self.names):
            names = _hash_combine(names, _std_hash(rec.encode("utf-8")))
        crcs = 0
        for (_, _, crc, size, _) in self.central:
            if size:    # only records with a data descriptor count
                crcs = _hash_combine(crcs, crc)
        return f"{names:020d}{crcs:020d}"


_M64 = (1 << 64) - 1
_MURMUR_MUL = (0xC6A4A793 << 32) + 0x5BD1E995


def _shift_mix(v):
    return v ^ (v >> 47)


def _std_hash(b, seed=0xC70F6907):
    """libstdc++'s std::hash<std::string> (_Hash_bytes, 64-bit)."""
    n = len(b)
    aligned = n & ~7
    h = (seed ^ (n * _MURMUR_MUL)) & _M64
    for i in range(0, aligned, 8):
        d = (_shift_mix((int.from_bytes(b[i:i + 8], "little") * _MURMUR_MUL) & _M64)
             * _MURMUR_MUL) & _M64
        h = ((h ^ d) * _MURMUR_MUL) & _M64
    if n & 7:
        h = ((h ^ int.from_bytes(b[aligned:], "little")) * _MURMUR_MUL) & _M64
    return _shift_mix((_shift_mix(h) * _MURMUR_MUL) & _M64)


def _hash_combine(seed, value):
    return (seed ^ ((value + 0x9E3779B9 + (seed << 6) + (seed >> 2)) & _M64)) & _M64


# libstdc++'s bucket counts as an unordered_set grows (rehash when size exceeds the count)
_BUCKET_COUNTS = (13, 29, 59, 127, 257, 541, 1109, 2357, 5087, 10273, 20753, 42043, 85229,
                  172933, 351061, 712697, 1447153, 2938679, 5967347)


def _unordered_set_order(names):
    """The iteration order of a libstdc++ std::unordered_set<std::string> after inserting
    `names` in order (its singly linked node list, rehashes included)."""
    head = object()                  # the list's before-begin node
    nxt = {head: None}
    code = {}
    buckets = {}                     # bucket -> node before the bucket's first node
    nbkt, level = 1, 0

    def rehash(n):
        p, nxt[head] = nxt[head], None
        new, first_bkt = {}, 0
        while p is not None:
            following, b = nxt[p], code[p] % n
            if b not in new:
                nxt[p], nxt[head] = nxt[head], p
                new[b] = head
                if nxt[p] is not None:
                    new[first_bkt] = p
                first_bkt = b
            else:
                before = new[b]
                nxt[p], nxt[before] = nxt[before], p
            p = following
        return new

    for size, name in enumerate(names):
        code[name] = _std_hash(name.encode("utf-8"))
        if size + 1 > nbkt or level == 0:
            nbkt = _BUCKET_COUNTS[min(level, len(_BUCKET_COUNTS) - 1)]
            level += 1
            buckets = rehash(nbkt)
        b = code[name] % nbkt
        if b in buckets:
            before = buckets[b]
            nxt[name], nxt[before] = nxt[before], name
        else:
            nxt[name], nxt[head] = nxt[head], name
            if nxt[name] is not None:
                buckets[code[nxt[name]] % nbkt] = name
            buckets[b] = head
    out, p = [], nxt[head]
    while p is not None:
        out.append(p)
        p = nxt[p]
    return out


def _archive_name(path):
    """PyTorch names the archive's folder after the file: its base name up to the last '.'."""
    base = os.path.basename(path)
    dot = base.rfind(".")
    return base[:dot] if dot >= 0 else base


def _write_zip(obj, out, archive_name, protocol, disable_byteorder):
    data = io.BytesIO()
    pickler = _Pickler(data, protocol)
    pickler.dump(obj)
    z = _ZipWriter(out, archive_name)
    z.write_record("data.pkl", data.getvalue())
    z.write_record(".format_version", "1")
    z.write_record(".storage_alignment", str(_STORAGE_ALIGNMENT))
    if not disable_byteorder:
        z.write_record("byteorder", sys.byteorder)
    for key, st in pickler.storages.items():
        z.write_record(f"data/{key}", st.host_bytes())
    z.write_record("version", f"{_FILE_FORMAT_VERSION}\n")
    z.write_record(".data/serialization_id", z.serialization_id())
    z.finish()


def _write_legacy(obj, out, protocol):
    sys_info = {"protocol_version": PROTOCOL_VERSION,
                "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    pickle.dump(MAGIC_NUMBER, out, protocol=protocol)
    pickle.dump(PROTOCOL_VERSION, out, protocol=protocol)
    pickle.dump(sys_info, out, protocol=protocol)
    pickler = _Pickler(out, protocol, legacy=True)
    pickler.dump(obj)
    keys = sorted(pickler.storages)
    pickle.dump(keys, out, protocol=protocol)
    for key in keys:
        st = pickler.storages[key]
        item = 1 if st.dtype.name in _V3_DTYPES else st.dtype.itemsize
        out.write(struct.pack("<q", st.nbytes // item))
        out.write(memoryview(st.host_bytes()).cast("B"))


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


@contextlib.contextmanager
def _atomic_output(path):
    """A file to write whose contents replace `path` only once fully written and synced.
    Links are written through; non-regular targets (devices, pipes) are written directly."""
    if os.path.islink(path):
        path = os.path.realpath(path)
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as fh:
            yield fh
        return
    directory = parent or "."
    tmp = os.path.join(directory,
                       f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:   # keep the permissions of the file being replaced
            os.chmod(tmp, _stat.S_IMODE(os.stat(path).st_mode))
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):   # make the rename itself durable
        with contextlib.suppress(OSError):
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save `obj` (tensors, containers, state dicts, modules, ...) to `f`, a path or a binary
    file object, in PyTorch's zip format (or its legacy stream format when
    `_use_new_zipfile_serialization=False`). A path is replaced atomically."""
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError(
            "ember.save pickles with its own PyTorch-compatible pickler built on the standard "
            "pickle module; a different pickle_module is not supported")
    if _is_path(f):
        path = os.fsdecode(os.fspath(f))
        with _atomic_output(path) as out:
            _save_to(obj, out, _archive_name(path), pickle_protocol,
                     _use_new_zipfile_serialization, _disable_byteorder_record)
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a "
                             f"'write' attribute, got {type(f).__name__}")
    _save_to(obj, f, "archive", pickle_protocol, _use_new_zipfile_serialization,
             _disable_byteorder_record)
    if hasattr(f, "flush"):
        f.flush()


def _save_to(obj, out, archive_name, protocol, zip_format, disable_byteorder):
    if zip_format:
        _write_zip(obj, out, archive_name, protocol, disable_byteorder)
    else:
        _write_legacy(obj, out, protocol)


# =============================================================== load: rebuilding objects
def _tensor_from_storage(storage, dtype, offset, size, stride):
    """A tensor viewing `storage` (an UntypedStorage) as `dtype`, with PyTorch's bounds check
    (a checkpoint's sizes and strides are never trusted)."""
    try:
        size = tuple(builtins.int(s) for s in size)
        stride = tuple(builtins.int(s) for s in stride)
        offset = builtins.int(offset)
    except (TypeError, ValueError):
        raise RuntimeError(f"invalid tensor geometry in checkpoint: size={size!r}, "
                           f"stride={stride!r}, offset={offset!r}") from None
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    np_dtype = _dt.to_np(dtype)
    item = np_dtype.itemsize
    need = 0 if 0 in size else offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    have = storage.nbytes()
    if need * item > have:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size {have}")
    return _make(storage._view(np_dtype, size, stride, offset), storage.device)


def _typed(storage, fn):
    if not isinstance(storage, TypedStorage):
        raise RuntimeError(f"{fn}: expected a storage, got {type(storage).__name__}")
    return storage


def _apply_metadata(t, metadata):
    """PyTorch stores conjugate/negative views as the base data plus a flag."""
    if not metadata:
        return t
    if not isinstance(metadata, dict):
        raise RuntimeError(f"invalid tensor metadata in checkpoint: {metadata!r}")
    unknown = [k for k, v in metadata.items() if v and k not in ("conj", "neg")]
    if unknown:
        raise NotImplementedError(f"ember can't load tensors with metadata {unknown}")
    a = t._data
    if metadata.get("conj"):
        a = a.conj()
    if metadata.get("neg"):
        a = -a
    return _make(a, t._device) if a is not t._data else t


def _rebuild_tensor(storage, storage_offset, size, stride):
    s = _typed(storage, "_rebuild_tensor")
    return _tensor_from_storage(s._untyped_storage, s.dtype, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    t = _apply_metadata(_rebuild_tensor(storage, storage_offset, size, stride), metadata)
    t.requires_grad = builtins.bool(requires_grad)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    s = _typed(storage, "_rebuild_tensor_v3")
    if type(dtype) is not _dt.dtype:
        raise RuntimeError(f"_rebuild_tensor_v3: expected a dtype, got {dtype!r}")
    t = _tensor_from_storage(s._untyped_storage, dtype, storage_offset, size, stride)
    t = _apply_metadata(t, metadata)
    t.requires_grad = builtins.bool(requires_grad)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise RuntimeError(f"_rebuild_parameter: expected a Tensor, got {type(data).__name__}")
    return Parameter(data, builtins.bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """A tensor subclass or a tensor with Python attributes: rebuild, retype, set the state."""
    ret = func(*args)
    if type(ret) is not new_type:
        if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
            raise RuntimeError(f"_rebuild_from_type_v2: {new_type!r} is not a Tensor type")
        ret = Tensor._make_subclass(new_type, ret, ret.requires_grad)
    return _set_obj_state(ret, state)


_PROTECTED_ATTRS = frozenset(Tensor.__slots__) | {"grad"}


def _set_obj_state(obj, state):
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for part in (dict_state, slots_state):
        for k, v in (part or {}).items():
            # never a dunder, a slot, or anything the class defines (methods, properties)
            if not isinstance(k, str) or k.startswith("__") or k in _PROTECTED_ATTRS or \
                    hasattr(type(obj), k):
                raise pickle.UnpicklingError(f"refusing to set attribute {k!r} on a "
                                             f"{type(obj).__name__} from a checkpoint")
            setattr(obj, k, v)
    return obj


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    t = data.to(dtype=dtype, device=device)
    t.requires_grad = builtins.bool(requires_grad)
    return t


def _rebuild_device_tensor_from_numpy(data, dtype, device, requires_grad):
    from .ops.creation import from_numpy
    return _rebuild_device_tensor_from_cpu_tensor(from_numpy(data), dtype, device,
                                                  requires_grad)


def _unsupported(kind):
    def rebuild(*args, **kwargs):
        raise NotImplementedError(f"this checkpoint holds {kind}, which ember does not support")
    rebuild.__name__ = f"_rebuild_{kind.replace(' ', '_')}"
    return rebuild


def _get_layout(name):
    if name == "torch.strided":
        return "torch.strided"
    raise NotImplementedError(f"this checkpoint uses layout {name}; ember has only "
                              f"torch.strided tensors")


_allowed_cache = {}


def _allowed_globals():
    """PyTorch's weights_only allowlist, mapped to ember's objects."""
    if _allowed_cache:
        return _allowed_cache
    from .nn.parameter import Parameter
    from . import tensor_types
    rc = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.serialization._get_layout": _get_layout,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": _device,
        "_codecs.encode": codecs.encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
    }
    for d in _dt._all_dtypes:
        rc["torch." + d.name] = d
    for name, cls in tensor_types._cpu_types.items():
        rc["torch." + name] = cls
    for name, cls in tensor_types._cuda_types.items():
        rc["torch.cuda." + name] = cls
    for sname, dname in _STORAGE_DTYPES.items():
        st = _StorageType(sname, getattr(_dt, dname))
        rc["torch." + sname] = st
        rc["torch.cuda." + sname] = st
    untyped = _StorageType("UntypedStorage", _dt.uint8)
    rc["torch.storage.UntypedStorage"] = untyped
    rc["torch.UntypedStorage"] = untyped
    rebuilds = {
        "_rebuild_tensor": _rebuild_tensor, "_rebuild_tensor_v2": _rebuild_tensor_v2,
        "_rebuild_tensor_v3": _rebuild_tensor_v3, "_rebuild_parameter": _rebuild_parameter,
        "_rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "_rebuild_device_tensor_from_cpu_tensor": _rebuild_device_tensor_from_cpu_tensor,
        "_rebuild_device_tensor_from_numpy": _rebuild_device_tensor_from_numpy,
        "_rebuild_qtensor": _unsupported("quantized tensors"),
        "_rebuild_sparse_tensor": _unsupported("sparse tensors"),
        "_rebuild_meta_tensor_no_storage": _unsupported("meta tensors"),
        "_rebuild_nested_tensor": _unsupported("nested tensors"),
        "_rebuild_wrapper_subclass": _unsupported("wrapper tensor subclasses"),
    }
    for name, fn in rebuilds.items():
        rc["torch._utils." + name] = fn
    rc["torch._tensor._rebuild_from_type_v2"] = _rebuild_from_type_v2
    _allowed_cache.update(rc)
    return _allowed_cache


def _check_foreign(module, name):
    if module in ("torch", "torch.cuda") and name in _FOREIGN_NAMES:
        raise NotImplementedError(f"this checkpoint uses torch.{name}, which ember does not "
                                  f"support")


def _map_name(module, name):
    """Python 2 names (`__builtin__.set`) as Python 3 knows them."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    if module in _compat_pickle.IMPORT_MAPPING:
        return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def _ember_equivalent(module, name):
    """`torch.nn.modules.linear.Linear` -> `ember.nn.modules.linear.Linear` (full loads)."""
    import importlib
    try:
        mod = importlib.import_module("ember" + module[5:])
        obj = mod
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f"ember has no equivalent of {module}.{name}, which this "
                                     f"checkpoint needs") from None


# =============================================================== the weights-only unpickler
_BLOCKLISTED_MODULES = ("sys", "os", "posix", "nt")


class _WeightsUnpickler:
    """Runs a pickle building only allowlisted objects (PyTorch's `weights_only` unpickler):
    GLOBAL must name an allowed global, REDUCE/NEWOBJ may only call those, BUILD only sets
    state on tensors, OrderedDicts and allowed classes, and containers are only filled
    through their own types. Nothing else in the file can run code."""

    def __init__(self, file, persistent_load=None, encoding="bytes"):
        self.read = file.read
        self.readline = file.readline
        self.encoding = encoding
        self.memo = {}
        self._persistent_load = persistent_load
        self._allowed = _allowed_globals()
        self._user = _user_allowed_globals()
        self._allowed_ids = {id(v) for v in self._allowed.values()} | \
            {id(v) for v in self._user.values()}

    def _read(self, n):
        data = self.read(n)
        if len(data) < n:
            raise EOFError("pickle data was truncated")
        return data

    def load(self):
        self.metastack = []
        self.stack = []
        dispatch = self._DISPATCH
        read = self.read
        while True:
            key = read(1)
            if not key:
                raise EOFError("Ran out of input")
            handler = dispatch.get(key[0])
            if handler is None:
                raise pickle.UnpicklingError(f"Unsupported operand {key[0]}")
            try:
                done = handler(self)
            except IndexError:
                raise pickle.UnpicklingError("pickle stack underflow: the pickle is "
                                             "corrupt") from None
            if done:
                return self.stack.pop()

    # ------------------------------------------------------------------ helpers
    def _pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _resolve_global(self, module, name):
        module, name = _map_name(module, name)
        full = f"{module}.{name}"
        if module in _BLOCKLISTED_MODULES:
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose "
                                         f"module {module} is blocked.")
        if full in self._allowed:
            return self._allowed[full]
        if full in self._user:
            return self._user[full]
        _check_foreign(module, name)
        if full.startswith("builtins."):
            full = full[len("builtins."):]
        raise pickle.UnpicklingError(
            f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please "
            f"use `ember.serialization.add_safe_globals([{full}])` or the "
            f"`ember.serialization.safe_globals([{full}])` context manager to allowlist this "
            f"global if you trust this class/function.")

    def _is_allowed(self, obj):
        return id(obj) in self._allowed_ids

    # ------------------------------------------------------------------ opcodes
    def _global(self):
        module = self.readline()[:-1].decode("utf-8")
        name = self.readline()[:-1].decode("utf-8")
        self.stack.append(self._resolve_global(module, name))

    def _stack_global(self):
        name = self.stack.pop()
        module = self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise pickle.UnpicklingError("STACK_GLOBAL requires str")
        self.stack.append(self._resolve_global(module, name))

    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.stack.append(self._new(cls, args, {}))

    def _newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.stack.append(self._new(cls, args, kwargs))

    def _new(self, cls, args, kwargs):
        from .nn.parameter import Parameter
        if type(args) is not tuple or type(kwargs) is not dict:
            raise pickle.UnpicklingError("NEWOBJ arguments must be a tuple and a dict")
        if cls is Parameter:
            return Parameter(*args, **kwargs)
        if isinstance(cls, type) and self._is_allowed(cls):
            return cls.__new__(cls, *args, **kwargs)
        raise pickle.UnpicklingError(f"Can only create new object for nn.Parameter or classes "
                                     f"allowlisted via `add_safe_globals` but got {cls}")

    def _reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._is_allowed(func):
            msg = f"Trying to call reduce for unrecognized function {func}"
            if hasattr(func, "__self__"):
                msg += f" which belongs to {func.__self__}"
            raise pickle.UnpicklingError(msg)
        if type(args) is not tuple:
            raise pickle.UnpicklingError("REDUCE arguments must be a tuple")
        try:
            self.stack[-1] = func(*args)
        except TypeError as e:    # arguments that don't fit: a malformed pickle
            raise pickle.UnpicklingError(f"calling {func} failed: {e}") from None

    def _build(self):
        state = self.stack.pop()
        try:
            self._build_state(self.stack[-1], state)
        except (AttributeError, TypeError, ValueError) as e:
            raise pickle.UnpicklingError(f"BUILD failed on a {type(self.stack[-1]).__name__}: "
                                         f"{e}") from None

    def _build_state(self, inst, state):
        from .nn.parameter import Parameter
        t = type(inst)
        if t is Tensor or t is Parameter:
            _tensor_setstate(inst, state)
        elif t is collections.OrderedDict:
            if not isinstance(state, dict):
                raise pickle.UnpicklingError("OrderedDict state must be a dict")
            inst.__dict__.update(state)
        elif self._is_allowed(t):
            if hasattr(inst, "__setstate__"):
                inst.__setstate__(state)
            else:
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    inst.__dict__.update(state)
                if slotstate:
                    for k, v in slotstate.items():
                        setattr(inst, k, v)
        else:
            raise pickle.UnpicklingError(f"Can only build Tensor, Parameter, OrderedDict or "
                                         f"types allowlisted via `add_safe_globals`, but got {t}")

    def _append(self):
        item = self.stack.pop()
        lst = self.stack[-1]
        if type(lst) is not list:
            raise pickle.UnpicklingError(f"Can only append to lists, but got {type(lst)}")
        lst.append(item)

    def _appends(self):
        items = self._pop_mark()
        lst = self.stack[-1]
        if type(lst) is not list:
            raise pickle.UnpicklingError(f"Can only extend lists, but got {type(lst)}")
        lst.extend(items)

    def _check_dict(self, opcode):
        if type(self.stack[-1]) not in (dict, collections.OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, "
                                         f"collections.Counter, but got {type(self.stack[-1])}")

    def _setitem(self):
        v = self.stack.pop()
        k = self.stack.pop()
        self._check_dict("SETITEM")
        self.stack[-1][k] = v

    def _setitems(self):
        items = self._pop_mark()
        self._check_dict("SETITEMS")
        if len(items) % 2:
            raise pickle.UnpicklingError("SETITEMS needs key/value pairs")
        d = self.stack[-1]
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]

    def _additems(self):
        items = self._pop_mark()
        s = self.stack[-1]
        if type(s) is not set:
            raise pickle.UnpicklingError(f"Can only add items to sets, but got {type(s)}")
        s.update(items)

    def _frozenset(self):
        items = self._pop_mark()
        self.stack.append(frozenset(items))

    def _mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def _pop(self):
        if self.stack:
            self.stack.pop()
        else:
            self._pop_mark()

    def _pop_mark_op(self):
        self._pop_mark()

    def _dup(self):
        self.stack.append(self.stack[-1])

    def _tuple(self):
        items = self._pop_mark()
        self.stack.append(tuple(items))

    def _tuple1(self):
        self.stack[-1] = (self.stack[-1],)

    def _tuple2(self):
        self.stack[-2:] = [(self.stack[-2], self.stack[-1])]

    def _tuple3(self):
        self.stack[-3:] = [(self.stack[-3], self.stack[-2], self.stack[-1])]

    def _const(value):
        def op(self):
            self.stack.append(value)
        return op

    def _empty(factory):
        def op(self):
            self.stack.append(factory())
        return op

    def _binint(self):
        self.stack.append(struct.unpack("<i", self._read(4))[0])

    def _binint1(self):
        self.stack.append(self._read(1)[0])

    def _binint2(self):
        self.stack.append(struct.unpack("<H", self._read(2))[0])

    def _binfloat(self):
        self.stack.append(struct.unpack(">d", self._read(8))[0])

    def _long1(self):
        n = self._read(1)[0]
        self.stack.append(pickle.decode_long(self._read(n)))

    def _long4(self):
        n = struct.unpack("<i", self._read(4))[0]
        if n < 0:
            raise pickle.UnpicklingError("LONG pickle has negative byte count")
        self.stack.append(pickle.decode_long(self._read(n)))

    def _unicode(fmt):
        size = struct.calcsize(fmt)

        def op(self):
            n = struct.unpack(fmt, self._read(size))[0]
            if n > sys.maxsize:
                raise pickle.UnpicklingError("String is too long")
            self.stack.append(str(self._read(n), "utf-8", "surrogatepass"))
        return op

    def _bytes(fmt):
        size = struct.calcsize(fmt)

        def op(self):
            n = struct.unpack(fmt, self._read(size))[0]
            if n > sys.maxsize:
                raise pickle.UnpicklingError("BINBYTES exceeds system's maximum size")
            self.stack.append(self._read(n))
        return op

    def _bytearray8(self):
        n = struct.unpack("<Q", self._read(8))[0]
        if n > sys.maxsize:
            raise pickle.UnpicklingError("BYTEARRAY8 exceeds system's maximum size")
        self.stack.append(bytearray(self._read(n)))

    def _py2_string(fmt):
        size = struct.calcsize(fmt)

        def op(self):
            n = struct.unpack(fmt, self._read(size))[0]
            if n < 0:
                raise pickle.UnpicklingError("BINSTRING pickle has negative byte count")
            data = self._read(n)
            if self.encoding != "bytes":
                data = data.decode(self.encoding, "strict")
            self.stack.append(data)
        return op

    def _binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple and type(pid) is not int:
            raise pickle.UnpicklingError(f"persistent_load id must be tuple or int, but got "
                                         f"{type(pid)}")
        if type(pid) is tuple and len(pid) > 0 and _maybe_decode_ascii(pid[0]) != "storage":
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got "
                                         f"{pid[0]!r}")
        if self._persistent_load is None:
            raise pickle.UnpicklingError("unsupported persistent id encountered")
        self.stack.append(self._persistent_load(pid))

    def _get(fmt):
        size = struct.calcsize(fmt)

        def op(self):
            idx = struct.unpack(fmt, self._read(size))[0]
            try:
                self.stack.append(self.memo[idx])
            except KeyError:
                raise pickle.UnpicklingError(f"Memo value not found at index {idx}") from None
        return op

    def _put(fmt):
        size = struct.calcsize(fmt)

        def op(self):
            idx = struct.unpack(fmt, self._read(size))[0]
            if idx < 0:
                raise ValueError("negative argument")
            self.memo[idx] = self.stack[-1]
        return op

    def _memoize(self):
        self.memo[len(self.memo)] = self.stack[-1]

    def _frame(self):
        self._read(8)   # frame length: only a read-ahead hint

    def _proto(self):
        self.proto = self._read(1)[0]
        if self.proto > pickle.HIGHEST_PROTOCOL:
            raise ValueError(f"unsupported pickle protocol: {self.proto}")

    def _stop(self):
        return True

    _DISPATCH = {
        pickle.GLOBAL[0]: _global, pickle.STACK_GLOBAL[0]: _stack_global,
        pickle.NEWOBJ[0]: _newobj, pickle.NEWOBJ_EX[0]: _newobj_ex, pickle.REDUCE[0]: _reduce,
        pickle.BUILD[0]: _build, pickle.APPEND[0]: _append, pickle.APPENDS[0]: _appends,
        pickle.SETITEM[0]: _setitem, pickle.SETITEMS[0]: _setitems,
        pickle.ADDITEMS[0]: _additems, pickle.FROZENSET[0]: _frozenset, pickle.MARK[0]: _mark,
        pickle.POP[0]: _pop, pickle.POP_MARK[0]: _pop_mark_op, pickle.DUP[0]: _dup,
        pickle.TUPLE[0]: _tuple, pickle.TUPLE1[0]: _tuple1, pickle.TUPLE2[0]: _tuple2,
        pickle.TUPLE3[0]: _tuple3, pickle.NONE[0]: _const(None),
        pickle.NEWFALSE[0]: _const(False), pickle.NEWTRUE[0]: _const(True),
        pickle.EMPTY_TUPLE[0]: _const(()), pickle.EMPTY_LIST[0]: _empty(list),
        pickle.EMPTY_DICT[0]: _empty(dict), pickle.EMPTY_SET[0]: _empty(set),
        pickle.BININT[0]: _binint, pickle.BININT1[0]: _binint1, pickle.BININT2[0]: _binint2,
        pickle.BINFLOAT[0]: _binfloat, pickle.LONG1[0]: _long1, pickle.LONG4[0]: _long4,
        pickle.SHORT_BINUNICODE[0]: _unicode("<B"), pickle.BINUNICODE[0]: _unicode("<I"),
        pickle.BINUNICODE8[0]: _unicode("<Q"), pickle.SHORT_BINBYTES[0]: _bytes("<B"),
        pickle.BINBYTES[0]: _bytes("<I"), pickle.BINBYTES8[0]: _bytes("<Q"),
        pickle.BYTEARRAY8[0]: _bytearray8, pickle.SHORT_BINSTRING[0]: _py2_string("<B"),
        pickle.BINSTRING[0]: _py2_string("<i"), pickle.BINPERSID[0]: _binpersid,
        pickle.BINGET[0]: _get("<B"), pickle.LONG_BINGET[0]: _get("<I"),
        pickle.BINPUT[0]: _put("<B"), pickle.LONG_BINPUT[0]: _put("<I"),
        pickle.MEMOIZE[0]: _memoize, pickle.FRAME[0]: _frame, pickle.PROTO[0]: _proto,
        pickle.STOP[0]: _stop,
    }
    del _const, _empty, _unicode, _bytes, _py2_string, _get, _put


def _tensor_setstate(t, state):
    """BUILD on a Tensor or Parameter: the state old PyTorch versions pickled."""
    if isinstance(state, tuple) and len(state) == 4:        # legacy Tensor: set_(...)
        storage, offset, size, stride = state
        new = _rebuild_tensor(storage, offset, size, stride)
        t._data, t._device = new._data, new._device
        return
    if isinstance(state, tuple) and len(state) == 5:        # legacy Variable
        t._data, t._device = state[0]._data, state[0]._device
        state = (state[3], state[4], state[2])
    if isinstance(state, tuple) and len(state) == 3:
        t.requires_grad = builtins.bool(state[0])
        return
    if isinstance(state, dict):
        _set_obj_state(t, state)
        return
    raise pickle.UnpicklingError(f"invalid Tensor state in checkpoint: {type(state)}")


def _maybe_decode_ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _full_unpickler(pickle_module, file, persistent_load, **kwargs):
    """The stdlib (or the given module's) unpickler, with PyTorch's names mapped to ember's
    (never importing torch): `weights_only=False`."""
    class Unpickler(pickle_module.Unpickler):
        def find_class(self, module, name):
            m, n = _map_name(module, name)
            full = f"{m}.{n}"
            allowed = _allowed_globals()
            if full in allowed:
                return allowed[full]
            if m == "torch" or m.startswith("torch."):
                _check_foreign(m, n)
                return _ember_equivalent(m, n)
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return persistent_load(pid)
    return Unpickler(file, **kwargs)


# =============================================================== load: map_location
def _cuda_usable():
    from . import backends
    if backends._backends.get("cuda") is not None:
        return True
    from . import cuda
    return cuda.is_available()


def _validate_cuda_device(location):
    dev = _device(location)
    idx = dev.index
    if idx is None:
        from . import cuda
        idx = cuda._current_index()
    if not _cuda_usable():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use ember.load with "
            "map_location=ember.device('cpu') to map your storages to the CPU.")
    from . import cuda
    if cuda.is_available():
        count = cuda.device_count()
        if idx >= count:
            raise RuntimeError(
                f"Attempting to deserialize object on CUDA device {idx} but "
                f"ember.cuda.device_count() is {count}. Please use ember.load with "
                f"map_location to map your storages to an existing device.")
    return _device("cuda", idx)


def _default_restore_location(storage, location):
    loc = str(location)
    if loc.startswith("cpu"):
        return storage.cpu()
    if loc.startswith("cuda"):
        return storage.to(device=_validate_cuda_device(loc))
    raise RuntimeError(f"don't know how to restore data location of "
                       f"torch.storage.UntypedStorage (tagged with {loc}): ember has cpu and "
                       f"cuda devices; pass map_location='cpu'")


def _restore_function(map_location):
    if map_location is None:
        return _default_restore_location
    if isinstance(map_location, dict):
        def restore(storage, location):
            return _default_restore_location(storage, map_location.get(location, location))
    elif isinstance(map_location, (str, bytes, _device)):
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)

        def restore(storage, location):
            return _default_restore_location(storage, target)
    elif callable(map_location):
        def restore(storage, location):
            result = map_location(storage, location)
            if result is None:
                result = _default_restore_location(storage, location)
            if isinstance(result, TypedStorage):
                result = result._untyped_storage
            if not isinstance(result, UntypedStorage):
                raise TypeError(f"map_location must return a storage or None, got "
                                f"{type(result).__name__}")
            return result
    else:
        raise TypeError(f"map_location should be None, a string, a device, a dict or a "
                        f"callable, got {type(map_location).__name__}")
    return restore


# =============================================================== load: zip archives
def _byteswap(arr, dtype):
    item = dtype.itemsize // (2 if dtype.is_complex else 1)
    if item > 1:
        arr.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[item]).byteswap(inplace=True)


def _readinto(fh, buf, name, what):
    view = memoryview(buf).cast("B")
    got = 0
    n = view.nbytes
    readinto = getattr(fh, "readinto", None)
    while got < n:
        if readinto is not None:
            k = readinto(view[got:])
        else:
            chunk = fh.read(min(n - got, 1 << 26))
            k = len(chunk)
            view[got:got + k] = chunk
        if not k:
            raise _corrupt(name, f"{what} is truncated: expected {n} bytes, got {got}")
        got += k


class _ZipReader:
    """Records of a checkpoint archive (all under one folder, whatever its name)."""

    def __init__(self, fh, name, mmap_source=None):
        self.fh = fh
        self.name = name
        self.mm = mmap_source
        try:
            self.zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, struct.error,
                ValueError, OSError) as e:
            raise _corrupt(name, f"failed reading zip archive ({e}); the file is truncated or "
                                 f"corrupted") from None
        infos = self.zf.infolist()
        if not infos:
            raise _corrupt(name, "the archive does not contain any files")
        first = infos[0].filename
        slash = first.find("/")
        if slash < 0:
            raise _corrupt(name, f"file in archive is not in a subdirectory: {first}")
        self.prefix = first[:slash + 1]
        self.infos = {i.filename: i for i in infos}

    def has_record(self, rec):
        return self.prefix + rec in self.infos

    def _info(self, rec):
        info = self.infos.get(self.prefix + rec)
        if info is None:
            raise _corrupt(self.name, f"failed locating record {rec} in the archive: file not "
                                      f"found")
        return info

    def get_record(self, rec):
        info = self._info(rec)
        try:
            return self.zf.read(info)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as e:
            raise _corrupt(self.name, f"failed reading record {rec}: {e}") from None

    def _data_offset(self, info):
        self.fh.seek(info.header_offset)
        hdr = self.fh.read(30)
        if len(hdr) < 30 or hdr[:4] != b"PK\x03\x04":
            raise _corrupt(self.name, f"bad local header for {info.filename}")
        n, m = struct.unpack("<HH", hdr[26:30])
        return info.header_offset + 30 + n + m

    def read_storage(self, rec, nbytes):
        """The record's bytes in a fresh writable uint8 array (or a private map of the file)."""
        info = self._info(rec)
        if info.file_size != nbytes:
            raise _corrupt(self.name, f"record {rec} holds {info.file_size} bytes but its "
                                      f"storage needs {nbytes}")
        if nbytes == 0:
            return np.empty(0, np.uint8)
        if info.compress_type == zipfile.ZIP_STORED:
            start = self._data_offset(info)
            if self.mm is not None:
                if start + nbytes > len(self.mm):
                    raise _corrupt(self.name, f"record {rec} runs past the end of the file")
                return np.ndarray((nbytes,), np.uint8, buffer=self.mm, offset=start)
            arr = np.empty(nbytes, np.uint8)
            self.fh.seek(start)
            _readinto(self.fh, arr, self.name, f"record {rec}")
            if zlib.crc32(arr) != info.CRC:
                raise _corrupt(self.name, f"CRC-32 mismatch in record {rec}: the file is "
                                          f"corrupted")
            return arr
        data = self.get_record(rec)     # a compressed record (not what PyTorch writes)
        return np.frombuffer(bytearray(data), np.uint8)


def _is_zipfile(fh):
    start = fh.tell()
    magic = fh.read(4)
    fh.seek(start)
    return magic == b"PK\x03\x04"


def _is_torchscript(reader):
    return reader.has_record("constants.pkl") or any(
        n.startswith(reader.prefix + "code/") for n in reader.infos)


def _load_zip(reader, restore, unpickle, name):
    if reader.has_record("version"):
        raw = reader.get_record("version").strip()
        try:
            version = builtins.int(raw)
        except ValueError:
            raise _corrupt(name, f"invalid version record {raw!r}") from None
        if version > _MAX_FILE_FORMAT_VERSION:
            raise RuntimeError(f"{name}: Attempted to read a PyTorch file with version "
                               f"{version}, but the maximum supported version for reading is "
                               f"{_MAX_FILE_FORMAT_VERSION}.")
    byteorder = b"little"
    if reader.has_record("byteorder"):
        byteorder = reader.get_record("byteorder")
        if byteorder not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + byteorder.decode("utf-8", "replace"))
    swap = byteorder.decode() != sys.byteorder
    loaded = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) < 5:
            raise pickle.UnpicklingError(f"invalid persistent id {pid!r}")
        typename, storage_type, key, location, numel = pid[:5]
        if _maybe_decode_ascii(typename) != "storage":
            raise pickle.UnpicklingError(f"Unknown saved id type: {typename!r}")
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"invalid storage type {storage_type!r}")
        key, location = _maybe_decode_ascii(key), _maybe_decode_ascii(location)
        if not isinstance(key, str) or not isinstance(location, str):
            raise pickle.UnpicklingError(f"invalid storage id {pid!r}")
        dtype = storage_type.dtype
        if key not in loaded:
            if not isinstance(numel, builtins.int) or numel < 0:
                raise pickle.UnpicklingError(f"invalid storage size {numel!r}")
            arr = reader.read_storage(f"data/{key}", numel * dtype.itemsize)
            if swap:
                _byteswap(arr, dtype)
            loaded[key] = restore(UntypedStorage(arr, _cpu), location)
        return TypedStorage(loaded[key], dtype)

    return unpickle(io.BytesIO(reader.get_record("data.pkl")), persistent_load)


# =============================================================== load: legacy formats
def _is_tarfile(fh):
    start = fh.tell()
    block = fh.read(512)
    fh.seek(start)
    return len(block) == 512 and block[257:262] == b"ustar"


def _remaining(fh):
    here = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(here)
    return end - here


def _legacy_load(fh, restore, unpickle, plain_load, name):
    try:
        magic = plain_load(fh)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError,
            struct.error, UnicodeDecodeError) as e:
        raise _corrupt(name, f"not a PyTorch checkpoint: it is neither a zip archive nor the "
                             f"legacy format ({type(e).__name__}: {e})") from None
    if magic != MAGIC_NUMBER:
        raise _corrupt(name, "Invalid magic number; corrupt file?")
    protocol_version = plain_load(fh)
    if protocol_version != PROTOCOL_VERSION:
        raise RuntimeError(f"{name}: Invalid protocol version: {protocol_version}")
    plain_load(fh)   # system info: PyTorch doesn't use it either
    objects = {}
    budget = [_remaining(fh)]

    def persistent_load(pid):
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError(f"invalid persistent id {pid!r}")
        typename = _maybe_decode_ascii(pid[0])
        if typename == "module":
            return pid[1]      # a pickled module's class (its saved source isn't checked)
        if typename != "storage" or len(pid) != 6:
            raise pickle.UnpicklingError(f"Unknown saved id type: {pid[0]!r}")
        storage_type, root_key, location, numel, view_metadata = pid[1:]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"invalid storage type {storage_type!r}")
        dtype = storage_type.dtype
        root_key, location = _maybe_decode_ascii(root_key), _maybe_decode_ascii(location)
        if not isinstance(root_key, str) or not isinstance(location, str):
            raise pickle.UnpicklingError(f"invalid storage id {pid!r}")
        if root_key not in objects:
            if not isinstance(numel, builtins.int) or numel < 0:
                raise pickle.UnpicklingError(f"invalid storage size {numel!r}")
            nbytes = numel * dtype.itemsize
            if nbytes > budget[0]:
                raise _corrupt(name, f"storage {root_key} needs {nbytes} bytes, more than the "
                                     f"file holds")
            budget[0] -= nbytes
            arr = np.empty(nbytes, np.uint8)   # filled once the pickle has been read
            objects[root_key] = TypedStorage(restore(UntypedStorage(arr, _cpu), location), dtype)
        typed = objects[root_key]
        if view_metadata is None:
            return typed
        view_key, offset, view_size = view_metadata
        item = dtype.itemsize
        u = typed._untyped_storage
        if offset < 0 or view_size < 0 or (offset + view_size) * item > u.nbytes():
            raise pickle.UnpicklingError("storage view out of bounds")
        sub = UntypedStorage(u._array[offset * item:(offset + view_size) * item], u.device)
        return objects.setdefault(view_key, TypedStorage(sub, dtype))

    result = unpickle(fh, persistent_load)
    keys = plain_load(fh)
    if not isinstance(keys, list):
        raise _corrupt(name, "invalid storage key list")
    for key in keys:
        key = _maybe_decode_ascii(key)
        typed = objects.get(key)
        if typed is None:
            raise _corrupt(name, f"storage key {key!r} not found in the pickle")
        u = typed._untyped_storage
        item = typed.dtype.itemsize
        head = fh.read(8)
        if len(head) < 8:
            raise _corrupt(name, f"storage {key} is truncated")
        size = struct.unpack("<q", head)[0]
        if size * item != u.nbytes():
            raise _corrupt(name, f"storage {key} has wrong byte size: expected "
                                 f"{u.nbytes()} got {size * item}")
        if isinstance(u._array, np.ndarray):
            _readinto(fh, u._array, name, f"storage {key}")
        else:
            host = np.empty(u.nbytes(), np.uint8)
            _readinto(fh, host, name, f"storage {key}")
            u._fill(host)
    return result


def _tar_load(fh, restore, unpickle, pickle_module, name, **kwargs):
    """The tar archive PyTorch wrote before its stream format (members `storages`,
    `tensors`, `pickle`)."""
    def no_ids(pid):
        raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")

    def load_obj(f):     # PyTorch's names (torch.FloatStorage) map to ember's here too
        return _full_unpickler(pickle_module, f, no_ids, **kwargs).load()
    objects = {}
    try:
        tar = tarfile.open(fileobj=fh, mode="r:")
        with tar:
            f = tar.extractfile("storages")
            for _ in range(load_obj(f)):
                key, location, storage_type = load_obj(f)
                dtype = storage_type.dtype
                numel = struct.unpack("<q", f.read(8))[0]
                arr = np.empty(numel * dtype.itemsize, np.uint8)
                _readinto(f, arr, name, f"storage {key}")
                objects[key] = TypedStorage(restore(UntypedStorage(arr, _cpu), location), dtype)
            for target, root, offset, numel in load_obj(f):
                base = objects[root]
                item = base.dtype.itemsize
                u = base._untyped_storage
                objects[target] = TypedStorage(
                    UntypedStorage(u._array[offset * item:(offset + numel) * item], u.device),
                    base.dtype)
            f = tar.extractfile("tensors")
            for _ in range(load_obj(f)):
                key, storage_id, _tensor_type = load_obj(f)
                storage = objects[storage_id]
                ndim = struct.unpack("<i", f.read(4))[0]
                f.read(4)
                size = struct.unpack(f"<{ndim}q", f.read(8 * ndim))
                stride = struct.unpack(f"<{ndim}q", f.read(8 * ndim))
                offset = struct.unpack("<q", f.read(8))[0]
                objects[key] = _rebuild_tensor(storage, offset, size, stride)

            def persistent_load(saved_id):
                if isinstance(saved_id, tuple):
                    return saved_id[0]
                return objects[builtins.int(saved_id)]
            return unpickle(tar.extractfile("pickle"), persistent_load)
    except (tarfile.TarError, KeyError, struct.error, EOFError) as e:
        raise _corrupt(name, f"failed reading the legacy tar checkpoint ({e})") from None


# =============================================================== load
def _describe(f):
    if _is_path(f):
        return os.fsdecode(os.fspath(f))
    n = getattr(f, "name", None)
    return n if isinstance(n, str) else f"<{type(f).__name__}>"


@contextlib.contextmanager
def _open_for_read(f):
    if _is_path(f):
        with open(f, "rb") as fh:
            yield fh
        return
    if not hasattr(f, "read"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a "
                             f"'read' attribute, got {type(f).__name__}")
    seekable = getattr(f, "seekable", None)
    if seekable is not None and seekable():
        yield f
    else:   # a pipe or socket: read it all (PyTorch needs seekable files too)
        yield io.BytesIO(f.read())


def _wo_message(message):
    """PyTorch's explanation around a weights-only refusal, naming ember's API."""
    docs = ("\n\nCheck the documentation of torch.load to learn more about types accepted by "
            "default with weights_only https://pytorch.org/docs/stable/generated/"
            "torch.load.html.")
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have "
                "two options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load "
                "with `weights_only=True` please check the recommended steps in the following "
                "error message.\n\tWeightsUnpickler error: " + message + docs)
    out = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if "is blocked" not in message:
        out += ("Please file an issue with the following so that we can make "
                "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return out + "\n\n" + message + docs


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by `ember.save` or `torch.save` (zip, legacy stream or tar
    format) or a `.safetensors` file. `weights_only=True` (the default unless a
    `pickle_module` is given) builds only tensors, containers and plain values;
    `map_location` (None, 'cpu', a device, a {saved: target} dict, or
    `callable(storage, location)`) places the storages."""
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
    elif pickle_module is None:
        pickle_module = pickle
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.")
    pickle_load_args.setdefault("encoding", "utf-8")

    if _is_path(f) and os.fsdecode(os.fspath(f)).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)

    name = _describe(f)
    restore = _restore_function(map_location)
    encoding = pickle_load_args["encoding"]

    if weights_only:
        def unpickle(file, persistent_load):
            return _WeightsUnpickler(file, persistent_load, encoding=encoding).load()

        def plain_load(file):
            return _WeightsUnpickler(file, None, encoding=encoding).load()
    else:
        def unpickle(file, persistent_load):
            return _full_unpickler(pickle_module, file, persistent_load,
                                   **pickle_load_args).load()

        def plain_load(file):
            return pickle_module.load(file, **pickle_load_args)

    with _open_for_read(f) as fh:
        try:
            if _is_zipfile(fh):
                mm = None
                if mmap:
                    if not _is_path(f):
                        raise ValueError("f must be a file path in order to use the mmap "
                                         "argument")
                    if os.path.getsize(f) > 0:
                        mm = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
                reader = _ZipReader(fh, name, mm)
                if _is_torchscript(reader):
                    raise NotImplementedError(f"{name} is a TorchScript archive "
                                              f"(torch.jit.save); ember can't load TorchScript")
                return _load_zip(reader, restore, unpickle, name)
            if mmap:
                raise RuntimeError(
                    "mmap can only be used with files saved with `torch.save("
                    f"{name + ', ' if _is_path(f) else ''}_use_new_zipfile_serialization=True)"
                    "`, please torch.save your checkpoint with this option in order to use "
                    "mmap.")
            if _is_tarfile(fh):
                if weights_only:
                    raise RuntimeError("Cannot use ``weights_only=True`` with files saved in "
                                       "the legacy .tar format. " + UNSAFE_MESSAGE)
                return _tar_load(fh, restore, unpickle, pickle_module, name,
                                 **pickle_load_args)
            return _legacy_load(fh, restore, unpickle, plain_load, name)
        except _CorruptFileError:
            raise
        except pickle.UnpicklingError as e:
            if weights_only:
                raise pickle.UnpicklingError(
                    _wo_message(str(e)) + f"\n\n(while loading {name})") from None
            raise pickle.UnpicklingError(f"{name}: {e}") from e
        except (EOFError, struct.error, UnicodeDecodeError, zlib.error,
                zipfile.BadZipFile) as e:
            raise _corrupt(name, f"the checkpoint is truncated or corrupted "
                                 f"({type(e).__name__}: {e})") from None
        except Exception as e:   # keep PyTorch's type and message; say which file it was
            e.add_note(f"(while loading {name})")
            raise


def _load_safetensors(path, map_location):
    device = "cpu"
    if map_location is not None:
        if isinstance(map_location, (str, bytes, _device)):
            device = map_location.decode() if isinstance(map_location, bytes) \
                else str(map_location)
        elif isinstance(map_location, dict):
            raise RuntimeError("Loading safetensors file with dict map_location is not "
                               "supported. Use a device string or torch.device instead.")
        else:
            raise RuntimeError("Loading safetensors file with callable map_location is not "
                               "supported. Use a device string or torch.device instead.")
    from .utils import safetensors
    return safetensors.load_file(path, device=device)


def get_unsafe_globals_in_checkpoint(f):
    """The globals a checkpoint names that a `weights_only=True` load would refuse (read
    without running the pickle)."""
    allowed = set(_allowed_globals()) | set(_user_allowed_globals())
    with _open_for_read(f) as fh:
        if not _is_zipfile(fh):
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        reader = _ZipReader(fh, _describe(f))
        data = reader.get_record("data.pkl")
    found = []
    pushed, memo = [], {}    # follow only the values STACK_GLOBAL can take (strings)
    for op, arg, _pos in pickletools.genops(data):
        if op.name == "GLOBAL":
            module, _, name = arg.partition(" ")
            found.append("%s.%s" % _map_name(module, name))
        elif op.name == "STACK_GLOBAL" and len(pushed) >= 2:
            found.append("%s.%s" % _map_name(str(pushed[-2]), str(pushed[-1])))
        if op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = pushed[-1] if pushed else None
        elif op.name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo.get(arg))
        elif op.stack_after:
            pushed.append(arg if isinstance(arg, str) else None)
    return sorted({g for g in found if g not in allowed})
