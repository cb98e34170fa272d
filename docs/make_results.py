"""Write docs/results.md from the finished runs of ``docs/run_results.sh``: per target
domain, the seeds' mean ± std (goals, a final-stage summary, the per-stage table, Fig. 5),
the ablations run from each seed's own warm-up model, the protocol table of
docs/protocol.md and the time every job took.  Nothing in the page is typed by hand
except the findings, kept in docs/results-findings.md.

    .venv/bin/python docs/make_results.py --runs runs/results
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from labor_desktop.engine.experiments.report import (
    _m,
    _ordered,
    aggregate,
    budget_text,
    check_goals,
    plot_stages,
    write_tables,
)

DOCS = Path(__file__).resolve().parent
FINDINGS = DOCS / "results-findings.md"
# name: (folder of its `labor demo` run under --runs, what it is)
DOMAINS = {
    "photo": ("photo/compare", "overcast day ('photo', the default)"),
    "night": ("night/compare-night", "rainy night ('night', `--target-style night`)"),
}
# name: (what it is, strategies, config lines)
ABLATIONS = {
    "pw1": ("SPL and PPL with self-training kept in retraining (Alg. 1 / Fig. 2's L_st)", "`pseudo_weight = 1`"),
    "few-pw0": ("PPL, a partial annotator answering 2 % of the points, Eq. 6 alone", "`answer_share = 0.02`"),
    "few-pw1": (
        "PPL, a partial annotator answering 2 % of the points, with L_st",
        "`answer_share = 0.02`, `pseudo_weight = 1`",
    ),
    "pixels": (
        "SPL against RAND/SCONF/ENT labeling pixels, each given SPL's mask size per image and stage",
        '`baseline_unit = "pixels"`',
    ),
}


def per_seed(folder: Path) -> dict[int, dict[str, list[dict]]]:
    """The results of every finished ``seed-N`` run under ``folder``."""
    out = {}
    for f in sorted(folder.glob("seed-*/results.json")):
        out[int(f.parent.name.split("-")[1])] = json.loads(f.read_text())["results"]
    return out


def job_times(folder: Path) -> dict[str, float]:
    """Seconds per job kind over every ledger under ``folder``."""
    kinds: dict[str, float] = {}
    for state in sorted(folder.rglob("state.json")):
        for job, rec in json.loads(state.read_text())["jobs"].items():
            kind = job.rsplit("-", 1)[0] if job[-1].isdigit() else job
            kinds[kind] = kinds.get(kind, 0.0) + rec["seconds"]
    return kinds


def final_summary(domains: dict[str, dict[str, list[dict]]]) -> list[str]:
    """One row per strategy: final-stage mIoU ± std and what it spent, per domain."""
    names = _ordered({n: [] for r in domains.values() for n in r})
    head = ["strategy"] + [f"{d}: mIoU (stage 3)" for d in domains] + [f"{d}: spent" for d in domains]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in names:
        cells = [n.upper()]
        cells += [f"**{_m(r[n][-1])}**" if n in r else "-" for r in domains.values()]
        cells += [budget_text(r[n][-1].get("budget")) if n in r else "-" for r in domains.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _spent(h: dict) -> str:
    """The budget, and for points also how many were answered (labeled) per image."""
    b = h.get("budget") or {}
    text = budget_text(b)
    if b.get("unit") == "points" and "labeled_points_per_image" in b:
        text += f", {b['labeled_points_per_image']:.1f} answered"
    return text


def stage_rows(results: dict[str, list[dict]], label: str) -> list[str]:
    return [
        f"| {label} {n.upper()} | " + " | ".join(f"{_m(h)} ({_spent(h)})" for h in results[n] if h["stage"] > 0) + " |"
        for n in _ordered(results)
    ]


def domain_section(name: str, folder: Path, results: dict[str, list[dict]], seeds: list[int]) -> list[str]:
    out = folder / "docs"
    out.mkdir(exist_ok=True)
    md, _ = write_tables(out, results)
    fig5 = plot_stages(out / "fig5.png", results)
    images = DOCS / "images"
    images.mkdir(exist_ok=True)
    shutil.copy(fig5, images / f"results-fig5-{name}.png")
    fig6 = folder / f"seed-{seeds[0]}" / "fig6-selection.png"
    lines = [f"## Target domain: {DOMAINS[name][1]}", ""]
    lines += [f"Seeds {' '.join(map(str, seeds))}: mean ± sample std over the seeds.", ""]
    lines += ["### Goals (the paper's claims, final stage)", "", "| goal | measured | met |", "|---|---|---|"]
    lines += [f"| {g['goal']} | {g['measured']} | {'yes' if g['met'] else '**no**'} |" for g in check_goals(results)]
    lines += ["", "### Per-class IoU (%), budget and mIoU per stage", ""]
    lines += [
        "Stage 0 is the warm-up model (UDA); budgets are cumulative and are what was *spent* (pixels:",
        "share of pool pixels asked for, overlap counted once; points: labeled points per image).",
        "",
        md.read_text().strip(),
        "",
        f"![mIoU against labels spent, {name}](images/results-fig5-{name}.png)",
        "",
    ]
    if fig6.exists():
        shutil.copy(fig6, images / f"results-fig6-{name}.png")
        lines += [
            f"Like the paper's Fig. 6 (seed {seeds[0]}, stage 1, first pool images): ground truth, an ENT",
            "selection of the warm-up model with as many pixels as the SPL mask, the SPL mask, PPL's points:",
            "",
            f"![selection, {name}](images/results-fig6-{name}.png)",
            "",
        ]
    return lines


def ablation_section(folder: Path, base: dict[int, dict[str, list[dict]]]) -> list[str]:
    lines = [
        "## Ablations (overcast day domain, from each seed's own warm-up model)",
        "",
        "Each row: mean ± std over the seeds that finished, per stage (what was spent in brackets).",
        "The `main` rows are the main comparison's on the same seeds (same warm-up models), for reference.",
        "",
    ]
    for key, (what, setting) in ABLATIONS.items():
        seeds = per_seed(folder / key)
        if not seeds:
            lines += [f"### {what}", "", f"Not run ({folder / key} has no finished seed).", ""]
            continue
        res = aggregate(seeds)
        lines += [f"### {what}", "", f"Setting: {setting} (seeds {' '.join(map(str, sorted(seeds)))}).", ""]
        lines += ["| run | stage 1 | stage 2 | stage 3 |", "|---|---|---|---|"]
        main = aggregate({k: base[k] for k in seeds if k in base})
        ref = {n: main[n] for n in res if n in main}
        lines += stage_rows(ref, "main")
        lines += stage_rows(res, key)
        lines.append("")
    return lines


def protocol_table() -> list[str]:
    text = (DOCS / "protocol.md").read_text().splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("| choice"))
    end = next(i for i in range(start, len(text)) if not text[i].startswith("|"))
    return ["## Where each protocol choice comes from", "", *text[start:end], ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="runs/results", help="the output folder of docs/run_results.sh")
    args = ap.parse_args()
    runs = Path(args.runs)
    meta = json.loads((runs / "meta.json").read_text()) if (runs / "meta.json").exists() else {}
    domains = {}
    photo_seeds: dict[int, dict[str, list[dict]]] = {}
    body: list[str] = []
    for name, (sub, _) in DOMAINS.items():
        folder = runs / sub
        seeds = per_seed(folder)
        if not seeds:
            continue
        domains[name] = aggregate(seeds)
        if name == "photo":
            photo_seeds = seeds
        body += domain_section(name, folder, domains[name], sorted(seeds))
    body += ablation_section(runs / "ablations", photo_seeds)
    times: dict[str, float] = {}
    for part in (runs / "photo", runs / "night", runs / "ablations"):
        for k, v in job_times(part).items():
            times[k] = times.get(k, 0.0) + v
    lines = [
        "# Results: the demo comparison, 3 seeds, two target domains",
        "",
        "Reproduce on a fresh clone (2-core CPU, no GPU), then regenerate this page:",
        "",
        "```bash",
        "docs/run_results.sh runs/results      # both domains x 3 seeds, then the ablations",
        ".venv/bin/python docs/make_results.py --runs runs/results",
        "```",
        "",
        "Settings: the `demo` preset of `labor_desktop/engine/config.py` (every run's full settings are",
        "in its `results.json` / `state.json`); the demo data's defaults (`labor demo-data`): 300 source,",
        "200 target and 60 validation images, 128x256 (the preset takes the first 120 target images as the pool). Budgeted baselines are matched per image and",
        "stage (a point baseline asks, on every image at every stage, for as many points as PPL proposed",
        "there; a pixel baseline and RIPU for as many pixels as SPL's mask held) and re-select, so what",
        "they spent (the union labeled) can be less; Fig. 5's x axis is what was spent. A lead counts only",
        "when it exceeds both strategies' stds.",
        "",
    ]
    if meta:
        lines += [f"- {k}: {v}" for k, v in meta.items()] + [""]
    lines += ["## Summary: final stage, both domains", "", *final_summary(domains), ""]
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().strip(), ""]
    lines += body
    lines += protocol_table()
    total = sum(times.values())
    lines += ["## Time", "", "| job kind | seconds (all runs, both domains, ablations) |", "|---|---|"]
    lines += [f"| {k} | {v:.0f} |" for k, v in sorted(times.items(), key=lambda kv: -kv[1])]
    lines += [f"| total in jobs | {total:.0f} |", ""]
    (DOCS / "results.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {DOCS / 'results.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
