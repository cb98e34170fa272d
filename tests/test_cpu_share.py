"""How much of the CPU a job takes (labor_desktop/cpu_share.py): the free cores, the
passive OpenMP wait set before torch loads, the job thread's niceness."""

import math
import os
import subprocess
import sys
import threading

import pytest

from labor_desktop import cpu_share
from labor_desktop.cpu_share import free_cores, intra_op_threads, lower_this_thread, own_load, passive_wait_policy


@pytest.mark.parametrize(
    "cores, load, free",
    [
        (2, 0.0, 2),
        (2, 0.5, 2),  # half a core busy: still free
        (2, 0.5000001, 1),  # just over half: taken
        (2, 1.5, 1),
        (2, 1.5000001, 1),  # nothing free: at least one thread
        (2, 9.0, 1),
        (4, 1.0, 3),
        (4, -1.0, 4),  # never more than the cores
        (1, 0.0, 1),
    ],
)
def test_free_cores_counts_a_core_taken_once_others_keep_it_busy_over_half_the_time(cores, load, free):
    assert free_cores(cores, load) == free


def test_own_load_is_the_load_averages_response_to_this_process_rate():
    assert own_load(0.0, 10.0) == 0.0
    assert own_load(5.0, 0.0) == 0.0
    assert own_load(-1.0, -1.0) == 0.0
    assert own_load(60.0, 60.0) == 1 - math.exp(-1)
    assert own_load(60.0, 120.0) == 0.5 * (1 - math.exp(-2))


def test_a_persons_thread_setting_wins_labor_threads_first(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert intra_op_threads({"OMP_NUM_THREADS": "3"}) == 3
    assert intra_op_threads({"LABOR_THREADS": "2", "OMP_NUM_THREADS": "3"}) == 2
    assert intra_op_threads({"LABOR_THREADS": "0", "OMP_NUM_THREADS": "x"}) == 1  # not counts: measured


def test_without_a_setting_the_threads_are_the_free_cores_less_this_process_share(monkeypatch):
    monkeypatch.setattr(cpu_share, "usable_cores", lambda: 4)
    monkeypatch.setattr(cpu_share, "own_load", lambda cpu, wall: 0.25)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.75, 0.0, 0.0))
    assert intra_op_threads({}) == 3  # others 1.5: exactly half of the second core, still free
    monkeypatch.setattr(os, "getloadavg", lambda: (1.7500001, 0.0, 0.0))
    assert intra_op_threads({}) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert intra_op_threads({}) == 4  # own share larger than the load: others at 0


def test_passive_wait_is_asked_for_unless_set_already():
    env: dict[str, str] = {}
    passive_wait_policy(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"}
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    passive_wait_policy(env)
    assert env == {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "0"}


def test_the_package_sets_the_wait_policy_before_anything_imports_torch():
    code = (
        "import os, sys; import labor_desktop.cli, labor_desktop.gui.app; "
        "print('torch' in sys.modules, os.environ['OMP_WAIT_POLICY'], os.environ['GOMP_SPINCOUNT'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in cpu_share.PASSIVE_WAIT}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "PASSIVE", "0"]  # the entry points' modules import no torch at the top


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own niceness is Linux's")
def test_lower_this_thread_makes_only_the_calling_thread_nicer():
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list = []

    def job() -> None:
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen.extend([before, lower_this_thread(2), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())])

    t = threading.Thread(target=job)
    t.start()
    t.join()
    assert seen == [main_before, min(19, main_before + 2), min(19, main_before + 2)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before


def test_the_cpu_runtime_sets_torchs_threads_in_the_calling_thread(monkeypatch):
    import torch

    from labor_desktop.engine.jobs.runtime import Runtime

    monkeypatch.setenv("LABOR_THREADS", "2")
    counts: list[int] = []

    def job() -> None:
        Runtime.create("cpu")
        counts.append(torch.get_num_threads())

    t = threading.Thread(target=job)
    t.start()
    t.join()
    assert counts == [2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own niceness is Linux's")
def test_a_job_thread_is_nicer_and_sets_torchs_threads_once_torch_is_loaded(monkeypatch):
    import torch

    monkeypatch.setenv("LABOR_THREADS", "2")
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list = []

    def job() -> None:
        torch.set_num_threads(1)
        cpu_share.prepare_job_thread()
        tid = threading.get_native_id()
        seen.extend([os.getpriority(os.PRIO_PROCESS, tid), os.sched_getscheduler(tid), torch.get_num_threads()])

    t = threading.Thread(target=job)
    t.start()
    t.join()
    assert seen == [min(19, main_before + cpu_share.JOB_NICENESS), os.SCHED_BATCH, 2]
    assert os.sched_getscheduler(threading.get_native_id()) == os.SCHED_OTHER  # the window's thread: as it was
