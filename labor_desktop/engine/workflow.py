"""Algorithm 1 around a person: the jobs the desktop application runs on a project.

A project ``NAME.labor.h5`` keeps its experiment settings in ``settings.extra`` and its
checkpoints and job ledger in the folder ``NAME.labor.run/`` beside it.  ``bootstrap``
trains (or loads) the starting model and writes stage 1's proposals; ``advance`` ends
the current stage (retrain on every label so far, evaluate) and writes the next
stage's proposals.  The current stage is the last one whose proposals are complete,
so a cancelled advance leaves the project as it was.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from ..store import Project
from .config import ExperimentConfig
from .experiment_data import ExperimentData
from .runtime import Runtime
from .stages import Context, StageEngine, warm_start
from .training import Progress


def run_folder(project_path: str | Path) -> Path:
    p = Path(project_path)
    return p.with_name(p.name.removesuffix(".h5") + ".run")


def labels_fingerprint(project: Project) -> str:
    """Changes whenever any label changes: retraining done on older labels is redone."""
    h = hashlib.sha256()
    for i, (labels, _) in sorted(project.labels_snapshot().items()):
        h.update(str(i).encode())
        h.update(labels.tobytes())
    return h.hexdigest()


class ProjectWorkflow:
    def __init__(
        self,
        project: Project,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        self.project = project
        settings = project.settings
        self.cfg = ExperimentConfig.from_dict(settings.extra["experiment"])
        data = ExperimentData.find(
            self.cfg.data, source=settings.source_root, target=settings.target_root, need_truth=False, need_val=False
        )
        if len(data.target) != len(project.images):
            raise ValueError(
                f"{settings.target_root}: holds {len(data.target)} pool images but the project "
                f"has {len(project.images)}; point the project at its original target folder"
            )
        rt = runtime or Runtime.create(self.cfg.device, amp=self.cfg.amp, channels_last=self.cfg.channels_last)
        self.ctx = Context(self.cfg, data, rt, progress, cancel)
        self.folder = run_folder(project.path)
        self._engine: StageEngine | None = None

    def engine(self) -> StageEngine:
        if self._engine is None:
            start = warm_start(
                self.folder / "warm-start", self.ctx, self.project.settings.extra.get("start_checkpoint")
            )
            self._engine = StageEngine(
                self.folder, self.ctx, self.project.settings.strategy, start, project_path=self.project.path
            )
        return self._engine

    def current_stage(self) -> int:
        """The stage being labeled (0: not bootstrapped yet)."""
        path = self.folder / "state.json"
        if not path.exists():  # e.g. a project written by `labor simulate`, opened to look at
            return max(self.project.proposal_stages(), default=0)
        jobs = json.loads(path.read_text())["jobs"]
        return max((int(j.split("-")[1]) for j in jobs if j.startswith("propose-")), default=0)

    def current_model(self) -> str:
        """Checkpoint of the model that made the current stage's proposals."""
        if not (self.folder / "state.json").exists():
            raise ValueError(f"{self.folder}: no model yet; the project has not been bootstrapped here")
        return self.engine().model_after(max(0, self.current_stage() - 1))

    def bootstrap(self) -> int:
        """Starting model and stage 1's proposals (resumes where a cancel stopped it)."""
        engine = self.engine()
        if not any(h["stage"] == 0 for h in self.project.history()):
            ev = engine.evaluation(0)  # the starting model: the history chart's first point
            self.project.record_stage(
                0,
                {
                    **ev,
                    "budget": {"unit": "none", "pixel_share": 0.0, "points_per_image": 0.0},
                    "checkpoint": engine.model_after(0),
                },
            )
        engine.prepare_stage(self.project, 1)
        return 1

    def advance(self) -> int:
        """End the current stage and propose the next; returns the new current stage."""
        engine = self.engine()
        s = max(1, self.current_stage())
        fingerprint = labels_fingerprint(self.project)
        state = engine.state
        if state.done(f"retrain-{s}") and state.result(f"retrain-{s}").get("labels") != fingerprint:
            state.forget([f"retrain-{s}", f"evaluate-{s}", f"selector-{s + 1}", f"propose-{s + 1}"])
        engine.finish_stage(self.project, s, labels_tag=fingerprint)
        engine.prepare_stage(self.project, s + 1)
        return s + 1
