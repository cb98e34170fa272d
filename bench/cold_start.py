"""The cold start measured: a project of one's own classes (the demo's 19 read into five,
``data/class_table.py``, ``cityscapes_remap``) from a 19-class checkpoint's backbone with a new head, no source data.
Stage 1's points chosen for coverage (k-centre on the backbone's features) against the
same number of uniformly random points; LabOR's PPL from stage 2 in both.  Per seed, both
runs share the cold-start model (the same new head); the simulated annotator labels.

    .venv/bin/python bench/cold_start.py --data runs/demo/data --checkpoint WARMUP.pt \\
        [--config docs/configs/cold-start.toml] [--seeds 0 1 2] [--out runs/cold-start] [--write docs/results.md]

``--write`` replaces the section between the cold-start markers of docs/results.md.
Resumable: each run folder skips its finished jobs, and a seed measured already (its
``seed-N/results.json``) is read, not rerun: one process a seed, then one with all seeds
and ``--write``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

from labor_desktop.data.class_table import ClassTable, cityscapes_remap
from labor_desktop.data.readers import remapped
from labor_desktop.engine.config import load_config
from labor_desktop.engine.jobs.runtime import Runtime
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.run_jobs import Context
from labor_desktop.engine.stages import StageEngine
from labor_desktop.engine.warm_start import warm_start
from labor_desktop.safe_files import write_text_atomically

PICKS = ("kcentre", "random")
BEGIN, END = "<!-- cold-start: begin (bench/cold_start.py) -->", "<!-- cold-start: end -->"


def run(args) -> dict:
    table = ClassTable.load(args.classes)
    lut = cityscapes_remap(table)
    out = Path(args.out)
    results: dict = {"seeds": {}, "config": args.config, "checkpoint": str(args.checkpoint)}
    for seed in args.seeds:
        done = out / f"seed-{seed}" / f"results-{'-'.join(args.picks)}.json"
        if done.exists():  # measured by another invocation (one process a seed)
            results["seeds"][str(seed)] = json.loads(done.read_text())
            continue
        cfg = load_config(args.config, seed=seed)
        cfg = replace(cfg, device="cpu", model=replace(cfg.model, num_classes=len(table)))
        data = ExperimentData.find(cfg.data, args.data)
        data = replace(data, target=remapped(data.target, lut), val=remapped(data.val, lut), source=[])
        ctx = Context(cfg, data, Runtime.create("cpu"))
        began = time.perf_counter()
        start = warm_start(out / f"seed-{seed}" / "warm-start", ctx, args.checkpoint, new_head=True)
        row = {"stage 0": start["evaluation"]["miou"]}
        for pick in args.picks:
            t = time.perf_counter()
            history = StageEngine(out / f"seed-{seed}" / pick, ctx, "ppl", start, table=table, first_points=pick).run()
            row[pick] = [h["miou"] for h in history]
            row[f"{pick} points/img"] = [(h.get("budget") or {}).get("points_per_image") for h in history]
            row[f"{pick} seconds"] = round(time.perf_counter() - t)
            print(f"seed {seed} {pick}: " + " ".join(f"{100 * m:.1f}" for m in row[pick]), flush=True)
        row["seconds"] = round(time.perf_counter() - began)
        results["seeds"][str(seed)] = row
        write_text_atomically(done, json.dumps(row, indent=2))
    write_text_atomically(out / "results.json", json.dumps(results, indent=2))
    return results


def from_ledgers(out: Path, seeds: list[int], stages: int) -> dict:
    """Each run's mIoU per stage as its ledger holds it (None: not evaluated yet), so a
    section can be written from runs still going (``--report-only``)."""

    def jobs(folder: Path) -> dict:
        path = folder / "state.json"
        return json.loads(path.read_text())["jobs"] if path.exists() else {}

    rows = {}
    for seed in seeds:
        warm = jobs(out / f"seed-{seed}" / "warm-start")
        if "evaluate-0" not in warm:
            continue
        row: dict = {"stage 0": warm["evaluate-0"]["result"]["miou"], "seconds": 0.0}
        for pick in PICKS:
            done = jobs(out / f"seed-{seed}" / pick)
            evals = [done.get(f"evaluate-{s}", {}).get("result") for s in range(1, stages + 1)]
            row[pick] = [row["stage 0"]] + [e["miou"] if e else None for e in evals]
            budget = (evals[0] or {}).get("budget") or {}
            row[f"{pick} points/img"] = budget.get("points_per_image")
            row["seconds"] += sum(job.get("seconds", 0.0) for job in done.values())
        row["seconds"] += sum(job.get("seconds", 0.0) for job in warm.values())
        rows[str(seed)] = row
    return rows


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f}"


def section(seeds: dict, config: str, classes: str, stages: int) -> str:
    lines = [
        BEGIN,
        "## Cold start: your own classes, no source data",
        "",
        f"`bench/cold_start.py --config {config} --seeds {' '.join(seeds)}` on the demo data read into "
        f"the five classes of `{classes}` (`cityscapes_remap` in `data/class_table.py`), from the 19-class demo "
        "warm-up checkpoint's backbone with a new head (no source data; the head's initialisation seeded per seed "
        "and shared by both rows of a seed). Stage 1 asks for 15 points an image (the demo's `[budget] points`) "
        "chosen by k-centre on the backbone's features over the pool (`kcentre`) or uniformly at random "
        "(`random`), the same number in total; the simulated annotator labels them, retraining trains the head, "
        "PPL (LabOR's selector) from stage 2 in both. mIoU (%) over the five classes on the 20 validation "
        "images, per stage (stage 0: the new head; — : not finished by the deadline):",
        "",
        "| seed | stage 0 | "
        + " | ".join(f"stage {s} kcentre | stage {s} random" for s in range(1, stages + 1))
        + " |",
        "|---|---|" + "---|---|" * stages,
    ]
    for seed, row in seeds.items():
        cells = [_pct(row["stage 0"])]
        for s in range(1, stages + 1):
            cells += [_pct(row["kcentre"][s]), _pct(row["random"][s])]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    cells = [f"{100 * statistics.mean(r['stage 0'] for r in seeds.values()):.1f}"]
    for s in range(1, stages + 1):
        for pick in PICKS:
            vals = [100 * r[pick][s] for r in seeds.values() if r[pick][s] is not None]
            sd = f" ± {statistics.stdev(vals):.1f}" if len(vals) > 1 else ""
            cells.append(f"**{statistics.mean(vals):.1f}{sd}** (n={len(vals)})" if vals else "—")
    lines.append("| mean ± std | " + " | ".join(cells) + " |")
    pts = {p: [r[f"{p} points/img"] for r in seeds.values()] for p in PICKS}
    times = ", ".join(f"seed {s}: {r['seconds'] / 60:.0f} min" for s, r in seeds.items())
    lines += [
        "",
        f"Points asked per image at stage 1: kcentre {', '.join(_pct(v / 100) if v else '—' for v in pts['kcentre'])}, "
        f"random {', '.join(_pct(v / 100) if v else '—' for v in pts['random'])} (per seed). Job time of both rows "
        f"of a seed ({times}) on the shared 2-core CPU, three seeds at once beside other developers' jobs: upper "
        "bounds; the mIoU does not depend on it.",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="demo data (source/ and target/)")
    ap.add_argument("--checkpoint", required=True, help="a 19-class checkpoint (its backbone is used)")
    ap.add_argument("--classes", default="resources/classes/demo-five.toml")
    ap.add_argument("--config", default="docs/configs/cold-start.toml")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--out", default="runs/cold-start")
    ap.add_argument("--write", metavar="RESULTS.md", help="put the section into this file (between its markers)")
    ap.add_argument("--picks", nargs="+", choices=PICKS, default=list(PICKS), help="which rows to run (default both)")
    ap.add_argument("--report-only", action="store_true", help="write the section from the ledgers; run nothing")
    args = ap.parse_args()
    if not args.report_only:
        run(args)
    stages = load_config(args.config).stages
    text = section(from_ledgers(Path(args.out), args.seeds, stages), args.config, args.classes, stages)
    print(text)
    if args.write:
        doc = Path(args.write).read_text(encoding="utf-8")
        if BEGIN in doc:
            doc = doc[: doc.index(BEGIN)] + text + doc[doc.index(END) + len(END) :]
        else:
            doc = doc.rstrip("\n") + "\n\n" + text + "\n"
        write_text_atomically(Path(args.write), doc)


if __name__ == "__main__":
    main()
