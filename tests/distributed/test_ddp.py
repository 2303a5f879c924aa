"""DistributedDataParallel over 2 ranks (tests/distributed/workers/ddp.py): 60 steps of SGD
with momentum on a LeNet-like model, batch 6 per rank, end with the same parameters (to
float32 rounding) as one process training on the batch of 12; buckets start during
backward; no_sync, find_unused_parameters, shared parameters, buffers,
gradient_as_bucket_view and the errors PyTorch raises."""


def test_ddp_matches_single_process(ranks):
    r = ranks("ddp.py", 60, timeout=240)
    assert r.returncode == 0, r
    assert r.stdout.count("DDP OK") == 2, r
