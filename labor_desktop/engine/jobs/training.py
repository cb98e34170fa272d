"""Supervised training and evaluation loops: source pre-training (Eq. 1), and
the measurements of the demo data's domain gap.  The stage engine builds its
retraining (Eq. 6) on these same loops.

Progress goes through a plain callback ``(job, step, total, info)``; a set
``cancel`` event stops the loop at the next step.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ...core.losses import IGNORE
from ...core.metrics import ConfusionMatrix
from ...core.model import DeepLabV2
from ...data.datasets import EvalSet, TrainSet
from ..events import Cancelled, Diverged, Progress
from .runtime import Runtime


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    batch_size: int = 8
    lr: float = 1e-3
    optimizer: str = "adam"  # or "sgd" (DeepLab's SGD with momentum, classifier at 10x)
    weight_decay: float = 5e-4
    poly_power: float = 0.9
    seed: int = 0
    workers: int = 0  # DataLoader processes (0: load in the training process)


def pick_device(prefer: str = "auto") -> torch.device:
    if prefer == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(prefer)


def make_optimizer(model: DeepLabV2, cfg: TrainConfig) -> torch.optim.Optimizer:
    groups = [
        {"params": model.backbone_parameters(), "lr": cfg.lr},
        {"params": model.classifier_parameters(), "lr": cfg.lr * 10 if cfg.optimizer == "sgd" else cfg.lr},
    ]
    groups = [dict(g, params=[p for p in g["params"] if p.requires_grad]) for g in groups]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr, weight_decay=0.0)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use 'adam' or 'sgd'")


def set_poly_lr(opt: torch.optim.Optimizer, base: list[float], step: int, total: int, power: float) -> None:
    for g, lr in zip(opt.param_groups, base):
        g["lr"] = lr * (1 - step / total) ** power


class BatchPlan:
    """Endless global batches of ``(epoch, index)`` keys: a seeded permutation per
    epoch, cut into batches, and this rank's shard of each.  The epoch travels with
    the key so augmentation is the same in any loader worker or process."""

    def __init__(
        self, n: int, batch_size: int, seed: int, runtime: Runtime | None = None, weights: Sequence[float] | None = None
    ) -> None:
        if n == 0:
            raise ValueError("no training images")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        # With weights an "epoch" is n draws with replacement in proportion to them
        # (rare-class sampling), instead of a permutation.
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        if self.weights is not None and (len(self.weights) != n or not float(self.weights.sum()) > 0):
            raise ValueError(f"sampling weights must be {n} numbers with a positive sum")
        self.runtime = runtime or Runtime(torch.device("cpu"))
        if batch_size % self.runtime.world:
            raise ValueError(f"batch size {batch_size} does not split over {self.runtime.world} processes")

    def __iter__(self):
        epoch = 0
        while True:
            gen = torch.Generator().manual_seed(self.seed * 100003 + epoch)
            if self.weights is None:
                order = torch.randperm(self.n, generator=gen).tolist()
            else:
                order = torch.multinomial(self.weights, self.n, replacement=True, generator=gen).tolist()
            full = len(order) - len(order) % self.batch_size if self.n >= self.batch_size else len(order)
            for i in range(0, full, self.batch_size):
                yield self.runtime.shard([(epoch, j) for j in order[i : i + self.batch_size]])
            epoch += 1


def loader_options(workers: int, runtime: Runtime | None) -> dict:
    """DataLoader settings: ``workers`` processes started by a fork server where the
    platform has one (Linux, macOS): a clean single-threaded process forks them, so a
    caller with threads of its own (the window's writer, a Qt job, torch's pools) cannot
    hand a held lock to a worker, which hung a plain fork under the test suite.  Each
    worker receives a pickled copy of the data set once (``persistent_workers``).  None
    elsewhere.  Pinned memory on CUDA, so the copy to the GPU overlaps the step."""
    server = workers > 0 and "forkserver" in mp.get_all_start_methods()
    return {
        "num_workers": workers if server else 0,
        "persistent_workers": server,
        "multiprocessing_context": "forkserver" if server else None,
        "worker_init_fn": _one_thread if server else None,
        "pin_memory": runtime is not None and runtime.device.type == "cuda",
    }


def _one_thread(_: int) -> None:
    """A loader process decodes one image at a time: N processes, not N x OpenCV's threads."""
    import cv2

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def batches(
    dataset: TrainSet, batch_size: int, seed: int, runtime: Runtime | None = None, workers: int = 0
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless (images, labels) batches (this rank's shard of each global batch)."""
    loader = DataLoader(
        dataset,
        batch_sampler=BatchPlan(len(dataset), batch_size, seed, runtime, dataset.weights),
        **loader_options(workers, runtime),
    )
    for images, labels, _ in loader:
        yield images, labels


def in_order(dataset: EvalSet, workers: int = 0, runtime: Runtime | None = None) -> Iterable:
    """The items of ``dataset`` in order, read ahead by ``workers`` processes (see
    ``loader_options``): evaluation and proposals decode full-size images."""
    if not loader_options(workers, runtime)["num_workers"]:
        return (dataset[i] for i in range(len(dataset)))
    opts = dict(loader_options(workers, runtime), persistent_workers=False)
    return DataLoader(dataset, batch_size=None, shuffle=False, **opts)


def global_ce(logits: torch.Tensor, target: torch.Tensor, runtime: Runtime) -> torch.Tensor:
    """Mean CE over the labeled pixels of the *global* batch.  DDP averages gradients
    over ranks, so each rank's sum is divided by the global count and scaled by the
    world size: the gradient equals a single process's on the whole batch, however
    unevenly the labeled pixels fall on the ranks."""
    target = target.long()
    count = runtime.sum((target != IGNORE).sum().float())
    total = F.cross_entropy(logits.float(), target, ignore_index=IGNORE, reduction="sum")
    return total * runtime.world / count.clamp(min=1.0)


class StepClock:
    """Progress events with an ETA, and the cancel check, for one job's steps."""

    def __init__(self, job: str, total: int, progress: Progress | None, cancel: threading.Event | None) -> None:
        self.job, self.total = job, total
        self.progress = progress or (lambda *a: None)
        self.cancel = cancel
        self.start = time.perf_counter()

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(self.job)

    def tick(self, step: int, info: dict | None = None) -> None:
        """Report a finished step; a non-finite loss stops the job (``Diverged``) before its
        result can be recorded, so it is never marked done."""
        bad = [(k, v) for k, v in (info or {}).items() if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            raise Diverged(
                f"{self.job}: step {step} of {self.total}: {bad[0][0]} = {bad[0][1]}; the training diverged and was "
                "stopped (the job is not marked done). Lower the learning rate (lr in the config) or check the "
                "starting checkpoint and the data"
            )
        elapsed = time.perf_counter() - self.start
        eta = elapsed / step * (self.total - step) if step else float("nan")
        self.progress(self.job, step, self.total, dict(info or {}, eta_s=eta))


def optimizer_step(opt: torch.optim.Optimizer, scaler, loss: torch.Tensor) -> None:
    """Backward and step through the AMP gradient scaler (a no-op scaler off CUDA)."""
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()


def train_supervised(
    model: DeepLabV2,
    dataset: TrainSet,
    cfg: TrainConfig,
    device: torch.device | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    job: str = "train",
    runtime: Runtime | None = None,
) -> list[float]:
    """Cross-entropy on labeled pixels (255 ignored), poly learning-rate decay (Eq. 1)."""
    rt = runtime or Runtime(device or pick_device())
    rt.place(model).train()
    net = rt.wrap(model)
    opt = make_optimizer(model, cfg)
    scaler = rt.scaler()
    base = [g["lr"] for g in opt.param_groups]
    losses: list[float] = []
    clock = StepClock(job, cfg.steps, progress, cancel)
    stream = batches(dataset, cfg.batch_size, cfg.seed, rt, cfg.workers)
    for step in range(cfg.steps):
        clock.check()
        set_poly_lr(opt, base, step, cfg.steps, cfg.poly_power)
        images, labels = next(stream)
        with rt.autocast():
            logits = net(rt.images(images))
        loss = global_ce(logits, labels.to(rt.device), rt)
        optimizer_step(opt, scaler, loss)
        losses.append(loss.item())
        clock.tick(step + 1, {"loss": losses[-1]})
    return losses


@torch.no_grad()
def predict_probs(model: DeepLabV2, image: torch.Tensor, size: tuple[int, int], runtime: Runtime) -> torch.Tensor:
    """Softmax ``[B, K, *size]`` of a batch, upsampled to the labels' resolution."""
    with runtime.autocast():
        logits = model(runtime.images(image))
    logits = logits.float()
    if logits.shape[-2:] != tuple(size):
        logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
    return logits.softmax(1)


@torch.no_grad()
def evaluate(
    model: DeepLabV2,
    dataset: EvalSet,
    device: torch.device | None = None,
    num_classes: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    runtime: Runtime | None = None,
    workers: int = 0,
) -> ConfusionMatrix:
    """Confusion matrix at the labels' full resolution: logits are upsampled to each
    label map before the argmax, as the Cityscapes protocol does."""
    rt = runtime or Runtime(device or pick_device())
    rt.place(model).eval()
    cm = ConfusionMatrix(num_classes or model.cfg.num_classes)
    clock = StepClock("evaluate", len(dataset), progress, cancel)
    for i, (image, label, _) in enumerate(in_order(dataset, workers, rt)):
        clock.check()
        probs = predict_probs(model, image[None], label.shape, rt)
        cm.update(probs.argmax(1)[0], label.to(rt.device))
        clock.tick(i + 1)
    return cm
