"""What every job of Algorithm 1 shares, the warm start's and a stage's: the context
it runs in, the ledger wrapper that skips a finished job and names the setting to lower
when the GPU runs out of memory, and the evaluation on the target validation set (none
is made up when the project has no validation set)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.model import DeepLabV2
from .config import ExperimentConfig
from .events import OutOfMemory
from .jobs.runtime import Runtime, is_out_of_memory, release_cuda_memory, seed_job
from .jobs.training import Progress, evaluate
from .projects.experiment_data import ExperimentData
from .run_state import RunState


@dataclass
class Context:
    cfg: ExperimentConfig
    data: ExperimentData
    rt: Runtime
    progress: Progress | None = None
    cancel: threading.Event | None = None
    # A source-only checkpoint to warm up from instead of pre-training ("{seed}" is replaced
    # by the run's seed): pre-training sees no target image, so the target domains of one
    # seed can share it.
    pretrained: str | None = None


def batch_setting(cfg: ExperimentConfig, job: str) -> tuple[int | None, str]:
    """The batch size job ``job`` runs with and the setting that holds it (evaluation runs
    one image at a time: its input size is what to lower)."""
    kind = job.split("-")[0]
    if kind == "propose":
        return cfg.proposal_batch, "proposal_batch"
    if kind in ("pretrain", "warmup", "selector", "retrain"):
        section = getattr(cfg, kind)
        return section.batch_size, f"[{kind}] batch_size"
    return None, "[data] input_size"


def run_job(state: RunState, ctx: Context, name: str, fn: Callable[[int], dict], main_only: bool = False) -> dict:
    """Run ``fn(seed)`` unless the ledger says it is done; record its result.  The GPU
    running out of memory stops the job with ``OutOfMemory`` (it stays not done)."""
    if state.done(name):
        return state.result(name)
    seed = seed_job(ctx.cfg.seed, name)
    start = time.perf_counter()
    try:
        result = fn(seed) if ctx.rt.is_main or not main_only else {}
    except Exception as e:
        if not is_out_of_memory(e):
            raise
        release_cuda_memory()
        batch, key = batch_setting(ctx.cfg, name)
        raise OutOfMemory(name, batch, key, str(e).splitlines()[0] if str(e) else "") from e
    if ctx.rt.is_main:
        state.finish(name, result, time.perf_counter() - start)
    ctx.rt.barrier()
    if not ctx.rt.is_main:
        state.reload()
    return state.result(name)


def evaluate_on_val(model: DeepLabV2, ctx: Context) -> dict:
    if not ctx.data.val:
        return {"miou": None, "iou": [None] * model.cfg.num_classes, "pixel_accuracy": None}
    cm = evaluate(
        model,
        ctx.data.val_set(),
        runtime=ctx.rt,
        progress=ctx.progress,
        cancel=ctx.cancel,
        workers=ctx.cfg.data.workers,
    )
    return {
        "miou": cm.miou(),
        "iou": [None if np.isnan(v) else float(v) for v in cm.iou().tolist()],
        "pixel_accuracy": cm.pixel_accuracy(),
    }
