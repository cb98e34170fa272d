"""The README's screenshots, made on the demo project under a real X server (Xvfb):

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 ./dev.sh demo --quit-after 1000      # prepares runs/desktop-demo once
    DISPLAY=:99 .venv/bin/python docs/make_screenshots.py runs/desktop-demo/demo.labor.h5

Works on a copy of the project (the demo stays as it was): opens the class chooser on a
point, labels every point of stage 1 through the point queue with its true class,
advances one stage (so the history chart has a point), and saves
docs/screenshots/{main-window,class-chooser,point-queue,labelled-points,fig6-view,
main-window-stage2,history-chart}.png.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QApplication

from labor_desktop.engine.workflow import run_folder
from labor_desktop.gui.window.main_window import MainWindow
from labor_desktop.store import Project

OUT = Path(__file__).resolve().parent / "screenshots"


def settle(app, seconds=0.3):
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> None:
    src = Path(sys.argv[1]).resolve()
    OUT.mkdir(exist_ok=True)
    app = QApplication(sys.argv[:1])
    copy = src.with_name("screenshots.labor.h5")  # beside it: the image paths are relative
    shutil.copy(src, copy)
    if Path(str(src) + ".journal").exists():
        shutil.copy(str(src) + ".journal", str(copy) + ".journal")
    shutil.copytree(run_folder(src), run_folder(copy), dirs_exist_ok=True)
    try:
        project = Project.open(copy)
        win = MainWindow(project)
        win.confirm = lambda text: True
        win.resize(1600, 1000)
        win.show()
        settle(app, 1.0)
        win.open_image(2)
        win.canvas.fit()
        settle(app)
        win.grab().save(str(OUT / "main-window.png"))  # the toolbar, the points hollow and red

        flow = win.points
        k = 0
        y, x, _ = (int(v) for v in win.document.editor.points[k])
        win.request_prediction()
        win.predictions.wait()
        settle(app, 0.5)
        flow.choose(k)  # what a click on the point does
        settle(app, 0.5)
        shot = win.grab()
        painter = QPainter(shot)  # the chooser is a popup window of its own: paint it in place
        painter.drawPixmap(win.mapFromGlobal(flow.chooser.pos()), flow.chooser.grab())
        painter.end()
        shot.save(str(OUT / "class-chooser.png"))
        flow.chooser.hide()

        def answer():  # a careful annotator: the true class of the point (the demo has ground truth)
            i, k = flow.queue.current
            y, x, _ = win.document.editor.points[k]
            truth = win.document.truth_labels[y, x] if win.document.truth_labels is not None else 255
            if truth == 255:
                flow.unsure()
            else:
                flow.queue_label(int(truth))

        flow.start()  # what Q does
        for _ in range(4):
            answer()
        settle(app)
        win.grab().save(str(OUT / "point-queue.png"))
        while flow.active:
            answer()
        win.open_image(2)
        win.canvas.fit()
        settle(app)
        win.grab().save(str(OUT / "labelled-points.png"))  # every point in its class colour
        win.inspect.fig6()
        while getattr(win.inspect, "last_fig6", None) is None:
            settle(app, 0.2)
        dialog = win.inspect.last_fig6
        dialog.resize(1300, 820)
        settle(app, 0.5)
        dialog.grab().save(str(OUT / "fig6-view.png"))
        dialog.close()
        win.advance_stage()
        while win.stages.running:
            settle(app, 0.5)
        settle(app, 0.5)
        win.grab().save(str(OUT / "main-window-stage2.png"))
        history = win.inspect.history()
        settle(app, 0.5)
        history.grab().save(str(OUT / "history-chart.png"))
        win.close()
        project.close()
    finally:
        for p in (copy, Path(str(copy) + ".journal"), Path(str(copy) + ".lock")):
            p.unlink(missing_ok=True)
        shutil.rmtree(run_folder(copy), ignore_errors=True)
    print(f"wrote {sorted(p.name for p in OUT.glob('*.png'))}")


if __name__ == "__main__":
    main()
