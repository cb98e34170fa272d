"""Algorithm 1 as a sequence of resumable jobs.

    pretrain -> warmup -> evaluate-0 -> for each stage s:
        selector-s -> propose-s -> annotate-s -> retrain-s -> evaluate-s

``warm_start`` (engine/warm_start.py) runs the first three (shared by every strategy of a
comparison); ``StageEngine`` runs the stages of one strategy into a run folder holding the
ledger (``state.json``), the checkpoints and the project store.  The annotator
is pluggable: the simulated one reads ground truth; the desktop application runs
the same jobs around a person.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from ..core.checkpoint import load_model, save_checkpoint
from ..core.strategies import get_strategy, label_unit
from ..data.class_table import ClassTable
from ..data.readers import read_sample_label
from ..store import Project
from .jobs.adaptation import retrain, retrain_config
from .jobs.annotator import annotate, budget_used
from .jobs.coverage import write_coverage_proposals
from .jobs.no_truth import pool_agreement
from .jobs.proposals import OnProposal, Revealed, revealed_masks, write_proposals
from .jobs.runtime import seed_job
from .jobs.selector_job import load_selector, probe_images, save_selector, train_selector
from .projects.projects import create_project
from .run_jobs import Context, evaluate_on_val, run_job
from .run_state import RunState


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
        table: ClassTable | None = None,
        first_points: str = "kcentre",
    ) -> None:
        """``counts``: per stage, the number of points (or pixels) to ask for on each
        pool image, for baselines matched to a LabOR strategy's measured budget.
        ``table``: the project's classes (Cityscapes' by default).  A cold start (``start``
        says ``cold_start``: a new head) asks at stage 1 for points chosen for coverage
        (``first_points``: ``engine.jobs.coverage.PICKS``), and from stage 2 as the strategy."""
        get_strategy(strategy)
        self.out, self.ctx, self.strategy, self.start = Path(out).resolve(), ctx, strategy, start
        self.counts = {int(k): list(v) for k, v in counts.items()} if counts else None
        self.table, self.cold = table, bool(start.get("cold_start"))
        self.first_points = first_points
        key = {"config": ctx.cfg.to_dict(), "strategy": strategy, "start": start["sha256"]}
        if self.counts:
            key["counts"] = self.counts
        if self.cold:
            key["first_points"] = first_points
        self.state = RunState(self.out, key, ctx.rt.is_main)

        def read_truth(i: int) -> np.ndarray:
            sample = ctx.data.target[i]
            assert sample.label is not None  # the pool is loaded with its labels when the annotator is simulated
            return read_sample_label(sample)

        self.truth = truth or read_truth
        self.project_path = Path(project_path).resolve() if project_path else self.out / "project.labor.h5"
        self._revealed: Revealed | None = None  # what the stages so far asked for, once read

    def _open_project(self) -> Project:
        if self.project_path.exists():
            return Project.open(self.project_path)
        return create_project(
            self.project_path,
            self.ctx.cfg,
            self.ctx.data,
            self.strategy,
            self.start["checkpoint"],
            self.table,
            cold_start=self.start.get("cold_start"),
        )

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
        """Stage ``s`` ends with the model it started from (its retraining is set aside; its
        evaluation stays in the history, marked rejected)."""
        done = self.state.done(f"evaluate-{s}")
        ev = self.state.result(f"evaluate-{s}") if done else {}
        rejected = {k: ev[k] for k in ("miou", "iou", "agreement") if ev.get(k) is not None}
        self.state.finish(
            f"retrain-{s}",
            {
                "checkpoint": self.model_after(s - 1),
                "skipped": "kept the previous model",
                "labels": labels_tag,
                **({"rejected": rejected} if rejected else {}),
            },
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
        if self.cold and s == 1:  # a new head: the first points are chosen for coverage
            run_job(state, ctx, "propose-1", partial(self._coverage, project, on_proposal), main_only=True)
            return
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
                mask_share=cfg.selector.target_share,
                cap_pick=cfg.selector.cap_pick,
            )

        if needs_selector:
            run_job(state, ctx, f"selector-{s}", selector)
        run_job(state, ctx, f"propose-{s}", proposals, main_only=True)

    def _coverage(self, project: Project | None, on_proposal: OnProposal | None, seed: int) -> dict:
        ctx, cfg = self.ctx, self.ctx.cfg
        assert project is not None  # a main_only job: the main rank holds the project
        return write_coverage_proposals(
            project,
            1,
            load_model(self.model_after(0), cfg.model),
            ctx.data.target,
            cfg.data.input_size,
            cfg.budget,
            label_unit(self.strategy, cfg.budget),
            self.first_points,
            seed,
            ctx.rt,
            ctx.progress,
            ctx.cancel,
            workers=cfg.data.workers,
            on_proposal=on_proposal,
        )

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
                else evaluate_on_val(load_model(ckpt, cfg.model), ctx)
            )
            assert project is not None  # a main_only job: the main rank holds the project
            unit = label_unit(self.strategy, cfg.budget)
            self._revealed = revealed_masks(project, s, unit)  # the next stage's proposals reuse it
            budget = budget_used(project, s, cfg.budget, labels=labels, revealed=self._revealed)
            answered = state.result(f"annotate-{s}") if state.done(f"annotate-{s}") else {}
            if "noise_rate" in answered:  # regions: the simulated annotator's wrong labels this stage
                budget["noise_rate"] = answered["noise_rate"]
            entry = {**ev, "budget": budget, "checkpoint": ckpt, "strategy": self.strategy}
            rejected = state.result(f"retrain-{s}").get("rejected") if state.done(f"retrain-{s}") else None
            if rejected:  # the annotator kept the previous model: what the rejected one scored
                entry["rejected"] = rejected
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
