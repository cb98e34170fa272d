#!/usr/bin/env bash
# The cap ablation of docs/results.md (issue 23): SPL, PPL and RAND (matched to this PPL's
# points) again from each seed's warm-up model of a finished `docs/run_results.sh` run, with
# the other cap than the main run's: the top-discrepancy cap (docs/configs/cap-top.toml) now
# that the demo preset keeps the class-balanced one (CONFIG=docs/configs/cap-balanced.toml for
# main runs made before the switch); random pixels and supervised are the main run's.  One
# process of one thread per seed, side by side.  docs/make_results.py --caps OUT labels each
# run by the cap its saved settings name.
#   docs/run_cap_variants.sh RESULTS OUT [SEEDS="0 1"] [DOMAINS="photo night"] [CONFIG=...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="$(realpath "$1")"
out="$(realpath -m "$2")"
L="${LABOR:-$here/.venv/bin/labor}"
config="$(realpath "${CONFIG:-$here/docs/configs/cap-top.toml}")"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$out"
for domain in ${DOMAINS:-photo night}; do
    case "$domain" in
        photo) data="$results/photo/data" runs="$results/photo/compare" ;;
        night) data="$results/night/data-night" runs="$results/night/compare-night" ;;
        *) echo "unknown domain $domain" >&2; exit 2 ;;
    esac
    for k in ${SEEDS:-0 1}; do
        "$L" compare --data "$data" --config "$config" --seed "$k" \
            --from "$runs/seed-$k/shared/checkpoints/warmup.pt" --strategies ppl spl rand \
            --out "$out/$domain/seed-$k" > "$out/$domain-seed-$k.log" 2>&1 &
    done
    wait
done
