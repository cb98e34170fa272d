#!/usr/bin/env bash
# The measured runs behind docs/results.md (issues 13, 23), on a 2-core CPU: the whole demo
# comparison x 3 seeds on the two demo target domains, two processes of one thread side by
# side; then the held-out third look (dusk: UDA against the converged supervised model).
# Pre-training sees no target image, so the night and dusk runs of a seed warm up from the
# photo run's pre-trained model of that seed (--pretrained) instead of training it again.
#   docs/run_results.sh [OUT=runs/results] [SEEDS="0 1 2"] [DUSK_SEEDS="0"]
#   then   .venv/bin/python docs/make_results.py --runs OUT
# Resumable: run it again and every finished job is skipped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-runs/results}")"
seeds="${SEEDS:-0 1 2}"
dusk_seeds="${DUSK_SEEDS:-0}"
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
    "$L" demo --out photo --seeds $seeds > photo.log 2>&1
    stamp "photo done"
) &
(
    stamp "night start"
    for k in $seeds; do  # each seed as soon as the photo run has pre-trained it
        pretrained "$k"
        "$L" demo --out night --target-style night --seeds "$k" --pretrained "$pre" >> night.log 2>&1
    done
    # shellcheck disable=SC2086
    "$L" demo --out night --target-style night --seeds $seeds --pretrained "$pre" >> night.log 2>&1  # the report
    stamp "night done"
    for k in $dusk_seeds; do
        pretrained "$k"
        "$L" demo --out dusk --target-style dusk --strategies supervised-converged --seeds "$k" \
            --pretrained "$pre" >> dusk.log 2>&1
    done
    # shellcheck disable=SC2086
    "$L" demo --out dusk --target-style dusk --strategies supervised-converged --seeds $dusk_seeds \
        --pretrained "$pre" >> dusk.log 2>&1
    stamp "dusk done"
) &
wait
printf '{"wall time": "%.1f min (two processes of one thread on %s cores)", "commit": "%s"}\n' \
    "$(awk "BEGIN{print ($(date +%s) - $begin) / 60}")" "$(nproc --all)" "$(git -C "$here" rev-parse --short HEAD)" > meta.json
echo "done: $out (now: .venv/bin/python docs/make_results.py --runs $out)"
