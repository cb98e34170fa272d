"""Algorithm 1 as a sequence of resumable jobs.

    pretrain -> warmup -> evaluate-0 -> for each stage s:
        selector-s -> propose-s -> annotate-s -> retrain-s -> evaluate-s

``warm_start`` runs the first three (shared by every strategy of a comparison);
``StageEngine`` runs the stages of one strategy into a run folder holding the
ledger (``state.json``), the checkpoints and the project store.  The annotator
is pluggable: the simulated one reads ground truth; the desktop application runs
the same jobs around a person.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ..core.checkpoint import file_sha256, load_backbone_weights, load_model, save_checkpoint
from ..core.model import DeepLabV2
from ..core.strategies import get_strategy, label_unit
from ..data.io import read_label
from ..store import Project
from .adaptation import retrain, retrain_config, warmup
from .annotator import annotate, budget_used
from .config import ExperimentConfig, check_init_weights
from .events import OutOfMemory
from .experiment_data import ExperimentData
from .no_truth import pool_agreement
from .projects import create_project
from .proposals import OnProposal, Revealed, revealed_masks, write_proposals
from .run_state import RunState
from .runtime import Runtime, is_out_of_memory, release_cuda_memory, seed_job
from .selector_job import load_selector, probe_images, save_selector, train_selector
from .training import Progress, TrainConfig, evaluate, train_supervised


@dataclass
class Context:
    cfg: ExperimentConfig
    data: ExperimentData
    rt: Runtime
    progress: Progress | None = None
    cancel: threading.Event | None = None


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


def _evaluation(model: DeepLabV2, ctx: Context) -> dict:
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


def warm_start(out: Path, ctx: Context, start: str | Path | None = None) -> dict:
    """Source pre-training (Eq. 1) and adversarial warm-up (Eq. 2), or a given
    checkpoint; then its evaluation.  Returns {"checkpoint", "sha256", "evaluation"}."""
    cfg = ctx.cfg
    check_init_weights(cfg, start)
    out = Path(out).resolve()  # checkpoint paths in the ledger must not depend on the working directory
    state = RunState(out, {"config": cfg.to_dict(), "start": None if start is None else str(start)}, ctx.rt.is_main)

    def pretrain(seed):
        model = DeepLabV2(cfg.model)
        if cfg.pretrain.init_weights:
            load_backbone_weights(model, cfg.pretrain.init_weights)
        p = cfg.pretrain
        tc = TrainConfig(
            steps=p.steps, batch_size=p.batch_size, lr=p.lr, optimizer=p.optimizer, seed=seed, workers=cfg.data.workers
        )
        losses = train_supervised(
            model,
            ctx.data.source_set(seed),
            tc,
            progress=ctx.progress,
            cancel=ctx.cancel,
            job="pre-train on source",
            runtime=ctx.rt,
        )
        path = state.checkpoint("pretrain")
        sha = save_checkpoint(path, model, {"job": "pretrain"}) if ctx.rt.is_main else ""
        return {"checkpoint": str(path), "sha256": sha, "final_loss": losses[-1] if losses else None}

    def warm(seed):
        model = load_model(state.result("pretrain")["checkpoint"], cfg.model)
        stats = warmup(
            model,
            ctx.data.source_set(seed),
            ctx.data.target_images_set(seed),
            cfg.warmup,
            seed,
            ctx.rt,
            ctx.progress,
            ctx.cancel,
            workers=cfg.data.workers,
        )
        path = state.checkpoint("warmup")
        sha = save_checkpoint(path, model, {"job": "warmup"}) if ctx.rt.is_main else ""
        return {"checkpoint": str(path), "sha256": sha, **stats}

    if start is None:
        run_job(state, ctx, "pretrain", pretrain)
        run_job(state, ctx, "warmup", warm)
        ckpt = state.result("warmup")
    else:
        load_model(start, cfg.model)  # refuses an incompatible checkpoint before any work
        ckpt = {"checkpoint": str(Path(start).resolve()), "sha256": file_sha256(start)}
    ev = run_job(
        state,
        ctx,
        "evaluate-0",
        lambda seed: _evaluation(load_model(ckpt["checkpoint"], cfg.model), ctx),
        main_only=True,
    )
    return {"checkpoint": ckpt["checkpoint"], "sha256": ckpt["sha256"], "evaluation": ev}


class StageEngine:
    def __init__(
        self,
        out: str | Path,
        ctx: Context,
        strategy: str,
        start: dict,
        truth: Callable[[int], np.ndarray] | None = None,
        project_path: str | Path | None = None,
        counts: dict[int, list[int]] | None = None,
    ) -> None:
        """``counts``: per stage, the number of points (or pixels) to ask for on each
        pool image, for baselines matched to a LabOR strategy's measured budget."""
        get_strategy(strategy)
        self.out, self.ctx, self.strategy, self.start = Path(out).resolve(), ctx, strategy, start
        self.counts = {int(k): list(v) for k, v in counts.items()} if counts else None
        key = {"config": ctx.cfg.to_dict(), "strategy": strategy, "start": start["sha256"]}
        if self.counts:
            key["counts"] = self.counts
        self.state = RunState(self.out, key, ctx.rt.is_main)

        def read_truth(i: int) -> np.ndarray:
            sample = ctx.data.target[i]
            assert sample.label is not None  # the pool is loaded with its labels when the annotator is simulated
            return read_label(sample.label, sample.label_kind, sample.id_map)

        self.truth = truth or read_truth
        self.project_path = Path(project_path).resolve() if project_path else self.out / "project.labor.h5"
        self._revealed: Revealed | None = None  # what the stages so far asked for, once read

    def _open_project(self) -> Project:
        if self.project_path.exists():
            return Project.open(self.project_path)
        return create_project(self.project_path, self.ctx.cfg, self.ctx.data, self.strategy, self.start["checkpoint"])

    @staticmethod
    def stage_proposed(finished_jobs: set[str]) -> int:
        """The last stage whose proposals are complete (0: none yet)."""
        return max((int(j.split("-")[1]) for j in finished_jobs if j.startswith("propose-")), default=0)

    def labels_changed(self, s: int, labels_tag: str) -> None:
        """Stage ``s``'s retraining saw other labels than ``labels_tag``: it, and every job
        built on it, is redone."""
        state = self.state
        if state.done(f"retrain-{s}") and state.result(f"retrain-{s}").get("labels") != labels_tag:
            state.forget([f"retrain-{s}", f"evaluate-{s}", f"selector-{s + 1}", f"propose-{s + 1}"])

    def keep_previous_model(self, project: Project, s: int, labels_tag: str) -> None:
        """Stage ``s`` ends with the model it started from (its retraining is set aside)."""
        self.state.finish(
            f"retrain-{s}",
            {"checkpoint": self.model_after(s - 1), "skipped": "kept the previous model", "labels": labels_tag},
            0.0,
        )
        self.state.forget([f"evaluate-{s}", f"selector-{s + 1}", f"propose-{s + 1}"])
        self.finish_stage(project, s, labels_tag=labels_tag)

    def model_after(self, stage: int) -> str:
        return self.start["checkpoint"] if stage == 0 else self.state.result(f"retrain-{stage}")["checkpoint"]

    def evaluation(self, stage: int) -> dict:
        return self.start["evaluation"] if stage == 0 else self.state.result(f"evaluate-{stage}")

    def run(self) -> list[dict]:
        """All stages with the simulated annotator."""
        project = self._open_project() if self.ctx.rt.is_main else None
        try:
            for s in range(1, self.ctx.cfg.stages + 1):
                self.prepare_stage(project, s)
                run_job(
                    self.state,
                    self.ctx,
                    f"annotate-{s}",
                    partial(self._annotate, project, s),
                    main_only=True,
                )
                self.finish_stage(project, s)
        finally:
            if project is not None:
                project.close()
        return self.history()

    def _annotate(self, project: Project | None, s: int, seed: int) -> dict:
        assert project is not None  # a main_only job: the main rank holds the project
        return annotate(project, s, self.truth, self.ctx.progress, self.ctx.cancel, self.ctx.cfg.budget, seed)

    def prepare_stage(self, project: Project | None, s: int, on_proposal: OnProposal | None = None) -> None:
        """Selector (for LabOR strategies) and proposals of stage ``s``; ``on_proposal`` sees
        each proposal as it is written."""
        ctx, cfg, state = self.ctx, self.ctx.cfg, self.state
        needs_selector = get_strategy(self.strategy).needs_selector

        def selector(seed):
            model = load_model(self.model_after(s - 1), cfg.model)
            n_probe = cfg.selector.probe_images if cfg.selector.target_share > 0 else 0
            probe = probe_images(ctx.data.target, cfg.data.input_size, n_probe)
            sel, stats = train_selector(
                model,
                ctx.data.target_images_set(seed),
                cfg.selector,
                seed,
                ctx.rt,
                ctx.progress,
                ctx.cancel,
                stage=s,
                probe=probe,
                workers=cfg.data.workers,
            )
            path = state.checkpoint(f"selector-{s}")
            if ctx.rt.is_main:
                save_selector(sel, path)
            return {"checkpoint": str(path), **stats}

        def proposals(seed):
            model = load_model(self.model_after(s - 1), cfg.model)
            sel = None
            if needs_selector:
                sel = load_selector(
                    model,
                    cfg.selector,
                    seed_job(cfg.seed, f"selector-{s}"),
                    Path(state.result(f"selector-{s}")["checkpoint"]),
                )
            assert project is not None  # a main_only job: the main rank holds the project
            return write_proposals(
                project,
                s,
                self.strategy,
                model,
                sel,
                ctx.data.target,
                cfg.data.input_size,
                cfg.budget,
                seed,
                ctx.rt,
                cfg.proposal_batch,
                ctx.progress,
                ctx.cancel,
                counts=self.counts.get(s) if self.counts else None,
                revealed=self._revealed,
                on_proposal=on_proposal,
                workers=cfg.data.workers,
            )

        if needs_selector:
            run_job(state, ctx, f"selector-{s}", selector)
        run_job(state, ctx, f"propose-{s}", proposals, main_only=True)

    def finish_stage(
        self,
        project: Project | None,
        s: int,
        labels_tag: str | None = None,
        labels: dict[int, np.ndarray] | None = None,
    ) -> None:
        """Retraining on every label so far (Eq. 6) and the evaluation of stage ``s``.
        ``labels``: the labelled images' labels, when the caller read them already (the
        window reads them once per stage's end); read here otherwise."""
        ctx, cfg, state = self.ctx, self.ctx.cfg, self.state

        def retraining(seed):
            previous = self.model_after(s - 1) if cfg.retrain.start_from == "previous" else self.start["checkpoint"]
            if labels is not None:
                snapshot = labels
            elif project is None:
                snapshot = _read_labels(self.project_path)
            else:
                snapshot = {i: lab for i, (lab, _) in project.labels_snapshot().items()}
            rcfg = retrain_config(cfg.retrain, self.strategy)
            if not snapshot and rcfg.entropy_weight == 0 and rcfg.pseudo_weight == 0:
                return {"checkpoint": previous, "skipped": "no target labels", "labels": labels_tag}
            model = load_model(previous, cfg.model)
            labeled = (
                ctx.data.pool_target_set(snapshot, seed)
                if rcfg.pseudo_weight > 0
                else ctx.data.labeled_target_set(snapshot, seed)
            )
            stats = retrain(
                model,
                labeled,
                ctx.data.source_set(seed),
                ctx.data.target_images_set(seed),
                rcfg,
                seed,
                ctx.rt,
                ctx.progress,
                ctx.cancel,
                stage=s,
                workers=cfg.data.workers,
            )
            path = state.checkpoint(f"stage-{s}")
            sha = (
                save_checkpoint(path, model, {"job": f"retrain-{s}", "strategy": self.strategy})
                if ctx.rt.is_main
                else ""
            )
            return {
                "checkpoint": str(path),
                "sha256": sha,
                "labeled_images": len(snapshot),
                "labels": labels_tag,
                **stats,
            }

        def evaluation(seed):
            ckpt = self.model_after(s)
            ev = (
                self.evaluation(s - 1)
                if ckpt == self.model_after(s - 1)
                else _evaluation(load_model(ckpt, cfg.model), ctx)
            )
            assert project is not None  # a main_only job: the main rank holds the project
            unit = label_unit(self.strategy, cfg.budget)
            self._revealed = revealed_masks(project, s, unit)  # the next stage's proposals reuse it
            budget = budget_used(project, s, cfg.budget, labels=labels, revealed=self._revealed)
            answered = state.result(f"annotate-{s}") if state.done(f"annotate-{s}") else {}
            if "noise_rate" in answered:  # regions: the simulated annotator's wrong labels this stage
                budget["noise_rate"] = answered["noise_rate"]
            entry = {**ev, "budget": budget, "checkpoint": ckpt, "strategy": self.strategy}
            if not ctx.data.val:  # no mIoU: what can be known without ground truth
                entry.update(self.without_truth(s, ckpt))
            project.record_stage(s, entry)
            return entry

        run_job(state, ctx, f"retrain-{s}", retraining)
        run_job(state, ctx, f"evaluate-{s}", evaluation, main_only=True)

    def without_truth(self, s: int, checkpoint: str) -> dict:
        """Stage ``s``'s inconsistency share (of its proposals) and its model's agreement
        with the previous stage's on the pool (``engine.no_truth``)."""
        ctx, state = self.ctx, self.state
        proposed = state.result(f"propose-{s}") if state.done(f"propose-{s}") else {}
        agreement = pool_agreement(
            checkpoint,
            self.model_after(s - 1),
            ctx.cfg.model,
            ctx.data.target,
            ctx.cfg.data.input_size,
            ctx.rt,
            ctx.progress,
            ctx.cancel,
        )
        return {"inconsistency_share": proposed.get("inconsistency_share"), "agreement": agreement}

    def history(self) -> list[dict]:
        rows = [{"stage": 0, **self.start["evaluation"], "budget": None}]
        for s in range(1, self.ctx.cfg.stages + 1):
            if self.state.done(f"evaluate-{s}"):
                rows.append({"stage": s, **self.state.result(f"evaluate-{s}")})
        return rows


def _read_labels(path: Path) -> dict[int, np.ndarray]:
    """Other ranks read the labels rank 0 wrote, without taking the writer's lock."""
    with Project.open(path, read_only=True) as p:
        return {i: lab for i, (lab, _) in p.labels_snapshot().items()}
