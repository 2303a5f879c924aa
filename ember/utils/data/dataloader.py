"""`DataLoader`: iterate over a dataset in batches, in the main process or with worker
processes (`num_workers > 0`) that prefetch batches in parallel.

Workers (multiprocessing, Linux's 'fork' by default, or any start method through
`multiprocessing_context`) receive lists of indices through a queue each and send each batch
back through their own pipe, pickled by the worker with big arrays in shared memory
(`_utils.transport`). The main process waits on those pipes and on the workers' process
sentinels together, so a worker that dies is noticed at once instead of hanging the loop.
"""
import atexit
import collections
import copy
import itertools
import math
import os
import pickle
import signal
import time
import warnings
import weakref
from typing import Generic, TypeVar
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence

from ... import dtypes as _dt
from ...ops import creation as _creation
from ...tensor import Tensor
from . import _utils
from ._utils import ExceptionWrapper, MP_STATUS_CHECK_INTERVAL, transport
from ._utils import worker as _worker
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

_T_co = TypeVar("_T_co", covariant=True)

default_collate = _utils.collate.default_collate
default_convert = _utils.collate.default_convert
get_worker_info = _worker.get_worker_info


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        cls = (_utils.fetch._MapDatasetFetcher if kind == _DatasetKind.Map
               else _utils.fetch._IterableDatasetFetcher)
        return cls(dataset, auto_collation, collate_fn, drop_last)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: the dataset decides what comes next, so the
    "indices" only count samples."""

    def __iter__(self):
        while True:
            yield None


def _cpu_count():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def _accelerator_available():
    from ... import cuda
    return cuda.is_available()


def pin_memory(data, device=None):
    """Copy the tensors in `data` into page-locked memory (for faster host-to-GPU copies)."""
    if isinstance(data, Tensor):
        pin = getattr(data, "pin_memory", None)
        return pin() if pin is not None else data
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, Mapping):
        items = {k: pin_memory(v, device) for k, v in data.items()}
        try:
            if isinstance(data, MutableMapping):
                clone = copy.copy(data)
                clone.update(items)
                return clone
            return type(data)(items)
        except TypeError:
            return items
    if isinstance(data, tuple) and hasattr(data, "_fields"):   # namedtuple
        return type(data)(*(pin_memory(x, device) for x in data))
    if isinstance(data, tuple):
        return [pin_memory(x, device) for x in data]
    if isinstance(data, Sequence):
        items = [pin_memory(x, device) for x in data]
        try:
            if isinstance(data, MutableSequence):
                clone = copy.copy(data)
                for i, x in enumerate(items):
                    clone[i] = x
                return clone
            return type(data)(items)
        except TypeError:
            return items
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    return data


class DataLoader(Generic[_T_co]):
    """Combines a dataset and a sampler and iterates over batches.

    batch_size=None turns batching off (each sample is converted, not collated);
    `batch_sampler` replaces batch_size/shuffle/sampler/drop_last. With `num_workers > 0`
    batches are produced by worker processes, each seeded with `base_seed + worker_id`
    (`base_seed` drawn from `generator`, or the default generator, per iterator)."""

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                 *, prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle is not None and callable(getattr(dataset, "set_shuffle", None)):
                # a datapipe (ember.text's datasets) shuffles its own stream, as PyTorch's
                # DataLoader does for an IterDataPipe: shuffle switches its shuffle stage
                dataset.set_shuffle(bool(shuffle))
            elif shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        # len(dataset) as seen by len(loader), to warn when an IterableDataset yields more
        self._IterableDataset_len_called = None
        self._iterator = None
        self.check_worker_number_rationality()

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            import multiprocessing
            if self.num_workers <= 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                valid = multiprocessing.get_all_start_methods()
                if context not in valid:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {valid!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                "object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler",
                                           "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        """Warn when asked for more workers than this process may run on CPUs."""
        if not self.num_workers:
            return
        suggest = _cpu_count()
        if suggest is not None and self.num_workers <= suggest:
            return
        if suggest is None:
            detail = ("DataLoader is not able to compute a suggested max number of worker in "
                      "current system.")
        else:
            cpuset = "" if hasattr(os, "sched_getaffinity") else \
                " (`cpuset` is not taken into account)"
            detail = (f"Our suggested max number of worker in current system is {suggest}"
                      f"{cpuset}, which is smaller than what this DataLoader is going to "
                      "create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                      f"total. {detail} Please be aware that excessive worker creation might "
                      "get DataLoader running slow or even freeze, lower the worker number to "
                      "avoid potential slowness/freeze if necessary.", stacklevel=2)


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be "
                          "used as the device,ignore pin_memory_device="
                          f"'{loader.pin_memory_device}'.", stacklevel=2)
        accelerator = _accelerator_available()
        if loader.pin_memory and not accelerator:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=2)
        self._pin_memory = loader.pin_memory and accelerator
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        # drawn for every iterator (also without workers), as PyTorch does, so the default
        # generator advances the same way
        self._base_seed = int(_creation.empty((), dtype=_dt.int64)
                              .random_(generator=loader.generator).item())
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if self._dataset_kind == _DatasetKind.Iterable and \
                self._IterableDataset_len_called is not None and \
                self._num_yielded > self._IterableDataset_len_called:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be "
                   f"{self._IterableDataset_len_called}(when accessing len(dataloader)), but "
                   f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data."
                        "IterableDataset for examples.")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError("{} cannot be pickled", self.__class__.__name__)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._dataset_fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
            self._drop_last)

    def _next_data(self):
        index = self._next_index()                   # may raise StopIteration
        data = self._dataset_fetcher.fetch(index)    # may raise StopIteration
        return pin_memory(data) if self._pin_memory else data


# iterators with live workers, shut down at exit before multiprocessing kills the workers
_live_iterators = weakref.WeakSet()
# Their index queues, held here too: when an iterator dies in a reference cycle, the garbage
# collector would otherwise close its queues (their finalizers run before __del__) and the
# stop signals __del__ sends would never reach the workers.
_live_index_queues = {}


def _shutdown_live_iterators():
    for it in list(_live_iterators):
        it._shutdown_workers()


_atexit_registered = False


def _register_atexit():
    """Registered after multiprocessing is imported, so that it runs before
    multiprocessing's own exit handler terminates the workers (handlers run in reverse)."""
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_shutdown_live_iterators)
        _atexit_registered = True


class _ReleasedSegments:
    """Names of shared-memory segments whose arrays the main process has dropped (filled
    from finalizers, which may run at any time, so only appended to here)."""

    def __init__(self):
        self.names = collections.deque()
        self.owner = {}       # segment-name prefix -> worker id
        self.closed = False

    def add(self, name):
        if not self.closed:
            self.names.append(name)


def _connection():
    import multiprocessing.connection
    return multiprocessing.connection


def _worker_death_message(w):
    """What PyTorch's SIGCHLD handler reports for a worker that ended."""
    code = w.exitcode
    if code is not None and code < 0:
        try:
            name = signal.strsignal(-code)
        except ValueError:
            name = f"signal {-code}"
        return f"DataLoader worker (pid {w.pid}) is killed by signal: {name}. "
    return (f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}. "
            "Details are lost due to multiprocessing. Rerunning with num_workers=0 may give "
            "better error trace.")


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Keeps `prefetch_factor * num_workers` tasks (a task: one batch's indices) in flight,
    handed to workers round-robin, and returns results in task order (or in arrival order
    when `in_order=False`)."""

    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        # imported here: `import ember` shouldn't pay for multiprocessing
        import multiprocessing
        import multiprocessing.connection
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        _register_atexit()
        self._worker_init_fn = loader.worker_init_fn
        self._shutdown = False
        self._owner_pid = os.getpid()   # a forked child may hold a copy of this iterator
        self._workers_done_event = ctx.Event()
        self._index_queues, self._result_conns, self._workers, self._tokens = [], [], [], []
        self._released = _ReleasedSegments()
        self._workers_status = [True] * self._num_workers
        try:
            for i in range(self._num_workers):
                self._start_worker(ctx, i)
        except BaseException:
            self._shutdown_workers()
            raise
        self._pending = collections.deque()   # results read but not yet consumed
        _live_iterators.add(self)
        _live_index_queues[id(self)] = self._index_queues
        self._reset(loader, first_iter=True)

    def _start_worker(self, ctx, worker_id):
        index_queue = ctx.Queue()
        index_queue.cancel_join_thread()
        reader, writer = ctx.Pipe(duplex=False)
        token = f"{os.getpid()}_{os.urandom(6).hex()}"
        w = ctx.Process(target=_worker._worker_loop, args=(
            self._dataset_kind, self._dataset, index_queue, writer, self._workers_done_event,
            self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
            self._worker_init_fn, worker_id, self._num_workers, token))
        w.daemon = True
        self._index_queues.append(index_queue)
        self._result_conns.append(reader)
        self._tokens.append(token)
        self._released.owner[f"ember_{token}"] = worker_id
        try:
            w.start()
        except (TypeError, AttributeError, pickle.PicklingError):
            warnings.warn("Got pickle error when attempting to start a worker Process. This "
                          "might be because the worker Process arguments are not picklable. "
                          "Python 3.14+ changed the multiprocessing start method in non-Mac "
                          "POSIX platforms to 'forkserver', which requires the worker Process "
                          "arguments to be picklable. You can also try "
                          "multiprocessing.set_start_method('fork').", stacklevel=2)
            raise
        finally:
            # our copy of the worker's end must go, or the pipe never reports its death
            writer.close()
        self._workers.append(w)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0            # index of the next task to send
        self._rcvd_idx = 0            # index of the next task to return
        self._task_info = {}          # task -> (worker,) while in flight, (worker, data) after
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: discard what the previous epoch left in flight
            for q in self._index_queues:
                q.put(_worker._ResumeIteration())
            remaining = self._num_workers
            while remaining > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    remaining -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    # ------------------------------------------------------------ receiving
    def _watch_list(self):
        conns = [c for c in self._result_conns if c is not None]
        alive = [w.sentinel for i, w in enumerate(self._workers) if self._workers_status[i]]
        return conns, alive

    def _read_ready(self, ready):
        for obj in ready:
            if not isinstance(obj, _connection().Connection):
                continue
            try:
                payload = obj.recv_bytes()
            except (EOFError, OSError):
                i = self._result_conns.index(obj)
                self._result_conns[i] = None
                obj.close()
                continue
            self._pending.append(transport.loads(payload, self._released.add))

    def _raise_if_workers_died(self):
        failed = [i for i, w in enumerate(self._workers)
                  if self._workers_status[i] and not w.is_alive()]
        if not failed:
            return
        for i in failed:
            self._mark_worker_as_unavailable(i)
        pids = ", ".join(str(self._workers[i].pid) for i in failed)
        cause = RuntimeError(" ".join(_worker_death_message(self._workers[i]) for i in failed))
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from cause

    def _try_get_data(self, timeout=None):
        """(True, (task, data)) for the next result to arrive, or (False, None) when
        `timeout` seconds pass; raises RuntimeError when a worker has died."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            conns, sentinels = self._watch_list()
            if not conns and not sentinels:
                raise RuntimeError("DataLoader has no worker left to wait for")
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = _connection().wait(conns + sentinels, left)
            self._read_ready(ready)
            if self._pending:
                break
            self._raise_if_workers_died()
            if deadline is not None and time.monotonic() >= deadline:
                return False, None
        return True, self._pending.popleft()

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get_data(self._timeout)
            if not ok:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        return self._try_get_data()[1]

    def _return_released_segments(self):
        """Tell workers which of their shared-memory segments the batches we handed out no
        longer use, so they write later batches into them."""
        by_worker = {}
        while self._released.names:
            name = self._released.names.popleft()
            worker_id = self._released.owner.get(name.rsplit("_", 1)[0])
            if worker_id is not None:
                by_worker.setdefault(worker_id, []).append(name)
        for worker_id, names in by_worker.items():
            if self._workers_status[worker_id]:
                self._index_queues[worker_id].put(transport.ReleasedSegments(names))

    # ------------------------------------------------------------ task bookkeeping
    def _next_data(self):
        if self._released.names:
            self._return_released_segments()
        while True:
            # skip tasks whose worker ended (an exhausted IterableDataset copy)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            if self._shutdown or self._tasks_outstanding <= 0:
                raise AssertionError("Invalid iterator state: shutdown or no outstanding tasks "
                                     "when fetching next data")
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._dataset_kind == _DatasetKind.Iterable and \
                    isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self):
        max_tasks = self._prefetch_factor * self._num_workers
        if self._tasks_outstanding >= max_tasks:
            raise AssertionError("Number of outstanding tasks exceeded maximum allowed tasks")
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):   # the next active worker, if any
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                if self._in_order or \
                        self._workers_num_tasks[worker_id] < max_tasks // sum(
                            self._workers_status):
                    break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return pin_memory(data) if self._pin_memory else data

    def _mark_worker_as_unavailable(self, worker_id, shutdown=False):
        self._index_queues[worker_id].put(None)   # the worker exits when it reads this
        self._workers_status[worker_id] = False

    # ------------------------------------------------------------ shutdown
    def _shutdown_workers(self):
        if _utils.python_exit_status is True or self._shutdown or \
                os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        self._released.closed = True
        try:
            self._workers_done_event.set()
            for i in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[i]:
                    self._mark_worker_as_unavailable(i, shutdown=True)
            self._drain_until_exit(MP_STATUS_CHECK_INTERVAL)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=MP_STATUS_CHECK_INTERVAL)
            for c in self._result_conns:
                if c is not None:
                    c.close()
            self._result_conns = [None] * len(self._result_conns)
            for token in self._tokens:
                transport.remove_leftovers(token)
            _live_iterators.discard(self)
            if _live_index_queues.get(id(self)) is self._index_queues:
                del _live_index_queues[id(self)]

    def _drain_until_exit(self, timeout):
        """Read and drop results until every worker has exited: a worker blocked sending a
        batch would otherwise never read its stop signal."""
        deadline = time.monotonic() + timeout
        while True:
            sentinels = [w.sentinel for w in self._workers if w.is_alive()]
            left = deadline - time.monotonic()
            if not sentinels or left <= 0:
                return
            conns = [c for c in self._result_conns if c is not None]
            for c in _connection().wait(conns + sentinels, left):
                if isinstance(c, _connection().Connection):
                    try:
                        c.recv_bytes()
                    except (EOFError, OSError):
                        self._result_conns[self._result_conns.index(c)] = None
                        c.close()

    def __del__(self):
        if hasattr(self, "_workers"):
            self._shutdown_workers()
