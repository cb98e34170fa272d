"""The application's first run, timed: ``prepare_demo`` (demo data, pre-train, warm-up,
evaluate, stage 1's proposals) into a fresh folder, with the wall time of each of the
five steps the setup window shows, the process's CPU time and the machine's load
average sampled every 10 s (other work on the same cores slows every figure).

    nice -n 5 .venv/bin/python bench/demo_first_run.py [--config desktop] [--keep DIR] [--threads N]

The step shares it prints are what ``gui/projects/demo_setup.py``'s ``STEP_WEIGHTS`` holds.  On
cores other jobs load, two torch threads wait on each other (a 128x256 training step took
3.2 s of CPU with two threads, 0.39 s with one): ``--threads 1`` then measures the work, and
its CPU time bounds the wall time on two idle cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from labor_desktop.engine.workflow import DEMO_STEPS, demo_step, prepare_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="desktop")
    ap.add_argument("--keep", help="prepare into this folder (kept) instead of a temporary one")
    ap.add_argument(
        "--threads",
        type=int,
        help="torch intra-op threads (default: torch's, one a core); on a machine others load, "
        "1 thread measures the work without the threads waiting on each other",
    )
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="labor-first-run-"))
    loads: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while True:
            loads.append(os.getloadavg()[0])
            if stop.wait(10):
                return

    threading.Thread(target=sample, daemon=True).start()
    ends = [0.0] * len(DEMO_STEPS)
    cpu_ends = [0.0] * len(DEMO_STEPS)
    jobs: dict[str, list[float]] = {}

    def cpu_now() -> float:
        t = os.times()
        return t.user + t.system - cpu0

    cpu0 = 0.0
    cpu0 = cpu_now()
    t0 = time.perf_counter()

    def progress(job, step, total, info) -> None:
        now = time.perf_counter() - t0
        k = demo_step(job)
        ends[k], cpu_ends[k] = now, cpu_now()
        jobs.setdefault(job.split(":")[0], [now, now])[1] = now

    path = prepare_demo(root, args.config, progress=progress)
    wall = time.perf_counter() - t0
    cpu = cpu_now()
    stop.set()
    import torch

    print(f"torch threads: {torch.get_num_threads()}")
    print(f"first run ({args.config}): {wall:.0f} s wall ({wall / 60:.1f} min), {cpu:.0f} s CPU of this process")
    print(
        f"load average (1 min) during it, sampled every 10 s: min {min(loads):.1f}, "
        f"mean {sum(loads) / len(loads):.1f}, max {max(loads):.1f} on {os.cpu_count()} cores"
    )
    start = cpu_start = 0.0
    shares, cpu_shares = [], []
    print("  step        wall s   share   CPU s   share")
    for name, end, cpu_end in zip(DEMO_STEPS, ends, cpu_ends):
        end, cpu_end = max(end, start), max(cpu_end, cpu_start)
        shares.append((end - start) / wall)
        cpu_shares.append((cpu_end - cpu_start) / cpu)
        print(
            f"  {name:10s} {end - start:7.0f}  {100 * shares[-1]:5.1f} %  {cpu_end - cpu_start:6.0f}  "
            f"{100 * cpu_shares[-1]:5.1f} %"
        )
        start, cpu_start = end, cpu_end
    print(f"  (after the last progress event: {wall - start:.0f} s wall, {cpu - cpu_start:.0f} s CPU)")
    print("STEP_WEIGHTS (wall) =", tuple(round(s / sum(shares), 2) for s in shares))
    print("STEP_WEIGHTS (CPU)  =", tuple(round(s / sum(cpu_shares), 2) for s in cpu_shares))
    print("jobs (first..last progress event, s):")
    for job, (a, b) in jobs.items():
        print(f"  {job:40s} {a:6.0f} .. {b:6.0f}")
    print("project:", path)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
