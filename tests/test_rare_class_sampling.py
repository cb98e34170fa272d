"""Class-balanced source sampling (issue 23's lever, DAFormer's rare-class sampling): the
per-image weights against hand-computed values, the presence boundary, and the batch plan
that draws from them (deterministic under a seed, never an image of weight 0)."""

import math
from collections import Counter

import numpy as np
import pytest
import torch

from labor_desktop.data.classes import IGNORE
from labor_desktop.data.datasets import TrainSet, rare_class_weights
from labor_desktop.data.io import DataError
from labor_desktop.engine.config import load_config, merge, preset
from labor_desktop.engine.jobs.training import BatchPlan, batches
from labor_desktop.engine.projects.experiment_data import ExperimentData


def label(counts: dict[int, int], ignored: int = 0) -> np.ndarray:
    return np.array([c for c, n in counts.items() for _ in range(n)] + [IGNORE] * ignored, dtype=np.uint8)


def test_weights_match_the_two_step_draw_computed_by_hand():
    """A: 100 px of class 0; B: 50 of class 0, 50 of class 1.  f0 = 3/4, f1 = 1/4; at
    T = 0.5 / ln 3, P(c1) / P(c0) = exp((f0 - f1) / T) = 3, so P(c0) = 1/4, P(c1) = 3/4.
    Class 0 lies in both images, class 1 in B only: w_A = 1/8, w_B = 1/8 + 3/4."""
    w = rare_class_weights([label({0: 100}), label({0: 50, 1: 50})], temperature=0.5 / math.log(3))
    assert w == pytest.approx([1 / 8, 7 / 8], abs=1e-12)
    assert w.sum() == pytest.approx(1.0)


def test_ignored_pixels_count_neither_in_the_shares_nor_in_presence():
    with_void = rare_class_weights([label({0: 100}, ignored=500), label({0: 50, 1: 50}, ignored=7)], 0.5 / math.log(3))
    assert with_void == pytest.approx([1 / 8, 7 / 8], abs=1e-12)


@pytest.mark.parametrize("pixels, present", [(10, True), (9, False)])
def test_a_class_holds_an_image_from_exactly_min_share_of_its_labeled_pixels(pixels, present):
    """1000 labeled pixels and min_share 1 %: 10 pixels of class 1 make the image one of
    class 1's; 9 do not (and class 1, then in no image, is never drawn)."""
    rare = label({0: 1000 - pixels, 1: pixels}, ignored=300)
    w = rare_class_weights([label({0: 1000}), rare], temperature=1.0, min_share=0.01)
    if present:
        assert w[1] > w[0]
    else:
        assert w == pytest.approx([0.5, 0.5], abs=1e-12)


def test_an_image_that_holds_no_class_is_never_drawn_and_no_labels_at_all_is_refused():
    w = rare_class_weights([label({0: 10}), label({}, ignored=10)], temperature=0.01)
    assert list(w) == [1.0, 0.0]
    with pytest.raises(ValueError, match="no labeled pixel"):
        rare_class_weights([label({}, ignored=10)], temperature=0.01)
    with pytest.raises(ValueError, match="no images"):
        rare_class_weights([], temperature=0.01)


def test_a_low_temperature_does_not_overflow():
    w = rare_class_weights([label({0: 990, 1: 10}), label({0: 1000})], temperature=1e-4)
    assert np.isfinite(w).all() and w == pytest.approx([1.0, 0.0], abs=1e-12)


def keys(plan: BatchPlan, n: int) -> list:
    it = iter(plan)
    return [next(it) for _ in range(n)]


def test_the_weighted_plan_is_deterministic_and_draws_in_proportion():
    weights = [0.0, 1.0, 3.0, 0.0]
    a = keys(BatchPlan(4, 2, seed=7, weights=weights), 2000)
    assert a == keys(BatchPlan(4, 2, seed=7, weights=weights), 2000)
    assert a != keys(BatchPlan(4, 2, seed=8, weights=weights), 2000)
    drawn = Counter(i for batch in a for _, i in batch)
    assert set(drawn) == {1, 2}  # a weight of 0 is never drawn
    assert drawn[2] / (drawn[1] + drawn[2]) == pytest.approx(0.75, abs=0.02)
    assert [e for e, _ in a[0]] == [0, 0] and {e for e, _ in a[2]} == {1}  # 4 draws, 2 batches an epoch


def test_without_weights_the_plan_is_the_seeded_permutation_as_before():
    plan = keys(BatchPlan(5, 2, seed=3), 4)
    first = torch.randperm(5, generator=torch.Generator().manual_seed(3 * 100003)).tolist()
    second = torch.randperm(5, generator=torch.Generator().manual_seed(3 * 100003 + 1)).tolist()
    assert [i for _, i in plan[0] + plan[1]] == first[:4] and [i for _, i in plan[2] + plan[3]] == second[:4]


@pytest.mark.parametrize("weights", [[1.0, 2.0], [0.0, 0.0, 0.0]])
def test_weights_of_the_wrong_length_or_no_mass_are_refused(weights):
    with pytest.raises(ValueError, match="sampling weights"):
        BatchPlan(3, 1, seed=0, weights=weights)


def test_the_source_set_carries_the_weights_and_batches_follow_them(tiny_data):
    cfg = merge(preset("smoke"), {"data": {"source_sampling": "rare-class"}})
    data = ExperimentData.find(cfg.data, tiny_data)
    weights = data.source_weights()
    assert weights is not None and len(weights) == len(data.source) and sum(weights) == pytest.approx(1.0)
    assert data.source_weights() is weights  # read once
    assert data.source_set(0).weights is weights
    assert ExperimentData.find(preset("smoke").data, tiny_data).source_set(0).weights is None
    first = next(batches(data.source_set(0), 2, seed=4))
    again = next(batches(data.source_set(0), 2, seed=4))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    with pytest.raises(ValueError, match="2 sampling weights for 3 images"):
        TrainSet(data.source[:3], weights=[0.5, 0.5])


def test_a_source_without_labels_names_the_folder_and_the_setting(tiny_data, monkeypatch):
    cfg = merge(preset("smoke"), {"data": {"source_sampling": "rare-class"}})
    data = ExperimentData.find(cfg.data, tiny_data)
    monkeypatch.setattr(
        "labor_desktop.engine.projects.experiment_data.read_sample_label",
        lambda s: np.full((4, 4), IGNORE, np.uint8),
    )
    with pytest.raises(DataError, match=r"source.*no labeled pixel.*source_sampling = 'uniform'"):
        data.source_weights()


def test_the_sampling_settings_load_and_bad_ones_name_their_place(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('base = "demo"\n[data]\nsource_sampling = "rare-class"\nrare_class_temperature = 0.05\n')
    cfg = load_config(f)
    assert (cfg.data.source_sampling, cfg.data.rare_class_temperature) == ("rare-class", 0.05)
    assert preset("demo").data.source_sampling == "uniform"  # measured, not adopted (docs/results.md)
    f.write_text('base = "demo"\n[data]\nsource_sampling = "often"\n')
    with pytest.raises(ValueError, match=r"\[data\] source_sampling = 'often'"):
        load_config(f)
    f.write_text('base = "demo"\n[data]\nrare_class_temperature = 0.0\n')
    with pytest.raises(ValueError, match=r"rare_class_temperature"):
        load_config(f)
