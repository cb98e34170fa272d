"""The first-run setup window's words: an overall ETA from what this machine measured,
a line that says what that was, and its job thread nicer than the window's."""

import os
import sys
import threading

import pytest
from gui_support import LAST_RESORT_MS

from labor_desktop.cpu_share import JOB_NICENESS
from labor_desktop.engine.workflow import Cancelled
from labor_desktop.gui.projects.demo_setup import SetupDialog


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def waiting(progress, cancel: threading.Event):
    cancel.wait()
    raise Cancelled("demo")


def test_the_setup_window_says_what_it_measured_and_an_eta_from_it(qtbot, tmp_path):
    clock = Clock()
    dialog = SetupDialog(tmp_path, work=waiting, clock=clock)
    qtbot.addWidget(dialog)
    assert dialog.measured.text() == "not measured yet: the estimate follows once the first step has made progress"
    # the reference (170 s on one thread): demo data 13.6 s, pre-train 83.3 s, then 34 + 8.5 + 30.6 s
    clock.t = 27.2
    dialog._progress("pre-train on source", 1, 200, {})  # demo data took 2x its reference
    assert dialog.eta.speed() == 2.0
    clock.t = 47.2
    dialog._progress("pre-train on source", 21, 200, {"eta_s": 150.0})  # 20 steps in 20 s
    assert dialog.measured.text() == (
        "measured on this machine: pre-train on source 1.00 steps/s, 2.00× the reference time; estimate ±30 %"
    )
    # this job: 179 s at 1 step/s (over its own 150 s); later steps: 2 x 73.1 s = 146.2 s
    assert dialog.overall.text() == "step 2 of 5: pre-train — overall ETA 5:25"
    assert dialog.job.text() == "pre-train on source: 21/200 ETA 2:30"
    with qtbot.waitSignal(dialog.worker.finished, timeout=LAST_RESORT_MS):
        dialog.worker.cancel()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own niceness is Linux's")
def test_the_setup_job_runs_nicer_than_the_window(qtbot, tmp_path):
    window = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def work(progress, cancel):
        tid = threading.get_native_id()
        return os.getpriority(os.PRIO_PROCESS, tid), os.sched_getscheduler(tid)

    dialog = SetupDialog(tmp_path, work=work)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.project_path is not None, timeout=LAST_RESORT_MS)  # its result, via _done
    assert dialog.project_path == (min(19, window + JOB_NICENESS), os.SCHED_BATCH)
