"""The nccl backend on a GPU (issue: distributed): one rank per GPU present. Skipped without
CUDA and CuPy's NCCL bindings; CPU-only CI covers the backend's errors in test_api.py."""
import pytest

import ember


def _gpus_with_nccl():
    if not ember.cuda.is_available():
        return 0
    try:
        from cupy.cuda import nccl
    except ImportError:
        return 0
    if not getattr(nccl, "available", True):
        return 0
    return ember.cuda.device_count()


@pytest.mark.skipif(_gpus_with_nccl() == 0, reason="needs a CUDA GPU and CuPy with NCCL")
def test_nccl_one_rank_per_gpu(ranks):
    n = _gpus_with_nccl()
    r = ranks("nccl_gpu.py", n=n, timeout=300)
    assert r.returncode == 0, r
    assert r.stdout.count("NCCL OK") == n, r


@pytest.mark.skipif(_gpus_with_nccl() == 0, reason="needs a CUDA GPU and CuPy with NCCL")
def test_nccl_one_rank_through_the_launcher(ranks):
    r = ranks("nccl_gpu.py", n=1, launcher="run", timeout=300)
    assert r.returncode == 0, r
    assert "NCCL OK" in r.stdout, r
