"""The CUDA path at Cityscapes scale, on synthetic inputs, in a few minutes on one GPU:
ResNet-101 DeepLab-v2 (IAST's), 512x1024 crops, 1024x2048 label maps.

1. retraining's training step (batch 8) in float32, float16 AMP and bfloat16 AMP, the
   AMP ones channels-last, side by side; the same compiled (``torch.compile``);
2. the selector's steps (Eq. 4, and Eq. 5 with ``num_k`` backbone steps; both heads) in
   float32 as the engine trains it;
3. the proposal pass per image on the GPU (main model, both heads, mask, PPL points),
   eager and compiled, the selector in float32 (as now) and under autocast;
4. ``write_proposals`` end to end (decoding, GPU, the project store): images/s with the
   loader in this process and in worker processes;
5. retraining fed by the real loader: seconds per step and the GPU's busy share, loader
   processes 0 vs N;
6. peak memory of each job, and the cost of one paper-scale stage advance from the above.

Every measurement is time-boxed; the table is written as it grows (``--out``).  Imports
no Qt.  ``--small`` runs the same code at toy sizes on the CPU (tests/test_gpu_bench.py).

    bench/gpu.sh                                   (a CUDA machine; under 8 minutes)
    PYTHONPATH=. python3 bench/gpu.py --small      (checks this script on a CPU)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from gpu_parts import (  # noqa: E402
    fed_training,
    free,
    proposal_gpu,
    proposal_models,
    proposals_end_to_end,
    selector_steps,
    synthetic_pool,
    train_step,
)

from labor_desktop.core.model import ModelConfig  # noqa: E402
from labor_desktop.engine.jobs.runtime import Runtime  # noqa: E402

POOL, VAL, EPOCHS, RETRAIN_BATCH = 2975, 500, 2, 8  # Cityscapes train / val; the paper's retraining
SELECTOR_STEPS, NUM_K, SELECTOR_BATCH, PROPOSAL_BATCH = (1000, 1000), 4, 4, 4  # the paper preset's


class Report:
    def __init__(self, out: str | None, head: str) -> None:
        self.rows: list[tuple[str, str, str]] = []
        self.results: dict = {}
        self.out, self.head = out, head

    def add(self, key: str, result: dict, what: str, value: str, note: str = "") -> None:
        self.results[key] = result
        if "error" in result:
            value, note = "-", result["error"]
        self.rows.append((what, value, note))
        print(f"| {what} | {value} | {note} |", flush=True)
        self.write()

    def table(self) -> str:
        lines = [self.head, "", "| measure | value | note |", "|---|---:|---|"]
        return "\n".join(lines + [f"| {a} | {b} | {c} |" for a, b, c in self.rows]) + "\n"

    def write(self) -> None:
        if self.out:
            Path(self.out).write_text(self.table())


def ms(r: dict) -> str:
    return f"{r['s'] * 1000:.0f} ms" if "s" in r else "-"


def gib(r: dict) -> str:
    return f"peak {r['peak_gib']:.1f} GiB" if r.get("peak_gib") is not None else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="ResNet-18 at toy sizes (checks the script on a CPU)")
    ap.add_argument("--budget", type=float, default=420, help="seconds for everything (each part is boxed)")
    ap.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="loader processes to compare")
    ap.add_argument("--compile", action="store_true", help="also torch.compile on a CPU (always tried on CUDA)")
    ap.add_argument("--out", help="write the table (markdown) here")
    ap.add_argument("--json", help="write the numbers here")
    args = ap.parse_args()
    start = time.perf_counter()
    cuda = torch.cuda.is_available() and not args.small
    if args.small:
        cfg = ModelConfig(backbone="resnet18", freeze_bn=False, output_stride=16)
        crop, full, batch, repeats, pool_n, steps = (64, 128), (128, 256), 2, 2, 4, 2
    else:
        cfg = ModelConfig.preset("iast")
        crop, full, batch, repeats, pool_n, steps = (512, 1024), (1024, 2048), RETRAIN_BATCH, 6, 32, 8
    size = (full[0] // 2, full[1] // 2)  # the model's input for proposals ([data] input_size)
    device = "cuda" if cuda else "cpu"
    fp32 = Runtime.create(device, amp=False, channels_last=False)
    fp16 = Runtime.create(device, amp=True, channels_last=True)
    bf16 = Runtime.create(device, amp=True, channels_last=True, amp_dtype="bfloat16")
    name = torch.cuda.get_device_name(0) if cuda else "CPU"
    head = (
        f"device: {name}; torch {torch.__version__}; {cfg.backbone} DeepLab-v2 ({'IAST' if not args.small else 'small'}), "
        f"crops {crop[1]}x{crop[0]}, proposals {size[1]}x{size[0]} in, {full[1]}x{full[0]} out"
    )
    print(head + "\n\n| measure | value | note |\n|---|---:|---|", flush=True)
    rep = Report(args.out, head)
    rep.results["device"] = name

    def left(need: float) -> float:
        """Seconds a part may take: ``need``, or what is left of the budget."""
        return max(0.0, min(need, args.budget - (time.perf_counter() - start)))

    # 1. Training step, side by side.
    steps_s: dict[str, float] = {}
    variants = [("float32", fp32), ("float16 AMP, channels-last", fp16), ("bfloat16 AMP, channels-last", bf16)]
    for label, rt in variants if cuda else variants[:1]:
        r = train_step(rt, cfg, batch, crop, repeats, left(35))
        free(rt)
        rep.add(f"train {label}", r, f"training step, batch {batch}, {label}", ms(r), gib(r))
        if "s" in r:
            steps_s[label] = r["s"]
    if cuda and "float32" in steps_s:
        for label in variants[1:]:
            if label[0] in steps_s:
                rep.add(
                    f"speed-up {label[0]}",
                    {},
                    f"speed-up of {label[0]} over float32",
                    f"{steps_s['float32'] / steps_s[label[0]]:.2f}x",
                )
    amp_rt = bf16 if cuda else fp32

    # 2. The selector (float32, as the engine trains it; channels-last where the runtime has it).
    sel_rt = fp16 if cuda else fp32
    sel_batch = SELECTOR_BATCH if not args.small else 2
    sel = selector_steps(sel_rt, cfg, sel_batch, crop, NUM_K, repeats, left(50))
    free(sel_rt)
    rep.add(
        "selector self-train",
        sel["self_train"],
        f"selector Eq. 4 step, batch {sel_batch}, float32",
        ms(sel["self_train"]),
    )
    rep.add("selector discrepancy", sel["discrepancy"], f"selector Eq. 5 step (num_k {NUM_K}), float32", ms(sel["discrepancy"]),
            f"peak {sel['peak_gib']:.1f} GiB for the selector job" if sel.get("peak_gib") is not None else "")  # fmt: skip

    # 3. The proposal pass on the GPU, per image.
    model, selector = proposal_models(amp_rt, cfg)
    prop = proposal_gpu(amp_rt, model, selector, PROPOSAL_BATCH, size, full, repeats, left(30))
    rep.add("proposal gpu", prop, "proposal pass per image (selector float32, as now)", ms(prop), gib(prop))
    prop_amp = proposal_gpu(amp_rt, model, selector, PROPOSAL_BATCH, size, full, repeats, left(30), selector_amp=True)
    rep.add("proposal gpu amp", prop_amp, "same, selector under autocast too", ms(prop_amp), gib(prop_amp))

    # 4. write_proposals end to end, loader in this process and in worker processes.
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        pool = synthetic_pool(Path(tmp) / "pool", pool_n, full)
        print(f"(wrote {pool_n} synthetic {full[1]}x{full[0]} PNGs in {time.perf_counter() - t:.0f} s)", flush=True)
        e2e: dict[int, dict] = {}
        for w in (0, args.workers):
            e2e[w] = proposals_end_to_end(
                amp_rt, model, selector, pool, size, full, w, PROPOSAL_BATCH, left(45), Path(tmp)
            )
            rate = f"{e2e[w]['images_per_s']:.1f} img/s" if "images_per_s" in e2e[w] else "-"
            rep.add(f"proposals e2e workers {w}", e2e[w], f"write_proposals end to end, {w} loader processes", rate)
        del model, selector
        free(amp_rt)

        # 5. Retraining fed by the loader: the GPU's busy share.
        fed: dict[int, dict] = {}
        for w in (0, args.workers):
            fed[w] = fed_training(amp_rt, cfg, pool, full, crop, batch, w, steps, left(40))
            busy = (
                f"{'GPU' if cuda else 'CPU'} computing {100 * fed[w]['busy']:.0f} % of the time"
                if "busy" in fed[w]
                else ""
            )
            rep.add(
                f"fed training workers {w}",
                fed[w],
                f"retraining step fed by the loader, {w} processes",
                ms(fed[w]),
                busy,
            )

    # 6. Compiled: proposals, then training (the slowest to compile: last).
    if cuda or args.compile:
        cmodel, cselector = proposal_models(amp_rt, cfg, compiled=True)
        cprop = proposal_gpu(
            amp_rt, cmodel, cselector, PROPOSAL_BATCH, size, full, repeats, left(120), selector_amp=True
        )
        rep.add("proposal gpu compiled", cprop, "proposal pass per image, compiled, selector under autocast", ms(cprop),
                f"first batch (compiling) {cprop.get('first_s', math.nan):.0f} s")  # fmt: skip
        del cmodel, cselector
        free(amp_rt)
        ctrain = train_step(amp_rt, cfg, batch, crop, repeats, left(100), compiled=True)
        free(amp_rt)
        rep.add("train compiled", ctrain, f"training step, batch {batch}, {'bfloat16 AMP' if cuda else 'float32'}, compiled",
                ms(ctrain), f"first steps (compiling) {ctrain.get('first_s', math.nan):.0f} s")  # fmt: skip
        if "s" in ctrain:
            steps_s["compiled"] = ctrain["s"]
        if "s" in cprop:
            prop_amp = min(prop_amp, cprop, key=lambda r: r.get("s", math.inf))

    # 7. One paper-scale stage advance, from the figures above.
    step = min(steps_s.values(), default=math.nan)
    fed_best = min((r["s"] for r in fed.values() if "s" in r), default=math.nan)
    retrain_steps = math.ceil(EPOCHS * POOL / RETRAIN_BATCH)
    retrain_s = retrain_steps * max(step, fed_best if fed_best == fed_best else 0)
    selector_s = SELECTOR_STEPS[0] * sel["self_train"].get("s", math.nan) + SELECTOR_STEPS[1] * sel["discrepancy"].get(
        "s", math.nan
    )
    rates = [r["images_per_s"] for r in e2e.values() if "images_per_s" in r]
    per_image = 1 / max(rates) if rates else prop_amp.get("s", math.nan)
    proposals_s = POOL * per_image
    evaluate_s = VAL * prop.get("s", math.nan) / 2  # the main model's half of the pass, roughly
    total = retrain_s + selector_s + proposals_s + evaluate_s
    rep.results["stage"] = dict(
        retrain_s=retrain_s, selector_s=selector_s, proposals_s=proposals_s, evaluate_s=evaluate_s
    )
    for what, secs, note in (
        (f"stage: retrain {EPOCHS} epochs of {POOL} ({retrain_steps} steps of {RETRAIN_BATCH})", retrain_s, "the fastest step, or the loader's pace if slower"),
        (f"stage: selector ({SELECTOR_STEPS[0]} + {SELECTOR_STEPS[1]} steps)", selector_s, "at most: calibration may stop Eq. 5 early"),
        (f"stage: proposals for {POOL} images", proposals_s, f"{POOL / proposals_s:.1f} img/s (goal 25)" if proposals_s else ""),
        (f"stage: evaluation of {VAL} images", evaluate_s, "estimated from the proposal pass"),
        ("stage advance in all", total, ""),
    ):  # fmt: skip
        rep.add(what, {"s": secs}, what, f"{secs / 60:.1f} min" if secs == secs else "-", note)
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(rep.results, indent=2, default=str))


if __name__ == "__main__":
    main()
