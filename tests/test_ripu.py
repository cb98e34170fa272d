import bruteforce as bf
import numpy as np
import pytest
import torch

from labor_desktop.core import ripu


def random_probs(k, h, w, seed, sharp=2.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(k, h, w, generator=g, dtype=torch.float64) * sharp).softmax(0)


@pytest.mark.parametrize("r", [0, 1, 3, 40])
def test_box_sum_matches_explicit_windows(r):
    x = torch.rand(2, 9, 14, generator=torch.Generator().manual_seed(r), dtype=torch.float64)
    got = ripu.box_sum(x, r)
    for c in range(2):
        for y in range(9):
            for xx in range(14):
                ref = sum(float(x[c, a, b]) for a, b in bf.window(9, 14, y, xx, r))
                assert abs(float(got[c, y, xx]) - ref) < 1e-9


@pytest.mark.parametrize("k,h,w", [(3, 6, 8), (19, 12, 15), (5, 20, 9)])
def test_region_scores_match_definition(k, h, w):
    probs = random_probs(k, h, w, seed=h)
    np.testing.assert_allclose(
        ripu.region_scores(probs, 1).numpy(), bf.ripu_region_scores(probs.numpy(), 1), atol=1e-10
    )


@pytest.mark.parametrize("r", [2, 4])
def test_pixel_scores_match_definition(r):
    probs = random_probs(7, 11, 13, seed=r)
    np.testing.assert_allclose(ripu.pixel_scores(probs, r).numpy(), bf.ripu_pixel_scores(probs.numpy(), r), atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 5, 30, 500])
def test_greedy_equals_repeated_argmax(seed, n):
    g = torch.Generator().manual_seed(seed)
    score = torch.randint(0, 6, (15, 19), generator=g).double()  # heavy ties
    exclude = torch.rand(15, 19, generator=g) < 0.2
    assert ripu.greedy_nms(score, n, 2, exclude) == bf.greedy(score.numpy(), n, 2, exclude.numpy())


def test_ripu_regions_are_disjoint_windows_outside_labeled_pixels():
    probs = random_probs(19, 24, 30, seed=1, sharp=1.0)
    labeled = torch.zeros(24, 30, dtype=torch.bool)
    labeled[:, :10] = True
    n = ripu.regions_for_share(24, 30, 0.1)
    assert n == 8  # ceil(720 * 0.1 / 9)
    region = ripu.ripu_regions(probs, n, k=1, exclude=labeled)
    picks = bf.greedy(bf.ripu_region_scores(probs.numpy(), 1), n, 2, labeled.numpy())
    expected = np.zeros((24, 30), dtype=bool)
    for y, x in picks:
        expected[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2] = True
    assert np.array_equal(region.numpy(), expected)
    assert len(picks) == n


def test_ripu_points_match_brute_force():
    probs = random_probs(5, 14, 16, seed=3, sharp=1.0)
    got = ripu.ripu_points(probs, 4, k=3)
    picks = bf.greedy(bf.ripu_pixel_scores(probs.numpy(), 3), 4, 3)
    assert got[:, :2].tolist() == [list(p) for p in picks]
    assert got[:, 2].tolist() == [int(probs[:, y, x].argmax()) for y, x in picks]
    assert ripu.ripu_points(probs, 0).shape == (0, 3)
