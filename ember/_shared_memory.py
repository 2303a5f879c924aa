"""Tensors in shared memory: `Tensor.share_memory_()`, `Tensor.is_shared()`, and the handles
`torch.multiprocessing` pickles to hand a shared tensor to another process.

A shared tensor's array lies on a *shared buffer*: a file descriptor for memory with no name
(Linux `memfd_create`; elsewhere an already-unlinked temporary file) mapped MAP_SHARED into
this process.  So:

- processes forked afterwards inherit the mapping and see each other's in-place writes;
- a process started with 'spawn' or 'forkserver', or one reading a `multiprocessing` queue
  or pipe, receives a duplicate of the descriptor (multiprocessing's `DupFd`: passed at
  spawn, or over a Unix socket by its resource sharer) and maps the same memory;
- nothing is left behind: the memory has no name in /dev/shm or anywhere else, and the
  kernel frees it when the last process closes its descriptor and unmaps it (every
  process closes its descriptor when the buffer's last array is garbage-collected, or at
  exit).

This is PyTorch's 'file_descriptor' sharing strategy.  One descriptor stays open per shared
buffer, as there.
"""
import ctypes
import mmap
import os
import sys
import weakref

import numpy as np

__all__ = ["share_memory_", "is_shared", "shared_handle", "from_shared_handle"]


class _Buffer:
    """One shared mapping: the descriptor (None where descriptors can't be passed: Windows),
    its size, and its identity (device, inode) to recognise a buffer received twice."""
    __slots__ = ("fd", "size", "key", "__weakref__")

    def __init__(self, fd, size):
        self.fd = fd
        self.size = size
        if fd is None:
            self.key = None
        else:
            st = os.fstat(fd)
            self.key = (st.st_dev, st.st_ino)


# id(root array) -> (weakref to the root array, _Buffer); (dev, inode) -> weakref to the root
_roots = {}
_by_key = {}


def _new_fd(nbytes):
    """A descriptor for `nbytes` of memory without a name (or None: map anonymous memory)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("ember_shared", os.MFD_CLOEXEC)
    elif os.name == "posix":
        import tempfile
        with tempfile.TemporaryFile() as f:    # unlinked at once: no name remains
            fd = os.dup(f.fileno())
    else:
        return None
    try:
        os.ftruncate(fd, nbytes)
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Mapping:
    """`size` bytes of `fd` mapped MAP_SHARED, unmapped when this object dies.  Python's
    mmap.mmap would keep a second, dup()ed descriptor per buffer (and processes may share
    hundreds of tensors), so the mapping is made through libc here; without a descriptor
    (Windows) it is Python's anonymous mmap, shared with forked children only."""

    def __init__(self, fd, size):
        self._keep = self._munmap = None
        if fd is None:
            self._keep = mmap.mmap(-1, size)
            addr = np.frombuffer(self._keep, np.uint8).__array_interface__["data"][0]
        else:
            libc = _libc()
            addr = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED,
                             fd, 0)
            if addr in (None, _MAP_FAILED):
                err = ctypes.get_errno()
                raise OSError(err, f"mmap of {size} shared bytes failed: {os.strerror(err)}")
            self._munmap = libc.munmap      # held: module globals may be gone at exit
        self.addr, self.size = addr, size
        self.__array_interface__ = {"data": (addr, False), "shape": (size,), "typestr": "|u1",
                                    "version": 3}

    def __del__(self):
        if self._munmap is not None:
            self._munmap(self.addr, self.size)
            self._munmap = None


_MAP_FAILED = ctypes.c_void_p(-1).value
_libc_handle = []


def _libc():
    if not _libc_handle:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        _libc_handle.append(libc)
    return _libc_handle[0]


def _register(buffer, m):
    """The uint8 root array over `_Mapping` m, remembered as shared; its death (after every
    view of it: views keep their root alive) closes the descriptor, and then m unmaps."""
    root = np.asarray(m)               # root.base is m
    key = id(root)

    def forget(_, key=key, buffer=buffer):
        _roots.pop(key, None)
        if buffer.key is not None:
            _by_key.pop(buffer.key, None)
        if buffer.fd is not None:
            try:
                os.close(buffer.fd)
            except OSError:
                pass
            buffer.fd = None

    ref = weakref.ref(root, forget)
    _roots[key] = (ref, buffer)
    if buffer.key is not None:
        _by_key[buffer.key] = ref
    return root


def _lookup(a):
    """(root array, _Buffer) when array `a` lies on a shared buffer of this process."""
    from .ops.shape import _root
    root = _root(a)
    entry = _roots.get(id(root))
    if entry is None or entry[0]() is not root:
        return None, None
    return root, entry[1]


def is_shared(self):
    """True for CUDA tensors and for tensors on shared memory (moved there by share_memory_,
    or received from another process)."""
    return self._device.type != "cpu" or _lookup(self._data)[1] is not None


def share_memory_(self):
    """Move self's memory into shared memory (see the module docstring), in place: the data
    is copied once; self keeps its shape, strides, offset, version and place in the graph.
    Other tensors that viewed the old memory keep the old memory (PyTorch moves the whole
    storage; here only this tensor moves, so take views after sharing). A no-op for CUDA
    tensors and tensors already shared."""
    if self._device.type != "cpu" or _lookup(self._data)[1] is not None:
        return self
    from .ops.misc import _byte_span
    from .tensor import _ptr
    a = self._data
    span, lo = _byte_span(a)
    size = max(span.size, 1)                   # mmap can't map 0 bytes
    fd = _new_fd(size)
    try:
        m = _Mapping(fd, size)
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise
    root = _register(_Buffer(fd, size), m)
    root[:span.size] = span
    self._data = np.ndarray(a.shape, a.dtype, buffer=root, offset=_ptr(a) - lo,
                            strides=a.strides)
    if "ember.multiprocessing" not in sys.modules:
        # pickles made by multiprocessing (spawn arguments, queues) must carry the handle,
        # not the bytes, whether or not the program imported torch.multiprocessing
        from .multiprocessing import reductions
        reductions.init_reductions()
    return self


def shared_handle(array):
    """(fd, buffer size, byte offset) of a shared array, for pickling its handle."""
    root, buffer = _lookup(array)
    if buffer is None:
        raise ValueError("array is not in shared memory")
    if buffer.fd is None:
        raise RuntimeError("ember cannot pass shared memory to another process on this "
                           "platform (no file descriptors to send); use the 'fork' start "
                           "method")
    from .tensor import _ptr
    return buffer.fd, buffer.size, _ptr(array) - _ptr(root)


def from_shared_handle(fd, size, offset, dtype, shape, strides):
    """The array a received handle describes. Takes ownership of `fd`; a buffer this process
    already maps is reused (and the duplicate descriptor closed)."""
    st = os.fstat(fd)
    ref = _by_key.get((st.st_dev, st.st_ino))
    root = ref() if ref is not None else None
    if root is not None:
        os.close(fd)
    else:
        try:
            m = _Mapping(fd, size)
        except BaseException:
            os.close(fd)
            raise
        root = _register(_Buffer(fd, size), m)
    return np.ndarray(shape, dtype, buffer=root, offset=offset, strides=strides)
