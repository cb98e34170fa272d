"""``labor import``: labels made elsewhere into a project, as labels of a stage (0 =
"prior" by default); ``--dry-run`` lists what would happen and writes nothing."""

from __future__ import annotations

import argparse
import sys


def _stage(text: str) -> int:
    from ..store.schema import MAX_STAGE

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a stage is a whole number 0..{MAX_STAGE}, not {text!r}") from None
    if not 0 <= value <= MAX_STAGE:
        raise argparse.ArgumentTypeError(f"a stage is 0..{MAX_STAGE} (0 = prior), not {value}")
    return value


def _list(title: str, items: list[str], limit: int = 20) -> None:
    print(f"{title}: {len(items)}")
    for item in items[:limit]:
        print(f"  {item}")
    if len(items) > limit:
        print(f"  ... and {len(items) - limit} more")


def cmd_import(args) -> int:
    from ..data.io import DataError
    from ..engine.projects.formats.importing import ImportRefused, import_labels, plan_import
    from ..store import Project, ProjectError

    try:
        with Project.open(args.project, read_only=args.dry_run) as project:
            if args.dry_run:
                plan = plan_import(project, args.source, args.format)
            else:
                plan = import_labels(project, args.source, args.format, args.stage)
    except ImportRefused as e:
        for line in e.problems:
            print(f"error: {line}", file=sys.stderr)
        print("error: nothing was imported; fix the files named above and run the import again", file=sys.stderr)
        return 1
    except (ProjectError, DataError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    what = "prior (stage 0)" if args.stage == 0 else f"stage {args.stage}"
    if args.dry_run:
        _list("matched", [f"{s.file} -> {project.images[i].path}" for s, i in plan.matched])
        _list("unmatched (no project image of that name)", plan.unmatched)
        _list("ambiguous (more than one project image)", plan.ambiguous)
        _list("unknown classes", plan.unknown_classes)
        for line in plan.problems:
            print(f"problem: {line}")
        verdict = "would be refused (problems above)" if plan.problems else f"would import as {what}"
        print(f"dry run: nothing written; the import {verdict}")
        return 1 if plan.problems else 0
    print(
        f"imported {plan.written_pixels} pixels on {plan.written_images} images as {what} labels "
        f"({len(plan.matched)} matched, {len(plan.unmatched)} unmatched)"
    )
    if plan.kept_pixels:
        print(f"{plan.kept_pixels} imported pixels were already labelled in the project and kept as they were")
    return 0


def add_import_command(sub) -> None:
    from ..engine.projects.formats import IMPORT_FORMATS

    p = sub.add_parser("import", help="labels made elsewhere (Cityscapes, CVAT mask, COCO, labelme) into a project")
    p.add_argument("project", help="the project file (NAME.labor.h5); close it in the application first")
    p.add_argument("--from", dest="source", required=True, metavar="DIR", help="the folder (or COCO JSON) to read")
    p.add_argument("--format", required=True, choices=IMPORT_FORMATS)
    p.add_argument(
        "--stage", type=_stage, default=0, metavar="N", help='the stage the labels join (default 0 = "prior")'
    )
    p.add_argument("--dry-run", action="store_true", help="list matched/unmatched/ambiguous images; write nothing")
    p.set_defaults(func=cmd_import)
