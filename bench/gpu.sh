#!/usr/bin/env bash
# The CUDA check for a lent GPU machine: installs the project if needed, then times a
# ResNet-101 training step (fp32 vs AMP) and the proposal pass at Cityscapes scale.
# Fits in 8 minutes; the table goes to stdout and $OUT/gpu.json when $OUT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv && .venv/bin/pip install -q -e . >/dev/null
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
timeout 450 .venv/bin/python bench/gpu.py --batch 2 --repeats 5 ${OUT:+--json "$OUT/gpu.json"}
