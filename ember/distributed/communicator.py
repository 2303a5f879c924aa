"""The communicator interface (ChainerMN's split): what a transport must provide, and what
every transport gets for free on top of it.

A communicator moves *arrays* (the backend's: `numpy.ndarray`, or `cupy.ndarray` for NCCL),
never Tensors; `ember.distributed` does the Tensor side (views, dtypes, ReduceOp semantics,
ranks of groups). Every transfer method starts the operation and returns a `Request`
immediately; `wait_all` completes requests against a deadline, so a peer that died or never
came raises `DistBackendError` instead of hanging.

Arrays handed to these methods are C-contiguous and 1-D. Reduction ops are named by string:
'sum', 'prod', 'min', 'max' (any numeric dtype), 'band', 'bor', 'bxor' (integers), 'lor',
'land', 'lxor' (bool).

Implementations: `mpi.MpiCommunicator` (mpi4py; CPU arrays, and the bootstrap of every other
communicator) and `nccl.NcclCommunicator` (CuPy's NCCL bindings for GPU arrays; host arrays
go to its MPI base class).
"""
import pickle
import time
import zlib

import numpy as np

__all__ = ["Communicator", "Request", "DistError", "DistBackendError", "DistNetworkError",
           "DistStoreError", "wait_all", "poll"]


class DistError(RuntimeError):
    """Base of the errors `ember.distributed` raises (PyTorch's `torch.distributed.DistError`)."""


class DistBackendError(DistError):
    """A collective failed or timed out in the backend."""


class DistNetworkError(DistError):
    """A network error (kept for PyTorch compatibility; MPI reports through DistBackendError)."""


class DistStoreError(DistError):
    """A store error (kept for PyTorch compatibility; ember has no TCP store)."""


class Request:
    """An operation in flight. `test()` advances it and says whether it has finished (raising
    the transport's error as DistBackendError); `finish()` runs once, after completion (copies
    out of staging buffers and the like)."""

    def test(self):
        raise NotImplementedError

    def finish(self):
        pass


class DoneRequest(Request):
    """An operation that completed when it was started (local copies, world size 1)."""

    def __init__(self, finish=None):
        self._finish = finish

    def test(self):
        return True

    def finish(self):
        if self._finish is not None:
            self._finish()


# Polling: MPI makes progress only inside MPI calls (and NCCL's completion is an event query),
# so waiting is a loop of tests. It yields the CPU every round (sleep(0)) and, once an
# operation has been waiting for a while (a late peer, not a transfer), sleeps between tests.
_SPIN_S = 1.0
_NAP_S = 2e-4


def wait_all(requests, timeout, what, rank=None, start=None):
    """Test `requests` until all have completed, then run their `finish()`; raise
    DistBackendError naming `what` once `timeout` seconds (None: never) have passed since
    `start` (a time.monotonic() value; default now)."""
    poll(requests, timeout, what, rank, start)
    for r in requests:
        r.finish()


def poll(requests, timeout, what, rank=None, start=None):
    """The waiting half of wait_all: returns when every request has completed."""
    begin = time.monotonic()
    start = begin if start is None else start
    pending = [r for r in requests if not r.test()]
    while pending:
        now = time.monotonic()
        if timeout is not None and now - start > timeout:
            who = "" if rank is None else f"[Rank {rank}] "
            raise DistBackendError(
                f"{who}Watchdog caught collective operation timeout: {what} ran for "
                f"{(now - start) * 1000:.0f} milliseconds before timing out (Timeout(ms)="
                f"{timeout * 1000:.0f}). Another rank failed, exited, or has not reached the "
                "matching call; the process group is no longer usable.")
        time.sleep(0 if now - begin < _SPIN_S else _NAP_S)
        pending = [r for r in pending if not r.test()]


failures = []   # messages of failed operations, on any communicator of this process


def _stable_hash(text):
    """A 62-bit hash of `text`, equal in every process (Python's hash() is salted)."""
    data = text.encode()
    return (zlib.crc32(data) << 30) ^ zlib.adler32(data) ^ (len(data) << 50)


class Communicator:
    """The interface. `rank` and `size` are this communicator's; ranks in arguments are ranks
    of this communicator. Subclasses implement the transfer methods; the object collectives
    and the cross-rank consistency check are built on them here."""

    name = "?"
    rank = 0
    size = 1
    timeout = None        # seconds, or None: the deadline wait() applies

    # ----------------------------------------------------------------- transfers (abstract)
    def allreduce(self, buf, op):
        """In place: every rank's `buf` becomes the reduction of all ranks' `buf`."""
        raise NotImplementedError

    def broadcast(self, buf, root):
        raise NotImplementedError

    def reduce(self, buf, root, op):
        """In place on `root`; other ranks' `buf` is only read."""
        raise NotImplementedError

    def allgather(self, sendbuf, recvbuf):
        """`recvbuf` (size * len(sendbuf)) receives every rank's `sendbuf`, in rank order."""
        raise NotImplementedError

    def gather(self, sendbuf, recvbuf, root):
        """Like allgather, into `recvbuf` on `root` only (None elsewhere)."""
        raise NotImplementedError

    def scatter(self, sendbuf, recvbuf, root):
        """Rank i's `recvbuf` receives block i of `root`'s `sendbuf` (None elsewhere)."""
        raise NotImplementedError

    def reduce_scatter(self, sendbuf, recvbuf, op):
        """Block i (len(recvbuf) elements) of the reduction of `sendbuf` goes to rank i."""
        raise NotImplementedError

    def alltoallv(self, sendbuf, sendcounts, recvbuf, recvcounts):
        """Rank i sends sendcounts[j] elements (consecutive blocks) to rank j."""
        raise NotImplementedError

    def send(self, buf, dst, tag):
        raise NotImplementedError

    def recv(self, buf, src, tag):
        """`src` None receives from any rank; the request's `source` says which, after."""
        raise NotImplementedError

    def barrier(self):
        raise NotImplementedError

    def split(self, ranks, local=False):
        """A communicator of `ranks` (ranks of this one, in the new order) for its members,
        None for the others. Collective over this communicator, or with `local` over the
        members only."""
        raise NotImplementedError

    def dup(self):
        """A communicator of the same ranks whose traffic never matches this one's."""
        raise NotImplementedError

    def free(self):
        pass

    def abort(self, code=1):
        raise NotImplementedError

    # ----------------------------------------------------------------- built on the above
    broken = None         # why this communicator can no longer be used, once it can't

    def wait(self, requests, what):
        try:
            wait_all(requests, self.timeout, what, self.rank)
        except DistBackendError as e:
            self.mark_broken(str(e))
            raise

    def mark_broken(self, message):
        """After a failed or timed-out operation MPI still holds it: nothing more can go
        through this communicator, and the process must abort rather than finalize MPI."""
        self.broken = message
        failures.append(message)

    def check_same(self, what, description):
        """Raise ValueError on every rank when `description` (a str) differs between ranks:
        a shape, dtype or op mismatch in a collective is an error, not a hang or garbage."""
        if self.size == 1:
            return
        h = _stable_hash(description)
        probe = np.array([h, -h], dtype=np.int64)
        self.wait([self.allreduce(probe, "max")], what + " (consistency check)")
        if probe[0] == -probe[1]:
            return
        descs = self.allgather_object(description, what + " (consistency check)")
        lines = ", ".join(f"rank {r}: {d}" for r, d in enumerate(descs))
        raise ValueError(f"{what}: the ranks called it with mismatched arguments ({lines})")

    def _bytes(self, obj):
        return np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), np.uint8)

    def broadcast_object(self, obj, root, what="broadcast_object_list"):
        n = np.zeros(1, np.int64)
        data = None
        if self.rank == root:
            data = self._bytes(obj).copy()
            n[0] = data.size
        self.wait([self.broadcast(n, root)], what)
        if data is None:
            data = np.empty(int(n[0]), np.uint8)
        self.wait([self.broadcast(data, root)], what)
        return obj if self.rank == root else pickle.loads(data.tobytes())

    def _padded_bytes(self, obj, what):
        """obj pickled and zero-padded to the longest of all ranks' pickles: (bytes, every
        rank's byte count, the padded length). Collective: every rank calls it."""
        data = self._bytes(obj)
        sizes = np.zeros(self.size, np.int64)
        self.wait([self.allgather(np.array([data.size], np.int64), sizes)], what)
        m = int(sizes.max())
        send = np.zeros(m, np.uint8)
        send[:data.size] = data
        return send, sizes, m

    def allgather_object(self, obj, what="all_gather_object"):
        send, sizes, m = self._padded_bytes(obj, what)
        out = np.empty(m * self.size, np.uint8)
        self.wait([self.allgather(send, out)], what)
        return [pickle.loads(out[r * m:r * m + int(sizes[r])].tobytes())
                for r in range(self.size)]

    def gather_object(self, obj, root, what="gather_object"):
        send, sizes, m = self._padded_bytes(obj, what)
        out = np.empty(m * self.size, np.uint8) if self.rank == root else None
        self.wait([self.gather(send, out, root)], what)
        if self.rank != root:
            return None
        return [pickle.loads(out[r * m:r * m + int(sizes[r])].tobytes())
                for r in range(self.size)]

    def scatter_object(self, objs, root, what="scatter_object_list"):
        n = np.zeros(1, np.int64)
        if self.rank == root:
            blobs = [self._bytes(o) for o in objs]
            n[0] = max(b.size for b in blobs)
        self.wait([self.broadcast(n, root)], what)
        m = int(n[0])
        send = None
        if self.rank == root:
            send = np.zeros(m * self.size, np.uint8)
            for r, b in enumerate(blobs):
                send[r * m:r * m + b.size] = b
        out = np.empty(m, np.uint8)
        self.wait([self.scatter(send, out, root)], what)
        return pickle.loads(out.tobytes())   # pickle ignores the zero padding after STOP

    def send_object(self, obj, dst, tag, what="send_object_list"):
        data = self._bytes(obj).copy()
        n = np.array([data.size], np.int64)
        self.wait([self.send(n, dst, tag), self.send(data, dst, tag)], what)

    def recv_object(self, src, tag, what="recv_object_list"):
        """(object, rank it came from)."""
        n = np.zeros(1, np.int64)
        r = self.recv(n, src, tag)
        self.wait([r], what)
        data = np.empty(int(n[0]), np.uint8)
        self.wait([self.recv(data, r.source, tag)], what)
        return pickle.loads(data.tobytes()), r.source
