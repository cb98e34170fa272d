"""The measurements ``bench/gpu.py`` makes, each time-boxed: a figure whose box runs out
reports what it measured so far (or that it ran out), and the next one starts.  Only
torch APIs that torch 2.11 has; nothing here imports Qt."""

from __future__ import annotations

import contextlib
import gc
import signal
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from labor_desktop.core.losses import pseudo_labels
from labor_desktop.core.model import DeepLabV2, ModelConfig, PixelSelector
from labor_desktop.core.selector_training import discrepancy_step, selector_optimizers, self_train_step
from labor_desktop.core.strategies import Budget, propose
from labor_desktop.data.classes import CLASS_COLORS, CLASS_NAMES
from labor_desktop.data.datasets import TrainAugment, TrainSet
from labor_desktop.data.readers import Sample
from labor_desktop.engine.jobs.proposals import write_proposals
from labor_desktop.engine.jobs.runtime import Runtime, is_out_of_memory
from labor_desktop.engine.jobs.training import (
    TrainConfig,
    batches,
    global_ce,
    make_optimizer,
    optimizer_step,
    predict_probs,
)
from labor_desktop.store import ImageEntry, Project, ProjectSettings


class TimeUp(Exception):
    """A measurement's time box ran out."""


@contextlib.contextmanager
def time_box(seconds: float):
    """Raise ``TimeUp`` in this thread after ``seconds`` (at once when none are left; POSIX:
    unboxed elsewhere)."""
    if seconds <= 0:
        raise TimeUp()
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise TimeUp()

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def sync(rt: Runtime) -> None:
    if rt.device.type == "cuda":
        torch.cuda.synchronize(rt.device)


def reset_peak(rt: Runtime) -> None:
    if rt.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(rt.device)


def peak_gib(rt: Runtime) -> float | None:
    return torch.cuda.max_memory_allocated(rt.device) / 2**30 if rt.device.type == "cuda" else None


def free(rt: Runtime) -> None:
    gc.collect()
    if rt.device.type == "cuda":
        torch.cuda.empty_cache()


def timed(rt: Runtime, fn, repeats: int, warmup: int, box: float) -> dict:
    """Median seconds of ``fn()`` over up to ``repeats`` runs after ``warmup`` ones, within
    ``box`` seconds; ``{"error": ...}`` when it ran out of time or of GPU memory first."""
    times: list[float] = []
    try:
        with time_box(box):
            for i in range(warmup + repeats):
                sync(rt)
                t = time.perf_counter()
                fn()
                sync(rt)
                if i >= warmup:
                    times.append(time.perf_counter() - t)
    except TimeUp:
        pass
    except Exception as e:
        if not is_out_of_memory(e):
            raise
        free(rt)
        return {"error": "out of memory"}
    if not times:
        return {"error": f"no timed run within {box:.0f} s"}
    return {"s": statistics.median(times), "runs": len(times), "peak_gib": peak_gib(rt)}


def train_step(rt: Runtime, cfg: ModelConfig, batch: int, size, repeats: int, box: float, compiled=False) -> dict:
    """Retraining's step (Eq. 6's CE, Adam) on a batch of crops."""
    torch.manual_seed(0)
    model = rt.place(DeepLabV2(cfg)).train()
    net = torch.compile(model) if compiled else model
    opt = make_optimizer(model, TrainConfig(lr=1e-5, optimizer="adam"))
    scaler = rt.scaler()
    x = rt.images(torch.rand(batch, 3, *size))
    y = torch.randint(0, cfg.num_classes, (batch, *size), device=rt.device)

    def step():
        with rt.autocast():
            out = net(x)
        optimizer_step(opt, scaler, global_ce(out, y, rt))

    reset_peak(rt)
    first = time.perf_counter()
    r = timed(rt, step, repeats, 2, box)
    r["first_s"] = time.perf_counter() - first  # includes compiling when compiled
    return r  # the caller frees the memory (``free``) once this frame is gone


def selector_steps(rt: Runtime, cfg: ModelConfig, batch: int, size, num_k: int, repeats: int, box: float) -> dict:
    """The selector's Eq. 4 and Eq. 5 steps in float32, as ``train_selector`` runs them (the
    main model's pseudo labels included), and the job's peak memory."""
    torch.manual_seed(0)
    model = rt.place(DeepLabV2(cfg)).eval()
    selector = rt.place(PixelSelector(model, dropout=0.1)).train()
    opt_all, opt_heads, opt_body = selector_optimizers(selector, lr=1e-4)
    x = rt.images(torch.rand(batch, 3, *size))

    def pseudo():
        with torch.no_grad():
            return pseudo_labels(model(x).softmax(1), 0.5)

    reset_peak(rt)
    out = {
        "self_train": timed(rt, lambda: self_train_step(selector, x, pseudo(), opt_all), repeats, 1, box / 2),
        "discrepancy": timed(
            rt, lambda: discrepancy_step(selector, x, pseudo(), opt_heads, opt_body, num_k), repeats, 1, box / 2
        ),
    }
    out["peak_gib"] = peak_gib(rt)
    return out


def proposal_models(rt: Runtime, cfg: ModelConfig, compiled: bool = False):
    torch.manual_seed(0)
    model = rt.place(DeepLabV2(cfg)).eval()
    selector = rt.place(PixelSelector(model, dropout=0.1, perturb=0.05)).eval()
    if compiled:
        return torch.compile(model), torch.compile(selector)
    return model, selector


@torch.no_grad()
def proposal_gpu(rt, model, selector, batch, size, full, repeats, box, selector_amp=False) -> dict:
    """The proposal pass of ``write_proposals`` on images already on the GPU: the main
    model's probabilities and both heads at the full size, the PPL proposal, mask and
    points back on the CPU.  Seconds per image."""
    x = rt.images(torch.rand(batch, 3, *size))

    def one_batch():
        probs = predict_probs(model, x, full, rt)
        with rt.autocast() if selector_amp else contextlib.nullcontext():
            h1, h2 = selector(x)
        heads = [torch.nn.functional.interpolate(h.float(), size=full, mode="bilinear") for h in (h1, h2)]
        for b in range(batch):
            gen = torch.Generator(device=rt.device).manual_seed(b)
            prop = propose("ppl", probs[b], heads=(heads[0][b], heads[1][b]), budget=Budget(), generator=gen)
            prop.inconsistency.cpu().numpy(), prop.points.cpu().numpy()

    reset_peak(rt)
    first = time.perf_counter()
    r = timed(rt, one_batch, repeats, 1, box)
    r["first_s"] = time.perf_counter() - first
    if "s" in r:
        r["s"] /= batch
    return r


def synthetic_pool(folder: Path, n: int, full) -> list[Sample]:
    """``n`` smooth street-sized PNG images (decoding them costs what a photo's PNG costs)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = []
    for k in range(n):
        small = rng.integers(0, 255, (full[0] // 16, full[1] // 16, 3), dtype=np.uint8)
        img = cv2.resize(small, (full[1], full[0]), interpolation=cv2.INTER_CUBIC)
        img = cv2.add(img, rng.integers(0, 12, img.shape, dtype=np.uint8))  # sensor noise
        path = folder / f"img{k:03d}_leftImg8bit.png"
        cv2.imwrite(str(path), img)
        out.append(Sample(f"img{k:03d}", path))
    return out


def proposals_end_to_end(rt, model, selector, pool, size, full, workers, batch, box, folder: Path) -> dict:
    """``write_proposals`` itself on the pool: decoding (in ``workers`` processes), the GPU
    pass, the project store's fsync-ed records.  Images per second."""
    settings = ProjectSettings(classes=list(CLASS_NAMES), colors=CLASS_COLORS.tolist(), strategy="ppl")
    path = folder / f"bench-{workers}.labor.h5"
    project = Project.create(path, settings, [ImageEntry(str(s.image), *full) for s in pool], overwrite=True)
    try:
        with time_box(box):
            sync(rt)
            t = time.perf_counter()
            write_proposals(project, 1, "ppl", model, selector, pool, size, Budget(), 0, rt, batch, workers=workers)
            sync(rt)
            dt = time.perf_counter() - t
        return {"images_per_s": len(pool) / dt, "s": dt}
    except TimeUp:
        return {"error": f"not done within {box:.0f} s"}
    finally:
        project.close()


def fed_training(rt, cfg, pool, full, crop, batch, workers, steps, box) -> dict:
    """Retraining's loop fed by the real loader (decode, resize, scale, crop, flip) with
    ``workers`` loader processes: seconds per step and the share of the wall time the
    device spent computing."""
    labels = {}
    rng = np.random.default_rng(1)
    for k in range(len(pool)):
        lab = np.full(full, 255, np.uint8)
        lab[rng.integers(0, full[0], 40), rng.integers(0, full[1], 40)] = rng.integers(0, 19, 40)
        labels[k] = lab
    data = TrainSet(pool, TrainAugment(crop, (full[0] // 2, full[1] // 2), (0.5, 1.5)), 0, labels=labels)
    torch.manual_seed(0)
    model = rt.place(DeepLabV2(cfg)).train()
    opt = make_optimizer(model, TrainConfig(lr=1e-5, optimizer="adam"))
    scaler = rt.scaler()
    stream = batches(data, batch, 0, rt, workers)
    busy, walls = [], []
    try:
        with time_box(box):
            for i in range(steps + 2):
                t = time.perf_counter()
                images, target = next(stream)
                sync(rt)
                c = time.perf_counter()
                with rt.autocast():
                    out = model(rt.images(images))
                optimizer_step(opt, scaler, global_ce(out, target.to(rt.device, non_blocking=True), rt))
                sync(rt)
                if i >= 2:  # the loader's processes have started
                    busy.append(time.perf_counter() - c)
                    walls.append(time.perf_counter() - t)
    except TimeUp:
        pass
    finally:
        del stream, model, opt
        free(rt)
    if not walls:
        return {"error": f"no step within {box:.0f} s"}
    return {"s": statistics.median(walls), "busy": sum(busy) / sum(walls), "steps": len(walls)}
