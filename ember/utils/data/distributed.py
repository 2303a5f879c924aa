"""`DistributedSampler`: each of `num_replicas` processes sees its own slice of the
dataset, all slices of equal length."""
import math

from ...ops.random import Generator, randperm
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _process_group_value(name):
    """World size or rank of the default process group, when `ember.distributed` exists and
    has been initialised."""
    try:
        from ... import distributed as dist
    except ImportError:
        dist = None
    # (a package still without is_initialized, e.g. while ember.distributed is being
    # written, counts as not initialised)
    if dist is not None and getattr(dist, "is_available", lambda: True)() and \
            getattr(dist, "is_initialized", lambda: False)():
        return dist.get_world_size() if name == "world_size" else dist.get_rank()
    raise ValueError("Default process group has not been initialized, please make sure to "
                     "call init_process_group.")


class DistributedSampler(Sampler):
    """Indices for replica `rank` of `num_replicas`: the (optionally shuffled) index list is
    padded by repeating its start, or cut when `drop_last`, to a multiple of `num_replicas`,
    and replica r takes every num_replicas-th index from position r.

    Shuffling uses `seed + epoch`: call `set_epoch` before each epoch for a new order that
    every replica agrees on."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = _process_group_value("world_size")
        if rank is None:
            rank = _process_group_value("rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            pad = self.total_size - len(indices)
            indices += (indices * math.ceil(pad / len(indices)))[:pad] if pad else []
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match "
                                 f"total_size ({self.total_size})")
        mine = indices[self.rank:self.total_size:self.num_replicas]
        if len(mine) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(mine)}) does not match "
                                 f"num_samples ({self.num_samples})")
        return iter(mine)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, which (with `seed`) fixes the shuffled order of the next pass."""
        self.epoch = epoch
