"""The warm-up lever section of docs/results.md (issue 23): each lever of
bench/warmup_levers.py switched on alone on top of the ``demo`` preset, per seed and look,
with its paired difference to the preset itself; and the first measurement (levers off),
kept from the previous page because its logs were not kept."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from make_results_cap import _ms as _cell  # mean ± std over the seeds, one value as it is

LEVERS = "## The warm-up levers, one at a time"
FIRST = "### The first measurement: the levers off (seed 0)"
LOOKS = {"photo": "overcast", "night": "night", "dusk": "dusk (held out)"}
WHAT = {
    "preset": "the `demo` preset: photometric source randomisation, AdaBN, adversarial weight 0.01 for 80 steps, 400 pre-training steps, uniform source sampling",
    "preset+adv0": "adversarial weight 0 (the warm-up is source training alone)",
    "preset+adv-strong": "adversarial weight 0.05 (IAST's), 80 steps",
    "preset+adv-long": "adversarial warm-up twice as long (160 steps)",
    "preset+rcs": "class-balanced source sampling (rare-class sampling, T = 0.01), pre-training and warm-up; run on every seed next: not adopted",
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


def lever_section(folder: Path, old_page: str, runs: Path | None = None, other: Path | None = None) -> list[str]:
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
        "the `demo` preset; UDA's mIoU on the target validation set after the preset's AdaBN, computed",
        "exactly as the main tables' UDA row (the `preset` row is the main run's seed-0 UDA to the last",
        "digit). Each lever costs 3-11 min per look on one core, so each was run on seed 0; the one",
        "that led was then run on every seed, with the whole comparison (the next table).",
        "Logs: `docs/runs/levers/`.",
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
    lines += ["", *rare_class_run(runs, other), *first_measurement(old_page)]
    return lines


def _signed(x: float) -> str:
    return "0.0" if abs(x) < 0.05 else f"{x:+.1f}"


STRATEGY_ORDER = [
    "uda",
    "supervised-converged",
    "supervised",
    "spl",
    "rand-pixels",
    "ppl",
    "rand",
    "sconf",
    "ent",
    "ripu",
    "iast",
]


def final_miou(results: Path) -> dict[str, dict[str, float]]:
    """strategy -> seed -> final-stage mIoU (in %) from a compare run's results.json."""
    out: dict[str, dict[str, float]] = {}
    for seed, strategies in json.loads(results.read_text())["per_seed"].items():
        for name, stages in strategies.items():
            out.setdefault(name, {})[seed] = 100 * stages[-1]["miou"]
    return out


def rare_class_run(main: Path | None, other: Path | None) -> list[str]:
    """The whole comparison run again with rare-class sampling (``other``) against the main
    run (uniform sampling), per strategy: final-stage mIoU and the paired differences."""
    if main is None or other is None:
        return []
    looks = [
        (look, sub)
        for look, sub in (("photo", "photo/compare"), ("night", "night/compare-night"))
        if (main / sub / "results.json").exists() and (other / sub / "results.json").exists()
    ]
    if not looks:
        return []
    lines = [
        "### Rare-class sampling on every seed: the whole comparison again",
        "",
        "Rare-class sampling led on seed 0 at night (+3.1), so the whole comparison was run again",
        'with it (`docs/run_results.sh`, the preset with `source_sampling = "rare-class"`, commit',
        "609cb98, the same seeds). Final-stage mIoU, mean ± std over the seeds, and the paired",
        "per-seed difference (rare-class − uniform); uniform is this page's main run. Its results:",
        "`docs/runs/levers/rcs-run/` (`make_results.py --levers-run`).",
        "",
        "| strategy | "
        + " | ".join(f"{LOOKS[look]}: uniform | {LOOKS[look]}: rare-class | {LOOKS[look]}: paired" for look, _ in looks)
        + " |",
        "|---|" + "---:|---:|---|" * len(looks),
    ]
    tables = [(final_miou(main / sub / "results.json"), final_miou(other / sub / "results.json")) for _, sub in looks]
    for name in STRATEGY_ORDER:
        cells = []
        for before, after in tables:
            seeds = sorted(set(before.get(name, {})) & set(after.get(name, {})), key=int)
            b, a = [before[name][k] for k in seeds], [after[name][k] for k in seeds]
            cells += [_cell(b), _cell(a), ", ".join(_signed(y - x) for x, y in zip(b, a)) or "-"]
        if any(c != "-" for c in cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    shares = []
    for before, after in tables:
        for t in (before, after):
            u, c = t.get("uda", {}), t.get("supervised-converged", {})
            seeds = sorted(set(u) & set(c), key=int)
            shares.append(
                f"{100 * statistics.mean(u[k] for k in seeds) / statistics.mean(c[k] for k in seeds):.0f} %"
                if seeds
                else "-"
            )
        shares.append("")
    lines.append("| UDA's share of supervised-converged | " + " | ".join(shares) + " |")
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
