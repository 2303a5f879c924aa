"""Run under 2 ranks: rank 1 fails in the way argv[1] names, rank 0 goes into a collective.
Rank 0 must not hang: it is stopped by the launcher or raises a timeout error."""
import os
import sys
import time
from datetime import timedelta

import ember as torch
import ember.distributed as dist

dist.init_process_group(timeout=timedelta(seconds=float(os.environ.get("WORKER_TIMEOUT", "5"))))
mode = sys.argv[1]
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("deliberate failure on rank 1")
    if mode == "exit":
        os._exit(7)
    if mode == "kill":
        os.kill(os.getpid(), 9)
    if mode == "sysexit":
        sys.exit(5)
    if mode in ("hang", "monitored"):
        time.sleep(120)
if mode == "monitored":
    dist.monitored_barrier(timeout=timedelta(seconds=2))
x = torch.ones(3)
dist.all_reduce(x)
print("rank", dist.get_rank(), "was not stopped", flush=True)
