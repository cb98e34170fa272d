"""docs/make_results_cap.py: the cap ablation's table, per seed and paired, from results.json files."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from make_results_cap import cap_of, domain_rows  # noqa: E402


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
    # the main runs predate the setting (top cap); the ablation's settings name "balanced"
    _write_with_cap(cap, 0, {"spl": 0.25, "ppl": 0.20, "rand": 0.22}, "balanced")
    _write_with_cap(cap, 1, {"spl": 0.28, "ppl": 0.19, "rand": 0.20}, "balanced")
    _write_with_cap(cap, 2, {"spl": 0.30, "ppl": 0.19, "rand": 0.20}, "balanced")  # no main run for seed 2: left out
    seeds, lines = domain_rows(main, cap)
    assert seeds == [0, 1]
    assert "| SPL, class-balanced cap | 25.0 | 28.0 | **26.5 ± 2.1** | 2.99 % / 2.99 % |" in lines
    assert "| SPL balanced − random pixels | -1.0, +1.0 | no |" in lines
    assert "| SPL balanced − SPL top | +8.0, +10.0 | yes |" in lines
    assert "| PPL balanced − its RAND | -2.0, -1.0 | yes |" in lines
    assert "| PPL balanced − PPL top | +5.0, +3.0 | yes |" in lines


def _write_with_cap(folder: Path, seed: int, mious: dict[str, float], cap: str | None) -> None:
    _write(folder, seed, mious)
    f = folder / f"seed-{seed}" / "results.json"
    data = json.loads(f.read_text())
    if cap is not None:
        data["config"] = {"selector": {"cap_pick": cap}}
    f.write_text(json.dumps(data))


def test_rows_follow_each_runs_saved_cap_when_the_main_run_is_balanced(tmp_path):
    """Once the demo preset's own cap is "balanced", the ablation runs the top cap: rows are
    labelled by what each run's settings say, not by which folder they came from."""
    main, variant = tmp_path / "main", tmp_path / "top"
    _write_with_cap(
        main, 0, {"spl": 0.25, "rand-pixels": 0.26, "ppl": 0.20, "rand": 0.22, "supervised": 0.265}, "balanced"
    )
    _write_with_cap(variant, 0, {"spl": 0.17, "ppl": 0.15, "rand": 0.21}, "top")
    seeds, lines = domain_rows(main, variant)
    assert seeds == [0]
    assert "| SPL, top-discrepancy cap | 17.0 | **17.0** | 2.99 % |" in lines
    assert "| SPL, class-balanced cap | 25.0 | **25.0** | 2.99 % |" in lines
    assert "| SPL balanced − SPL top | +8.0 | yes |" in lines
    assert "| PPL balanced − its RAND | -2.0 | yes |" in lines


def test_an_ablation_run_with_the_main_runs_cap_is_refused(tmp_path):
    main, variant = tmp_path / "main", tmp_path / "same"
    _write_with_cap(main, 0, {"spl": 0.25, "rand-pixels": 0.26, "ppl": 0.2, "rand": 0.2, "supervised": 0.3}, "balanced")
    _write_with_cap(variant, 0, {"spl": 0.17, "ppl": 0.15, "rand": 0.21}, "balanced")
    with pytest.raises(SystemExit, match="used the main run's cap"):
        domain_rows(main, variant)


def test_runs_from_before_the_setting_count_as_the_top_cap(tmp_path):
    _write_with_cap(tmp_path / "old", 0, {"spl": 0.1}, None)
    assert cap_of(tmp_path / "old", 0) == "top"
    assert cap_of(tmp_path / "missing", 0) == "top"


def test_the_results_page_names_the_cap_of_its_main_runs(tmp_path):
    from make_results import DOMAINS
    from make_results_cap import run_caps

    (photo, _), (night, _) = DOMAINS["photo"], DOMAINS["night"]
    _write_with_cap(tmp_path / photo, 0, {"spl": 0.2}, None)  # before the setting: the top cap
    _write_with_cap(tmp_path / photo, 1, {"spl": 0.2}, "balanced")
    _write_with_cap(tmp_path / night, 0, {"spl": 0.2}, "balanced")
    assert run_caps(tmp_path, DOMAINS) == "photo 'balanced' and 'top'; night 'balanced'"
    assert run_caps(tmp_path / "empty", DOMAINS) == "none found"


def test_a_section_whose_inputs_were_not_given_is_kept_with_a_line_that_says_so():
    from make_results_cap import CAPS, kept_section

    old = f"# page\n\n## Before\n\ntext\n\n{CAPS}\n\nintro\n\n| a | b |\n|---|---|\n\n## After\n\nmore\n"
    kept = kept_section(old, CAPS, "no --caps given")
    assert kept == [
        CAPS,
        "",
        "*Kept from the previous version of this page: no --caps given.*",
        "",
        "intro",
        "",
        "| a | b |",
        "|---|---|",
        "",
    ]
    again = "\n".join(["# page", "", *kept, "## After"])
    assert kept_section(again, CAPS, "no --caps given") == kept  # regenerated twice: one note, not two
    last = f"# page\n\n{CAPS}\n\nonly"
    assert kept_section(last, CAPS, "x")[-2:] == ["only", ""]  # the last section of the page
    assert kept_section("# page\n", CAPS, "x") == []


def test_a_domains_asked_pixels_table_is_kept_from_its_own_section_once():
    from make_results import kept_subsection

    title = "### What the asked pixels are (stage 1)"
    old = (
        f"## Target domain: A\n\n{title}\n\n| a |\n|---|\n| 1 |\n\nLike the paper's Fig. 6 ...\n\n"
        f"## Target domain: B\n\n{title}\n\n| b |\n|---|\n| 2 |\n\n## The levers\n"
    )
    b = kept_subsection(old, "## Target domain: B", title)
    assert b[0] == title and b[2].startswith("*Kept") and b[4:] == ["| b |", "|---|", "| 2 |", ""]
    a = kept_subsection(old, "## Target domain: A", title)
    assert a[4:] == ["| a |", "|---|", "| 1 |", ""]
    assert kept_subsection("\n".join(a), "", title) == a  # kept again: one note, not two
    assert kept_subsection(old, "## Target domain: C", title) == []
    assert kept_subsection("## Target domain: D\n\n## Next\n\n" + title, "## Target domain: D", title) == []
