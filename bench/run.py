"""Every CPU-performance workload, ember vs PyTorch side by side, then one summary table:
workload, ember, PyTorch, ratio (ember time / PyTorch time, lower is better), target.

Run: python bench/run.py            (all workloads, a few minutes)
     python bench/run.py conv lstm  (only the named scripts)

Timings on this 2-core machine swing 10-20% with background load; run on an idle machine
and record results with the date and machine in bench/RESULTS.md.

Diagnostics for the convolution rows, run on their own: bench/conv_layers.py (the small
ResNet's convolutions one by one) and bench/conv_floor.py (their bare GEMMs against
PyTorch's convolution kernels: the floor under ember's convolution ratios).
"""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

SCRIPTS = ["ops", "conv", "train_mlp", "train_lenet", "train_resnet", "train_lstm",
           "train_transformer", "dataloader", "startup"]


def main(argv):
    chosen = [s for s in SCRIPTS if not argv or s in argv]
    unknown = set(argv) - set(SCRIPTS)
    if unknown:
        sys.exit(f"unknown workload script(s) {sorted(unknown)}; choose from {SCRIPTS}")
    for name in chosen:
        print(f"--- bench/{name}.py", flush=True)
        importlib.import_module(name).main()
    print()
    print("| # | workload | ember | PyTorch | ratio | target | met |")
    print("|---|---|---|---|---|---|---|")
    for wl, name, e, t, target in sorted(_common.RESULTS, key=lambda r: r[0]):
        ratio = e / t
        fmt = _fmt_bytes if "bytes" in name else _fmt_time
        met = "" if target is None else ("yes" if ratio <= target else "**no**")
        tgt = "" if target is None else f"<= {target:.2f}"
        print(f"| {wl} | {name} | {fmt(e)} | {fmt(t)} | {ratio:.2f} | {tgt} | {met} |")


def _fmt_time(s):
    if s != s:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e3), ("us", 1e6)):
        if s * scale >= 1:
            return f"{s * scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def _fmt_bytes(b):
    return "-" if b != b else f"{b / 2**20:.0f} MB"


if __name__ == "__main__":
    main(sys.argv[1:])
