"""Run under 2 ranks: DistributedDataParallel against one process training on the whole batch,
plus no_sync, find_unused_parameters, shared parameters, buffers and error cases. Prints
DDP OK on success."""
import sys
import warnings
from datetime import timedelta

import numpy as np

import ember as torch
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group(timeout=timedelta(seconds=60))
R, N = dist.get_rank(), dist.get_world_size()
STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 60


class Net(nn.Module):
    """LeNet-like (no dropout, so one process and N can compute the same thing); fc2 is
    applied twice, so its parameters collect two gradient contributions per backward."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 5)
        self.c2 = nn.Conv2d(4, 8, 5)
        self.f1 = nn.Linear(128, 32)
        self.f2 = nn.Linear(32, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.c1(x), 2))
        x = F.relu(F.max_pool2d(self.c2(x), 2)).view(-1, 128)
        x = F.relu(self.f1(x))
        x = torch.tanh(self.f2(torch.tanh(self.f2(x))))
        return F.log_softmax(self.out(x), 1)


def gathered(t):
    out = [torch.zeros_like(t) for _ in range(N)]
    dist.all_gather(out, t.detach().contiguous())
    return out


def assert_same_on_all_ranks(model, what):
    for name, p in model.named_parameters():
        for r, q in enumerate(gathered(p)):
            if not np.array_equal(q.numpy(), p.detach().numpy()):
                raise AssertionError(f"{what}: {name} differs between rank {R} and rank {r}")


def close(model, ref, what, tol=2e-5):
    err = max(float((a - b).abs().max()) for a, b in zip(model.parameters(), ref.parameters()))
    if err > tol:
        raise AssertionError(f"rank {R}: {what}: max |DDP - single process| = {err}")
    return err


# ----------------------------------------------------------- DDP == one process with batch N*B
torch.manual_seed(100 + R)            # different on each rank: DDP must broadcast rank 0's
model = Net()
ref = Net()
ddp = DDP(model, bucket_cap_mb=0.01)  # several buckets
assert len(ddp._buckets) > 1, [len(b.index) for b in ddp._buckets]
assert_same_on_all_ranks(model, "after wrapping")
ref.load_state_dict(model.state_dict())
assert list(ddp.state_dict())[0].startswith("module.")

launch_hits = []
orig_launch = ddp._launch


def spy(bucket):
    launch_hits.append((sum(ddp._hits), sum(ddp._expected)))
    return orig_launch(bucket)


ddp._launch = spy
opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
ref_opt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
rng = np.random.default_rng(0)
B = 6
for step in range(STEPS):
    x = torch.tensor(rng.standard_normal((N * B, 1, 28, 28)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, N * B))
    opt.zero_grad()
    F.nll_loss(ddp(x[R * B:(R + 1) * B]), y[R * B:(R + 1) * B]).backward()
    opt.step()
    ref_opt.zero_grad()
    F.nll_loss(ref(x), y).backward()
    ref_opt.step()
    if step == 0:
        # the first buckets started while backward still had gradients to produce
        assert launch_hits and launch_hits[0][0] < launch_hits[0][1], launch_hits
err = close(model, ref, f"{STEPS} SGD-momentum steps")
assert_same_on_all_ranks(model, "after training")
ddp._launch = orig_launch

# ----------------------------------------------------------- no_sync: gradient accumulation
for p, q in zip(model.parameters(), ref.parameters()):
    p.grad = None
    q.grad = None
xs = [torch.tensor(rng.standard_normal((N * B, 1, 28, 28)).astype(np.float32))
      for _ in range(3)]
ys = [torch.tensor(rng.integers(0, 10, N * B)) for _ in range(3)]
with ddp.no_sync():
    for x, y in zip(xs[:2], ys[:2]):
        F.nll_loss(ddp(x[R * B:(R + 1) * B]), y[R * B:(R + 1) * B]).backward()
g_local = model.f1.weight.grad.clone()
others = gathered(g_local)
assert not np.array_equal(others[0].numpy(), others[1].numpy()), "no_sync still reduced"
F.nll_loss(ddp(xs[2][R * B:(R + 1) * B]), ys[2][R * B:(R + 1) * B]).backward()
for x, y in zip(xs, ys):
    F.nll_loss(ref(x), y).backward()
for (name, p), q in zip(model.named_parameters(), ref.parameters()):
    d = float((p.grad - q.grad).abs().max())
    assert d < 1e-5, f"rank {R}: no_sync accumulated grad of {name} off by {d}"


# ----------------------------------------------------------- find_unused_parameters
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 3)       # used on rank 0 only
        self.never = nn.Linear(4, 3)   # used on no rank

    def forward(self, x, use_b):
        y = self.a(x)
        return y + self.b(x) if use_b else y


torch.manual_seed(5)
m = Branchy()
local = Branchy()
local.load_state_dict(m.state_dict())
d = DDP(m, find_unused_parameters=True)
x = torch.tensor(np.random.default_rng(R).standard_normal((5, 4)).astype(np.float32))
for it in range(2):
    m.zero_grad()
    local.zero_grad()
    d(x, R == 0).pow(2).sum().backward()
    local(x, R == 0).pow(2).sum().backward()
    for name in ("a", "b"):
        for pn in ("weight", "bias"):
            lg = getattr(getattr(local, name), pn).grad
            lg = lg if lg is not None else torch.zeros(getattr(getattr(local, name), pn).shape)
            want = sum(gathered(lg)) / N
            got = getattr(getattr(m, name), pn).grad
            assert got is not None and float((got - want).abs().max()) < 1e-6, (name, pn)
    assert m.never.weight.grad is None and m.never.bias.grad is None

# without find_unused_parameters, an unused parameter is PyTorch's error at the next forward
torch.manual_seed(5)
d2 = DDP(Branchy())
d2(x, True).sum().backward()        # every parameter but `never`...
try:
    d2(x, True)
except RuntimeError as e:
    assert "Expected to have finished reduction in the prior iteration" in str(e), e
    assert "find_unused_parameters=True" in str(e)
else:
    raise AssertionError("no error for an unused parameter")


# ----------------------------------------------------------- buffers, bucket views, errors
class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.register_buffer("scale", torch.ones(3))

    def forward(self, x):
        return self.lin(x) * self.scale


wb = WithBuffer()
dw = DDP(wb)
wb.scale.fill_(float(R + 2))
dw(torch.ones(1, 3)).sum().backward()
assert wb.scale.tolist() == [2.0] * 3, wb.scale     # rank 0's buffer, broadcast at forward
wb2 = WithBuffer()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dw2 = DDP(wb2, broadcast_buffers=False)
assert any(issubclass(c.category, FutureWarning) for c in caught)
wb2.scale.fill_(float(R + 2))
dw2(torch.ones(1, 3)).sum().backward()
assert wb2.scale.tolist() == [float(R + 2)] * 3

torch.manual_seed(7)
mv, rv = Net(), Net()
rv.load_state_dict(mv.state_dict())
dv = DDP(mv, gradient_as_bucket_view=True)
ov = torch.optim.SGD(dv.parameters(), lr=0.05, momentum=0.9)
orv = torch.optim.SGD(rv.parameters(), lr=0.05, momentum=0.9)
for step in range(5):
    x = torch.tensor(rng.standard_normal((N * B, 1, 28, 28)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, N * B))
    ov.zero_grad(set_to_none=(step % 2 == 0))
    F.nll_loss(dv(x[R * B:(R + 1) * B]), y[R * B:(R + 1) * B]).backward()
    ov.step()
    orv.zero_grad()
    F.nll_loss(rv(x), y).backward()
    orv.step()
close(mv, rv, "gradient_as_bucket_view")

try:
    DDP(nn.Linear(3, 4 + R))
except RuntimeError as e:
    assert "DDP expects same model across all ranks" in str(e), e
else:
    raise AssertionError("no error for different models")
try:
    DDP(nn.Linear(3, 3), device_ids=[0])
except ValueError as e:
    assert "device_ids and output_device arguments only work" in str(e), e
else:
    raise AssertionError("no error for device_ids on a CPU module")

dist.destroy_process_group()
print(f"DDP OK rank {R} (max |DDP - single process| after {STEPS} steps: {err:.2e})")
sys.stdout.flush()
