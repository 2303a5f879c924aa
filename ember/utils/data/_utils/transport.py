"""Moving batches from worker processes to the main process cheaply.

A worker pickles each result itself (protocol 5). Arrays (and the arrays of CPU tensors)
of at least `MIN_SHARED_BYTES` travel through shared memory: a file in /dev/shm that the
worker writes and the main process maps, so the pickle that crosses the pipe holds only the
file's name. `collate_tensor_fn` stacks batches straight into such a segment
(`shared_empty`), so a stacked batch is written exactly once.

Segments are recycled: when the main process has dropped every array on a segment, it
tells the worker (`ReleasedSegments`, through the worker's index queue) and the worker
writes a later batch into the same pages. Fresh tmpfs pages are expensive to fault in and
free (about 30 ms for a 19 MB batch, against 3 ms to rewrite mapped pages), so an epoch
reuses a handful of segments instead of creating one per batch.

Each worker names its files `ember_<token>_<n>` and unlinks them all when it exits; the main
process removes what a killed worker left (`remove_leftovers`). Mappings outlive unlinking,
so batches the user still holds stay valid. Without shared memory everything travels inside
the pickle.
"""
import copyreg
import glob
import io
import itertools
import mmap
import os
import pickle
import sys
import weakref

import numpy as np

from ....device import cpu as _cpu
from ....tensor import Tensor, _make

MIN_SHARED_BYTES = 64 * 1024
_MAX_FREE_SEGMENTS = 8
_SHM_DIR = "/dev/shm"
_usable = os.path.isdir(_SHM_DIR) and os.access(_SHM_DIR, os.W_OK)


class ReleasedSegments:
    """Main -> worker: these segments are no longer used by the main process."""

    def __init__(self, names):
        self.names = names


# ---------------------------------------------------------------- worker: segments
_prefix = None
_counter = itertools.count()
_fresh = {}        # id(mmap) -> (name, size, mmap): created since the last message
_out = {}          # name -> (size, mmap): handed to the main process, not yet released
_free = []         # [(name, size, mmap)]: released, ready for reuse
_sent = set()      # names referenced by the message being pickled


def init_worker(token):
    global _prefix
    _prefix = f"ember_{token}_"


def shared_empty(shape, dtype):
    """An uninitialised array in a shared-memory segment (a plain array when it is small,
    outside a worker, or without shared memory)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    mm = _segment(size) if size >= MIN_SHARED_BYTES else None
    if mm is None:
        return np.empty(shape, dtype)
    return np.ndarray(shape, dtype, buffer=mm)


def _segment(size):
    for i, (name, seg_size, mm) in enumerate(_free):
        if size <= seg_size <= 2 * size:
            del _free[i]
            _fresh[id(mm)] = (name, seg_size, mm)
            return mm
    return _new_segment(size)


def _new_segment(size):
    global _usable
    if _prefix is None or not _usable:
        return None
    name = f"{_prefix}{next(_counter)}"
    path = os.path.join(_SHM_DIR, name)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        _usable = False
        return None
    try:
        os.ftruncate(fd, size)
        mm = mmap.mmap(fd, size)
    except OSError:
        _unlink(name)
        _usable = False
        return None
    finally:
        os.close(fd)
    _fresh[id(mm)] = (name, size, mm)
    return mm


def _unlink(name):
    try:
        os.unlink(os.path.join(_SHM_DIR, name))
    except OSError:
        pass


def _segment_of(a):
    """(name, size, byte offset) of the fresh segment holding `a`'s data, if any."""
    base = a
    while isinstance(base, np.ndarray):
        base = base.base
    entry = _fresh.get(id(base)) if isinstance(base, mmap.mmap) else None
    if entry is None or entry[2] is not base:
        return None
    name, size, mm = entry
    start = np.frombuffer(mm, np.uint8, count=1).ctypes.data
    return name, size, a.ctypes.data - start


def reclaim(names):
    """The main process released these segments: keep a few for reuse, unlink the rest."""
    for name in names:
        entry = _out.pop(name, None)
        if entry is None:
            continue
        size, mm = entry
        # reusable only if no array of ours still looks at it (refs: entry, mm, getrefcount)
        if len(_free) < _MAX_FREE_SEGMENTS and sys.getrefcount(mm) <= 3:
            _free.append((name, size, mm))
        else:
            _unlink(name)


def close_worker():
    """At worker exit: unlink every segment this worker made."""
    names = [e[0] for e in _fresh.values()] + list(_out) + [e[0] for e in _free]
    for name in names:
        _unlink(name)
    _fresh.clear()
    _out.clear()
    _free.clear()


# ---------------------------------------------------------------- worker: pickling
def _reduce_array(a):
    if not a.dtype.hasobject and a.nbytes >= MIN_SHARED_BYTES:
        seg = _segment_of(a)
        if seg is None:
            out = shared_empty(a.shape, a.dtype)
            np.copyto(out, a)
            seg = _segment_of(out)
            a = out
        if seg is not None:
            name, size, offset = seg
            _sent.add(name)
            return _attach, (name, size, a.dtype, a.shape, a.strides, offset)
    return a.__reduce_ex__(pickle.HIGHEST_PROTOCOL)


def _reduce_tensor(t):
    if t._device.type != "cpu":
        return t.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    if t._requires_grad and t.grad_fn is not None:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, "
                           "since autograd does not support crossing process boundaries.  If "
                           "you just want to transfer the data, call detach() on the tensor "
                           "before serializing (e.g., putting it on the queue).")
    return _rebuild_tensor, (t._data, t._requires_grad)


class _Pickler(pickle.Pickler):
    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[np.ndarray] = _reduce_array
    dispatch_table[Tensor] = _reduce_tensor


def dumps(obj):
    buf = io.BytesIO()
    _sent.clear()
    try:
        _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except BaseException:
        message_done()
        raise
    return buf.getbuffer()


def message_done():
    """After a message is sent (or abandoned): the segments it names now belong to the main
    process until released; fresh segments it doesn't name were scratch space."""
    for name, size, mm in _fresh.values():
        if name in _sent:
            _out[name] = (size, mm)
        else:
            _unlink(name)
    _fresh.clear()
    _sent.clear()


# ---------------------------------------------------------------- main: unpickling
_attached = {}        # name -> mmap, for the message being unpickled
_on_release = None    # called with a segment's name once the main process drops it


def _attach(name, size, dtype, shape, strides, offset):
    mm = _attached.get(name)
    if mm is None:
        fd = os.open(os.path.join(_SHM_DIR, name), os.O_RDWR)
        try:
            mm = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        if _on_release is not None:
            weakref.finalize(mm, _on_release, name)
        _attached[name] = mm
    return np.ndarray(shape, dtype, buffer=mm, offset=offset, strides=strides)


def _rebuild_tensor(arr, requires_grad):
    t = _make(arr, _cpu)
    if requires_grad:
        t.requires_grad_(True)
    return t


def loads(data, on_release=None):
    """Unpickle a worker's message; `on_release(name)` runs when the arrays on a segment
    are all gone."""
    global _on_release
    _on_release = on_release
    try:
        return pickle.loads(data)
    finally:
        _attached.clear()
        _on_release = None


def remove_leftovers(token):
    """Unlink the segments of a worker that is gone (killed, or exited without cleaning)."""
    for path in glob.glob(os.path.join(_SHM_DIR, f"ember_{token}_*")):
        try:
            os.unlink(path)
        except OSError:
            pass
