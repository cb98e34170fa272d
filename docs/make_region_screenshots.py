"""The Region flow's screenshots, made by real mouse clicks and key presses (xdotool) under a
real X server, on a small ``regions`` project (docs/make_region_screenshots.sh drives it):

    python docs/make_region_screenshots.py prepare DIR    # demo data + a regions project at stage 1
    python docs/make_region_screenshots.py app DIR/regions.labor.h5 INFO.json   # the window

``app`` opens the window on a copy of the project, fits the image and writes INFO.json:
the window's id and the screen positions of a region to hover and click (the largest
superpixel of the image shown), so the driver knows where to click.  The window runs
until it is closed (Ctrl+Q from the driver).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np


def prepare(root: Path) -> Path:
    from labor_desktop.data.demo_generator import DemoDataConfig, generate_demo_data
    from labor_desktop.engine.config import preset
    from labor_desktop.engine.projects.experiment_data import ExperimentData
    from labor_desktop.engine.workflow import ProjectWorkflow, create_project
    from labor_desktop.store import Project

    data = root / "data"
    if not data.exists():
        generate_demo_data(data, DemoDataConfig(size=(256, 512), n_source=12, n_target=6, n_val=4))
    cfg = preset("smoke")
    path = root / "regions.labor.h5"
    if not path.exists():
        create_project(path, cfg, ExperimentData.find(cfg.data, data), "regions").close()
        with Project.open(path) as project:
            ProjectWorkflow(project).bootstrap()
    return path


def app(src: Path, info: Path) -> None:
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from labor_desktop.engine.workflow import run_folder
    from labor_desktop.gui.window.main_window import MainWindow
    from labor_desktop.store import Project

    qt = QApplication(sys.argv[:1])
    copy = src.with_name("screenshots.labor.h5")  # beside it: the image paths are relative
    for a, b in ((src, copy), (Path(str(src) + ".journal"), Path(str(copy) + ".journal"))):
        if a.exists():
            shutil.copy(a, b)
    shutil.copytree(run_folder(src), run_folder(copy), dirs_exist_ok=True)
    project = Project.open(copy)
    win = MainWindow(project)
    win.confirm = lambda text: True
    win.resize(1600, 1000)
    win.move(0, 0)
    win.show()

    def truth_key(region: np.ndarray) -> str:
        """The key of the region's majority true class: a careful annotator's answer."""
        truth = win.document.truth_labels
        votes = np.bincount(truth[region & (truth != 255)], minlength=len(win.names)) if truth is not None else [0]
        return win.class_keys[int(np.argmax(votes))].lower()

    def ready() -> None:
        win.canvas.fit()
        i = win.document.index
        sp = win.workflow.superpixels(i)
        ids = win.points.region_ids()  # the asked regions: hover and click another one, near the middle
        h, w = sp.shape
        yy, xx = np.mgrid[0:h, 0:w]
        n = np.bincount(sp.ravel()).astype(float)
        cy, cx = np.bincount(sp.ravel(), yy.ravel()) / n, np.bincount(sp.ravel(), xx.ravel()) / n
        far = (cy - 0.6 * h) ** 2 + (cx - 0.55 * w) ** 2
        far[ids] = np.inf
        rid = int(far.argmin())
        ys, xs = np.nonzero(sp == rid)
        k = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
        c = win.canvas
        at = c.mapToGlobal(c._point_center(int(ys[k]), int(xs[k])).toPoint())
        queue = [truth_key(sp == rid_k) for rid_k in ids[:5]]  # the queue starts with this image's regions
        info.write_text(
            json.dumps(
                {"window": int(win.winId()), "region": [at.x(), at.y()], "key": truth_key(sp == rid), "queue": queue}
            )
        )

    QTimer.singleShot(1500, ready)
    qt.exec()
    project.close()
    for p in (copy, Path(str(copy) + ".journal"), Path(str(copy) + ".lock")):
        p.unlink(missing_ok=True)
    shutil.rmtree(run_folder(copy), ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        print(prepare(Path(sys.argv[2]).resolve()))
    else:
        app(Path(sys.argv[2]).resolve(), Path(sys.argv[3]))
