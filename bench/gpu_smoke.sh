#!/usr/bin/env bash
# The first command of a GPU session (issue 6): checks ember sees the GPU, runs the CUDA tests
# and the op conformance suite on CUDA tensors (against PyTorch on CUDA), then bench/gpu.py.
# Installs nothing (the device machine has CuPy, PyTorch and Triton). Logs go to $OUT (the
# device tool's output folder) or /tmp/ember_gpu. Fits in one 10-minute device command:
#   bash bench/gpu_smoke.sh
# Steps are time-boxed so a slow or failing step doesn't starve the next ones.
set -u -o pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
LOG=${OUT:-/tmp/ember_gpu}
mkdir -p "$LOG"

echo "== environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python - <<'PY' || { echo "ember cannot use the GPU: stopping"; exit 1; }
import sys
import ember
try:
    import cupy
    print("cupy", cupy.__version__, "devices", cupy.cuda.runtime.getDeviceCount())
except Exception as e:
    print("cupy unusable:", type(e).__name__, e)
try:
    import torch
    print("torch", torch.__version__, "cuda", torch.cuda.is_available())
except ImportError:
    print("torch not installed")
print("ember.cuda.is_available():", ember.cuda.is_available())
sys.exit(0 if ember.cuda.is_available() else 1)
PY

echo "== tests/cuda (GPU verification and plumbing; stops at the first failure)"
timeout 150 python -m pytest tests/cuda -x -q -p no:cacheprovider 2>&1 | tee "$LOG/pytest_cuda.log"

echo "== tests/conformance on CUDA tensors (EMBER_TEST_DEVICE=cuda; first 40 failures listed)"
EMBER_TEST_DEVICE=cuda timeout 200 python -m pytest tests/conformance -q -p no:cacheprovider \
    --maxfail=40 -rf 2>&1 | tee "$LOG/pytest_conformance_cuda.log" | tail -80

echo "== bench/gpu.py"
timeout 220 python bench/gpu.py 2>&1 | tee "$LOG/bench_gpu.log"
