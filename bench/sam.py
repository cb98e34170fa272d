"""The SAM assist's times (issue 24): loading the checkpoint, reading an image (SAM's image
encoder, once per image) and click -> mask (prompt encoder, mask decoder and the upscaling to
the image's full size) on a 1024x2048 demo target image, through ``core.sam.SamAssist``.

Without ``--folder`` it measures a randomly initialised ``SamModel`` of SAM ViT-B's shape
(``SamConfig()``'s defaults: the architecture and compute of facebook/sam-vit-base), its
weights drawn at a trained model's scale (std 0.02: ``SamConfig``'s own vision init, std
1e-10, gives denormal activations, and took 254 s of CPU per image instead of seconds), saved with ``save_pretrained`` into a temporary folder so the
real loading path runs; with ``--folder`` the weights there.  Printed, not asserted; CPU
time beside wall time (the machine may be shared).
Run: .venv/bin/python bench/sam.py [--folder models/sam] [--threads N] [--clicks N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from labor_desktop.core.sam import SamAssist, pick_device
from labor_desktop.data.demo_generator import make_image


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, 1000 * (time.perf_counter() - wall), 1000 * (time.process_time() - cpu)


def vit_b_folder(root: Path) -> Path:
    from transformers import SamConfig, SamImageProcessor, SamModel

    torch.manual_seed(0)
    model = SamModel(SamConfig())
    with torch.no_grad():  # weights of a trained model's scale: SamConfig's vision init (std 1e-10)
        for p in model.parameters():  # makes denormal activations, 100x slower on a CPU than real weights
            if p.dim() > 1:
                p.normal_(0.0, 0.02)
    model.save_pretrained(root / "sam")
    SamImageProcessor().save_pretrained(root / "sam")
    return root / "sam"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, help="a SAM checkpoint folder (default: random ViT-B-shaped weights)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--clicks", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    image = make_image("target", "train", 0, (1024, 2048), 0)[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or vit_b_folder(Path(tmp))
        assist = SamAssist(folder)
        print(f"device {pick_device()}, {args.threads} threads, image {image.shape[1]}x{image.shape[0]}, {folder}")
        _, wall, cpu = timed(assist.load)
        params = sum(p.numel() for p in assist._model.parameters()) / 1e6
        print(f"load ({params:.1f} M parameters): {wall:8.0f} ms wall, {cpu:8.0f} ms CPU")
        _, wall, cpu = timed(lambda: assist.embed(0, image))
        print(f"read the image (embedding, once per image): {wall:8.0f} ms wall, {cpu:8.0f} ms CPU")
        rng = np.random.default_rng(0)
        walls, cpus, sizes = [], [], []
        for _ in range(args.clicks):
            y, x = int(rng.integers(0, image.shape[0])), int(rng.integers(0, image.shape[1]))
            mask, wall, cpu = timed(lambda y=y, x=x: assist.mask(0, image, y, x))
            walls.append(wall)
            cpus.append(cpu)
            sizes.append(int(mask.sum()))
        print(
            f"click -> mask at 1024x2048 (median of {args.clicks}): {np.median(walls):6.1f} ms wall "
            f"(min {min(walls):.1f}, max {max(walls):.1f}), {np.median(cpus):6.1f} ms CPU"
        )


if __name__ == "__main__":
    main()
