"""``labor import``: labels made elsewhere become labels of a stage (default 0, "prior":
shown and counted apart from what was labelled here, trained on, skipped by the
selector).  Images are matched by stem (``export_name``: Cityscapes suffixes dropped),
two candidates told apart by their folders; a label file matching two images, two label
files for one image, a wrong size or a class the table lacks refuses the whole import with
one line per problem, each naming the file, and nothing is written.  Labels already made
in the project are never written over: imported pixels fill only unlabelled ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ....data.io import DataError
from ....store import UNLABELED, Project
from ..export import export_name
from ..folder_data import checked_table
from . import IMPORT_FORMATS
from .mask_png import UnknownClass
from .sources import SOURCES, Source

PRIOR = 0  # the stage of imported labels unless another is asked for


class ImportRefused(ValueError):
    """Bad input: ``problems`` holds one line per problem; nothing was written."""

    def __init__(self, problems: list[str], plan: ImportPlan | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems, self.plan = problems, plan


@dataclass
class ImportPlan:
    matched: list[tuple[Source, int]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unknown_classes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    labels: dict[int, np.ndarray] = field(default_factory=dict)  # image -> imported class positions
    written_images: int = 0
    written_pixels: int = 0
    kept_pixels: int = 0  # imported pixels already labelled in the project (kept as they were)


def _parts(path: str) -> tuple[str, ...]:
    parts = [
        p.lower() for p in PureWindowsPath(path).parts if p not in ("..", ".") and not p.endswith(("/", "\\", ":"))
    ]
    return tuple(parts[:-1])


def _tail(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def match(sources: list[Source], paths: list[str], plan: ImportPlan) -> None:
    """Fill ``plan.matched`` / ``unmatched`` / ``ambiguous`` (and a problem per ambiguity
    and per image named twice)."""
    by_stem: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        by_stem.setdefault(export_name(p).lower(), []).append(i)
    claimed: dict[int, str] = {}
    for source in sources:
        name = PurePosixPath(source.name)
        candidates = by_stem.get(export_name(name.name + ".png").lower(), [])
        if len(candidates) > 1:
            scores = [_tail(_parts(paths[i]), tuple(x.lower() for x in name.parts[:-1])) for i in candidates]
            best = max(scores)
            candidates = [i for i, s in zip(candidates, scores) if s == best]
        if not candidates:
            plan.unmatched.append(source.file)
        elif len(candidates) > 1:
            plan.ambiguous.append(source.file)
            names = ", ".join(paths[i] for i in candidates[:3])
            plan.problems.append(
                f"{source.file}: matches {len(candidates)} project images ({names}); "
                "give the label file the image's folders, or import those separately"
            )
        elif candidates[0] in claimed:
            plan.problems.append(
                f"{source.file}: labels the image {paths[candidates[0]]} that {claimed[candidates[0]]} labels too; keep one"
            )
        else:
            claimed[candidates[0]] = source.file
            plan.matched.append((source, candidates[0]))


def plan_import(project: Project, root: str | Path, fmt: str) -> ImportPlan:
    """Everything but the writing: match, read and check every matched file."""
    if fmt not in IMPORT_FORMATS:
        raise ValueError(f"unknown import format {fmt!r}; use one of {', '.join(IMPORT_FORMATS)}")
    root = Path(root)
    if not root.exists():
        raise DataError(f"{root}: not found; give the folder (or COCO file) to import from")
    table = checked_table(project)
    plan = ImportPlan()
    sources, plan.unknown_classes = SOURCES[fmt](root, table)
    for name in plan.unknown_classes:
        plan.problems.append(
            f"{root}: the class {name!r} is used there but is not in the project's class table; "
            "add it to the table or rename it to one of the table's classes"
        )
    match(sources, [e.path for e in project.images], plan)
    for source, i in plan.matched:
        entry = project.images[i]
        want = (entry.height, entry.width)
        if source.size is not None and tuple(source.size) != want:
            plan.problems.append(
                f"{source.file}: says the image is {source.size[1]}x{source.size[0]}, but {entry.path} is "
                f"{entry.width}x{entry.height}; the sizes must agree"
            )
            continue
        if plan.unknown_classes:
            continue  # the reading would fail on the unknown classes; they are listed once above
        try:
            labels = source.read()
        except DataError as e:
            plan.problems.append(str(e))
            if isinstance(e, UnknownClass) and e.name not in plan.unknown_classes:
                plan.unknown_classes.append(e.name)
            continue
        if labels.shape != want:
            plan.problems.append(
                f"{source.file}: the mask is {labels.shape[1]}x{labels.shape[0]}, but {entry.path} is "
                f"{entry.width}x{entry.height}; labels must have the image's exact size"
            )
            continue
        plan.labels[i] = labels
    return plan


def import_labels(
    project: Project, root: str | Path, fmt: str, stage: int = PRIOR, dry_run: bool = False
) -> ImportPlan:
    """Plan, then (unless ``dry_run``) save each matched image's imported pixels where the
    project has none, as labels of ``stage``, all images in one all-or-none write;
    ``ImportRefused`` when anything is wrong."""
    plan = plan_import(project, root, fmt)
    if plan.problems:
        raise ImportRefused(plan.problems, plan)

    def merged() -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for i, new in sorted(plan.labels.items()):
            old, old_stage = project.labels(i)
            fill = (old == UNLABELED) & (new != UNLABELED)
            plan.kept_pixels += int(((old != UNLABELED) & (new != UNLABELED)).sum())
            if not fill.any():
                continue
            plan.written_images += 1
            plan.written_pixels += int(fill.sum())
            yield i, np.where(fill, new, old), np.where(fill, stage, old_stage)

    if dry_run:
        for _ in merged():
            pass
    else:  # all images or none: a full disk half-way leaves the project as it was
        project.save_many_labels(merged())
    return plan
