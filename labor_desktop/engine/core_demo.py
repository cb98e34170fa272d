"""One short pass of LabOR's core on the embedded demo data, a few minutes on a
CPU: make the data (first run only), train a small DeepLab-v2 on the source
domain, evaluate it on the target, build the pixel selector, self-train it, push
its heads apart, and propose what to label on target images (the inconsistency
mask and PPL points), scored against the ground truth like the simulated
annotator will.

This is ``labor demo``'s job until the stage engine and the application exist.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..core.losses import pseudo_labels
from ..core.model import DeepLabV2, ModelConfig, PixelSelector
from ..core.selection import inconsistency_mask, ppl_points
from ..core.selector_training import discrepancy_step, selector_optimizers, self_train_step
from ..data.classes import colorize
from ..data.datasets import EvalSet, TrainAugment, TrainSet
from ..data.demo_generator import DemoDataConfig, generate_demo_data
from ..data.io import write_png
from ..data.readers import cityscapes_samples, gta5_samples
from .training import Cancelled, Progress, TrainConfig, evaluate, pick_device, train_supervised


@dataclass(frozen=True)
class CoreDemoConfig:
    train_steps: int = 120
    batch_size: int = 4
    n_proposal_images: int = 4
    selector_steps: int = 8
    num_k: int = 4
    pseudo_threshold: float = 0.7
    n_val: int | None = 30  # evaluate on the first N target val images (None: all)
    seed: int = 0


@dataclass
class CoreDemoResult:
    config: dict
    source_only_miou: float
    mask_share: float
    points_per_image: float
    model_wrong_at_points: float
    model_wrong_overall: float
    seconds: float
    figure: str


def ensure_demo_data(root: Path, progress: Progress) -> Path:
    if not (root / "demo-data.json").exists():
        generate_demo_data(root, DemoDataConfig(), lambda job, step, total: progress(f"data: {job}", step, total, {}))
    return root


def run_core_demo(out_dir: str | Path, cfg: CoreDemoConfig = CoreDemoConfig(), data_dir: str | Path | None = None,
                  progress: Progress | None = None, cancel: threading.Event | None = None) -> CoreDemoResult:
    progress = progress or (lambda *a: None)
    start = time.perf_counter()
    out_dir = Path(out_dir)
    data = ensure_demo_data(Path(data_dir) if data_dir else out_dir / "data", progress)
    device = pick_device()
    torch.manual_seed(cfg.seed)
    source = TrainSet(gta5_samples(data / "source"), TrainAugment(crop=(128, 256), scale=(0.75, 1.5)), cfg.seed)
    # No ImageNet weights offline: train BN statistics instead of freezing them.
    model = DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=False))
    train_supervised(model, source, TrainConfig(steps=cfg.train_steps, batch_size=cfg.batch_size, seed=cfg.seed),
                     device, progress, cancel, job="train on source")
    val = cityscapes_samples(data / "target", "val", require_labels=True)[: cfg.n_val]
    cm = evaluate(model, EvalSet(val), device, progress=progress, cancel=cancel)

    target = EvalSet(cityscapes_samples(data / "target", "train", require_labels=True)[: cfg.n_proposal_images])
    items = [target[i] for i in range(len(target))]  # each file read once
    images = torch.stack([image for image, _, _ in items]).to(device)
    truth = torch.stack([label for _, label, _ in items])
    model.eval()
    with torch.no_grad():
        probs = model(images).softmax(1)
    selector = PixelSelector(model, dropout=0.1).train()
    pseudo = pseudo_labels(probs, cfg.pseudo_threshold)
    opt_all, opt_heads, opt_body = selector_optimizers(selector, lr=1e-2)
    for step in range(cfg.selector_steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled("pixel selector")
        i = step % len(images)
        batch = slice(i, i + 1)
        stats = self_train_step(selector, images[batch], pseudo[batch], opt_all)
        stats |= discrepancy_step(selector, images[batch], pseudo[batch], opt_heads, opt_body, cfg.num_k)
        progress("pixel selector", step + 1, cfg.selector_steps, stats)
    selector.eval()
    with torch.no_grad():
        h1, h2 = selector(images)
    mask = inconsistency_mask(h1, h2).cpu()
    probs, pred = probs.cpu(), probs.argmax(1).cpu()
    points = ppl_points(probs, mask)  # (b, y, x, k)
    wrong = [int(truth[b, y, x]) != k for b, y, x, k in points.tolist() if truth[b, y, x] != 255]
    valid = truth != 255
    figure = out_dir / "selection.png"
    write_png(figure, _figure(images.cpu(), truth, pred, mask, points), rgb=True)
    return CoreDemoResult(
        config=asdict(cfg),
        source_only_miou=cm.miou(),
        mask_share=float(mask.float().mean()),
        points_per_image=len(points) / len(images),
        model_wrong_at_points=float(np.mean(wrong)) if wrong else float("nan"),
        model_wrong_overall=float(((pred != truth) & valid).sum() / valid.sum()),
        seconds=time.perf_counter() - start,
        figure=str(figure),
    )


def _figure(images, truth, pred, mask, points) -> np.ndarray:
    """Per image: the image, ground truth, prediction, and the mask (white) with PPL points."""
    import cv2

    rows = []
    for b in range(len(images)):
        img = np.ascontiguousarray(images[b].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        over = (img * 0.6).astype(np.uint8)
        over[mask[b].numpy()] = (255, 255, 255)
        for pb, y, x, _ in points.tolist():
            if pb == b:
                cv2.circle(over, (x, y), 4, (255, 40, 40), 2)
        rows.append(np.concatenate([img, colorize(truth[b].numpy().astype(np.uint8)),
                                    colorize(pred[b].numpy().astype(np.uint8)), over], axis=1))
    return np.concatenate(rows, axis=0)
