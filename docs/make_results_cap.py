"""The cap ablation of docs/results.md (issue 23's follow-up), from the runs of
``docs/run_cap_variants.sh``: SPL, PPL and RAND again from each seed's warm-up model with the
other cap than the main run's, beside the main run's rows and random pixels, with the paired
per-seed differences.  Which run used which cap is read from each run's saved settings (runs
from before ``[selector] cap_pick`` existed used the top cap), so the section stays right
whichever cap the ``demo`` preset has.  Called by ``docs/make_results.py --caps DIR``."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

# (row label, which run: the one with the "top" or the "balanced" cap, or the "main" one; strategy)
ROWS = [
    ("SPL, top-discrepancy cap", "top", "spl"),
    ("SPL, class-balanced cap", "balanced", "spl"),
    ("random pixels at SPL's share", "main", "rand-pixels"),
    ("PPL, top-discrepancy cap", "top", "ppl"),
    ("RAND at those points", "top", "rand"),
    ("PPL, class-balanced cap", "balanced", "ppl"),
    ("RAND at those points", "balanced", "rand"),
    ("supervised (same training budget)", "main", "supervised"),
]
# (what, minuend row, subtrahend row): paired per-seed differences of the final stage
PAIRS = [
    ("SPL balanced − random pixels", 1, 2),
    ("SPL balanced − SPL top", 1, 0),
    ("PPL balanced − its RAND", 5, 6),
    ("PPL balanced − PPL top", 5, 3),
]


CAPS = "## The cap: top-discrepancy against class-balanced (ablation)"


def cap_of(folder: Path, seed: int) -> str:
    """The ``[selector] cap_pick`` a run used ("top" where its settings predate the setting)."""
    f = folder / f"seed-{seed}" / "results.json"
    config = json.loads(f.read_text()).get("config") or {} if f.exists() else {}
    return str((config.get("selector") or {}).get("cap_pick", "top"))


def run_caps(runs: Path, domains: dict[str, tuple[str, str]]) -> str:
    """Which cap the main runs used, per domain (``domains``: name -> (subfolder, title))."""
    found = []
    for name, (sub, _) in domains.items():
        seeds = sorted(int(p.name.split("-")[1]) for p in (runs / sub).glob("seed-*") if (p / "results.json").exists())
        caps = sorted({cap_of(runs / sub, k) for k in seeds})
        if caps:
            found.append(f"{name} {' and '.join(repr(c) for c in caps)}")
    return "; ".join(found) or "none found"


def _final(folder: Path, seed: int) -> dict[str, dict]:
    f = folder / f"seed-{seed}" / "results.json"
    if not f.exists():
        return {}
    return {name: hist[-1] for name, hist in json.loads(f.read_text())["results"].items()}


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"


def _spent(b: dict | None) -> str:
    if not b:
        return "-"
    if b.get("unit") == "points":
        return f"{b['points_per_image']:.1f} pts/img"
    return f"{100 * b['labeled_share']:.2f} %"


def domain_rows(main: Path, cap: Path) -> tuple[list[int], list[str]]:
    seeds = sorted(int(p.name.split("-")[1]) for p in cap.glob("seed-*") if (p / "results.json").exists())
    finals = {}
    for k in seeds:
        main_cap, variant_cap = cap_of(main, k), cap_of(cap, k)
        if main_cap == variant_cap:
            raise SystemExit(
                f"{cap / f'seed-{k}'}: the ablation run used the main run's cap ({main_cap!r}); nothing to compare"
            )
        finals[k] = {"main": _final(main, k), main_cap: _final(main, k), variant_cap: _final(cap, k)}
    seeds = [k for k in seeds if all(finals[k][run].get(name) for _, run, name in ROWS)]
    head = ["row", *[f"seed {k}" for k in seeds], "mean ± std", "spent (seed-mean)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    values = []
    for label, run, name in ROWS:
        v = [100 * finals[k][run][name]["miou"] for k in seeds]
        values.append(v)
        spent = [_spent(finals[k][run][name].get("budget")) for k in seeds]
        lines.append(f"| {label} | " + " | ".join(f"{x:.1f}" for x in v) + f" | **{_ms(v)}** | {' / '.join(spent)} |")
    lines += ["", "| paired difference (final stage) | per seed | all of one sign |", "|---|---|---|"]
    for what, a, b in PAIRS:
        d = [x - y for x, y in zip(values[a], values[b], strict=True)]
        sign = "yes" if d and (all(x > 0 for x in d) or all(x < 0 for x in d)) else "no"
        lines.append(f"| {what} | {', '.join(f'{x:+.1f}' for x in d)} | {sign} |")
    return seeds, lines


def cap_section(runs: Path, caps: Path, domains: dict[str, tuple[str, str]], asked_pixels) -> list[str]:
    """``asked_pixels(runs, name, folder, seeds, warm_of, strategies)``: make_results' table of
    what the asked pixels are, pointed at the cap runs (their warm-up is the main run's)."""
    lines = [
        CAPS,
        "",
        "The same warm-up model per seed (`--from` the main run's), then SPL, PPL and RAND (matched",
        "to that PPL's points) again with the other `[selector] cap_pick` than the main run's",
        '(docs/configs/cap-top.toml or cap-balanced.toml): `"balanced"` keeps an equal share of every',
        'class the two heads predict inside the mask, drawn at random within a class; `"top"` keeps',
        "the mask's most discrepant pixels. Random pixels and supervised are the main run's (SPL's",
        "share per stage is the same 1 %). Run by `docs/run_cap_variants.sh`.",
        "",
    ]
    for name, (sub, title) in domains.items():
        cap = caps / name
        if not cap.exists():
            continue
        seeds, rows = domain_rows(runs / sub, cap)
        if not seeds:
            continue
        lines += [f"### {title}", "", *rows, ""]

        def warm_of(k: int, sub: str = sub) -> Path:
            return runs / sub / f"seed-{k}" / "shared" / "checkpoints" / "warmup.pt"

        asked = asked_pixels(runs, name, cap, seeds, warm_of, ("spl",))
        if len(asked) > 2:
            kind = {"top": "top-discrepancy", "balanced": "class-balanced"}.get(cap_of(cap, seeds[0]), "other")
            lines += [f"What the {kind} cap's SPL asked for at stage 1 (compare the main table's SPL rows):", ""]
            lines += [*asked, ""]
    return lines


def kept_section(old: str, title: str, why: str) -> list[str]:
    """A section of the previous page whose inputs this regeneration was not given (the lever
    logs, the cap runs): kept as it was measured, with a line that says so, rather than lost."""
    start = old.find(title)
    if start < 0:
        return []
    end = old.find("\n## ", start + len(title))
    block = old[start : end if end >= 0 else len(old)].strip().splitlines()
    note = f"*Kept from the previous version of this page: {why}.*"
    if note in block:
        return block + [""]
    return [block[0], "", note, *block[1:], ""]
