"""``labor simulate``, ``labor compare`` and ``labor demo``: Algorithm 1 headless with
the simulated annotator.  Every run folder is resumable: the same command again
skips the finished jobs."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..safe_files import write_text_atomically

if TYPE_CHECKING:
    from tqdm import tqdm

STRATEGY_HELP = (
    "spl, ppl, ppl-worst, ppl-sconf, ppl-ent, regions, regions-pure, rand-regions, rand, rand-pixels, sconf, ent, "
    "ripu, ripu-pixel, supervised, uda, iast; "
    "supervised-converged: the supervised reference trained until its validation mIoU stops rising"
)
DEMO_STRATEGIES = [
    "uda",
    "iast",
    "supervised",
    "supervised-converged",
    "spl",
    "ppl",
    "rand",
    "rand-pixels",
    "sconf",
    "ent",
    "ripu",
]


class TqdmProgress:
    """One progress bar per job on the terminal (rank 0 only under torchrun)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None
        self.job: str | None = None

    def __call__(self, job: str, step: int, total: int, info: dict) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if job != self.job or self.bar is None or step < self.bar.n:
            self.close()
            self.job = job
            self.bar = tqdm(total=total, desc=f"{job:<24}", unit="step", leave=True, file=sys.stderr)
        self.bar.set_postfix(
            {k: f"{v:.3f}" for k, v in info.items() if k != "eta_s" and isinstance(v, float)}, refresh=False
        )
        self.bar.update(step - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _context(args, progress, cancel):
    from dataclasses import replace

    from ..engine.config import check, check_init_weights, load_config
    from ..engine.jobs.runtime import Runtime
    from ..engine.projects.experiment_data import ExperimentData
    from ..engine.run_jobs import Context

    cfg = load_config(args.config, base=args.preset, seed=args.seed)
    if args.stages is not None:
        cfg = replace(cfg, stages=args.stages)
    if args.device:
        cfg = replace(cfg, device=args.device)
    table = _own_classes(args)
    if table is not None:
        cfg = replace(cfg, model=replace(cfg.model, num_classes=len(table)))
    cfg = check(cfg)  # the command line's values too
    check_init_weights(cfg, getattr(args, "from_checkpoint", None))  # before looking at any data
    data = ExperimentData.find(cfg.data, args.data, args.source, args.target)
    if table is not None:
        from ..data.class_table import cityscapes_remap
        from ..data.readers import remapped

        lut = cityscapes_remap(table)
        data = replace(
            data, source=remapped(data.source, lut), target=remapped(data.target, lut), val=remapped(data.val, lut)
        )
    rt = Runtime.create(cfg.device, amp=cfg.amp, channels_last=cfg.channels_last)
    progress.enabled = rt.is_main
    return Context(cfg, data, rt, progress, cancel, pretrained=getattr(args, "pretrained", None))


def _own_classes(args):
    """``--classes FILE.toml`` (simulate): the table the demo data is read into, or None."""
    if not getattr(args, "classes", None):
        return None
    from ..data.class_table import ClassTable

    if not getattr(args, "from_checkpoint", None):
        raise ValueError(
            "--classes: a project of its own classes starts cold from a checkpoint's backbone: "
            "give --from CHECKPOINT (any DeepLab-v2 of ours or the literature's, or an ImageNet ResNet)"
        )
    return ClassTable.load(args.classes)


def _check_arguments(args, strategies: list[str]) -> None:
    """Every argument checked before any work (a bad one must not wait for a warm-up)."""
    from ..core.strategies import STRATEGIES
    from ..engine.experiments.converged import NAME as CONVERGED

    for name in strategies:
        if name not in STRATEGIES and name != CONVERGED:
            raise ValueError(
                f"unknown strategy {name!r}; choose from {', '.join([*STRATEGIES, CONVERGED])} (see `labor strategies`)"
            )
    if len(set(strategies)) != len(strategies):
        raise ValueError(f"--strategies names a strategy twice: {' '.join(strategies)}")
    checkpoint = getattr(args, "from_checkpoint", None)
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise ValueError(f"{checkpoint}: no such checkpoint file (--from); check the path")


def _run(args, body, strategies: Sequence[str] = ()) -> int:
    from ..core.checkpoint import CheckpointError
    from ..data.io import DataError
    from ..engine.events import Cancelled
    from ..engine.run_state import RunError
    from ..store import ProjectError

    progress, cancel = TqdmProgress(), threading.Event()
    try:
        _check_arguments(args, list(strategies))
        return body(_context(args, progress, cancel))
    except (KeyboardInterrupt, Cancelled):
        cancel.set()
        progress.close()
        print("\ncancelled: finished jobs are kept; run the same command again to resume", file=sys.stderr)
        return 130
    except (DataError, CheckpointError, RunError, ProjectError, ValueError, RuntimeError, OSError) as e:
        progress.close()
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        progress.close()


def _print_history(name: str, history: list[dict]) -> None:
    from ..engine.experiments.report import budget_text

    for h in history:
        print(f"{name:<11} stage {h['stage']}: mIoU {100 * h['miou']:5.1f}   budget {budget_text(h.get('budget'))}")


def cmd_simulate(args) -> int:
    from ..engine.stages import StageEngine
    from ..engine.warm_start import warm_start

    def body(ctx):
        out = Path(args.out)
        table = _own_classes(args)
        cold = table is not None
        if cold:  # the one line: what the model is made of
            print(
                f"cold start: the backbone of {args.from_checkpoint} with a new head for the {len(table)} classes of "
                f"{args.classes}; stage 1: points chosen by {args.first_points}, then {args.strategy}",
                file=sys.stderr,
            )
        start = warm_start(out / "warm-start", ctx, args.from_checkpoint, new_head=cold)
        history = StageEngine(out, ctx, args.strategy, start, table=table, first_points=args.first_points).run()
        if ctx.rt.is_main:
            write_text_atomically(out / "history.json", json.dumps(history, indent=2))
            _print_history(args.strategy, history)
            print(f"run folder: {out}  (project: {out / 'project.labor.h5'})")
        return 0

    return _run(args, body, [args.strategy])


def cmd_compare(args) -> int:
    from ..engine.experiments.compare import run_compare, run_seeds

    def body(ctx):
        match = not args.no_match_points
        if getattr(args, "seeds", None):
            result = run_seeds(ctx, args.out, args.strategies, args.seeds, args.from_checkpoint, match_points=match)
        else:
            result = run_compare(ctx, args.out, args.strategies, args.from_checkpoint, match_points=match)
        if ctx.rt.is_main:
            for name, history in result["results"].items():
                _print_history(name, history)
            print(f"report: {result['report']}")
        return 0

    return _run(args, body, list(args.strategies))


def cmd_demo(args) -> int:
    """The demo comparison: make the data on the first run, then ``compare``."""
    from ..data.demo_generator import DemoDataConfig, generate_demo_data
    from ..engine.config import load_config

    try:  # every argument before the data is generated
        _check_arguments(args, list(args.strategies))
        load_config(args.config, base=args.preset, seed=args.seed)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    style = getattr(args, "target_style", None) or "photo"
    default_data = Path(args.out) / ("data" if style == "photo" else f"data-{style}")
    data = Path(args.data or default_data)
    if not (data / "demo-data.json").exists():
        bars = TqdmProgress()
        generate_demo_data(
            data,
            DemoDataConfig(target_style=style),
            lambda job, step, total: bars(f"demo data: {job}", step, total, {}),
        )
        bars.close()
    ns = argparse.Namespace(
        config=args.config,
        preset=args.preset,
        seed=args.seed,
        stages=None,
        device=args.device,
        data=str(data),
        source=None,
        target=None,
        out=str(Path(args.out) / ("compare" if style == "photo" else f"compare-{style}")),
        strategies=args.strategies,
        no_match_points=False,
        from_checkpoint=None,
        pretrained=getattr(args, "pretrained", None),
        seeds=getattr(args, "seeds", None),
    )
    return cmd_compare(ns)


def _int_in(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in {low}..{high}")
        return value

    return parse


def _common(p: argparse.ArgumentParser, need_out: bool = True) -> None:
    p.add_argument("--data", help="folder with source/ (GTA5 layout) and target/ (Cityscapes layout)")
    p.add_argument("--source", help="GTA5-layout source root (instead of --data)")
    p.add_argument("--target", help="Cityscapes-layout target root (instead of --data)")
    p.add_argument("--config", help="TOML file; its 'base' key picks the preset it overrides")
    p.add_argument(
        "--preset",
        default="demo",
        choices=["smoke", "demo", "paper"],
        help="settings preset when no config file names one (default: demo)",
    )
    p.add_argument("--stages", type=_int_in(1, 255), help="number of stages, 1..255 (default: the config's)")
    p.add_argument("--seed", type=_int_in(0, 2**32 - 1), help="seed (default: the config's)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA when present)")
    p.add_argument(
        "--from",
        dest="from_checkpoint",
        metavar="CHECKPOINT",
        help="start from this adapted model instead of pre-training and warming up",
    )
    p.add_argument(
        "--pretrained",
        metavar="CHECKPOINT",
        help="warm up from this source-only checkpoint instead of pre-training ('{seed}' in the path is "
        "replaced by each seed): the target domains of one seed can share their pre-training",
    )
    if need_out:
        p.add_argument("--out", required=True, help="run folder (resumable: the same command continues it)")


def add_commands(sub) -> None:
    p = sub.add_parser("simulate", help="Algorithm 1 with a simulated annotator, for one strategy")
    _common(p)
    p.add_argument("--strategy", required=True, help=STRATEGY_HELP)
    p.add_argument(
        "--classes",
        metavar="FILE.toml",
        help="a class table of one's own: the demo data's 19 classes are read into it (data/class_table.py: cityscapes_remap) and the run "
        "starts cold from --from's backbone with a new head (e.g. resources/classes/demo-five.toml)",
    )
    p.add_argument(
        "--first-points",
        default="kcentre",
        choices=["kcentre", "random"],
        help="with --classes: how stage 1 chooses its points (default: kcentre on the backbone's features)",
    )
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("compare", help="several strategies from one shared warm-up, with the report")
    _common(p)
    p.add_argument("--strategies", nargs="+", default=DEMO_STRATEGIES, metavar="S", help=STRATEGY_HELP)
    p.add_argument(
        "--no-match-points",
        action="store_true",
        help="budgeted baselines use the config's point count / pixel share, not PPL's / SPL's measured ones",
    )
    p.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        metavar="N",
        help="repeat the whole comparison per seed (warm-up included) and report mean ± std",
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "demo",
        help="the main job on the embedded demo data: the strategy comparison (one seed: about 40 min on a busy 2-core CPU, see docs/results.md)",
    )
    p.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    p.add_argument("--data", help="demo data folder (default: OUT/data, generated on the first run)")
    p.add_argument("--config", help="TOML overrides of the preset")
    p.add_argument("--preset", default="demo", choices=["smoke", "demo", "paper"], help=argparse.SUPPRESS)
    p.add_argument("--seed", type=_int_in(0, 2**32 - 1))
    p.add_argument("--device")
    p.add_argument("--strategies", nargs="+", default=DEMO_STRATEGIES, metavar="S", help=STRATEGY_HELP)
    p.add_argument(
        "--seeds", nargs="+", type=_int_in(0, 2**32 - 1), metavar="N", help="one full comparison per seed, mean ± std"
    )
    p.add_argument("--pretrained", metavar="CHECKPOINT", help="as for compare: a source-only model per seed ({seed})")
    p.add_argument(
        "--target-style",
        default="photo",
        choices=["photo", "night", "dusk"],
        help="the demo's target domain: overcast 'photo' (default) or 'night' (rain, headlights, reflections) or "
        "'dusk' (low evening sun; held out: never used to choose a setting)",
    )
    p.set_defaults(func=cmd_demo)
