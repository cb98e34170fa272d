"""Loader processes or none, on this machine, for the CPU presets (demo, desktop, smoke):
ResNet-18 DeepLab-v2, 128x256 crops, batch 4, on demo data of the benchmark's size
(128x256) and the desktop demo's (512x1024, decoded then resized for the model):

1. in one process, interleaved: the time to load a batch (decode, scale, crop, flip)
   against the time of the training step on it: the most loader processes could save;
2. seconds per step of the real loop with ``[data] workers`` 0, 1 and 2, side by side.

    .venv/bin/python bench/loader.py [--steps 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from labor_desktop.core.model import DeepLabV2
from labor_desktop.data.demo_generator import DemoDataConfig, generate_demo_data
from labor_desktop.engine.config import preset
from labor_desktop.engine.jobs.runtime import Runtime
from labor_desktop.engine.jobs.training import TrainConfig, train_supervised
from labor_desktop.engine.projects.experiment_data import ExperimentData


def seconds_per_step(data: ExperimentData, workers: int, steps: int) -> float:
    """Median seconds between steps after the first three (the loader's processes start)."""
    cfg = preset("demo")
    stamps: list[float] = []
    tc = TrainConfig(steps=steps, batch_size=cfg.pretrain.batch_size, lr=1e-3, workers=workers)
    train_supervised(
        DeepLabV2(cfg.model),
        data.source_set(0),
        tc,
        progress=lambda *a: stamps.append(time.perf_counter()),
        runtime=Runtime.create("cpu"),
    )
    return statistics.median(b - a for a, b in zip(stamps[3:], stamps[4:]))


def load_share(data: ExperimentData, rounds: int) -> tuple[float, float]:
    """Median seconds to load one batch and to run one training step on it."""
    import torch

    from labor_desktop.engine.jobs.training import global_ce, make_optimizer, optimizer_step

    cfg = preset("demo")
    ds, b = data.source_set(0), cfg.pretrain.batch_size
    model = DeepLabV2(cfg.model).train()
    opt = make_optimizer(model, TrainConfig(lr=1e-3))
    rt = Runtime.create("cpu")
    loads, steps = [], []
    for r in range(rounds):
        t = time.perf_counter()
        items = [ds[(0, (r * b + k) % len(ds))] for k in range(b)]
        images, labels = torch.stack([i[0] for i in items]), torch.stack([i[1] for i in items])
        loads.append(time.perf_counter() - t)
        t = time.perf_counter()
        optimizer_step(opt, rt.scaler(), global_ce(model(images), labels, rt))
        steps.append(time.perf_counter() - t)
    return statistics.median(loads[1:]), statistics.median(steps[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--sizes", default="128x256,512x1024", help="demo image sizes, HxW, comma-separated")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the real loop (0: none)")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in part.split("x")) for part in args.sizes.split(",")]
    cfg = preset("demo")
    print("| images | load a batch | step on it | workers 0 | workers 1 | workers 2 |\n|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            root = Path(tmp) / f"{size[0]}"
            generate_demo_data(root, DemoDataConfig(size=size, n_source=24, n_target=4, n_val=4))
            data = ExperimentData.find(replace(cfg.data, source_base=(128, 256)), root)
            load, step = load_share(data, 8)
            runs: dict[int, list[float]] = {0: [], 1: [], 2: []}
            for _ in range(args.rounds):
                for w in runs:
                    runs[w].append(seconds_per_step(data, w, args.steps))
            cells = " | ".join(f"{1000 * statistics.median(v):.0f} ms/step" if v else "-" for v in runs.values())
            print(f"| {size[1]}x{size[0]} | {1000 * load:.0f} ms | {1000 * step:.0f} ms | {cells} |", flush=True)


if __name__ == "__main__":
    main()
