"""GPU benchmark (issue 6): ember on CuPy vs PyTorch CUDA, side by side in one process.

Workloads: 4096^3 matmul in float32 and bfloat16 (TFLOP/s); ResNet-18 training step (CIFAR-size
inputs, batch 128, SGD); a GPT-style Transformer training step (d 512, 8 heads, 4 layers,
seq 256, batch 16, Adam) without and with autocast (float16 + GradScaler); one epoch of the
seed LeNet on the MNIST in ember/_data (batch 64); and GPU memory (start/end/peak) over 1,000
LeNet training steps (target: flat, end == start).

Float32 matmuls run in full FP32 on both sides (PyTorch's default allow_tf32=False; CuPy
uses TF32 only with CUPY_TF32=1).

Timing: each round runs `number` calls between two device synchronizations and a
perf_counter read; ember and PyTorch rounds alternate with a settle pause before each round
(as bench/_common.py), so drift and clocks hit both alike; the median round counts.

Run on a GPU machine: python bench/gpu.py            (all workloads, a few minutes)
                      python bench/gpu.py matmul gpt (only the named groups)
Without a GPU or CuPy it says so and exits with status 0, measuring nothing.
Groups: matmul, resnet, gpt, lenet, memory.

`--dry-run` runs every workload once, small, on the CPU (both libraries), to check the script
itself where there is no GPU; its numbers mean nothing.
"""
import gzip
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import ember  # noqa: E402
import _common  # noqa: E402

GROUPS = ["matmul", "resnet", "gpt", "lenet", "memory"]
DEVICE = "cuda"
DRY = False      # --dry-run: CPU, one small round of everything


# ------------------------------------------------------------------ timing
def _sync(lib):
    if DEVICE == "cuda":
        lib.cuda.synchronize()


def _round(lib, fn, number):
    _sync(lib)
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    _sync(lib)
    return (time.perf_counter() - t0) / number


def compare(name, ember_fn, torch_fn, torch, number, rounds=5, warmup=2, workload=None,
            target=None, work=None, work_unit=""):
    """Alternate synchronized rounds; record medians. `work` (per call) gives a throughput."""
    if DRY:
        number, rounds, warmup = 1, 1, 0
    for _ in range(warmup):
        ember_fn()
        if torch_fn is not None:
            torch_fn()
    e_t, t_t = [], []
    for _ in range(rounds):
        _common._settle()
        e_t.append(_round(ember, ember_fn, number))
        if torch_fn is not None:
            _common._settle()
            t_t.append(_round(torch, torch_fn, number))
    e = statistics.median(e_t)
    t = statistics.median(t_t) if t_t else float("nan")
    line = (f"{name:<46} ember {e * 1e3:9.2f} ms   torch {t * 1e3:9.2f} ms   "
            f"ratio {e / t:6.2f}")
    if work:
        line += f"   ({work / e:.1f} vs {work / t:.1f} {work_unit})"
    print(line, flush=True)
    if workload is not None:
        _common.record(workload, name, e, t, target)
    return e, t


def _guard(name, fn):
    """Run one workload group; an error in one (an op ember lacks on CUDA, say) is reported
    and the others still run."""
    try:
        fn()
    except Exception as exc:   # report and go on: the table shows what did run
        print(f"{name:<46} FAILED: {type(exc).__name__}: {str(exc)[:300]}", flush=True)
        FAILED.append((name, f"{type(exc).__name__}: {str(exc)[:200]}"))


FAILED = []


# ------------------------------------------------------------------ workloads
def bench_matmul(torch):
    n = 256 if DRY else 4096
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n)).astype(np.float32)
    b_np = rng.standard_normal((n, n)).astype(np.float32)
    flops = 2 * n ** 3
    for wl, dt, target in ((1, "float32", 1 / 0.95), (2, "bfloat16", 1 / 0.95)):
        def make(lib):
            a = lib.tensor(a_np, device=DEVICE).to(getattr(lib, dt))
            b = lib.tensor(b_np, device=DEVICE).to(getattr(lib, dt))
            return lambda: a @ b
        _guard(f"matmul 4096^3 {dt}", lambda: compare(
            f"matmul 4096^3 {dt}", make(ember), make(torch) if torch else None, torch,
            number=10, workload=wl, target=target, work=flops / 1e12, work_unit="TFLOP/s"))


def _torch_resnet18(torch):
    try:
        import torchvision
        return torchvision.models.resnet18(num_classes=10)
    except ImportError:
        return _resnet18(torch)


def _resnet18(lib, num_classes=10):
    """torchvision's ResNet-18 layout written against `lib` (used for PyTorch when
    torchvision isn't installed; the same parameters as ember.vision.models.resnet18)."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + idt)

    def stage(cin, cout, stride):
        return nn.Sequential(Block(cin, cout, stride), Block(cout, cout, 1))

    return nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1), stage(64, 64, 1), stage(64, 128, 2), stage(128, 256, 2),
        stage(256, 512, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


def _train_step(lib, model, x, y, opt, scaler=None, autocast=False):
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        if autocast:
            with lib.autocast(DEVICE, dtype=lib.float16 if DEVICE == "cuda" else lib.bfloat16):
                loss = loss_fn(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return step


def bench_resnet(torch):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((128, 3, 32, 32)).astype(np.float32)
    y_np = rng.integers(0, 10, 128).astype(np.int64)

    def make(lib):
        lib.manual_seed(0)
        model = (ember.vision.models.resnet18(num_classes=10) if lib is ember
                 else _torch_resnet18(lib)).to(DEVICE)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return _train_step(lib, model, lib.tensor(x_np, device=DEVICE),
                           lib.tensor(y_np, device=DEVICE), opt)
    compare("ResNet-18 train step, 32x32, batch 128", make(ember),
            make(torch) if torch else None, torch, number=5, workload=3, target=1 / 0.8,
            work=128, work_unit="img/s")


D, HEADS, LAYERS, SEQ, BATCH, VOCAB = 512, 8, 4, 256, 16, 8192


def _gpt(lib):
    nn = lib.nn

    class GPT(nn.Module):
        """Token + position embeddings, pre-norm causal Transformer blocks, LM head."""

        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, D)
            self.pos = nn.Embedding(SEQ, D)
            layer = nn.TransformerEncoderLayer(D, HEADS, 4 * D, dropout=0.1,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D)
            self.head = nn.Linear(D, VOCAB, bias=False)

        def forward(self, idx):
            t = idx.shape[1]
            pos = lib.arange(t, device=idx.device)
            mask = nn.Transformer.generate_square_subsequent_mask(t, device=idx.device)
            h = self.blocks(self.tok(idx) + self.pos(pos), mask=mask, is_causal=True)
            return self.head(self.norm(h)).flatten(0, 1)
    return GPT()


def bench_gpt(torch):
    rng = np.random.default_rng(0)
    idx_np = rng.integers(0, VOCAB, (BATCH, SEQ)).astype(np.int64)
    tgt_np = rng.integers(0, VOCAB, BATCH * SEQ).astype(np.int64)

    def make(lib, autocast):
        lib.manual_seed(0)
        model = _gpt(lib).to(DEVICE)
        opt = lib.optim.Adam(model.parameters(), lr=3e-4)
        scaler = lib.amp.GradScaler(DEVICE) if autocast else None
        return _train_step(lib, model, lib.tensor(idx_np, device=DEVICE),
                           lib.tensor(tgt_np, device=DEVICE), opt, scaler, autocast)
    for wl, ac in ((4, False), (5, True)):
        name = f"GPT step d512 h8 seq256 b16{' autocast fp16' if ac else ''}"
        _guard(name, lambda: compare(name, make(ember, ac), make(torch, ac) if torch else None,
                                     torch, number=5, workload=wl, target=1 / 0.8,
                                     work=BATCH * SEQ, work_unit="tok/s"))


def _mnist():
    root = os.path.join(os.path.dirname(HERE), "ember", "_data", "MNIST", "raw")
    with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    n, rows, cols = np.frombuffer(raw[4:16], ">i4")
    x = np.frombuffer(raw[16:], np.uint8).reshape(n, 1, rows, cols).astype(np.float32)
    x = (x / 255.0 - 0.1307) / 0.3081
    with gzip.open(os.path.join(root, "train-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read()[8:], np.uint8).astype(np.int64)
    return x, y


def _lenet(lib):
    nn, F = lib.nn, lib.nn.functional

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
            x = F.relu(self.fc1(x.view(-1, 320)))
            x = F.dropout(x, training=self.training)
            return F.log_softmax(self.fc2(x), dim=1)
    return LeNet()


def _lenet_trainer(lib, x_np, y_np, batch=64):
    """An epoch function over data already on the GPU (the seed recipe: SGD lr 0.01 m 0.5)."""
    lib.manual_seed(0)
    model = _lenet(lib).to(DEVICE)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    x, y = lib.tensor(x_np, device=DEVICE), lib.tensor(y_np, device=DEVICE)
    n = (len(x_np) // batch) * batch

    def step(i):
        xb, yb = x[i:i + batch], y[i:i + batch]
        opt.zero_grad()
        loss = lib.nn.functional.nll_loss(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    def epoch():
        for i in range(0, n, batch):
            loss = step(i)
        return float(loss.detach())
    return epoch, step


def bench_lenet(torch):
    x_np, y_np = _mnist()
    if DRY:
        x_np, y_np = x_np[:640], y_np[:640]
    e_epoch, _ = _lenet_trainer(ember, x_np, y_np)
    t_epoch = _lenet_trainer(torch, x_np, y_np)[0] if torch else None
    compare(f"seed LeNet MNIST epoch ({len(x_np)} images)", e_epoch, t_epoch, torch,
            number=1, rounds=3, warmup=1, workload=6, target=1 / 0.8, work=len(x_np),
            work_unit="img/s")


def bench_memory(torch, steps=1000):
    """memory_allocated after 10 steps (start), after `steps` (end), and the peak between."""
    x_np, y_np = _mnist()
    steps = 20 if DRY else steps
    rows = {}
    for lib in (ember, torch) if torch else (ember,):
        _, step = _lenet_trainer(lib, x_np[:64 * 50], y_np[:64 * 50])
        for s in range(10):
            step((s % 50) * 64)
        _sync(lib)
        start = lib.cuda.memory_allocated()
        if DEVICE == "cuda":
            lib.cuda.reset_peak_memory_stats()
        for s in range(10, steps):
            step((s % 50) * 64)
        _sync(lib)
        rows[lib.__name__] = (start, lib.cuda.memory_allocated(), lib.cuda.max_memory_allocated())
    nan = float("nan")
    t = rows.get("torch", (nan, nan, nan))
    e = rows["ember"]
    for i, what in enumerate(("start", "end", "peak")):
        _common.record(7, f"GPU memory over {steps} LeNet steps: {what} bytes", e[i], t[i])
    flat = "yes" if e[1] == e[0] else f"**no** (+{e[1] - e[0]} bytes)"
    print(f"{'GPU memory over %d steps (ember)' % steps:<46} start {e[0]} end {e[1]} peak "
          f"{e[2]} bytes; flat: {flat}", flush=True)
    print(f"{'GPU memory over %d steps (torch)' % steps:<46} start {t[0]} end {t[1]} peak "
          f"{t[2]} bytes", flush=True)


# ------------------------------------------------------------------ main
def main(argv):
    global DEVICE, DRY
    if "--dry-run" in argv:
        argv = [a for a in argv if a != "--dry-run"]
        DEVICE, DRY = "cpu", True
    unknown = set(argv) - set(GROUPS)
    if unknown:
        sys.exit(f"unknown group(s) {sorted(unknown)}; choose from {GROUPS}")
    if DRY:
        import torch
        print("dry run on the CPU: checks the script, the numbers mean nothing")
        for g in [g for g in GROUPS if not argv or g in argv]:
            _guard(g, lambda: globals()[f"bench_{g}"](torch))
        _table()
        return 1 if FAILED else 0
    if not ember.cuda.is_available():
        why = ("CuPy is not installed" if not ember.backends.cuda.is_built()
               else "CuPy sees no NVIDIA GPU")
        print(f"bench/gpu.py: no CUDA device usable by ember ({why}); nothing measured. "
              "Run it on a machine with an NVIDIA GPU and CuPy.")
        return 0
    try:
        import torch
        if not torch.cuda.is_available():
            print("(torch.cuda not available: ember timings only)")
            torch = None
    except ImportError:
        print("(PyTorch not installed: ember timings only)")
        torch = None
    dev = ember.cuda.get_device_properties(0)
    print(f"device: {dev.name} (sm_{dev.major}{dev.minor}, {dev.total_memory / 2**30:.0f} GiB), "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; ember {ember.__version__}"
          + (f", torch {torch.__version__}" if torch else ""), flush=True)
    chosen = [g for g in GROUPS if not argv or g in argv]
    for g in chosen:
        _guard(g, lambda: globals()[f"bench_{g}"](torch))
    _table()
    return 1 if FAILED else 0


def _table():
    from run import _fmt_time

    def _fmt_bytes(b):   # exact: flat memory means the same byte count
        return "-" if b != b else f"{int(b):,} B"
    print()
    print("| # | workload | ember | PyTorch | ember/PyTorch time | target | met |")
    print("|---|---|---|---|---|---|---|")
    for wl, name, e, t, target in sorted(_common.RESULTS, key=lambda r: r[0]):
        ratio = e / t if t == t and t else float("nan")
        fmt = _fmt_bytes if "bytes" in name else _fmt_time
        met = "" if target is None or ratio != ratio else ("yes" if ratio <= target else "**no**")
        tgt = "" if target is None else f"<= {target:.2f}"
        print(f"| {wl} | {name} | {fmt(e)} | {fmt(t)} | {ratio:.2f} | {tgt} | {met} |")
    for name, err in FAILED:
        print(f"| - | {name} | failed: {err} | | | | |")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
