"""docs/make_results_cap.py: the cap ablation's table, per seed and paired, from results.json files."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from make_results_cap import domain_rows  # noqa: E402


def _write(folder: Path, seed: int, mious: dict[str, float]) -> None:
    d = folder / f"seed-{seed}"
    d.mkdir(parents=True)
    budget = {"unit": "pixels", "labeled_share": 0.0299, "points_per_image": 0.0}
    results = {n: [{"stage": 3, "miou": m, "budget": budget}] for n, m in mious.items()}
    (d / "results.json").write_text(json.dumps({"results": results}))


def test_rows_and_paired_differences(tmp_path):
    main, cap = tmp_path / "main", tmp_path / "cap"
    base = {"spl": 0.17, "rand-pixels": 0.26, "ppl": 0.15, "rand": 0.21, "supervised": 0.265}
    _write(main, 0, base)
    _write(main, 1, dict(base, spl=0.18, ppl=0.16, **{"rand-pixels": 0.27}))
    _write(cap, 0, {"spl": 0.25, "ppl": 0.20, "rand": 0.22})
    _write(cap, 1, {"spl": 0.28, "ppl": 0.19, "rand": 0.20})
    _write(cap, 2, {"spl": 0.30, "ppl": 0.19, "rand": 0.20})  # no main run for seed 2: left out
    seeds, lines = domain_rows(main, cap)
    assert seeds == [0, 1]
    assert "| SPL, class-balanced cap | 25.0 | 28.0 | **26.5 ± 2.1** | 2.99 % / 2.99 % |" in lines
    assert "| SPL balanced − random pixels | -1.0, +1.0 | no |" in lines
    assert "| SPL balanced − SPL top | +8.0, +10.0 | yes |" in lines
    assert "| PPL balanced − its RAND | -2.0, -1.0 | yes |" in lines
    assert "| PPL balanced − PPL top | +5.0, +3.0 | yes |" in lines
