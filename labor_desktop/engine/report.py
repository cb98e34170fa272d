"""The experiment report of ``labor compare``: a table like the paper's Table 1
(per-class IoU, mIoU and budget per strategy and stage) as Markdown and CSV, a
plot like Fig. 5 (mIoU by stage, budgets annotated), and the paper's goals
checked against the measured numbers."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ..data.classes import CLASS_NAMES

ORDER = [
    "uda",
    "supervised",
    "spl",
    "ppl",
    "ppl-worst",
    "ppl-sconf",
    "ppl-ent",
    "ripu",
    "ripu-pixel",
    "rand",
    "sconf",
    "ent",
]


def budget_text(budget: dict | None) -> str:
    if not budget:
        return "-"
    if budget["unit"] == "points":
        return f"{budget['points_per_image']:.1f} pts/img"
    if budget["unit"] == "none":
        return "0"
    return f"{100 * budget['pixel_share']:.2f} %"


def _pct(v) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def _ordered(results: dict[str, list[dict]]) -> list[str]:
    return sorted(results, key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s))


def write_tables(out: Path, results: dict[str, list[dict]]) -> tuple[Path, Path]:
    rows = []
    for name in _ordered(results):
        for h in results[name]:
            if h["stage"] == 0 and name != "uda":
                continue  # every strategy starts from the same warm-up model: shown once, as UDA's stage 0
            rows.append((name, h))
    md = out / "table.md"
    head = ["strategy", "stage", "budget", "mIoU", *CLASS_NAMES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, h in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    name,
                    str(h["stage"]),
                    budget_text(h.get("budget")),
                    f"**{_pct(h['miou'])}**",
                    *[_pct(v) for v in h["iou"]],
                ]
            )
            + " |"
        )
    md.write_text("\n".join(lines) + "\n")
    path_csv = out / "table.csv"
    with open(path_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["strategy", "stage", "unit", "pixel_share", "points_per_image", "labeled_share", "miou", *CLASS_NAMES]
        )
        for name, h in rows:
            b = h.get("budget") or {}
            w.writerow(
                [
                    name,
                    h["stage"],
                    b.get("unit", ""),
                    b.get("pixel_share", ""),
                    b.get("points_per_image", ""),
                    b.get("labeled_share", ""),
                    h["miou"],
                    *["" if v is None else v for v in h["iou"]],
                ]
            )
    return md, path_csv


def plot_stages(path: Path, results: dict[str, list[dict]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for name in _ordered(results):
        hist = results[name]
        stages = [h["stage"] for h in hist]
        miou = [100 * h["miou"] for h in hist]
        style = "--" if name in ("uda", "supervised") else "-"
        ax.plot(stages, miou, style, marker="o", label=name)
        last = hist[-1]
        ax.annotate(
            budget_text(last.get("budget")),
            (stages[-1], miou[-1]),
            textcoords="offset points",
            xytext=(6, 0),
            fontsize=7,
            va="center",
        )
    ax.set_xlabel("stage")
    ax.set_ylabel("mIoU on target val (%)")
    ax.set_xticks(sorted({h["stage"] for hist in results.values() for h in hist}))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("mIoU by stage (budget used at the last stage annotated)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def check_goals(results: dict[str, list[dict]]) -> list[dict]:
    """The paper's claims, measured on the final stage."""
    final = {name: hist[-1] for name, hist in results.items()}
    goals = []

    def miou(name):
        return 100 * final[name]["miou"]

    if {"spl", "supervised"} <= set(final):
        share = 100 * final["spl"]["budget"]["pixel_share"]
        gap = miou("supervised") - miou("spl")
        goals.append(
            {
                "goal": "SPL within 2 mIoU of supervised with at most 3 % of pixels",
                "measured": f"SPL {miou('spl'):.1f} vs supervised {miou('supervised'):.1f} "
                f"(gap {gap:.1f}) at {share:.2f} % of pixels",
                "met": gap <= 2.0 and share <= 3.0,
            }
        )
    if "ppl" in final:
        others = [s for s in ("rand", "sconf", "ent") if s in final]
        if others:
            pts = {s: final[s]["budget"]["points_per_image"] for s in ["ppl", *others]}
            goals.append(
                {
                    "goal": "PPL above RAND, SCONF and ENT at the same number of points",
                    "measured": ", ".join(
                        f"{s.upper()} {miou(s):.1f} ({pts[s]:.1f} pts/img)" for s in ["ppl", *others]
                    ),
                    "met": all(miou("ppl") > miou(s) for s in others),
                }
            )
    if "uda" in final:
        for s in ("spl", "ppl"):
            if s in final:
                goals.append(
                    {
                        "goal": f"{s.upper()} well above UDA (taken as at least +2 mIoU)",
                        "measured": f"{s.upper()} {miou(s):.1f} vs UDA {miou('uda'):.1f}",
                        "met": miou(s) - miou("uda") >= 2.0,
                    }
                )
    return goals


def write_report(out: Path, results: dict[str, list[dict]], meta: dict, extra_figures: list[Path] = ()) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    md, path_csv = write_tables(out, results)
    fig5 = plot_stages(out / "fig5-miou-by-stage.png", results)
    goals = check_goals(results)
    lines = [f"# Comparison: {', '.join(_ordered(results))}", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    lines += ["", "## Goals (paper's claims, final stage)", "", "| goal | measured | met |", "|---|---|---|"]
    lines += [f"| {g['goal']} | {g['measured']} | {'yes' if g['met'] else '**no**'} |" for g in goals]
    lines += ["", "## Table (IoU %, per stage)", "", md.read_text(), f"![mIoU by stage]({fig5.name})", ""]
    lines += [f"![{p.stem}]({p.name})" for p in extra_figures]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report
