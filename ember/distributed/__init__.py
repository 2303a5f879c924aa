"""`ember.distributed`: PyTorch's `torch.distributed` functional API over MPI and NCCL.

Processes are started by MPI (`mpiexec -n N python train.py`) or by the torchrun-style
launcher (`python -m ember.distributed.run --nproc-per-node N train.py`, which runs mpiexec
and sets RANK, LOCAL_RANK, WORLD_SIZE, ...); `init_process_group()` then joins the MPI job.
Backends: 'mpi' (mpi4py; CPU tensors, CUDA tensors staged through the host; 'gloo' is
accepted as a name for it) and 'nccl' (CuPy's NCCL for CUDA tensors, MPI for the rest).

This module turns Tensors into arrays for a communicator (`communicator.py`): it makes
non-contiguous views contiguous and copies results back, views complex tensors as real,
maps ReduceOps onto each dtype, translates global ranks to group ranks, and checks that all
ranks called a collective with matching shapes and dtypes (a clear ValueError, not a hang or
garbage; EMBER_DISTRIBUTED_CHECKS=0 turns the check off). Every wait has a deadline (the
`timeout` of init_process_group, default 30 minutes, or EMBER_DISTRIBUTED_TIMEOUT seconds):
a rank that died or never arrives makes the others raise DistBackendError.
"""
import enum
import os
import warnings
from datetime import timedelta

import numpy as np

from .communicator import (DistBackendError, DistError, DistNetworkError, DistStoreError,
                           poll as _poll)
from .. import dtypes as _dtypes
from ..tensor import Tensor as _Tensor

__all__ = [
    "Backend", "DistBackendError", "DistError", "DistNetworkError", "DistStoreError",
    "GroupMember", "P2POp", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
    "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast", "broadcast_object_list",
    "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_global_rank", "get_group_rank", "get_node_local_rank", "get_process_group_ranks",
    "get_rank", "get_world_size", "group", "init_process_group", "irecv", "is_available",
    "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
    "is_torchelastic_launched", "isend", "monitored_barrier", "new_group", "recv",
    "recv_object_list", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
    "scatter_object_list", "send", "send_object_list", "supports_complex",
]

default_pg_timeout = timedelta(minutes=30)


# ----------------------------------------------------------------------------- ReduceOp
class _RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self):
        return f"RedOpType.{self.name}"


_RedOpType.__name__ = _RedOpType.__qualname__ = "RedOpType"


class ReduceOp:
    """`dist.ReduceOp.SUM` and friends (members of `ReduceOp.RedOpType`)."""
    RedOpType = _RedOpType
    SUM = _RedOpType.SUM
    AVG = _RedOpType.AVG
    PRODUCT = _RedOpType.PRODUCT
    MIN = _RedOpType.MIN
    MAX = _RedOpType.MAX
    BAND = _RedOpType.BAND
    BOR = _RedOpType.BOR
    BXOR = _RedOpType.BXOR
    PREMUL_SUM = _RedOpType.PREMUL_SUM
    UNUSED = _RedOpType.UNUSED


reduce_op = ReduceOp


def supports_complex(reduceOp):
    """Whether a ReduceOp is defined on complex tensors (PyTorch's list)."""
    return reduceOp not in (ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT, ReduceOp.BAND,
                            ReduceOp.BOR, ReduceOp.BXOR)


# ----------------------------------------------------------------------------- Backend
class Backend(str):
    """Backend names: `Backend('MPI') == 'mpi'`. ember implements 'mpi' and 'nccl'; 'gloo'
    is accepted and served by MPI."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    UCC = "ucc"
    XCCL = "xccl"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return str.__new__(cls, value)


def _parse_backend(backend):
    """(name to report, whether NCCL serves CUDA tensors)."""
    if backend is None:
        return Backend("mpi"), False
    if not isinstance(backend, str):
        raise ValueError("Backend constructor parameter must be string-ish")
    b = backend.lower()
    parts = [p.split(":")[-1] for p in b.split(",")]
    bad = [p for p in parts if p not in ("mpi", "gloo", "nccl")]
    if bad:
        raise ValueError(f"Unknown backend '{backend}': ember.distributed implements 'mpi' "
                         "(CPU, over mpi4py; 'gloo' is an alias) and 'nccl' (CUDA, over "
                         "CuPy's NCCL)")
    return Backend(backend), "nccl" in parts


# ----------------------------------------------------------------------------- groups
class ProcessGroup:
    """A set of ranks and the communicator connecting them."""

    def __init__(self, comm, ranks, backend, timeout, name):
        self._comm = comm
        self._ctl = comm.dup()          # monitored_barrier and object send/recv
        self._ranks = list(ranks)       # global rank of each group rank
        self._backend = backend
        self._timeout = timeout
        self._name = name

    def rank(self):
        return self._comm.rank

    def size(self):
        return len(self._ranks)

    def name(self):
        return self._name

    @property
    def group_name(self):
        return self._name

    def _free(self):
        for c in (self._ctl, self._comm):
            c.free()

    def __repr__(self):
        return f"<ember.distributed.ProcessGroup {self._name!r} ranks={self._ranks} " \
               f"backend={self._backend!r}>"


class _WorldMeta(type):
    @property
    def WORLD(cls):
        return _state.default


class GroupMember(metaclass=_WorldMeta):
    """`GroupMember.WORLD` is the default group; `new_group` returns `NON_GROUP_MEMBER` to
    ranks outside the new group."""
    NON_GROUP_MEMBER = -100


class group(metaclass=_WorldMeta):
    """`dist.group.WORLD`: the default process group."""


class _State:
    default = None
    groups = []       # every live ProcessGroup, default first
    counter = 0


_state = _State()


def is_available():
    """True when mpi4py is importable (the MPI engine every backend bootstraps through)."""
    from . import mpi
    return mpi.available()


def is_mpi_available():
    return is_available()


def is_gloo_available():
    """'gloo' is a name ember accepts and serves over MPI."""
    return is_available()


def is_nccl_available():
    import importlib.util
    return is_available() and importlib.util.find_spec("cupy") is not None


def is_initialized():
    return _state.default is not None


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _default():
    if _state.default is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return _state.default


def _timeout_seconds(timeout):
    if timeout is None:
        env = os.environ.get("EMBER_DISTRIBUTED_TIMEOUT")
        return float(env) if env else default_pg_timeout.total_seconds()
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{timeout}")
    return timeout.total_seconds()


def _env_int(name):
    v = os.environ.get(name)
    return None if v in (None, "") else int(v)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the MPI job as the default process group.

    Ranks and world size come from MPI, whether the job was started by `mpiexec` or by
    `python -m ember.distributed.run`; `rank`/`world_size` arguments and RANK/WORLD_SIZE in
    the environment are checked against them. `init_method` needs no rendezvous address
    (MPI did the rendezvous) and is accepted as given."""
    if _state.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    seconds = _timeout_seconds(timeout)
    if store is not None:
        raise NotImplementedError(
            "ember.distributed bootstraps through MPI and has no Store: start the processes "
            "with mpiexec or python -m ember.distributed.run and leave store unset")
    name, use_nccl = _parse_backend(backend)
    from . import mpi
    MPI = mpi.mpi()
    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    for what, given, env, actual in (("world_size", world_size, "WORLD_SIZE", size),
                                     ("rank", rank, "RANK", me)):
        e = _env_int(env)
        if e is not None and e != actual:
            raise RuntimeError(
                f"{env}={e} in the environment, but MPI says this process has {what} {actual}: "
                "ember.distributed joins processes through MPI; start them with "
                f"`mpiexec -n N python script.py` or `python -m ember.distributed.run "
                "--nproc-per-node N script.py`, not as separate python processes")
        if given is not None and given != -1 and given != actual:
            raise ValueError(f"init_process_group got {what}={given}, but MPI says this process "
                             f"has {what} {actual} (MPI assigns ranks; leave {what} unset)")
    if use_nccl:
        from .nccl import NcclCommunicator
        dev = None
        if device_id is not None:
            dev = device_id if isinstance(device_id, int) else device_id.index
        comm = NcclCommunicator(world, seconds, dev)
    else:
        comm = mpi.MpiCommunicator(world, seconds)
    pg = ProcessGroup(comm, range(size), name, seconds, group_name or "0")
    _state.default = pg
    _state.groups = [pg]
    _state.counter = 1
    mpi.install_failure_handlers(me, size)


def destroy_process_group(group=None):
    """Release a group's communicators (all groups, and the default, when `group` is None)."""
    if group is None or group is GroupMember.WORLD:
        if _state.default is None:
            raise ValueError("Invalid process group specified")
        for g in _state.groups:
            g._free()
        _state.default = None
        _state.groups = []
        return
    if group not in _state.groups:
        raise ValueError("Invalid process group specified or has been destroyed.")
    group._free()
    _state.groups.remove(group)


def _resolve(group):
    """The ProcessGroup to use, or None when this rank is not in `group`."""
    pg = _default() if group is None else group
    if pg is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(pg, ProcessGroup) or pg not in _state.groups:
        raise ValueError("Invalid process group specified")
    if pg._comm.broken is not None:
        raise DistBackendError("this process group is no longer usable after an earlier "
                               f"failure: {pg._comm.broken}")
    return pg


def _warn_not_in_group(op_name):
    warnings.warn(f"Running {op_name} on global rank {get_rank()} which does not belong to "
                  "the given group.", stacklevel=3)


def get_rank(group=None):
    pg = _default() if group is None else group
    if pg is GroupMember.NON_GROUP_MEMBER:
        return -1
    return pg.rank()


def get_world_size(group=None):
    pg = _default() if group is None else group
    if pg is GroupMember.NON_GROUP_MEMBER:
        return -1
    return pg.size()


def get_backend(group=None):
    pg = _default() if group is None else group
    if pg is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return Backend(pg._backend)


def get_process_group_ranks(group):
    pg = _default() if group is None else group
    return list(pg._ranks)


def get_global_rank(group, group_rank):
    pg = _default() if group is None else group
    if not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg._ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _default() if group is None else group
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def get_node_local_rank(fallback_rank=None):
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank "
                       "to allow `get_node_local_rank` to work, assuming you are not running "
                       "in a multi-device context and want the code to run locally instead.")


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """A group of `ranks` (global ranks; all of them when None). Every rank of the default
    group must call it (only the members, with `use_local_synchronization=True`); ranks
    outside get `GroupMember.NON_GROUP_MEMBER`."""
    world = _resolve(None)
    n = world.size()
    ranks = list(range(n)) if ranks is None else [int(r) for r in ranks]
    if sort_ranks:
        ranks = sorted(ranks)
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"Invalid rank {r}, rank should be in the interval [0, {n - 1}]")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group got duplicate ranks: {ranks}")
    seconds = world._timeout if timeout is None else _timeout_seconds(timeout)
    _state.counter += 1
    name = group_desc or str(_state.counter - 1)
    sub = world._comm.split(ranks, local=use_local_synchronization)
    if sub is None:
        return GroupMember.NON_GROUP_MEMBER
    sub.timeout = seconds
    pg = ProcessGroup(sub, ranks, Backend(backend) if backend else world._backend, seconds,
                      name)
    _state.groups.append(pg)
    return pg


def _rank_in(pg, global_rank, group_rank, what):
    """The group rank meant by `src`/`dst` (global) or `group_src`/`group_dst`."""
    if global_rank is not None and group_rank is not None:
        raise ValueError("Can't specify both group_rank and global_rank")
    if group_rank is None:
        if global_rank is None:
            raise ValueError("Must specify global_rank or group_rank")
        if global_rank not in pg._ranks:
            raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
        return pg._ranks.index(global_rank)
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return group_rank


# ----------------------------------------------------------------------------- Work
class Work:
    """An operation in flight (returned by `async_op=True`, isend and irecv): `wait()`
    completes it (raising DistBackendError after the group's timeout), `is_completed()`
    polls it."""

    def __init__(self, pg, requests, what, finish=None, result=None):
        import time
        self._pg = pg
        self._reqs = requests
        self._pending = list(requests)
        self._what = what
        self._finish = finish
        self._result = result if result is not None else []
        self._start = time.monotonic()
        self._done = False
        self._exc = None

    def _complete(self):
        for r in self._reqs:
            r.finish()
        if self._finish is not None:
            self._finish()
        self._done = True

    def _fail(self, e):
        self._exc = e
        if isinstance(e, DistBackendError):
            self._pg._comm.mark_broken(str(e))
        raise e

    def is_completed(self):
        if self._done:
            return True
        if self._exc is not None:
            return True
        try:
            self._pending = [r for r in self._pending if not r.test()]
            if not self._pending:
                self._complete()
        except Exception as e:
            self._fail(e)
        return self._done

    def wait(self, timeout=None):
        if self._exc is not None:
            raise self._exc
        if self._done:
            return True
        seconds = self._pg._timeout
        if timeout is not None and timeout != timedelta(0):
            seconds = _timeout_seconds(timeout)
        try:
            _poll(self._pending, seconds, self._what, self._pg._ranks[self._pg.rank()],
                  self._start)
            self._pending = []
            self._complete()
        except Exception as e:
            self._fail(e)
        return True

    def is_success(self):
        return self._done and self._exc is None

    def exception(self):
        return self._exc

    def result(self):
        self.wait()
        return list(self._result)

    def source_rank(self):
        """The global rank a completed irecv received from."""
        self.wait()
        src = getattr(self._reqs[0], "source", None)
        if src is None:
            raise RuntimeError("source_rank() is only available on a completed recv")
        return self._pg._ranks[src]

    def get_future(self):
        raise NotImplementedError("ember.distributed.Work has no futures: use wait() or "
                                  "is_completed()")

    def __repr__(self):
        return f"<ember.distributed.Work {self._what} done={self._done}>"


def _run(pg, requests, what, finish, async_op, result=None):
    w = Work(pg, requests, what, finish, result)
    if async_op:
        return w
    w.wait()
    return None


# ----------------------------------------------------------------------------- tensors
_BAD_ARG = "Invalid function argument. Expected parameter `{}` of type {}\n             but got "


def _check_single_tensor(param, param_name):
    if not isinstance(param, _Tensor):
        raise TypeError(_BAD_ARG.format(param_name, "torch.Tensor") + f"{type(param)} instead.")


def _check_tensor_list(param, param_name):
    if not isinstance(param, list):
        raise TypeError(_BAD_ARG.format(param_name, "List[torch.Tensor]") +
                        f"{type(param)} instead.")
    if not all(isinstance(p, _Tensor) for p in param):
        raise TypeError(_BAD_ARG.format(param_name, "List[torch.Tensor]") +
                        f"{type(param)} with elements of type {[type(p) for p in param]}.")


def _xp(a):
    if isinstance(a, np.ndarray):
        return np
    import cupy
    return cupy


def _flat(t):
    """(1-D contiguous array with t's data, the array to copy results back into or None).
    A contiguous tensor's own memory is used; a non-contiguous view goes through a copy."""
    a = t._data
    if a.flags.c_contiguous:
        return a.reshape(-1), None
    return _xp(a).ascontiguousarray(a).reshape(-1), a


def _empty_like_flat(t, n):
    a = t._data
    return _xp(a).empty(n, a.dtype)


def _store(t, flat):
    """Write `flat` into tensor t (any layout) and bump its version."""
    t._data[...] = flat.reshape(t._data.shape)
    t._vc[0] += 1


def _real(buf):
    """Complex data as its (real, imag) float pairs; other dtypes unchanged."""
    if buf.dtype.kind == "c":
        return buf.view(np.float32 if buf.dtype.itemsize == 8 else np.float64)
    return buf


def _describe(t):
    return f"{tuple(t.shape)} {t.dtype}"


def _check_same(pg, what, description):
    if os.environ.get("EMBER_DISTRIBUTED_CHECKS", "1") != "0":
        pg._comm.check_same(what, description)


_LOGICAL = {ReduceOp.SUM: "lor", ReduceOp.MAX: "lor", ReduceOp.BOR: "lor",
            ReduceOp.PRODUCT: "land", ReduceOp.MIN: "land", ReduceOp.BAND: "land",
            ReduceOp.BXOR: "lxor"}
_ARITH = {ReduceOp.SUM: "sum", ReduceOp.AVG: "sum", ReduceOp.PRODUCT: "prod",
          ReduceOp.MIN: "min", ReduceOp.MAX: "max", ReduceOp.BAND: "band",
          ReduceOp.BOR: "bor", ReduceOp.BXOR: "bxor"}


def _reduce_op(dtype, op, what):
    """The communicator op for ReduceOp `op` on `dtype`, and whether to divide (AVG).

    bool: SUM/MAX/BOR are OR, PRODUCT/MIN/BAND are AND, BXOR is XOR (as NCCL does);
    integers: AVG is the sum divided by the group size, rounded toward zero."""
    if isinstance(op, int) and not isinstance(op, _RedOpType):
        op = _RedOpType(op)
    if not isinstance(op, _RedOpType):
        raise TypeError(f"{what}: op must be a ReduceOp, got {op!r}")
    if op in (ReduceOp.PREMUL_SUM, ReduceOp.UNUSED):
        raise NotImplementedError(f"ReduceOp.{op.name} is not implemented by ember.distributed")
    if dtype.is_complex and not supports_complex(op):
        raise ValueError(f"{what} does not support {op} on complex tensors")
    if dtype is _dtypes.bool:
        if op == ReduceOp.AVG:
            raise TypeError("Cannot use ReduceOp.AVG with boolean inputs")
        return _LOGICAL[op], False
    if (dtype.is_floating_point or dtype.is_complex) and op in (ReduceOp.BAND, ReduceOp.BOR,
                                                                 ReduceOp.BXOR):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    return _ARITH[op], op == ReduceOp.AVG


def _divide(buf, n):
    """AVG's last step, in place: floats divide, integers divide rounding toward zero."""
    if buf.dtype.kind in "fc" or buf.dtype.name == "bfloat16":
        buf /= n
    elif buf.dtype.kind == "u":
        buf //= n
    else:
        xp = _xp(buf)
        buf[...] = xp.where(buf < 0, -((-buf) // n), buf // n)


# ----------------------------------------------------------------------------- collectives
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across all ranks, in place on every rank."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("all_reduce")
        return None
    name, avg = _reduce_op(tensor.dtype, op, "all_reduce")
    _check_same(pg, "all_reduce", f"all_reduce {_describe(tensor)} {op}")
    buf, target = _flat(tensor)
    view = _real(buf)
    req = pg._comm.allreduce(view, name)

    def finish():
        if avg:
            _divide(view, pg.size())
        if target is not None:
            target[...] = buf.reshape(target.shape)
        tensor._vc[0] += 1
    return _run(pg, [req], "all_reduce", finish, async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy `tensor` of rank `src` into `tensor` of every rank."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("broadcast")
        return None
    root = _rank_in(pg, src, group_src, "src")
    _check_same(pg, "broadcast", f"broadcast {_describe(tensor)} from {root}")
    buf, target = _flat(tensor)
    req = pg._comm.broadcast(buf, root)

    def finish():
        if pg.rank() != root:
            if target is not None:
                target[...] = buf.reshape(target.shape)
            tensor._vc[0] += 1
    return _run(pg, [req], "broadcast", finish, async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce `tensor` across all ranks into `tensor` of rank `dst`."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("reduce")
        return None
    root = _rank_in(pg, dst, group_dst, "dst")
    name, avg = _reduce_op(tensor.dtype, op, "reduce")
    _check_same(pg, "reduce", f"reduce {_describe(tensor)} {op} to {root}")
    buf, target = _flat(tensor)   # only read on ranks other than root
    view = _real(buf)
    req = pg._comm.reduce(view, root, name)

    def finish():
        if pg.rank() == root:
            if avg:
                _divide(view, pg.size())
            if target is not None:
                target[...] = buf.reshape(target.shape)
            tensor._vc[0] += 1
    return _run(pg, [req], "reduce", finish, async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """`tensor_list[i]` receives rank i's `tensor`."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("all_gather")
        return None
    n = pg.size()
    _check_outputs("all_gather", tensor_list, n, tensor)
    _check_same(pg, "all_gather", f"all_gather {_describe(tensor)}")
    send, _ = _flat(tensor)
    recv = _empty_like_flat(tensor, n * send.size)
    req = pg._comm.allgather(send, recv)
    k = send.size

    def finish():
        for i, t in enumerate(tensor_list):
            _store(t, recv[i * k:(i + 1) * k])
    return _run(pg, [req], "all_gather", finish, async_op, tensor_list)


def _check_outputs(what, tensors, n, like, name="tensor_list"):
    if len(tensors) != n:
        raise ValueError(f"{what}: {name} has {len(tensors)} tensors but the group has {n} "
                         "ranks; it needs one per rank")
    for i, t in enumerate(tensors):
        if t.numel() != like.numel() or t.dtype != like.dtype:
            raise ValueError(f"{what}: {name}[{i}] is {_describe(t)} but the tensor is "
                             f"{_describe(like)}; they must match in size and dtype")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """`output_tensor` (world_size times the input's size, stacked or concatenated along
    dim 0) receives every rank's `input_tensor` in rank order."""
    _check_single_tensor(output_tensor, "output_tensor")
    _check_single_tensor(input_tensor, "input_tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("all_gather_into_tensor")
        return None
    n = pg.size()
    if output_tensor.numel() != n * input_tensor.numel():
        raise ValueError("output tensor size must be equal to world_size times input tensor "
                         f"size (output {_describe(output_tensor)}, input "
                         f"{_describe(input_tensor)}, world_size {n})")
    if output_tensor.dtype != input_tensor.dtype:
        raise ValueError("output tensor must have the same type as input tensor")
    _check_same(pg, "all_gather_into_tensor",
                f"all_gather_into_tensor {_describe(input_tensor)}")
    send, _ = _flat(input_tensor)
    recv, target = _flat(output_tensor)
    req = pg._comm.allgather(send, recv)

    def finish():
        if target is not None:
            target[...] = recv.reshape(target.shape)
        output_tensor._vc[0] += 1
    return _run(pg, [req], "all_gather_into_tensor", finish, async_op, [output_tensor])


def _rooted_list(op, tensor, tensors, rank, group_rank, group, arg, role):
    """gather's and scatter's shared checks: (group, root's group rank, own group rank), or
    None off the group. `tensors` (the `{op}_list`) must be given on the root (`role`:
    destination or source) only, one tensor like `tensor` per rank."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group(op)
        return None
    if rank is None and group_rank is None:
        rank = 0
    root = _rank_in(pg, rank, group_rank, arg)
    me = pg.rank()
    name = f"{op}_list"
    if me == root:
        if not tensors:
            raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
        _check_tensor_list(tensors, name)
        _check_outputs(op, tensors, pg.size(), tensor, name)
    elif tensors:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")
    return pg, root, me


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On rank `dst`, `gather_list[i]` receives rank i's `tensor`."""
    rooted = _rooted_list("gather", tensor, gather_list, dst, group_dst, group, "dst",
                          "destination")
    if rooted is None:
        return None
    pg, root, me = rooted
    _check_same(pg, "gather", f"gather {_describe(tensor)} to {root}")
    send, _ = _flat(tensor)
    k = send.size
    recv = _empty_like_flat(tensor, pg.size() * k) if me == root else None
    req = pg._comm.gather(send, recv, root)

    def finish():
        if me == root:
            for i, t in enumerate(gather_list):
                _store(t, recv[i * k:(i + 1) * k])
    return _run(pg, [req], "gather", finish, async_op, gather_list or [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank i's `tensor` receives `scatter_list[i]` of rank `src`."""
    rooted = _rooted_list("scatter", tensor, scatter_list, src, group_src, group, "src",
                          "source")
    if rooted is None:
        return None
    pg, root, me = rooted
    _check_same(pg, "scatter", f"scatter {_describe(tensor)} from {root}")
    send = None
    if me == root:
        send = _xp(tensor._data).concatenate([_flat(t)[0] for t in scatter_list])
    recv, target = _flat(tensor)
    req = pg._comm.scatter(send, recv, root)

    def finish():
        if target is not None:
            target[...] = recv.reshape(target.shape)
        tensor._vc[0] += 1
    return _run(pg, [req], "scatter", finish, async_op, [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank i's `output` receives the reduction over ranks of their `input_list[i]`."""
    _check_single_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("reduce_scatter")
        return None
    _check_outputs("reduce_scatter", input_list, pg.size(), output, "input_list")
    send = _xp(output._data).concatenate([_flat(t)[0] for t in input_list])
    return _reduce_scatter(pg, output, send, op, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Like reduce_scatter, with the inputs concatenated (or stacked) in one tensor."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("reduce_scatter_tensor")
        return None
    if input.numel() != pg.size() * output.numel():
        raise ValueError("input tensor must be the same size as output size times world size "
                         f"(input {_describe(input)}, output {_describe(output)}, world_size "
                         f"{pg.size()})")
    if input.dtype != output.dtype:
        raise ValueError("input tensor must be the same type as the output tensor.")
    send, _ = _flat(input)
    return _reduce_scatter(pg, output, send, op, "reduce_scatter_tensor", async_op)


def _reduce_scatter(pg, output, send, op, what, async_op):
    name, avg = _reduce_op(output.dtype, op, what)
    _check_same(pg, what, f"{what} {_describe(output)} {op}")
    recv, target = _flat(output)
    rview = _real(recv)
    req = pg._comm.reduce_scatter(_real(send), rview, name)

    def finish():
        if avg:
            _divide(rview, pg.size())
        if target is not None:
            target[...] = recv.reshape(target.shape)
        output._vc[0] += 1
    return _run(pg, [req], what, finish, async_op, [output])


def _alltoall_counts(pg, what, dtype, sendcounts, recvcounts):
    """Check on every rank that what each rank sends is what its peer expects (and dtypes
    agree): a ValueError on all ranks otherwise."""
    n = pg.size()
    if os.environ.get("EMBER_DISTRIBUTED_CHECKS", "1") == "0":
        return
    from .communicator import _stable_hash
    mine = np.array(list(sendcounts) + list(recvcounts) + [_stable_hash(str(dtype))],
                    np.int64)
    table = np.empty((n, 2 * n + 1), np.int64)
    pg._comm.wait([pg._comm.allgather(mine, table.reshape(-1))], what)
    if len(set(table[:, -1].tolist())) != 1:
        pg._comm.check_same(what, f"{what} dtype {dtype}")   # raises, naming the dtypes
    for i in range(n):
        for j in range(n):
            if table[i, j] != table[j, n + i]:
                raise ValueError(f"{what}: rank {i} sends {table[i, j]} elements to rank {j}, "
                                 f"which expects {table[j, n + i]} from it; the split sizes "
                                 "(or tensor sizes) must agree between ranks")


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """`input_tensor_list[j]` goes to rank j, whose `output_tensor_list[i]` receives it from
    rank i. Sizes may differ per pair but must agree between sender and receiver."""
    _check_tensor_list(output_tensor_list, "output_tensor_list")
    _check_tensor_list(input_tensor_list, "input_tensor_list")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("all_to_all")
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError("Number of tensor splits not equal to group size")
    dt = input_tensor_list[0].dtype
    if any(t.dtype != dt for t in input_tensor_list + output_tensor_list):
        raise ValueError("all_to_all: every input and output tensor must have the same dtype")
    sc = [t.numel() for t in input_tensor_list]
    rc = [t.numel() for t in output_tensor_list]
    _alltoall_counts(pg, "all_to_all", dt, sc, rc)
    xp = _xp(input_tensor_list[0]._data)
    send = xp.concatenate([_flat(t)[0] for t in input_tensor_list])
    recv = xp.empty(sum(rc), send.dtype)
    req = pg._comm.alltoallv(send, sc, recv, rc)

    def finish():
        off = 0
        for t, c in zip(output_tensor_list, rc):
            _store(t, recv[off:off + c])
            off += c
    return _run(pg, [req], "all_to_all", finish, async_op, output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """Split `input` along dim 0 (evenly, or by `input_split_sizes`), send piece j to rank j,
    and concatenate what arrives into `output` (split by `output_split_sizes`)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("all_to_all_single")
        return None
    n = pg.size()
    if input.dtype != output.dtype:
        raise ValueError("all_to_all_single: input and output must have the same dtype")

    def counts(t, splits):
        rows = t.shape[0] if t.dim() else 1
        row = t.numel() // rows if rows else 0
        if splits is None or len(splits) == 0:
            if rows % n:
                raise ValueError("Tensor's dim 0 does not divide equally across group size")
            return [rows // n * row] * n
        splits = [int(s) for s in splits]
        if len(splits) != n:
            raise ValueError("Number of tensor splits not equal to group size")
        if sum(splits) != rows:
            raise ValueError("Split sizes doesn't match total dim 0 size")
        return [s * row for s in splits]
    sc = counts(input, input_split_sizes)
    rc = counts(output, output_split_sizes)
    _alltoall_counts(pg, "all_to_all_single", input.dtype, sc, rc)
    send, _ = _flat(input)
    recv, target = _flat(output)
    req = pg._comm.alltoallv(send, sc, recv, rc)

    def finish():
        if target is not None:
            target[...] = recv.reshape(target.shape)
        output._vc[0] += 1
    return _run(pg, [req], "all_to_all_single", finish, async_op, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group has reached the barrier."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("barrier")
        return None
    w = Work(pg, [pg._comm.barrier()], "barrier")
    if async_op:
        return w
    w.wait(timeout)
    return None


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier that names the ranks which did not reach it within `timeout` (rank 0
    collects an arrival message from every rank, then releases them)."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("monitored_barrier")
        return None
    seconds = pg._timeout if timeout is None else _timeout_seconds(timeout)
    ctl, me, n = pg._ctl, pg.rank(), pg.size()
    token = np.zeros(1, np.uint8)
    tag = 1
    if me == 0:
        import time
        start = time.monotonic()
        reqs = {r: ctl.recv(np.zeros(1, np.uint8), r, tag) for r in range(1, n)}
        late = []
        for r, q in reqs.items():
            try:
                _poll([q], max(0.0, seconds - (time.monotonic() - start)), "monitored_barrier")
            except DistBackendError:
                late.append(r)
                if not wait_all_ranks:
                    break
        if late:
            which = ", ".join(map(str, (pg._ranks[r] for r in late)))
            noun = "Rank" if len(late) == 1 else "Ranks"
            msg = f"[Rank 0]: {noun} {which} failed to pass monitoredBarrier in " \
                  f"{seconds * 1000:.0f} ms"
            ctl.mark_broken(msg)   # receives are still posted: no clean MPI exit after this
            raise RuntimeError(msg)
        ctl.wait([ctl.send(token, r, tag) for r in range(1, n)], "monitored_barrier")
    else:
        ctl.wait([ctl.send(token, 0, tag)], "monitored_barrier")
        ctl.wait([ctl.recv(np.zeros(1, np.uint8), 0, tag)], "monitored_barrier")


# ----------------------------------------------------------------------------- point to point
def _peer(pg, global_rank, group_rank, what):
    r = _rank_in(pg, global_rank, group_rank, what)
    if r == pg.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the rank "
                         "of the current process.")
    return r


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending `tensor` to rank `dst`; returns a Work."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("isend")
        return None
    peer = _peer(pg, dst, group_dst, "destination")
    buf, target = _flat(tensor)   # a non-contiguous tensor is sent from a copy
    return Work(pg, [pg._comm.send(buf, peer, tag)], "send", result=[tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into `tensor` from rank `src` (any rank when src is None)."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("irecv")
        return None
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "source")
    buf, target = _flat(tensor)
    req = pg._comm.recv(buf, peer, tag)

    def finish():
        if target is not None:
            target[...] = buf.reshape(target.shape)
        tensor._vc[0] += 1
    return Work(pg, [req], "recv", finish, [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to rank `dst` and wait until it has gone."""
    w = isend(tensor, dst, group, tag, group_dst)
    if w is not None:
        w.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from rank `src` (any rank when None); returns the sender's rank
    (-1 when this rank is not in `group`)."""
    w = irecv(tensor, src, group, tag, group_src)
    if w is None:
        return -1
    w.wait()
    return w.source_rank()


class P2POp:
    """One isend/irecv for batch_isend_irecv."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag
        self.group_peer = group_peer


def batch_isend_irecv(p2p_op_list):
    """Start every op of the list; returns their Works."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    if len({id(p.group) for p in p2p_op_list}) > 1:
        raise ValueError("All ops need to use the same group.")
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


# ----------------------------------------------------------------------------- objects
def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank `src`'s `object_list` (picklable objects) replaces every rank's, in place."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("broadcast_object_list")
        return
    if src is None and group_src is None:
        src = 0
    root = _rank_in(pg, src, group_src, "src")
    got = pg._comm.broadcast_object(list(object_list) if pg.rank() == root else None, root)
    if pg.rank() != root:
        if len(got) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {pg._ranks[root]} sent "
                             f"{len(got)} objects but this rank's list has {len(object_list)}")
        object_list[:] = got


def all_gather_object(object_list, obj, group=None):
    """`object_list[i]` becomes rank i's `obj`."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("all_gather_object")
        return
    got = pg._comm.allgather_object(obj)
    for i, o in enumerate(got):
        object_list[i] = o


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """On rank `dst`, `object_gather_list[i]` becomes rank i's `obj`."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("gather_object")
        return
    if dst is None and group_dst is None:
        dst = 0
    root = _rank_in(pg, dst, group_dst, "dst")
    if pg.rank() == root and object_gather_list is None:
        raise ValueError("Must provide object_gather_list on dst rank")
    got = pg._comm.gather_object(obj, root)
    if pg.rank() == root:
        for i, o in enumerate(got):
            object_gather_list[i] = o


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """Rank i's `scatter_object_output_list[0]` becomes `scatter_object_input_list[i]` of
    rank `src`."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("scatter_object_list")
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    if src is None and group_src is None:
        src = 0
    root = _rank_in(pg, src, group_src, "src")
    objs = None
    if pg.rank() == root:
        objs = list(scatter_object_input_list or [])
        if len(objs) != pg.size():
            raise ValueError(f"scatter_object_list: scatter_object_input_list has {len(objs)} "
                             f"objects but the group has {pg.size()} ranks")
    scatter_object_output_list[0] = pg._comm.scatter_object(objs, root)


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None,
                     use_batch=False):
    """Send `object_list` (picklable objects) to rank `dst`."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("send_object_list")
        return
    pg._ctl.send_object(list(object_list), _peer(pg, dst, group_dst, "destination"), 0)


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None,
                     use_batch=False):
    """Fill `object_list` in place with the objects rank `src` sent (any rank when None);
    returns the sender's rank."""
    pg = _resolve(group)
    if pg is None:
        _warn_not_in_group("recv_object_list")
        return -1
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "source")
    got, sender = pg._ctl.recv_object(peer, 0)
    if len(got) != len(object_list):
        raise ValueError(f"recv_object_list: rank {pg._ranks[sender]} sent {len(got)} objects "
                         f"but this rank's list has {len(object_list)}")
    object_list[:] = got
    return pg._ranks[sender]
