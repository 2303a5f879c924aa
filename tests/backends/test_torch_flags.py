"""torch.backends.{cudnn, mkldnn, mps, openmp, cuda.matmul}: what ember answers to the
device queries and flag settings training scripts make, checked against PyTorch's CPU build
where the two should agree (ember has no cuDNN, oneDNN, Metal or OpenMP)."""
import pytest

import ember
from ember.backends import cudnn, mkldnn, mps, openmp
from ember.backends import cuda as cuda_backend


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.fixture(autouse=True)
def _restore_flags():
    saved = cudnn.set_flags(_fp32_precision=None)
    saved_mk = mkldnn.set_flags()
    prec = ember.get_float32_matmul_precision()
    mm = dict(cuda_backend.matmul._values)
    yield
    cudnn.set_flags(*saved)
    mkldnn.set_flags(*saved_mk)
    ember.set_float32_matmul_precision(prec)
    cuda_backend.matmul._values.update(mm)


def test_reachable_as_torch_backends_attributes():
    assert ember.backends.cudnn is cudnn and ember.backends.mps is mps
    assert ember.backends.mkldnn is mkldnn and ember.backends.openmp is openmp
    assert ember.backends.cuda.matmul is cuda_backend.matmul
    # ember's array backends are still there beside them
    assert ember.backends.cpu.backend.xp.__name__ == "numpy"


CUDNN_FLAGS = ["enabled", "benchmark", "deterministic", "allow_tf32", "fp32_precision",
               "depthwise_kernel", "benchmark_limit"]


def test_cudnn_answers_as_the_cpu_build():
    assert cudnn.is_available() is False
    assert cudnn.version() is None
    assert cudnn.is_acceptable(ember.zeros(1)) is False
    torch = _torch()
    if torch is None:
        pytest.skip("torch not installed")
    tc = torch.backends.cudnn
    assert tc.is_available() is cudnn.is_available()
    assert tc.version() == cudnn.version()
    for name in CUDNN_FLAGS:
        assert getattr(tc, name) == getattr(cudnn, name), name


def test_cudnn_flags_set_and_read():
    cudnn.benchmark = True
    cudnn.deterministic = True
    cudnn.enabled = False
    cudnn.allow_tf32 = False
    assert (ember.backends.cudnn.benchmark, cudnn.deterministic, cudnn.enabled,
            cudnn.allow_tf32) == (True, True, False, False)


@pytest.mark.parametrize("name, value", [("benchmark", "x"), ("enabled", 1),
                                         ("deterministic", None), ("allow_tf32", "yes"),
                                         ("fp32_precision", "x"), ("depthwise_kernel", "x")])
def test_cudnn_bad_flag_values_raise_pytorchs_error(name, value):
    with pytest.raises(RuntimeError) as e:
        setattr(cudnn, name, value)
    torch = _torch()
    if torch is not None:
        with pytest.raises(RuntimeError) as te:
            setattr(torch.backends.cudnn, name, value)
        assert str(e.value) == str(te.value)
    else:
        assert str(value) in str(e.value) or type(value).__name__ in str(e.value)


def test_cudnn_flags_context_manager_sets_then_restores():
    cudnn.benchmark = False
    before = {n: getattr(cudnn, n) for n in CUDNN_FLAGS}
    with cudnn.flags(enabled=True, benchmark=True, deterministic=True):
        inside = {n: getattr(cudnn, n) for n in CUDNN_FLAGS}
    assert {n: getattr(cudnn, n) for n in CUDNN_FLAGS} == before
    with cudnn.flags():      # PyTorch's defaults: enabled=False
        defaults = (cudnn.enabled, cudnn.benchmark)
    assert defaults == (False, False)
    torch = _torch()
    if torch is None:
        return
    tc = torch.backends.cudnn
    tsaved = tc.set_flags(_fp32_precision=None)
    try:
        tc.benchmark = False
        with tc.flags(enabled=True, benchmark=True, deterministic=True):
            tinside = {n: getattr(tc, n) for n in CUDNN_FLAGS}
    finally:
        tc.set_flags(*tsaved)
    assert inside == tinside


def test_mps_openmp_mkldnn():
    assert mps.is_available() is False and mps.is_built() is False
    torch = _torch()
    if torch is not None:
        assert torch.backends.mps.is_available() is mps.is_available()
        assert torch.backends.mps.is_built() is mps.is_built()
        # ember runs no oneDNN / OpenMP kernels, where PyTorch's CPU build does
        assert torch.backends.mkldnn.enabled == mkldnn.enabled
        assert torch.backends.mkldnn.deterministic == mkldnn.deterministic
    assert mkldnn.is_available() is False and openmp.is_available() is False
    with mkldnn.flags(enabled=False):
        assert mkldnn.enabled is False
    assert mkldnn.enabled is True
    with pytest.raises(RuntimeError, match="set_enabled_mkldnn expects a bool, but got str"):
        mkldnn.enabled = "x"


def test_cuda_matmul_allow_tf32_is_the_matmul_precision():
    m = ember.backends.cuda.matmul
    assert m.allow_tf32 is False and ember.get_float32_matmul_precision() == "highest"
    m.allow_tf32 = True
    assert ember.get_float32_matmul_precision() == "high" and m.allow_tf32 is True
    ember.set_float32_matmul_precision("highest")
    assert m.allow_tf32 is False
    ember.set_float32_matmul_precision("medium")
    assert m.allow_tf32 is True
    torch = _torch()
    if torch is None:
        return
    tm = torch.backends.cuda.matmul
    for name in ("allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction", "allow_fp16_accumulation"):
        assert getattr(tm, name) == getattr(m, name), name
    assert torch.backends.cuda.is_built() is ember.backends.cuda.is_built()


@pytest.mark.parametrize("name, value, exc", [
    ("allow_tf32", "x", RuntimeError), ("allow_fp16_accumulation", 1, RuntimeError),
    ("allow_fp16_reduced_precision_reduction", "x", TypeError),
    ("no_such_flag", True, AttributeError)])
def test_cuda_matmul_bad_values(name, value, exc):
    with pytest.raises(exc) as e:
        setattr(ember.backends.cuda.matmul, name, value)
    torch = _torch()
    if torch is not None:
        with pytest.raises(exc) as te:
            setattr(torch.backends.cuda.matmul, name, value)
        assert str(e.value) == str(te.value)
    with pytest.raises(AttributeError, match="Unknown attribute no_such_flag"):
        ember.backends.cuda.matmul.no_such_flag
