"""``labor new`` on a folder of 1024x2048 JPEGs with a given checkpoint: the time per
image and where it goes (scan, project file, pixel selector, and within the proposal
pass: decoding, the model, the selector, the strategy, the store).

The images are the demo generator's target domain drawn at 1024x2048, saved as JPEG
(quality 90) in nested folders.  The checkpoint is a ResNet-18 DeepLab-v2 (the demo
preset's architecture; weights do not change the timing).  The selector's training is a
fixed cost (its steps do not depend on the pool); everything else grows with the images.

Run: .venv/bin/python bench/new_project.py [--n 20] [--preset demo] [--config FILE]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2


def make_folder(root: Path, n: int) -> None:
    from labor_desktop.data.demo_generator import make_image

    for i in range(n):
        img, _ = make_image("target", "train", i, (1024, 2048), 0)
        path = root / f"drive{i % 3}" / f"frame_{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])


class Clock:
    """Seconds spent inside wrapped functions; a call inside another wrapped call counts
    under both, so the parts of a phase add up to (at most) the phase."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.phase = ""

    def wrap(self, owner, name: str, label: str, phase: bool = False) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            outer, key = self.phase, label if phase else f"{self.phase}/{label}"
            if phase:
                self.phase = label
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[key] += time.perf_counter() - start
                self.phase = outer

        setattr(owner, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20, help="images (the issue asks for 500; 20 fit this shared CPU)")
    ap.add_argument("--preset", default="demo")
    ap.add_argument("--config", default="", help="TOML settings instead of the preset")
    ap.add_argument("--keep", help="make the folder and project here (default: a temporary folder)")
    args = ap.parse_args()

    import torch

    from labor_desktop.core.checkpoint import save_checkpoint
    from labor_desktop.core.model import DeepLabV2, ModelConfig, PixelSelector
    from labor_desktop.data.datasets import EvalSet
    from labor_desktop.engine import stages
    from labor_desktop.engine.jobs import proposals, selector_job
    from labor_desktop.engine.projects import new_project
    from labor_desktop.engine.projects.new_project import plan_project
    from labor_desktop.engine.workflow import ProjectWorkflow
    from labor_desktop.store import Project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        images = root / "dashcam"
        t = time.perf_counter()
        make_folder(images, args.n)
        print(
            f"{args.n} JPEGs of 1024x2048 written in {time.perf_counter() - t:.1f} s; torch threads {torch.get_num_threads()}"
        )
        ckpt = root / "model.pt"
        save_checkpoint(ckpt, DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=False, output_stride=16)), {})

        clock = Clock()
        clock.wrap(new_project, "find_pool", "scan images (headers, end markers)", phase=True)
        clock.wrap(new_project, "load_model", "check the checkpoint", phase=True)
        clock.wrap(stages, "train_selector", "pixel selector training", phase=True)
        clock.wrap(stages, "write_proposals", "proposal pass", phase=True)
        clock.wrap(selector_job, "mask_share", "probe checks of the mask share (calibrated SPL budget)")
        clock.wrap(proposals, "predict_probs", "model forward + softmax at full size")
        clock.wrap(PixelSelector, "forward", "selector forward (two heads)")
        clock.wrap(proposals, "propose", "strategy (mask, PPL points)")
        clock.wrap(Project, "save_proposal", "store (save proposal)")
        clock.wrap(EvalSet, "__getitem__", "decode JPEG (+ resize)")

        total = time.perf_counter()
        plan = plan_project(
            images=str(images),
            checkpoint=str(ckpt),
            preset_name=args.preset,
            config_file=args.config,
            file=str(root / "dashcam.labor.h5"),
        )
        path = plan.create()
        with Project.open(path) as project:
            ProjectWorkflow(project).bootstrap()
        total = time.perf_counter() - total

        n, spent = args.n, clock.spent
        print(f"settings: {plan.cfg.name}, model input {plan.cfg.data.input_size or 'each image at its own size'}")
        print(f"{'part':<58} {'s':>8} {'per image':>10}")
        per_image = ["scan images (headers, end markers)", "proposal pass"]
        for phase in ["check the checkpoint", *per_image[:1], "pixel selector training", per_image[1]]:
            print(f"{phase:<58} {spent.get(phase, 0.0):8.2f} {1000 * spent.get(phase, 0.0) / n:8.0f} ms")
            for key, value in sorted(spent.items(), key=lambda kv: -kv[1]):
                if key.startswith(phase + "/"):
                    print(f"  {key.split('/', 1)[1]:<56} {value:8.2f} {1000 * value / n:8.0f} ms")
        print(f"{'labor new, all':<58} {total:8.2f} {1000 * total / n:8.0f} ms")
        grows = sum(spent.get(k, 0.0) for k in per_image) / n
        fixed = total - grows * n
        print(
            f"grows with the images: {grows:.2f} s per image; the rest ({fixed:.0f} s: the selector's training "
            f"steps and its probe of at most 16 images, loading) does not grow past 16 images; "
            f"500 images: about {(fixed + 500 * grows) / 60:.0f} min on this machine"
        )


if __name__ == "__main__":
    main()
