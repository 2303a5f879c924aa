"""`MpiCommunicator`: the communicator interface over MPI, through mpi4py's nonblocking calls
(Iallreduce, Ibcast, Isend, ...), so waits can time out. Host (NumPy) arrays go to MPI
directly, without copies; CuPy arrays are staged through host memory.

Dtypes: MPI reduces the standard integer, float32/float64 and bool types natively; float16
and bfloat16 reduce through user-defined MPI ops running NumPy ufuncs (one per dtype and op,
made on first use), so they work with any MPI, not only those with a float16 extension.
Data that is only moved (broadcast, gathers, send/recv) travels as bytes.
"""
import atexit
import sys
import time

import numpy as np

from .communicator import Communicator, DistBackendError, Request

_MPI = None


def mpi():
    """mpi4py's MPI module (initialising MPI on first call), or a clear ImportError."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError(
                "ember.distributed needs mpi4py and an MPI library: pip install "
                "'ember[distributed]' (mpi4py plus the mpich wheel), or mpi4py built against "
                f"your system's MPI ({e})") from None
        _MPI = MPI
    return _MPI


def available():
    import importlib.util
    if _MPI is not None:
        return True
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


_NATIVE_OPS = ("sum", "prod", "min", "max", "band", "bor", "bxor", "lor", "land", "lxor")
_UFUNC = {"sum": np.add, "prod": np.multiply, "min": np.minimum, "max": np.maximum,
          "band": np.bitwise_and, "bor": np.bitwise_or, "bxor": np.bitwise_xor,
          "lor": np.logical_or, "land": np.logical_and, "lxor": np.logical_xor}
_user_ops = {}


_native = {}


def _native_type(dt):
    if _native:
        return _native.get(dt.name)
    MPI = mpi()
    table = {
        "bool": MPI.C_BOOL, "int8": MPI.INT8_T, "int16": MPI.INT16_T, "int32": MPI.INT32_T,
        "int64": MPI.INT64_T, "uint8": MPI.UINT8_T, "uint16": MPI.UINT16_T,
        "uint32": MPI.UINT32_T, "uint64": MPI.UINT64_T, "float32": MPI.FLOAT,
        "float64": MPI.DOUBLE, "complex64": MPI.C_FLOAT_COMPLEX,
        "complex128": MPI.C_DOUBLE_COMPLEX,
    }
    _native.update(table)
    return table.get(dt.name)


def _user_op(dt, op):
    """An MPI op applying NumPy's ufunc for `op` to elements of dtype `dt`."""
    key = (dt.str, dt.name, op)
    o = _user_ops.get(key)
    if o is None:
        ufunc = _UFUNC[op]

        def fn(inbuf, inoutbuf, datatype, _dt=dt, _f=ufunc):
            a = np.frombuffer(inbuf, _dt)
            b = np.frombuffer(inoutbuf, _dt)
            _f(a, b, out=b)
        o = _user_ops[key] = mpi().Op.Create(fn, commute=True)
    return o


def _reduce_args(buf, op):
    """(MPI buffer spec, MPI op) for reducing `buf` with `op`."""
    MPI = mpi()
    dt = buf.dtype
    native = _native_type(dt)
    if native is not None and op in _NATIVE_OPS:
        mop = {"sum": MPI.SUM, "prod": MPI.PROD, "min": MPI.MIN, "max": MPI.MAX,
               "band": MPI.BAND, "bor": MPI.BOR, "bxor": MPI.BXOR, "lor": MPI.LOR,
               "land": MPI.LAND, "lxor": MPI.LXOR}[op]
        return [buf, buf.size, native], mop
    # float16, bfloat16, ...: a same-width unsigned type carries the bits, our op does math
    carrier = {1: MPI.UINT8_T, 2: MPI.UINT16_T, 4: MPI.UINT32_T, 8: MPI.UINT64_T}[dt.itemsize]
    return [buf.view(f"u{dt.itemsize}"), buf.size, carrier], _user_op(dt, op)


def _raw(buf):
    """A buffer spec moving `buf` as bytes."""
    return [buf.view(np.uint8), buf.nbytes, mpi().BYTE]


class _MpiRequest(Request):
    def __init__(self, reqs, what, finish=None, status=None):
        self.reqs = reqs
        self.what = what
        self._finish = finish
        self.status = status

    def test(self):
        MPI = _MPI
        try:
            if self.status is not None:
                return self.reqs[0].Test(self.status)
            return MPI.Request.Testall(self.reqs)
        except MPI.Exception as e:
            raise DistBackendError(f"{self.what} failed in MPI: {e.Get_error_string()}") from None

    def finish(self):
        if self._finish is not None:
            self._finish(self)


class _RecvRequest(_MpiRequest):
    """A receive: checks that the message had exactly the tensor's size, and records its
    sender in `source`."""

    def __init__(self, req, nbytes, tag, copy_back):
        super().__init__([req], "recv", status=_MPI.Status())
        self.nbytes, self.tag, self.copy_back, self.source = nbytes, tag, copy_back, None

    def test(self):
        try:
            return super().test()
        except DistBackendError as e:   # MPI calls a larger message a truncation
            if "truncat" not in str(e).lower():
                raise
            raise ValueError(
                f"recv: the message from rank {self.status.Get_source()} (tag {self.tag}) is "
                f"larger than the receiving tensor ({self.nbytes} bytes); send and recv must "
                "use tensors of the same shape and dtype") from None

    def finish(self):
        self.source = self.status.Get_source()
        got = self.status.Get_count(_MPI.BYTE)
        if got != self.nbytes:
            raise ValueError(
                f"recv: rank {self.source} sent {got} bytes but the receiving tensor holds "
                f"{self.nbytes} bytes (tag {self.tag}); send and recv must use tensors of the "
                "same shape and dtype")
        self.copy_back()


def _is_host(a):
    return isinstance(a, np.ndarray)


class _Staged:
    """Host copies of CuPy arrays for MPI, copied back to the device when the op finishes."""

    def __init__(self):
        self.back = []

    def host(self, a, copy_back=False):
        if a is None or _is_host(a):
            return a
        h = a.get()
        if copy_back:
            self.back.append((a, h))
        return h

    def finish(self, req=None):
        for dev, h in self.back:
            dev.set(h)


class MpiCommunicator(Communicator):
    """One MPI communicator (a Dup of the one given, so ember's traffic never mixes with the
    program's own use of MPI)."""

    name = "mpi"

    def __init__(self, comm, timeout=None):
        self.comm = comm.Dup()
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout = timeout

    @classmethod
    def world(cls, timeout=None):
        return cls(mpi().COMM_WORLD, timeout)

    # each op: stage CuPy arrays, start the MPI call, copy back when finished
    def _start(self, what, fn, *bufs, out=()):
        st = None
        if not all(b is None or _is_host(b) for b in bufs + tuple(out)):
            st = _Staged()
            host = {id(b): st.host(b, copy_back=any(b is o for o in out)) for b in bufs}
            bufs = tuple(host[id(b)] if b is not None else None for b in bufs)
        try:
            req = fn(*bufs)
        except _MPI.Exception as e:
            raise DistBackendError(f"{what} failed in MPI: {e.Get_error_string()}") from None
        return _MpiRequest([req], what, st.finish if st else None)

    def allreduce(self, buf, op):
        def go(b):
            spec, mop = _reduce_args(b, op)
            return self.comm.Iallreduce(_MPI.IN_PLACE, spec, mop)
        return self._start("all_reduce", go, buf, out=(buf,))

    def broadcast(self, buf, root):
        return self._start("broadcast", lambda b: self.comm.Ibcast(_raw(b), root), buf,
                           out=(buf,))

    def reduce(self, buf, root, op):
        def go(b):
            spec, mop = _reduce_args(b, op)
            if self.rank == root:
                return self.comm.Ireduce(_MPI.IN_PLACE, spec, mop, root)
            return self.comm.Ireduce(spec, None, mop, root)
        return self._start("reduce", go, buf, out=(buf,) if self.rank == root else ())

    def allgather(self, sendbuf, recvbuf):
        k = sendbuf.nbytes   # MPI's receive count is per rank
        return self._start(
            "all_gather",
            lambda s, r: self.comm.Iallgather(_raw(s), [r.view(np.uint8), k, _MPI.BYTE]),
            sendbuf, recvbuf, out=(recvbuf,))

    def gather(self, sendbuf, recvbuf, root):
        k = sendbuf.nbytes

        def go(s, r):
            return self.comm.Igather(
                _raw(s), [r.view(np.uint8), k, _MPI.BYTE] if r is not None else None, root)
        return self._start("gather", go, sendbuf, recvbuf,
                           out=(recvbuf,) if recvbuf is not None else ())

    def scatter(self, sendbuf, recvbuf, root):
        k = recvbuf.nbytes

        def go(s, r):
            return self.comm.Iscatter(
                [s.view(np.uint8), k, _MPI.BYTE] if s is not None else None, _raw(r), root)
        return self._start("scatter", go, sendbuf, recvbuf, out=(recvbuf,))

    def reduce_scatter(self, sendbuf, recvbuf, op):
        def go(s, r):
            sspec, mop = _reduce_args(s, op)
            rspec, _ = _reduce_args(r, op)
            sspec[1] = rspec[1]   # the count is per block
            return self.comm.Ireduce_scatter_block(sspec, rspec, mop)
        return self._start("reduce_scatter", go, sendbuf, recvbuf, out=(recvbuf,))

    def alltoallv(self, sendbuf, sendcounts, recvbuf, recvcounts):
        isz = sendbuf.itemsize
        sc = [c * isz for c in sendcounts]
        rc = [c * isz for c in recvcounts]
        sd = np.concatenate([[0], np.cumsum(sc)[:-1]]).astype(np.int64).tolist()
        rd = np.concatenate([[0], np.cumsum(rc)[:-1]]).astype(np.int64).tolist()
        B = mpi().BYTE
        return self._start(
            "all_to_all",
            lambda s, r: self.comm.Ialltoallv([s.view(np.uint8), (sc, sd), B],
                                              [r.view(np.uint8), (rc, rd), B]),
            sendbuf, recvbuf, out=(recvbuf,))

    def send(self, buf, dst, tag):
        return self._start("send", lambda b: self.comm.Isend(_raw(b), dst, tag), buf)

    def recv(self, buf, src, tag):
        MPI = mpi()
        st = _Staged()
        h = st.host(buf, copy_back=True)
        try:
            r = self.comm.Irecv(_raw(h), MPI.ANY_SOURCE if src is None else src, tag)
        except MPI.Exception as e:
            raise DistBackendError(f"recv failed in MPI: {e.Get_error_string()}") from None
        return _RecvRequest(r, h.nbytes, tag, st.finish)

    def barrier(self):
        return _MpiRequest([self.comm.Ibarrier()], "barrier")

    def split(self, ranks, local=False):
        MPI = mpi()
        member = self.rank in ranks
        if local:   # MPI_Comm_create_group: only the members take part
            if not member:
                return None
            sub = self.comm.Create_group(self.comm.Get_group().Incl(list(ranks)))
        else:
            sub = self.comm.Split(0 if member else MPI.UNDEFINED,
                                  ranks.index(self.rank) if member else 0)
            if not member:
                return None
        c = MpiCommunicator(sub, self.timeout)
        sub.Free()
        return c

    def dup(self):
        return MpiCommunicator(self.comm, self.timeout)

    def free(self):
        if self.comm is not None and _MPI is not None and not _MPI.Is_finalized():
            try:
                self.comm.Free()
            except _MPI.Exception:
                pass
        self.comm = None

    def abort(self, code=1):
        mpi().COMM_WORLD.Abort(code)


# ----------------------------------------------------------------------------- failures
def _abort_if_broken():
    """At exit: after a timeout MPI still holds the unfinished operation, and MPI_Finalize
    could wait for it forever; abort the job instead."""
    from .communicator import failures
    if failures and _MPI is not None and not _MPI.Is_finalized():
        sys.stderr.write("[ember.distributed] exiting after a failed collective; aborting the "
                         "MPI job\n")
        sys.stderr.flush()
        _MPI.COMM_WORLD.Abort(1)


_hook_installed = [False]


def install_failure_handlers(rank, size):
    """A rank that raises an uncaught exception aborts the whole MPI job (after printing its
    traceback) instead of leaving the others waiting in a collective; a rank exiting after
    a timed-out collective aborts too. Set EMBER_DISTRIBUTED_ABORT_ON_EXCEPTION=0 to keep
    Python's default."""
    import os
    if _hook_installed[0]:
        return
    _hook_installed[0] = True
    atexit.register(_abort_if_broken)
    if os.environ.get("EMBER_DISTRIBUTED_ABORT_ON_EXCEPTION", "1") == "0" or size <= 1:
        return
    previous = sys.excepthook

    def excepthook(tp, value, tb):
        previous(tp, value, tb)
        if _MPI is not None and _MPI.Is_initialized() and not _MPI.Is_finalized():
            sys.stderr.write(f"[ember.distributed] rank {rank} raised {tp.__name__}: "
                             f"aborting all {size} ranks (MPI_Abort)\n")
            sys.stderr.flush()
            time.sleep(0.1)   # let the launcher forward the traceback before it kills us
            _MPI.COMM_WORLD.Abort(1)
    sys.excepthook = excepthook
