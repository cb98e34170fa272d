import bruteforce as bf
import numpy as np
import pytest
import torch

from labor_desktop.core.selection import (
    entropy_score,
    inconsistency_mask,
    mask_to_points,
    ppl_points,
    sconf_score,
    top_n,
    top_share,
)

SIZES = [(3, 5, 7), (5, 16, 24), (19, 33, 17), (19, 8, 64)]


def random_probs(k, h, w, seed, quantize=None):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(k, h, w, generator=g, dtype=torch.float64) * 2
    if quantize:  # few distinct values: many exact ties
        logits = (logits * quantize).round() / quantize
    return logits.softmax(0)


@pytest.mark.parametrize("k,h,w", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_inconsistency_mask_matches_loops(k, h, w, seed):
    a, b = random_probs(k, h, w, seed), random_probs(k, h, w, seed + 100)
    ref = bf.inconsistency_mask(a.numpy(), b.numpy())
    assert np.array_equal(inconsistency_mask(a, b).numpy(), ref)
    # logits give the same mask as probabilities, and batches work
    assert np.array_equal(inconsistency_mask(a.log(), b.log()).numpy(), ref)
    batched = inconsistency_mask(torch.stack([a, b]), torch.stack([b, a]))
    assert batched.shape == (2, h, w) and np.array_equal(batched[1].numpy(), ref)


def test_inconsistency_mask_identical_heads_is_empty():
    a = random_probs(19, 10, 12, 3)
    assert not inconsistency_mask(a, a.clone()).any()
    with pytest.raises(ValueError, match="differ in shape"):
        inconsistency_mask(a, a[:, :5])


@pytest.mark.parametrize("k,h,w", SIZES)
@pytest.mark.parametrize("density", [0.03, 0.3, 1.0])
@pytest.mark.parametrize("pick", ["nearest", "farthest", "sconf", "ent"])
def test_ppl_points_match_brute_force(k, h, w, density, pick):
    probs = random_probs(k, h, w, seed=k * h + w)
    g = torch.Generator().manual_seed(h * w)
    mask = torch.rand(h, w, generator=g) < density
    got = ppl_points(probs, mask, pick)
    ref = bf.ppl_points(probs.numpy(), mask.numpy(), pick)
    assert got.dtype == torch.long and got.shape[1] == 3
    assert np.array_equal(got.numpy(), ref)
    # at most one point per class, sorted by class, all inside the mask, class = model's argmax there
    assert len(set(got[:, 2].tolist())) == len(got) <= k
    assert got[:, 2].tolist() == sorted(got[:, 2].tolist())
    for y, x, c in got.tolist():
        assert mask[y, x] and probs[:, y, x].argmax() == c


@pytest.mark.parametrize("pick", ["nearest", "farthest", "sconf", "ent"])
def test_ppl_points_ties_go_to_first_pixel_in_raster_order(pick):
    probs = random_probs(4, 9, 11, seed=5, quantize=1)  # many identical probability vectors
    mask = torch.ones(9, 11, dtype=torch.bool)
    got = ppl_points(probs, mask, pick)
    assert np.array_equal(got.numpy(), bf.ppl_points(probs.numpy(), mask.numpy(), pick))
    # every pixel identical: each class's first pixel in raster order wins
    flat = torch.zeros(4, 3, 5, dtype=torch.float64)
    flat[2] = 1.0
    assert ppl_points(flat, torch.ones(3, 5, dtype=torch.bool), pick).tolist() == [[0, 0, 2]]


def test_ppl_points_empty_mask_and_absent_classes():
    probs = random_probs(19, 12, 14, seed=2)
    empty = ppl_points(probs, torch.zeros(12, 14, dtype=torch.bool))
    assert empty.shape == (0, 3) and empty.dtype == torch.long
    one = torch.zeros(12, 14, dtype=torch.bool)
    one[4, 7] = True
    assert ppl_points(probs, one).tolist() == [[4, 7, int(probs[:, 4, 7].argmax())]]


def test_ppl_points_float32_input_matches_float64_reference():
    probs = random_probs(19, 20, 30, seed=9)
    mask = torch.rand(20, 30, generator=torch.Generator().manual_seed(1)) < 0.2
    got = ppl_points(probs.float(), mask)
    ref = bf.ppl_points(probs.float().double().numpy(), mask.numpy())
    assert np.array_equal(got.numpy(), ref)


def test_ppl_points_batched_equals_per_image():
    probs = torch.stack([random_probs(5, 10, 13, seed=s) for s in range(3)])
    g = torch.Generator().manual_seed(4)
    mask = torch.rand(3, 10, 13, generator=g) < 0.4
    mask[1] = False
    got = ppl_points(probs, mask)
    expected = [
        torch.cat([torch.full((len(p), 1), b), p], 1) for b in range(3) for p in [ppl_points(probs[b], mask[b])]
    ]
    assert torch.equal(got, torch.cat(expected))


@pytest.mark.parametrize("k,h,w", SIZES)
def test_uncertainty_scores_match_definitions(k, h, w):
    probs = random_probs(k, h, w, seed=7)
    p = probs.numpy()
    sconf = np.array([[1 - p[:, y, x].max() for x in range(w)] for y in range(h)])
    ent = np.array([[bf.entropy(p[:, y, x]) for x in range(w)] for y in range(h)])
    np.testing.assert_allclose(sconf_score(probs).numpy(), sconf, rtol=0, atol=1e-12)
    np.testing.assert_allclose(entropy_score(probs).numpy(), ent, rtol=0, atol=1e-12)
    # 0 log 0 = 0: a one-hot pixel has zero entropy, not NaN
    onehot = torch.zeros(k, 2, 2)
    onehot[0] = 1
    assert torch.equal(entropy_score(onehot), torch.zeros(2, 2))


@pytest.mark.parametrize("n", [0, 1, 7, 40, 1000])
@pytest.mark.parametrize("with_exclude", [False, True])
def test_top_n_matches_sorted_reference_including_ties(n, with_exclude):
    g = torch.Generator().manual_seed(n)
    score = torch.randint(0, 5, (13, 17), generator=g).double()  # heavy ties
    exclude = (torch.rand(13, 17, generator=g) < 0.3) if with_exclude else None
    got = top_n(score, n, exclude)
    ref = bf.top_n(score.numpy(), n, None if exclude is None else exclude.numpy())
    assert np.array_equal(got.numpy(), ref)


def test_top_share_counts_pixels_of_the_whole_image():
    score = torch.rand(40, 50, generator=torch.Generator().manual_seed(0))
    assert int(top_share(score, 0.01).sum()) == 20
    exclude = torch.zeros(40, 50, dtype=torch.bool)
    exclude[:20] = True
    chosen = top_share(score, 0.01, exclude)
    assert int(chosen.sum()) == 20 and not (chosen & exclude).any()


def test_mask_to_points_uses_model_class():
    probs = random_probs(6, 5, 5, seed=1)
    mask = torch.zeros(5, 5, dtype=torch.bool)
    mask[1, 2] = mask[3, 0] = True
    assert mask_to_points(mask, probs).tolist() == [
        [1, 2, int(probs[:, 1, 2].argmax())],
        [3, 0, int(probs[:, 3, 0].argmax())],
    ]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    probs = random_probs(19, 64, 96, seed=3)
    mask = torch.rand(64, 96, generator=torch.Generator().manual_seed(0)) < 0.1
    assert torch.equal(ppl_points(probs.cuda(), mask.cuda()).cpu(), ppl_points(probs, mask))
    assert torch.equal(
        inconsistency_mask(probs.cuda(), probs.flip(0).cuda()).cpu(), inconsistency_mask(probs, probs.flip(0))
    )


def test_entropy_keeps_float32_as_float32():
    probs = random_probs(5, 4, 6, seed=0)
    assert entropy_score(probs.float()).dtype == torch.float32 and entropy_score(probs).dtype == torch.float64


def test_ppl_points_refuses_mismatched_inputs_and_unknown_picks():
    probs = random_probs(5, 4, 6, seed=0)
    with pytest.raises(
        ValueError, match=r"probs \[B,K,H,W\] and mask \[B,H,W\] expected, got \(1, 5, 4, 6\) and \(1, 6, 4\)"
    ):
        ppl_points(probs, torch.ones(6, 4, dtype=torch.bool))  # a 3-d probs with a transposed mask
    with pytest.raises(ValueError, match=r"got \(1, 4, 6\) and \(1, 4, 6\)"):
        ppl_points(probs[0], torch.ones(4, 6, dtype=torch.bool))  # a 2-d probs: the mask fits, probs does not
    with pytest.raises(ValueError, match="unknown pick 'median'"):
        ppl_points(probs, torch.ones(4, 6, dtype=torch.bool), "median")


@pytest.mark.parametrize("b", [1, 2])
def test_ppl_points_batched_of_one_or_two_and_empty(b):
    probs = torch.stack([random_probs(5, 6, 7, seed=s) for s in range(b)])
    mask = torch.rand(b, 6, 7, generator=torch.Generator().manual_seed(b)) < 0.5
    got = ppl_points(probs, mask)
    expected = [
        torch.cat([torch.full((len(p), 1), i), p], 1) for i in range(b) for p in [ppl_points(probs[i], mask[i])]
    ]
    assert torch.equal(got, torch.cat(expected))
    empty = ppl_points(probs, torch.zeros_like(mask))
    assert empty.shape == (0, 4) and empty.dtype == torch.long


def test_top_n_takes_integer_and_float32_scores():
    score = torch.randint(0, 5, (13, 17), generator=torch.Generator().manual_seed(3))
    exclude = score == 4
    for s in (score, score.float()):
        assert np.array_equal(top_n(s, 30, exclude).numpy(), bf.top_n(score.numpy(), 30, exclude.numpy()))


def test_random_score_without_a_generator():
    from labor_desktop.core.selection import random_score

    s = random_score((4, 5))
    assert s.shape == (4, 5) and s.device.type == "cpu" and bool(((s >= 0) & (s < 1)).all())
