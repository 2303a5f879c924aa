"""`NcclCommunicator`: GPU arrays through NCCL (CuPy's `cupy.cuda.nccl` bindings), host
arrays and the bootstrap through its MPI base class: rank 0 makes NCCL's unique id and MPI
broadcasts it, as ChainerMN's PureNcclCommunicator does.

NCCL calls are queued on the current CuPy stream, after the kernels that produced their
inputs; a request completes when a CUDA event recorded after the call has fired, so waits
time out like MPI's (and abort the NCCL communicator when they do).

Untested on hardware in this repository's CI (no GPU there); see README, "Distributed".
"""
import numpy as np

from .communicator import DistBackendError, Request
from .mpi import MpiCommunicator


def _cupy():
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as e:
        raise RuntimeError("the 'nccl' backend needs CuPy with NCCL support (pip install "
                           f"'ember[cuda]', e.g. cupy-cuda12x): {e}") from None
    if not getattr(nccl, "available", True):
        raise RuntimeError("the 'nccl' backend needs CuPy built with NCCL; this CuPy has none")
    return cupy, nccl


class _EventRequest(Request):
    def __init__(self, event):
        self.event = event

    def test(self):
        return self.event.done


class NcclCommunicator(MpiCommunicator):
    name = "nccl"

    def __init__(self, comm, timeout=None, device=None):
        super().__init__(comm, timeout)
        cupy, nccl = _cupy()
        self._cupy, self._nccl = cupy, nccl
        if device is None:   # one GPU per process: local rank modulo the GPUs of this node
            local = self.comm.Split_type(_split_shared(), key=self.rank)
            device = local.Get_rank() % cupy.cuda.runtime.getDeviceCount()
            local.Free()
        self.device = int(device)
        from .. import cuda
        cuda.set_device(self.device)   # ember's current device (and CuPy's) is this rank's GPU
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.broadcast_object(uid, 0, "nccl init (unique id)")
        self.nccl_comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        d = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
             "float64": nccl.NCCL_FLOAT64, "int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8,
             "int32": nccl.NCCL_INT32, "uint32": nccl.NCCL_UINT32, "int64": nccl.NCCL_INT64,
             "uint64": nccl.NCCL_UINT64}
        if hasattr(nccl, "NCCL_BFLOAT16"):
            d["bfloat16"] = nccl.NCCL_BFLOAT16
        self._types = d
        self._ops = {"sum": nccl.NCCL_SUM, "prod": nccl.NCCL_PROD, "min": nccl.NCCL_MIN,
                     "max": nccl.NCCL_MAX}

    # ------------------------------------------------------------------ helpers
    def _gpu(self, *arrays):
        return all(a is None or not isinstance(a, np.ndarray) for a in arrays)

    def _done(self):
        ev = self._cupy.cuda.Event(block=False, disable_timing=True)
        ev.record()
        return _EventRequest(ev)

    def _stream(self):
        return self._cupy.cuda.get_current_stream().ptr

    def _reduce_args(self, buf, op):
        if buf.dtype == np.bool_:   # bool as uint8: OR is max, AND is min
            op = {"lor": "max", "land": "min"}.get(op, op)
            buf = buf.view(np.uint8)
        if op not in self._ops:
            raise RuntimeError(f"Cannot use ReduceOp.{_OP_NAME.get(op, op)} with NCCL")
        t = self._types.get(buf.dtype.name)
        if t is None:
            raise TypeError(f"the nccl backend cannot reduce {buf.dtype.name} tensors")
        return buf, t, self._ops[op]

    def wait(self, requests, what):
        try:
            super().wait(requests, what)
        except DistBackendError:
            self.nccl_comm.abort()   # a peer is gone: don't leave kernels spinning
            raise

    # ------------------------------------------------------------------ collectives
    def allreduce(self, buf, op):
        if not self._gpu(buf):
            return super().allreduce(buf, op)
        b, t, o = self._reduce_args(buf, op)
        self.nccl_comm.allReduce(b.data.ptr, b.data.ptr, b.size, t, o, self._stream())
        return self._done()

    def broadcast(self, buf, root):
        if not self._gpu(buf):
            return super().broadcast(buf, root)
        self.nccl_comm.broadcast(buf.data.ptr, buf.data.ptr, buf.nbytes, self._nccl.NCCL_UINT8,
                                 root, self._stream())
        return self._done()

    def reduce(self, buf, root, op):
        if not self._gpu(buf):
            return super().reduce(buf, root, op)
        b, t, o = self._reduce_args(buf, op)
        self.nccl_comm.reduce(b.data.ptr, b.data.ptr, b.size, t, o, root, self._stream())
        return self._done()

    def allgather(self, sendbuf, recvbuf):
        if not self._gpu(sendbuf, recvbuf):
            return super().allgather(sendbuf, recvbuf)
        self.nccl_comm.allGather(sendbuf.data.ptr, recvbuf.data.ptr, sendbuf.nbytes,
                                 self._nccl.NCCL_UINT8, self._stream())
        return self._done()

    def reduce_scatter(self, sendbuf, recvbuf, op):
        if not self._gpu(sendbuf, recvbuf):
            return super().reduce_scatter(sendbuf, recvbuf, op)
        s, t, o = self._reduce_args(sendbuf, op)
        r, _, _ = self._reduce_args(recvbuf, op)
        self.nccl_comm.reduceScatter(s.data.ptr, r.data.ptr, r.size, t, o, self._stream())
        return self._done()

    # gather, scatter, all-to-all and point-to-point: grouped NCCL send/recv (NCCL >= 2.7)
    def _p2p(self, sends, recvs):
        nccl, stream, U8 = self._nccl, self._stream(), self._nccl.NCCL_UINT8
        nccl.groupStart()
        try:
            for buf, peer in sends:
                if buf.nbytes:
                    self.nccl_comm.send(buf.data.ptr, buf.nbytes, U8, peer, stream)
            for buf, peer in recvs:
                if buf.nbytes:
                    self.nccl_comm.recv(buf.data.ptr, buf.nbytes, U8, peer, stream)
        finally:
            nccl.groupEnd()
        return self._done()

    def gather(self, sendbuf, recvbuf, root):
        if not self._gpu(sendbuf, recvbuf):
            return super().gather(sendbuf, recvbuf, root)
        if self.rank != root:
            return self._p2p([(sendbuf, root)], [])
        n = sendbuf.size
        recvbuf[root * n:(root + 1) * n] = sendbuf
        return self._p2p([], [(recvbuf[r * n:(r + 1) * n], r)
                              for r in range(self.size) if r != root])

    def scatter(self, sendbuf, recvbuf, root):
        if not self._gpu(sendbuf, recvbuf):
            return super().scatter(sendbuf, recvbuf, root)
        if self.rank != root:
            return self._p2p([], [(recvbuf, root)])
        n = recvbuf.size
        recvbuf[...] = sendbuf[root * n:(root + 1) * n]
        return self._p2p([(sendbuf[r * n:(r + 1) * n], r)
                          for r in range(self.size) if r != root], [])

    def alltoallv(self, sendbuf, sendcounts, recvbuf, recvcounts):
        if not self._gpu(sendbuf, recvbuf):
            return super().alltoallv(sendbuf, sendcounts, recvbuf, recvcounts)
        so = np.concatenate([[0], np.cumsum(sendcounts)]).tolist()
        ro = np.concatenate([[0], np.cumsum(recvcounts)]).tolist()
        return self._p2p([(sendbuf[so[r]:so[r + 1]], r) for r in range(self.size)],
                         [(recvbuf[ro[r]:ro[r + 1]], r) for r in range(self.size)])

    def send(self, buf, dst, tag):
        if not self._gpu(buf):
            return super().send(buf, dst, tag)
        return self._p2p([(buf, dst)], [])

    def recv(self, buf, src, tag):
        if not self._gpu(buf):
            return super().recv(buf, src, tag)
        if src is None:
            raise NotImplementedError("the nccl backend cannot receive from any source: pass "
                                      "src")
        req = self._p2p([], [(buf, src)])
        req.source = src
        return req

    def split(self, ranks, local=False):
        sub = MpiCommunicator.split(self, ranks, local)   # an MPI communicator of the members
        if sub is None:
            return None
        c = NcclCommunicator.__new__(NcclCommunicator)
        NcclCommunicator.__init__(c, sub.comm, self.timeout, self.device)
        sub.free()
        return c

    def free(self):
        if getattr(self, "nccl_comm", None) is not None:
            self.nccl_comm.destroy()
            self.nccl_comm = None
        super().free()

    def abort(self, code=1):
        if getattr(self, "nccl_comm", None) is not None:
            self.nccl_comm.abort()
        super().abort(code)


_OP_NAME = {"band": "BAND", "bor": "BOR", "bxor": "BXOR", "lxor": "BXOR", "sum": "SUM",
            "prod": "PRODUCT", "min": "MIN", "max": "MAX"}


def _split_shared():
    from .mpi import mpi
    return mpi().COMM_TYPE_SHARED
