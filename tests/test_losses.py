import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from labor_desktop.core.losses import (
    ClassThresholds,
    OutputDiscriminator,
    adversarial_loss,
    cross_entropy,
    discrepancy,
    discriminator_loss,
    entropy_loss,
    pseudo_labels,
    self_training_loss,
)


def test_cross_entropy_ignores_255_hand_computed():
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])  # B=1, K=2, H=1, W=2
    target = torch.tensor([[[0, 255]]])
    expected = -math.log(math.exp(2) / (math.exp(2) + 1))
    assert float(cross_entropy(logits, target)) == pytest.approx(expected)


def test_cross_entropy_without_labels_is_zero_with_finite_gradient():
    logits = torch.randn(1, 19, 4, 4, requires_grad=True)
    loss = cross_entropy(logits, torch.full((1, 4, 4), 255))
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(logits.grad).all() and float(logits.grad.abs().sum()) == 0.0


def test_pseudo_labels_fixed_threshold():
    probs = torch.tensor([[0.95, 0.6], [0.05, 0.4]]).view(1, 2, 1, 2)
    assert pseudo_labels(probs, 0.9).tolist() == [[[0, 255]]]
    assert pseudo_labels(probs, 0.5).tolist() == [[[0, 0]]]
    assert pseudo_labels(probs, 0.6).tolist() == [[[0, 0]]]  # a confidence equal to the threshold is kept
    exact = torch.tensor([[0.95, 0.6], [0.05, 0.4]], dtype=torch.float64).view(1, 2, 1, 2)
    assert pseudo_labels(exact, 0.95).tolist() == [[[0, 255]]]


def test_class_thresholds_follow_iast_update():
    th = ClassThresholds(3, alpha=0.2, gamma=8, beta=0.9, init=0.9)
    conf = torch.tensor([0.99, 0.95, 0.7, 0.6, 0.98])
    pred = torch.tensor([0, 0, 0, 1, 1])
    th.update(conf, pred)
    for c, values in [(0, [0.99, 0.95, 0.7]), (1, [0.6, 0.98])]:
        q = 100 * (1 - 0.2 * 0.9**8)
        cand = np.percentile(np.array(values + [0.9]), q)
        assert float(th.theta[c]) == pytest.approx(min(0.9 * 0.9 + 0.1 * cand, 0.999))
    assert float(th.theta[2]) == pytest.approx(0.9)  # class not predicted: unchanged
    probs = torch.tensor([[0.95, 0.2], [0.05, 0.8]]).view(1, 2, 1, 2)
    labels = pseudo_labels(probs, ClassThresholds(2, init=0.85), update=False)
    assert labels.tolist() == [[[0, 255]]]


def test_discrepancy_hand_computed_and_zero_for_equal_heads():
    a = torch.tensor([0.0, 0.0]).view(1, 2, 1, 1)
    b = torch.tensor([math.log(3.0), 0.0]).view(1, 2, 1, 1)  # softmax (0.75, 0.25)
    assert float(discrepancy(a, b)) == pytest.approx(0.25)
    x = torch.randn(2, 5, 3, 3, requires_grad=True)
    d = discrepancy(x, x.detach().clone())
    d.backward()
    assert d.item() == 0.0 and float(x.grad.abs().sum()) == 0.0  # why symmetry must be broken


def test_entropy_loss_is_normalised_and_masked():
    uniform = torch.zeros(1, 19, 2, 2)
    assert float(entropy_loss(uniform)) == pytest.approx(1.0)
    peaked = torch.zeros(1, 19, 2, 2)
    peaked[:, 0] = 50.0
    assert float(entropy_loss(peaked)) == pytest.approx(0.0, abs=1e-6)
    mixed = torch.cat([uniform[..., :1], peaked[..., 1:]], dim=-1)
    where = torch.zeros(1, 2, 2, dtype=torch.bool)
    where[..., 0] = True
    assert float(entropy_loss(mixed, where)) == pytest.approx(1.0)
    assert float(entropy_loss(mixed, torch.zeros_like(where))) == 0.0


def test_self_training_loss_sums_both_heads():
    g = torch.Generator().manual_seed(0)
    h1, h2 = torch.randn(2, 4, 5, 5, generator=g), torch.randn(2, 4, 5, 5, generator=g)
    pl = torch.randint(0, 4, (2, 5, 5), generator=g)
    pl[0, 0] = 255
    expected = F.cross_entropy(h1, pl, ignore_index=255) + F.cross_entropy(h2, pl, ignore_index=255)
    assert float(self_training_loss(h1, h2, pl)) == pytest.approx(float(expected))


@pytest.mark.parametrize("first_kernel", [3, 4])
def test_discriminator_shapes_and_losses(first_kernel):
    d = OutputDiscriminator(19, ndf=8, first_kernel=first_kernel)
    out = d(torch.rand(2, 19, 64, 64))
    assert out.shape == (2, 1, 2, 2)
    src, tgt = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    assert float(discriminator_loss(src, tgt, "lsgan")) == 0.0  # a perfect D
    assert float(adversarial_loss(tgt, "lsgan")) == 1.0  # the generator is caught
    assert float(adversarial_loss(src, "lsgan")) == 0.0
    big = torch.full((1, 1, 2, 2), 20.0)
    assert float(discriminator_loss(-big, big, "bce")) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="unknown GAN mode"):
        adversarial_loss(src, "wgan")
