"""A closed window is cut loose from everything that outlives it: its jobs' threads, the
label writer's thread, the session's listener list.  Before, a job that ended after its
window was deleted, or a writer still busy when the window closed, reached the deleted
widgets (a RuntimeError at best; a bound signal kept past its object's deletion crashed
the whole process, which is why one check runs in a child process)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui_support import copy_of, template
from PyQt6 import sip
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from labor_desktop.gui.window.main_window import MainWindow
from labor_desktop.labeling import Tool
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixture took 340 s under load

__all__ = ["template"]  # the module's fixture, imported for pytest


def test_a_closed_window_has_no_place_write_pending_and_starts_none(template, tmp_path_factory, qtbot):
    """The crash of the suite (a segfault in a later, Qt-free test, inside pytest-qt's event
    processing): the window's place is written 400 ms after a change, by a timer whose slot
    was a lambda; a change just before the close left the write pending, and it fired later
    into a window Python's collector had half taken apart (the lambda's closure cleared)."""
    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    win = MainWindow(project)
    qtbot.addWidget(win)
    win.show()
    timer = win.place_keeper.timer
    win.session.update(active_class=2)  # a change: its place is written shortly after
    assert timer.isActive()
    win.close()  # the place is written now, by the close itself
    project.close()
    assert not timer.isActive()
    win.session.update(active_class=3)  # nothing after the close starts a write again
    win.canvas.view_changed.emit(2.0)
    win.image_list.filter.toggle()
    assert not timer.isActive() and win.session.listeners == []


def test_a_closed_and_deleted_window_is_reached_by_nothing_that_outlives_it(template, tmp_path_factory, qtbot):
    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    win = MainWindow(project)  # not given to qtbot: this test deletes it
    win.show()
    preds = win.predictions
    preds.forget()
    preds.jobs.clear()
    preds.request_file(1, project.image_path(1))
    job = preds.jobs[1]
    job.wait()  # its thread has ended; its result waits in the event queue, undelivered
    session, writer = win.session, win.document.writer
    win.close()
    project.close()
    sip.delete(win)  # the window and its widgets are gone now, the job and the writer are not
    assert sip.isdeleted(preds) and not sip.isdeleted(job)
    QApplication.processEvents()  # the job's result and end: delivered to nobody
    job.failed.emit("late", "")  # a failure after the window is gone
    session.update(active_class=3)  # the session outlives the window: no listener of its is called
    assert session.listeners == []
    writer.on_saved(0)  # the writer's thread, still busy when the window closed, reports a save
    writer.on_failed("the disk is full")
    # pytest-qt fails the test on any exception raised in a slot meanwhile (RuntimeError:
    # "wrapped C/C++ object ... has been deleted"); nothing was raised here.


def test_closing_in_the_middle_of_a_stroke_puts_the_stroke_on_disk(template, tmp_path_factory, qtbot):
    """A close (Ctrl+W, Ctrl+Q) while the mouse still paints: the stroke so far is handed to
    the writer before it closes (the stroke saver, whose timer stops with the window, would
    have done so up to 2 s later)."""
    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    win = MainWindow(project)
    qtbot.addWidget(win)
    win.show()
    win.session.update(tool=Tool.BRUSH, active_class=3, brush_radius=0, limit_to_mask=False)
    i = win.document.index
    before = project.labels(i)[0]
    win.canvas.pressed.emit(20.0, 10.0, Qt.MouseButton.LeftButton)
    win.canvas.dragged.emit(20.0, 40.0)  # no release: the stroke is in progress
    win.close()
    project.close()
    with Project.open(path, read_only=True) as again:
        labels = again.labels(i)[0]
    painted = np.zeros(labels.shape, bool)
    painted[20, 10:41] = True
    assert (labels[painted] == 3).all() and (labels[~painted] == before[~painted]).all()


CHILD = r"""
import sys
from PyQt6 import sip
from PyQt6.QtWidgets import QApplication
from labor_desktop.gui.window.main_window import MainWindow
from labor_desktop.store import Project

app = QApplication([])
project = Project.open(sys.argv[1])
win = MainWindow(project)
win.show()
app.processEvents()
writer = win.document.writer
win.close()
project.close()
sip.delete(win)
writer.on_saved(0)  # a writer that outlived the window's close (a 5 s wait on a slow disk)
writer.on_failed("the disk is full")
app.processEvents()
print("nothing reached the deleted window")
"""


@pytest.mark.slow  # a child process with the window (about 15 s under load)
def test_a_writer_that_outlives_its_window_does_not_crash_the_process(template, tmp_path_factory):
    """The writer's callbacks were the document's bound signals, kept: called after the
    document was deleted, they crashed the process (SIGSEGV)."""
    path = copy_of(template, tmp_path_factory)
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    child = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", CHILD, str(path)], capture_output=True, text=True, env=env
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.splitlines()[-1] == "nothing reached the deleted window"


CHILD_JOB = r"""
import gc, threading, time, weakref
from PyQt6.QtWidgets import QApplication
app = QApplication([])
from labor_desktop.gui.jobs import Job
release = threading.Event()
job = Job(lambda progress, cancel: release.wait(600), "held")
job.start()
ref = weakref.ref(job)
del job  # its owner lets go (a closed window, collected) while its thread runs
gc.collect()
print("held while running:", ref() is not None and ref().isRunning(), flush=True)
release.set()
while ref() is not None:  # the event: let go once its thread has ended
    app.processEvents()
    time.sleep(0.01)
print("let go once ended")
"""


@pytest.mark.slow  # a child process importing the window's modules (about 15 s under load)
def test_a_running_job_its_owner_let_go_of_is_held_until_its_thread_ends():
    """A QThread destroyed while it runs aborts the program ("QThread: Destroyed while thread
    is still running"): a job whose window was closed and collected is held until it ends."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    child = subprocess.run([sys.executable, "-c", CHILD_JOB], capture_output=True, text=True, env=env)
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.splitlines() == ["held while running: True", "let go once ended"]
