"""DistributedSampler against PyTorch's: the same partition and padding for every size,
replica count and drop_last; with shuffling, the same split of the same permutation (ember's
random stream is its own, so torch's sampler is handed ember's permutation); set_epoch
reshuffles identically on every replica."""
import pytest

import ember as torch
from ember.utils.data.distributed import DistributedSampler

try:
    import torch as _torch
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
except ImportError:
    _torch = None
oracle = pytest.mark.skipif(_torch is None, reason="PyTorch (the oracle) is not installed")

CASES = [(n, k, drop) for n in (0, 1, 2, 3, 5, 7, 10, 16, 17) for k in (1, 2, 3, 4, 8)
         for drop in (False, True)]


@oracle
@pytest.mark.parametrize("n,k,drop", CASES)
def test_partition_and_padding_like_pytorch(n, k, drop):
    data = list(range(n))
    for rank in range(k):
        ours = DistributedSampler(data, num_replicas=k, rank=rank, shuffle=False,
                                  drop_last=drop)
        theirs = TorchSampler(data, num_replicas=k, rank=rank, shuffle=False, drop_last=drop)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@oracle
@pytest.mark.parametrize("n,k,drop", [(10, 3, False), (10, 3, True), (17, 4, False),
                                      (5, 8, False), (2, 3, False)])
def test_shuffled_split_like_pytorch(n, k, drop, monkeypatch):
    data = list(range(n))
    for epoch in (0, 3):
        g = torch.Generator().manual_seed(11 + epoch)
        perm = torch.randperm(n, generator=g).tolist()
        # torch's sampler draws its permutation from torch.randperm: hand it ember's
        monkeypatch.setattr(_torch, "randperm",
                            lambda m, generator=None, **kw: _torch.tensor(perm))
        for rank in range(k):
            ours = DistributedSampler(data, num_replicas=k, rank=rank, seed=11, drop_last=drop)
            theirs = TorchSampler(data, num_replicas=k, rank=rank, seed=11, drop_last=drop)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)


def test_set_epoch_reshuffles_the_same_way_everywhere():
    data = list(range(20))
    samplers = [DistributedSampler(data, num_replicas=2, rank=r, seed=3) for r in range(2)]
    orders = []
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        parts = [list(s) for s in samplers]
        assert sorted(parts[0] + parts[1]) == data     # a partition of the dataset
        orders.append(parts)
        again = DistributedSampler(data, num_replicas=2, rank=0, seed=3)
        again.set_epoch(epoch)
        assert list(again) == parts[0]                   # every replica agrees on the order
    assert orders[0] != orders[1] != orders[2]


@oracle
def test_invalid_rank_like_pytorch():
    for rank in (-1, 2):
        with pytest.raises(ValueError) as ours:
            DistributedSampler(range(4), num_replicas=2, rank=rank)
        with pytest.raises(ValueError) as theirs:
            TorchSampler(range(4), num_replicas=2, rank=rank)
        assert str(ours.value) == str(theirs.value)
