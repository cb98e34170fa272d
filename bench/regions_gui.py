"""The Region flow's speed in the window on a Cityscapes-sized image (1024x2048), offscreen,
each beside its reference measured in the same run:

1. a real click with the Region tool until the class chooser is on screen, the model's mean
   probabilities over the region listed (goal <= 50 ms), beside a click on a proposed point
   (the point chooser); and the first click on an image, superpixels not computed yet;
2. labelling a region (one undo step, the overlay recoloured in the region's rectangle, a
   synchronous repaint of it; goal <= 16 ms), beside recolouring the whole overlay and
   repainting everything;
3. a full repaint with the stage's proposed regions outlined, beside one without.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/regions_gui.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from gui import H, W, make_project  # noqa: E402
from PyQt6.QtCore import QPoint, Qt  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from labor_desktop.engine.jobs.proposals import _superpixels_cached  # noqa: E402
from labor_desktop.engine.workflow import ProjectWorkflow  # noqa: E402
from labor_desktop.gui.window.main_window import MainWindow  # noqa: E402
from labor_desktop.labeling import Tool  # noqa: E402
from labor_desktop.store import Project  # noqa: E402

SIZE, ASKED = 32, 40  # the default region size; regions asked per image


class Times(list):
    """Wall seconds of each run, and the main thread's CPU seconds beside them (the machine
    is shared: the wall clock includes waiting for a core, the thread's CPU time does not)."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []

    def start(self) -> None:
        self._t, self._c = time.perf_counter(), time.thread_time()

    def stop(self) -> None:
        self.append(time.perf_counter() - self._t)
        self.cpu.append(time.thread_time() - self._c)


def ms(xs: list[float]) -> float:
    return 1000 * statistics.median(xs)


def both(xs: Times, digits: int = 1) -> str:
    return f"{ms(xs):.{digits}f} ms (CPU {ms(xs.cpu):.{digits}f} ms)"


def region_proposals(path: Path, n_images: int) -> None:
    """Stage 1 asks the ``ASKED`` largest superpixels of each image, a point each."""
    with Project.open(path) as p:
        flow = ProjectWorkflow(p)
        for i in range(n_images):
            sp = flow.superpixels(i, SIZE)
            ids = np.argsort(-np.bincount(sp.ravel()), kind="stable")[:ASKED]
            seeds = []
            for rid in ids:
                ys, xs = np.nonzero(sp == rid)
                k = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
                seeds.append([ys[k], xs[k], 0])
            p.save_proposal(1, i, np.isin(sp, ids), np.array(seeds, np.int32), region_size=SIZE)


def click(canvas, y: int, x: int) -> None:
    pos = QPoint(int(canvas.offset.x() + (x + 0.5) * canvas.scale), int(canvas.offset.y() + (y + 0.5) * canvas.scale))
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        path = make_project(Path(tmp), 4, n_files=4)
        region_proposals(path, 4)
        project = Project.open(path)
        win = MainWindow(project)
        win.confirm = lambda text: True
        win.resize(1600, 1000)
        win.show()
        app.processEvents()
        canvas, doc, regions, points = win.canvas, win.document, win.regions, win.points
        rng = np.random.default_rng(0)
        for i in range(4):  # the model's probabilities, as the predictions job leaves them
            logits = rng.random((19, H // 16, W // 16), np.float32)
            probs = np.exp(4 * logits) / np.exp(4 * logits).sum(0)
            win.predictions.probs[i] = np.ascontiguousarray(np.repeat(np.repeat(probs, 16, 1), 16, 2))
        canvas.fit()
        app.processEvents()
        sp = win.workflow.superpixels(0)
        spots = [(int(rng.integers(20, H - 20)), int(rng.integers(20, W - 20))) for _ in range(args.repeats)]

        region_clicks, point_clicks = Times(), Times()
        for r, (y, x) in enumerate(spots):  # interleaved: the same machine state for both
            win.session.update(tool=Tool.REGION)
            region_clicks.start()
            click(canvas, y, x)
            regions.chooser.repaint()
            app.processEvents()
            region_clicks.stop()
            assert regions.chooser.isVisible() and "0." in regions.chooser.list.item(0).text()
            regions.chooser.hide()
            win.session.update(tool=Tool.POINT)
            k = r % len(doc.current_editor().points)
            py, px, _ = doc.current_editor().points[k]
            point_clicks.start()
            click(canvas, int(py), int(px))
            points.chooser.repaint()
            app.processEvents()
            point_clicks.stop()
            assert points.chooser.isVisible()
            points.chooser.hide()

        cold = Times()
        for i in (1, 2, 3):  # the first click on an image: its superpixels are computed then
            win.open_image(i)
            win.session.update(tool=Tool.REGION)
            _superpixels_cached.cache_clear()
            cold.start()
            click(canvas, H // 2, W // 2)
            regions.chooser.repaint()
            app.processEvents()
            cold.stop()
            regions.chooser.hide()
        win.open_image(0)
        app.processEvents()
        sp = win.workflow.superpixels(0)

        ed = doc.current_editor()
        ids = rng.permutation(int(sp.max()) + 1)[: 2 * args.repeats]
        labelled, naive = Times(), Times()
        for n, rid in enumerate(ids):
            rows, cols = np.flatnonzero((sp == rid).any(1)), np.flatnonzero((sp == rid).any(0))
            box = canvas.image_rect_to_widget((rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)).toAlignedRect()
            regions.selected = int(rid)
            if n % 2 == 0:  # the window's way: the class key's handler, the rectangle recoloured and repainted
                labelled.start()
                regions._chosen(3 + n % 4)
                canvas.repaint(box)
                labelled.stop()
            else:
                listeners, ed.listeners = ed.listeners, []
                naive.start()
                regions._chosen(3 + n % 4)
                doc.labels_overlay.refresh(None)  # the naive way: recolour everything, repaint everything
                canvas.repaint()
                naive.stop()
                ed.listeners = listeners

        with_marks, without = Times(), Times()
        marks = dict(canvas.region_marks)
        assert marks, "the proposed regions are outlined"
        for _ in range(args.repeats // 2):
            canvas.region_marks = marks
            with_marks.start()
            canvas.repaint()
            with_marks.stop()
            canvas.region_marks = {}
            without.start()
            canvas.repaint()
            without.stop()
        canvas.region_marks = marks

        sizes = np.bincount(sp.ravel())
        print(f"1024x2048, {int(sp.max()) + 1} regions of {SIZE} px (median {int(np.median(sizes))} px each)")
        print("| measure | median | aim |\n|---|---|---|")
        print(f"| Region tool click -> chooser with the region's probabilities | {both(region_clicks)} | <= 50 ms |")
        print(f"| click on a proposed point -> chooser, same run | {both(point_clicks)} | |")
        print(
            f"| ratio region / point | {ms(region_clicks) / ms(point_clicks):.2f}x (CPU {ms(region_clicks.cpu) / ms(point_clicks.cpu):.2f}x) | |"
        )
        print(f"| first Region click on an image (superpixels computed then) | {both(cold, 0)} | |")
        print(f"| region label -> repainted (rectangle) | {both(labelled)} | <= 16 ms |")
        print(f"| same, recolouring the whole overlay and repainting all | {both(naive)} | |")
        print(
            f"| speed-up, side by side | {ms(naive) / ms(labelled):.1f}x (CPU {ms(naive.cpu) / ms(labelled.cpu):.1f}x) | |"
        )
        print(f"| full repaint with {ASKED} proposed regions outlined | {both(with_marks)} | |")
        print(f"| same without outlines | {both(without)} | |")
        win.close()
        project.close()


if __name__ == "__main__":
    main()
