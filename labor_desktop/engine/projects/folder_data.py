"""The data of a project made from a person's own folders: the images to label (a
plain folder, or a Cityscapes-layout root), an optional validation set and an optional
source domain, read in the project's class table.

What each folder is, is decided by what it holds (``data.readers.detect_layout``):

| folder | pool (``--images``) | labelled (``--val``, ``--source``) |
|---|---|---|
| ``leftImg8bit/`` inside | Cityscapes ``train`` split | Cityscapes ``val`` (validation) / ``train`` (source) split, label ids |
| ``images/`` + ``labels/`` | plain folder (``images/``) | GTA5 (Cityscapes label ids) with Cityscapes' table, else the ``labels/`` twin tree in the table's ids |
| anything else | plain folder | images + ``NAME_label.png`` (or a ``labels/`` twin tree) in the table's ids |

Cityscapes and GTA5 label files hold Cityscapes label ids, which only Cityscapes' own
19-class table can read; with another table they are refused.  A project keeps where
its data is (``settings.extra["data"]``) and its pool is its own image table, so
reopening never rescans the images folder (images added later do not join a project).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...data.class_table import ClassTable, table_from_settings
from ...data.folders import FolderScan, labeled_folder_samples, scan_images
from ...data.io import DataError, read_label
from ...data.readers import Sample, cityscapes_samples, detect_layout, gta5_samples
from ...store import Project, ProjectSettings
from ..config import DataConfig
from .experiment_data import ExperimentData

SPOT_CHECKS = 3  # label files of a labelled folder read when it is chosen


def project_table(settings: ProjectSettings) -> ClassTable:
    """The class table saved with a project (Cityscapes' for projects made before tables)."""
    return table_from_settings(settings.classes, settings.colors, settings.extra.get("class_table"))


def _cityscapes_only(root: Path, layout: str, table: ClassTable, what: str) -> None:
    if not table.is_cityscapes():
        raise DataError(
            f"{root}: a {layout}-layout {what} folder holds Cityscapes label ids, which the class table "
            f"{table.source} ({len(table)} classes) cannot read; give images with label PNGs in the table's ids "
            "(NAME.png + NAME_label.png, or a labels/ twin tree) or use Cityscapes' classes"
        )


def find_labeled(root: str | Path, table: ClassTable, what: str) -> tuple[str, list[Sample]]:
    """A labelled folder (``what``: "validation" or "source") as (layout, samples)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: {what} folder not found")
    layout = detect_layout(root)
    if layout == "cityscapes":
        _cityscapes_only(root, "Cityscapes", table, what)
        return layout, cityscapes_samples(root, "val" if what == "validation" else "train", require_labels=True)
    if layout == "gta5" and table.is_cityscapes():
        return layout, gta5_samples(root)
    samples = labeled_folder_samples(root, table.id_map, what)
    for sample in samples[:SPOT_CHECKS]:  # labels in other ids are refused now, not mid-training
        assert sample.label is not None  # a labelled folder's samples all have one
        read_label(sample.label, sample.label_kind, sample.id_map)
    return "folder", samples


def find_pool(
    root: str | Path, skip_unreadable: bool = False, progress: Callable[[int, int], None] | None = None
) -> tuple[str, FolderScan]:
    """The images to label as (layout, scan); files that cannot be used stop it with one
    message naming each, unless ``skip_unreadable`` (then they are left out)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: images folder not found; choose the folder that holds the images to label")
    layout = "cityscapes" if detect_layout(root) == "cityscapes" else "folder"
    files = [s.image for s in cityscapes_samples(root, "train")] if layout == "cityscapes" else None
    scan = scan_images(root, progress, files)
    if scan.unreadable and not skip_unreadable:
        raise DataError(scan.problem())
    if not scan.samples:
        raise DataError(f"{root}: none of the {len(scan.unreadable)} images can be read:\n" + scan.problem())
    return layout, scan


def data_spec(layout: str, val: tuple[str, Path] | None, source: tuple[str, Path] | None, skipped: list[str]) -> dict:
    """What a project saves of where its data is (``settings.extra["data"]``)."""
    return {
        "layout": layout,
        "val": str(val[1].resolve()) if val else "",
        "val_layout": val[0] if val else "",
        "source_layout": source[0] if source else "",
        "skipped": skipped,
    }


def project_data(project: Project, cfg: DataConfig) -> ExperimentData:
    """The data of an open project: its pool is its image table; its validation and
    source sets are found again where they were."""
    settings = project.settings
    spec = settings.extra.get("data")
    if spec is None:  # a project over the GTA5 / Cityscapes layouts, as made before folders
        return ExperimentData.find(
            cfg, source=settings.source_root, target=settings.target_root, need_truth=False, need_val=False
        )
    table = project_table(settings)
    paths = [project.image_path(i) for i in range(len(project.images))]
    gone = [str(p) for p in paths if not p.is_file()]
    if gone:
        raise DataError(
            f"{len(gone)} of the project's {len(paths)} images are not where they were (e.g. {', '.join(gone[:2])}); "
            "put them back, or keep the project file beside the folder it was made with"
        )
    target_root = Path(settings.target_root)
    pool = [Sample(_name(p, target_root), p) for p in paths]
    source: list[Sample] = []
    if settings.source_root:
        source = find_labeled(settings.source_root, table, "source")[1]
    val: list[Sample] = []
    if spec.get("val"):
        val = find_labeled(spec["val"], table, "validation")[1][: cfg.max_val_images]
    source_root = Path(settings.source_root) if settings.source_root else None
    return ExperimentData(source_root, target_root, source, pool, val, cfg)


def _name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
