import pytest
import torch

from labor_desktop.core.selection import inconsistency_mask, ppl_points
from labor_desktop.core.strategies import STRATEGIES, Budget, get_strategy, propose

NAMES = ["spl", "ppl", "ppl-worst", "ppl-sconf", "ppl-ent", "rand", "sconf", "ent", "ripu", "supervised", "uda"]


def inputs(seed=0, k=19, h=32, w=48):
    g = torch.Generator().manual_seed(seed)
    probs = torch.randn(k, h, w, generator=g).softmax(0)
    heads = (torch.randn(k, h, w, generator=g), torch.randn(k, h, w, generator=g))
    return probs, heads, g


def test_every_paper_strategy_is_registered():
    assert set(NAMES) <= set(STRATEGIES)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_each_strategy_returns_a_well_formed_proposal(name):
    probs, heads, g = inputs()
    prop = propose(name, probs, heads=heads, budget=Budget(), generator=g)
    assert prop.points.dtype == torch.long and prop.points.shape[1] == 3
    if prop.region is not None:
        assert prop.region.dtype == torch.bool and prop.region.shape == (32, 48)
    strat = get_strategy(name)
    if strat.unit == "none":
        assert prop.region is None and len(prop.points) == 0
    if strat.unit == "all":
        assert bool(prop.region.all())


def test_spl_and_ppl_follow_the_mask():
    probs, heads, _ = inputs(1)
    mask = inconsistency_mask(*heads)
    assert torch.equal(propose("spl", probs, heads).region, mask)
    assert torch.equal(propose("ppl", probs, heads).points, ppl_points(probs, mask))
    assert torch.equal(propose("ppl-worst", probs, heads).points, ppl_points(probs, mask, "farthest"))
    labeled = torch.zeros_like(mask)
    labeled[:16] = True
    pts = propose("ppl", probs, heads, labeled=labeled).points
    assert (pts[:, 0] >= 16).all()


@pytest.mark.parametrize("name", ["rand", "sconf", "ent"])
def test_baselines_respect_budget_and_labeled_pixels(name):
    probs, heads, g = inputs(2)
    labeled = torch.zeros(32, 48, dtype=torch.bool)
    labeled[:, :8] = True
    excl = Budget(pixel_share=0.05, exclude_labeled=True)
    region = propose(name, probs, labeled=labeled, budget=excl, generator=g).region
    assert int(region.sum()) == round(0.05 * 32 * 48) and not (region & labeled).any()
    excl = Budget(points=15, baseline_unit="points", exclude_labeled=True)
    pts = propose(name, probs, labeled=labeled, budget=excl, generator=g).points
    assert len(pts) == 15 and not labeled[pts[:, 0], pts[:, 1]].any()


def test_rand_is_seeded():
    probs, _, _ = inputs(3)
    a = propose("rand", probs, generator=torch.Generator().manual_seed(5)).region
    b = propose("rand", probs, generator=torch.Generator().manual_seed(5)).region
    c = propose("rand", probs, generator=torch.Generator().manual_seed(6)).region
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_errors_name_the_choices():
    probs, _, _ = inputs()
    with pytest.raises(ValueError, match="unknown strategy 'labor'.*spl, ppl"):
        propose("labor", probs)
    with pytest.raises(ValueError, match="needs the pixel selector"):
        propose("ppl", probs)
