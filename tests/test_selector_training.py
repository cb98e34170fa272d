import pytest
import torch

from labor_desktop.core.losses import cross_entropy, discrepancy, pseudo_labels
from labor_desktop.core.model import DeepLabV2, ModelConfig, PixelSelector
from labor_desktop.core.selection import inconsistency_mask
from labor_desktop.core.selector_training import discrepancy_step, selector_optimizers, self_train_step
from labor_desktop.data.classes import label_ids_to_train_ids
from labor_desktop.data.datasets import to_tensor
from labor_desktop.data.demo_generator import make_image


def scene_batch(n):
    pairs = [make_image("target", "train", i, (64, 128), 0) for i in range(n)]
    images = torch.stack([to_tensor(img) for img, _ in pairs])
    labels = torch.stack([torch.from_numpy(label_ids_to_train_ids(lab)).long() for _, lab in pairs])
    return images, labels


def trained_model(steps=40):
    """A small DeepLab-v2 fitted briefly to demo street scenes: a real, non-random model."""
    torch.manual_seed(0)
    model = DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=False))
    images, labels = scene_batch(4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(steps):
        idx = [i % 4, (i + 1) % 4]
        loss = cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), images


def heads_equal(sel):
    return all(torch.equal(a, b) for a, b in zip(sel.head1.parameters(), sel.head2.parameters()))


def test_exact_copies_without_symmetry_breaking_never_diverge():
    model, images = trained_model(steps=5)
    sel = PixelSelector(model, dropout=0.0, perturb=0.0).train()
    h1, h2 = sel(images[:2])
    discrepancy(h1, h2).backward()
    assert all(float(p.grad.abs().sum()) == 0.0 for p in sel.head_parameters())
    _, opt_heads, opt_body = selector_optimizers(sel, lr=1e-2)
    for _ in range(3):
        discrepancy_step(sel, images[:2], None, opt_heads, opt_body, num_k=1)
    assert heads_equal(sel)


@pytest.mark.slow
def test_dropout_breaks_symmetry_heads_diverge_and_mask_appears():
    model, images = trained_model()
    torch.manual_seed(1)
    sel = PixelSelector(model, dropout=0.1).train()
    with torch.no_grad():
        pseudo = pseudo_labels(model(images).softmax(1), 0.5)
    opt_all, opt_heads, opt_body = selector_optimizers(sel, lr=1e-2)

    def eval_discrepancy():
        sel.eval()
        with torch.no_grad():
            out = sel(images)
        sel.train()
        return float(discrepancy(*out)), out

    assert eval_discrepancy()[0] == 0.0  # exact copies: without dropout they agree everywhere
    self_train_step(sel, images[:2], pseudo[:2], opt_all)
    for i in range(5):
        idx = [i % 4, (i + 1) % 4]
        stats = discrepancy_step(sel, images[idx], pseudo[idx], opt_heads, opt_body, num_k=4)
        assert stats["discrepancy_heads"] > 0  # dropout makes the two heads see different features
    assert not heads_equal(sel)
    grown, (h1, h2) = eval_discrepancy()
    assert grown > 1e-4  # the heads moved apart: they disagree without dropout too
    mask = inconsistency_mask(h1, h2)
    assert 0 < int(mask.sum()) < mask.numel()


def test_update_order_heads_then_backbone():
    model, images = trained_model(steps=2)
    sel = PixelSelector(model, dropout=0.1).train()
    body0 = [p.clone() for p in sel.backbone_parameters()]
    heads0 = [p.clone() for p in sel.head_parameters()]
    _, opt_heads, opt_body = selector_optimizers(sel, lr=1e-2)
    discrepancy_step(sel, images[:2], None, opt_heads, opt_body, num_k=0)  # step B only
    assert all(torch.equal(a, b) for a, b in zip(body0, sel.backbone_parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(heads0, sel.head_parameters()))
    heads1 = [p.clone() for p in sel.head_parameters()]
    for g in opt_heads.param_groups:
        g["lr"] = 0.0
        g["momentum"] = 0.0
    discrepancy_step(sel, images[:2], None, opt_heads, opt_body, num_k=2)  # heads frozen by lr 0: only C moves
    assert all(torch.equal(a, b) for a, b in zip(heads1, sel.head_parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(body0, sel.backbone_parameters()))
