"""Write docs/results.md from the finished runs of ``docs/run_results.sh``: per target
domain, the seeds' mean ± std (goals, a final-stage summary, the per-stage table, Fig. 5,
SPL's shares per stage, what the asked points are), the warm-up levers, the protocol table of
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
    "dusk": ("dusk/compare-dusk", "low evening sun ('dusk', `--target-style dusk`; held out, never tuned on)"),
}
DATA = {"photo": "photo/data", "night": "night/data-night", "dusk": "dusk/data-dusk"}


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


def domain_section(
    runs: Path, name: str, folder: Path, results: dict[str, list[dict]], seeds: list[int], old: str = ""
) -> list[str]:
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
    if "spl" in results:
        lines += [
            "### SPL's budget per stage: the discrepancy game, then the cap",
            "",
            "Eq. 5 runs its configured steps every stage; the mask is then capped at `[selector]",
            "target_share` (1 %) of each image's unlabeled pixels: `cap_pick = 'balanced'` keeps an",
            "equal share of every class the heads predict in the mask (random within a class), 'top'",
            "the most discrepant pixels (this run's cap is named at the top of the page).",
            "",
            *selector_shares(folder, seeds),
            "",
        ]
    points = asked_points(runs, name, folder, seeds)
    if len(points) > 2:
        lines += ["### What the asked points are (stage 1)", "", *points, ""]
    pixels = asked_pixels(runs, name, folder, seeds)
    if len(pixels) > 2:
        lines += ["### What the asked pixels are (stage 1)", "", *pixels, ""]
    else:  # the run's data or warm-up checkpoints are gone: keep what was measured from them
        lines += kept_subsection(old, lines[0], "### What the asked pixels are (stage 1)")
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


def selector_shares(folder: Path, seeds: list[int]) -> list[str]:
    """Per seed and stage: the probe share after self-training and after Eq. 5, the steps
    Eq. 5 ran, and the mask's share of the pool before and after the cap (SPL's run)."""
    lines = [
        "| seed | stage | Eq. 5 steps run | probe share after self-training | after Eq. 5 | pool share before cap | asked (after cap) |",
        "|---|---|---|---|---|---|---|",
    ]
    for k in seeds:
        state = folder / f"seed-{k}" / "spl" / "state.json"
        if not state.exists():
            continue
        jobs = json.loads(state.read_text())["jobs"]
        for s in range(1, 4):
            sel = jobs.get(f"selector-{s}", {}).get("result", {})
            prop = jobs.get(f"propose-{s}", {}).get("result", {})
            if not sel or not prop:
                continue
            cells = [
                str(k),
                str(s),
                str(sel.get("discrepancy_steps_run", "-")),
                _share(sel.get("probe_share_self_trained")),
                _share(sel.get("probe_share")),
                _share(prop.get("mask_share_before_cap")),
                _share(prop.get("mask_share_after_cap")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _share(v) -> str:
    return "-" if v is None else f"{100 * v:.2f} %"


def asked_points(runs: Path, name: str, folder: Path, seeds: list[int]) -> list[str]:
    """Item 4 of issue 23: at stage 1, the share of asked points whose class the warm-up
    model already predicts right (the proposal's stored class against the ground truth), and
    how many different true classes the asked points cover, for PPL and RAND."""
    import numpy as np

    from labor_desktop.data.io import read_label
    from labor_desktop.engine.config import preset
    from labor_desktop.engine.projects.experiment_data import ExperimentData
    from labor_desktop.store import Project

    data = runs / DATA[name]
    if not data.exists():
        return []
    pool = ExperimentData.find(preset("demo").data, data).target
    truth = [read_label(t.label, t.label_kind, t.id_map) for t in pool]
    lines = [
        "| strategy | seed | points asked (stage 1) | warm-up model right | true classes covered | points on the 5 rarest classes |",
        "|---|---|---|---|---|---|",
    ]
    counts = np.bincount(np.concatenate([t[t != 255].ravel() for t in truth]), minlength=19)
    rare = set(np.argsort(counts)[:5].tolist())
    for strategy in ("ppl", "rand"):
        for k in seeds:
            project = folder / f"seed-{k}" / strategy / "project.labor.h5"
            if not project.exists():
                continue
            right = total = on_rare = 0
            seen: set[int] = set()
            with Project.open(project, read_only=True) as p:
                for i in range(len(p.images)):
                    _, points = p.proposal(1, i)
                    for y, x, c in points:
                        t = int(truth[i][y, x])
                        if t == 255:
                            continue
                        total += 1
                        right += int(t == int(c))
                        seen.add(t)
                        on_rare += int(t in rare)
            if total:
                lines.append(
                    f"| {strategy.upper()} | {k} | {total} | {100 * right / total:.1f} % | {len(seen)} of 19 | "
                    f"{100 * on_rare / total:.1f} % |"
                )
    return lines


def kept_subsection(old: str, section: str, title: str) -> list[str]:
    """``title``'s block inside ``section`` of the previous page, marked as kept."""
    at = old.find(section)
    start = old.find(title, at) if at >= 0 else -1
    after = old.find("\n## ", at + 1)  # the next section: the block must lie before it
    if start < 0 or 0 <= after < start:
        return []
    ends = [i for i in (old.find("\n#", start + 1), old.find("\nLike the paper", start)) if i >= 0]
    block = old[start : min(ends) if ends else len(old)].strip().splitlines()
    note = "*Kept from the previous version of this page: the run's data or warm-up checkpoints were not kept.*"
    rest = [line for line in block[1:] if line != note]
    while rest and not rest[0].strip():
        rest.pop(0)
    return [block[0], "", note, "", *rest, ""]


def asked_pixels(
    runs: Path,
    name: str,
    folder: Path,
    seeds: list[int],
    warm_of=None,
    strategies: tuple[str, ...] = ("spl", "rand-pixels"),
) -> list[str]:
    """Item 4 of issue 23 for the pixel strategies: at stage 1, what SPL's capped mask and
    random pixels at its share ask for: the warm-up model's accuracy there, the share on
    class boundaries (another true class in the 3x3 neighbourhood), the true classes covered
    and the entropy of their distribution (bits).  ``warm_of(seed)``: the warm-up checkpoint
    (default: the run's own)."""
    import cv2
    import numpy as np

    from labor_desktop.data.io import read_image, read_label
    from labor_desktop.engine.config import preset
    from labor_desktop.engine.jobs.predict import predict_probs_image
    from labor_desktop.engine.projects.experiment_data import ExperimentData
    from labor_desktop.store import Project

    data = runs / DATA[name]
    if not data.exists():
        return []
    cfg = preset("demo")
    pool = ExperimentData.find(cfg.data, data).target
    truth = [read_label(t.label, t.label_kind, t.id_map) for t in pool]
    kernel = np.ones((3, 3), np.uint8)
    edges = [cv2.dilate(t, kernel) != cv2.erode(t, kernel) for t in truth]
    lines = [
        "| strategy | seed | pixels asked (stage 1) | warm-up model right | on a class boundary | true classes | class entropy (bits) |",
        "|---|---|---|---|---|---|---|",
    ]
    for k in seeds:
        warm = warm_of(k) if warm_of else folder / f"seed-{k}" / "shared" / "checkpoints" / "warmup.pt"
        if not warm.exists():
            continue
        pred = [predict_probs_image(str(warm), cfg.model, read_image(t.image)).argmax(0).numpy() for t in pool]
        for strategy in strategies:
            project = folder / f"seed-{k}" / strategy / "project.labor.h5"
            if not project.exists():
                continue
            right = boundary = total = 0
            hist = np.zeros(256, dtype=np.int64)
            with Project.open(project, read_only=True) as p:
                for i in range(len(p.images)):
                    mask, _ = p.proposal(1, i)
                    if mask is None:
                        continue
                    sel = mask & (truth[i] != 255)
                    total += int(sel.sum())
                    right += int((pred[i][sel] == truth[i][sel]).sum())
                    boundary += int(edges[i][sel].sum())
                    hist += np.bincount(truth[i][sel], minlength=256)
            if total:
                q = hist[hist > 0] / total
                lines.append(
                    f"| {strategy.upper()} | {k} | {total} | {100 * right / total:.1f} % | {100 * boundary / total:.1f} % | "
                    f"{len(q)} of 19 | {float(-(q * np.log2(q)).sum()):.2f} |"
                )
    return lines


def protocol_table() -> list[str]:
    text = (DOCS / "protocol.md").read_text().splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("| choice"))
    end = next(i for i in range(start, len(text)) if not text[i].startswith("|"))
    return ["## Where each protocol choice comes from", "", *text[start:end], ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="runs/results", help="the output folder of docs/run_results.sh")
    ap.add_argument("--levers", help="folder of bench/warmup_levers.py logs (lev-LOOK-SEED.log: docs/runs/levers)")
    ap.add_argument(
        "--levers-run", help="output folder of docs/run_results.sh run with a lever on (rare-class sampling)"
    )
    ap.add_argument("--caps", help="output folder of docs/run_cap_variants.sh (the cap ablation)")
    args = ap.parse_args()
    from make_results_cap import run_caps

    runs = Path(args.runs)
    meta = json.loads((runs / "meta.json").read_text()) if (runs / "meta.json").exists() else {}
    domains = {}
    body: list[str] = []
    old = (DOCS / "results.md").read_text() if (DOCS / "results.md").exists() else ""
    for name, (sub, _) in DOMAINS.items():
        folder = runs / sub
        seeds = per_seed(folder)
        if not seeds:
            continue
        domains[name] = aggregate(seeds)
        body += domain_section(runs, name, folder, domains[name], sorted(seeds), old)
    from make_results_cap import CAPS, cap_section, kept_section
    from make_results_levers import LEVERS, lever_section

    body += (
        lever_section(Path(args.levers), old, runs, Path(args.levers_run) if args.levers_run else None)
        if args.levers
        else kept_section(old, LEVERS, "no --levers given")
    )
    if args.caps:
        body += cap_section(runs, Path(args.caps), {k: v for k, v in DOMAINS.items() if k != "dusk"}, asked_pixels)
    else:
        body += kept_section(old, CAPS, "no --caps given; measured beside the main tables of that version")
    times: dict[str, float] = {}
    for part in (runs / "photo", runs / "night", runs / "dusk"):
        for k, v in job_times(part).items():
            times[k] = times.get(k, 0.0) + v
    lines = [
        "# Results: the demo comparison, 3 seeds, two target domains and a held-out third",
        "",
        "Reproduce on a fresh clone (2-core CPU, no GPU), then regenerate this page:",
        "",
        "```bash",
        "docs/run_results.sh runs/results      # photo and night x 3 seeds, then dusk (held out)",
        ".venv/bin/python docs/make_results.py --runs runs/results",
        "```",
        "",
        "Settings: the `demo` preset of `labor_desktop/engine/config.py` (every run's full settings are",
        "in its `results.json` / `state.json`); the demo data's defaults (`labor demo-data`): 300 source,",
        "200 target and 60 validation images, 128x256 (the preset takes the first 120 target images as",
        "the pool). Budgeted baselines are matched per image and stage (a point baseline asks, on every",
        "image at every stage, for as many points as PPL proposed there; random pixels and RIPU for as",
        "many pixels as SPL's capped mask held) and re-select, so what they spent (the union labeled)",
        "can be less; Fig. 5's x axis is what was spent. A lead counts only when it exceeds both",
        "strategies' stds and the paired per-seed differences all have its sign.",
        "",
        f"SPL's cap in these runs (`[selector] cap_pick`, read from each run's saved settings): {run_caps(runs, DOMAINS)}.",
        "",
    ]
    if meta:
        lines += [f"- {k}: {v}" for k, v in meta.items()] + [""]
    lines += ["## Summary: final stage", "", *final_summary(domains), ""]
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().strip(), ""]
    lines += body
    lines += protocol_table()
    total = sum(times.values())
    lines += ["## Time", "", "| job kind | seconds (all runs, all domains) |", "|---|---|"]
    lines += [f"| {k} | {v:.0f} |" for k, v in sorted(times.items(), key=lambda kv: -kv[1])]
    lines += [f"| total in jobs | {total:.0f} |", ""]
    begin, end = "<!-- cold-start: begin", "<!-- cold-start: end -->"
    if begin in old and end in old:  # bench/cold_start.py's section is its own: kept as it is
        lines += [old[old.index(begin) : old.index(end) + len(end)], ""]
    # issue 24's regions: measured apart (docs/run_regions.sh, docs/run_regions_pure.sh), its
    # generated block by docs/make_results_regions.py: kept as they are
    begin, end = "## Regions (issue 24)", "<!-- regions-pure: end -->"
    if end in old and begin in old[: old.index(end)]:  # the heading nearest the end marker
        lines += [old[old.rindex(begin, 0, old.index(end)) : old.index(end) + len(end)], ""]
    (DOCS / "results.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {DOCS / 'results.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
