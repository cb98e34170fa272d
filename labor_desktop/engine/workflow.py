"""Algorithm 1 around a person: the window's one door to the engine.

A project ``NAME.labor.h5`` keeps its experiment settings in ``settings.extra`` and its
checkpoints and job ledger in the folder ``NAME.labor.run/`` beside it.  ``bootstrap``
trains (or loads) the starting model and writes stage 1's proposals; ``advance`` ends
the current stage (retrain on every label so far, evaluate) and writes the next
stage's proposals.  The current stage is the last one whose proposals are complete,
so a cancelled advance leaves the project as it was.

Constructing a workflow is cheap: the data folders are scanned and the device is
chosen only when a job needs them, so the window can ask questions (current stage,
label unit, the model to predict with) without waiting.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import numpy as np

from ..core.sam import SamAssist, SamUnavailable, sam_available, sam_folder
from ..core.strategies import STRATEGIES, Budget, label_unit
from ..data.demo_generator import DemoDataConfig, generate_demo_data
from ..data.io import DataError, read_image
from ..safe_files import replace_atomically
from ..store import UNLABELED, Project
from .config import PRESETS, ExperimentConfig, preset
from .events import Cancelled, OutOfMemory, Progress
from .jobs.proposals import OnProposal, image_superpixels
from .jobs.runtime import Runtime
from .projects.experiment_data import ExperimentData
from .projects.export import NotAnExportFolder, export_project
from .projects.folder_data import project_data
from .projects.formats import EXPORT_FORMATS, IMPORT_FORMATS
from .projects.formats.importing import PRIOR, ImportPlan, ImportRefused, import_labels
from .projects.new_project import (
    CHECKPOINT_STYLES,
    LABELING_STRATEGIES,
    PlanError,
    ProjectPlan,
    describe_start,
    plan_project,
)
from .projects.projects import (
    DEMO_STEPS,
    GroundTruth,
    create_project,
    demo_project_path,
    demo_ready,
    demo_step,
    run_folder,
)
from .run_jobs import Context
from .run_state import RunState
from .stages import StageEngine
from .warm_start import warm_start

__all__ = [
    "CHECKPOINT_STYLES",
    "DEMO_STEPS",
    "Cancelled",
    "DataError",
    "GroundTruth",
    "NotAnExportFolder",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ImportPlan",
    "ImportRefused",
    "PRIOR",
    "LABELING_STRATEGIES",
    "OutOfMemory",
    "PRESETS",
    "STRATEGIES",
    "SamAssist",
    "SamUnavailable",
    "PlanError",
    "Progress",
    "ProjectPlan",
    "ProjectWorkflow",
    "create_project",
    "demo_project_path",
    "demo_ready",
    "demo_step",
    "plan_project",
    "describe_start",
    "prepare_demo",
    "read_image",
    "run_folder",
    "sam_available",
    "sam_folder",
]


def labels_fingerprint(project: Project, labels: dict[int, np.ndarray] | None = None) -> str:
    """Changes whenever any label changes: retraining done on older labels is redone.
    ``labels``: the labelled images' labels when already read (else they are read here)."""
    if labels is None:
        labels = {i: lab for i, (lab, _) in project.labels_snapshot().items()}
    h = hashlib.sha256()
    for i, lab in sorted(labels.items()):
        h.update(str(i).encode())
        h.update(lab.tobytes())
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
        self.progress, self.cancel, self.runtime = progress, cancel, runtime
        self.folder = run_folder(project.path)
        self._cfg: ExperimentConfig | None = None
        self._ctx: Context | None = None
        self._engine: StageEngine | None = None
        self._building = threading.Lock()  # prediction jobs and a stage job may ask at once
        self.labels_read: dict[int, np.ndarray] | None = None  # what the last ``finish`` read, once
        self.priors_read: dict[int, int] = {}  # and its imported (stage 0) pixels per image

    # ---- questions the window asks (no data scan, no torch device) ----------------------
    @property
    def config(self) -> ExperimentConfig:
        """The experiment settings saved with the project."""
        if self._cfg is None:
            self._cfg = ExperimentConfig.from_dict(self.project.settings.extra["experiment"])
        return self._cfg

    @property
    def label_unit(self) -> str:
        """What the annotator labels: "points", "pixels" or "all"."""
        extra = self.project.settings.extra.get("experiment", {})
        budget = Budget(**extra["budget"]) if "budget" in extra else Budget()
        return label_unit(self.project.settings.strategy, budget)

    def superpixels(self, i: int, region_size: int | None = None) -> np.ndarray:
        """Image ``i``'s superpixels (int32 ``[H, W]`` ids): the Region tool's regions, the
        same the ``regions`` strategies ask for (``[budget] region_size``, or the size a
        stage's proposal was made with)."""
        extra = self.project.settings.extra.get("experiment", {})
        budget = Budget(**extra["budget"]) if "budget" in extra else Budget()
        entry = self.project.images[i]
        size = budget.region_size if region_size is None else region_size
        return image_superpixels(self.project.image_path(i), size, (entry.height, entry.width))

    def current_stage(self) -> int:
        """The stage being labeled (0: not bootstrapped yet)."""
        done = RunState.finished_jobs(self.folder)
        if done is None:  # e.g. a project written by `labor simulate`, opened to look at
            return max(self.project.proposal_stages(), default=0)
        return StageEngine.stage_proposed(done)

    def current_model(self) -> str:
        """Checkpoint of the model that made the current stage's proposals."""
        if RunState.finished_jobs(self.folder) is None:
            raise ValueError(f"{self.folder}: no model yet; the project has not been bootstrapped here")
        engine = self.engine()
        engine.state.reload()  # another workflow (the stage job) may have finished jobs since
        return engine.model_after(max(0, self.current_stage() - 1))

    def predict(self, image: np.ndarray):
        """Softmax ``[K, H, W]`` of the current stage's model for one image (CPU)."""
        from .jobs.predict import predict_probs_image

        cfg = self.config
        return predict_probs_image(self.current_model(), cfg.model, image, cfg.data.input_size)

    def panels(self, image, probs, mask, points, truth):
        """The Fig. 6 view's panels for one image (ground truth in the project's colours)."""
        from .jobs.predict import selection_panels

        return selection_panels(image, probs, mask, points, truth, np.array(self.project.settings.colors, np.uint8))

    def export(self, folder: str | Path, replace: bool = False, fmt: str = "cityscapes") -> dict:
        """Labels in ``fmt``, CSVs and the current model into ``folder`` (made if missing; see
        ``export_project`` for which folders are refused unless ``replace``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        summary = export_project(self.project.path, folder, replace=replace, fmt=fmt)
        try:
            model = self.current_model()
        except ValueError:
            model = None
        if model:
            with open(model, "rb") as source:  # never through a link placed at model.pt
                replace_atomically(folder / "model.pt", lambda f: shutil.copyfileobj(source, f))
            summary["files"] = [*summary["files"], "model.pt"]
        return summary

    def import_labels(self, source: str | Path, fmt: str, stage: int = PRIOR, dry_run: bool = False) -> ImportPlan:
        """Labels made elsewhere into the open project (``formats.importing``): raises
        ``ImportRefused`` (one line per problem, nothing written) on bad input."""
        return import_labels(self.project, source, fmt, stage, dry_run)

    def listen(self, progress: Progress | None, cancel: threading.Event | None) -> None:
        """Report to (and be cancelled by) another caller from now on: the window runs a
        stage's end and the next proposals as two jobs on one workflow."""
        self.progress, self.cancel = progress, cancel
        if self._ctx is not None:
            self._ctx.progress, self._ctx.cancel = progress, cancel

    # ---- jobs --------------------------------------------------------------------------
    def _context(self) -> Context:
        if self._ctx is None:
            settings, cfg = self.project.settings, self.config
            data = project_data(self.project, cfg.data)
            if len(data.target) != len(self.project.images):
                raise ValueError(
                    f"{settings.target_root}: holds {len(data.target)} pool images but the project "
                    f"has {len(self.project.images)}; point the project at its original target folder"
                )
            rt = self.runtime or Runtime.create(cfg.device, amp=cfg.amp, channels_last=cfg.channels_last)
            self._ctx = Context(cfg, data, rt, self.progress, self.cancel)
        return self._ctx

    def engine(self) -> StageEngine:
        with self._building:
            if self._engine is None:
                ctx, extra = self._context(), self.project.settings.extra
                cold = extra.get("cold_start")  # a checkpoint's backbone, a new head (engine.warm_start)
                start = warm_start(self.folder / "warm-start", ctx, extra.get("start_checkpoint"), new_head=bool(cold))
                self._engine = StageEngine(
                    self.folder,
                    ctx,
                    self.project.settings.strategy,
                    start,
                    project_path=self.project.path,
                    first_points=cold.get("first_points", "kcentre") if cold else "kcentre",
                )
            return self._engine

    def bootstrap(self, on_proposal: OnProposal | None = None) -> int:
        """Starting model and stage 1's proposals (resumes where a cancel stopped it);
        ``on_proposal(i, mask, points)`` sees each proposal as it is written."""
        engine = self.engine()
        if not any(h["stage"] == 0 for h in self.project.history()):
            ev = engine.evaluation(0)  # the starting model: the history chart's first point
            self.project.record_stage(
                0,
                {
                    **ev,
                    "budget": {"unit": "none", "pixel_share": 0.0, "points_per_image": 0.0},
                    "checkpoint": engine.model_after(0),
                    **({"cold_start": engine.start["cold_start"]} if "cold_start" in engine.start else {}),
                },
            )
        engine.prepare_stage(self.project, 1, on_proposal)
        return 1

    def finish(self) -> dict:
        """End the current stage: retrain on every label so far and evaluate.  Returns the
        stage, its evaluation and the one before, so the caller can see a model get worse."""
        engine = self.engine()
        s = max(1, self.current_stage())
        snapshot = self.project.labels_snapshot()  # read once per advance
        labels = {i: lab for i, (lab, _) in snapshot.items()}
        self.labels_read = labels
        self.priors_read = {
            i: int(np.count_nonzero((lab != UNLABELED) & (stg == 0))) for i, (lab, stg) in snapshot.items()
        }
        fingerprint = labels_fingerprint(self.project, labels)
        engine.labels_changed(s, fingerprint)
        engine.finish_stage(self.project, s, labels_tag=fingerprint, labels=labels)
        return {"stage": s, "before": engine.evaluation(s - 1), "after": engine.evaluation(s)}

    def keep_previous_model(self, s: int) -> None:
        """The annotator's choice after a retraining that made things worse: stage ``s``
        keeps the model it started from; the next stage's pixels are proposed with it."""
        engine = self.engine()
        engine.keep_previous_model(self.project, s, labels_fingerprint(self.project))

    def propose_next(self, on_proposal: OnProposal | None = None) -> int:
        """Proposals of the stage after the current one; returns the new current stage."""
        s = max(1, self.current_stage())
        self.engine().prepare_stage(self.project, s + 1, on_proposal)
        return s + 1

    def advance(self) -> int:
        """End the current stage and propose the next; returns the new current stage."""
        self.finish()
        return self.propose_next()


# The desktop demo's data: drawn at 512x1024 for viewing and labeling (the "desktop"
# preset runs the model at 128x256); only the 60 pool images are made.
DESKTOP_DEMO_DATA = DemoDataConfig(size=(512, 1024), n_source=300, n_target=60, n_val=60)
# The test preset's first run (`labor-desktop --demo-config smoke`): the tests' tiny data set, not
# the benchmark's 560 images, which made one test of the real first run take 167 s under load.
SMOKE_DEMO_DATA = DemoDataConfig(size=(64, 128), n_source=12, n_target=8, n_val=4)
DEMO_DATA = {"desktop": DESKTOP_DEMO_DATA, "smoke": SMOKE_DEMO_DATA}


def prepare_demo(
    root: Path,
    config: str = "desktop",
    data_cfg: DemoDataConfig | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Demo data, the demo project, its warm-up model and stage 1's proposals
    (resumable: each part that is done is skipped).  The data is ``data_cfg``, else
    the preset's own (``DEMO_DATA``: 512x1024 for "desktop"), else the generator's
    default (the benchmark's 128x256)."""
    report = progress or (lambda job, step, total, info: None)

    def data_progress(job: str, step: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled(job)
        report(f"demo data: {job}", step, total, {})

    data = Path(root) / "data"
    if not (data / "demo-data.json").exists():
        generate_demo_data(data, data_cfg or DEMO_DATA.get(config, DemoDataConfig()), data_progress)
    path = demo_project_path(root)
    cfg = preset(config)
    if not path.exists():
        create_project(path, cfg, ExperimentData.find(cfg.data, data), "ppl").close()
    with Project.open(path) as project:
        ProjectWorkflow(project, progress, cancel).bootstrap()
    return path
