"""The cold start's stage-1 selection: greedy k-centre against an exact brute-force
reference (fractions, plain loops), with exact ties and the boundaries of k; the cells a
feature map is cut into and the pixel at each cell's centre."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from labor_desktop.core.coverage import cell_centres, cell_features, k_centre


def brute_k_centre(rows: list[list[int]], k: int) -> list[int]:
    n = len(rows)
    mean = [Fraction(sum(col), n) for col in zip(*rows)]

    def dist(a, b):
        return sum((Fraction(x) - y) ** 2 for x, y in zip(a, b))

    nearest = [dist(r, mean) for r in rows]
    chosen: list[int] = []
    for _ in range(min(k, n)):
        best = None
        for i in range(n):
            if i not in chosen and (best is None or nearest[i] > nearest[best]):
                best = i
        assert best is not None
        chosen.append(best)
        away = [dist(rows[i], rows[best]) for i in range(n)]  # the mean chose the first only
        nearest = away if len(chosen) == 1 else [min(nearest[i], away[i]) for i in range(n)]
    return chosen


def pick(rows, k):
    return k_centre(torch.tensor(rows, dtype=torch.float32), k).tolist()


@pytest.mark.parametrize("seed", range(12))
def test_k_centre_equals_the_brute_force_reference_on_integer_features_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    n = [8, 16][seed % 2]  # a power of two: the mean is exact in binary, so ties stay ties
    rows = rng.integers(0, 3, (n, 3)).tolist()  # values 0..2: many equal distances and duplicates
    for k in (0, 1, 2, n // 2, n - 1, n, n + 3):
        assert pick(rows, k) == brute_k_centre(rows, k)


def test_equally_far_candidates_go_to_the_lowest_index():
    square = [[0, 0], [2, 0], [0, 2], [2, 2]]  # all four equally far from the mean (1, 1)
    assert pick(square, 4) == [0, 3, 1, 2]  # then 3 (8 away); 1 and 2 tie at 4: 1 first
    assert brute_k_centre(square, 4) == [0, 3, 1, 2]


def test_duplicates_are_taken_in_order_once_everything_is_covered():
    assert pick([[5, 5]] * 3, 3) == [0, 1, 2]
    assert pick([[0], [0], [4]], 3) == [2, 0, 1]  # 4 is farthest from the mean 4/3; then the zeros in order


def test_k_at_its_bounds():
    rows = [[0], [1], [3]]
    assert pick(rows, 0) == [] and pick(rows, -2) == []
    assert sorted(pick(rows, 3)) == [0, 1, 2] and pick(rows, 4) == pick(rows, 3)
    assert k_centre(torch.zeros(0, 4), 5).tolist() == []
    with pytest.raises(ValueError, match=r"features must be \[N, D\], not \(3,\)"):
        k_centre(torch.zeros(3), 1)


def test_cell_centres_are_the_floor_of_each_cells_middle():
    got = cell_centres((2, 3), (5, 7)).tolist()
    want = [
        [int(Fraction(2 * r + 1, 2) * 5 / 2), int(Fraction(2 * c + 1, 2) * 7 / 3)] for r in range(2) for c in range(3)
    ]
    assert got == want == [[1, 1], [1, 3], [1, 5], [3, 1], [3, 3], [3, 5]]
    assert cell_centres((2, 2), (4, 4)).tolist() == [[1, 1], [1, 3], [3, 1], [3, 3]]  # exactly at .0: 0.5 * 2 = 1
    assert cell_centres((3, 3), (3, 3)).tolist() == [[y, x] for y in range(3) for x in range(3)]
    assert cell_centres((1, 1), (1, 1)).tolist() == [[0, 0]]


def test_cell_features_average_only_above_the_cap_and_are_unit_length():
    feat = torch.arange(2 * 4 * 6, dtype=torch.float32).reshape(2, 4, 6) + 1
    kept = cell_features(feat, 24)  # exactly at the cap: not averaged
    assert kept.shape == (2, 4, 6)
    assert torch.allclose(kept, feat / feat.norm(dim=0, keepdim=True))
    pooled = cell_features(feat, 23)  # one under: averaged to floor(4 * s) x floor(6 * s)
    scale = (23 / 24) ** 0.5
    assert pooled.shape == (2, int(4 * scale), int(6 * scale)) == (2, 3, 5)
    assert torch.allclose(pooled.norm(dim=0), torch.ones(3, 5))
