"""Do torch's threads fight over cores other work holds?  The desktop preset's model
(DeepLab-v2 on ResNet-18) trained for a few steps (batch 4, 128x256) in a fresh process per
variant, optionally beside N busy processes: torch's thread count, OpenMP's wait policy and
the computing thread's niceness, one at a time (bench/demo_first_run.py times the whole
first run; this isolates the step that is half of it).

    .venv/bin/python bench/thread_fight.py [--steps 6] [--busy 2]

Prints wall and CPU seconds a step for each variant; docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

VARIANTS = {  # name: (threads, OMP_WAIT_POLICY, niceness of the computing thread; -1: SCHED_BATCH)
    "old: 2 threads, active wait": (2, "ACTIVE", 0),
    "2 threads, passive wait": (2, "PASSIVE", 0),
    "1 thread, passive wait": (1, "PASSIVE", 0),
    "1 thread, passive, nice +2": (1, "PASSIVE", 2),
    "1 thread, passive, nice +10": (1, "PASSIVE", 10),
    "1 thread, passive, nice +1": (1, "PASSIVE", 1),
    "1 thread, passive, SCHED_BATCH": (1, "PASSIVE", -1),  # -1: nice 0, SCHED_BATCH
}


def one(steps: int, nice: int) -> dict:
    import threading

    import torch

    from labor_desktop.core.model import build_model
    from labor_desktop.cpu_share import batch_this_thread, lower_this_thread
    from labor_desktop.engine.config import preset

    out: dict = {}

    def work() -> None:
        if nice > 0:
            lower_this_thread(nice)
        elif nice < 0:
            batch_this_thread()
        torch.manual_seed(0)
        model = build_model(preset("desktop").model)
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        x, y = torch.randn(4, 3, 128, 256), torch.randint(0, 19, (4, 128, 256))

        def step() -> None:
            opt.zero_grad()
            logits = torch.nn.functional.interpolate(model(x), size=(128, 256), mode="bilinear")
            torch.nn.functional.cross_entropy(logits, y).backward()
            opt.step()

        step()  # the first step allocates
        t, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        out.update(wall=(time.perf_counter() - t) / steps, cpu=(time.process_time() - c) / steps)
        out["threads"] = torch.get_num_threads()

    th = threading.Thread(target=work)
    th.start()
    th.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--busy", type=int, default=0, metavar="N", help="N busy processes beside every variant")
    ap.add_argument("--only", nargs="+", help="run only the variants whose names contain one of these")
    ap.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        print(f"{args.steps} steps a variant, beside {args.busy} busy processes; load at start {os.getloadavg()}")
        for name, (threads, wait, nice) in VARIANTS.items():
            if args.only and not any(part in name for part in args.only):
                continue
            env = dict(os.environ, LABOR_THREADS=str(threads), OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY=wait)
            env["GOMP_SPINCOUNT"] = "0" if wait == "PASSIVE" else "30000000000"
            load = os.getloadavg()[0]
            cmd = [sys.executable, __file__, "--one", str(args.steps), str(nice)]
            r = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
            print(
                f"  {name:30s} {r['wall']:6.2f} s wall/step  {r['cpu']:6.2f} s CPU/step  "
                f"(torch threads {r['threads']}, load avg at start {load:.1f})",
                flush=True,
            )
    finally:
        for p in procs:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
