"""A new project from a person's choices (``labor new`` and the window's New project
dialog): the images to label, an optional validation set, an optional source domain,
the class table, an optional starting checkpoint, the strategy and the settings.
Every choice is checked before anything is written; the first problem raises
``PlanError`` naming the choice (the dialog shows it beside that field)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...core.checkpoint import CheckpointError, backbone_model, checkpoint_classes, load_model
from ...core.model import ModelConfig
from ...core.strategies import STRATEGIES, get_strategy
from ...data.class_table import ClassTable
from ...data.folders import printable
from ...data.io import DataError
from ..config import ExperimentConfig, check_init_weights, load_config
from .experiment_data import ExperimentData
from .folder_data import data_spec, find_labeled, find_pool
from .projects import create_project

# Checkpoint families a new project may start from (label -> ModelConfig preset; None: ours).
CHECKPOINT_STYLES = {
    "this program's": None,
    "AdaptSegNet": "adaptsegnet",
    "ADVENT": "advent",
    "IAST": "iast",
    "CRST": "crst",
}
# What a person can label: not the baselines that ask for no labels (uda, iast) or for all.
LABELING_STRATEGIES = tuple(n for n, st in STRATEGIES.items() if st.unit not in ("none", "all"))


class PlanError(ValueError):
    """A choice that cannot make a project; ``field`` names the choice (the dialog's field)."""

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
    table: ClassTable = field(default_factory=ClassTable.cityscapes)
    spec: dict | None = None
    sizes: list[tuple[int, int]] | None = None
    notes: list[str] = field(default_factory=list)  # what the person should know (skipped files, ...)
    cold_start: dict | None = None  # a checkpoint's backbone with a new head (``_checkpoint``)

    def create(self) -> Path:
        create_project(
            self.file,
            self.cfg,
            self.data,
            self.strategy,
            self.start_checkpoint,
            self.table,
            self.spec,
            self.sizes,
            cold_start=self.cold_start,
        ).close()
        return self.file


def project_file(file: str) -> Path:
    file = file.strip()
    if not file:
        raise PlanError("file", "choose where to save the project file")
    return Path(file if file.endswith(".labor.h5") else file + ".labor.h5")


def _checkpoint(
    cfg: ExperimentConfig, start: str, family: str | None, table: ClassTable, source: str
) -> tuple[ExperimentConfig, str | None]:
    """``cfg`` with the checkpoint's model, and the cold start's one line when its head does
    not fit the table (or it has none) and there is no source data: then the model is its
    backbone with a new head for the table's classes (``engine.warm_start``)."""
    k = len(table)
    try:
        expected = ModelConfig.preset(family, num_classes=k) if family else cfg.model
        found, classes = checkpoint_classes(start, expected)
        if family and found.backbone != expected.backbone:  # a style names its backbone too
            raise PlanError(
                "checkpoint",
                f"{start}: holds a {found.backbone} backbone, but checkpoints written by {family} are "
                f"{expected.backbone}; choose the program that wrote it (or this program's)",
            )
        if classes == k:
            return replace(cfg, model=load_model(start, replace(found, num_classes=k) if family else None).cfg), None
        if source:
            raise PlanError(
                "checkpoint",
                f"{start}: its classifier has {classes} classes but the class table has {k} ({table.source}); "
                "give a checkpoint trained on these classes, or leave out the source data to start cold "
                "from its backbone with a new head",
            )
        model = backbone_model(start, replace(found, num_classes=k))  # refuses another backbone, saying why
    except (CheckpointError, OSError) as e:
        raise PlanError("checkpoint", str(e)) from None
    has = f"its classifier has {classes} classes, the class table {k}" if classes else "it has no classifier"
    return replace(cfg, model=model.cfg), cold_line(Path(start).name, has, k)


def describe_start(checkpoint: str, style: str, classes: str, source: str) -> str:
    """The cold start's one line for these choices, or "" (no cold start, or a choice that
    ``plan_project`` will refuse, saying why): what the New-project dialog shows as they change."""
    if not checkpoint.strip() or source.strip():
        return ""
    try:
        table = ClassTable.load(classes.strip()) if classes.strip() else ClassTable.cityscapes()
        family = CHECKPOINT_STYLES.get(style)
        base = ModelConfig.preset(family, num_classes=len(table)) if family else ModelConfig(num_classes=len(table))
        model, found = checkpoint_classes(checkpoint.strip(), base)
    except (CheckpointError, DataError, OSError, ValueError):
        return ""
    if found == len(table) or (family and model.backbone != base.backbone):  # no cold start, or refused
        return ""
    has = f"its classifier has {found} classes, the class table {len(table)}" if found else "it has no classifier"
    return cold_line(Path(checkpoint.strip()).name, has, len(table))


def cold_line(name: str, has: str, k: int) -> str:
    return (
        f"cold start: {name}: {has}; the model is its backbone with a new head for the {k} classes "
        "(initialised fresh), stage 1 asks for points chosen to cover the images, LabOR's selector from stage 2"
    )


def plan_project(
    *,
    images: str,
    file: str,
    source: str = "",
    val: str = "",
    classes: str = "",
    checkpoint: str = "",
    style: str = "this program's",
    strategy: str = "ppl",
    preset_name: str = "demo",
    config_file: str = "",
    skip_unreadable: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ProjectPlan:
    """Check every choice, cheapest first; scanning the images comes last."""
    path = project_file(file)
    if path.exists():
        raise PlanError("file", f"{path}: exists already; open it instead, or choose another name")
    if not path.parent.is_dir():
        raise PlanError("file", f"{path.parent}: folder not found")
    if strategy not in LABELING_STRATEGIES:
        raise PlanError("strategy", f"strategy {strategy!r}: a person can label with {', '.join(LABELING_STRATEGIES)}")
    get_strategy(strategy)
    try:
        cfg = load_config(config_file.strip() or None, base=preset_name)
    except ValueError as e:
        raise PlanError("config", str(e)) from None
    try:
        table = ClassTable.load(classes.strip()) if classes.strip() else ClassTable.cityscapes()
    except DataError as e:
        raise PlanError("classes", str(e)) from None
    family = CHECKPOINT_STYLES[style]
    cfg = replace(cfg, model=replace(cfg.model, num_classes=len(table)))
    start = checkpoint.strip() or None
    source = source.strip()
    cold = None
    if start:
        cfg, cold_line = _checkpoint(cfg, start, family, table, source)
        start = str(Path(start).resolve())  # the project opens from any working directory
        if cold_line is not None:
            if STRATEGIES[strategy].unit not in ("points", "pixels"):
                raise PlanError(
                    "strategy",
                    f"a cold start asks for points at stage 1: choose a point or pixel strategy, not {strategy}",
                )
            cold = {"backbone_from": start, "head": f"new, {len(table)} classes, initialised fresh", "note": cold_line}
    if not start and not source:
        raise PlanError(
            "source",
            "without a starting checkpoint the model is first trained on labelled source data: give a source "
            "folder (GTA5 or Cityscapes layout, or images with NAME_label.png), or a checkpoint that fits the classes",
        )
    try:
        check_init_weights(cfg, start)
    except ValueError as e:
        raise PlanError("config", str(e)) from None
    if cfg.retrain.source_weight > 0 and not source:
        raise PlanError(
            "source",
            f"[retrain] source_weight = {cfg.retrain.source_weight} needs source data; give one or set it to 0",
        )
    notes: list[str] = [cold["note"]] if cold else []
    src_found = None
    if source:
        try:
            src_found = find_labeled(source, table, "source")
        except DataError as e:
            raise PlanError("source", str(e)) from None
        if start and cfg.retrain.source_weight == 0:
            notes.append("the source data is not used: the model starts from the checkpoint and retrains without it")
    val_found = None
    if val.strip():
        try:
            val_found = find_labeled(val.strip(), table, "validation")
        except DataError as e:
            raise PlanError("val", str(e)) from None
    try:
        layout, scan = find_pool(images.strip(), skip_unreadable, progress)
    except DataError as e:
        raise PlanError("images", str(e)) from None
    if scan.unreadable:
        notes.append(
            f"left out {len(scan.unreadable)} image(s) that cannot be read:\n"
            + "\n".join(f"  {printable(u.path)}: {u.reason}" for u in scan.unreadable)
        )
    root = Path(images.strip())
    if val_found is None and layout == "cityscapes" and (root / "gtFine" / "val").is_dir() and table.is_cityscapes():
        val_found = find_labeled(root, table, "validation")
    n = cfg.data.max_target_images
    pool, sizes = scan.samples[:n], scan.sizes[:n]
    if len(pool) < len(scan.samples):
        notes.append(
            f"the settings take the first {len(pool)} of the {len(scan.samples)} images ([data] max_target_images)"
        )
    vals = val_found[1][: cfg.data.max_val_images] if val_found else []
    data = ExperimentData(
        Path(source) if source else None, root, src_found[1] if src_found else [], pool, vals, cfg.data
    )
    spec = data_spec(
        layout,
        (val_found[0], Path(val.strip() or images.strip())) if val_found else None,
        (src_found[0], Path(source)) if src_found else None,
        [
            printable(u.path.relative_to(root).as_posix() if u.path.is_relative_to(root) else u.path)
            for u in scan.unreadable
        ],
    )
    if not vals:
        notes.append("no validation set: stages report no mIoU, only what can be known without ground truth")
    return ProjectPlan(cfg, data, start, path, strategy, table, spec, sizes, notes, cold)
