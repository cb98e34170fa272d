"""Building and training the pixel selector of a stage (Algorithm 1, lines a-c):
copy the main model, self-train both heads on its pseudo labels (Eq. 4), then
play MCD's discrepancy game (Eq. 5) so the heads disagree where the model is
unsure."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

from ...core.losses import ClassThresholds, pseudo_labels
from ...core.model import DeepLabV2, PixelSelector
from ...core.selection import inconsistency_mask
from ...core.selector_training import discrepancy_step, selector_optimizers, self_train_step
from ...data.datasets import EvalSet, TrainSet
from ...data.readers import Sample
from ..config import SelectorConfig, stage_value
from .runtime import Runtime
from .training import Progress, StepClock, batches


def build_selector(model: DeepLabV2, cfg: SelectorConfig, seed: int) -> PixelSelector:
    return PixelSelector(model, dropout=cfg.dropout, perturb=cfg.perturb, seed=seed)


def probe_images(pool: list[Sample], input_size: tuple[int, int] | None, n: int) -> list[torch.Tensor]:
    """A fixed subset of the pool (``n`` images spread evenly over it, in order) at
    the model's input size, for measuring the inconsistency mask's share while the
    selector trains.  Never reads ground truth."""
    if n <= 0 or not pool:
        return []
    step = max(1, len(pool) // n)
    chosen = [Sample(s.name, s.image) for s in pool[::step][:n]]
    ds = EvalSet(chosen, input_size)
    return [ds[i][0] for i in range(len(ds))]


@torch.no_grad()
def mask_share(selector: PixelSelector, probe: list[torch.Tensor], rt: Runtime) -> float:
    """Share of the probe pixels where the selector's two heads disagree (Eq. 3), with
    the selector in eval mode as the proposal pass runs it."""
    was_training = selector.training
    selector.eval()
    hit = total = 0
    for image in probe:
        h1, h2 = selector(rt.images(image[None]))
        m = inconsistency_mask(h1.float(), h2.float())
        hit += int(m.sum())
        total += m.numel()
    selector.train(was_training)
    return hit / max(1, total)


def train_selector(
    model: DeepLabV2,
    target: TrainSet,
    cfg: SelectorConfig,
    seed: int,
    rt: Runtime,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    stage: int = 1,
    probe: list[torch.Tensor] | None = None,
    workers: int = 0,
) -> tuple[PixelSelector, dict]:
    """The selector is trained in float32: the discrepancy is a difference of
    probabilities, small enough for float16 gradients to vanish.

    Both phases always run their configured steps (the paper's selector: heads pushed to
    disagree by Eq. 5, not two self-trained copies that differ by noise); SPL's budget is
    held afterwards by capping the mask (``[selector] target_share``, see
    ``core.selection.capped_mask``).  With a ``probe`` the stats record the mask's share of
    the probe pixels after self-training and after the discrepancy game."""
    rt.place(model).eval()
    selector = rt.place(build_selector(model, cfg, seed)).train()
    net = rt.wrap(selector)
    opt_all, opt_heads, opt_body = selector_optimizers(selector, lr=cfg.lr)
    thresholds = (
        ClassThresholds(model.cfg.num_classes, alpha=stage_value(cfg.stage_alpha, stage, cfg.iast_alpha))
        if cfg.pseudo == "iast"
        else cfg.pseudo_threshold
    )
    shares: dict[str, float] = {}
    dis_run = 0
    stream = batches(target, cfg.batch_size, seed, rt, workers)
    total = cfg.self_train_steps + cfg.discrepancy_steps
    clock = StepClock("pixel selector", total, progress, cancel)
    stats: dict[str, float] = {}
    for step in range(total):
        clock.check()
        if probe and step == cfg.self_train_steps:
            shares["probe_share_self_trained"] = mask_share(selector, probe, rt)
        images, _ = next(stream)
        images = rt.images(images)
        with torch.no_grad():
            pseudo = pseudo_labels(model(images).softmax(1), thresholds)
        if step < cfg.self_train_steps:
            stats = self_train_step(net, images, pseudo, opt_all)
        else:
            stats = discrepancy_step(net, images, pseudo, opt_heads, opt_body, cfg.num_k)
            dis_run += 1
        stats["pseudo_labeled"] = float((pseudo != 255).float().mean())
        clock.tick(step + 1, stats)
    stats = dict(stats, discrepancy_steps_run=dis_run)
    if probe:
        if cfg.discrepancy_steps == 0:
            shares["probe_share_self_trained"] = mask_share(selector, probe, rt)
        shares["probe_share"] = mask_share(selector, probe, rt)  # after the last step, before any cap
        stats.update(shares, target_share=cfg.target_share)
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
