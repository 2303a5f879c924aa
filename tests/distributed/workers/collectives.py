"""Run under 2+ ranks: every collective, dtype, shape and view checked against values each
rank computes itself (rank r's input is a function of r); mismatches must raise ValueError on
every rank. Prints COLLECTIVES OK on success; any failure raises (and aborts the job)."""
import sys
import warnings
from datetime import timedelta

import numpy as np

import ember as torch
import ember.distributed as dist

dist.init_process_group("mpi", timeout=timedelta(seconds=60))
R, N = dist.get_rank(), dist.get_world_size()
Op = dist.ReduceOp

try:
    import ml_dtypes  # noqa: F401
    HAVE_BF16 = True
except ImportError:
    HAVE_BF16 = False

DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
          torch.float16, torch.float32, torch.float64, torch.complex64, torch.complex128]
if HAVE_BF16:
    DTYPES.append(torch.bfloat16)


def np_of(t):
    if t.dtype is torch.bfloat16:
        return t.to(torch.float32).numpy()
    return t.numpy()


def data(rank, shape, dt, salt=0):
    """Small exact values: sums, products and halves are exact in every dtype."""
    rng = np.random.default_rng(1000 * rank + 7 * salt + 1)
    if dt is torch.bool:
        a = rng.integers(0, 2, shape).astype(bool)
    elif dt in (torch.uint8,):
        a = rng.integers(0, 4, shape).astype(np.uint8)
    elif not dt.is_floating_point and not dt.is_complex:
        a = rng.integers(-3, 4, shape)
    else:
        a = rng.integers(-3, 4, shape) + 0.5 * rng.integers(0, 2, shape)
        if dt.is_complex:
            a = a + 1j * (rng.integers(-3, 4, shape) + 0.5)
    return np.asarray(a)


def make(rank, shape, dt, salt=0):
    a = data(rank, shape, dt, salt)
    if dt is torch.bfloat16:
        return torch.tensor(a.astype(np.float32)).to(dt)
    return torch.tensor(a, dtype=dt)


def expected(shape, dt, op, salt=0):
    xs = [data(r, shape, dt, salt) for r in range(N)]
    if dt is torch.bool:
        f = {Op.SUM: np.logical_or, Op.MAX: np.logical_or, Op.BOR: np.logical_or,
             Op.PRODUCT: np.logical_and, Op.MIN: np.logical_and, Op.BAND: np.logical_and,
             Op.BXOR: np.logical_xor}[op]
    else:
        f = {Op.SUM: np.add, Op.AVG: np.add, Op.PRODUCT: np.multiply, Op.MIN: np.minimum,
             Op.MAX: np.maximum, Op.BAND: np.bitwise_and, Op.BOR: np.bitwise_or,
             Op.BXOR: np.bitwise_xor}[op]
    out = xs[0]
    for x in xs[1:]:
        out = f(out, x)
    if op == Op.AVG:
        if dt.is_complex:   # divided as (real, imag) pairs, as PyTorch's view_as_real does
            out = out.real / N + 1j * (out.imag / N)
        elif dt.is_floating_point:
            out = out / N
        else:
            out = np.trunc(out / N).astype(out.dtype)
    return out


def ops_for(dt):
    if dt is torch.bool:
        return [Op.SUM, Op.PRODUCT, Op.MIN, Op.MAX, Op.BAND, Op.BOR, Op.BXOR]
    if dt.is_complex:
        return [Op.SUM, Op.AVG]
    if dt.is_floating_point:
        return [Op.SUM, Op.AVG, Op.PRODUCT, Op.MIN, Op.MAX]
    return [Op.SUM, Op.AVG, Op.PRODUCT, Op.MIN, Op.MAX, Op.BAND, Op.BOR, Op.BXOR]


def same(got, want, what):
    g = np_of(got) if isinstance(got, torch.Tensor) else np.asarray(got)
    w = np.asarray(want)
    if isinstance(got, torch.Tensor) and (got.dtype.is_floating_point or got.dtype.is_complex):
        w = np_of(torch.tensor(w).to(got.dtype))   # expected values rounded to got's dtype
    if g.shape != w.shape or not np.array_equal(g.astype(w.dtype) if g.dtype != w.dtype
                                                 else g, w):
        raise AssertionError(f"rank {R}: {what}: got {g!r}, expected {w!r}")


def raises(exc, fn, what, text=None):
    try:
        fn()
    except exc as e:
        if text is not None and text not in str(e):
            raise AssertionError(f"rank {R}: {what}: message {str(e)!r} lacks {text!r}")
        return e
    raise AssertionError(f"rank {R}: {what}: no {exc.__name__}")


# ---------------------------------------------------------------- all_reduce: dtype x op x shape
n_checks = 0
for dt in DTYPES:
    for op in ops_for(dt):
        for shape in [(), (0,), (5,), (3, 4)]:
            t = make(R, shape, dt)
            dist.all_reduce(t, op=op)
            same(t, expected(shape, dt, op), f"all_reduce {dt} {op} {shape}")
            n_checks += 1
        # non-contiguous views: a transpose, and every other column of a bigger tensor
        tt = make(R, (4, 3), dt, salt=1).t()
        dist.all_reduce(tt, op=op)
        same(tt, expected((4, 3), dt, op, salt=1).T, f"all_reduce transposed {dt} {op}")
        base = make(R, (3, 6), dt, salt=2)
        keep = np_of(base).copy()
        col = base[:, ::2]
        dist.all_reduce(col, op=op)
        want = keep.copy()
        want[:, ::2] = expected((3, 6), dt, op, salt=2)[:, ::2]
        same(base, want, f"all_reduce strided view {dt} {op}")
        n_checks += 2

# async_op, and the errors PyTorch raises
w = dist.all_reduce(torch.full((3,), float(R + 1)), async_op=True)
assert isinstance(w, dist.Work) and w.wait() is True and w.is_completed()
same(w.result()[0], [sum(range(1, N + 1))] * 3, "async all_reduce")
raises(ValueError, lambda: dist.all_reduce(torch.zeros(2, dtype=torch.complex64),
                                           op=Op.MAX), "complex MAX",
       "all_reduce does not support RedOpType.MAX on complex tensors")
raises(TypeError, lambda: dist.all_reduce(torch.zeros(2, dtype=torch.bool), op=Op.AVG),
       "bool AVG", "Cannot use ReduceOp.AVG with boolean inputs")
raises(RuntimeError, lambda: dist.all_reduce(torch.zeros(2), op=Op.BAND), "float BAND",
       "Cannot use ReduceOp.BAND with non-integral dtype")
raises(TypeError, lambda: dist.all_reduce([torch.zeros(2)]), "list to all_reduce",
       "Expected parameter `tensor` of type torch.Tensor")

# ---------------------------------------------------------------- mismatches: ValueError on all
raises(ValueError, lambda: dist.all_reduce(torch.zeros(3 + R)), "shape mismatch",
       "mismatched arguments")
raises(ValueError, lambda: dist.all_reduce(torch.zeros(3, dtype=torch.float32 if R else
                                                       torch.float64)),
       "dtype mismatch", "torch.float64")
raises(ValueError, lambda: dist.broadcast(torch.zeros(2, 2 + R), src=0), "broadcast shape")
raises(ValueError, lambda: dist.all_gather([torch.zeros(1 + R) for _ in range(N)],
                                           torch.zeros(1 + R)), "all_gather shape")
raises(ValueError, lambda: dist.all_to_all_single(torch.zeros(N * (1 + R)), torch.zeros(N)),
       "all_to_all_single sizes", "which expects")
e = raises(ValueError, lambda: dist.all_reduce(torch.zeros(2), op=Op.MAX if R else Op.MIN),
           "op mismatch")
assert "RedOpType.MAX" in str(e) and "RedOpType.MIN" in str(e), e
dist.all_reduce(torch.zeros(1))   # the group still works after those errors

# ---------------------------------------------------------------- broadcast / reduce
for dt in DTYPES:
    for src in range(N):
        t = make(R, (2, 3), dt, salt=3)
        dist.broadcast(t, src=src)
        same(t, data(src, (2, 3), dt, salt=3), f"broadcast {dt} from {src}")
    t = make(R, (3, 4), dt, salt=4).t()
    dist.broadcast(t, src=N - 1)
    same(t, data(N - 1, (3, 4), dt, salt=4).T, f"broadcast view {dt}")
    for op in ops_for(dt)[:3]:
        for dst in range(N):
            t = make(R, (4,), dt, salt=5)
            dist.reduce(t, dst=dst, op=op)
            same(t, expected((4,), dt, op, salt=5) if R == dst else data(R, (4,), dt, salt=5),
                 f"reduce {dt} {op} to {dst}")

t = torch.full((2,), float(R))
dist.broadcast(t, group_src=N - 1)
same(t, [N - 1.0] * 2, "broadcast group_src")
raises(ValueError, lambda: dist.broadcast(t), "broadcast without src",
       "Must specify global_rank or group_rank")
raises(ValueError, lambda: dist.broadcast(t, src=0, group_src=0), "src and group_src",
       "Can't specify both group_rank and global_rank")

# ---------------------------------------------------------------- gathers and scatters
for dt in [torch.float32, torch.int64, torch.bool, torch.complex128, torch.float16]:
    x = make(R, (2, 3), dt, salt=6)
    outs = [torch.zeros(2, 3, dtype=dt) for _ in range(N)]
    dist.all_gather(outs, x)
    for r in range(N):
        same(outs[r], data(r, (2, 3), dt, salt=6), f"all_gather {dt}")
    # into views of one buffer (non-contiguous outputs), from a non-contiguous input
    big = torch.zeros(3, 2 * N, dtype=dt)
    outs = [big[:, 2 * r:2 * r + 2] for r in range(N)]
    dist.all_gather(outs, make(R, (2, 3), dt, salt=7).t())
    for r in range(N):
        same(big[:, 2 * r:2 * r + 2], data(r, (2, 3), dt, salt=7).T, f"all_gather views {dt}")
    out = torch.zeros(N * 2, 3, dtype=dt)
    dist.all_gather_into_tensor(out, x)
    same(out, np.concatenate([data(r, (2, 3), dt, salt=6) for r in range(N)]),
         f"all_gather_into_tensor {dt}")
    out = torch.zeros(N, 2, 3, dtype=dt)
    dist.all_gather_into_tensor(out, x)
    same(out, np.stack([data(r, (2, 3), dt, salt=6) for r in range(N)]),
         f"all_gather_into_tensor stacked {dt}")
    for root in range(N):
        gl = [torch.zeros(2, 3, dtype=dt) for _ in range(N)] if R == root else None
        dist.gather(x, gather_list=gl, dst=root)
        if R == root:
            for r in range(N):
                same(gl[r], data(r, (2, 3), dt, salt=6), f"gather {dt} to {root}")
        y = torch.zeros(3, 2, dtype=dt).t()   # a non-contiguous receiver
        sl = [make(r + 10 * root, (2, 3), dt, salt=8) for r in range(N)] if R == root else None
        dist.scatter(y, scatter_list=sl, src=root)
        same(y, data(R + 10 * root, (2, 3), dt, salt=8), f"scatter {dt} from {root}")

raises(ValueError, lambda: dist.gather(torch.zeros(1), gather_list=None, dst=R),
       "gather without list", "must be specified on destination rank")
raises(ValueError, lambda: dist.scatter(torch.zeros(1), scatter_list=None, src=R),
       "scatter without list", "``scatter_list`` must be specified on source rank")
if N > 1:   # each rank names another as the root: every rank fails locally, no collective
    raises(ValueError, lambda: dist.gather(torch.zeros(1), gather_list=[torch.zeros(1)] * N,
                                           dst=(R + 1) % N),
           "gather list off the root", "must NOT be specified on non-destination ranks")
    raises(ValueError, lambda: dist.scatter(torch.zeros(1), scatter_list=[torch.zeros(1)] * N,
                                            src=(R + 1) % N),
           "scatter list off the root", "must NOT be specified on non-source ranks")
raises(ValueError, lambda: dist.all_gather_into_tensor(torch.zeros(N + 1), torch.zeros(1)),
       "all_gather_into_tensor size", "world_size times input tensor size")

for dt in [torch.float32, torch.int32, torch.bool, torch.complex64]:
    for op in ops_for(dt)[:2]:
        ins = [make(R, (2, 2), dt, salt=20 + j) for j in range(N)]
        out = torch.zeros(2, 2, dtype=dt)
        dist.reduce_scatter(out, ins, op=op)
        same(out, expected((2, 2), dt, op, salt=20 + R), f"reduce_scatter {dt} {op}")
        inp = torch.cat([make(R, (2, 2), dt, salt=20 + j) for j in range(N)])
        out = torch.zeros(2, 2, dtype=dt)
        dist.reduce_scatter_tensor(out, inp, op=op)
        same(out, expected((2, 2), dt, op, salt=20 + R), f"reduce_scatter_tensor {dt} {op}")

# ---------------------------------------------------------------- all_to_all
ins = [torch.full((j + 1, 2), float(10 * R + j)) for j in range(N)]       # uneven sizes
outs = [torch.zeros(R + 1, 2) for _ in range(N)]
dist.all_to_all(outs, ins)
for i in range(N):
    same(outs[i], np.full((R + 1, 2), 10.0 * i + R), "all_to_all")
inp = torch.arange(2 * N, dtype=torch.int64) + 100 * R
out = torch.zeros(2 * N, dtype=torch.int64)
dist.all_to_all_single(out, inp)
same(out, np.concatenate([np.arange(2 * R, 2 * R + 2) + 100 * i for i in range(N)]),
     "all_to_all_single")
splits_in = [j + 1 for j in range(N)]                 # rank R sends j+1 rows to rank j
inp = torch.full((sum(splits_in), 3), float(R))
out = torch.zeros((R + 1) * N, 3)
dist.all_to_all_single(out, inp, output_split_sizes=[R + 1] * N, input_split_sizes=splits_in)
same(out, np.concatenate([np.full((R + 1, 3), float(i)) for i in range(N)]),
     "all_to_all_single uneven splits")
bad = [1, 3] + [2] * (N - 2) if R == 0 else [2] * N   # rank 0 expects 1 element from itself
raises(ValueError, lambda: dist.all_to_all_single(torch.zeros(2 * N), torch.zeros(2 * N),
                                                  output_split_sizes=bad,
                                                  input_split_sizes=[2] * N),
       "all_to_all_single bad splits", "rank 0 sends 2 elements to rank 0")

# ---------------------------------------------------------------- point to point
nxt, prv = (R + 1) % N, (R - 1) % N
for dt in [torch.float32, torch.int16, torch.bool, torch.complex128]:
    s = make(R, (2, 3), dt, salt=30)
    r_ = torch.zeros(3, 2, dtype=dt).t()   # receive into a view
    ws = dist.isend(s.t().t(), dst=nxt)
    wr = dist.irecv(r_, src=prv)
    wr.wait()
    ws.wait()
    same(r_, data(prv, (2, 3), dt, salt=30), f"isend/irecv {dt}")
if R == 0:
    for _ in range(N - 1):
        t = torch.zeros(2)
        sender = dist.recv(t, tag=7)      # any source
        same(t, [float(sender)] * 2, "recv any source")
    dist.send(torch.ones(3), dst=1, tag=5)
else:
    dist.send(torch.full((2,), float(R)), dst=0, tag=7)
    if R == 1:
        t = torch.zeros(3)
        assert dist.recv(t, src=0, tag=5) == 0
        same(t, [1.0] * 3, "send/recv tag")
ops = [dist.P2POp(dist.isend, torch.full((2,), float(R)), nxt),
       dist.P2POp(dist.irecv, torch.zeros(2), prv)]
for w in dist.batch_isend_irecv(ops):
    w.wait()
same(ops[1].tensor, [float(prv)] * 2, "batch_isend_irecv")
# a recv whose tensor does not match what was sent: a clear ValueError
if R == 0:
    dist.send(torch.zeros(5), dst=1)
    dist.send(torch.zeros(2), dst=1, tag=1)
elif R == 1:
    raises(ValueError, lambda: dist.recv(torch.zeros(3), src=0), "recv too small",
           "larger than the receiving tensor")
    raises(ValueError, lambda: dist.recv(torch.zeros(3), src=0, tag=1), "recv too big",
           "sent 8 bytes but the receiving tensor holds 12 bytes")
raises(ValueError, lambda: dist.send(torch.zeros(1), dst=R), "send to self",
       "Invalid destination rank")

# ---------------------------------------------------------------- objects
objs = [{"rank": R}, "x" * (R + 1), None] if R == 0 else [0, 0, 0]
dist.broadcast_object_list(objs, src=0)
assert objs == [{"rank": 0}, "x", None], objs
gathered = [None] * N
dist.all_gather_object(gathered, ("r", R, list(range(R))))
assert gathered == [("r", r, list(range(r))) for r in range(N)], gathered
gl = [None] * N if R == N - 1 else None
dist.gather_object(R * 2, gl, dst=N - 1)
assert R != N - 1 or gl == [r * 2 for r in range(N)], gl
out = [None]
dist.scatter_object_list(out, [f"to{r}" for r in range(N)] if R == 0 else None, src=0)
assert out == [f"to{R}"], out
if R == 0:
    dist.send_object_list([1, "two", torch.tensor([3.0])], dst=1)
elif R == 1:
    lst = [None, None, None]
    assert dist.recv_object_list(lst, src=0) == 0
    assert lst[:2] == [1, "two"] and lst[2].tolist() == [3.0], lst

# ---------------------------------------------------------------- groups
g = dist.new_group([N - 1])           # every rank calls; only the last is a member
if R == N - 1:
    assert dist.get_world_size(g) == 1 and dist.get_rank(g) == 0
    t = torch.full((2,), 5.0)
    dist.all_reduce(t, group=g)
    same(t, [5.0, 5.0], "group of one")
    dist.broadcast(t, src=N - 1, group=g)
else:
    assert g is dist.GroupMember.NON_GROUP_MEMBER
    assert dist.get_rank(g) == -1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert dist.all_reduce(torch.zeros(1), group=g) is None
    assert any("does not belong to the given group" in str(c.message) for c in caught)
rev = dist.new_group(list(range(N))[::-1], sort_ranks=False)   # group rank order reversed
assert dist.get_rank(rev) == N - 1 - R
assert dist.get_global_rank(rev, 0) == N - 1 and dist.get_group_rank(rev, 0) == N - 1
t = torch.full((1,), float(R))
dist.broadcast(t, src=0, group=rev)          # src is a global rank
same(t, [0.0], "broadcast in reversed group (global src)")
dist.broadcast(t, group_src=0, group=rev)    # group rank 0 is global rank N-1
same(t, [0.0], "broadcast in reversed group (group_src)")
t = torch.full((1,), float(R))
dist.broadcast(t, group_src=0, group=rev)
same(t, [float(N - 1)], "broadcast in reversed group (group_src)")
t = torch.full((2,), float(R + 1))
dist.all_reduce(t, op=Op.PRODUCT, group=rev)
same(t, [float(np.prod(range(1, N + 1)))] * 2, "all_reduce in a group")
assert dist.get_process_group_ranks(rev) == list(range(N))[::-1]
dist.destroy_process_group(rev)

dist.barrier()
w = dist.barrier(async_op=True)
w.wait()
dist.monitored_barrier(timeout=timedelta(seconds=30))
assert dist.get_backend() == "mpi" and dist.is_initialized()
sampler = torch.utils.data.distributed.DistributedSampler(range(11))   # ranks from the group
assert (sampler.num_replicas, sampler.rank, len(sampler)) == (N, R, -(-11 // N))
parts = [None] * N
dist.all_gather_object(parts, list(sampler))
assert set(sum(parts, [])) == set(range(11)) and len(sum(parts, [])) == N * -(-11 // N)
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"COLLECTIVES OK rank {R} ({n_checks} all_reduce checks, bf16={HAVE_BF16})")
sys.stdout.flush()
