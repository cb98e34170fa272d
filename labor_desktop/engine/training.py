"""Supervised training and evaluation loops: source pre-training (Eq. 1), and
the measurements of the demo data's domain gap.  The stage engine builds its
retraining (Eq. 6) on these same loops.

Progress goes through a plain callback ``(job, step, total, info)``; a set
``cancel`` event stops the loop at the next step.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ..core.losses import cross_entropy
from ..core.metrics import ConfusionMatrix
from ..core.model import DeepLabV2
from ..data.datasets import EvalSet, TrainSet

Progress = Callable[[str, int, int, dict], None]


class Cancelled(Exception):
    """Raised inside a job when its cancel event is set."""


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    batch_size: int = 8
    lr: float = 1e-3
    optimizer: str = "adam"  # or "sgd" (DeepLab's SGD with momentum, classifier at 10x)
    weight_decay: float = 5e-4
    poly_power: float = 0.9
    seed: int = 0


def pick_device(prefer: str = "auto") -> torch.device:
    if prefer == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(prefer)


def make_optimizer(model: DeepLabV2, cfg: TrainConfig) -> torch.optim.Optimizer:
    groups = [{"params": model.backbone_parameters(), "lr": cfg.lr},
              {"params": model.classifier_parameters(), "lr": cfg.lr * 10 if cfg.optimizer == "sgd" else cfg.lr}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr, weight_decay=0.0)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use 'adam' or 'sgd'")


def batches(dataset: TrainSet, batch_size: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless shuffled batches; a new epoch re-seeds augmentation and order."""
    epoch = 0
    while True:
        dataset.set_epoch(epoch)
        gen = torch.Generator().manual_seed(seed * 100003 + epoch)
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=gen, drop_last=len(dataset) >= batch_size)
        for images, labels, _ in loader:
            yield images, labels
        epoch += 1


def train_supervised(model: DeepLabV2, dataset: TrainSet, cfg: TrainConfig, device: torch.device | None = None,
                     progress: Progress | None = None, cancel: threading.Event | None = None,
                     job: str = "train") -> list[float]:
    """Cross-entropy on labeled pixels (255 ignored), poly learning-rate decay."""
    device = device or pick_device()
    progress = progress or (lambda *a: None)
    torch.manual_seed(cfg.seed)
    model.to(device).train()
    opt = make_optimizer(model, cfg)
    base = [g["lr"] for g in opt.param_groups]
    losses, start = [], time.perf_counter()
    stream = batches(dataset, cfg.batch_size, cfg.seed)
    for step in range(cfg.steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled(job)
        for g, lr in zip(opt.param_groups, base):
            g["lr"] = lr * (1 - step / cfg.steps) ** cfg.poly_power
        images, labels = next(stream)
        loss = cross_entropy(model(images.to(device)), labels.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        elapsed = time.perf_counter() - start
        progress(job, step + 1, cfg.steps, {"loss": losses[-1], "eta_s": elapsed / (step + 1) * (cfg.steps - step - 1)})
    return losses


@torch.no_grad()
def evaluate(model: DeepLabV2, dataset: EvalSet, device: torch.device | None = None, num_classes: int | None = None,
             progress: Progress | None = None, cancel: threading.Event | None = None) -> ConfusionMatrix:
    """Confusion matrix at the labels' full resolution: logits are upsampled to each
    label map before the argmax, as the Cityscapes protocol does."""
    device = device or pick_device()
    progress = progress or (lambda *a: None)
    model.to(device).eval()
    cm = ConfusionMatrix(num_classes or model.cfg.num_classes)
    for i in range(len(dataset)):
        if cancel is not None and cancel.is_set():
            raise Cancelled("evaluate")
        image, label, _ = dataset[i]
        logits = model(image[None].to(device))
        if logits.shape[-2:] != label.shape:
            logits = F.interpolate(logits, size=label.shape, mode="bilinear", align_corners=False)
        cm.update(logits.argmax(1)[0], label.to(device))
        progress("evaluate", i + 1, len(dataset), {})
    return cm

