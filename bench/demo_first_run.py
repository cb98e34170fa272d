"""The application's first run, timed: demo data, pre-train, warm-up, evaluate and stage
1's proposals into a fresh folder, with the wall time of each of the five steps the
setup window shows, the process's CPU time, the machine's load average (sampled every
2 s) and how far the setup window's overall ETA was from the truth.

    .venv/bin/python bench/demo_first_run.py [--config desktop] [--keep DIR]
    .venv/bin/python bench/demo_first_run.py --busy 2 [--quick] [--save FILE]
    .venv/bin/python bench/demo_first_run.py --replay FILE

``--busy N`` runs the first run twice, each in a fresh process: alone, then beside N busy
processes (pure-Python loops, each a core's worth of other work), and prints the two side
by side with the ratio busy/idle.  ``--quick`` is a reduced preset (the desktop model, a
fifth of its steps, smaller data) to try a change in a minute or two; its figures are not
the first run's.  The run happens in a thread made ``--nice`` nicer (and SCHED_BATCH), as
the window's job is; ``--threads`` and ``--wait active`` bring back the old behaviour for comparison
(torch's own thread count, spinning OpenMP waits).  docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

QUICK_DATA = {"size": (128, 256), "n_source": 16, "n_target": 6, "n_val": 6}


def quick_config():
    """The desktop preset cut down: the same model and crops, a few steps of each part."""
    from dataclasses import replace

    from labor_desktop.engine.config import preset

    d = preset("desktop")
    return replace(
        d,
        name="desktop-quick",
        data=replace(d.data, max_target_images=QUICK_DATA["n_target"]),
        pretrain=replace(d.pretrain, steps=8),
        warmup=replace(d.warmup, steps=2, adabn_batches=2),
        selector=replace(d.selector, self_train_steps=2, discrepancy_steps=2),
    )


def prepare(root: Path, args, progress) -> Path:
    """``prepare_demo``, or its quick cut (the same parts, a smaller preset)."""
    from labor_desktop.engine.workflow import prepare_demo

    if not args.quick:
        return prepare_demo(root, args.config, progress=progress)
    from labor_desktop.data.demo_generator import DemoDataConfig, generate_demo_data
    from labor_desktop.engine.projects.experiment_data import ExperimentData
    from labor_desktop.engine.workflow import ProjectWorkflow, create_project, demo_project_path
    from labor_desktop.store import Project

    cfg = quick_config()
    generate_demo_data(
        root / "data", DemoDataConfig(**QUICK_DATA), lambda job, i, n: progress(f"demo data: {job}", i, n, {})
    )
    path = demo_project_path(root)
    create_project(path, cfg, ExperimentData.find(cfg.data, root / "data"), "ppl").close()
    with Project.open(path) as project:
        ProjectWorkflow(project, progress).bootstrap()
    return path


def run_once(args) -> dict:
    """One first run in this process (its environment set by the caller)."""
    from labor_desktop.cpu_share import prepare_job_thread
    from labor_desktop.engine.workflow import DEMO_STEPS, demo_step
    from labor_desktop.gui.projects.first_run_eta import FirstRunEta

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="labor-first-run-"))
    loads: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while True:
            loads.append(os.getloadavg()[0])
            if stop.wait(2):
                return

    threading.Thread(target=sample, daemon=True).start()
    n = len(DEMO_STEPS)
    ends, cpu_ends = [0.0] * n, [0.0] * n
    t0, c0 = time.perf_counter(), time.process_time()
    eta = FirstRunEta(clock=time.perf_counter)
    etas: list[tuple[float, float | None, float | None]] = []
    events: list[tuple] = []  # every progress event, to replay another estimate offline
    found: dict = {}
    last = [-1]

    def progress(job, step, total, info) -> None:
        now = time.perf_counter()
        k = demo_step(job)
        if args.verbose and (k != last[0] or step == total):
            print(f"{now - t0:7.1f} s  {job} {step}/{total}", file=sys.stderr, flush=True)
        last[0] = k
        ends[k], cpu_ends[k] = now - t0, time.process_time() - c0
        eta.update(k, job, step, total, info.get("eta_s"))
        etas.append((now - t0, eta.remaining(), info.get("eta_s")))
        events.append((now - t0, k, job, step, total, info.get("eta_s")))
        if k > 0 and "threads" not in found:  # the engine's count, set when its first job starts
            import torch

            found["threads"] = torch.get_num_threads()

    def work() -> None:
        if args.nice:
            prepare_job_thread(args.nice)  # as the window's job thread: nicer, SCHED_BATCH
        found["niceness"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        found["path"] = str(prepare(root, args, progress))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stop.set()
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    start = 0.0
    steps = []
    for end in ends:
        steps.append(max(end, start) - start)
        start = max(end, start)
    return {
        "wall": wall,
        "cpu": cpu,
        "steps": steps,
        "tail": wall - start,
        "loads": loads,
        "etas": etas,
        "events": events,
        "threads": found.get("threads"),
        "niceness": found.get("niceness"),
        "wait": os.environ.get("OMP_WAIT_POLICY", ""),
        "eta_text": eta.text(),
    }


def eta_error(result: dict, after: float) -> float | None:
    """The worst |predicted total / true total - 1| of the overall ETA from ``after`` s on."""
    worst = None
    for t, eta, _ in result["etas"]:
        if t >= after and eta is not None:
            e = abs((t + eta) / result["wall"] - 1)
            worst = e if worst is None else max(worst, e)
    return worst


def child(args, extra: list[str]) -> dict:
    """``run_once`` in a fresh process (a clean torch, its own thread pools)."""
    env = dict(os.environ)
    if args.wait == "active":
        env.update(OMP_WAIT_POLICY="ACTIVE", GOMP_SPINCOUNT="30000000000")
    if args.threads:
        env["LABOR_THREADS"] = str(args.threads)
    else:
        env.pop("OMP_NUM_THREADS", None)
        env.pop("LABOR_THREADS", None)
    cmd = [sys.executable, __file__, "--one", *extra]
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def spinners(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def describe(name: str, r: dict) -> str:
    loads = r["loads"] or [float("nan")]
    return (
        f"{name}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, torch threads {r['threads']}, job niceness "
        f"{r['niceness']}, OMP_WAIT_POLICY={r['wait'] or '(unset)'}, load avg mean {sum(loads) / len(loads):.1f} "
        f"(max {max(loads):.1f}) on {os.cpu_count()} cores"
    )


def side_by_side(idle: dict, busy: dict, n: int) -> None:
    from labor_desktop.engine.workflow import DEMO_STEPS

    print(describe("idle", idle))
    print(describe(f"busy ({n} spinners)", busy))
    print(f"  {'step':10s} {'idle s':>8s} {'busy s':>8s} {'busy/idle':>9s}")
    for name, a, b in zip(DEMO_STEPS, idle["steps"], busy["steps"]):
        print(f"  {name:10s} {a:8.1f} {b:8.1f} {b / a if a else float('nan'):8.2f}x")
    print(f"  {'total':10s} {idle['wall']:8.1f} {busy['wall']:8.1f} {busy['wall'] / idle['wall']:8.2f}x")
    for name, r in (("idle", idle), ("busy", busy)):
        after = min(60.0, r["wall"] / 3)
        err = eta_error(r, after)
        shown = "n/a" if err is None else f"{100 * err:.0f} %"
        print(f"  overall ETA, worst error from {after:.0f} s on ({name}): {shown}; last text: {r['eta_text']}")


def single(r: dict, config: str) -> None:
    from labor_desktop.engine.workflow import DEMO_STEPS

    print(describe(f"first run ({config})", r))
    for name, s in zip(DEMO_STEPS, r["steps"]):
        print(f"  {name:10s} {s:7.1f} s  {100 * s / r['wall']:5.1f} %")
    print(f"  (after the last progress event: {r['tail']:.1f} s)")
    err = eta_error(r, min(60.0, r["wall"] / 3))
    print(
        "  overall ETA worst error from the first minute (or third) on:", "n/a" if err is None else f"{100 * err:.0f} %"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="desktop")
    ap.add_argument(
        "--quick", action="store_true", help="a reduced preset (a few steps of each part; not the first run's figures)"
    )
    ap.add_argument("--busy", type=int, metavar="N", help="run alone, then beside N busy processes; print both")
    ap.add_argument("--keep", help="prepare into this folder (kept) instead of a temporary one")
    ap.add_argument("--threads", type=int, help="torch intra-op threads (default: the cores other work leaves free)")
    ap.add_argument("--wait", choices=["passive", "active"], default="passive", help="OpenMP's wait policy")
    ap.add_argument("--nice", type=int, default=None, help="the job thread's niceness above the process's")
    ap.add_argument("--verbose", action="store_true", help="each job's end on stderr, as it happens")
    ap.add_argument("--save", help="write every run's figures (the ETA at each progress event included) to this JSON")
    ap.add_argument(
        "--replay", help="replay a --save file's progress events through today's estimate; print its errors"
    )
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.nice is None:
        from labor_desktop.cpu_share import JOB_NICENESS

        args.nice = JOB_NICENESS
    extra = ["--config", args.config, "--nice", str(args.nice)] + (["--quick"] if args.quick else [])
    extra += (["--keep", args.keep] if args.keep else []) + (["--verbose"] if args.verbose else [])
    if args.replay:
        replay(Path(args.replay))
    elif args.one:
        print(json.dumps(run_once(args)))
    elif args.busy is None:
        r = child(args, extra)
        save(args.save, {"single": r})
        single(r, args.config + (" quick" if args.quick else ""))
    else:
        idle = child(args, extra)
        procs = spinners(args.busy)
        try:
            busy = child(args, extra)
        finally:
            for p in procs:
                p.kill()
                p.wait()
        save(args.save, {"idle": idle, "busy": busy})
        side_by_side(idle, busy, args.busy)


def replay(path: Path) -> None:
    """Each saved run's events through ``FirstRunEta`` as it is now: the error of the predicted
    total at every event from the first minute on (worst, median, share within ±30 %)."""
    from labor_desktop.gui.projects.first_run_eta import FirstRunEta

    for name, r in json.loads(path.read_text()).items():
        now = [0.0]
        eta = FirstRunEta(clock=lambda now=now: now[0])
        errors = []
        for t, step, job, done, total, job_eta in r["events"]:
            now[0] = t
            eta.update(step, job, done, total, job_eta)
            left = eta.remaining()
            if t >= 60 and left is not None:
                errors.append(abs((t + left) / r["wall"] - 1))
        errors.sort()
        within = sum(e <= 0.3 for e in errors) / len(errors)
        print(
            f"{path.name} {name}: {r['wall']:.0f} s; from 60 s on, {len(errors)} events: worst "
            f"{100 * errors[-1]:.0f} %, median {100 * errors[len(errors) // 2]:.0f} %, within ±30 % {100 * within:.0f} %"
        )


def save(path: str | None, runs: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(runs))


if __name__ == "__main__":
    main()
