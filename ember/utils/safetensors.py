"""The safetensors format, read and written with the standard library.

A file is an 8-byte little-endian header length N, N bytes of JSON (`{"name": {"dtype": "F32",
"shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}`, padded
with spaces to a multiple of 8), then the tensors' little-endian bytes back to back. The
API is the `safetensors.torch` one: `save_file`, `load_file`, `save`, `load`, `safe_open`.
Loading checks the header the way the reference implementation does (offsets must tile the
data exactly, sizes must match shapes), so a malformed file raises `SafetensorError`.
"""
import json
import os
import struct
import sys

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _make

__all__ = ["save", "save_file", "load", "load_file", "safe_open", "SafetensorError"]

_MAX_HEADER_SIZE = 100_000_000

# The format's dtypes in its declared order (the writer sorts by it, largest first).
_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
          "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
_RANK = {name: i for i, name in enumerate(_ORDER)}
_CODE_OF = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "uint16": "U16",
            "float16": "F16", "bfloat16": "BF16", "int32": "I32", "uint32": "U32",
            "float32": "F32", "complex64": "C64", "float64": "F64", "int64": "I64",
            "uint64": "U64"}
_DTYPE_OF = {code: getattr(_dt, name) for name, code in _CODE_OF.items()}
_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "I16": 2,
          "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "C64": 8, "F64": 8,
          "I64": 8, "U64": 8}


class SafetensorError(Exception):
    """A safetensors file (or buffer) that can't be read or written."""


# ------------------------------------------------------------------ writing
def _shared_groups(tensors):
    """Names of tensors whose memory overlaps (the format can't express sharing)."""
    from ..serialization import _root, _extent
    spans = {}
    for name, t in tensors.items():
        a = t._data
        if a.size == 0:
            continue
        lo, hi = _extent(a)
        spans.setdefault(id(_root(a)), []).append((lo, hi, name))
    groups = []
    for items in spans.values():
        items.sort()
        group, end = [items[0][2]], items[0][1]
        for lo, hi, name in items[1:]:
            if lo < end:
                group.append(name)
                end = max(end, hi)
            else:
                if len(group) > 1:
                    groups.append(set(group))
                group, end = [name], hi
        if len(group) > 1:
            groups.append(set(group))
    return groups


def _prepare(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"tensor names must be str, got {type(k).__name__}")
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received "
                             f"{type(v)}")
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("metadata must be a dict of str to str")
    shared = _shared_groups(tensors)
    if shared:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and "
            f"potential differences when loading them again: {shared}.\nA potential way to "
            f"correctly save your model is to use `save_model`.\nMore information at "
            f"https://huggingface.co/docs/safetensors/torch_shared_tensors")
    entries = []
    for name, t in tensors.items():
        if not t.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{name}` which is not "
                f"allowed. It either means you are trying to save tensors which are reference "
                f"of each other in which case it's recommended to save only the full tensors, "
                f"and reslice at load time, or simply call `.contiguous()` on your tensor to "
                f"pack it before saving.")
        code = _CODE_OF.get(t.dtype.name)
        if code is None:
            raise SafetensorError(f"safetensors has no dtype for {t.dtype}")
        entries.append((name, code, t))
    entries.sort(key=lambda e: e[0])
    entries.sort(key=lambda e: _RANK[e[1]], reverse=True)
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, code, t in entries:
        n = t.numel() * _SIZES[code]
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset,
                                                                                offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw, [t for _, _, t in entries]


def _le_bytes(t):
    a = t._host_array()
    if sys.byteorder != "little" and a.dtype.itemsize > 1:
        a = a.astype(a.dtype.newbyteorder("<"))
    return memoryview(np.ascontiguousarray(a).reshape(-1).view(np.uint8))


def save(tensors, metadata=None):
    """The safetensors bytes of a {name: tensor} dict."""
    head, ordered = _prepare(tensors, metadata)
    return head + b"".join(_le_bytes(t).tobytes() for t in ordered)


def save_file(tensors, filename, metadata=None):
    """Write a {name: tensor} dict to `filename` (atomically: temp file + rename)."""
    from ..serialization import _atomic_output
    head, ordered = _prepare(tensors, metadata)
    with _atomic_output(os.fsdecode(os.fspath(filename))) as out:
        out.write(head)
        for t in ordered:
            out.write(_le_bytes(t))


# ------------------------------------------------------------------ reading
def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise SafetensorError(f"Error while deserializing header: duplicate key {k!r}")
        d[k] = v
    return d


def _is_uint(x):
    return type(x) is int and x >= 0


def _parse_header(head_len_bytes, read_header, total_size):
    """(metadata, [(name, dtype code, shape, begin, end)] sorted by offset, data start)."""
    if len(head_len_bytes) < 8:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall")
    n = struct.unpack("<Q", head_len_bytes)[0]
    if n > _MAX_HEADER_SIZE:
        raise SafetensorError("Error while deserializing header: HeaderTooLarge")
    if 8 + n > total_size:
        raise SafetensorError("Error while deserializing header: InvalidHeaderLength")
    raw = read_header(n)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SafetensorError("Error while deserializing header: InvalidHeader") from None
    if not text.startswith("{"):
        raise SafetensorError("Error while deserializing header: InvalidHeaderStart")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError:
        raise SafetensorError("Error while deserializing header: "
                              "InvalidHeaderDeserialization") from None
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: "
                              "InvalidHeaderDeserialization")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise SafetensorError("Error while deserializing header: __metadata__ must map str "
                              "to str")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorError(f"Error while deserializing header: invalid entry for "
                                  f"tensor {name!r}")
        code, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _SIZES:
            raise SafetensorError(f"Error while deserializing header: unknown dtype "
                                  f"{code!r} for tensor {name!r}")
        if not isinstance(shape, list) or not all(_is_uint(s) for s in shape):
            raise SafetensorError(f"Error while deserializing header: invalid shape for "
                                  f"tensor {name!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(_is_uint(o) for o in offs)):
            raise SafetensorError(f"Error while deserializing header: InvalidOffset({name!r})")
        entries.append((name, code, tuple(shape), offs[0], offs[1]))
    entries.sort(key=lambda e: (e[3], e[4]))
    start = 0
    for name, code, shape, b, e in entries:
        if b != start or e < b:   # overlapping, out of order, or leaving a hole
            raise SafetensorError(f"Error while deserializing header: InvalidOffset({name!r})")
        numel = 1
        for s in shape:
            numel *= s
        if e - b != numel * _SIZES[code]:
            raise SafetensorError("Error while deserializing header: TensorInvalidInfo")
        start = e
    if 8 + n + start != total_size:
        raise SafetensorError("Error while deserializing header: MetadataIncompleteBuffer")
    return metadata, entries, 8 + n


def _tensor(code, shape, buf):
    """A tensor owning `buf` (a fresh uint8 array holding its little-endian bytes)."""
    dtype = _DTYPE_OF.get(code)
    if dtype is None:
        raise SafetensorError(f"ember has no dtype for safetensors dtype {code}")
    npd = _dt.to_np(dtype)
    if sys.byteorder == "little" or npd.itemsize == 1:
        arr = buf.view(npd)
    else:
        arr = buf.view(npd.newbyteorder("<")).astype(npd)
    return _make(arr.reshape(shape))


def _move(tensors, device):
    if device is None or str(device) == "cpu":
        return tensors
    if isinstance(device, int):
        device = f"cuda:{device}"
    return {k: v.to(device) for k, v in tensors.items()}


def load(data):
    """{name: tensor} from safetensors bytes."""
    data = bytes(data)
    _, entries, start = _parse_header(data[:8], lambda n: data[8:8 + n], len(data))
    out = {}
    for name, code, shape, b, e in entries:
        buf = np.frombuffer(bytearray(data[start + b:start + e]), np.uint8)
        out[name] = _tensor(code, shape, buf)
    return out


class safe_open:
    """`with safe_open(path, framework="pt", device="cpu") as f:` -- `f.keys()`,
    `f.get_tensor(name)`, `f.metadata()`; tensors are read on demand."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "numpy", "np"):
            raise SafetensorError(f"framework {framework!r} is not supported by ember")
        self._numpy = framework in ("numpy", "np")
        self._fh = open(filename, "rb")
        try:
            size = os.fstat(self._fh.fileno()).st_size
            self._metadata, entries, self._start = _parse_header(
                self._fh.read(8), self._read_exact, size)
        except BaseException:
            self._fh.close()
            raise
        self._entries = {name: (code, shape, b, e) for name, code, shape, b, e in entries}
        self._device = device

    def _read_exact(self, n):
        data = self._fh.read(n)
        if len(data) != n:
            raise SafetensorError("Error while deserializing header: InvalidHeaderLength")
        return data

    def keys(self):
        return sorted(self._entries)

    def offset_keys(self):
        return list(self._entries)

    def metadata(self):
        return self._metadata

    def get_tensor(self, name):
        try:
            code, shape, b, e = self._entries[name]
        except KeyError:
            raise SafetensorError(f"File does not contain tensor {name}") from None
        buf = np.empty(e - b, np.uint8)
        self._fh.seek(self._start + b)
        if self._fh.readinto(memoryview(buf)) != e - b:
            raise SafetensorError(f"tensor {name} is truncated")
        t = _tensor(code, shape, buf)
        if self._numpy:
            return t.numpy()
        return _move({name: t}, self._device)[name]

    def close(self):
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def load_file(filename, device="cpu"):
    """{name: tensor} from a safetensors file, each tensor in its own memory, on `device`."""
    with safe_open(filename, framework="pt", device=device) as f:
        return {name: f.get_tensor(name) for name in f.offset_keys()}
