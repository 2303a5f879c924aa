"""Multi-process tests: each starts ranks as separate processes (mpiexec, or ember's
launcher) with a hard timeout, and kills the whole process group it started if that passes,
so a broken collective can fail a test but never hang the suite. Skipped without mpi4py or
an mpiexec (`pip install ".[test]"` brings both: mpi4py and the mpich wheel)."""
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")


def _mpiexec():
    try:
        from ember.distributed.run import find_mpiexec
        return find_mpiexec()
    except RuntimeError:
        return None


class Result:
    def __init__(self, returncode, stdout, stderr, seconds):
        self.returncode, self.stdout, self.stderr, self.seconds = \
            returncode, stdout, stderr, seconds

    def __repr__(self):
        return (f"exit {self.returncode} after {self.seconds:.1f}s\n--- stdout\n{self.stdout}"
                f"\n--- stderr\n{self.stderr[-4000:]}")


def run(cmd, timeout=120, env=None):
    """Run `cmd` in its own session; on timeout kill that session's processes (mpiexec and
    every rank) and fail."""
    e = dict(os.environ)
    e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("OMP_NUM_THREADS", "1")
    e.update(env or {})
    start = time.monotonic()
    p = subprocess.Popen(cmd, cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"{cmd} did not finish in {timeout}s\n{out}\n{err[-4000:]}")
    return Result(p.returncode, out, err, time.monotonic() - start)


@pytest.fixture(scope="session")
def mpiexec():
    pytest.importorskip("mpi4py")
    path = _mpiexec()
    if path is None:
        pytest.skip("no mpiexec on this machine")
    return path


@pytest.fixture
def ranks(mpiexec):
    """ranks(worker, *args, n=2, launcher='mpiexec'|'run', timeout=..., env=...)"""
    def go(worker, *args, n=2, launcher="mpiexec", timeout=120, env=None):
        script = os.path.join(WORKERS, worker)
        if launcher == "mpiexec":
            cmd = [mpiexec, "-n", str(n), sys.executable, script]
        else:
            cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(n),
                   script]
        return run(cmd + [str(a) for a in args], timeout=timeout, env=env)
    return go


@pytest.fixture
def single(mpiexec):
    """single(worker, *args, env=...): one plain `python worker` process, no mpiexec."""
    def go(worker, *args, timeout=60, env=None):
        return run([sys.executable, os.path.join(WORKERS, worker)] + [str(a) for a in args],
                   timeout=timeout, env=env)
    return go
