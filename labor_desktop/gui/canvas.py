"""The canvas: the target image and its layers, zoom on the wheel, pan with the
middle button, fit; mouse positions reported in image pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter, QPen
from PyQt6.QtWidgets import QWidget

LAYERS = ("image", "prediction", "mask", "points", "labels", "truth")


@dataclass
class Layer:
    name: str
    visible: bool = True
    opacity: float = 1.0
    image: QImage | None = None
    keep: object = None  # the numpy buffer behind ``image``


@dataclass
class PointMarks:
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int64))
    labeled: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    current: int | None = None  # highlighted (point queue)


class Canvas(QWidget):
    pressed = pyqtSignal(float, float, object)  # y, x, Qt.MouseButton
    dragged = pyqtSignal(float, float)
    released = pyqtSignal(float, float)
    hovered = pyqtSignal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 200)
        self.layers = {name: Layer(name) for name in LAYERS}
        self.layers["prediction"].opacity = 0.5
        self.layers["mask"].opacity = 0.45
        self.layers["labels"].opacity = 0.8
        self.layers["truth"].opacity = 0.6
        self.layers["prediction"].visible = False
        self.layers["truth"].visible = False
        self.marks = PointMarks()
        self.image_size = (0, 0)  # h, w
        self.scale = 1.0
        self.offset = QPointF(0, 0)
        self.brush_radius = 0  # drawn as the cursor outline
        self._pan_from: QPointF | None = None
        self._cursor = QPointF(-1, -1)

    # ---- content ---------------------------------------------------------------------
    def set_layer(self, name: str, image: QImage | None, keep=None) -> None:
        layer = self.layers[name]
        layer.image, layer.keep = image, keep
        self.update()

    def set_image_size(self, h: int, w: int) -> None:
        changed = (h, w) != self.image_size
        self.image_size = (h, w)
        if changed:
            self.fit()

    # ---- view ------------------------------------------------------------------------
    def fit(self) -> None:
        h, w = self.image_size
        if not h or not w:
            return
        self.scale = min(self.width() / w, self.height() / h)
        self.offset = QPointF((self.width() - w * self.scale) / 2, (self.height() - h * self.scale) / 2)
        self.update()

    def zoom(self, factor: float, around: QPointF | None = None) -> None:
        around = around or QPointF(self.width() / 2, self.height() / 2)
        new = min(64.0, max(0.05, self.scale * factor))
        image_pt = (around - self.offset) / self.scale
        self.scale = new
        self.offset = around - image_pt * new
        self.update()

    def center_on(self, y: float, x: float, scale: float | None = None) -> None:
        if scale is not None:
            self.scale = scale
        self.offset = QPointF(self.width() / 2 - (x + 0.5) * self.scale, self.height() / 2 - (y + 0.5) * self.scale)
        self.update()

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        p = (pos - self.offset) / self.scale
        return p.y(), p.x()

    def image_rect_to_widget(self, rect: tuple[int, int, int, int]) -> QRectF:
        y0, y1, x0, x1 = rect
        return QRectF(
            self.offset.x() + x0 * self.scale - 1,
            self.offset.y() + y0 * self.scale - 1,
            (x1 - x0) * self.scale + 2,
            (y1 - y0) * self.scale + 2,
        )

    def update_image_rect(self, rect: tuple[int, int, int, int]) -> None:
        self.update(self.image_rect_to_widget(rect).toAlignedRect())

    # ---- painting --------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 30, 30))
        src, dst = self._exposed(QRectF(event.rect()))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale < 1)
        if src is not None:
            for name in ("image", "prediction", "truth", "mask", "labels"):
                layer = self.layers[name]
                if layer.visible and layer.image is not None:
                    p.setOpacity(layer.opacity)
                    p.drawImage(dst, layer.image, src)  # only the exposed part: a stamp repaints a few pixels
        p.setOpacity(1.0)
        if self.layers["points"].visible:
            self._paint_points(p)
        if self.brush_radius and self._cursor.x() >= 0:
            p.setPen(QPen(QColor(255, 255, 255), 1))
            r = (self.brush_radius + 0.5) * self.scale
            p.drawEllipse(self._cursor, r, r)
        p.end()

    def _exposed(self, area: QRectF) -> tuple[QRectF | None, QRectF | None]:
        """(source rectangle in image pixels, its place on the widget) of ``area``."""
        h, w = self.image_size
        s = self.scale
        x0 = max(0, math.floor((area.left() - self.offset.x()) / s))
        y0 = max(0, math.floor((area.top() - self.offset.y()) / s))
        x1 = min(w, math.ceil((area.right() + 1 - self.offset.x()) / s))
        y1 = min(h, math.ceil((area.bottom() + 1 - self.offset.y()) / s))
        if x0 >= x1 or y0 >= y1:
            return None, None
        return (
            QRectF(x0, y0, x1 - x0, y1 - y0),
            QRectF(self.offset.x() + x0 * s, self.offset.y() + y0 * s, (x1 - x0) * s, (y1 - y0) * s),
        )

    def _paint_points(self, p: QPainter) -> None:
        r = max(3.0, min(8.0, 2 * self.scale))
        for i, (y, x, _) in enumerate(self.marks.points.tolist()):
            c = QPointF(self.offset.x() + (x + 0.5) * self.scale, self.offset.y() + (y + 0.5) * self.scale)
            done = bool(self.marks.labeled[i]) if i < len(self.marks.labeled) else False
            p.setPen(QPen(QColor(0, 0, 0), 3))
            p.setBrush(QColor(60, 220, 90) if done else QColor(255, 60, 60))
            rr = r * (1.8 if i == self.marks.current else 1.0)
            p.drawEllipse(c, rr, rr)
            if i == self.marks.current:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(255, 255, 0), 2))
                p.drawEllipse(c, rr + 6, rr + 6)

    # ---- input -----------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8, event.position())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            return
        y, x = self.to_image(event.position())
        self.pressed.emit(y, x, event.button())

    def mouseMoveEvent(self, event) -> None:
        self._cursor = event.position()
        if self._pan_from is not None:
            self.offset += event.position() - self._pan_from
            self._pan_from = event.position()
            self.update()
            return
        y, x = self.to_image(event.position())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.dragged.emit(y, x)
        else:
            self.hovered.emit(y, x)
        if self.brush_radius:
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            return
        y, x = self.to_image(event.position())
        self.released.emit(y, x)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() <= 0:
            self.fit()
