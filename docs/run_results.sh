#!/usr/bin/env bash
# The measured runs behind docs/results.md (issue 13), on a 2-core CPU: the whole demo
# comparison (9 strategies) x 3 seeds on both target domains, two processes of one thread
# side by side, and the ablations (seeds 0 and 1, photo domain) from each seed's own warm-up
# model in a third process at a lower priority.
#   docs/run_results.sh [OUT=runs/results]   then   .venv/bin/python docs/make_results.py --runs OUT
# Resumable: run it again and every finished job is skipped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-runs/results}")"
L="${LABOR:-$here/.venv/bin/labor}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$out/ablations"
cd "$out"
begin=$(date +%s)
for f in pw1:"[retrain]\npseudo_weight = 1.0" few-pw0:"[budget]\nanswer_share = 0.02" \
         few-pw1:"[budget]\nanswer_share = 0.02\n[retrain]\npseudo_weight = 1.0" \
         pixels:"[budget]\nbaseline_unit = \"pixels\""; do
    printf 'base = "demo"\n%b\n' "${f#*:}" > "ablations/${f%%:*}.toml"
done
ablate() {  # seed: the ablations from that seed's warm-up model
    local k=$1 w="photo/compare/seed-$1/shared/checkpoints/warmup.pt"
    "$L" compare --data photo/data --config ablations/pw1.toml --from "$w" --seed "$k" --strategies spl ppl --out "ablations/pw1/seed-$k"
    "$L" compare --data photo/data --config ablations/few-pw0.toml --from "$w" --seed "$k" --strategies ppl --out "ablations/few-pw0/seed-$k"
    "$L" compare --data photo/data --config ablations/few-pw1.toml --from "$w" --seed "$k" --strategies ppl --out "ablations/few-pw1/seed-$k"
    "$L" compare --data photo/data --config ablations/pixels.toml --from "$w" --seed "$k" --strategies spl rand sconf ent --out "ablations/pixels/seed-$k"
}
( "$L" demo --out photo --seeds 0 1 2 > photo.log 2>&1 ) &
( "$L" demo --out night --target-style night --seeds 0 1 2 > night.log 2>&1 ) &
# The ablations (seeds 0 and 1) at a lower priority, each as soon as its seed's warm-up is saved.
warm() { until [ -f "photo/compare/seed-$1/shared/checkpoints/warmup.pt" ]; do sleep 20; done; }
( warm 0; nice -n 10 bash -c "$(declare -f ablate); L=$L; ablate 0"; warm 1; nice -n 10 bash -c "$(declare -f ablate); L=$L; ablate 1" ) > ablations.log 2>&1 &
wait
printf '{"wall time": "%.1f min (two processes of one thread on %s cores)", "commit": "%s"}\n' \
    "$(awk "BEGIN{print ($(date +%s) - $begin) / 60}")" "$(nproc)" "$(git -C "$here" rev-parse --short HEAD)" > meta.json
echo "done: $out (now: .venv/bin/python docs/make_results.py --runs $out)"
