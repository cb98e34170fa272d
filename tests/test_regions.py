"""Superpixel regions: the map (core.superpixels), the ranking of the ``regions``
strategies against a brute-force reference, RAND-regions, and the one-class-per-region
answer with its label noise (core.regions), at the exact boundaries."""

import bruteforce
import numpy as np
import pytest
import torch

from labor_desktop.core.regions import (
    labeled_regions,
    majority_labels,
    noise_counts,
    random_regions,
    rank_regions,
    region_points,
)
from labor_desktop.core.strategies import Budget, propose
from labor_desktop.core.superpixels import superpixels

# 4 regions of a 4x6 map:   0 0 1 1 2 2 / 0 0 1 1 2 2 / 3 3 3 3 2 2 / 3 3 3 3 2 2
SP = torch.tensor([[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 3, 3, 2, 2], [3, 3, 3, 3, 2, 2]])


def grid_map(h, w, side):
    ys, xs = torch.meshgrid(torch.arange(h) // side, torch.arange(w) // side, indexing="ij")
    return ys * (-(-w // side)) + xs


def test_superpixels_are_deterministic_dense_and_about_the_asked_size():
    rng = np.random.default_rng(0)
    image = np.repeat(np.repeat(rng.integers(0, 255, (8, 16, 3), dtype=np.uint8), 32, 0), 32, 1)  # 256x512
    sp = superpixels(image, 32)
    assert sp.dtype == np.int32 and sp.shape == (256, 512)
    assert np.array_equal(sp, superpixels(image.copy(), 32))
    counts = np.bincount(sp.ravel())
    assert (counts > 0).all()  # ids 0..n-1, none missing
    assert 64 <= len(counts) <= 256  # 128 regions of 32x32 asked for
    assert len(np.bincount(superpixels(image, 64).ravel())) < len(counts)


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (15, 40), (40, 15), (16, 40)])
def test_an_image_under_two_regions_wide_is_a_grid(shape):
    image = np.random.default_rng(1).integers(0, 255, (*shape, 3), dtype=np.uint8)
    sp = superpixels(image, 8)  # 8-pixel regions, SLICO at full size: it needs 16 pixels
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    grid = (ys // 8) * -(-shape[1] // 8) + xs // 8
    assert np.array_equal(sp, grid) == (min(shape) < 16)


def test_superpixels_refuse_what_is_not_an_rgb_image_or_a_size():
    with pytest.raises(ValueError, match="RGB uint8"):
        superpixels(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="at least 1 pixel"):
        superpixels(np.zeros((4, 4, 3), np.uint8), 0)


def test_ranking_matches_the_brute_force_reference():
    g = torch.Generator().manual_seed(3)
    for trial in range(30):
        h, w, side = 12, 18, 1 + trial % 5
        sp = grid_map(h, w, side)
        mask = torch.rand(h, w, generator=g) < 0.3
        disc = (torch.rand(h, w, generator=g) * 4).round() / 4  # coarse: many ties
        labeled = torch.rand(h, w, generator=g) < 0.2 if trial % 2 else None
        n = trial % 7
        got = rank_regions(sp, mask, n, discrepancy=disc if trial % 3 else None, labeled=labeled)
        want = bruteforce.rank_regions(sp, mask, n, disc if trial % 3 else None, labeled)
        assert got.tolist() == want


def test_ranking_boundaries_n_zero_n_beyond_the_regions_and_ties():
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[0, 0] = mask[0, 2] = True  # regions 0 and 1: 1/4 each (a tie); region 3: 0/8
    mask[2:4, 4:6] = True  # region 2: 4/8 = 1/2
    assert rank_regions(SP, mask, 0).tolist() == []
    assert rank_regions(SP, mask, 1).tolist() == [2]
    assert rank_regions(SP, mask, 3).tolist() == [2, 0, 1]  # the tie: smaller id first
    assert rank_regions(SP, mask, 99).tolist() == [2, 0, 1]  # region 3 is outside the mask
    disc = torch.zeros(4, 6)
    disc[1, 3] = 0.5  # region 1's mean discrepancy is higher: it wins the tie
    assert rank_regions(SP, mask, 3, discrepancy=disc).tolist() == [2, 1, 0]


def test_a_region_more_than_half_asked_before_is_never_asked_again():
    labeled = torch.zeros(4, 6, dtype=torch.bool)
    labeled[0, 0:2] = True  # region 0: exactly half (2 of 4): still asked
    labeled[2:4, 4:6] = True  # region 2: 4 of 8, half
    labeled[0, 4] = True  # region 2: 5 of 8, more than half: done
    assert labeled_regions(SP, labeled).tolist() == [False, False, True, False]
    mask = torch.ones(4, 6, dtype=torch.bool)
    assert rank_regions(SP, mask, 9, labeled=labeled).tolist() == [0, 1, 3]
    assert set(random_regions(SP, 9, torch.Generator().manual_seed(0), labeled).tolist()) == {0, 1, 3}


def test_random_regions_are_distinct_seeded_and_cut_at_n():
    sp = grid_map(10, 10, 2)  # 25 regions
    a = random_regions(sp, 7, torch.Generator().manual_seed(5))
    assert len(a) == 7 and len(set(a.tolist())) == 7
    assert torch.equal(a, random_regions(sp, 7, torch.Generator().manual_seed(5)))
    assert not torch.equal(a, random_regions(sp, 7, torch.Generator().manual_seed(6)))
    assert len(random_regions(sp, 0, torch.Generator())) == 0
    assert sorted(random_regions(sp, 25, torch.Generator()).tolist()) == list(range(25))
    assert sorted(random_regions(sp, 26, torch.Generator()).tolist()) == list(range(25))


def test_a_region_point_is_its_pixel_nearest_the_centroid_with_the_models_majority_class():
    probs = torch.zeros(3, 4, 6)
    probs[1] = 1.0  # class 1 everywhere ...
    probs[2, 2:4, 0:3] = 2.0  # ... but class 2 on 6 of region 3's 8 pixels
    pts = region_points(SP, torch.tensor([0, 3, 2]), probs)
    # region 0: centroid (0.5, 0.5), four pixels at the same distance: the first in raster order
    # region 3: centroid (2.5, 1.5): (2, 1) first; region 2: centroid (1.5, 4.5): (1, 4)
    assert pts.tolist() == [[0, 0, 1], [2, 1, 2], [1, 4, 1]]


def test_majority_labels_and_noise_rate_of_a_hand_computed_example():
    sp = SP.numpy()
    truth = np.array(
        [
            [5, 5, 7, 7, 1, 1],
            [5, 6, 8, 7, 1, 255],
            [3, 3, 3, 4, 1, 2],
            [3, 255, 4, 4, 2, 2],
        ],
        np.uint8,
    )
    # region 0: 5,5,5,6 -> 5 (1 wrong); region 1: 7,7,8,7 -> 7 (1 wrong);
    # region 2: 1,1,1,255,1,2,2,2 -> 1 (void not voting, not labelled; 3 wrong of 7);
    # region 3: 3,3,3,4,3,255,4,4 -> 3 (3 wrong of 7)
    labels = majority_labels(sp, np.array([0, 2]), truth)
    want = np.full((4, 6), 255, np.uint8)
    want[0:2, 0:2] = 5
    want[0:4, 4:6] = 1
    want[1, 5] = 255
    assert np.array_equal(labels, want)
    assert noise_counts(labels, truth, np.ones((4, 6), bool)) == (11, 4)
    assert noise_counts(labels, truth, sp == 2) == (7, 3)
    tie = np.array([[1, 2], [2, 1]], np.uint8)  # two votes each: the smaller class
    assert (majority_labels(np.zeros((2, 2), np.int32), np.array([0]), tie) == 1).all()
    void = np.full((2, 2), 255, np.uint8)  # nothing to vote: nothing labelled
    assert (majority_labels(np.zeros((2, 2), np.int32), np.array([0]), void) == 255).all()


@pytest.mark.parametrize("name", ["regions", "rand-regions"])
def test_region_strategies_ask_n_whole_regions_with_a_point_each(name):
    g = torch.Generator().manual_seed(0)
    probs = torch.randn(5, 12, 18, generator=g).softmax(0)
    heads = (torch.randn(5, 12, 18, generator=g), torch.randn(5, 12, 18, generator=g))
    sp = grid_map(12, 18, 3)  # 24 regions
    prop = propose(name, probs, heads, budget=Budget(points=4), generator=g, superpixels=sp)
    ids = sp[prop.points[:, 0], prop.points[:, 1]]
    assert len(prop.points) == 4 and len(set(ids.tolist())) == 4
    assert torch.equal(prop.region, torch.isin(sp, ids))
    if name == "regions":
        mask = heads[0].argmax(0) != heads[1].argmax(0)
        disc = (heads[0].softmax(0) - heads[1].softmax(0)).abs().mean(0)
        assert ids.tolist() == bruteforce.rank_regions(sp, mask, 4, disc)
    with pytest.raises(ValueError, match="superpixels"):
        propose(name, probs, heads, budget=Budget(points=4), generator=g)


def test_the_annotator_labels_each_asked_region_with_its_majority_and_records_the_noise(tmp_path, monkeypatch):
    from labor_desktop.engine.jobs import annotator
    from labor_desktop.store import ImageEntry, Project, ProjectSettings

    truth0 = np.array([[5, 5, 7, 7, 1, 1], [5, 6, 8, 7, 1, 255], [3, 3, 3, 4, 1, 2], [3, 255, 4, 4, 2, 2]], np.uint8)
    monkeypatch.setattr(annotator, "image_superpixels", lambda path, size, shape: SP.numpy().astype(np.int32))
    settings = ProjectSettings(classes=[f"c{k}" for k in range(19)], strategy="regions", stages=2)
    with Project.create(tmp_path / "p.labor.h5", settings, [ImageEntry(f"i{i}.png", 4, 6) for i in range(2)]) as p:
        labels, stages = p.labels(0)
        labels[0, 1] = 9  # labelled before (by a person): kept
        p.save_labels(0, labels, stages)
        p.save_proposal(1, 0, torch.isin(SP, torch.tensor([0, 2])).numpy(), np.array([[0, 0, 5], [1, 4, 1]]))
        p.save_proposal(1, 1, None, np.zeros((0, 3), np.int32))
        got = annotator.annotate(p, 1, lambda i: truth0 if i == 0 else np.zeros((4, 6), np.uint8))
        lab, stage = p.labels(0)
        want = np.full((4, 6), 255, np.uint8)
        want[0:2, 0:2] = 5
        want[0, 1] = 9
        want[0:4, 4:6] = 1
        want[1, 5] = 255  # void truth: looked at, not labelled
        assert np.array_equal(lab, want)
        assert np.array_equal(stage == 1, (want != 255) & ~((np.arange(24).reshape(4, 6)) == 1))
        # region 0: 3 new pixels, (1, 1) wrong; region 2: 7 pixels, 3 wrong
        assert (got["region_pixels_labeled"], got["region_pixels_wrong"]) == (10, 4)
        assert got["noise_rate"] == 0.4 and got["clicks_this_stage"] == 2
        assert got["unit"] == "regions" and got["points"] == 2 and got["points_per_image"] == 1.0
        assert got["asked_pixels"] == 12 and got["pixel_share"] == 12 / 48
        assert p.effort(0).clicks == 2 and p.effort(1).clicks == 0
        again = annotator.annotate(p, 1, lambda i: truth0 if i == 0 else np.zeros((4, 6), np.uint8))
        assert again["region_pixels_labeled"] == 0 and again["noise_rate"] == 0.0  # nothing new
        assert p.effort(0).clicks == 2


@pytest.mark.parametrize("size, ok", [(1, False), (2, True), (1024, True), (1025, False)])
def test_the_region_size_setting_is_checked(size, ok):
    from labor_desktop.engine.config import ExperimentConfig, load_config

    d = load_config(None, "smoke").to_dict()
    d["budget"]["region_size"] = size
    if ok:
        assert ExperimentConfig.from_dict(d).budget.region_size == size
    else:
        with pytest.raises(ValueError, match=r"\[budget\] region_size = \d+: must be an integer in 2..1024"):
            ExperimentConfig.from_dict(d)


def test_the_window_gets_the_strategies_superpixels_through_the_workflow(tmp_path):
    import cv2

    from labor_desktop.engine.workflow import ProjectWorkflow
    from labor_desktop.store import ImageEntry, Project, ProjectSettings

    image = np.random.default_rng(2).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), image[:, :, ::-1])
    settings = ProjectSettings(
        classes=["a", "b"], strategy="regions", stages=1, extra={"experiment": {"budget": {"region_size": 16}}}
    )
    with Project.create(tmp_path / "p.labor.h5", settings, [ImageEntry(str(tmp_path / "a.png"), 64, 96)]) as p:
        assert np.array_equal(ProjectWorkflow(p).superpixels(0), superpixels(image, 16))
        assert np.array_equal(ProjectWorkflow(p).superpixels(0, region_size=8), superpixels(image, 8))  # a stage's own


def test_region_top_classes_are_the_mean_probabilities_over_the_region_best_first():
    from labor_desktop.labeling import region_top_classes

    probs = np.zeros((3, 2, 2), np.float32)
    probs[:, 0, 0] = [0.25, 0.5, 0.25]
    probs[:, 0, 1] = [0.75, 0.0, 0.25]
    probs[:, 1, :] = [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]  # outside the region: never read
    ys, xs = np.array([0, 0]), np.array([0, 1])
    assert region_top_classes(probs, ys, xs, 3) == [(0, 0.5), (1, 0.25), (2, 0.25)]  # the tie: smaller class
    assert region_top_classes(probs, ys, xs, 1) == [(0, 0.5)]
    assert region_top_classes(probs, ys, xs, 0) == []
    assert region_top_classes(probs, ys[:0], xs[:0], 3) == []  # an empty region
