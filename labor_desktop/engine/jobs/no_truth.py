"""What a stage can report when the project has no validation set (no mIoU is ever
made up): how much of the pool the pixel selector found inconsistent, and how often
the stage's retrained model agrees with the model it started from on the pool.

Agreement is measured on at most ``AGREEMENT_IMAGES`` pool images spread evenly over it
(the same ones every stage), at the model's input size: two forward passes an image.
A high agreement after retraining says the labels changed little; a low one says the
model moved (for better or worse: only ground truth can say which).
"""

from __future__ import annotations

import threading

import torch

from ...core.checkpoint import load_model
from ...core.model import ModelConfig
from ...data.datasets import EvalSet
from ...data.readers import Sample
from .runtime import Runtime
from .training import Progress, StepClock

AGREEMENT_IMAGES = 50


def agreement_subset(pool: list[Sample], n: int = AGREEMENT_IMAGES) -> list[Sample]:
    """At most ``n`` pool images, spread evenly, without their labels."""
    if not pool:
        return []
    step = max(1, len(pool) // n)
    return [Sample(s.name, s.image) for s in pool[::step][:n]]


@torch.no_grad()
def pool_agreement(
    checkpoint: str,
    previous: str,
    cfg: ModelConfig,
    pool: list[Sample],
    input_size: tuple[int, int] | None,
    rt: Runtime,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> float | None:
    """Share of the subset's pixels (at the model's input size) where the two models'
    argmax agree; 1.0 for the same checkpoint; None for an empty pool."""
    images = EvalSet(agreement_subset(pool), input_size)
    if not len(images):
        return None
    if checkpoint == previous:
        return 1.0
    a = rt.place(load_model(checkpoint, cfg)).eval()
    b = rt.place(load_model(previous, cfg)).eval()
    same = total = 0
    clock = StepClock("agreement with the previous model", len(images), progress, cancel)
    for i in range(len(images)):
        clock.check()
        x = rt.images(images[i][0][None])
        with rt.autocast():
            pa, pb = a(x).argmax(1), b(x).argmax(1)
        same += int((pa == pb).sum())
        total += pa.numel()
        clock.tick(i + 1)
    return same / max(1, total)
