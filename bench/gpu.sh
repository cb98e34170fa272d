#!/usr/bin/env bash
# The CUDA check for a bare GPU machine: no network, no install, no Qt.  Runs from the
# checkout with the machine's python3 (torch, torchvision, numpy, h5py, opencv, Pillow)
# and PYTHONPATH=.; every measurement is time-boxed and the whole run stays under
# 8 minutes.  The table goes to stdout, and to $OUT/gpu.md and $OUT/gpu.json when $OUT is set.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())"
timeout -k 10 470 "$PY" bench/gpu.py --budget 420 ${OUT:+--out "$OUT/gpu.md" --json "$OUT/gpu.json"}
status=$?
[ "$status" -eq 124 ] && echo "bench/gpu.py ran out of its 470 s; the table above holds what it measured"
exit "$status"
