"""What the dataset readers share: the root / split conventions of torchtext, locating the
extracted files (or extracting the published archive when it is there), and the iterable
dataset they return.

Layout (torchtext's): `root/<DatasetName>/<files as the archive extracts them>`, root
defaulting to ~/.torchtext/cache. A root that holds the files directly (without the
`<DatasetName>` folder) is accepted too. ember never downloads a dataset: a missing file
raises FileNotFoundError naming the expected path and the URL to fetch.
"""
import os
import random

import ember

from ...utils.data import IterableDataset, get_worker_info
from .. import _CACHE_DIR
from ..utils import extract_archive

__all__ = ["TextDataPipe", "split_datasets", "find_file"]


def _check_splits(split, allowed, name):
    splits = (split,) if isinstance(split, str) else split
    if not isinstance(splits, tuple):
        raise ValueError("Internal error: Expected split to be of type tuple.")
    if not set(splits).issubset(allowed):
        raise TypeError(f"Given selection {splits} of splits is not supported for dataset "
                        f"{name}. Please choose from {allowed}.")
    return splits


def split_datasets(name, root, split, allowed, make):
    """`make(dataset_root, one_split)` for each requested split: one dataset when `split` is
    a string, a tuple when it is a tuple (torchtext's convention)."""
    root = _CACHE_DIR if root is None else os.fspath(root)
    splits = _check_splits(split, allowed, name)
    result = tuple(make(os.path.join(root, name), s) for s in splits)
    return result[0] if isinstance(split, str) else result


def find_file(name, dataset_root, relpath, url, archive=None):
    """The path of `relpath` under `dataset_root` (root/<name>), or under root itself.
    When missing but the downloaded `archive` (a file name, default: the URL's basename) is
    there, it is extracted first. Raises FileNotFoundError naming the path and the URL."""
    parent = os.path.dirname(dataset_root)
    for base in (dataset_root, parent):
        path = os.path.join(base, relpath)
        if os.path.exists(path):
            return path
    archive = archive or os.path.basename(url)
    for base in (dataset_root, parent):
        archive_path = os.path.join(base, archive)
        if archive != os.path.basename(relpath) and os.path.isfile(archive_path):
            extract_archive(archive_path, base)
            path = os.path.join(base, relpath)
            if os.path.exists(path):
                return path
            raise FileNotFoundError(f"{name}: {archive_path} does not contain {relpath}")
    expected = os.path.join(dataset_root, relpath)
    how = (f"download {url} into {dataset_root} (it is extracted on first use)"
           if archive != os.path.basename(relpath) else f"download {url} to {expected}")
    raise FileNotFoundError(f"{name} file not found: {expected}. ember reads datasets from "
                            f"local files and does not download them: {how}.")


class TextDataPipe(IterableDataset):
    """A re-iterable stream of samples read from local files (what torchtext's dataset
    functions return as a datapipe). Each `iter()` reads the files again. Under a
    DataLoader with worker processes, each worker yields every num_workers-th sample (the
    sharding torchtext's datapipes do), so samples are not repeated.

    Like torchtext's datapipes it carries a shuffle stage that is off by default:
    `set_shuffle(True)` (what `DataLoader(..., shuffle=True)` calls) or `shuffle()` turns it
    on. It shuffles through a buffer of `buffer_size` samples, seeded from ember's random
    generator at each `iter()` (in workers: the loader's base seed, shared by all of them so
    that the shards still partition the data).

    `len()` counts the samples (reading once). `map(fn)` and `filter(fn)` give new pipes.
    """

    def __init__(self, description, reader, *args, _ops=(), _shuffle=False, _buffer_size=10000):
        self.description = description
        self._reader = reader
        self._args = args
        self._ops = tuple(_ops)
        self._shuffle = _shuffle
        self._buffer_size = _buffer_size
        self._len = None

    def _samples(self):
        items = self._reader(*self._args)
        for kind, fn in self._ops:
            items = map(fn, items) if kind == "map" else filter(fn, items)
        return items

    def _shuffled(self, items, seed):
        rng = random.Random(seed)
        buffer, size = [], self._buffer_size
        for item in items:
            if len(buffer) < size:
                buffer.append(item)
            else:
                i = rng.randrange(size)
                yield buffer[i]
                buffer[i] = item
        rng.shuffle(buffer)
        yield from buffer

    def __iter__(self):
        info = get_worker_info()
        items = self._samples()
        if self._shuffle:
            if info is None:
                seed = int(ember.randint(0, 2 ** 62, ()).item())
            else:
                seed = info.seed - info.id          # the loader's base seed
            items = self._shuffled(items, seed)
        if info is None or info.num_workers <= 1:
            yield from items
            return
        for i, item in enumerate(items):
            if i % info.num_workers == info.id:
                yield item

    def __len__(self):
        if self._len is None:
            self._len = sum(1 for _ in self._samples())
        return self._len

    def _derive(self, **changes):
        kwargs = dict(_ops=self._ops, _shuffle=self._shuffle, _buffer_size=self._buffer_size)
        kwargs.update(changes)
        return TextDataPipe(self.description, self._reader, *self._args, **kwargs)

    def map(self, fn):
        return self._derive(_ops=self._ops + (("map", fn),))

    def filter(self, filter_fn):
        return self._derive(_ops=self._ops + (("filter", filter_fn),))

    def shuffle(self, *, buffer_size=10000):
        """A pipe that yields the samples in random order (buffered)."""
        return self._derive(_shuffle=True, _buffer_size=buffer_size)

    def set_shuffle(self, shuffle=True):
        """Turn the shuffle stage on or off in place; returns self."""
        self._shuffle = bool(shuffle)
        return self

    def __repr__(self):
        return f"{type(self).__name__}({self.description})"


def read_lines(path, strip):
    """Lines of a UTF-8 text file: split at '\\n' only and kept whole (with the '\\n') as
    torchtext's readlines(strip_newline=False) gives them, or stripped of surrounding
    whitespace when `strip`."""
    with open(path, "rb") as f:
        for line in f:
            text = line.decode("utf-8")
            yield text.strip() if strip else text
