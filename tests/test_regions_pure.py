"""The purity-aware region ranking (strategy ``regions-pure``, issue 24): the mask share of a
region times the main model's purity of it, against a brute-force reference, at the exact
boundaries (a region exactly at the purity floor, ties of equal fractions), determinism, and
the setting that selects the floor."""

import bruteforce
import pytest
import torch

from labor_desktop.core.regions import predicted_purity, rank_pure_regions, rank_regions
from labor_desktop.core.strategies import Budget, propose
from labor_desktop.engine.config import ExperimentConfig, merge

# 4 regions of a 4x6 map:   0 0 1 1 2 2 / 0 0 1 1 2 2 / 3 3 3 3 2 2 / 3 3 3 3 2 2
SP = torch.tensor([[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 3, 3, 2, 2], [3, 3, 3, 3, 2, 2]])


def grid_map(h, w, side):
    ys, xs = torch.meshgrid(torch.arange(h) // side, torch.arange(w) // side, indexing="ij")
    return ys * (-(-w // side)) + xs


def test_predicted_purity_is_the_majority_share_and_the_smaller_class_on_a_tie():
    pred = torch.tensor([[5, 5, 1, 2, 0, 0], [5, 4, 2, 1, 0, 0], [3, 3, 3, 7, 0, 0], [3, 3, 7, 7, 0, 0]])
    purity, cls = predicted_purity(SP, pred)
    assert purity.dtype == torch.float64
    assert purity.tolist() == [0.75, 0.5, 1.0, 0.625]  # 3/4, 2/4 (1 and 2 tie), 8/8, 5/8
    assert cls.tolist() == [5, 1, 0, 3]


def test_ranking_matches_the_brute_force_reference():
    g = torch.Generator().manual_seed(5)
    floors = [0.0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0]
    for trial in range(60):
        h, w, side = 12, 18, 1 + trial % 5
        sp = grid_map(h, w, side)
        mask = torch.rand(h, w, generator=g) < 0.3
        pred = torch.randint(0, 1 + trial % 4, (h, w), generator=g)  # few classes: pure regions and ties
        disc = (torch.rand(h, w, generator=g) * 4).round() / 4  # coarse: many ties
        labeled = torch.rand(h, w, generator=g) < 0.2 if trial % 2 else None
        n, floor = trial % 9, floors[trial % len(floors)]
        d = disc if trial % 3 else None
        got = rank_pure_regions(sp, mask, pred, n, discrepancy=d, labeled=labeled, min_purity=floor)
        assert got.tolist() == bruteforce.rank_pure_regions(sp, mask, pred, n, d, labeled, floor)


def test_a_pure_region_is_asked_before_a_straddling_one_with_more_mask():
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[0, 0] = mask[1, 1] = True  # region 0: 2/4 inside the mask, but half class 1, half 2
    mask[2, 0] = True  # region 3: 1/8 inside, all one class
    pred = torch.zeros(4, 6, dtype=torch.long)
    pred[0:2, 0] = 1
    pred[0:2, 1] = 2
    assert rank_regions(SP, mask, 2).tolist() == [0, 3]  # the mask share alone
    # region 0: 1/2 x 1/2 = 1/4; region 3: 1/8 x 1 = 1/8 -> still first without a floor ...
    assert rank_pure_regions(SP, mask, pred, 2).tolist() == [0, 3]
    # ... and after a region at least 3/4 pure when the floor says so
    assert rank_pure_regions(SP, mask, pred, 2, min_purity=0.75).tolist() == [3, 0]


def test_a_region_exactly_at_the_floor_is_in_the_first_tier_and_one_over_it_is_not():
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[0:2, 0:2] = True  # region 0: all inside, purity 3/4: score 3/4
    mask[0:2, 4:6] = True  # region 2: 4/8 inside, pure: 1/2
    mask[2, 0:2] = True  # region 3: 2/8 inside, pure: 1/4; region 1 untouched
    pred = torch.zeros(4, 6, dtype=torch.long)
    pred[0, 0] = 1
    assert rank_pure_regions(SP, mask, pred, 4).tolist() == [0, 2, 3]
    assert rank_pure_regions(SP, mask, pred, 4, min_purity=0.75).tolist() == [0, 2, 3]  # 3/4 >= 3/4
    assert rank_pure_regions(SP, mask, pred, 4, min_purity=0.7500001).tolist() == [2, 3, 0]
    assert rank_pure_regions(SP, mask, pred, 4, min_purity=1.0).tolist() == [2, 3, 0]  # 1 >= 1: first tier
    assert rank_pure_regions(SP, mask, pred, 1, min_purity=1.0).tolist() == [2]
    # a floor above every region: the order of the scores alone, the budget still spent
    pred[0, 4] = pred[2, 0] = 1
    assert rank_pure_regions(SP, mask, pred, 4, min_purity=1.0).tolist() == [0, 2, 3]


def test_equal_fractions_tie_exactly_then_discrepancy_then_the_smaller_id():
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[0, 0] = True  # region 0: 1/4 inside, pure: 1/4 x 1 = 1/4
    mask[0:2, 4:6] = True  # region 2: 4/8 inside, purity 4/8: 1/2 x 1/2 = 1/4
    pred = torch.zeros(4, 6, dtype=torch.long)
    pred[0:2, 4:6] = 1
    assert rank_pure_regions(SP, mask, pred, 3).tolist() == [0, 2]  # the tie: smaller id; 1 and 3 untouched
    disc = torch.zeros(4, 6)
    disc[2:4, 4:6] = 0.5
    assert rank_pure_regions(SP, mask, pred, 3, discrepancy=disc).tolist() == [2, 0]


def test_boundaries_n_zero_n_beyond_the_regions_untouched_and_labeled_regions():
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[0, 0] = mask[0, 2] = True
    pred = torch.zeros(4, 6, dtype=torch.long)  # every region pure
    assert rank_pure_regions(SP, mask, pred, 0).tolist() == []
    assert rank_pure_regions(SP, mask, pred, -1).tolist() == []
    assert rank_pure_regions(SP, mask, pred, 99).tolist() == [0, 1]  # pure but outside the mask: never
    labeled = torch.zeros(4, 6, dtype=torch.bool)
    labeled[0, 2:4] = True  # 2 of region 1's 4 pixels: not more than half, still asked
    assert rank_pure_regions(SP, mask, pred, 9, labeled=labeled).tolist() == [0, 1]
    labeled[1, 2] = True  # 3 of 4: asked before
    assert rank_pure_regions(SP, mask, pred, 9, labeled=labeled).tolist() == [0]


def test_deterministic_and_the_same_on_every_device():
    g = torch.Generator().manual_seed(11)
    sp = grid_map(64, 96, 8)
    mask = torch.rand(64, 96, generator=g) < 0.05
    pred = torch.randint(0, 3, (64, 96), generator=g)
    disc = (torch.rand(64, 96, generator=g) * 8).round() / 8
    first = rank_pure_regions(sp, mask, pred, 20, disc, min_purity=0.4)
    assert torch.equal(first, rank_pure_regions(sp.clone(), mask.clone(), pred.clone(), 20, disc.clone(), None, 0.4))
    if torch.cuda.is_available():
        on = rank_pure_regions(sp.cuda(), mask.cuda(), pred.cuda(), 20, disc.cuda(), min_purity=0.4)
        assert on.cpu().tolist() == first.tolist()


def test_the_strategy_ranks_by_the_heads_whole_unlabeled_mask_the_main_model_and_the_floor():
    g = torch.Generator().manual_seed(2)
    sp = grid_map(16, 24, 4)
    probs = torch.rand(4, 16, 24, generator=g).softmax(0)
    heads = (torch.randn(4, 16, 24, generator=g), torch.randn(4, 16, 24, generator=g))
    labeled = torch.zeros(16, 24, dtype=torch.bool)
    labeled[0:4, 0:8] = True  # regions 0 and 1 asked before; a few pixels of region 2 too
    labeled[0, 8] = True
    disc = (heads[0].softmax(0) - heads[1].softmax(0)).abs().mean(0)
    assert Budget().region_purity == 0.9
    for floor in (0.0, 0.5, 0.9):
        budget = Budget(points=5, region_purity=floor)
        # SPL's cap (1 % of the pixels) does not decide which regions: the whole mask does
        prop = propose("regions-pure", probs, heads, labeled, budget, superpixels=sp, mask_share=0.01)
        unlabeled = prop.inconsistency & ~labeled
        want = rank_pure_regions(sp, unlabeled, probs.argmax(0), 5, disc, labeled, min_purity=floor)
        assert torch.equal(prop.region, torch.isin(sp, want))
        assert len(prop.points) == len(want) == 5 and not {0, 1} & set(want.tolist())


def test_the_floor_is_a_checked_setting_saved_with_the_config():
    cfg = merge(ExperimentConfig(), {"budget": {"region_purity": 0.75}})
    assert cfg.budget.region_purity == 0.75
    assert ExperimentConfig.from_dict(cfg.to_dict()).budget.region_purity == 0.75
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="region_purity"):
            merge(ExperimentConfig(), {"budget": {"region_purity": bad}})
