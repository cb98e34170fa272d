"""The experiment report of ``labor compare``: a table like the paper's Table 1
(per-class IoU, mIoU and budget per strategy and stage) as Markdown and CSV, a
plot like Fig. 5 (mIoU by stage, budgets annotated), and the paper's goals
checked against the measured numbers."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from ...data.classes import CLASS_NAMES
from ...safe_files import replace_atomically, write_text_atomically

ORDER = [
    "uda",
    "iast",
    "supervised",
    "supervised-converged",
    "spl",
    "ppl",
    "ppl-worst",
    "ppl-sconf",
    "ppl-ent",
    "regions",
    "regions-pure",
    "rand-regions",
    "ripu",
    "ripu-pixel",
    "rand",
    "rand-pixels",
    "sconf",
    "ent",
]


def budget_text(budget: dict | None) -> str:
    if not budget:
        return "-"
    if budget["unit"] == "points":
        std = budget.get("points_per_image_std")
        return f"{budget['points_per_image']:.1f}" + (f" ± {std:.1f}" if std else "") + " pts/img"
    if budget["unit"] == "none":
        return "0"
    if budget["unit"] == "regions":  # clicks (a region each), the pixels they cover, the wrong labels
        std = budget.get("points_per_image_std")
        noise = budget.get("noise_rate")
        return (
            f"{budget['points_per_image']:.1f}"
            + (f" ± {std:.1f}" if std else "")
            + f" clicks/img, {100 * budget['pixel_share']:.2f} % px"
            + ("" if noise is None else f", {100 * noise:.1f} % noise")
        )
    std = budget.get("pixel_share_std")
    return f"{100 * budget['pixel_share']:.2f}" + (f" ± {100 * std:.2f}" if std else "") + " %"


def _mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    return mean, (math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0)


def aggregate(per_seed: dict[int, dict[str, list[dict]]]) -> dict[str, list[dict]]:
    """Histories of several seeds as one history per strategy: per stage, the mean of
    mIoU, per-class IoU and budget, with ``miou_std`` and the budget's stds (sample
    std over the seeds), ``seeds`` (how many had that stage) and ``per_seed_miou`` (seed ->
    mIoU, for paired comparisons)."""
    out: dict[str, list[dict]] = {}
    names = sorted({n for r in per_seed.values() for n in r})
    for name in names:
        hists = [r[name] for r in per_seed.values() if name in r]
        rows = []
        for stage in sorted({h["stage"] for hist in hists for h in hist}):
            hs = [h for hist in hists for h in hist if h["stage"] == stage and h.get("miou") is not None]
            if not hs:
                continue
            miou, miou_std = _mean_std([h["miou"] for h in hs])
            by_seed = {
                str(seed): h["miou"]
                for seed, r in per_seed.items()
                for h in r.get(name, [])
                if h["stage"] == stage and h.get("miou") is not None
            }
            iou = []
            for c in range(len(hs[0]["iou"])):
                vals = [h["iou"][c] for h in hs if h["iou"][c] is not None]
                iou.append(sum(vals) / len(vals) if vals else None)
            budget = None
            if hs[0].get("budget"):
                budget = {"unit": hs[0]["budget"]["unit"]}
                keys = ("pixel_share", "points_per_image", "labeled_share", "labeled_points_per_image", "noise_rate")
                for key in keys:
                    vals = [h["budget"].get(key) for h in hs if h["budget"].get(key) is not None]
                    if vals:
                        budget[key], budget[f"{key}_std"] = _mean_std(vals)
            row = {"stage": stage, "miou": miou, "miou_std": miou_std, "iou": iou, "budget": budget, "seeds": len(hs)}
            rows.append({**row, "per_seed_miou": by_seed})
        out[name] = rows
    return out


def spent(h: dict) -> tuple[str, float, float]:
    """What a history row spent: ("points", points per image, std) or ("pixels",
    % of pixels, std); stage 0 spent nothing."""
    b = h.get("budget") or {}
    if b.get("unit") in ("points", "regions"):  # a region is one click, as a point is
        return "points", b["points_per_image"], b.get("points_per_image_std", 0.0)
    if b.get("unit") in ("pixels", "all"):
        return "pixels", 100 * b["pixel_share"], 100 * b.get("pixel_share_std", 0.0)
    return "none", 0.0, 0.0


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
                    f"**{_pct(h['miou'])}**" + (f" ± {_pct(h['miou_std'])}" if h.get("seeds", 1) > 1 else ""),
                    *[_pct(v) for v in h["iou"]],
                ]
            )
            + " |"
        )
    write_text_atomically(md, "\n".join(lines) + "\n")
    path_csv = out / "table.csv"
    f = io.StringIO(newline="")
    w = csv.writer(f)
    head = ["strategy", "stage", "unit", "pixel_share", "points_per_image", "labeled_share", "miou", *CLASS_NAMES]
    w.writerow([*head, "clicks_per_image", "noise_rate"])
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
                b.get("points_per_image", "") if b.get("unit") in ("points", "regions") else "",
                b.get("noise_rate", ""),
            ]
        )
    write_text_atomically(path_csv, f.getvalue())
    return md, path_csv


def plot_stages(path: Path, results: dict[str, list[dict]]) -> Path:
    """Like the paper's Fig. 5: mIoU against the labels actually spent (left: points
    per image, point strategies; right: % of pixels, pixel strategies), every curve
    from the shared warm-up model at 0; UDA, IAST and supervised as horizontal lines.
    Error bars are the std over seeds where there are several."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), dpi=120)
    panels = {"points": axes[0], "pixels": axes[1]}
    start = next((h for hist in results.values() for h in hist if h["stage"] == 0), None)
    for name in _ordered(results):
        hist = results[name]
        last = hist[-1]
        unit = spent(last)[0]
        if name.startswith("supervised") or unit == "none":
            for ax in axes:
                color = {"supervised": "black", "uda": "gray", "iast": "purple", "supervised-converged": "black"}
                ls = {"supervised": "--", "supervised-converged": "-"}.get(name, ":")
                ax.axhline(100 * last["miou"], ls=ls, lw=1, color=color.get(name, "brown"))
                ax.annotate(name, (0, 100 * last["miou"]), xytext=(2, 2), textcoords="offset points", fontsize=7)
            continue
        rows = [h for h in hist if h["stage"] > 0]
        if start is not None:
            rows = [start] + rows
        xs, xerr = [spent(h)[1] if h["stage"] else 0.0 for h in rows], [spent(h)[2] for h in rows]
        ys, yerr = [100 * h["miou"] for h in rows], [100 * h.get("miou_std", 0.0) for h in rows]
        panels[unit].errorbar(xs, ys, yerr=yerr, xerr=xerr, marker="o", capsize=3, label=name)
    axes[0].set_xlabel("clicks per image: points or regions (spent, cumulative)")
    axes[1].set_xlabel("% of target pixels labeled (spent, cumulative)")
    for ax in axes:
        ax.set_ylabel("mIoU on target val (%)")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle("mIoU against labels spent (stage 0: the shared warm-up model; error bars: std over seeds)")
    fig.tight_layout()
    replace_atomically(path, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)
    return path


def paired_differences(a: dict, b: dict) -> list[float]:
    """``a``'s mIoU minus ``b``'s, seed by seed, over the seeds both rows have."""
    pa, pb = a.get("per_seed_miou") or {}, b.get("per_seed_miou") or {}
    return [pa[s] - pb[s] for s in sorted(set(pa) & set(pb), key=int)]


def _leads(a: dict, b: dict) -> bool:
    """``a`` ahead of ``b``: with several seeds, by more than both stds and on every seed
    (the paired differences agree in sign); with one, by any margin."""
    if a.get("seeds", 1) <= 1:
        return a["miou"] - b["miou"] > 0.0
    margin = max(a.get("miou_std", 0.0), b.get("miou_std", 0.0))
    diffs = paired_differences(a, b)
    return a["miou"] - b["miou"] > margin and bool(diffs) and all(d > 0 for d in diffs)


def _paired(a: dict, b: dict) -> str:
    diffs = paired_differences(a, b)
    return f"; paired per seed {', '.join(f'{100 * d:+.1f}' for d in diffs)}" if len(diffs) > 1 else ""


def _m(h: dict) -> str:
    return f"{100 * h['miou']:.1f}" + (f" ± {100 * h['miou_std']:.1f}" if h.get("seeds", 1) > 1 else "")


def check_goals(results: dict[str, list[dict]]) -> list[dict]:
    """The paper's claims, measured on the final stage.  With several seeds (rows
    carrying ``miou_std``) a lead counts only when it exceeds both stds and the paired
    per-seed differences agree in sign."""
    final = {name: hist[-1] for name, hist in results.items()}
    goals = []

    def miou(name):
        return 100 * final[name]["miou"]

    def lead(a: str, b: str, what: str, goal: str | None = None) -> None:
        if {a, b} <= set(final):
            seeds = final[a].get("seeds", 1)
            goals.append(
                {
                    "goal": (goal or f"{a.upper()} above {b.upper()} {what}")
                    + (" (beyond both stds)" if seeds > 1 else ""),
                    "measured": f"{a.upper()} {_m(final[a])} vs {b.upper()} {_m(final[b])}{_paired(final[a], final[b])}",
                    "met": _leads(final[a], final[b]),
                }
            )

    reference = "supervised-converged" if "supervised-converged" in final else "supervised"
    if {"uda", reference} <= set(final):
        ratio = miou("uda") / miou(reference) if miou(reference) > 0 else 0.0
        goals.append(
            {
                "goal": f"UDA at least 50 % of {reference}'s mIoU (a real starting point)",
                "measured": f"UDA {_m(final['uda'])} = {100 * ratio:.0f} % of {reference} {_m(final[reference])}",
                "met": ratio >= 0.5,
            }
        )
    if {"spl", "supervised"} <= set(final):
        share = 100 * final["spl"]["budget"]["pixel_share"]
        gap = miou("supervised") - miou("spl")
        goals.append(
            {
                "goal": "SPL within 2 mIoU of supervised (same training budget) with at most 3 % of pixels",
                "measured": f"SPL {_m(final['spl'])} vs supervised {_m(final['supervised'])} "
                f"(gap {gap:.1f}) at {share:.2f} % of pixels",
                "met": gap <= 2.0 and share <= 3.0,
            }
        )
    lead("spl", "rand-pixels", "", "SPL above random pixels at SPL's share")
    if "ppl" in final:
        others = [s for s in ("rand", "sconf", "ent") if s in final]
        if others:
            pts = {s: final[s]["budget"]["points_per_image"] for s in ["ppl", *others]}
            seeds = final["ppl"].get("seeds", 1)
            goals.append(
                {
                    "goal": "PPL above RAND, SCONF and ENT at the same number of points"
                    + (" (beyond both stds)" if seeds > 1 else ""),
                    "measured": ", ".join(
                        f"{s.upper()} {_m(final[s])} ({pts[s]:.1f} pts/img)" for s in ["ppl", *others]
                    )
                    + "".join(f"; vs {s.upper()}{_paired(final['ppl'], final[s])}" for s in others if seeds > 1),
                    "met": all(_leads(final["ppl"], final[s]) for s in others),
                }
            )
    for name in ("regions", "regions-pure"):
        lead(name, "ppl", "at PPL's clicks")
        lead(name, "rand-regions", "at the same number of regions")
        if {name, "spl"} <= set(final):
            gap = miou("spl") - miou(name)
            goals.append(
                {
                    "goal": f"{name} within 2 mIoU of SPL",
                    "measured": f"{name} {_m(final[name])} vs SPL {_m(final['spl'])} (gap {gap:.1f})",
                    "met": gap <= 2.0,
                }
            )
    lead("regions-pure", "regions", "at the same number of regions")
    for base in ("uda", "iast"):
        if base in final:
            for s in ("spl", "ppl"):
                if s in final:
                    goals.append(
                        {
                            "goal": f"{s.upper()} well above {base.upper()} (taken as at least +2 mIoU)",
                            "measured": f"{s.upper()} {_m(final[s])} vs {base.upper()} {_m(final[base])}",
                            "met": miou(s) - miou(base) >= 2.0 and _leads(final[s], final[base]),
                        }
                    )
    return goals


def write_report(out: Path, results: dict[str, list[dict]], meta: dict, extra_figures: Sequence[Path] = ()) -> Path:
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
    write_text_atomically(report, "\n".join(lines) + "\n")
    return report
