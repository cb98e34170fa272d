"""Write docs/results.md from a finished ``labor demo`` / ``labor compare`` run folder:
the report's goals and table, its figures copied to docs/images/, the timings of
every job from the run ledgers, and the commands that reproduce it.  Nothing in
the page is typed by hand except the findings section, kept in FINDINGS below.

    .venv/bin/python docs/make_results.py runs/demo/compare [--wall-seconds N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
FINDINGS = DOCS / "results-findings.md"


def job_times(run: Path) -> dict[str, float]:
    """Seconds per job kind over all ledgers of the comparison."""
    kinds: dict[str, float] = {}
    for state in sorted([*run.glob("*/state.json"), *run.glob("seed-*/*/state.json")]):
        for job, rec in json.loads(state.read_text())["jobs"].items():
            kind = job.rsplit("-", 1)[0] if job[-1].isdigit() else job
            kinds[kind] = kinds.get(kind, 0.0) + rec["seconds"]
    return kinds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", help="the compare folder (runs/demo/compare)")
    ap.add_argument("--wall-seconds", type=float, help="measured wall time of the whole command")
    ap.add_argument("--command", default="./dev.sh compare   (= labor demo --out runs/demo)")
    args = ap.parse_args()
    run = Path(args.run)
    data = json.loads((run / "results.json").read_text())
    report = (run / "report.md").read_text()
    images = DOCS / "images"
    images.mkdir(exist_ok=True)
    for name in ("fig5-miou-by-stage.png", "fig6-selection.png"):
        if (run / name).exists():
            shutil.copy(run / name, images / f"results-{name}")
    goals = report[report.index("## Goals") : report.index("## Table")].strip()
    table = (run / "table.md").read_text().strip()
    times = job_times(run)
    total = sum(times.values())
    lines = [
        "# Results: the demo comparison",
        "",
        "Reproduce on a fresh clone (2-core CPU, no GPU):",
        "",
        "```bash",
        args.command,
        "# or, on data you already have:",
        "labor compare --data runs/demo/data --preset demo --out runs/demo/compare \\",
        "    --strategies uda supervised spl ppl rand sconf ent",
        "python docs/make_results.py runs/demo/compare --wall-seconds SECONDS",
        "```",
        "",
        "Settings: the `demo` preset of `labor_desktop/engine/config.py` (its full values are in",
        "`runs/demo/compare/results.json` under `config`); the demo data's defaults",
        f"(`labor demo-data`): {data['meta']['pool images']} target pool images, "
        f"{data['meta']['val images']} validation images, 128x256.",
        "",
        "Budgeted baselines are matched per image and stage: a point baseline asks, on every image at",
        "every stage, for as many points as PPL proposed there; a pixel baseline (and RIPU) for as many",
        "pixels as SPL's mask held there. Baselines re-select (the paper's behaviour), so what they",
        "*spent* (the union labeled) can be less; Fig. 5 plots mIoU against what was spent.",
        f"Seeds: {data['meta'].get('seeds', data['meta'].get('seed'))}. Where each protocol choice comes from",
        "(paper, IAST or ours): [protocol.md](protocol.md).",
        "",
        goals.replace("## Goals", "## Goals"),
        "",
        "## Per-class IoU (%), budget and mIoU per stage",
        "",
        "Stage 0 is the shared warm-up model (UDA); budgets are cumulative (pixels: share of pool",
        "pixels the annotator was asked for, overlap counted once; points: labeled points per image).",
        "",
        table,
        "",
        "![mIoU by stage](images/results-fig5-miou-by-stage.png)",
        "",
        "Like the paper's Fig. 6, on the first pool images: ground truth, an ENT selection of the",
        "warm-up model with as many pixels as the SPL mask, the SPL mask and the PPL points (stage 1):",
        "",
        "![selection](images/results-fig6-selection.png)",
        "",
        "## Time",
        "",
    ]
    if args.wall_seconds:
        lines.append(f"Wall time of the whole command: **{args.wall_seconds / 60:.1f} min** (goal: 45 min).")
        lines.append("")
    lines += ["| job kind | seconds (all strategies) |", "|---|---|"]
    lines += [f"| {k} | {v:.0f} |" for k, v in sorted(times.items(), key=lambda kv: -kv[1])]
    lines += [f"| total in jobs | {total:.0f} |", ""]
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().strip(), ""]
    (DOCS / "results.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {DOCS / 'results.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
