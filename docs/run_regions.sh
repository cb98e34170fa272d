#!/usr/bin/env bash
# The measured runs behind the regions table of docs/results.md (issue 24): PPL, SPL, LabOR
# regions and RAND-regions (and UDA, always reported) x 3 seeds on the two demo target domains,
# two processes of one thread side by side, as docs/run_results.sh.  The night runs of a seed
# warm up from the photo run's pre-trained model of that seed (pre-training sees no target).
#   docs/run_regions.sh [OUT=runs/regions] [SEEDS="0 1 2"]
#   then   .venv/bin/python docs/make_results.py --regions OUT
# Resumable: run it again and every finished job is skipped.  Accuracy does not depend on the
# machine's load (each job is seeded); the wall time does, and is recorded in meta.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-runs/regions}")"
seeds="${SEEDS:-0 1 2}"
strategies="${STRATEGIES:-ppl spl regions rand-regions}"
L="${LABOR:-$here/.venv/bin/labor}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$out"
cd "$out"
begin=$(date +%s)
pre="$out/photo/compare/seed-{seed}/shared/checkpoints/pretrain.pt"
pretrained() { until [ -f "${pre/\{seed\}/$1}" ]; do sleep 15; done; }
stamp() { printf '%s %s\n' "$(date +%s)" "$1" >> "$out/times.log"; }
(
    stamp "photo start"
    # shellcheck disable=SC2086
    "$L" demo --out photo --seeds $seeds --strategies $strategies > photo.log 2>&1
    stamp "photo done"
) &
(
    stamp "night start"
    for k in $seeds; do
        pretrained "$k"
        # shellcheck disable=SC2086
        "$L" demo --out night --target-style night --seeds "$k" --pretrained "$pre" --strategies $strategies >> night.log 2>&1
    done
    # shellcheck disable=SC2086
    "$L" demo --out night --target-style night --seeds $seeds --pretrained "$pre" --strategies $strategies >> night.log 2>&1
    stamp "night done"
) &
wait
printf '{"wall time": "%.1f min (two processes of one thread on %s cores)", "commit": "%s", "strategies": "%s"}\n' \
    "$(awk "BEGIN{print ($(date +%s) - $begin) / 60}")" "$(nproc --all)" "$(git -C "$here" rev-parse --short HEAD)" \
    "$strategies" > meta.json
echo "done: $out"
