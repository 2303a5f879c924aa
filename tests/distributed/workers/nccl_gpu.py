"""The nccl backend on CUDA tensors (run by tests/distributed/test_nccl_gpu.py, only where a
GPU and CuPy with NCCL exist): collectives on every NCCL dtype, views, DDP training equal to
one process, and host tensors still going through MPI."""
from datetime import timedelta

import numpy as np

import ember as torch
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("nccl", timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
dev = torch.device("cuda", torch.cuda.current_device())

for dt in (torch.float16, torch.float32, torch.float64, torch.int32, torch.int64, torch.uint8):
    x = torch.full((3, 5), rank + 1, dtype=dt, device=dev)
    dist.all_reduce(x)
    assert x.device.type == "cuda" and x.dtype is dt
    assert (x.cpu() == sum(range(1, world + 1))).all(), (dt, x)
x = torch.arange(12.0, device=dev).reshape(3, 4) * (rank + 1)
a = np.arange(12.0).reshape(3, 4)
per_rank = [a * (r + 1) for r in range(world)]
for op, expect in ((dist.ReduceOp.MAX, np.max(per_rank, 0)), (dist.ReduceOp.MIN, per_rank[0]),
                   (dist.ReduceOp.PRODUCT, np.prod(per_rank, 0))):
    y = x.clone()
    dist.all_reduce(y, op=op)
    assert np.allclose(y.cpu().numpy(), expect), op
v = torch.zeros(4, 6, device=dev)[:, ::2]                 # a non-contiguous view
v.fill_(rank)
dist.all_reduce(v)
assert (v.cpu() == sum(range(world))).all()
b = torch.full((5,), float(rank), device=dev)
dist.broadcast(b, src=0)
assert (b.cpu() == 0).all()
outs = [torch.zeros(2, device=dev) for _ in range(world)]
dist.all_gather(outs, torch.full((2,), float(rank), device=dev))
assert [o.cpu().tolist() for o in outs] == [[float(r)] * 2 for r in range(world)]
h = torch.full((3,), float(rank))                          # a host tensor: through MPI
dist.all_reduce(h)
assert h.device.type == "cpu" and (h == sum(range(world))).all()

# DDP over NCCL: W ranks with batch B end where one process with batch W*B ends
torch.manual_seed(0)
ref = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2)).to(dev)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2)).to(dev)
model.load_state_dict(ref.state_dict())
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
ropt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
g = torch.Generator().manual_seed(1)
for step in range(20):
    data = torch.randn(4 * world, 8, generator=g).to(dev)
    target = torch.randn(4 * world, 2, generator=g).to(dev)
    opt.zero_grad()
    nn.functional.mse_loss(ddp(data[4 * rank:4 * rank + 4]), target[4 * rank:4 * rank + 4]).backward()
    opt.step()
    ropt.zero_grad()
    nn.functional.mse_loss(ref(data), target).backward()
    ropt.step()
for p, q in zip(model.parameters(), ref.parameters()):
    assert torch.allclose(p.cpu(), q.cpu(), atol=1e-5), (p, q)
dist.destroy_process_group()
print("NCCL OK", flush=True)
