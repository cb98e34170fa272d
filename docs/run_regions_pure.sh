#!/usr/bin/env bash
# The measured runs of the purity-aware regions (issue 24's next lever): PPL (whose clicks set
# the regions' budget) and `regions-pure` per seed on the two demo target domains, one process
# of one thread per domain, as docs/run_regions.sh; on the first seed also `regions` again, to
# check that the committed runs of docs/runs/regions reproduce (their per-seed regions and
# RAND-regions are then taken from those reports: docs/make_results_regions.py).  The night
# runs of a seed warm up from the photo run's pre-trained model of that seed.
#   docs/run_regions_pure.sh [OUT=runs/regions-pure] [SEEDS="0 1 2"]
#   then   python docs/make_results_regions.py --runs OUT
# Resumable: run it again and every finished job is skipped.  Accuracy does not depend on the
# machine's load (each job is seeded); the wall time does, and is recorded in times.log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-runs/regions-pure}")"
read -r -a seeds <<< "${SEEDS:-0 1 2}"
L="${LABOR:-$here/.venv/bin/labor}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$out"
cd "$out"
pre="$out/photo/compare/seed-{seed}/shared/checkpoints/pretrain.pt"
pretrained() { until [ -f "${pre/\{seed\}/$1}" ]; do sleep 15; done; }
stamp() { printf '%s %s\n' "$(date +%s)" "$1" >> "$out/times.log"; }
domain() {  # name, compare folder, labor demo arguments...
    local name=$1 folder=$2 first=1
    shift 2
    for k in "${seeds[@]}"; do
        [ "$name" = photo ] || pretrained "$k"
        stamp "$name seed $k start"
        if [ $first = 1 ]; then  # the reproduction check: regions again on the first seed
            "$L" demo "$@" --seeds "$k" --strategies ppl regions-pure regions >> "$name.log" 2>&1
            cp "$folder/seed-$k/results.json" "$folder/seed-$k/results-regions.json"
        fi
        "$L" demo "$@" --seeds "$k" --strategies ppl regions-pure >> "$name.log" 2>&1
        stamp "$name seed $k done"
        first=0
    done
}
domain photo photo/compare --out photo &
domain night night/compare-night --out night --target-style night --pretrained "$pre" &
wait
echo "done: $out"
