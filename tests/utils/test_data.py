"""ember.utils.data: datasets, samplers, collation and the DataLoader with real worker
processes, compared with torch.utils.data where the result is deterministic."""
import collections
import enum
import glob
import math
import os
import pickle
import random
import signal
import time
import warnings

import numpy as np
import pytest

import ember
from ember.utils import data as ed
from ember.utils.data._utils import transport

try:
    import torch
    from torch.utils import data as td
except ImportError:   # the comparisons skip; the invariants still run
    torch = td = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")


# ---------------------------------------------------------------- helpers
def plain(x):
    """A framework-neutral view of a (nested) batch: tensors become (dtype, shape, values)
    and containers keep their type name, so ember's and torch's results compare with ==."""
    if ember.is_tensor(x) or (torch is not None and isinstance(x, torch.Tensor)):
        return ("tensor", str(x.dtype), tuple(x.shape), x.tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__,) + tuple(plain(v) for v in x)
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: plain(v) for k, v in x.items()})
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.tolist())
    return x


def both(fn):
    """fn(lib) with lib = ember.utils.data and torch.utils.data; returns both results."""
    return fn(ember, ed), fn(torch, td)


def same_error(fn):
    """fn(lib, data) must raise the same exception type and message in both frameworks."""
    errors = []
    for lib, data in ((ember, ed), (torch, td)):
        with pytest.raises(Exception) as info:
            fn(lib, data)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
    return errors[0]


# Datasets used by worker processes live at module level so 'spawn' can pickle them.
class Squares(ed.Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return ember.full((2,), float(i * i)), i


class PidDataset(ed.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        time.sleep(0.01)   # so that both workers get to work
        return i, os.getpid()


class InfoDataset(ed.Dataset):
    """Reports what a worker sees: its info, and one draw from each random generator."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = ed.get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "same_dataset_type": type(info.dataset) is InfoDataset,
                "python": random.randrange(1 << 30), "numpy": int(np.random.randint(1 << 30)),
                "ember": int(ember.randint(0, 1 << 30, ()).item()), "pid": os.getpid()}


class FailAt(ed.Dataset):
    def __init__(self, bad, exc=ValueError):
        self.bad, self.exc = bad, exc

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"bad sample {i}")
        return i


class KillAt(ed.Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        if i == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Sleepy(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(0.5)
        return i


class RangeStream(ed.IterableDataset):
    """range(start, end), split between workers in contiguous shards."""

    def __init__(self, start, end, length=None):
        self.start, self.end, self.length = start, end, length

    def __iter__(self):
        info = ed.get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per = math.ceil((self.end - self.start) / info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))

    def __len__(self):
        if self.length is None:
            raise TypeError("no length")
        return self.length


class BigImages(ed.Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, i):
        return ember.full((3, 64, 64), float(i)), np.full((40, 40), i, np.float64)


class SegmentCounter(ed.Dataset):
    """Big samples, plus how many shared-memory segments this worker has created so far."""

    def __len__(self):
        return 64

    def __getitem__(self, i):
        return ember.full((64, 64), float(i)), transport._counter.__reduce__()[1][0]


class Unpicklable(ed.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return lambda: i


class LocalFailure(ed.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        class Local(Exception):   # can't be pickled back to the main process
            pass
        raise Local("local failure")


def record_worker_id(worker_id):
    info = ed.get_worker_info()
    assert info.id == worker_id
    os.environ["EMBER_TEST_INIT"] = str(worker_id)   # read back through EnvDataset


class EnvDataset(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return int(os.environ.get("EMBER_TEST_INIT", "-1"))


def failing_init(worker_id):
    raise KeyError("init failed")


def shm_files():
    return set(glob.glob("/dev/shm/ember_*"))


# ---------------------------------------------------------------- datasets
@needs_torch
def test_tensor_dataset_matches_torch():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.arange(4)

    def run(lib, data):
        ds = data.TensorDataset(lib.tensor(x), lib.tensor(y))
        return len(ds), plain(ds[1]), plain(ds[-1]), plain(ds[1:3])
    e, t = both(run)
    assert e == t
    same_error(lambda lib, data: data.TensorDataset(lib.zeros(3), lib.zeros(4)))


def test_tensor_dataset_size_mismatch_message():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ed.TensorDataset(ember.zeros(3, 2), ember.zeros(4))


@needs_torch
def test_concat_dataset_matches_torch():
    def run(lib, data):
        a = data.TensorDataset(lib.arange(3))
        b = data.TensorDataset(lib.arange(10, 15))
        c = a + b
        idx = list(range(-8, 8))
        return (type(c).__name__, len(c), c.cumulative_sizes,
                [plain(c[i]) for i in idx])
    e, t = both(run)
    assert e == t
    same_error(lambda lib, data: data.ConcatDataset([]))
    same_error(lambda lib, data: (data.TensorDataset(lib.arange(3)) +
                                  data.TensorDataset(lib.arange(2)))[-6])
    same_error(lambda lib, data: data.ConcatDataset([data.TensorDataset(lib.arange(3)),
                                                     data.IterableDataset()]))
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert ed.ConcatDataset([range(2)]).cummulative_sizes == [2]


def test_chain_dataset_and_iterable_add():
    a, b = RangeStream(0, 3, length=3), RangeStream(10, 12, length=2)
    chained = a + b
    assert isinstance(chained, ed.ChainDataset)
    assert list(chained) == [0, 1, 2, 10, 11]
    assert len(chained) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ed.ChainDataset([a, Squares()]))


def test_subset_and_getitems():
    base = Squares(10)
    sub = ed.Subset(base, [9, 2, 4])
    assert len(sub) == 3
    assert sub[0][1] == 9
    assert [s[1] for s in sub.__getitems__([2, 0])] == [4, 9]

    class BadSubset(ed.Subset):
        def __getitem__(self, i):
            return 0
    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        BadSubset(base, [0])


@needs_torch
def test_random_split_lengths_match_torch():
    for n, fracs in ((10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.25] * 4), (3, [0.1, 0.9]),
                     (101, [0.8, 0.1, 0.1])):
        e, t = both(lambda lib, data: [len(s) for s in data.random_split(range(n), fracs)])
        assert e == t, (n, fracs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = both(lambda lib, data: [len(s) for s in data.random_split(range(2), [0.1] * 10)])
    assert e == t
    same_error(lambda lib, data: data.random_split(range(5), [2, 2]))
    same_error(lambda lib, data: data.random_split(range(5), [1.5, -0.5]))


def test_random_split_partitions_and_is_reproducible():
    parts = ed.random_split(range(20), [5, 7, 8], generator=ember.Generator().manual_seed(3))
    assert [len(p) for p in parts] == [5, 7, 8]
    assert sorted(i for p in parts for i in p) == list(range(20))
    again = ed.random_split(range(20), [5, 7, 8], generator=ember.Generator().manual_seed(3))
    assert [list(p) for p in parts] == [list(p) for p in again]
    ember.manual_seed(1)
    a = [list(p) for p in ed.random_split(range(20), [0.5, 0.5])]
    ember.manual_seed(1)
    assert a == [list(p) for p in ed.random_split(range(20), [0.5, 0.5])]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ed.random_split(range(1), [0.5, 0.5])


@needs_torch
def test_stack_dataset_matches_torch():
    def run(lib, data):
        a = data.TensorDataset(lib.arange(4))
        b = data.TensorDataset(lib.arange(10, 14))
        tup, named = data.StackDataset(a, b), data.StackDataset(x=a, y=b)
        return (len(tup), plain(tup[2]), plain(named[3]), plain(tup.__getitems__([0, 3])),
                plain(named.__getitems__([1])))
    e, t = both(run)
    assert e == t
    same_error(lambda lib, data: data.StackDataset(range(2), x=range(2)))
    same_error(lambda lib, data: data.StackDataset(range(2), range(3)))
    same_error(lambda lib, data: data.StackDataset())


# ---------------------------------------------------------------- samplers
@needs_torch
def test_sequential_and_batch_sampler_match_torch():
    for n, bs, drop in ((10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False),
                        (0, 2, False), (7, 1, True)):
        e, t = both(lambda lib, data: (
            list(data.BatchSampler(data.SequentialSampler(range(n)), bs, drop)),
            len(data.BatchSampler(data.SequentialSampler(range(n)), bs, drop))))
        assert e == t
    assert list(ed.BatchSampler([5, 1, 3], 2, False)) == [[5, 1], [3]]
    for bad in ((range(3), 0, False), (range(3), True, False), (range(3), 2, 1)):
        same_error(lambda lib, data: data.BatchSampler(*bad))


def test_random_sampler_is_a_permutation_and_reproducible():
    s = ed.RandomSampler(range(50))
    order = list(s)
    assert sorted(order) == list(range(50)) and len(s) == 50
    ember.manual_seed(0)
    a = list(ed.RandomSampler(range(50)))
    ember.manual_seed(0)
    assert list(ed.RandomSampler(range(50))) == a
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    assert list(ed.RandomSampler(range(30), generator=g1)) == \
        list(ed.RandomSampler(range(30), generator=g2))
    # without replacement, more samples than data: whole permutations, then a part of one
    many = list(ed.RandomSampler(range(7), num_samples=17))
    assert len(many) == 17
    assert sorted(many[:7]) == sorted(many[7:14]) == list(range(7))
    assert len(set(many[14:])) == 3
    with_repl = list(ed.RandomSampler(range(3), replacement=True, num_samples=100))
    assert len(with_repl) == 100 and set(with_repl) == {0, 1, 2}


@needs_torch
def test_random_sampler_errors_match_torch():
    same_error(lambda lib, data: data.RandomSampler(range(3), replacement=1))
    same_error(lambda lib, data: data.RandomSampler(range(3), num_samples=0))
    same_error(lambda lib, data: data.RandomSampler(range(0)))
    same_error(lambda lib, data: data.RandomSampler(range(3), num_samples=2.0))


def test_subset_random_and_weighted_samplers():
    idx = [3, 8, 11, 20]
    s = ed.SubsetRandomSampler(idx)
    assert sorted(s) == idx and len(s) == 4
    w = ed.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200)
    drawn = list(w)
    assert len(drawn) == 200 == len(w) and set(drawn) == {1, 3}
    assert drawn.count(3) > drawn.count(1)
    distinct = list(ed.WeightedRandomSampler([1, 2, 3, 4, 5], 5, replacement=False))
    assert sorted(distinct) == [0, 1, 2, 3, 4]
    assert ed.WeightedRandomSampler([1, 2], 1).weights.dtype == ember.float64


@needs_torch
def test_weighted_sampler_errors_match_torch():
    same_error(lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], 0))
    same_error(lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], True))
    same_error(lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], 2, replacement=0))
    same_error(lambda lib, data: data.WeightedRandomSampler([[1.0, 2.0]], 2))


@needs_torch
def test_distributed_sampler_without_shuffle_matches_torch():
    for n in (0, 1, 5, 10, 11, 16, 17):
        for replicas in (1, 2, 3, 4):
            for drop in (False, True):
                for rank in range(replicas):
                    e, t = both(lambda lib, data: (lambda s: (list(s), len(s), s.total_size))(
                        data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                drop_last=drop)))
                    assert e == t, (n, replicas, rank, drop)


def test_distributed_sampler_shuffle_partitions_and_set_epoch():
    n, replicas = 23, 4
    parts = [list(ed.DistributedSampler(range(n), replicas, r, seed=7)) for r in range(replicas)]
    assert all(len(p) == 6 for p in parts)
    flat = [i for p in parts for i in p]
    assert set(flat) == set(range(n)) and len(flat) == 24   # one index repeated as padding
    # every rank derives the same permutation from seed + epoch
    again = [list(ed.DistributedSampler(range(n), replicas, r, seed=7)) for r in range(replicas)]
    assert parts == again
    s = ed.DistributedSampler(range(n), replicas, 0, seed=7)
    s.set_epoch(1)
    assert s.epoch == 1 and list(s) != parts[0]
    s.set_epoch(0)
    assert list(s) == parts[0]
    dropped = [list(ed.DistributedSampler(range(n), replicas, r, drop_last=True))
               for r in range(replicas)]
    assert all(len(p) == 5 for p in dropped)
    assert len({i for p in dropped for i in p}) == 20


@needs_torch
def test_distributed_sampler_errors_match_torch():
    same_error(lambda lib, data: data.DistributedSampler(range(4)))
    same_error(lambda lib, data: data.DistributedSampler(range(4), num_replicas=2))
    same_error(lambda lib, data: data.DistributedSampler(range(4), 2, 2))
    same_error(lambda lib, data: data.DistributedSampler(range(4), 2, -1))


# ---------------------------------------------------------------- collation
Point = collections.namedtuple("Point", "x y")


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2

COLLATE_CASES = {
    "tensors": lambda lib: [lib.arange(3), lib.arange(3, 6)],
    "float tensors 2d": lambda lib: [lib.ones(2, 2), lib.zeros(2, 2)],
    "python floats": lambda lib: [1.5, 2.0, -3.25],
    "python ints": lambda lib: [1, 2, 3],
    "bools": lambda lib: [True, False],
    "numpy arrays": lambda lib: [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
    "numpy float arrays": lambda lib: [np.ones((2, 2)), np.zeros((2, 2))],
    "numpy 0-d arrays": lambda lib: [np.array(3.0), np.array(4.0)],
    "numpy scalars": lambda lib: [np.float32(1.5), np.float32(2.5)],
    "numpy int scalars": lambda lib: [np.int16(1), np.int16(2)],
    "numpy bool scalars": lambda lib: [np.bool_(True), np.bool_(False)],
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"b"],
    "dicts": lambda lib: [{"a": 1, "b": lib.zeros(2)}, {"a": 2, "b": lib.ones(2)}],
    "tuples": lambda lib: [(lib.zeros(2), 1, "x"), (lib.ones(2), 2, "y")],
    "lists": lambda lib: [[1, 2.5], [3, 4.5]],
    "namedtuples": lambda lib: [Point(1, np.zeros(2)), Point(2, np.ones(2))],
    "nested": lambda lib: [{"p": [Point(1.0, "s")], "t": (lib.zeros(1), {"k": 3})}] * 2,
    # the fast paths of collate_tensor_fn / collate_int_fn / collate_float_fn and the ones
    # they hand back to `stack` / `tensor`
    "0-d tensors": lambda lib: [lib.tensor(1.5), lib.tensor(2.5)],
    "mixed dtype tensors": lambda lib: [lib.zeros(2), lib.ones(2, dtype=lib.int64)],
    "requires grad tensors": lambda lib: [lib.ones(2, requires_grad=True), lib.zeros(2)],
    "parameters": lambda lib: [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.zeros(2))],
    "non-contiguous tensors": lambda lib: [lib.arange(6.).reshape(2, 3).t(),
                                           lib.arange(6., 12.).reshape(2, 3).t()],
    "float64 tensors 3d": lambda lib: [lib.ones(1, 2, 3, dtype=lib.float64)] * 3,
    "int then float": lambda lib: [1, 2.5],
    "float then int": lambda lib: [1.5, 2],
    "int then bool": lambda lib: [1, True],
    "float then bool": lambda lib: [1.5, True],
    "int enums": lambda lib: [Color.RED, Color.GREEN],
    "big ints": lambda lib: [1, 2 ** 62],
    "tuple of lists": lambda lib: [(1, [2.0]), (3, [4.0])],
}


@needs_torch
@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case):
    e, t = both(lambda lib, data: plain(data.default_collate(COLLATE_CASES[case](lib))))
    assert e == t


@needs_torch
@pytest.mark.parametrize("case", ["numpy arrays", "numpy scalars", "dicts", "tuples",
                                  "namedtuples", "strings", "lists", "python floats"])
def test_default_convert_matches_torch(case):
    for sample in COLLATE_CASES[case](None if "tensor" in case else np):
        e, t = both(lambda lib, data: plain(data.default_convert(sample)))
        assert e == t


def test_default_convert_shares_numpy_memory():
    a = np.zeros(3)
    t = ed.default_convert(a)
    a[0] = 5
    assert t.dtype == ember.float64 and t[0].item() == 5


@needs_torch
def test_collate_errors_match_torch():
    kind, msg = same_error(lambda lib, data: data.default_collate([lib.zeros(3),
                                                                   lib.zeros(4)]))
    assert kind is RuntimeError and "stack expects each tensor to be equal size" in msg
    same_error(lambda lib, data: data.default_collate([[1, 2], [3]]))
    for shapes in ([(1, 3), (2, 3)], [(), (1,)], [(1,), ()], [(1, 3), (1, 3, 1)],
                   [(2,), (2,), (3,)]):
        kind, msg = same_error(lambda lib, data: data.default_collate(
            [lib.zeros(s) for s in shapes]))
        assert kind is RuntimeError and "stack expects each tensor to be equal size" in msg
    same_error(lambda lib, data: data.default_collate([(1, 2), (3,)]))
    same_error(lambda lib, data: data.default_collate([(1, 2), 3]))
    same_error(lambda lib, data: data.default_collate([object()]))
    same_error(lambda lib, data: data.default_collate([np.array(["a"]), np.array(["b"])]))


def test_collate_with_custom_map():
    from ember.utils.data._utils.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v
    fns = {**default_collate_fn_map,
           Box: lambda batch, *, collate_fn_map: sum(b.v for b in batch)}
    assert collate([(Box(1), 2), (Box(3), 4)], collate_fn_map=fns)[0] == 4


# ---------------------------------------------------------------- DataLoader, one process
@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
    dict(batch_size=10), dict(batch_sampler=[[0, 2], [5], [1, 3, 4]]),
    dict(sampler=[4, 4, 0]), dict(batch_size=2, collate_fn=lambda b: [len(b)] + b)])
def test_loader_batches_match_torch(kwargs):
    def run(lib, data):
        x = lib.arange(14.).reshape(7, 2)
        ds = data.TensorDataset(x, lib.arange(7))
        loader = data.DataLoader(ds, **kwargs)
        return len(loader), [plain(b) for b in loader]
    e, t = both(run)
    assert e == t


@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(shuffle=True, sampler=[0]), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
    dict(multiprocessing_context="spawn"), dict(num_workers=1, multiprocessing_context="bogus"),
    dict(num_workers=1, multiprocessing_context=3)])
def test_loader_option_errors_match_torch(kwargs):
    same_error(lambda lib, data: data.DataLoader(range(5), **kwargs))


@needs_torch
def test_iterable_dataset_option_errors_match_torch():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        same_error(lambda lib, data: data.DataLoader(
            (ed if lib is ember else td).IterableDataset(), **kwargs))


def test_loader_attributes_are_frozen_after_init():
    loader = ed.DataLoader(range(4))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0   # not frozen, as in PyTorch


@needs_torch
def test_loader_len_and_iterable_length_warning():
    def run(lib, data):
        stream = (RangeStream if lib is ember else TorchRangeStream)(0, 7, length=5)
        lens = [len(data.DataLoader(stream, batch_size=b, drop_last=d))
                for b, d in ((None, False), (2, False), (2, True), (5, False))]
        loader = data.DataLoader(stream, batch_size=None)
        len(loader)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = list(loader)
        msgs = [str(w.message).replace(repr(stream), "DS") for w in caught]
        return lens, out, msgs
    e, t = both(run)
    assert e[0] == t[0] and e[1] == t[1]
    assert len(e[2]) == 2 and e[2] == t[2]
    assert "was reported to be 5(when accessing len(dataloader)), but 6 samples" in e[2][0]


if td is not None:
    class TorchRangeStream(td.IterableDataset):
        def __init__(self, start, end, length=None):
            self.start, self.end, self.length = start, end, length

        def __iter__(self):
            return iter(range(self.start, self.end))

        def __len__(self):
            return self.length


def test_shuffle_is_reproducible_with_manual_seed_and_generator():
    ds = ed.TensorDataset(ember.arange(20))

    def epoch(**kw):
        return [b[0].tolist() for b in ed.DataLoader(ds, batch_size=4, shuffle=True, **kw)]
    ember.manual_seed(3)
    a = epoch()
    ember.manual_seed(3)
    assert epoch() == a
    assert sorted(sum(a, [])) == list(range(20))
    assert epoch(generator=ember.Generator().manual_seed(1)) == \
        epoch(generator=ember.Generator().manual_seed(1))


@needs_torch
def test_pin_memory_on_cpu_warns_like_torch():
    def run(lib, data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = [plain(b) for b in data.DataLoader(range(3), batch_size=2, pin_memory=True)]
        return out, [str(w.message) for w in caught]
    e, t = both(run)
    assert e == t


@needs_torch
def test_too_many_workers_warning_matches_torch():
    def run(lib, data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data.DataLoader(range(3), num_workers=(os.cpu_count() or 1) + 3)
        return [str(w.message) for w in caught]
    e, t = both(run)
    assert e == t and len(e) == 1


# ---------------------------------------------------------------- DataLoader, workers
def test_workers_are_separate_processes_and_order_is_kept():
    pairs = [(int(i), int(p)) for b in ed.DataLoader(PidDataset(), batch_size=2, num_workers=2)
             for i, p in zip(*b)]
    assert [i for i, _ in pairs] == list(range(8))
    pids = {p for _, p in pairs}
    assert len(pids) == 2 and os.getpid() not in pids


def test_worker_results_equal_single_process_results():
    single = [plain(b) for b in ed.DataLoader(Squares(11), batch_size=3)]
    multi = [plain(b) for b in ed.DataLoader(Squares(11), batch_size=3, num_workers=2)]
    unordered = [plain(b) for b in ed.DataLoader(Squares(11), batch_size=3, num_workers=2,
                                                 in_order=False, prefetch_factor=1)]
    assert multi == single
    assert sorted(map(repr, unordered)) == sorted(map(repr, single))


class Shapes(ed.Dataset):
    """Samples of several ranks and dtypes, so that every stacking path runs."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return (ember.tensor(float(i)), ember.full((2, 3), i, dtype=ember.int32),
                ember.arange(6.).reshape(2, 3).t() + i, [i, 0.5 * i])


def test_worker_stacking_equals_single_process_stacking():
    single = [plain(b) for b in ed.DataLoader(Shapes(), batch_size=3)]
    multi = [plain(b) for b in ed.DataLoader(Shapes(), batch_size=3, num_workers=2)]
    assert multi == single


def test_collated_batch_is_fresh_and_keeps_autograd():
    samples = [ember.ones(2, 3) for _ in range(4)]
    batch = ed.default_collate(samples)
    assert batch.is_contiguous() and batch.shape == (4, 2, 3)
    batch[0, 0, 0] = 5
    assert samples[0][0, 0].item() == 1
    leaf = ember.ones(2, requires_grad=True)
    batch = ed.default_collate([leaf, ember.zeros(2)])
    (batch * 3).sum().backward()
    assert leaf.grad.tolist() == [3.0, 3.0]


@needs_torch
def test_worker_info_and_seeding():
    from torch.utils.data._utils.worker import _generate_state
    assert ed.get_worker_info() is None
    ember.manual_seed(11)
    rows = list(ed.DataLoader(InfoDataset(), batch_size=None, num_workers=2))
    assert [r["id"] for r in rows] == [0, 1, 0, 1]
    assert all(r["num_workers"] == 2 and r["same_dataset_type"] for r in rows)
    seed0, seed1 = rows[0]["seed"], rows[1]["seed"]
    assert seed1 == seed0 + 1                    # base_seed + worker_id
    for r in rows[:2]:                           # each worker's first draws
        base, wid = r["seed"] - r["id"], r["id"]
        assert r["python"] == random.Random(r["seed"]).randrange(1 << 30)
        expected_np = np.random.RandomState(_generate_state(base, wid)).randint(1 << 30)
        assert r["numpy"] == expected_np         # PyTorch's NumPy seeding, exactly
        g = ember.Generator().manual_seed(r["seed"])
        assert r["ember"] == ember.randint(0, 1 << 30, (), generator=g).item()
    ember.manual_seed(11)
    again = list(ed.DataLoader(InfoDataset(), batch_size=None, num_workers=2))
    strip = lambda rs: [{k: v for k, v in r.items() if k != "pid"} for r in rs]  # noqa: E731
    assert strip(again) == strip(rows)
    g_rows = list(ed.DataLoader(InfoDataset(), batch_size=None, num_workers=2,
                                generator=ember.Generator().manual_seed(11)))
    g_again = list(ed.DataLoader(InfoDataset(), batch_size=None, num_workers=2,
                                 generator=ember.Generator().manual_seed(11)))
    assert strip(g_rows) == strip(g_again)


def test_worker_info_is_frozen():
    from dataclasses import FrozenInstanceError
    info = ed.dataloader._worker.WorkerInfo(id=0, num_workers=1, seed=0, dataset=None)
    with pytest.raises(FrozenInstanceError):
        info.id = 1
    assert repr(info) == ("WorkerInfo(id=0, num_workers=1, seed=0, dataset=None, rng=None, "
                          "worker_method='multiprocessing')")


def test_worker_init_fn_runs_in_each_worker():
    out = list(ed.DataLoader(EnvDataset(), batch_size=None, num_workers=2,
                             worker_init_fn=record_worker_id))
    assert out == [0, 1, 0, 1]
    assert "EMBER_TEST_INIT" not in os.environ


@needs_torch
def test_iterable_dataset_sharding_matches_torch():
    class TorchStream(td.IterableDataset):
        def __iter__(self):
            info = td.get_worker_info()
            per = math.ceil(10 / info.num_workers)
            return iter(range(info.id * per, min(10, (info.id + 1) * per)))
    e = [b.tolist() for b in ed.DataLoader(RangeStream(0, 10), batch_size=3, num_workers=2)]
    t = [b.tolist() for b in td.DataLoader(TorchStream(), batch_size=3, num_workers=2)]
    assert e == t == [[0, 1, 2], [5, 6, 7], [3, 4], [8, 9]]
    e = [b.tolist() for b in ed.DataLoader(RangeStream(0, 10), batch_size=3, num_workers=2,
                                           drop_last=True)]
    assert e == [[0, 1, 2], [5, 6, 7]]


def test_worker_exception_carries_original_traceback():
    with pytest.raises(ValueError) as info:
        list(ed.DataLoader(FailAt(5), batch_size=2, num_workers=2))
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\n"
                          "Original Traceback (most recent call last):\n")
    assert "test_data.py" in msg and "bad sample 5" in msg
    # KeyError keeps the traceback readable (not one repr'd line)
    with pytest.raises(KeyError) as info:
        list(ed.DataLoader(FailAt(2, KeyError), batch_size=None, num_workers=1))
    assert "\n" in str(info.value) and "Caught KeyError in DataLoader worker process 0" in \
        str(info.value)


def test_iterator_continues_after_a_worker_exception():
    it = iter(ed.DataLoader(FailAt(1), batch_size=None, num_workers=1))
    assert next(it) == 0
    with pytest.raises(ValueError):
        next(it)
    assert [int(x) for x in it] == [2, 3, 4, 5, 6, 7]


def test_worker_init_fn_exception_is_reported():
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process"):
        list(ed.DataLoader(range(4), num_workers=1, worker_init_fn=failing_init))


def test_unpicklable_batch_is_reported():
    with pytest.raises(Exception, match="in DataLoader worker process 0"):
        list(ed.DataLoader(Unpicklable(), batch_size=None, num_workers=1))


def test_unpicklable_exception_type_keeps_its_traceback():
    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 0"
                       ) as info:
        list(ed.DataLoader(LocalFailure(), num_workers=1))
    assert "Local: local failure" in str(info.value)


def test_killed_worker_raises_instead_of_hanging():
    t0 = time.monotonic()
    # the timeout bounds the test even if death went unnoticed; it must not be what fires
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly") as info:
        list(ed.DataLoader(KillAt(), batch_size=2, num_workers=2, timeout=20))
    assert time.monotonic() - t0 < 10
    assert "is killed by signal: Killed" in str(info.value.__cause__)


def test_timeout_raises():
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.2 seconds"):
        list(ed.DataLoader(Sleepy(), batch_size=None, num_workers=1, timeout=0.2))


def test_timeout_without_workers_is_rejected_like_torch():
    with pytest.raises(AssertionError, match="requires timeout == 0"):
        iter(ed.DataLoader(range(3), timeout=1))


def test_persistent_workers_are_reused_across_epochs():
    loader = ed.DataLoader(PidDataset(), batch_size=2, num_workers=2, persistent_workers=True)
    first = [(b[0].tolist(), set(b[1].tolist())) for b in loader]
    second = [(b[0].tolist(), set(b[1].tolist())) for b in loader]
    assert [i for i, _ in first] == [i for i, _ in second] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    pids = set().union(*(p for _, p in first))
    assert pids == set().union(*(p for _, p in second)) and len(pids) == 2
    # an epoch abandoned half-way: the next one still starts from the beginning
    it = iter(loader)
    next(it)
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    workers = loader._iterator._workers
    assert all(w.is_alive() for w in workers)
    loader._iterator._shutdown_workers()
    assert not any(w.is_alive() for w in workers)


def test_persistent_workers_with_iterable_dataset():
    loader = ed.DataLoader(RangeStream(0, 6), batch_size=2, num_workers=2,
                           persistent_workers=True)
    for _ in range(2):
        assert sorted(sum((b.tolist() for b in loader), [])) == list(range(6))
    loader._iterator._shutdown_workers()


def test_iterating_twice_and_shutdown():
    before = shm_files()
    loader = ed.DataLoader(BigImages(), batch_size=4, num_workers=2)
    it = iter(loader)
    workers = list(it._workers)
    epoch = list(it)
    assert not any(w.is_alive() for w in workers)          # ended with the epoch
    assert [plain(b) for b in epoch] == [plain(b) for b in loader]
    it = iter(loader)
    next(it)
    workers = list(it._workers)
    del it                                                 # abandoned mid-epoch
    assert not any(w.is_alive() for w in workers)
    assert shm_files() <= before


def test_large_batches_travel_through_shared_memory():
    batches = list(ed.DataLoader(BigImages(), batch_size=4, num_workers=2))
    single = list(ed.DataLoader(BigImages(), batch_size=4))
    assert [plain(b) for b in batches] == [plain(b) for b in single]
    images, arrays = batches[0]
    assert images.dtype == ember.float32 and arrays.dtype == ember.float64
    assert type(images._data.base).__name__ == "mmap"      # received without a copy
    images[0, 0, 0, 0] = 5.0                               # and writable, as in PyTorch
    assert images[0, 0, 0, 0].item() == 5.0


def test_shared_memory_segments_are_recycled():
    loader = ed.DataLoader(SegmentCounter(), batch_size=4, num_workers=1)
    counts = [int(c.max()) for _, c in loader]
    assert len(counts) == 16 and max(counts) <= 6            # not one segment per batch


def test_spawn_start_method():
    # a dataset class from ember itself: a spawned worker imports only ember, not this module
    ds = ed.TensorDataset(ember.arange(10.).reshape(5, 2), ember.arange(5))
    out = list(ed.DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="spawn"))
    assert [plain(b) for b in out] == [plain(b) for b in ed.DataLoader(ds, batch_size=2)]


def test_iterator_cannot_be_pickled():
    it = iter(ed.DataLoader(range(3)))
    with pytest.raises(NotImplementedError):
        pickle.dumps(it)
