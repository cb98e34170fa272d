"""The real ``labor-desktop`` entry point with a read-only probe, for driving the window by
hand under Xvfb with xdotool (docs/guide-check.md):

    PROBE=/tmp/probe.json DISPLAY=:57 QT_QPA_PLATFORM=xcb python docs/window_probe.py [labor-desktop args]

Every 150 ms it writes what the windows show to $PROBE (JSON): each visible top-level
window's class, title, frame and buttons; for the main window the status bar's texts, the
chooser's rows, the SAM tool's state (enabled, tooltip, busy, outline, its chooser), the
queue's line, the place (image, class, tool, zoom, layers) and the screen position of every
proposed point, so a driver knows where to click and what the window said.  It never clicks, types or calls the window's methods: xdotool does the
driving, as a person would."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QPoint, QTimer
from PyQt6.QtWidgets import QAbstractButton, QApplication, QLabel, QMessageBox, QWidget

OUT = Path(os.environ.get("PROBE", "probe.json"))


def rect(w: QWidget) -> list[int]:
    """Screen rectangle: the frame for a window, the widget's own area otherwise."""
    if w.isWindow():
        g = w.frameGeometry()
        return [g.x(), g.y(), g.width(), g.height()]
    tl = w.mapToGlobal(QPoint(0, 0))
    return [tl.x(), tl.y(), w.width(), w.height()]


def on_screen(canvas, y: int, x: int) -> list[int]:
    p = canvas.mapToGlobal(canvas._point_center(y, x).toPoint())
    return [p.x(), p.y()]


def window_entry(w: QWidget) -> dict:
    e: dict = {"class": type(w).__name__, "title": w.windowTitle(), "rect": rect(w), "id": int(w.winId())}
    if isinstance(w, QMessageBox):
        e["text"], e["info"] = w.text(), w.informativeText()
    e["buttons"] = {b.text(): rect(b) for b in w.findChildren(QAbstractButton) if b.isVisible() and b.text()}
    e["labels"] = [label.text() for label in w.findChildren(QLabel) if label.isVisible() and label.text()][:20]
    return e


def main_entry(w) -> dict:
    c, doc, bar = w.canvas, w.document, w.stage_bar
    m: dict = {"title": w.windowTitle(), "id": int(w.winId()), "rect": rect(w), "canvas": rect(c)}
    m |= {"image": doc.index, "stage": w.stage, "session": w.session.to_dict(), "scale": c.scale}
    m["layers"] = {name: layer.visible for name, layer in c.layers.items()}
    ed = doc.editor
    if ed is not None:
        pts, labels = ed.points.tolist(), ed.point_labels()
        m["points"] = [[*on_screen(c, y, x), y, x, int(labels[k])] for k, (y, x, _) in enumerate(pts)]
        m["in_mask"] = [bool(ed.mask[y, x]) for y, x, _ in pts]
        truth = doc.truth_labels
        m["truth_at_points"] = [int(truth[y, x]) if truth is not None else 255 for y, x, _ in pts]
        mask = np.argwhere(ed.mask)
        sample = mask[:: max(1, len(mask) // 50)][:50].tolist()
        m["mask_global"] = [[*on_screen(c, y, x), y, x] for y, x in sample]
    m |= {"state": bar.state.text(), "job": bar.job.text(), "job_shown": bar.job.shown_text()}
    m |= {"cancel": rect(bar.cancel), "advance": rect(bar.advance), "bar_visible": bar.bar.isVisible()}
    m["error"] = bar.error.text() if bar.error.isVisible() else ""
    m |= {"message": w.statusBar().currentMessage(), "message_tip": w.statusBar().toolTip()}
    m["cursor"] = w.cursor_label.text()
    ch = w.points.chooser
    rows = [ch.list.item(r).text() for r in range(min(6, ch.list.count()))]
    m["chooser"] = {"visible": ch.isVisible(), "rect": rect(ch) if ch.isVisible() else None, "rows": rows}
    sam, act = w.sam, w.action_map["tool_sam"]
    sc = sam.chooser
    m["sam"] = {
        "enabled": act.isEnabled(), "checked": act.isChecked(), "tip": act.toolTip(), "status_tip": act.statusTip(),
        "busy": sam.busy, "outline": c.assist_outline is not None, "canvas_cursor": c.cursor().shape().name,
        "chooser": {"visible": sc.isVisible(), "rect": rect(sc) if sc.isVisible() else None,
                    "title": sc.title.text(), "rows": [sc.list.item(r).text() for r in range(min(6, sc.list.count()))]},
    }  # fmt: skip
    current = w.points.queue.current if w.points.active else None
    m["queue"] = {"active": w.points.active, "current": list(current) if current else None}
    m["headsup"] = c.headsup
    pal = w.class_palette.list
    item = pal.visualItemRect(pal.item(w.session.active_class))
    m["palette"] = {"active": w.session.active_class, "active_in_view": pal.viewport().rect().contains(item.center())}
    il = w.image_list.list
    view = rect(il.viewport())
    m["image_rows"] = [
        [
            il.item(r).text(),
            view[0] + il.visualItemRect(il.item(r)).center().x(),
            view[1] + il.visualItemRect(il.item(r)).center().y(),
        ]
        for r in range(min(12, il.count()))
    ]
    m["history"] = w.project.history()
    return m


def dump() -> None:
    from labor_desktop.gui.window.main_window import MainWindow

    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    d: dict = {"windows": [window_entry(w) for w in shown]}
    mains = [w for w in shown if isinstance(w, MainWindow)]
    if mains:
        d["main"] = main_entry(mains[-1])
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(d, default=str, indent=1))
    tmp.replace(OUT)


def main() -> int:
    app = QApplication([sys.argv[0]])
    timer = QTimer()
    timer.setInterval(150)

    def safe() -> None:
        try:
            dump()
        except Exception as e:  # noqa: BLE001 - a half-built window: the next tick reads it
            OUT.with_suffix(".err").write_text(repr(e))

    timer.timeout.connect(safe)
    timer.start()
    from labor_desktop.gui.app import main as app_main

    code = app_main(sys.argv[1:])
    app.processEvents()
    return code


if __name__ == "__main__":
    sys.exit(main())
