"""Making projects: over an experiment's data, from the New-project dialog's
choices (checked before anything is written), and the demo project of the first
run; and finding a pool image's ground truth where the target folder has it.

The window reaches these through ``engine.workflow``; the stage engine uses
``create_project`` for simulated runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..core.checkpoint import CheckpointError, load_model
from ..core.model import ModelConfig
from ..core.strategies import get_strategy
from ..data.classes import CLASS_COLORS, CLASS_NAMES
from ..data.io import DataError, image_size, read_label
from ..data.readers import cityscapes_samples
from ..store import ImageEntry, Project, ProjectSettings
from .config import ExperimentConfig, preset
from .experiment_data import ExperimentData

# Checkpoint families a new project may start from (label -> ModelConfig preset; None: ours).
CHECKPOINT_STYLES = {
    "this program's": None,
    "AdaptSegNet": "adaptsegnet",
    "ADVENT": "advent",
    "IAST": "iast",
    "CRST": "crst",
}


def run_folder(project_path: str | Path) -> Path:
    """``NAME.labor.h5``'s checkpoints and job ledger live in ``NAME.labor.run/``."""
    p = Path(project_path)
    return p.with_name(p.name.removesuffix(".h5") + ".run")


def create_project(
    path: str | Path, cfg: ExperimentConfig, data: ExperimentData, strategy: str, start_checkpoint: str | None = None
) -> Project:
    """A project over the data's target pool, with the experiment settings inside."""
    get_strategy(strategy)
    images = [ImageEntry(str(s.image.resolve()), *image_size(s.image)) for s in data.target]
    settings = ProjectSettings(
        classes=list(CLASS_NAMES),
        colors=CLASS_COLORS.tolist(),
        source_root=str(data.source_root.resolve()),
        target_root=str(data.target_root.resolve()),
        strategy=strategy,
        stages=cfg.stages,
        model=cfg.model.to_dict(),
        seed=cfg.seed,
        extra={"experiment": cfg.to_dict(), "start_checkpoint": start_checkpoint},
    )
    return Project.create(path, settings, images)


# ---- ground truth ---------------------------------------------------------------------
class GroundTruth:
    """The pool images' ground-truth label files, where the target folder has them
    (simulated projects, the demo); looked up once, read on demand."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._paths: dict[str, tuple[Path, str]] | None = None

    def _index(self) -> dict[str, tuple[Path, str]]:
        if self._paths is None:
            root = self.project.settings.target_root
            self._paths = {}
            if root and Path(root).is_dir():
                try:
                    samples = cityscapes_samples(root, "train")
                except DataError:
                    samples = []
                self._paths = {str(Path(s.image).resolve()): (s.label, s.label_kind) for s in samples if s.label}
        return self._paths

    def has(self, i: int) -> bool:
        return str(self.project.image_path(i).resolve()) in self._index()

    def read(self, i: int) -> np.ndarray | None:
        """Train-id map of image ``i``, or None when it has no ground truth."""
        found = self._index().get(str(self.project.image_path(i).resolve()))
        return None if found is None else read_label(*found)


# ---- the New-project dialog's choices ----------------------------------------------------
class PlanError(ValueError):
    """A choice that cannot make a project; ``field`` names the dialog's field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ProjectPlan:
    cfg: ExperimentConfig
    data: ExperimentData
    start_checkpoint: str | None
    file: Path
    strategy: str

    def create(self) -> Path:
        create_project(self.file, self.cfg, self.data, self.strategy, self.start_checkpoint).close()
        return self.file


def plan_project(
    *,
    source: str,
    target: str,
    checkpoint: str,
    style: str,
    strategy: str,
    preset_name: str,
    file: str,
) -> ProjectPlan:
    """Check every choice before anything is written; the first problem raises ``PlanError``."""
    cfg = preset(preset_name)
    family = CHECKPOINT_STYLES[style]
    if family is not None:
        cfg = replace(cfg, model=ModelConfig.preset(family))
    try:
        data = ExperimentData.find(
            cfg.data, source=source or None, target=target or None, need_truth=False, need_val=False
        )
    except DataError as e:
        raise PlanError("target" if "target" in str(e).lower() else "source", str(e)) from None
    start = checkpoint.strip() or None
    if start:
        try:
            model = load_model(start, cfg.model if family is not None else None)
        except (CheckpointError, OSError) as e:
            raise PlanError("checkpoint", str(e)) from None
        cfg = replace(cfg, model=model.cfg)
    file = file.strip()
    if not file:
        raise PlanError("file", "choose where to save the project file")
    path = Path(file if file.endswith(".labor.h5") else file + ".labor.h5")
    if path.exists():
        raise PlanError("file", f"{path}: exists already; open it instead, or choose another name")
    if not path.parent.is_dir():
        raise PlanError("file", f"{path.parent}: folder not found")
    get_strategy(strategy)
    return ProjectPlan(cfg, data, start, path, strategy)


# ---- the demo project of the first run -------------------------------------------------------
DEMO_STEPS = ("demo data", "pre-train", "warm-up", "evaluate", "propose")


# The progress jobs of each step; the pixel selector is trained as part of proposing.
DEMO_JOB_PREFIXES = (("demo data",), ("pre-train",), ("warm-up",), ("evaluate",), ("pixel selector", "proposals"))


def demo_step(job: str) -> int:
    """Which of ``DEMO_STEPS`` (0-based) a progress event's job belongs to."""
    for i, prefix in enumerate(DEMO_JOB_PREFIXES):
        if job.startswith(prefix):
            return i
    return 1


def demo_project_path(root: Path) -> Path:
    return Path(root) / "demo.labor.h5"


def demo_ready(root: Path) -> bool:
    path = demo_project_path(root)
    if not path.exists():
        return False
    with Project.open(path, read_only=True) as p:
        return bool(p.proposal_stages())
