"""The class-balanced cap (issue 23's follow-up): a 1 % cap that keeps the mask's spread
over the predicted classes instead of its most discrepant (boundary) pixels."""

import math

import pytest
import torch

from labor_desktop.core.selection import balanced_sample, cap_mask, class_quotas, inconsistency_mask
from labor_desktop.core.strategies import propose
from tests.test_mask_cap import heads_disagreeing_on


def quotas_brute_force(counts, n):
    """One pick at a time to the class with the fewest picks so far that still has pixels
    (lowest id among equals): the definition of water-filling."""
    n = min(n, sum(counts))
    got = [0] * len(counts)
    for _ in range(n):
        open_ = [c for c in range(len(counts)) if got[c] < counts[c]]
        c = min(open_, key=lambda c: (got[c], c))
        got[c] += 1
    return got


@pytest.mark.parametrize(
    "counts",
    [[5, 5, 5], [1, 10, 0, 3], [0, 0, 7], [2, 2], [100, 1, 1, 1, 50], [3]],
)
def test_quotas_are_water_filling(counts):
    total = sum(counts)
    for n in range(0, total + 3):
        got = class_quotas(torch.tensor(counts), n).tolist()
        assert got == quotas_brute_force(counts, n), (counts, n)


def test_quotas_at_the_exact_boundaries():
    # n equal to the sum: everything; one less: the lowest-id class at the top loses nothing
    # before the others are level (the highest class id among the largest gives one up)
    assert class_quotas(torch.tensor([2, 3]), 5).tolist() == [2, 3]
    assert class_quotas(torch.tensor([2, 3]), 4).tolist() == [2, 2]
    assert class_quotas(torch.tensor([3, 3]), 5).tolist() == [3, 2]
    assert class_quotas(torch.tensor([3, 3]), 0).tolist() == [0, 0]
    assert class_quotas(torch.tensor([3, 3]), -1).tolist() == [0, 0]


def test_balanced_sample_takes_each_class_quota_from_that_class_only():
    g = torch.Generator().manual_seed(3)
    h, w = 12, 15
    classes = torch.randint(0, 4, (h, w), generator=g)
    classes[classes == 3] = 2  # class 3 absent
    mask = torch.rand(h, w, generator=g) > 0.4
    counts = torch.bincount(classes[mask], minlength=4)
    for n in (0, 1, 7, int(mask.sum()) - 1, int(mask.sum()), int(mask.sum()) + 5):
        got = balanced_sample(mask, classes, n, torch.Generator().manual_seed(1))
        assert not (got & ~mask).any()
        per_class = torch.bincount(classes[got], minlength=4).tolist()
        assert per_class == quotas_brute_force(counts.tolist(), max(n, 0))


def test_balanced_sample_is_uniform_within_a_class():
    """Over many seeds every pixel of an over-full class is drawn about equally often."""
    mask = torch.ones(4, 5, dtype=torch.bool)
    classes = torch.zeros(4, 5, dtype=torch.long)
    hits = torch.zeros(4, 5)
    for seed in range(2000):
        hits += balanced_sample(mask, classes, 5, torch.Generator().manual_seed(seed)).float()
    share = hits / 2000  # 5 of 20 pixels: 0.25 each
    assert float(share.min()) > 0.2 and float(share.max()) < 0.3


def test_balanced_sample_is_the_same_for_a_seed():
    mask = torch.rand(30, 40, generator=torch.Generator().manual_seed(0)) > 0.5
    classes = torch.randint(0, 6, (30, 40), generator=torch.Generator().manual_seed(1))
    a = balanced_sample(mask, classes, 50, torch.Generator().manual_seed(9))
    b = balanced_sample(mask, classes, 50, torch.Generator().manual_seed(9))
    c = balanced_sample(mask, classes, 50, torch.Generator().manual_seed(10))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_the_balanced_cap_holds_the_budget_and_spreads_over_classes():
    a, b = heads_disagreeing_on(0.2, h=40, w=50)
    mask = inconsistency_mask(a, b)
    cap = math.floor(0.01 * 2000 + 1e-9)
    kept = cap_mask(mask, a, b, 0.01, "balanced", torch.Generator().manual_seed(0))
    assert int(kept.sum()) == cap and not (kept & ~mask).any()
    classes = (a.softmax(0) + b.softmax(0)).argmax(0)
    counts = torch.bincount(classes[mask], minlength=5).tolist()
    assert torch.bincount(classes[kept], minlength=5).tolist() == quotas_brute_force(counts, cap)


def test_the_balanced_cap_keeps_a_mask_of_exactly_the_cap_whole():
    a, b = heads_disagreeing_on(0.05)  # 30 of 600
    mask = inconsistency_mask(a, b)
    assert torch.equal(cap_mask(mask, a, b, 30 / 600, "balanced", torch.Generator().manual_seed(0)), mask)
    assert int(cap_mask(mask, a, b, 29 / 600, "balanced", torch.Generator().manual_seed(0)).sum()) == 29


def test_an_unknown_cap_pick_is_refused():
    a, b = heads_disagreeing_on(0.2)
    with pytest.raises(ValueError, match="unknown cap pick 'best'"):
        cap_mask(inconsistency_mask(a, b), a, b, 0.01, "best")  # type: ignore[arg-type]


def test_spl_with_the_balanced_cap_asks_the_balanced_sample():
    a, b = heads_disagreeing_on(0.2, h=40, w=50)
    spl = propose(
        "spl", a.softmax(0), (a, b), mask_share=0.01, cap_pick="balanced", generator=torch.Generator().manual_seed(4)
    )
    want = cap_mask(inconsistency_mask(a, b), a, b, 0.01, "balanced", torch.Generator().manual_seed(4))
    assert torch.equal(spl.region, want) and spl.capped == 20 and spl.uncapped == 400


def test_the_setting_is_checked():
    from labor_desktop.engine.config import ExperimentConfig, preset

    cfg = preset("demo").to_dict()
    cfg["selector"]["cap_pick"] = "top"
    assert ExperimentConfig.from_dict(cfg).selector.cap_pick == "top"
    cfg["selector"]["cap_pick"] = "best"
    with pytest.raises(ValueError, match="cap_pick = 'best': must be 'top' or 'balanced'"):
        ExperimentConfig.from_dict(cfg)
    assert preset("demo").selector.cap_pick == "balanced"
