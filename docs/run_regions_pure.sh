#!/usr/bin/env bash
# The measured runs of the purity-aware regions (issue 24's next lever): per seed, PPL (whose
# clicks set the regions' budget), SPL, `regions`, `regions-pure` and RAND-regions from one
# warm-up, on the two demo target domains, one process of one thread per domain, as
# docs/run_regions.sh.  Every strategy runs again: the committed per-seed numbers of
# docs/runs/regions are not reproduced by a rebuilt environment (docs/results.md, "Regions").
# The night runs of a seed warm up from the photo run's pre-trained model of that seed.
#   docs/run_regions_pure.sh [OUT=runs/regions-pure] [SEEDS="0 1 2"]
#   then   python docs/make_results_regions.py --runs OUT
# Resumable: run it again and every finished job is skipped.  Accuracy does not depend on the
# machine's load (each job is seeded); the wall time does, and is recorded in times.log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-runs/regions-pure}")"
read -r -a seeds <<< "${SEEDS:-0 1 2}"
read -r -a strategies <<< "${STRATEGIES:-ppl spl regions regions-pure rand-regions}"
L="${LABOR:-$here/.venv/bin/labor}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$out"
cd "$out"
pre="$out/photo/compare/seed-{seed}/shared/checkpoints/pretrain.pt"
pretrained() { until [ -f "${pre/\{seed\}/$1}" ]; do sleep 15; done; }
stamp() { printf '%s %s\n' "$(date +%s)" "$1" >> "$out/times.log"; }
domain() {  # name, labor demo arguments...
    local name=$1
    shift
    for k in "${seeds[@]}"; do
        [ "$name" = photo ] || pretrained "$k"
        stamp "$name seed $k start"
        "$L" demo "$@" --seeds "$k" --strategies "${strategies[@]}" >> "$name.log" 2>&1
        stamp "$name seed $k done"
    done
}
domain photo --out photo &
domain night --out night --target-style night --pretrained "$pre" &
wait
echo "done: $out"
