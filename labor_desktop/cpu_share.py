"""How much of the CPU the engine takes beside other work: intra-op threads only for the
cores other processes leave free, OpenMP threads that sleep instead of spinning while
they wait, and the job's thread below the window's priority.

On two cores other jobs kept busy, torch's default (a thread per core, each spinning in
OpenMP's barrier while the other is descheduled) made the first run 39 minutes long;
bench/demo_first_run.py --busy 2 measures the difference (docs/benchmarks.md).  Standard
library only: this module is below every layer and runs before torch is imported.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import MutableMapping

# OpenMP's threads wait without spinning (GNU OpenMP, torch's on Linux, reads these once,
# when torch loads it): a spinning thread takes the core a descheduled partner needs.
PASSIVE_WAIT = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"}
# Set by a person, these fix the thread count (the test suite sets OMP_NUM_THREADS=1).
THREAD_VARIABLES = ("LABOR_THREADS", "OMP_NUM_THREADS")
# How much nicer than the window a job's thread runs.  Niceness also weighs the job against
# other programs (nice 0): beside them one thread at +2 took 1.5x the wall time of one at 0
# (bench/thread_fight.py, docs/benchmarks.md), so the job takes the smallest step and,
# where Linux has it, SCHED_BATCH: the window's thread preempts it on waking, while its
# share against other programs stays what its niceness gives.
JOB_NICENESS = 1
LOAD_MINUTE = 60.0  # the load average's time constant (s): its 1-minute figure

_STARTED = (time.monotonic(), time.process_time())


def passive_wait_policy(environ: MutableMapping[str, str] = os.environ) -> None:
    """Ask OpenMP for passive waiting unless the person set its variables already.  Must
    run before torch is imported (``labor_desktop/__init__.py`` calls it)."""
    for name, value in PASSIVE_WAIT.items():
        environ.setdefault(name, value)


def own_load(cpu_s: float, wall_s: float) -> float:
    """What this process added to the 1-minute load average by computing ``cpu_s`` seconds
    in the ``wall_s`` seconds since it started (the average's exponential response to a
    steady rate)."""
    if wall_s <= 0:
        return 0.0
    return (cpu_s / wall_s) * (1 - math.exp(-wall_s / LOAD_MINUTE))


def free_cores(cores: int, others_load: float) -> int:
    """The cores other work leaves free: a core counts as taken once others keep it busy
    more than half the time; never more than ``cores``, never less than 1."""
    return max(1, min(cores, math.floor(cores - others_load + 0.5)))


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask: a container's or taskset's
    share, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def intra_op_threads(environ: MutableMapping[str, str] = os.environ) -> int:
    """Torch's intra-op thread count for a job starting now: a person's setting (see
    ``THREAD_VARIABLES``) as given, else the cores free of other work, where the load
    average less this process's own share says how busy the others keep them."""
    for name in THREAD_VARIABLES:
        value = environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows: no load average
        return usable_cores()
    wall, cpu = time.monotonic() - _STARTED[0], time.process_time() - _STARTED[1]
    return free_cores(usable_cores(), max(0.0, load - own_load(cpu, wall)))


def lower_this_thread(by: int = JOB_NICENESS) -> int | None:
    """Make the calling thread ``by`` nicer (Linux: a thread's own niceness, which the
    threads it starts inherit); the niceness it now has, None where that is not possible."""
    if not sys.platform.startswith("linux"):  # elsewhere the id is not one setpriority takes
        return None
    try:
        tid = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, now + by))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (AttributeError, OSError):
        return None


def batch_this_thread() -> bool:
    """Linux's SCHED_BATCH for the calling thread (a CPU-bound thread that never preempts a
    waking interactive one); whether that was possible."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is None or not sys.platform.startswith("linux"):
        return False
    try:
        os.sched_setscheduler(threading.get_native_id(), policy, os.sched_param(0))
        return True
    except OSError:
        return False


def prepare_job_thread(by: int = JOB_NICENESS) -> None:
    """What a thread that will compute does first: ``by`` nicer and SCHED_BATCH (the threads
    it starts, torch's pool among them, inherit both), and torch's thread count (kept per
    thread) from the cores free now, when torch is loaded already (else the engine's
    ``Runtime.create`` sets it in this thread when it loads torch)."""
    lower_this_thread(by)
    batch_this_thread()
    torch = sys.modules.get("torch")  # never imported here: this module is below torch
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(intra_op_threads())
