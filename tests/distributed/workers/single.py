"""One process, no mpiexec: init_process_group makes a world of one (MPI singleton)."""
from datetime import timedelta

import ember as torch
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group(timeout=timedelta(seconds=30))
assert dist.get_rank() == 0 and dist.get_world_size() == 1
x = torch.arange(4.0)
dist.all_reduce(x, op=dist.ReduceOp.AVG)
assert x.tolist() == [0.0, 1.0, 2.0, 3.0]
out = [torch.zeros(4)]
dist.all_gather(out, x)
assert out[0].tolist() == x.tolist()
objs = [None]
dist.all_gather_object(objs, {"a": 1})
assert objs == [{"a": 1}]
m = nn.Linear(3, 2)
d = DDP(m)
d(torch.ones(4, 3)).sum().backward()
assert m.weight.grad is not None and m.weight.grad[0].tolist() == [4.0, 4.0, 4.0]
try:
    dist.init_process_group()
except ValueError as e:
    assert "twice" in str(e)
dist.destroy_process_group()
print("SINGLE OK", flush=True)
