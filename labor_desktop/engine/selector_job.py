"""Building and training the pixel selector of a stage (Algorithm 1, lines a-c):
copy the main model, self-train both heads on its pseudo labels (Eq. 4), then
play MCD's discrepancy game (Eq. 5) so the heads disagree where the model is
unsure."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

from ..core.losses import ClassThresholds, pseudo_labels
from ..core.model import DeepLabV2, PixelSelector
from ..core.selector_training import discrepancy_step, selector_optimizers, self_train_step
from ..data.datasets import TrainSet
from .config import SelectorConfig
from .runtime import Runtime
from .training import Progress, StepClock, batches


def build_selector(model: DeepLabV2, cfg: SelectorConfig, seed: int) -> PixelSelector:
    return PixelSelector(model, dropout=cfg.dropout, perturb=cfg.perturb, seed=seed)


def train_selector(
    model: DeepLabV2,
    target: TrainSet,
    cfg: SelectorConfig,
    seed: int,
    rt: Runtime,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> tuple[PixelSelector, dict]:
    """The selector is trained in float32: the discrepancy is a difference of
    probabilities, small enough for float16 gradients to vanish."""
    rt.place(model).eval()
    selector = rt.place(build_selector(model, cfg, seed)).train()
    net = rt.wrap(selector)
    opt_all, opt_heads, opt_body = selector_optimizers(selector, lr=cfg.lr)
    thresholds = (
        ClassThresholds(model.cfg.num_classes, alpha=cfg.iast_alpha) if cfg.pseudo == "iast" else cfg.pseudo_threshold
    )
    stream = batches(target, cfg.batch_size, seed, rt)
    total = cfg.self_train_steps + cfg.discrepancy_steps
    clock = StepClock("pixel selector", total, progress, cancel)
    stats: dict[str, float] = {}
    for step in range(total):
        clock.check()
        images, _ = next(stream)
        images = rt.images(images)
        with torch.no_grad():
            pseudo = pseudo_labels(model(images).softmax(1), thresholds)
        if step < cfg.self_train_steps:
            stats = self_train_step(net, images, pseudo, opt_all)
        else:
            stats = discrepancy_step(net, images, pseudo, opt_heads, opt_body, cfg.num_k)
        stats["pseudo_labeled"] = float((pseudo != 255).float().mean())
        clock.tick(step + 1, stats)
    return selector.eval(), stats


def save_selector(selector: PixelSelector, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({k: v.detach().cpu() for k, v in selector.state_dict().items()}, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_selector(model: DeepLabV2, cfg: SelectorConfig, seed: int, path: Path) -> PixelSelector:
    selector = build_selector(model, cfg, seed)
    selector.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return selector.eval()
