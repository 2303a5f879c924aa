"""ember.distributed in this process, without starting MPI: names and values PyTorch has,
errors before init_process_group, and what happens without mpi4py."""
import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

import ember as torch
import ember.distributed as dist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import torch.distributed as tdist
except ImportError:
    tdist = None
oracle = pytest.mark.skipif(tdist is None, reason="PyTorch (the oracle) is not installed")

OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"]


@oracle
def test_reduce_op_like_pytorch():
    for name in OPS:
        ours, theirs = getattr(dist.ReduceOp, name), getattr(tdist.ReduceOp, name)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert int(ours) == int(theirs)
        assert ours == getattr(dist.ReduceOp.RedOpType, name)
        assert dist.supports_complex(ours) == tdist.supports_complex(theirs)


@oracle
def test_backend_names_and_constants_like_pytorch():
    for name in ("MPI", "mpi", "GLOO", "NCCL", "nccl"):
        assert dist.Backend(name) == tdist.Backend(name)
    assert dist.GroupMember.NON_GROUP_MEMBER == tdist.GroupMember.NON_GROUP_MEMBER
    assert dist.default_pg_timeout == tdist.default_pg_timeout
    assert issubclass(dist.DistBackendError, dist.DistError)
    assert issubclass(dist.DistError, RuntimeError)


@oracle
def test_errors_before_init_like_pytorch():
    assert not dist.is_initialized() and dist.group.WORLD is None
    for fn in (dist.get_rank, dist.get_world_size, dist.get_backend, dist.barrier,
               lambda: dist.all_reduce(torch.zeros(1))):
        with pytest.raises(ValueError) as ours:
            fn()
        assert str(ours.value) == "Default process group has not been initialized, please " \
                                  "make sure to call init_process_group."
    with pytest.raises(TypeError) as ours:
        dist.init_process_group("mpi", timeout=5)
    with pytest.raises(TypeError) as theirs:
        tdist.init_process_group("gloo", timeout=5)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Unknown backend"):
        dist.init_process_group("ucc")
    with pytest.raises(NotImplementedError, match="no Store"):
        dist.init_process_group("mpi", store=object())
    with pytest.raises(ValueError, match="not been initialized"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="not been initialized"):
        torch.utils.data.distributed.DistributedSampler(range(4))


def test_data_parallel_without_gpus_is_a_pass_through():
    m = torch.nn.Linear(3, 2)
    dp = torch.nn.DataParallel(m)
    x = torch.ones(4, 3)
    assert dp.device_ids == [] and dp.module is m
    assert torch.equal(dp(x), m(x))
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]


def _python(code, **env):
    e = dict(os.environ, PYTHONPATH=ROOT, **env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=120)


def test_import_does_not_start_mpi():
    p = _python("""
        import sys
        import ember, ember.distributed as dist, ember.nn.parallel
        assert ember.distributed is dist and hasattr(ember.nn, "DataParallel")
        assert "mpi4py" not in sys.modules and "mpi4py.MPI" not in sys.modules
    """)
    assert p.returncode == 0, p.stderr


def test_without_mpi4py_a_clear_error():
    p = _python("""
        import sys
        sys.modules["mpi4py"] = None          # as if it were not installed
        import ember.distributed as dist
        assert not dist.is_available()
        try:
            dist.init_process_group()
        except ImportError as e:
            assert "pip install 'ember[distributed]'" in str(e), e
            print("OK")
    """)
    assert p.returncode == 0 and "OK" in p.stdout, p.stderr


def test_nccl_without_cupy_is_a_clear_error(monkeypatch):
    import importlib.util
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here")
    from ember.distributed import nccl
    with pytest.raises(RuntimeError, match="needs CuPy"):
        nccl._cupy()
    assert not dist.is_nccl_available()


def test_launcher_help():
    p = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--help"], cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and "--nproc-per-node" in p.stdout


def test_timeout_argument_type():
    assert dist._timeout_seconds(timedelta(seconds=3)) == 3
    with pytest.raises(TypeError, match="datetime.timedelta"):
        dist._timeout_seconds(3)
