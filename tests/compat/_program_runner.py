"""Shared helper for the part-B program tests: run a tests/programs/ script under
`python -m ember.compat` in a subprocess."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(REPO, "tests", "programs")


def run_program(program, cwd, *args, timeout=120):
    """`python -m ember.compat tests/programs/<program> args...` in `cwd`; the CompletedProcess.

    BLAS is pinned to one thread: these models are tiny (no gain from threads), and the test
    suite shares a 2-core machine with other processes, where OpenBLAS's spinning worker
    threads made the same run 3-30x slower."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "ember.compat", os.path.join(PROGRAMS, program),
                           *args], capture_output=True, text=True, timeout=timeout,
                          cwd=str(cwd), env=env)
