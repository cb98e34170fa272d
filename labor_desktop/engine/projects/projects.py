"""Making projects: over an experiment's data, from the New-project dialog's
choices (checked before anything is written), and the demo project of the first
run; and finding a pool image's ground truth where the target folder has it.

The window reaches these through ``engine.workflow``; the stage engine uses
``create_project`` for simulated runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.strategies import get_strategy
from ...data.class_table import ClassTable
from ...data.folders import label_for
from ...data.io import DataError, IdMap, image_size, read_label
from ...data.readers import cityscapes_samples
from ...store import ImageEntry, Project, ProjectSettings
from ..config import ExperimentConfig
from .experiment_data import ExperimentData


def run_folder(project_path: str | Path) -> Path:
    """``NAME.labor.h5``'s checkpoints and job ledger live in ``NAME.labor.run/``."""
    p = Path(project_path)
    return p.with_name(p.name.removesuffix(".h5") + ".run")


def create_project(
    path: str | Path,
    cfg: ExperimentConfig,
    data: ExperimentData,
    strategy: str,
    start_checkpoint: str | None = None,
    table: ClassTable | None = None,
    data_spec: dict | None = None,
    sizes: list[tuple[int, int]] | None = None,
    cold_start: dict | None = None,
) -> Project:
    """A project over the data's target pool, with the experiment settings and the class
    table inside (Cityscapes' by default).  ``data_spec``: where a folder project's data
    is (``folder_data.data_spec``); ``sizes``: the pool's (height, width), when known;
    ``cold_start``: what a project without source data starts from (a checkpoint's backbone
    and a new head, ``engine.warm_start``), kept in its settings."""
    get_strategy(strategy)
    table = table or ClassTable.cityscapes()
    if sizes is None:
        sizes = [image_size(s.image) for s in data.target]
    images = [ImageEntry(str(s.image.resolve()), h, w) for s, (h, w) in zip(data.target, sizes)]
    extra: dict = {"experiment": cfg.to_dict(), "start_checkpoint": start_checkpoint, "class_table": table.to_dict()}
    if data_spec is not None:
        extra["data"] = data_spec
    if cold_start is not None:
        extra["cold_start"] = cold_start
    settings = ProjectSettings(
        classes=list(table.names),
        colors=[list(c) for c in table.colors],
        source_root=str(data.source_root.resolve()) if data.source_root else "",
        target_root=str(data.target_root.resolve()),
        strategy=strategy,
        stages=cfg.stages,
        model=cfg.model.to_dict(),
        seed=cfg.seed,
        extra=extra,
    )
    return Project.create(path, settings, images)


# ---- ground truth ---------------------------------------------------------------------
class GroundTruth:
    """The pool images' ground-truth label files, where the target folder has them
    (simulated projects, the demo, a folder whose images have ``NAME_label.png``);
    looked up once, read on demand."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._paths: dict[str, tuple[Path, str, IdMap | None]] | None = None

    def _index(self) -> dict[str, tuple[Path, str, IdMap | None]]:
        if self._paths is None:
            settings = self.project.settings
            root = settings.target_root
            self._paths = {}
            saved = settings.extra.get("class_table")
            table = ClassTable.from_dict(saved) if saved else None
            if not root or not Path(root).is_dir():
                return self._paths
            if settings.extra.get("data", {}).get("layout") == "folder":
                assert table is not None  # folder projects are made with their table
                for i in range(len(self.project.images)):
                    image = self.project.image_path(i).resolve()
                    label = label_for(Path(root), image)
                    if label.is_file():
                        self._paths[str(image)] = (label, "table", table.id_map)
            elif table is None or table.is_cityscapes():  # Cityscapes label ids need Cityscapes' classes
                try:
                    samples = cityscapes_samples(root, "train")
                except DataError:
                    samples = []
                self._paths = {str(Path(s.image).resolve()): (s.label, s.label_kind, None) for s in samples if s.label}
        return self._paths

    def has(self, i: int) -> bool:
        return str(self.project.image_path(i).resolve()) in self._index()

    def read(self, i: int) -> np.ndarray | None:
        """Class map of image ``i`` (255: not labelled), or None when it has no ground truth."""
        found = self._index().get(str(self.project.image_path(i).resolve()))
        return None if found is None else read_label(*found)


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
