"""The report's goals (issue 23): UDA as a share of the converged supervised model,
leads that need both stds and paired per-seed differences of one sign, SPL against
random pixels at its share, and the converged reference's stopping rule."""

import pytest

from labor_desktop.engine.experiments.converged import best_round
from labor_desktop.engine.experiments.report import aggregate, check_goals, paired_differences


def hist(miou_by_seed, unit="points", share=0.01):
    """An aggregated final row from per-seed mIoUs (via ``aggregate``, as ``labor compare`` makes it)."""
    budget = {"unit": unit, "pixel_share": share, "points_per_image": 8.0}
    per_seed = {
        s: {"x": [{"stage": 1, "miou": m, "iou": [m] * 19, "budget": budget}]} for s, m in enumerate(miou_by_seed)
    }
    return aggregate(per_seed)["x"]


def goal(goals, start):
    (g,) = [g for g in goals if g["goal"].startswith(start)]
    return g


def test_paired_differences_are_taken_seed_by_seed():
    a, b = hist([0.30, 0.32, 0.31])[-1], hist([0.29, 0.33, 0.30])[-1]
    assert paired_differences(a, b) == pytest.approx([0.01, -0.01, 0.01])


def test_a_lead_needs_every_seed_ahead_even_when_the_means_differ_beyond_both_stds():
    # means 0.40 vs 0.30, stds about 0.1 and 0.0: beyond both stds only if the gap is larger
    ahead = hist([0.41, 0.42, 0.43])
    behind = hist([0.30, 0.30, 0.30])
    mixed = hist([0.29, 0.60, 0.31])  # mean 0.40, but behind on seed 0 and std 0.17
    g = goal(check_goals({"spl": ahead, "rand-pixels": behind}), "SPL above random pixels")
    assert g["met"] and "paired per seed +11.0, +12.0, +13.0" in g["measured"]
    tight = hist([0.32, 0.50, 0.33])  # mean 0.383 > 0.30 + std; seeds all ahead
    assert not goal(check_goals({"spl": mixed, "rand-pixels": behind}), "SPL above")["met"]
    assert not goal(check_goals({"spl": tight, "rand-pixels": behind}), "SPL above")["met"]  # std 0.10 > gap 0.083


def test_a_lead_of_exactly_the_larger_std_is_not_a_lead():
    """Rows made by hand so the numbers are exact in binary: the gap 0.125 equals b's std."""

    def row(miou, std, per_seed):
        budget = {"unit": "points", "points_per_image": 8.0}
        return [{"stage": 1, "miou": miou, "miou_std": std, "seeds": 3, "budget": budget, "per_seed_miou": per_seed}]

    seeds = {"0": 0.625, "1": 0.625, "2": 0.625}
    a = row(0.625, 0.0, seeds)
    b = row(0.5, 0.125, {"0": 0.5, "1": 0.5, "2": 0.5})
    assert not goal(check_goals({"ppl": a, "rand": b}), "PPL above RAND")["met"]  # gap == std
    b_tighter = row(0.5, 0.125 - 2**-20, {"0": 0.5, "1": 0.5, "2": 0.5})
    assert goal(check_goals({"ppl": a, "rand": b_tighter}), "PPL above RAND")["met"]
    one_behind = row(0.5, 0.0625, {"0": 0.5, "1": 0.5, "2": 0.625})  # seed 2: a difference of 0
    assert not goal(check_goals({"ppl": a, "rand": one_behind}), "PPL above RAND")["met"]
    no_pairs = [{**b_tighter[0], "per_seed_miou": {}}]
    assert not goal(check_goals({"ppl": a, "rand": no_pairs}), "PPL above RAND")["met"]  # nothing to pair: no lead


def test_uda_as_a_share_of_the_converged_reference_boundary_at_one_half():
    ref = hist([0.30], unit="all", share=1.0)
    half = hist([0.15], unit="none")
    below = hist([0.1499], unit="none")
    g = goal(check_goals({"uda": half, "supervised-converged": ref}), "UDA at least 50 %")
    assert g["met"] and "= 50 % of supervised-converged" in g["measured"]
    assert not goal(check_goals({"uda": below, "supervised-converged": ref}), "UDA at least 50 %")["met"]
    # without the converged reference, supervised at the strategies' budget is the reference
    g = goal(check_goals({"uda": half, "supervised": ref}), "UDA at least 50 %")
    assert g["met"] and "of supervised " in g["measured"]


def test_spl_goal_boundaries_gap_two_and_three_percent():
    sup = hist([0.30], unit="all", share=1.0)
    assert goal(check_goals({"spl": hist([0.28], "pixels", 0.03), "supervised": sup}), "SPL within")["met"]
    assert not goal(check_goals({"spl": hist([0.28], "pixels", 0.0301), "supervised": sup}), "SPL within")["met"]
    assert not goal(check_goals({"spl": hist([0.2799], "pixels", 0.03), "supervised": sup}), "SPL within")["met"]


@pytest.mark.parametrize(
    "mious, patience, want",
    [
        ([0.1], 2, (0, False)),
        ([0.1, 0.2, 0.2], 2, (1, False)),  # an equal round is not a rise: one round without
        ([0.1, 0.2, 0.2, 0.19], 2, (1, True)),
        ([0.1, 0.2, 0.3], 1, (2, False)),
        ([0.3, 0.2], 1, (0, True)),
    ],
)
def test_the_converged_reference_stops_after_patience_rounds_without_a_rise(mious, patience, want):
    assert best_round(mious, patience) == want


def test_regions_pure_is_measured_against_ppl_rand_regions_regions_and_spl():
    pure, regions = hist([0.20, 0.21, 0.22], "regions"), hist([0.17, 0.18, 0.18], "regions")
    goals = check_goals(
        {"regions-pure": pure, "regions": regions, "ppl": hist([0.15, 0.15, 0.16]), "spl": hist([0.22, 0.23, 0.23])}
    )
    assert goal(goals, "REGIONS-PURE above PPL at PPL's clicks")["met"]
    assert goal(goals, "REGIONS-PURE above REGIONS at the same number of regions")["met"]
    assert "paired per seed +3.0, +3.0, +4.0" in goal(goals, "REGIONS-PURE above REGIONS")["measured"]
    assert goal(goals, "regions-pure within 2 mIoU of SPL")["met"]  # gap 1.67
    assert not goal(goals, "regions within 2 mIoU of SPL")["met"]  # gap 4.67
    assert not [g for g in goals if "RAND-REGIONS" in g["goal"]]  # not run: no goal
