"""The purity-aware regions block of docs/results.md (issue 24's next lever), from the runs of
``docs/run_regions_pure.sh``: per seed, PPL, ``regions-pure``, ``regions`` and RAND-regions
from one warm-up (paired differences within a seed), the label noise and pixels per stage,
beside the committed 3-seed runs of docs/runs/regions/ for context.

Those committed per-seed values cannot be reused: their reports give means ± stds and paired
differences only, and a rerun seed may not reproduce them.  ``reproduces`` says whether a
rerun PPL value can be one of the committed seeds at all: three values of the committed mean
with that value among them have at least ``min_std`` as their sample std.

    python docs/make_results_regions.py --runs /work/runs-i24/out   # rewrites the block in place
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from pathlib import Path

DOCS = Path(__file__).resolve().parent
DOMAINS = {"photo": "photo/compare", "night": "night/compare-night"}
BEGIN, END = "<!-- regions-pure: begin -->", "<!-- regions-pure: end -->"
NAMES = [
    ("uda", "UDA"),
    ("spl", "SPL"),
    ("ppl", "PPL"),
    ("regions", "regions"),
    ("regions-pure", "regions-pure"),
    ("rand-regions", "RAND-regions"),
]
PAIRS = [
    ("regions-pure", "ppl"),
    ("regions-pure", "regions"),
    ("regions-pure", "rand-regions"),
    ("regions-pure", "spl"),
    ("regions", "rand-regions"),
]


def min_std(x: float, mean: float, n: int = 3) -> float:
    """The smallest sample std of n values with this mean when one of them is x (the others equal)."""
    rest = (n * mean - x) / (n - 1)
    return math.sqrt(((x - mean) ** 2 + (n - 1) * (rest - mean) ** 2) / (n - 1))


def committed(domain: str) -> dict:
    """From docs/runs/regions/DOMAIN-report.md: final-stage means/stds and the per-seed pairs."""
    text = (DOCS / "runs" / "regions" / f"{domain}-report.md").read_text()
    out: dict = {"mean": {}, "noise": {}}
    for name, m, s in re.findall(r"^\| ([a-z-]+) \| \d \| [^|]* \| \*\*([\d.]+)\*\* ± ([\d.]+)", text, re.M):
        out["mean"][name] = (float(m), float(s))  # the last stage wins: the final one
    for name, stage, noise in re.findall(r"^\| ([a-z-]+) \| (\d) \| [^|]*?([\d.]+) % noise", text, re.M):
        out["noise"].setdefault(name, {})[int(stage)] = float(noise)
    for other in ("PPL", "RAND-REGIONS"):
        line = re.search(rf"REGIONS above {other} .*?paired per seed ([-+\d., ]+) \|", text)
        assert line, f"{domain}: no paired line for {other}"
        out[other] = [float(v) for v in line.group(1).split(",")]
    return out


def _ms(values: list[float]) -> str:
    if len(values) > 1:
        return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"
    return f"{values[0]:.1f}" if values else "-"


def per_seed(folder: Path) -> dict[int, dict]:
    """Per seed, the results of every strategy run there (over all its results*.json)."""
    out: dict[int, dict] = {}
    for f in sorted(folder.glob("seed-*/results*.json")):
        seed = int(f.parent.name.split("-")[1])
        results = json.loads(f.read_text())["results"]
        out[seed] = {**out.get(seed, {}), **results}  # a strategy reads the same from every file
    return out


def _final(results: dict, name: str) -> float | None:
    hist = results.get(name)
    if not hist or (name != "uda" and hist[-1]["stage"] != 3):  # UDA is stage 0; the rest: the final stage
        return None
    return 100 * hist[-1]["miou"]


def domain_block(runs: Path, domain: str) -> list[str]:
    seeds = per_seed(runs / DOMAINS[domain])
    ref = committed(domain)
    head = [label for _, label in NAMES] + [f"{a} − {b}" for a, b in PAIRS]
    lines = [f"**{domain}**, final stage (stage 3), mIoU:", "", "| seed | " + " | ".join(head) + " |"]
    lines.append("|---|" + "---|" * len(head))
    cols: dict[str, list[float]] = {}
    for seed, r in sorted(seeds.items()):
        vals = {name: _final(r, name) for name, _ in NAMES}
        cells = [f"{v:.1f}" if v is not None else "-" for v in vals.values()]
        for a, b in PAIRS:
            va, vb = vals[a], vals[b]
            cells.append(f"{va - vb:+.1f}" if va is not None and vb is not None else "-")
        for name, v in vals.items():
            if v is not None:
                cols.setdefault(name, []).append(v)
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    if len(seeds) > 1:
        lines.append("| mean ± std | " + " | ".join(_ms(cols.get(n, [])) for n, _ in NAMES) + " |" + " |" * len(PAIRS))
    committed_row = [f"{ref['mean'][n][0]} ± {ref['mean'][n][1]}" if n in ref["mean"] else "-" for n, _ in NAMES]
    committed_row[1] += " (2.99 % px)"  # SPL
    lines.append("| committed, seeds 0-2 | " + " | ".join(committed_row) + " |" + " |" * len(PAIRS))
    lines.append("")
    m, s = ref["mean"]["ppl"]
    for seed, r in sorted(seeds.items()):
        x = _final(r, "ppl")
        if x is not None:
            low = min_std(x, m)
            verdict = "could be one of them" if low <= s + 0.05 else "**cannot** be one of them"
            lines.append(
                f"Seed {seed}'s PPL {x:.1f} against the committed {m} ± {s}: three values of that mean with "
                f"{x:.1f} among them have a std of at least {low:.2f}, so it {verdict}."
            )
    if any(n in r for r in seeds.values() for n in ("regions", "regions-pure", "rand-regions")):
        lines += [
            "",
            "Label noise (of the pixels labelled at that stage) and the pool's pixels asked so far:",
            "",
            *noise_rows(seeds, ref),
        ]
    else:
        lines.append("")
    return lines


def noise_rows(seeds: dict[int, dict], ref: dict) -> list[str]:
    """Label noise and the pool's pixels asked per stage (cumulative), per seed; committed means."""
    names = [n for n in ("regions", "regions-pure", "rand-regions") if any(n in r for r in seeds.values())]
    head = [f"{n} seed {s}" for s in sorted(seeds) for n in names if n in seeds[s]]
    out = ["| stage | " + " | ".join(head) + " | regions, committed | RAND-regions, committed |"]
    out.append("|---|" + "---|" * (len(head) + 2))
    for stage in (1, 2, 3):
        cells = []
        for s in sorted(seeds):
            for n in names:
                if n in seeds[s]:
                    b = next((h["budget"] for h in seeds[s][n] if h["stage"] == stage), None)
                    cells.append(
                        f"{100 * b['noise_rate']:.1f} % noise, {100 * b['pixel_share']:.1f} % px" if b else "-"
                    )
        cells += [f"{ref['noise'].get(n, {}).get(stage, '-')} % noise" for n in ("regions", "rand-regions")]
        out.append(f"| {stage} | " + " | ".join(cells) + " |")
    return [*out, ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True, help="the output folder of docs/run_regions_pure.sh")
    args = ap.parse_args()
    block = [BEGIN, ""]
    for domain in DOMAINS:
        block += domain_block(Path(args.runs), domain)
    block.append(END)
    path = DOCS / "results.md"
    text = path.read_text()
    new = "\n".join(block)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + new + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text)
    print(new)


if __name__ == "__main__":
    main()
