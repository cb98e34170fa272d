"""The simulated annotator reveals exactly what is proposed, and the budget is
counted as the paper does: a union of pixels across stages, points per image."""

import numpy as np
import pytest

from labor_desktop.engine.jobs.annotator import annotate, budget_used
from labor_desktop.store import ImageEntry, Project, ProjectSettings

H, W = 6, 8


def truth(i):
    """Known values: class (y + x + i) % 19, with a void column at x == 7."""
    y, x = np.mgrid[0:H, 0:W]
    gt = ((y + x + i) % 19).astype(np.uint8)
    gt[:, 7] = 255
    return gt


def make_project(tmp_path, strategy):
    settings = ProjectSettings(classes=[f"c{k}" for k in range(19)], strategy=strategy, stages=3)
    images = [ImageEntry(f"img{i}.png", H, W) for i in range(2)]
    return Project.create(tmp_path / "p.labor.h5", settings, images)


def rect(y0, y1, x0, x1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_spl_reveals_only_mask_pixels_and_counts_overlap_once(tmp_path):
    with make_project(tmp_path, "spl") as p:
        p.save_proposal(1, 0, rect(0, 2, 0, 4), np.zeros((0, 3)))  # 8 pixels
        p.save_proposal(1, 1, rect(5, 6, 5, 8), np.zeros((0, 3)))  # 3 pixels, one of them void (x=7)
        r1 = annotate(p, 1, truth)
        lab0, stage0 = p.labels(0)
        expected = np.full((H, W), 255, np.uint8)
        expected[0:2, 0:4] = truth(0)[0:2, 0:4]
        assert np.array_equal(lab0, expected)
        assert np.array_equal(stage0, np.where(expected != 255, 1, 0))
        lab1, _ = p.labels(1)
        assert (lab1 != 255).sum() == 2 and lab1[5, 7] == 255  # the void pixel stays unlabeled
        assert r1["asked_pixels"] == 11 and r1["labeled_pixels"] == 10
        assert r1["pixel_share"] == pytest.approx(11 / (2 * H * W))
        # stage 2 overlaps stage 1 on 4 pixels of image 0 (rows 1, cols 2..5 -> 2 old, 2 new)
        p.save_proposal(2, 0, rect(1, 2, 2, 6), np.zeros((0, 3)))
        p.save_proposal(2, 1, None, np.zeros((0, 3)))
        r2 = annotate(p, 2, truth)
        assert r2["asked_pixels"] == 13  # 11 + 2 new, the overlap counted once
        assert r2["labeled_this_stage"] == 2
        lab0, stage0 = p.labels(0)
        assert stage0[1, 4] == 2 and stage0[1, 3] == 1  # earlier labels keep their stage
        assert budget_used(p, 1)["asked_pixels"] == 11  # budget up to a stage ignores later ones
        again = annotate(p, 2, truth)  # idempotent (a resumed job)
        assert again["asked_pixels"] == 13 and again["labeled_this_stage"] == 0


def test_ppl_reveals_only_points_even_with_a_mask(tmp_path):
    with make_project(tmp_path, "ppl") as p:
        inconsistency = rect(0, 6, 0, 8)  # shown to the annotator as context only
        p.save_proposal(1, 0, inconsistency, np.array([[1, 1, 3], [4, 6, 0], [2, 7, 5]]))  # last one is void
        p.save_proposal(1, 1, inconsistency, np.array([[0, 0, 9]]))
        r = annotate(p, 1, truth)
        lab0, _ = p.labels(0)
        assert {(int(y), int(x)): int(lab0[y, x]) for y, x in zip(*np.nonzero(lab0 != 255))} == {
            (1, 1): truth(0)[1, 1],
            (4, 6): truth(0)[4, 6],
        }
        lab1, _ = p.labels(1)
        assert (lab1 != 255).sum() == 1 and lab1[0, 0] == truth(1)[0, 0]
        assert r["points"] == 4 and r["points_per_image"] == 2.0 and r["asked_pixels"] == 4
        assert p.effort(0).points_labeled == 2 and p.effort(0).clicks == 2  # the void point taught nothing
        p.save_proposal(2, 0, None, np.array([[5, 5, 1]]))
        p.save_proposal(2, 1, None, np.zeros((0, 3)))
        assert annotate(p, 2, truth)["points_per_image"] == 2.5
        p.save_proposal(3, 0, None, np.array([[1, 1, 3]]))  # a baseline re-selecting a labeled point
        p.save_proposal(3, 1, None, np.zeros((0, 3)))
        r = annotate(p, 3, truth)
        assert r["points_per_image"] == 2.5 and r["points_proposed"] == 6  # spent once, proposed twice


def test_supervised_and_uda_budgets(tmp_path):
    with make_project(tmp_path, "supervised") as p:
        for i in range(2):
            p.save_proposal(1, i, np.ones((H, W), bool), np.zeros((0, 3)))
        r = annotate(p, 1, truth)
        assert r["pixel_share"] == 1.0 and r["labeled_share"] == pytest.approx(7 / 8)  # x == 7 is void
    (tmp_path / "p.labor.h5").unlink()
    with make_project(tmp_path, "uda") as p:
        for i in range(2):
            p.save_proposal(1, i, None, np.zeros((0, 3)))
        r = annotate(p, 1, truth)
        assert r["pixel_share"] == 0 and r["labeled_pixels"] == 0 and p.labeled_images() == []


def test_annotator_refuses_ground_truth_of_the_wrong_size(tmp_path):
    with make_project(tmp_path, "spl") as p:
        p.save_proposal(1, 0, rect(0, 1, 0, 1), np.zeros((0, 3)))
        p.save_proposal(1, 1, None, np.zeros((0, 3)))
        with pytest.raises(ValueError, match="ground truth of image 0 .* is 4x3"):
            annotate(p, 1, lambda i: np.zeros((3, 4), np.uint8))


def test_a_partial_annotator_answers_a_seeded_share_of_the_points(tmp_path):
    """``answer_share``: the few-labels case (a person who labels a few of the proposed
    points); what is answered depends on seed, stage and image only, and the budget still
    counts what was asked while ``labeled_points`` counts what was answered."""
    from labor_desktop.core.strategies import Budget

    ys, xs = np.mgrid[0:H, 0:7]  # every non-void pixel proposed as a point
    pts = np.stack([ys.ravel(), xs.ravel(), np.zeros(ys.size, int)], 1)
    answered = {}
    for run, seed in (("a", 3), ("b", 3), ("c", 4)):
        (tmp_path / run).mkdir()
        with make_project(tmp_path / run, "ppl") as p:
            for i in range(2):
                p.save_proposal(1, i, None, pts)
            r = annotate(p, 1, truth, budget=Budget(answer_share=0.25), seed=seed)
            answered[run] = [p.labels(i)[0] != 255 for i in range(2)]
            n = sum(int(a.sum()) for a in answered[run])
            assert 0 < n < 2 * len(pts) // 2  # about a quarter of 84, certainly not all
            assert r["labeled_points"] == n and r["points"] == 2 * len(pts)
            for i in range(2):  # what is answered is the truth
                lab = p.labels(i)[0]
                assert np.array_equal(lab[answered[run][i]], truth(i)[answered[run][i]])
    assert all(np.array_equal(x, y) for x, y in zip(answered["a"], answered["b"]))  # same seed, same answers
    assert not all(np.array_equal(x, y) for x, y in zip(answered["a"], answered["c"]))
