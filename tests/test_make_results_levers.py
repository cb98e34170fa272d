"""docs/make_results_levers.py: the lever table, per seed and paired against the preset,
from the bench's JSON lines; and the first (levers-off) table kept from the old page."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from make_results_levers import FIRST, LEVERS, lever_section  # noqa: E402

OLD_PAGE = """# Results

## The warm-up levers, one at a time (seed 0)

*Kept from the previous version of this page: no --levers given.*

| domain | variant | UDA | UDA + AdaBN | seconds |
|---|---|---|---|---|
| night | base | 6.8 | 11.7 | 2662 |

## The cap: top-discrepancy against class-balanced (ablation)
"""


def _log(folder: Path, look: str, seed: int, uda: dict[str, float]) -> None:
    lines = ["progress noise"] + [
        json.dumps({"variant": v, "uda": u, "uda_adabn": u, "seconds": 1.0}) for v, u in uda.items()
    ]
    (folder / f"lev-{look}-{seed}.log").write_text("\n".join(lines) + "\nexit 0\n")


def test_each_lever_is_shown_per_look_with_its_paired_difference_to_the_preset(tmp_path):
    _log(tmp_path, "photo", 0, {"preset": 0.16, "preset+long": 0.18})
    _log(tmp_path, "photo", 1, {"preset": 0.17, "preset+long": 0.166})
    _log(tmp_path, "night", 0, {"preset": 0.11, "preset+long": 0.13})
    _log(tmp_path, "night", 1, {"preset": 0.13, "preset+long": 0.14})
    lines = lever_section(tmp_path, OLD_PAGE)
    assert lines[0] == LEVERS
    row = next(line for line in lines if line.startswith("| `preset+long`"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:] == ["17.3 ± 1.0", "13.5 ± 0.7", "+2.0, -0.4", "+2.0, +1.0"]
    preset = [c.strip() for c in next(line for line in lines if line.startswith("| `preset`")).strip("|").split("|")]
    assert preset[2:] == ["16.5 ± 0.7", "12.0 ± 1.4", "", ""]


def test_a_lever_run_on_fewer_seeds_says_so_and_pairs_only_those(tmp_path):
    _log(tmp_path, "night", 0, {"preset": 0.11, "preset+rcs": 0.12})
    _log(tmp_path, "night", 1, {"preset": 0.13})
    row = next(line for line in lever_section(tmp_path, "") if line.startswith("| `preset+rcs`"))
    assert "| 12.0 (n=1) | +1.0 |" in row


def test_the_first_measurement_is_kept_from_the_old_page_once(tmp_path):
    _log(tmp_path, "night", 0, {"preset": 0.11})
    lines = lever_section(tmp_path, OLD_PAGE)
    at = lines.index(FIRST)
    assert "| night | base | 6.8 | 11.7 | 2662 |" in lines[at:]
    assert not any("The cap" in line for line in lines)
    again = "\n".join(lines)  # the next regeneration finds it under its new title
    assert lever_section(tmp_path, again).count("| night | base | 6.8 | 11.7 | 2662 |") == 1


def test_no_logs_no_section(tmp_path):
    assert lever_section(tmp_path, OLD_PAGE) == []


def _run(folder: Path, per_seed: dict) -> None:
    (folder / "night/compare-night").mkdir(parents=True)
    results = {
        k: {name: [{"stage": 0, "miou": 0.0}, {"miou": m}] for name, m in v.items()} for k, v in per_seed.items()
    }
    (folder / "night/compare-night/results.json").write_text(json.dumps({"per_seed": results}))


def test_the_lever_run_again_is_paired_per_seed_and_strategy_against_the_main_run(tmp_path):
    levers, main, other = tmp_path / "levers", tmp_path / "main", tmp_path / "other"
    levers.mkdir()
    _log(levers, "night", 0, {"preset": 0.11, "preset+rcs": 0.14})
    _run(
        main,
        {
            "0": {"uda": 0.11, "supervised-converged": 0.27, "spl": 0.24},
            "1": {"uda": 0.13, "supervised-converged": 0.28, "spl": 0.25},
        },
    )
    _run(
        other,
        {
            "0": {"uda": 0.14, "supervised-converged": 0.28, "spl": 0.25},
            "1": {"uda": 0.12, "supervised-converged": 0.28, "spl": 0.24},
        },
    )
    lines = lever_section(levers, "", main, other)
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")][1:]
        for line in lines
        if line.startswith("| ")
    }
    assert rows["uda"] == ["12.0 ± 1.4", "13.0 ± 1.4", "+3.0, -1.0"]
    assert rows["spl"] == ["24.5 ± 0.7", "24.5 ± 0.7", "+1.0, -1.0"]
    # UDA over converged: 12 / 27.5 and 13 / 28
    assert rows["UDA's share of supervised-converged"] == ["44 %", "46 %", ""]
    assert "ppl" not in rows  # not in either run: no row
    assert not any(line.startswith("### Rare-class") for line in lever_section(levers, "", main, None))
