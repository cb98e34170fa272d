"""The CUDA path at Cityscapes scale, on synthetic inputs: one training step of a
ResNet-101 DeepLab-v2 at 512x1024 with and without mixed precision (same batch,
side by side), and the proposal pass per image (main model, the selector's two
heads, the inconsistency mask and the PPL points, at the label resolution
1024x2048).  Prints a short table; ``--json`` writes the numbers.

    bench/gpu.sh                       (on a machine with a GPU; about 3-5 minutes)
    python bench/gpu.py --small        (a quick check of this script on the CPU)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from labor_desktop.core.model import DeepLabV2, ModelConfig, PixelSelector
from labor_desktop.core.selection import inconsistency_mask, ppl_points
from labor_desktop.engine.runtime import Runtime
from labor_desktop.engine.training import global_ce


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_train_step(rt: Runtime, cfg: ModelConfig, batch: int, size, repeats: int) -> dict:
    torch.manual_seed(0)
    model = rt.place(DeepLabV2(cfg)).train()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-4, momentum=0.9)
    scaler = rt.scaler()
    x = rt.images(torch.rand(batch, 3, *size))
    y = torch.randint(0, cfg.num_classes, (batch, *size), device=rt.device)
    times = []
    if rt.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(rt.device)
    for i in range(repeats + 2):  # two warm-up iterations (cuDNN autotuning, allocator)
        _sync(rt.device)
        t = time.perf_counter()
        with rt.autocast():
            out = model(x)
        loss = global_ce(out, y, rt)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        _sync(rt.device)
        if i >= 2:
            times.append(time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated(rt.device) / 2**30 if rt.device.type == "cuda" else float("nan")
    return {"median_s": statistics.median(times), "peak_gib": peak}


@torch.no_grad()
def time_proposal(rt: Runtime, cfg: ModelConfig, size, full, repeats: int) -> dict:
    torch.manual_seed(0)
    model = rt.place(DeepLabV2(cfg)).eval()
    selector = rt.place(PixelSelector(model, perturb=0.05)).eval()
    x = rt.images(torch.rand(1, 3, *size))
    times, points = [], 0
    for i in range(repeats + 2):
        _sync(rt.device)
        t = time.perf_counter()
        with rt.autocast():
            logits = model(x)
            h1, h2 = selector(x)
        probs = F.interpolate(logits.float(), size=full, mode="bilinear", align_corners=False).softmax(1)
        heads = [F.interpolate(h.float(), size=full, mode="bilinear", align_corners=False) for h in (h1, h2)]
        mask = inconsistency_mask(*heads)
        pts = ppl_points(probs, mask)
        _sync(rt.device)
        if i >= 2:
            times.append(time.perf_counter() - t)
            points = len(pts)
    return {"median_s": statistics.median(times), "mask_share": float(mask.float().mean()), "points": points}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="ResNet-18 at 128x256 (checks the script on a CPU)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    backbone, size, full = (
        ("resnet18", (128, 256), (256, 512)) if args.small else ("resnet101", (512, 1024), (1024, 2048))
    )
    cfg = ModelConfig(backbone=backbone)
    rows, results = [], {"backbone": backbone, "input": size, "labels": full, "batch": args.batch}
    base = Runtime.create("auto", amp=False, channels_last=False)
    results["device"] = torch.cuda.get_device_name(base.device) if base.device.type == "cuda" else "cpu"
    variants = [("fp32", base)]
    if base.device.type == "cuda":
        variants += [("AMP fp16 + channels-last", Runtime.create("cuda", amp=True, channels_last=True))]
    for name, rt in variants:
        r = time_train_step(rt, cfg, args.batch, size, args.repeats)
        results[f"train {name}"] = r
        rows.append(
            (
                f"training step, batch {args.batch}, {name}",
                f"{r['median_s'] * 1000:.0f} ms",
                f"{r['peak_gib']:.1f} GiB peak" if r["peak_gib"] == r["peak_gib"] else "-",
            )
        )
        p = time_proposal(rt, cfg, size, full, args.repeats)
        results[f"proposal {name}"] = p
        rows.append((f"proposal pass per image, {name}", f"{p['median_s'] * 1000:.0f} ms", f"{p['points']} points"))
    if len(variants) == 2:
        speed = results["train fp32"]["median_s"] / results["train AMP fp16 + channels-last"]["median_s"]
        rows.append(("training speed-up of AMP (same run)", f"{speed:.2f}x", ""))
    print(f"device: {results['device']}; {backbone} DeepLab-v2, input {size[1]}x{size[0]}, labels {full[1]}x{full[0]}")
    print(f"| {'measure':<48} | {'median':>9} | {'':>12} |")
    print(f"|{'-' * 50}|{'-' * 11}|{'-' * 14}|")
    for a, b, c in rows:
        print(f"| {a:<48} | {b:>9} | {c:>12} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
