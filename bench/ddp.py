"""Distributed benchmarks (needs `pip install ".[distributed]"`):

1. The seed LeNet (bench/train_lenet.py's model, SGD momentum, batch 64 per process):
   training samples/s of one process without DDP, and of 2 ranks under
   DistributedDataParallel (per process and in total).
2. all_reduce of 100 MB of float32 between 2 ranks: ember's `dist.all_reduce` against a raw
   mpi4py `Allreduce` on the same buffer (ember's overhead should stay under 10%).

Run: python bench/ddp.py [--steps 40] [--ranks 2]
(it starts the ranks itself with mpiexec; each measurement is a median of rounds).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def lenet_step(ddp):
    import ember as torch
    import ember.nn as nn
    import ember.nn.functional as F

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            return F.log_softmax(self.fc2(x), dim=1)

    torch.manual_seed(0)
    model = LeNet()
    if ddp:
        from ember.nn.parallel import DistributedDataParallel
        model = DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, 64))

    def step():
        opt.zero_grad()
        F.nll_loss(model(x), y).backward()
        opt.step()
    return step


def time_steps(step, steps, rounds, barrier=lambda: None):
    for _ in range(3):
        step()
    times = []
    for _ in range(rounds):
        barrier()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - t0) / steps)
    return statistics.median(times)


def worker_lenet(steps, rounds):
    import ember.distributed as dist
    dist.init_process_group()
    s = time_steps(lenet_step(True), steps, rounds, dist.barrier)
    got = [None] * dist.get_world_size()
    dist.all_gather_object(got, 64 / s)
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps({"per_process": got}), flush=True)


def worker_single(steps, rounds):
    s = time_steps(lenet_step(False), steps, rounds)
    print("RESULT " + json.dumps({"per_process": [64 / s]}), flush=True)


def worker_allreduce(rounds, mb=100):
    import ember as torch
    import ember.distributed as dist
    from mpi4py import MPI
    dist.init_process_group()
    comm = MPI.COMM_WORLD
    n = mb * 1024 * 1024 // 4
    t = torch.ones(n)
    raw = np.ones(n, np.float32)

    def ember_call():
        dist.all_reduce(t)

    def mpi_call():
        comm.Allreduce(MPI.IN_PLACE, raw)
    res = {"ember": [], "mpi4py": []}
    for f in (ember_call, mpi_call):   # warm up both
        f()
    for _ in range(rounds):            # alternate, so load changes hit both
        for name, f in (("ember", ember_call), ("mpi4py", mpi_call)):
            comm.Barrier()
            t0 = time.perf_counter()
            f()
            dt = time.perf_counter() - t0
            res[name].append(comm.allreduce(dt, op=MPI.MAX))
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps({k: statistics.median(v) for k, v in res.items()}),
              flush=True)


def launch(args, n):
    from ember.distributed.run import find_mpiexec
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, os.path.abspath(__file__)] + args
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{out.stdout}\n{out.stderr}")
    line = [x for x in out.stdout.split("RESULT ")[1:]][0]
    return json.JSONDecoder().raw_decode(line)[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--worker", choices=["lenet", "single", "allreduce"])
    a = p.parse_args()
    if a.worker == "lenet":
        return worker_lenet(a.steps, a.rounds)
    if a.worker == "single":
        return worker_single(a.steps, a.rounds)
    if a.worker == "allreduce":
        return worker_allreduce(max(a.rounds, 7))
    common = ["--steps", str(a.steps), "--rounds", str(a.rounds)]
    print(f"seed LeNet, batch 64 per process, SGD momentum ({os.cpu_count()} cores)")
    one = launch(["--worker", "single"] + common, 1)["per_process"][0]
    print(f"  1 process, no DDP (OMP_NUM_THREADS=1)   {one:8.0f} samples/s")
    ddp1 = launch(["--worker", "lenet"] + common, 1)["per_process"][0]
    print(f"  1 rank, DDP (its own overhead)          {ddp1:8.0f} samples/s")
    many = launch(["--worker", "lenet"] + common, a.ranks)["per_process"]
    total = sum(many)
    print(f"  {a.ranks} ranks, DDP                         "
          f"{statistics.mean(many):8.0f} samples/s per process, {total:8.0f} in total "
          f"({total / one:.2f}x one process)")
    r = launch(["--worker", "allreduce", "--rounds", str(a.rounds)], a.ranks)
    over = r["ember"] / r["mpi4py"] - 1
    print(f"all_reduce 100 MB float32, {a.ranks} ranks: ember {r['ember'] * 1e3:7.1f} ms, "
          f"raw mpi4py Allreduce {r['mpi4py'] * 1e3:7.1f} ms, ember overhead {over:+.1%}")


if __name__ == "__main__":
    main()
