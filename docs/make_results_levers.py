"""The warm-up lever section of docs/results.md (issue 23): each lever of
bench/warmup_levers.py switched on alone on top of the ``demo`` preset, per seed and look,
with its paired difference to the preset itself; and the first measurement (levers off),
kept from the previous page because its logs were not kept."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

LEVERS = "## The warm-up levers, one at a time"
FIRST = "### The first measurement: the levers off (seed 0)"
LOOKS = {"photo": "overcast", "night": "night", "dusk": "dusk (held out)"}
WHAT = {
    "preset": "the `demo` preset before this table (commit 721b9b5): photometric source randomisation, AdaBN, adversarial weight 0.01 for 80 steps, 400 pre-training steps, uniform source sampling",
    "preset+adv0": "adversarial weight 0 (the warm-up is source training alone)",
    "preset+adv-strong": "adversarial weight 0.05 (IAST's), 80 steps",
    "preset+adv-heavy": "adversarial weight 0.5 (ten times IAST's: does the term act at all?)",
    "preset+adv-long": "adversarial warm-up twice as long (160 steps)",
    "preset+rcs": "class-balanced source sampling (rare-class sampling, T = 0.01), pre-training and warm-up: **adopted**, the `demo` preset now",
    "preset+long": "pre-training twice as long (800 steps)",
}


def read(folder: Path) -> dict[tuple[str, str, int], dict]:
    """``lev-LOOK-SEED.log`` files: the JSON lines bench/warmup_levers.py prints."""
    rows = {}
    for log in sorted(folder.glob("lev-*-*.log")):
        _, look, seed = log.stem.split("-")
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                rows[(r["variant"], look, int(seed))] = r
    return rows


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"


def lever_section(folder: Path, old_page: str, runs: Path | None = None) -> list[str]:
    rows = read(folder)
    if not rows:
        return []
    looks = [k for k in LOOKS if any(look == k for _, look, _ in rows)]
    seeds = sorted({s for _, _, s in rows})
    variants = [v for v in WHAT if any(r[0] == v for r in rows)]
    lines = [
        LEVERS,
        "",
        f"`bench/warmup_levers.py`, seed {', '.join(map(str, seeds))}: each lever switched on alone on top of",
        "the `demo` preset as it was before this table; UDA's mIoU on the target validation set after",
        "the preset's AdaBN, computed exactly as the main tables' UDA row (the `preset` row is the",
        "previous main run's seed-0 UDA to the last digit). Each lever costs 3-11 min per look on one",
        "core, so each was run on seed 0; the one adopted is then measured on every seed by the main",
        "run (the next table). Logs: `docs/runs/levers/`.",
        "",
        "| lever | what changes | "
        + " | ".join(f"{LOOKS[k]}: UDA" for k in looks)
        + " | "
        + " | ".join(f"{LOOKS[k]}: − preset, per seed" for k in looks)
        + " |",
        "|---|---|" + "---:|" * len(looks) + "---|" * len(looks),
    ]
    for v in variants:
        cells, diffs = [], []
        for look in looks:
            mine = {s: 100 * rows[(v, look, s)]["uda"] for s in seeds if (v, look, s) in rows}
            cells.append(_cell(list(mine.values())) + (f" (n={len(mine)})" if len(mine) < len(seeds) else ""))
            base = {s: 100 * rows[("preset", look, s)]["uda"] for s in mine if ("preset", look, s) in rows}
            d = [_signed(mine[s] - base[s]) for s in sorted(base)]
            diffs.append(", ".join(d) if v != "preset" else "")
        lines.append(f"| `{v}` | {WHAT[v]} | " + " | ".join(cells) + " | " + " | ".join(diffs) + " |")
    lines += ["", *adopted(folder, runs), *first_measurement(old_page)]
    return lines


def _signed(x: float) -> str:
    return "0.0" if abs(x) < 0.05 else f"{x:+.1f}"


def adopted(folder: Path, runs: Path | None) -> list[str]:
    """The adopted lever on every seed: the previous main run's UDA (``previous-main-uda.json``)
    against this main run's, paired by seed, with UDA's share of the converged reference."""
    prev_file = folder / "previous-main-uda.json"
    if runs is None or not prev_file.exists():
        return []
    prev = json.loads(prev_file.read_text())
    lines = [
        "### The adopted lever on every seed: the main run before and after rare-class sampling",
        "",
        f"Before: {prev['source']}. After: this page's main run. UDA per seed, paired.",
        "",
        "| look | before (uniform sampling) | after (rare-class sampling) | after − before, per seed | after: share of supervised-converged |",
        "|---|---:|---:|---|---:|",
    ]
    for look, sub in (("photo", "photo/compare"), ("night", "night/compare-night"), ("dusk", "dusk/compare-dusk")):
        results = runs / sub / "results.json"
        if look not in prev or not results.exists():
            continue
        per_seed = json.loads(results.read_text())["per_seed"]
        now = {k: 100 * v["uda"][0]["miou"] for k, v in per_seed.items() if "uda" in v}
        ref = {
            k: 100 * v["supervised-converged"][-1]["miou"] for k, v in per_seed.items() if "supervised-converged" in v
        }
        seeds = sorted(set(now) & set(prev[look]), key=int)
        before = [100 * prev[look][k] for k in seeds]
        after = [now[k] for k in seeds]
        share = statistics.mean(after) / statistics.mean([ref[k] for k in seeds]) if set(seeds) <= set(ref) else None
        lines.append(
            f"| {LOOKS[look]} | {_cell(before)} | {_cell(after)} | "
            + ", ".join(_signed(a - b) for a, b in zip(after, before))
            + f" | {'-' if share is None else f'{100 * share:.0f} %'} |"
        )
    return [*lines, ""]


def first_measurement(old_page: str) -> list[str]:
    """The levers-off table of the first lever run, kept from the previous page."""
    for title in (FIRST, "## The warm-up levers, one at a time (seed 0)"):
        start = old_page.find(title)
        if start >= 0:
            break
    else:
        return []
    end = min(
        i for i in (old_page.find("\n## ", start + 1), old_page.find("\n### ", start + 1), len(old_page)) if i >= 0
    )
    block = [line for line in old_page[start:end].splitlines()[1:] if not line.startswith("*Kept")]
    while block and not block[0].strip():
        block.pop(0)
    return [FIRST, "", "*Kept from the previous version of this page (its logs were not kept).*", "", *block, ""]
