"""``labor compare`` on the smoke preset: one shared warm-up, SPL and PPL first so that the
baselines get their measured budgets per image and stage, then the report with its figures."""

import json

import pytest

from labor_desktop.cli import main
from labor_desktop.engine.experiments.converged import best_round
from labor_desktop.store import Project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # the timeout: a hang guard only


@pytest.fixture(scope="module")
def compared(tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    args = ["compare", "--data", str(tiny_data), "--preset", "smoke", "--stages", "1", "--out", str(out)]
    return out, args


def test_compare_shares_the_warm_up_runs_ppl_first_and_writes_the_report(compared, capsys):
    out, args = compared
    assert main(args + ["--strategies", "rand", "spl", "ppl"]) == 0  # the references named last
    stdout = capsys.readouterr().out

    saved = json.loads((out / "results.json").read_text())
    # UDA (the shared warm-up model) always first, though not named; then the references, the rest in order
    assert list(saved["results"]) == ["uda", "spl", "ppl", "rand"]
    printed = [line.split()[0] for line in stdout.splitlines() if " stage " in line]
    assert printed == ["uda", "spl", "spl", "ppl", "ppl", "rand", "rand"]  # UDA's stage 0; stages 0 and 1 of each
    assert f"report: {out / 'report.md'}" in stdout

    # One warm-up for all: one ledger with pre-training, every project starts from its checkpoint.
    shared = json.loads((out / "shared" / "state.json").read_text())["jobs"]
    assert {"pretrain", "warmup", "evaluate-0"} <= set(shared)
    warm = shared["warmup"]["result"]["checkpoint"]
    for name in ("ppl", "rand", "spl"):
        assert "pretrain" not in json.loads((out / name / "state.json").read_text())["jobs"]
        with Project.open(out / name / "project.labor.h5", read_only=True) as p:
            assert p.settings.extra["start_checkpoint"] == warm
        assert saved["results"][name][0] == saved["results"]["ppl"][0]  # stage 0 is the shared warm-up model

    # RAND in point mode asks, on every image, for as many points as PPL proposed there.
    assert saved["budgets"]["rand"]["matched_to"] == "ppl" and saved["budgets"]["spl"]["matched_to"] is None
    with (
        Project.open(out / "ppl" / "project.labor.h5", read_only=True) as ppl,
        Project.open(out / "rand" / "project.labor.h5", read_only=True) as rand,
    ):
        for i in range(len(ppl.images)):
            assert len(rand.proposal(1, i)[1]) == len(ppl.proposal(1, i)[1])

    report = (out / "report.md").read_text()
    assert report.startswith("# Comparison: ")
    for figure in ("fig5-miou-by-stage.png", "fig6-selection.png"):
        assert (out / figure).stat().st_size > 1000 and f"({figure})" in report
    assert saved["meta"]["strategies"] == "rand, spl, ppl"


def test_random_pixels_get_spls_mask_size_and_the_converged_reference_stops_by_itself(tiny_data, tmp_path):
    out = tmp_path / "c"
    cfg = tmp_path / "c.toml"
    cfg.write_text('base = "smoke"\n[reference]\npatience = 1\nmax_rounds = 3\n')
    args = ["compare", "--data", str(tiny_data), "--config", str(cfg), "--stages", "1", "--out", str(out)]
    assert main(args + ["--strategies", "rand-pixels", "supervised-converged", "spl"]) == 0
    saved = json.loads((out / "results.json").read_text())
    assert list(saved["results"]) == ["uda", "supervised-converged", "spl", "rand-pixels"]
    assert saved["budgets"]["rand-pixels"]["matched_to"] == "spl"
    with (
        Project.open(out / "spl" / "project.labor.h5", read_only=True) as spl,
        Project.open(out / "rand-pixels" / "project.labor.h5", read_only=True) as rand,
    ):
        for i in range(len(spl.images)):
            assert int(rand.proposal(1, i)[0].sum()) == int(spl.proposal(1, i)[0].sum())
    conv = saved["results"]["supervised-converged"]
    assert [r["stage"] for r in conv] == [0, 1]
    rounds = conv[1]["miou_by_round"]
    assert 1 <= conv[1]["rounds"] == len(rounds) <= 3
    assert conv[1]["miou"] == max(rounds) and conv[1]["steps"] == conv[1]["best_round"] * 4  # smoke: 4 steps a round
    stopped = [best_round(rounds[: r + 1], 1)[1] for r in range(len(rounds))]
    assert not any(stopped[:-1])  # never trained past a stop
    assert len(rounds) == next((r + 1 for r, stop in enumerate(stopped) if stop), 3)  # the first stop, or max_rounds
    report = (out / "report.md").read_text()
    assert "UDA at least 50 % of supervised-converged" in report and "SPL above random pixels" in report


def test_compare_again_is_a_resume_and_unknown_strategies_are_refused(compared, capsys):
    out, args = compared
    before = json.loads((out / "results.json").read_text())["results"]
    capsys.readouterr()
    assert main(args + ["--strategies", "rand", "spl", "ppl"]) == 0
    assert "pre-train on source" not in capsys.readouterr().err  # every job was done: nothing reran
    assert json.loads((out / "results.json").read_text())["results"] == before
    assert main(args + ["--strategies", "ppl", "labor"]) == 1
    assert "unknown strategy 'labor'" in capsys.readouterr().err


def test_compare_regions_matched_to_ppl_clicks_with_their_noise_in_the_report(compared, capsys):
    import numpy as np

    from labor_desktop.core.superpixels import superpixels
    from labor_desktop.data.io import read_image

    out, args = compared
    assert main(args + ["--strategies", "rand-regions", "regions", "regions-pure", "ppl"]) == 0
    saved = json.loads((out / "results.json").read_text())
    assert list(saved["results"]) == ["uda", "ppl", "rand-regions", "regions", "regions-pure"]  # UDA always reported
    for name in ("regions", "regions-pure", "rand-regions"):
        assert saved["budgets"][name]["matched_to"] == "ppl"
        budget = saved["results"][name][1]["budget"]
        assert budget["unit"] == "regions" and 0.0 <= budget["noise_rate"] < 1.0
    with (
        Project.open(out / "ppl" / "project.labor.h5", read_only=True) as ppl,
        Project.open(out / "regions" / "project.labor.h5", read_only=True) as regions,
        Project.open(out / "rand-regions" / "project.labor.h5", read_only=True) as rand,
        Project.open(out / "regions-pure" / "project.labor.h5", read_only=True) as pure,
    ):
        clicks = 0
        for i in range(len(ppl.images)):
            n = len(ppl.proposal(1, i)[1])
            assert ppl.proposal_region_size(1, i) is None
            sp = superpixels(read_image(regions.image_path(i)), saved["budgets"]["regions"]["region_size"])
            for p, at_most in ((regions, True), (pure, True), (rand, False)):
                mask, points = p.proposal(1, i)
                ids = np.unique(sp[points[:, 0], points[:, 1]])
                assert p.proposal_region_size(1, i) == saved["budgets"]["regions"]["region_size"]  # stored with it
                assert len(ids) == len(points)  # one point per region, no region twice
                assert len(points) <= n if at_most else len(points) == min(n, int(sp.max()) + 1)
                assert np.array_equal(mask if mask is not None else np.zeros(sp.shape, bool), np.isin(sp, ids))
            clicks += len(rand.proposal(1, i)[1])
        assert saved["results"]["rand-regions"][1]["budget"]["points"] == clicks
    report = (out / "report.md").read_text()
    assert "clicks/img" in report and "REGIONS above RAND-REGIONS" in report
    assert "noise" in report
    assert (out / "table.csv").read_text().splitlines()[0].endswith(",clicks_per_image,noise_rate")
