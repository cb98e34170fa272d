"""The purity-aware regions block of docs/results.md (issue 24's next lever), from the runs of
``docs/run_regions_pure.sh``: PPL and ``regions-pure`` per seed (and ``regions`` where it was
rerun), beside the committed runs of docs/runs/regions/ (``regions``, RAND-regions, SPL).

The committed reports give means ± stds and, per seed, the paired differences regions − PPL
and regions − RAND-regions.  The warm-up and PPL are deterministic per seed and their code is
unchanged since those runs, so when the rerun PPL reproduces (checked here: the committed PPL
mean ± std, and ``regions`` where rerun), the committed per-seed values follow exactly:
regions_s = PPL_s + (regions − PPL)_s and RAND_s = regions_s − (regions − RAND)_s (each to the
reports' 0.1 rounding).

    python docs/make_results_regions.py --runs /work/runs-i24/out   # rewrites the block in place
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

DOCS = Path(__file__).resolve().parent
DOMAINS = {"photo": "photo/compare", "night": "night/compare-night"}
BEGIN, END = "<!-- regions-pure: begin -->", "<!-- regions-pure: end -->"


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


def _final(results: dict, name: str) -> float | None:
    hist = results.get(name)
    return 100 * hist[-1]["miou"] if hist else None


def domain_block(runs: Path, domain: str) -> list[str]:
    folder = runs / DOMAINS[domain]
    ref = committed(domain)
    seeds, rows = [], []
    for f in sorted(folder.glob("seed-*/results*.json")):
        seed = int(f.parent.name.split("-")[1])
        results = json.loads(f.read_text())["results"]
        if "regions-pure" in results and seed not in seeds:
            seeds.append(seed)
            rows.append((seed, results))
        elif "regions" in results:  # the rerun of ``regions`` kept beside (results-regions.json)
            for s, r in rows:
                if s == seed:
                    r.setdefault("regions", results["regions"])
    seeds.sort()
    rows.sort(key=lambda r: r[0])
    table = [
        "| seed | UDA | PPL (rerun) | regions-pure | regions (committed) | RAND-regions (committed) | "
        "pure − PPL | pure − regions | pure − RAND-regions |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    cols: dict[str, list[float]] = {
        k: [] for k in ("uda", "ppl", "pure", "regions", "rand", "d_ppl", "d_reg", "d_rand")
    }
    checks = []
    for seed, r in rows:
        uda, ppl, pure = _final(r, "uda"), _final(r, "ppl"), _final(r, "regions-pure")
        assert uda is not None and ppl is not None and pure is not None
        regions = round(ppl + ref["PPL"][seed], 1)
        rand = round(regions - ref["RAND-REGIONS"][seed], 1)
        rerun = _final(r, "regions")
        if rerun is not None:
            checks.append(f"seed {seed}: `regions` rerun {rerun:.1f}, committed (PPL + pair) {regions:.1f}")
        for k, v in (("uda", uda), ("ppl", ppl), ("pure", pure), ("regions", regions), ("rand", rand)):
            cols[k].append(v)
        d = (pure - ppl, pure - regions, pure - rand)
        for k, v in zip(("d_ppl", "d_reg", "d_rand"), d, strict=True):
            cols[k].append(v)
        table.append(
            f"| {seed} | {uda:.1f} | {ppl:.1f} | **{pure:.1f}** | {regions:.1f} | {rand:.1f} | "
            + " | ".join(f"{v:+.1f}" for v in d)
            + " |"
        )
    table.append(
        f"| mean ± std | {_ms(cols['uda'])} | {_ms(cols['ppl'])} | **{_ms(cols['pure'])}** | {_ms(cols['regions'])} | "
        f"{_ms(cols['rand'])} | | | |"
    )
    ppl_m, ppl_s = ref["mean"]["ppl"]
    spl_m, spl_s = ref["mean"]["spl"]
    lines = [f"**{domain}** (seeds {' '.join(map(str, seeds))}; committed, 3 seeds: PPL {ppl_m} ± {ppl_s}, "]
    lines[-1] += f"SPL {spl_m} ± {spl_s}, UDA {ref['mean']['uda'][0]} ± {ref['mean']['uda'][1]}):"
    lines += ["", *table, ""]
    if checks:
        lines += ["Reproduction: " + "; ".join(checks) + ".", ""]
    lines += noise_rows(rows, ref)
    return lines


def noise_rows(rows: list[tuple[int, dict]], ref: dict) -> list[str]:
    """Label noise and pixels asked per stage: regions-pure per seed, the committed means."""
    out = ["| stage | " + " | ".join(f"regions-pure seed {s}" for s, _ in rows) + " | regions | RAND-regions |"]
    out.append("|---|" + "---|" * (len(rows) + 2))
    for stage in (1, 2, 3):
        cells = []
        for _, r in rows:
            b = next(h["budget"] for h in r["regions-pure"] if h["stage"] == stage)
            cells.append(f"{100 * b['noise_rate']:.1f} % noise, {100 * b['pixel_share']:.1f} % px")
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
