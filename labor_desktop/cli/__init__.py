"""The ``labor`` command line.  Each subcommand is one function; ``labor --help``
lists only what exists."""

from __future__ import annotations

import argparse
import json
import platform
import sys

from .. import __version__


def cmd_info(args) -> int:
    import torch

    cuda = torch.cuda.is_available()
    print(f"LabOR Desktop {__version__}")
    print(f"Python {platform.python_version()} on {platform.platform()}")
    print(
        f"torch {torch.__version__} (CUDA build {torch.version.cuda or 'none'}), CPU threads {torch.get_num_threads()}"
    )
    if cuda:
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            print(f"  cuda:{i} {p.name}, {p.total_memory / 2**30:.1f} GiB")
    print(f"training device: {'cuda' if cuda else 'cpu'}")
    return 0


def cmd_strategies(args) -> int:
    from ..core.strategies import STRATEGIES
    from ..engine.experiments.converged import NAME as CONVERGED

    width = max(len(n) for n in [*STRATEGIES, CONVERGED])
    for name, s in STRATEGIES.items():
        tag = "selector" if s.needs_selector else ""
        print(f"{name:<{width}}  {s.unit:<7}  {tag:<8}  {s.description}")
    text = "labor compare's reference: every pool pixel, trained until the validation mIoU stops rising"
    print(f"{CONVERGED:<{width}}  {'all':<7}  {'':<8}  {text}")
    return 0


def cmd_inspect_checkpoint(args) -> int:
    from ..core.checkpoint import CheckpointError, extract_state_dict, infer_architecture, load_model, read_checkpoint
    from ..core.model import ModelConfig

    try:
        obj = read_checkpoint(args.file)
        sd = extract_state_dict(obj)
        arch = infer_architecture(sd, args.file)
        print(f"{args.file}: {len(sd)} tensors, {sum(v.numel() for v in sd.values()) / 1e6:.1f} M values")
        print(f"  backbone: {arch['backbone'] or 'unknown'} (blocks per layer {arch['blocks']})")
        print(f"  classes:  {arch['num_classes']}")
        if "config" in obj:
            print(f"  config:   {json.dumps(obj['config'])}")
        cfg = ModelConfig.preset(args.preset) if args.preset else None
        model = load_model(args.file, cfg)
        print(f"  loads as: {json.dumps(model.cfg.to_dict())}")
    except (CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _size(text: str) -> tuple[int, int]:
    from ..data.demo_generator import MAX_SIDE, MIN_SIDE

    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 128x256 (height x width), not {text!r}") from None
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"each side must be {MIN_SIDE}..{MAX_SIDE} pixels, not {h}x{w}")
    return h, w


def _count(low: int):
    """An image count in ``low``..the demo generator's bound."""
    from ..data.demo_generator import MAX_COUNT
    from .experiments import _int_in

    return _int_in(low, MAX_COUNT)


def cmd_demo_data(args) -> int:
    from tqdm import tqdm

    from ..data.demo_generator import DemoDataConfig, generate_demo_data

    cfg = DemoDataConfig(
        size=args.size,
        n_source=args.n_source,
        n_target=args.n_target,
        n_val=args.n_val,
        seed=args.seed,
        target_style=args.target_style,
    )
    total = cfg.n_source + cfg.n_target + cfg.n_val
    with tqdm(total=total, desc="demo data", unit="img") as bar:

        def progress(job, step, n):
            bar.set_postfix_str(job, refresh=False)
            bar.update(1)

        try:
            meta = generate_demo_data(args.out, cfg, progress)
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    share = meta["class_pixel_share"]["target"]
    top = sorted(((v, k) for k, v in share.items() if k != "ignored"), reverse=True)
    print(f"wrote {total} images to {args.out} (source: GTA5 layout, target: Cityscapes layout)")
    print("target pixel share: " + ", ".join(f"{k} {100 * v:.1f} %" for v, k in top[:5]) + ", ...")
    return 0


def cmd_export(args) -> int:
    from ..engine.projects.export import ExportError, export_project
    from ..store import ProjectError

    try:
        result = export_project(args.project, args.out, replace=args.replace, fmt=args.format)
    except (ProjectError, ExportError, OSError, ValueError) as e:  # ValueError: a table mask-png cannot hold
        print(f"error: {e}", file=sys.stderr)
        return 1
    if result.get("warning"):
        print(f"warning: {result['warning']}", file=sys.stderr)
    print(
        f"exported {result['labeled_images']} labeled of {result['images']} images to {result['out']} "
        f"({args.format}, {len(result['files'])} label file(s))"
    )
    if result.get("removed"):
        print(f"removed {result['removed']} label file(s) of the previous export that are no longer labelled")
    return 0


def cmd_repair(args) -> int:
    from ..store import ProjectError, repair

    try:
        report = repair(args.project)
    except ProjectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{report.path}: repaired from {report.applied} intact journal record(s)", end="")
    print(f", {report.skipped} damaged stretch(es) or invalid record(s) left out" if report.skipped else "")
    for name, kept in report.kept.items():
        print(f"  the original {name} is kept as {kept}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labor", description="LabOR Desktop: label only where the model is unsure.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from .experiments import add_commands
    from .imports import add_import_command
    from .new import add_new_command

    add_new_command(sub)
    add_import_command(sub)
    add_commands(sub)

    from ..data.demo_generator import DemoDataConfig

    d = DemoDataConfig()
    p = sub.add_parser("demo-data", help="write the embedded two-domain street-scene data set")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--size", type=_size, default=d.size, metavar="HxW", help=f"image size (default {d.size[0]}x{d.size[1]})"
    )
    p.add_argument("--n-source", type=_count(1), default=d.n_source, metavar="N")
    p.add_argument("--n-target", type=_count(1), default=d.n_target, metavar="M")
    p.add_argument("--n-val", type=_count(0), default=d.n_val, metavar="V")
    p.add_argument(
        "--target-style",
        default=d.target_style,
        choices=["photo", "night", "dusk"],
        help="target domain look: overcast 'photo' (default) or 'night' (rain, headlights, reflections) or "
        "'dusk' (low evening sun; held out: never used to choose a setting)",
    )
    p.set_defaults(func=cmd_demo_data)

    from ..engine.projects.formats import EXPORT_FORMATS

    p = sub.add_parser("export", help="labels (Cityscapes, CVAT mask, COCO or points) and budget and effort CSVs")
    p.add_argument("project", help="the project file (NAME.labor.h5)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--replace",
        action="store_true",
        help="export into a non-empty folder that is not an earlier export of this project, "
        "writing over its files of the same names",
    )
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="cityscapes",
        help="cityscapes (labelTrainIds + colour PNGs, the default), mask-png (CVAT's Segmentation mask 1.1), "
        "coco (one JSON, RLE masks) or points (points.csv: every labelled pixel)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "repair", help="write a repaired project from every intact journal record (the originals are kept)"
    )
    p.add_argument("project", help="the project file (NAME.labor.h5); close it in the application first")
    p.set_defaults(func=cmd_repair)

    p = sub.add_parser("info", help="versions and the device training would use")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("strategies", help="list the labeling strategies")
    p.set_defaults(func=cmd_strategies)

    p = sub.add_parser("inspect-checkpoint", help="say what a checkpoint holds and whether it loads")
    p.add_argument("file")
    p.add_argument(
        "--preset",
        choices=["adaptsegnet", "advent", "crst", "iast"],
        help="architecture of a foreign checkpoint (default: inferred)",
    )
    p.set_defaults(func=cmd_inspect_checkpoint)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
