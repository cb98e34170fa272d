"""``labor new PROJECT.labor.h5 --images DIR ...``: a project over a person's own
images, and stage 1's proposals, with progress bars.  Resumable: the same command
again continues where it stopped (the project file, once written, is kept; the jobs
that finished are not redone)."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

from .experiments import TqdmProgress

STYLES = {"ours": "this program's", "adaptsegnet": "AdaptSegNet", "advent": "ADVENT", "iast": "IAST", "crst": "CRST"}


def _plan(args, bar_factory):
    from ..engine.projects.new_project import plan_project

    bar = None

    def progress(step: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = bar_factory(total)
        bar.update(step - bar.n)

    try:
        return plan_project(
            images=args.images or "",
            file=args.project,
            source=args.source or "",
            val=args.val or "",
            classes=args.classes or "",
            checkpoint=args.checkpoint or "",
            style=STYLES[args.checkpoint_style],
            strategy=args.strategy,
            preset_name=args.preset,
            config_file=args.config or "",
            skip_unreadable=args.skip_unreadable,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()


def _option(field: str) -> str:
    return {
        "images": "--images",
        "val": "--val",
        "source": "--source",
        "classes": "--classes",
        "checkpoint": "--checkpoint",
        "config": "--preset/--config",
        "strategy": "--strategy",
        "file": "PROJECT",
    }.get(field, field)


def _check_resume(path: Path, args) -> None:
    """The same command again: the project must be over the same images."""
    from ..store import Project

    with Project.open(path, read_only=True) as project:
        root = project.settings.target_root
        if args.images and Path(args.images).resolve() != Path(root).resolve():
            raise ValueError(
                f"{path}: exists and labels the images in {root}, not {args.images}; "
                "run the same command to continue it, or choose another project file to start a new one"
            )


def command(name: str) -> str:
    """How to run one of this package's commands from here: bare when it is on PATH,
    else its path in the environment that runs this one (``./dev.sh`` puts none on PATH)."""
    beside = Path(sys.executable).parent / name
    if shutil.which(name) == str(beside) or not beside.exists():
        return name
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


def _summary(path: Path) -> str:
    from ..store import Project

    with Project.open(path, read_only=True) as project:
        n = len(project.images)
        stage = max(project.proposal_stages(), default=0)
        if not stage:
            return f"{path}: {n} images, no proposals yet"
        points = sum(len(project.proposal(stage, i)[1]) for i in range(n))
        masks = [project.proposal(stage, i)[0] for i in range(n)]
        pixels = sum(int(m.sum()) for m in masks if m is not None)
        total = sum(e.height * e.width for e in project.images) or 1
        start = next((h for h in project.history() if h["stage"] == 0), {})
        miou = start.get("miou")
        quality = f"starting model mIoU {100 * miou:.1f}" if miou is not None else "no validation set (no mIoU)"
        return (
            f"{path}: {n} images, {len(project.settings.classes)} classes, stage {stage} proposed "
            f"({points} points, inconsistency mask {100 * pixels / total:.2f} % of the pixels); {quality}"
        )


def cmd_new(args) -> int:
    from tqdm import tqdm

    from ..core.checkpoint import CheckpointError
    from ..data.io import DataError
    from ..engine.projects.new_project import PlanError, project_file
    from ..engine.run_state import RunError
    from ..engine.workflow import Cancelled, ProjectWorkflow
    from ..store import Project, ProjectError

    progress, cancel = TqdmProgress(), threading.Event()
    try:
        path = project_file(args.project)
        if path.exists():
            _check_resume(path, args)
            print(f"{path}: exists; continuing where it stopped", file=sys.stderr)
        else:
            if not args.images:
                raise PlanError("images", "give the folder of images to label (--images DIR)")
            plan = _plan(args, lambda total: tqdm(total=total, desc="checking images", unit="img", file=sys.stderr))
            for note in plan.notes:
                print(f"note: {note}", file=sys.stderr)
            plan.create()
            print(
                f"made {path}: {len(plan.data.target)} images, {len(plan.table)} classes ({plan.table.source}), "
                f"strategy {plan.strategy}, settings {plan.cfg.name}",
                file=sys.stderr,
            )
        with Project.open(path) as project:
            ProjectWorkflow(project, progress, cancel).bootstrap()
        progress.close()
        print(_summary(path))
        print(f"label them: {command('labor-desktop')} {path}")
        return 0
    except (KeyboardInterrupt, Cancelled):
        cancel.set()
        progress.close()
        print("\ncancelled: what is done is kept; run the same command again to continue", file=sys.stderr)
        return 130
    except PlanError as e:
        progress.close()
        print(f"error ({_option(e.field)}): {e}", file=sys.stderr)
        return 1
    except (DataError, CheckpointError, RunError, ProjectError, ValueError, RuntimeError, OSError) as e:
        progress.close()
        print(f"error: {e}", file=sys.stderr)
        return 1


def add_new_command(sub) -> None:
    from ..engine.config import PRESETS
    from ..engine.projects.new_project import LABELING_STRATEGIES

    p = sub.add_parser(
        "new",
        help="a project over your own images (a plain folder) and stage 1's proposals; run again to continue",
        description="Make a project over a folder of images and propose stage 1's pixels to label. "
        "Running the same command again continues where it stopped.",
    )
    p.add_argument("project", metavar="PROJECT.labor.h5", help="the project file to make (or continue)")
    p.add_argument("--images", metavar="DIR", help="the images to label: any folder (searched recursively)")
    p.add_argument(
        "--val",
        metavar="DIR",
        help="validation images with labels (NAME.png + NAME_label.png, a labels/ twin tree, or a Cityscapes root)",
    )
    p.add_argument(
        "--source",
        metavar="DIR",
        help="labelled source data (GTA5 or Cityscapes layout, or images + NAME_label.png); "
        "not needed with a --checkpoint",
    )
    p.add_argument("--classes", metavar="FILE.toml", help="class table (default: Cityscapes' 19 classes)")
    p.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="start from this model (pre-training and warm-up skipped); one of other classes (or an ImageNet "
        "ResNet), without --source: a cold start from its backbone with a new head, said in one line",
    )
    p.add_argument(
        "--checkpoint-style",
        default="ours",
        choices=list(STYLES),
        help="the code base that wrote a foreign checkpoint (default: ours, or inferred from the weights)",
    )
    p.add_argument("--strategy", default="ppl", choices=list(LABELING_STRATEGIES), help="default: ppl (points)")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--preset", default="demo", choices=[n for n in PRESETS if n != "desktop"], help="settings (default: demo)"
    )
    group.add_argument("--config", metavar="FILE", help="TOML settings; its 'base' key picks the preset")
    p.add_argument(
        "--skip-unreadable", action="store_true", help="leave out images that cannot be read (they are listed)"
    )
    p.set_defaults(func=cmd_new)
