"""Training steps of the pixel selector: self-training (Eq. 4) and MCD's
classifier-discrepancy game (Eq. 5) in its update order.

MCD (Saito et al. 2018) alternates: (B) the heads maximise the discrepancy on target
images while still fitting labels, the backbone frozen; (C) the backbone minimises
the discrepancy ``num_k`` times, the heads frozen.  In LabOR the labels the heads
keep fitting are the main model's pseudo labels (there is no source term).
"""

from __future__ import annotations

import torch
from torch import nn

from .losses import discrepancy, self_training_loss
from .model import PixelSelector


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def self_train_step(
    selector: nn.Module, images: torch.Tensor, pseudo: torch.Tensor, opt: torch.optim.Optimizer
) -> dict[str, float]:
    """Eq. 4 on one batch; ``opt`` holds backbone and heads."""
    h1, h2 = selector(images)
    loss = self_training_loss(h1, h2, pseudo)
    _step(opt, loss)
    return {"self_train": loss.item()}


def discrepancy_step(
    selector: nn.Module,
    images: torch.Tensor,
    pseudo: torch.Tensor | None,
    opt_heads: torch.optim.Optimizer,
    opt_body: torch.optim.Optimizer,
    num_k: int = 4,
    weight: float = 1.0,
) -> dict[str, float]:
    """One MCD iteration (steps B and C).  ``opt_heads`` must hold only head
    parameters and ``opt_body`` only backbone parameters: each step updates one side."""
    # B: heads maximise the discrepancy (minimise its negative) and keep fitting pseudo labels.
    h1, h2 = selector(images)
    dis_b = discrepancy(h1, h2)
    loss_b = -weight * dis_b
    if pseudo is not None:
        loss_b = loss_b + self_training_loss(h1, h2, pseudo)
    _step(opt_heads, loss_b)
    # C: the backbone minimises it, num_k times.
    dis_c = dis_b
    for _ in range(num_k):
        h1, h2 = selector(images)
        dis_c = discrepancy(h1, h2)
        _step(opt_body, weight * dis_c)
    return {"discrepancy_heads": dis_b.item(), "discrepancy_body": dis_c.item()}


def selector_optimizers(
    selector: PixelSelector, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 2e-5
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer, torch.optim.Optimizer]:
    """(all, heads, body) SGD optimisers with MCD's published settings as defaults."""

    def sgd(params):
        return torch.optim.SGD(
            [p for p in params if p.requires_grad], lr=lr, momentum=momentum, weight_decay=weight_decay
        )

    return sgd(selector.parameters()), sgd(selector.head_parameters()), sgd(selector.backbone_parameters())
