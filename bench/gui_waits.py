"""What the window's thread waits for, before and after the writer thread and the status
cache, side by side in one run, offscreen, on 1024x2048 images:

1. the end of a brush stroke (the undo step, the status, the save): now the labels go to
   the writer thread; "before" runs the same window with the previous way put back (the
   save and a whole-image status on the window's thread, ``InlineSaves`` below);
2. "End stage" clicked to the progress bar shown, on a 3,000-image project: with every
   status known (the image list filled), and with none known (the click right after
   opening), where the previous way decoded every image's labels and proposal first.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_waits.py [--images 3000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from gui import H, W, make_project  # noqa: E402
from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from labor_desktop.gui.window.main_window import MainWindow  # noqa: E402
from labor_desktop.labeling import LabelSave, image_status  # noqa: E402
from labor_desktop.store import Project  # noqa: E402


class InlineSaves:
    """The previous way, for comparison: each save written (fsync-ed) on the caller's thread,
    the image's status computed whole from its arrays."""

    def __init__(self, project: Project, document) -> None:
        self.project, self.document, self.failed = project, document, 0

    def submit(self, item) -> None:
        if isinstance(item, LabelSave) and item.labels is not None:
            ed = self.document.editor
            self.document.statuses.put(item.image, image_status(ed.labels, ed.mask, ed.points))
            self.project.save_labels(item.image, item.labels, item.stage, item.effort, item.effort_stage)
        elif isinstance(item, LabelSave):
            self.project.add_effort(item.image, item.effort_stage, **(item.effort or {}))

    def latest(self, i):
        return None

    def unsaved_images(self) -> set[int]:
        return set()

    def retry(self) -> None:
        pass

    def wait(self, timeout=None) -> bool:
        return True

    def flush(self, timeout=None) -> bool:
        return True

    def close(self, timeout=None) -> bool:
        return True


def stroke_ends(app, win, writer, rounds: int, seed: int) -> list[float]:
    """GUI-thread seconds of each stroke's end (mouse release: undo step, status, save), after
    a 20-stamp stroke; the writer's own time is not on this thread."""
    doc, ed = win.document, win.document.editor
    doc.writer = writer
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(rounds):
        ed.begin_stroke()
        y, x = int(rng.integers(100, H - 100)), int(rng.integers(100, W - 300))
        for k in range(20):
            ed.stroke_to(y, x + 10 * k, 12)
        writer.wait()  # a person's pace: the last stroke's save is done before this one ends
        app.processEvents()
        t = time.perf_counter()
        doc.act(ed.end_stroke, brush_strokes=1)  # what the tool does at mouse release
        out.append(time.perf_counter() - t)
        app.processEvents()
    return out


class Waiting:
    """A stage job that only waits for Cancel (the bench measures how soon it shows)."""

    running = threading.Event()

    def __init__(self, project, progress=None, cancel=None) -> None:
        self.cancel = cancel

    def finish(self):
        Waiting.running.set()
        while not self.cancel.is_set():
            time.sleep(0.01)
        from labor_desktop.engine.workflow import Cancelled

        raise Cancelled("stage")


def end_stage_click(app, win) -> float:
    """Seconds from the click on "End stage" to the progress bar on screen (then cancelled)."""
    bar = win.stage_bar
    t = time.perf_counter()
    QTest.mouseClick(bar.advance, Qt.MouseButton.LeftButton)
    while not bar.bar.isVisible():
        app.processEvents()
    bar.bar.repaint()
    shown = time.perf_counter() - t
    while win.stages.running or not Waiting.running.is_set():  # the count (if any), the stage job
        if Waiting.running.is_set():
            win.stages.cancel()
        app.processEvents()
        time.sleep(0.005)
    Waiting.running.clear()
    return shown


def previous_way(win):
    """``StageControl.end_stage`` as it was: every status not known decoded on the window's
    thread, then the counts, the question and the stage job."""
    stages, doc = win.stages, win.document

    def end_stage(document, unit, stage) -> None:
        for i in range(len(win.project.images)):
            if doc.statuses.get(i) is None:
                doc.statuses.compute(i, doc.labels_of(i)[0], *doc.proposal(i))
        done, total, _ = win.stage_counts()
        if done < total and not stages.confirm("End the stage anyway?"):
            return
        stages.advance(done, total, document)

    return end_stage


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        path = make_project(Path(tmp), args.images)
        print(f"made a {args.images}-image project in {time.perf_counter() - t:.0f} s")
        project = Project.open(path)
        win = MainWindow(project)
        win.resize(1600, 1000)
        win.show()
        app.processEvents()
        win.confirm = lambda text: True
        win.stages.workflow_factory = Waiting
        threaded, inline = win.document.writer, InlineSaves(project, win.document)
        new, old = [], []
        for r in range(3):  # interleaved rounds: the same machine state for both
            new += stroke_ends(app, win, threaded, args.rounds // 3, seed=r)
            old += stroke_ends(app, win, inline, args.rounds // 3, seed=100 + r)
        win.document.writer = threaded

        current, previous = win.stages.end_stage, previous_way(win)
        unknown_new, unknown_old, known_new, known_old = [], [], [], []
        win.image_list.stop()
        for _ in range(2):  # the click right after opening: only the shown image's status known
            for way, out in ((current, unknown_new), (previous, unknown_old)):
                win.stages.end_stage = way
                win.document.forget_statuses()
                win.document.status(win.document.index)
                out.append(end_stage_click(app, win))
        for _ in range(5):  # every status known now
            for way, out in ((current, known_new), (previous, known_old)):
                win.stages.end_stage = way
                out.append(end_stage_click(app, win))
        win.stages.end_stage = current
        ms = 1000.0

        def row(what: str, before: list[float], after: list[float], aim: str) -> None:
            b, a = statistics.median(before), statistics.median(after)
            print(f"| {what} | {b * ms:.1f} ms | {a * ms:.2f} ms | {b / a:.0f}x | {aim} |")

        print(f"images {W}x{H}, {args.images}-image project; medians")
        print("| the window's thread waits for | before | after | ratio | aim |\n|---|---:|---:|---:|---|")
        row("end of a brush stroke (undo step, status, save)", old, new, "<= 5 ms")
        row("End stage -> progress bar, every status known", known_old, known_new, "<= 100 ms")
        row("End stage -> progress bar, no status known yet", unknown_old, unknown_new, "<= 100 ms")
        win.close()
        project.close()


if __name__ == "__main__":
    main()
