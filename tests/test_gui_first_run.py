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
from labor_desktop.gui.projects.first_run_eta import REFERENCE_S
from labor_desktop.gui.stage.stage_bar import eta_text


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
    ref = REFERENCE_S  # the measured idle run's seconds per step
    clock.t = 2 * ref[0]
    dialog._progress("pre-train on source", 0, 200, {})  # demo data took 2x its reference
    assert dialog.eta.speed() == 2.0
    clock.t = 2 * ref[0] + 20.0
    dialog._progress("pre-train on source", 20, 200, {"eta_s": 150.0})  # 20 steps in 20 s
    speed = clock.t / (ref[0] + ref[1] * 0.1)
    assert dialog.measured.text() == (
        f"measured on this machine: pre-train on source 1.00 steps/s, {speed:.2f}× the reference time; "
        "estimate ±30 % while its load stays as it is"
    )
    # half-way to trusting the job's own rate (a tenth of it done): half of 180 s at 1 step/s,
    # half of its reference at this speed; then the later steps at this speed
    left = 0.5 * 180.0 + 0.5 * speed * ref[1] * 0.9 + speed * sum(ref[2:])
    assert dialog.overall.text() == f"step 2 of 5: pre-train — overall {eta_text(left)}"
    assert dialog.job.text() == "pre-train on source: 20/200 ETA 2:30"  # the job's own line keeps its own ETA
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


def test_wrapped_lines_are_never_clipped_as_the_text_grows(qtbot, tmp_path):
    """Issue 22: at 600 px the intro's last line was cut once the measured line wrapped."""
    clock = Clock()
    dialog = SetupDialog(tmp_path, work=waiting, clock=clock)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    def whole(label):
        return label.height() >= label.heightForWidth(label.width())

    def in_order():
        widgets = [
            dialog.text,
            dialog.overall,
            dialog.total_bar,
            dialog.measured,
            dialog.job,
            dialog.bar,
            dialog.cancel,
        ]
        tops = [w.geometry().top() for w in widgets]
        bottoms = [w.geometry().bottom() for w in widgets]
        return all(b < t for b, t in zip(bottoms, tops[1:], strict=False)) and bottoms[-1] < dialog.height()

    assert whole(dialog.text) and whole(dialog.measured) and in_order()
    clock.t = 2 * REFERENCE_S[0]
    dialog._progress("pre-train on source", 0, 200, {})
    clock.t += 20.0
    dialog._progress("pre-train on source", 20, 200, {"eta_s": 150.0})  # the measured line wraps at 600 px
    qtbot.waitUntil(lambda: whole(dialog.text) and whole(dialog.measured) and in_order(), timeout=LAST_RESORT_MS)
    dialog._failed("the disk is full: " + "x" * 300)  # a long failure wraps too
    qtbot.waitUntil(lambda: whole(dialog.job) and in_order(), timeout=LAST_RESORT_MS)
    with qtbot.waitSignal(dialog.worker.finished, timeout=LAST_RESORT_MS):
        dialog.worker.cancel()
