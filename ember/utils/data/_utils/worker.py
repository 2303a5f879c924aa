"""What runs inside a DataLoader worker process: seeding, `get_worker_info()`, and the loop
that turns indices from the main process into batches sent back."""
import os
import queue
import random
from dataclasses import dataclass

import numpy as np

from . import ExceptionWrapper, MP_STATUS_CHECK_INTERVAL, transport

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """Inside a worker: its `id` (0..num_workers-1), `num_workers`, the `seed` its random
    generators were seeded with, and its own copy of the `dataset`."""
    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """The `WorkerInfo` of the current DataLoader worker process; None in the main process.
    Use it in `worker_init_fn` or in an IterableDataset's `__iter__` to shard the data."""
    return _worker_info


def _shared_empty(shape, dtype):
    return transport.shared_empty(shape, dtype)


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent back when a worker's copy of an IterableDataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to (and echoed by) persistent workers at the start of each new epoch."""
    seed: object = None


def _numpy_seed(base_seed, worker_id):
    """NumPy's legacy global seed for a worker: four 32-bit words from NumPy's SeedSequence
    over (worker_id, base_seed), the same words PyTorch derives."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4)


def _seed_worker(base_seed, worker_id):
    from ....ops.random import default_generator
    seed = base_seed + worker_id
    random.seed(seed)
    # the CPU generator only: touching CUDA in a forked child would break it
    default_generator.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


def _send(conn, idx, data):
    try:
        payload = transport.dumps((idx, data))
    except Exception:
        if isinstance(data, ExceptionWrapper):
            # the exception's type can't be pickled (say, a local class): its traceback
            # text still says what it was
            data.exc_type = RuntimeError
        else:   # an unpicklable batch: report that instead
            data = ExceptionWrapper(where=f"in DataLoader worker process {_worker_info.id}")
        payload = transport.dumps((idx, data))
    conn.send_bytes(payload)
    transport.message_done()


def _worker_loop(dataset_kind, dataset, index_queue, result_conn, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers, token):
    from ..dataloader import _DatasetKind
    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        transport.init_worker(token)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                  collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=where)
        iteration_end = False
        parent = os.getppid()
        while True:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:   # the main process is gone
                    break
                continue
            if r is None:
                break
            if isinstance(r, transport.ReleasedSegments):
                transport.reclaim(r.names)
                continue
            if isinstance(r, _ResumeIteration):
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                      collate_fn, drop_last)
                _send(result_conn, r, None)
                continue
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            _send(result_conn, idx, data)
            del data, idx, index, r
    except (KeyboardInterrupt, BrokenPipeError, EOFError):
        # interrupted, or the main process closed its end: nothing is waiting for results
        pass
    finally:
        transport.close_worker()
