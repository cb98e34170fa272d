"""Inspection: a view like the paper's Fig. 6 for the current image (ground truth,
an ENT selection, the SPL mask, the PPL points), exportable as PNG; and the stage
history chart (mIoU against labels used) with per-class IoU in a table."""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PyQt6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..overlays import rgb_image


def compose(panels: list[tuple[str, np.ndarray]], columns: int = 2) -> QImage:
    """The panels in a grid (two by two for Fig. 6's four), each under a title sized to the
    panel, so the titles stay readable when the whole is scaled to a window."""
    h, w = panels[0][1].shape[:2]
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    title_h, gap = max(22, w // 28), max(6, w // 100)
    out = QImage(columns * (w + gap) - gap, rows * (h + title_h + gap) - gap, QImage.Format.Format_RGB888)
    out.fill(QColor(255, 255, 255))
    p = QPainter(out)
    font = QFont("Sans")
    font.setPixelSize(int(title_h * 0.7))
    p.setFont(font)
    for k, (title, arr) in enumerate(panels):
        img, keep = rgb_image(arr)
        x, y = (k % columns) * (w + gap), (k // columns) * (h + title_h + gap)
        p.drawImage(QPointF(x, y + title_h), img)
        p.setPen(QColor(0, 0, 0))
        p.drawText(QRectF(x, y, w, title_h), Qt.AlignmentFlag.AlignCenter, title)
        del keep
    p.end()
    return out


class ZoomView(QWidget):
    """An image scaled to fit the widget (aspect kept) until the user zooms with the
    wheel or +/-; drag to pan; double-click to fit again."""

    def __init__(self, image: QImage) -> None:
        super().__init__()
        self.image = image
        self.zoom = 1.0  # relative to the fit
        self.center = QPointF(image.width() / 2, image.height() / 2)
        self._drag: QPointF | None = None
        self.setMinimumSize(480, 180)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def scale(self) -> float:
        fit = min(self.width() / self.image.width(), self.height() / self.image.height())
        return fit * self.zoom

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        s = self.scale()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, s < 1)
        w, h = self.image.width() * s, self.image.height() * s
        x0 = self.width() / 2 - self.center.x() * s
        y0 = self.height() / 2 - self.center.y() * s
        p.drawImage(QRectF(x0, y0, w, h), self.image)
        p.end()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(16.0, max(1.0, zoom))
        if self.zoom == 1.0:
            self.center = QPointF(self.image.width() / 2, self.image.height() / 2)
        self.update()

    def wheelEvent(self, event) -> None:
        if event.angleDelta().y():
            self.set_zoom(self.zoom * (1.25 if event.angleDelta().y() > 0 else 0.8))

    def keyPressEvent(self, event) -> None:
        if event.text() in ("+", "="):
            self.set_zoom(self.zoom * 1.25)
        elif event.text() == "-":
            self.set_zoom(self.zoom * 0.8)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        self._drag = event.position()

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None:
            self.center -= (event.position() - self._drag) / self.scale()
            self._drag = event.position()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None

    def mouseDoubleClickEvent(self, event) -> None:
        self.set_zoom(1.0)


def legend(classes: list[str], colors) -> QLabel:
    """Class colours (the ground-truth panel) and the marks of the selection panels."""
    cells = [
        f'<span style="background-color: rgb({int(c[0])},{int(c[1])},{int(c[2])})">&nbsp;&nbsp;&nbsp;&nbsp;</span>'
        f"&nbsp;{name}"
        for name, c in zip(classes, colors)
    ]
    rows = "&nbsp;&nbsp; ".join(cells)
    label = QLabel(
        f"{rows}<br><b>white</b>: pixels selected (ENT, SPL mask) &nbsp;·&nbsp; "
        "<b>red dots</b>: PPL points &nbsp;·&nbsp; dimmed: not selected"
    )
    label.setObjectName("fig6Legend")
    label.setWordWrap(True)
    return label


class Fig6Dialog(QDialog):
    def __init__(self, parent, panels: list[tuple[str, np.ndarray]], name: str, classes=(), colors=()) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Fig. 6 view - {name} (wheel or +/- to zoom, drag to pan)")
        self.titles = [title for title, _ in panels]
        self.image = compose(panels)
        self.view = ZoomView(self.image)
        self.view.setObjectName("fig6Image")
        save = QPushButton("Export PNG…")
        save.setObjectName("fig6Export")
        save.clicked.connect(self._export)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(legend(list(classes), colors))
        lay.addWidget(save)
        self.default_name = f"{name}-fig6.png"
        on = self.screen()
        screen = on.availableGeometry() if on else None
        width = min(int(screen.width() * 0.8), self.image.width()) if screen else 1200
        height = int(width * self.image.height() / self.image.width()) + 110
        if screen is not None:
            height = min(height, int(screen.height() * 0.9))
        self.resize(max(700, width), max(420, height))

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", self.default_name, "PNG (*.png)")
        if path:
            self.image.save(path)


def budget_value(entry: dict) -> tuple[float, str]:
    """A stage's labels actually spent: points labelled per image, or % of pixels."""
    b = entry.get("budget") or {}
    if b.get("unit") == "points":
        return b.get("labeled_points_per_image", b.get("points_per_image", 0.0)), "labelled points per image"
    return 100 * b.get("pixel_share", 0.0), "% of pixels labelled"


def budget_text(entry: dict) -> str:
    """The one way the window writes a stage's budget."""
    b = entry.get("budget") or {}
    if not b or b.get("unit") == "none":
        return "no labels"
    value, unit = budget_value(entry)
    return f"{value:.1f} {unit}" if b.get("unit") == "points" else f"{value:.2f} {unit}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step + 1e-9) + 1)]


def tick_text(value: float) -> str:
    return f"{value:g}"


class HistoryChart(QWidget):
    """mIoU against labels used, one point per stage, with ticks on both axes; a model the
    annotator rejected ("keep the previous model") drawn hollow, marked rejected."""

    def __init__(self, history: list[dict]) -> None:
        super().__init__()
        self.history = [h for h in history if h.get("miou") is not None]
        self.evaluated = not any("agreement" in h for h in history)  # a project with a validation set
        self.x_ticks: list[float] = []  # as last drawn
        self.y_ticks: list[float] = []
        self.x_label = ""
        self.setMinimumSize(520, 320)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        left, bottom, top, right = 60, 48, 20, 30
        w, h = self.width() - left - right, self.height() - top - bottom
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.drawLine(left, top + h, left + w, top + h)
        p.drawLine(left, top, left, top + h)
        if not self.history:
            text = (
                "no evaluated stage yet"
                if self.evaluated
                else "no validation set: no mIoU (the table shows what is known)"
            )
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)
            return
        xs = [budget_value(e)[0] for e in self.history]
        ys = [100 * e["miou"] for e in self.history]
        rejected = [100 * (e.get("rejected") or {}).get("miou", math.nan) for e in self.history]
        shown = ys + [r for r in rejected if math.isfinite(r)]
        xlabel = budget_value(self.history[-1])[1]
        xmax = max(xs) * 1.25 or 1.0
        ymin, ymax = math.floor(min(shown) - 2), math.ceil(max(shown) + 2)

        def at(x: float, y: float) -> QPointF:
            return QPointF(left + w * x / xmax, top + h * (1 - (y - ymin) / max(ymax - ymin, 1)))

        metrics = p.fontMetrics()
        self.x_ticks, self.y_ticks = nice_ticks(0.0, xmax), nice_ticks(float(ymin), float(ymax))
        self.x_label = f"labels used: {xlabel}"
        for tx in self.x_ticks:
            c = at(tx, ymin)
            p.drawLine(c, c + QPointF(0, 5))
            label = tick_text(tx)
            p.drawText(c + QPointF(-metrics.horizontalAdvance(label) / 2, 5 + metrics.ascent()), label)
        for ty in self.y_ticks:
            c = at(0.0, ty)
            p.drawLine(c, c - QPointF(5, 0))
            p.drawText(QRectF(0, c.y() - 10, left - 8, 20), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       tick_text(ty))  # fmt: skip
        p.drawText(QRectF(left, top + h + 24, w, 22), Qt.AlignmentFlag.AlignCenter, self.x_label)
        p.save()
        p.translate(12, top + h / 2)
        p.rotate(-90)
        p.drawText(QRectF(-h / 2, -10, h, 20), Qt.AlignmentFlag.AlignCenter, "mIoU %")
        p.restore()
        pts = [at(x, y) for x, y in zip(xs, ys)]
        p.setPen(QPen(QColor(40, 110, 200), 2))
        for a, b in zip(pts, pts[1:]):
            p.drawLine(a, b)
        for e, pt, y, x, r in zip(self.history, pts, ys, xs, rejected):
            p.setPen(QPen(QColor(40, 110, 200), 2))
            p.setBrush(QColor(40, 110, 200))
            p.drawEllipse(pt, 4, 4)
            p.setPen(QColor(0, 0, 0))
            text = f"stage {e['stage']}: {y:.1f}"
            dx = -metrics.horizontalAdvance(text) - 6 if pt.x() > left + 0.7 * w else 6
            p.drawText(pt + QPointF(dx, -8), text)
            if math.isfinite(r):
                q = at(x, r)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(200, 40, 40), 2))
                p.drawEllipse(q, 5, 5)
                text = f"rejected: {r:.1f}"
                dx = -metrics.horizontalAdvance(text) - 8 if q.x() > left + 0.7 * w else 8
                p.drawText(q + QPointF(dx, 14), text)
        p.end()


class HistoryDialog(QDialog):
    def __init__(self, parent, history: list[dict], classes: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Stage history")
        self.chart = HistoryChart(history)
        # Without a validation set: the selector's inconsistency share and the agreement of
        # each stage's model with the previous one (percent); never a made-up mIoU.
        known = [("inconsistency %", "inconsistency_share"), ("agrees with previous %", "agreement")]
        known = [row for row in known if any(h.get(row[1]) is not None for h in history)]
        if any((h.get("rejected") or {}).get("miou") is not None for h in history):
            known.insert(0, ("mIoU of the rejected model", "rejected_miou"))
            history = [{**h, "rejected_miou": (h.get("rejected") or {}).get("miou")} for h in history]
        self.table = QTableWidget(len(classes) + 1 + len(known), len(history))
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels([f"stage {h['stage']}" for h in history])
        self.table.setVerticalHeaderLabels(["mIoU", *[name for name, _ in known], *classes])
        for c, h in enumerate(history):
            values = [h.get("miou"), *[h.get(key) for _, key in known], *(h.get("iou") or [None] * len(classes))]
            for r, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem("-" if v is None else f"{100 * v:.1f}"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.chart)
        lay.addWidget(self.table)
        self.resize(640, 760)
