"""A short, complete pass of LabOR's core on drawn street scenes, in about a minute
on a CPU: fit a small DeepLab-v2, build the pixel selector, self-train it, push its
heads apart, and propose the pixels to label (mask and PPL points).

It is the end-to-end check of the core until the demo data set and the stage engine
exist; the stage engine replaces it as ``labor demo``'s main job.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch

from ..core.losses import cross_entropy, pseudo_labels
from ..core.metrics import ConfusionMatrix
from ..core.model import DeepLabV2, ModelConfig, PixelSelector
from ..core.selection import inconsistency_mask, ppl_points
from ..core.selector_training import discrepancy_step, selector_optimizers, self_train_step
from ..data.toy_scene import street_scene

Progress = Callable[[str, int, int, dict], None]


class Cancelled(Exception):
    pass


@dataclass(frozen=True)
class CoreDemoConfig:
    height: int = 96
    width: int = 192
    n_train: int = 4
    n_target: int = 2
    train_steps: int = 60
    selector_steps: int = 8
    num_k: int = 4
    pseudo_threshold: float = 0.6
    lr: float = 1e-3
    seed: int = 0


@dataclass
class CoreDemoResult:
    config: dict
    target_miou: float
    mask_share: float
    points_per_image: float
    point_accuracy: float
    seconds: float
    figure: str


def run_core_demo(out_dir: str | Path, cfg: CoreDemoConfig = CoreDemoConfig(),
                  progress: Progress | None = None, cancel: threading.Event | None = None) -> CoreDemoResult:
    progress = progress or (lambda job, step, total, info: None)
    start = time.perf_counter()
    torch.manual_seed(cfg.seed)

    def tick(job, step, total, **info):
        if cancel is not None and cancel.is_set():
            raise Cancelled(job)
        progress(job, step, total, info)

    scenes = [street_scene(cfg.height, cfg.width, seed=cfg.seed + i) for i in range(cfg.n_train + cfg.n_target)]
    images = torch.stack([s[0] for s in scenes])
    labels = torch.stack([s[1] for s in scenes])
    src_x, src_y = images[: cfg.n_train], labels[: cfg.n_train]
    tgt_x, tgt_y = images[cfg.n_train :], labels[cfg.n_train :]

    # No ImageNet weights offline: train BN statistics instead of freezing them.
    model = DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=False))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    model.train()
    for step in range(cfg.train_steps):
        idx = torch.randint(0, cfg.n_train, (2,))
        loss = cross_entropy(model(src_x[idx]), src_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        tick("train model", step + 1, cfg.train_steps, loss=loss.item())

    model.eval()
    with torch.no_grad():
        probs = model(tgt_x).softmax(1)
    cm = ConfusionMatrix(19)
    cm.update(probs.argmax(1), tgt_y)

    selector = PixelSelector(model, dropout=0.1).train()
    pseudo = pseudo_labels(probs, cfg.pseudo_threshold)
    opt_all, opt_heads, opt_body = selector_optimizers(selector, lr=1e-2)
    for step in range(cfg.selector_steps):
        i = step % cfg.n_target
        stats = self_train_step(selector, tgt_x[i : i + 1], pseudo[i : i + 1], opt_all)
        stats |= discrepancy_step(selector, tgt_x[i : i + 1], pseudo[i : i + 1], opt_heads, opt_body, cfg.num_k)
        tick("pixel selector", step + 1, cfg.selector_steps, **stats)

    selector.eval()
    with torch.no_grad():
        h1, h2 = selector(tgt_x)
    mask = inconsistency_mask(h1, h2)
    points = ppl_points(probs, mask)  # (b, y, x, k)
    correct = [int(tgt_y[b, y, x]) == k for b, y, x, k in points.tolist()]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = out_dir / "selection.png"
    _write_figure(figure, tgt_x, probs.argmax(1), mask, points)
    return CoreDemoResult(
        config=asdict(cfg),
        target_miou=cm.miou(),
        mask_share=float(mask.float().mean()),
        points_per_image=len(points) / cfg.n_target,
        point_accuracy=float(np.mean(correct)) if correct else float("nan"),
        seconds=time.perf_counter() - start,
        figure=str(figure),
    )


def _write_figure(path: Path, images, pred, mask, points) -> None:
    """Per target image: the image, the prediction, the mask (red) with PPL points (yellow)."""
    rng = np.random.default_rng(0)
    palette = rng.integers(0, 255, (256, 3), dtype=np.uint8)
    rows = []
    for b in range(len(images)):
        img = (images[b].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        seg = palette[pred[b].numpy()]
        over = img.copy()
        over[mask[b].numpy()] = (0.4 * over[mask[b].numpy()] + 0.6 * np.array([255, 0, 0])).astype(np.uint8)
        for pb, y, x, _ in points.tolist():
            if pb == b:
                cv2.circle(over, (x, y), 3, (255, 255, 0), 1)
        rows.append(np.concatenate([img, seg, over], axis=1))
    grid = np.concatenate(rows, axis=0)
    grid = cv2.resize(grid, (grid.shape[1] * 2, grid.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    if not cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}; is the folder writable and the disk not full?")
