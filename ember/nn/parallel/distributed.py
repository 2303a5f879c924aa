"""`DistributedDataParallel`: one model replica per process, gradients averaged across the
process group during backward.

At wrap time the model is checked to be the same on every rank, and rank 0's parameters
and buffers are broadcast to all. The parameters are split into buckets (reverse
registration order, about the order backward produces their gradients; 1 MiB for the first
bucket, `bucket_cap_mb` for the others). During backward a post-accumulate-grad hook on each
parameter counts its gradient in; when every parameter of a bucket is ready, the bucket's
gradients (each multiplied by 1/world_size) are copied into one flat buffer and a
nonblocking all-reduce starts, while backward goes on computing earlier layers. At the end of
backward (an autograd final callback) the remaining buckets start, all are waited for, and
the averaged gradients are written back into `.grad`.

A parameter used k times in the forward graph receives k gradient contributions; DDP finds k
by walking the autograd graph from the forward outputs, so it knows when a gradient is
complete. The same walk finds unused parameters for `find_unused_parameters=True`.
"""
import contextlib
import warnings

import numpy as np

from ... import distributed as dist
from ...autograd import engine as _engine
from ...autograd import grad_mode as _grad_mode
from ...tensor import Tensor, _make
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss. If you "
    "already have done the above, then the distributed data parallel module wasn't able to "
    "locate the output tensors in the return value of your module's `forward` function. "
    "Please include the loss function and the structure of the return value of `forward` of "
    "your module when reporting this issue (e.g. list, dict, iterable).\n"
    "Parameter indices which did not receive grad for rank {rank}: {indices}")

_READY_TWICE = (
    "Expected to mark a variable ready only once. This error is caused by one of the "
    "following reasons: 1) Use of a module parameter outside the `forward` function. Please "
    "make sure model parameters are not shared across multiple concurrent forward-backward "
    "passes. 2) Reused parameters in multiple reentrant backward passes. For example, if you "
    "use multiple `checkpoint` functions to wrap the same part of your model, it would result "
    "in the same set of parameters been used by different reentrant backward passes multiple "
    "times, and hence marking a variable ready multiple times. 3) Incorrect unused parameter "
    "detection. The return value of the `forward` function is inspected by the distributed "
    "data parallel wrapper to figure out if any of the module's parameters went unused. "
    "Parameter at index {index} with name {name} has been marked as ready twice.")


def _xp(arr):
    if isinstance(arr, np.ndarray):
        return np
    import cupy
    return cupy


def _same_memory(a, b):
    if a.shape != b.shape:
        return False
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    return a.data.ptr == b.data.ptr


class _Bucket:
    def __init__(self, dtype, device):
        self.dtype = dtype
        self.device = device
        self.index = []      # parameter indices
        self.offset = []
        self.numel = 0
        self.flat = None     # the flat buffer, allocated on first use
        self.request = None

    def nbytes(self, params):
        return self.numel * params[self.index[0]]._data.itemsize if self.index else 0


def _tensors_in(obj, out):
    """Every Tensor inside a (nested) forward output."""
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _tensors_in(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors_in(o, out)
    elif hasattr(obj, "__dataclass_fields__"):
        for k in obj.__dataclass_fields__:
            _tensors_in(getattr(obj, k), out)
    return out


def _leaf_uses(outputs):
    """id(leaf) -> number of graph edges into that leaf, over the autograd graph behind
    `outputs` (the number of gradient contributions backward will accumulate into it)."""
    uses = {}
    stack, seen = [], set()
    for t in outputs:
        fn = t.grad_fn
        if fn is None:
            if t._requires_grad:
                uses[id(t)] = uses.get(id(t), 0) + 1
        elif fn not in seen:
            seen.add(fn)
            stack.append(fn)
    while stack:
        node = stack.pop()
        for e in node._next:
            if e is None:
                continue
            nxt = e[0]
            if isinstance(nxt, Tensor):
                uses[id(nxt)] = uses.get(id(nxt), 0) + 1
            elif nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return uses


class DistributedDataParallel(Module):
    """Data parallelism across processes (see the module docstring). Wrap the model once
    per process after `init_process_group`, train as usual; each process feeds its own
    shard of the data (e.g. through `DistributedSampler`)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("param_to_hook_all_reduce", param_to_hook_all_reduce),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh),
                            ("bucket_cap_mb_list", bucket_cap_mb_list)):
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not "
                                          "implemented in ember")
        if skip_all_reduce_unused_params:
            raise NotImplementedError("DistributedDataParallel(skip_all_reduce_unused_params="
                                      "True) is not implemented in ember")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        devices = {p.device for p in module.parameters()}
        if len(devices) > 1:
            raise ValueError("DistributedDataParallel's module must have its parameters on one "
                             f"device, got {sorted(map(str, devices))}")
        device = next(iter(devices))
        if device.type == "cpu":
            if device_ids or output_device is not None:
                raise ValueError(
                    "DistributedDataParallel device_ids and output_device arguments only work "
                    "with single-device/multiple-device GPU modules or CPU modules, but got "
                    f"device_ids {device_ids}, output_device {output_device}, and module "
                    f"parameters {devices}.")
            self.device_ids = None
            self.output_device = None
        else:
            if device_ids is not None and len(device_ids) > 1:
                raise ValueError("device_ids can only be None or contain a single element.")
            self.device_ids = [_index(d) for d in device_ids] if device_ids else None
            self.output_device = _index(output_device if output_device is not None
                                        else (device_ids[0] if device_ids else None))
        self.module = module
        self.device = device
        self.dim = dim
        if broadcast_buffers is not None:
            if forward_sync_buffers is not None:
                warnings.warn(
                    "Both `broadcast_buffers` and `forward_sync_buffers` were specified. "
                    "`broadcast_buffers` is deprecated and its value is ignored when "
                    "`forward_sync_buffers` is provided.", FutureWarning, stacklevel=2)
            else:
                warnings.warn(
                    "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. "
                    "IMPORTANT: unlike `broadcast_buffers=False`, `forward_sync_buffers=False` "
                    "still syncs buffers at init. If you rely on buffers NOT being synced at "
                    "init (e.g. rank-local buffers), keep using `broadcast_buffers=False` until "
                    "`init_sync_buffers` is available.", FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers = forward_sync_buffers
            init_sync_buffers = True
        else:
            self.forward_sync_buffers = broadcast_buffers if broadcast_buffers is not None \
                else True
            init_sync_buffers = self.forward_sync_buffers
        self.broadcast_buffers = self.forward_sync_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph      # a hint; every graph is handled the same way
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

        pg = dist._resolve(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not in process_group")
        self.process_group = pg
        self._comm = pg._comm
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._params = [p for _, p in named]
        self._param_names = [n for n, _ in named]
        self._buffers_list = list(module.buffers())
        self._verify_same_model(named)
        if init_sync:
            self._broadcast(self._params + (self._buffers_list if init_sync_buffers else []))

        cap = int((bucket_cap_mb if bucket_cap_mb is not None else _DEFAULT_BUCKET_CAP_MB)
                  * 1024 * 1024)
        self.bucket_bytes_cap = cap
        # a small first bucket starts communication early, unless the user chose the size
        first = min(_DEFAULT_FIRST_BUCKET_BYTES, cap) if bucket_cap_mb is None else cap
        self._buckets = self._assign_buckets(first, cap)
        self._bucket_of = [None] * len(self._params)
        for b, bucket in enumerate(self._buckets):
            for i in bucket.index:
                self._bucket_of[i] = b
        self._hooks = [p.register_post_accumulate_grad_hook(
            lambda _p, i=i: self._grad_ready(i)) for i, p in enumerate(self._params)]
        self._prepared = False     # a synced forward ran: the next backward reduces
        self._started = False      # that backward has begun (hooks fired)
        self._unfinished = None    # error for the next forward

    # ------------------------------------------------------------------ setup
    def _verify_same_model(self, named):
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
        comm = self._comm
        if comm.size == 1:
            return
        try:
            comm.check_same("DistributedDataParallel", repr(mine))
        except ValueError:
            pass
        else:
            return
        lists = comm.allgather_object(mine, "DistributedDataParallel")
        me = comm.rank
        for r, theirs in enumerate(lists):
            if len(theirs) != len(mine):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {me} has "
                                   f"{len(mine)} params, while rank {r} has inconsistent "
                                   f"{len(theirs)} params.")
            for k, (a, b) in enumerate(zip(mine, theirs)):
                if a != b:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but at least one rank has "
                        f"a different model: parameter {k} is {a[0]} {list(a[1])} {a[2]} on "
                        f"rank {me} and {b[0]} {list(b[1])} {b[2]} on rank {r}.")

    def _broadcast(self, tensors):
        """Rank 0's values of `tensors` to every rank, one flat message per dtype."""
        comm = self._comm
        if comm.size == 1 or not tensors:
            return
        groups = {}
        for t in tensors:
            groups.setdefault((t._data.dtype.str, t._data.dtype.name), []).append(t)
        with _grad_mode.no_grad():
            for ts in groups.values():
                xp = _xp(ts[0]._data)
                flat = xp.concatenate([t._data.reshape(-1) for t in ts])
                comm.wait([comm.broadcast(flat, 0)], "DistributedDataParallel broadcast")
                off = 0
                for t in ts:
                    n = t._data.size
                    t._data[...] = flat[off:off + n].reshape(t._data.shape)
                    t._vc[0] += 1
                    off += n

    def _assign_buckets(self, first, cap):
        buckets, open_ = [], {}
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            key = (p._data.dtype.str, p._data.dtype.name)
            b = open_.get(key)
            if b is None:
                b = open_[key] = _Bucket(p._data.dtype, p.device)
            b.index.append(i)
            b.offset.append(b.numel)
            b.numel += p._data.size
            limit = first if not buckets else cap
            if b.nbytes(self._params) >= limit:
                buckets.append(b)
                del open_[key]
        buckets.extend(open_.values())
        return buckets

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self._unfinished is not None:
            msg, self._unfinished = self._unfinished, None
            raise RuntimeError(msg)
        if self._started:   # the previous backward started but never reached its end
            self._started = False
            raise RuntimeError(_UNFINISHED.format(rank=self._comm.rank, indices="?"))
        if self.require_forward_param_sync and self.forward_sync_buffers and \
                self._buffers_list:
            self._broadcast(self._buffers_list)
        if self.device_ids:
            inputs, kwargs = _to_device((inputs, kwargs), self.device)
        out = self.module(*inputs, **kwargs)
        if _grad_mode.is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self._prepare(out)
        else:
            self.require_forward_param_sync = False
            self._prepared = False
        return out

    def _prepare(self, out):
        uses = _leaf_uses(_tensors_in(out, []))
        self._expected = [uses.get(id(p), 0) for p in self._params]
        self._hits = [0] * len(self._params)
        self._ready = [False] * len(self._params)
        self._pending = [len(b.index) for b in self._buckets]
        self._next = 0
        self._prepared = True
        self._started = False

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally; the first synced backward
        after it all-reduces the accumulated sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ------------------------------------------------------------------ backward
    def _grad_ready(self, i):
        if not self._prepared:
            return
        if not self._started:
            self._started = True
            _engine.queue_callback(self._finalize)
            if self.find_unused_parameters:
                for j, e in enumerate(self._expected):
                    if e == 0:
                        self._mark_ready(j)
        h = self._hits[i] = self._hits[i] + 1
        e = self._expected[i]
        if h == e:
            self._mark_ready(i)
        elif h > e and (e > 0 or self.find_unused_parameters):
            self._prepared = self._started = False
            raise RuntimeError(_READY_TWICE.format(index=i, name=self._param_names[i]))
        self._progress()

    def _mark_ready(self, i):
        if self._ready[i]:
            return
        self._ready[i] = True
        b = self._bucket_of[i]
        self._pending[b] -= 1
        # buckets start strictly in order, so every rank issues the same sequence of calls
        while self._next < len(self._buckets) and self._pending[self._next] == 0:
            self._launch(self._buckets[self._next])
            self._next += 1

    def _launch(self, bucket):
        params = self._params
        if bucket.flat is None:
            bucket.flat = _xp(params[bucket.index[0]]._data).empty(bucket.numel, bucket.dtype)
        flat = bucket.flat
        scale = 1.0 / self._comm.size
        for i, off in zip(bucket.index, bucket.offset):
            p = params[i]
            view = flat[off:off + p._data.size]
            g = p._grad
            if g is None:
                view[...] = 0
            elif _same_memory(g._data.reshape(-1), view):
                view *= scale
            else:
                _xp(view).multiply(g._data.reshape(-1), scale, out=view)
        bucket.request = self._comm.allreduce(flat, "sum")

    def _progress(self):
        """Let MPI move data of buckets in flight (it progresses only inside its calls)."""
        for b in self._buckets[:self._next]:
            if b.request is not None:
                b.request.test()

    def _finalize(self):
        try:
            missing = [i for i, h in enumerate(self._hits) if h == 0]
            if missing and not self.find_unused_parameters:
                launched = self._buckets[:self._next]
                self._wait(launched)
                self._write_back(launched, None)
                self._unfinished = _UNFINISHED.format(rank=self._comm.rank,
                                                      indices=" ".join(map(str, missing)))
                return
            for i in range(len(self._params)):
                self._mark_ready(i)
            used = None
            extra = []
            if self.find_unused_parameters:
                used = np.array([h > 0 for h in self._hits], np.int32)
                extra = [self._comm.allreduce(used, "max")]
            self._wait(self._buckets, extra)
            self._write_back(self._buckets, used)
        finally:
            self._prepared = self._started = False

    def _wait(self, buckets, extra=()):
        reqs = [b.request for b in buckets if b.request is not None] + list(extra)
        self._comm.wait(reqs, "DistributedDataParallel gradient all_reduce")
        for b in buckets:
            b.request = None

    def _write_back(self, buckets, used):
        params = self._params
        for bucket in buckets:
            flat = bucket.flat
            for i, off in zip(bucket.index, bucket.offset):
                if used is not None and not used[i]:
                    continue   # unused on every rank: .grad stays as it was
                p = params[i]
                view = flat[off:off + p._data.size].reshape(p._data.shape)
                g = p._grad
                if self.gradient_as_bucket_view:
                    if g is None or not _same_memory(g._data, view):
                        p._grad = _make(view, p._device)
                elif g is None or not getattr(g._data.flags, "writeable", True) or \
                        g._data.shape != view.shape:
                    p._grad = _make(view.copy(), p._device)
                else:
                    g._data[...] = view

    # ------------------------------------------------------------------ not implemented
    def join(self, divide_by_initial_world_size=True, enable=True,
             throw_on_early_termination=False):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs) is not "
                                  "implemented in ember: give every rank the same number of "
                                  "batches (DistributedSampler does)")

    def register_comm_hook(self, state, hook):
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not "
                                  "implemented in ember")

    def _set_static_graph(self):
        self.static_graph = True


def _index(d):
    if d is None:
        return None
    if isinstance(d, int):
        return d
    return getattr(d, "index", None) or 0


def _to_device(obj, device):
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple):
        return tuple(_to_device(o, device) for o in obj)
    if isinstance(obj, list):
        return [_to_device(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj
