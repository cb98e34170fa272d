"""The canvas: the target image and its layers, zoom on the wheel, pan with the
middle button, fit (and refit on resize until the user zooms); proposed points
drawn so that their state shows at a glance (hollow red: unlabeled; filled with
the class colour: labelled; yellow "?": unsure), earlier stages' labelled points as
small dimmed dots, proposed regions outlined; the point queue's heads-up line;
mouse positions reported in image pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import QApplication, QWidget

LAYERS = ("image", "prediction", "mask", "points", "earlier", "labels", "truth")


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
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))  # per point; 255 = none
    unsure: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    earlier: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int64))  # y, x, label: past stages
    colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    current: int | None = None  # highlighted: selected, or the point queue's point

    def labeled(self, i: int) -> bool:
        return i < len(self.labels) and int(self.labels[i]) < len(self.colors)

    def radius(self, scale: float) -> float:
        return max(5.0, min(9.0, 2 * scale))


class Canvas(QWidget):
    pressed = pyqtSignal(float, float, object)  # y, x, Qt.MouseButton
    dragged = pyqtSignal(float, float)
    released = pyqtSignal(float, float)
    hovered = pyqtSignal(float, float)
    left = pyqtSignal()  # the cursor left the canvas
    view_changed = pyqtSignal(float)  # scale (1.0 = 100 %)

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
        self.layers["earlier"].opacity = 0.7
        self.layers["prediction"].visible = False
        self.layers["truth"].visible = False
        self.marks = PointMarks()
        self.image_size = (0, 0)  # h, w
        self.scale = 1.0
        self.offset = QPointF(0, 0)
        self.brush_radius = 0  # drawn as the cursor outline
        self.region_outline: QPainterPath | None = None  # the Region tool's hovered superpixel
        self.assist_outline: QPainterPath | None = None  # the SAM assist's mask, while its class is asked
        self.region_marks: dict[str, tuple[QPainterPath, QColor]] = {}  # proposed regions, by state, in order
        self.headsup = ""  # the point queue's line, drawn over the top of the image
        self.user_zoomed = False  # once the user zooms or pans, a resize keeps their view
        self._pan_from: QPointF | None = None
        self._cursor = QPointF(-1, -1)
        self.last_press = QPointF(-1, -1)  # widget position of the last button press

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
        self.user_zoomed = False
        h, w = self.image_size
        if not h or not w:
            return
        self.scale = min(self.width() / w, self.height() / h)
        self.offset = QPointF((self.width() - w * self.scale) / 2, (self.height() - h * self.scale) / 2)
        self._view_changed()

    def zoom(self, factor: float, around: QPointF | None = None) -> None:
        around = around or QPointF(self.width() / 2, self.height() / 2)
        new = min(64.0, max(0.05, self.scale * factor))
        image_pt = (around - self.offset) / self.scale
        self.scale = new
        self.offset = around - image_pt * new
        self.user_zoomed = True
        self._view_changed()

    def center_on(self, y: float, x: float, scale: float | None = None) -> None:
        if scale is not None:
            self.scale = scale
        self.offset = QPointF(self.width() / 2 - (x + 0.5) * self.scale, self.height() / 2 - (y + 0.5) * self.scale)
        self.user_zoomed = True
        self._view_changed()

    def set_view(self, scale: float, ox: float, oy: float) -> None:
        """A saved view (restored when a project reopens)."""
        self.scale = min(64.0, max(0.05, float(scale)))
        self.offset = QPointF(float(ox), float(oy))
        self.user_zoomed = True
        self._view_changed()

    def _view_changed(self) -> None:
        self.update()
        self.view_changed.emit(self.scale)

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        p = (pos - self.offset) / self.scale
        return p.y(), p.x()

    def cursor_image_pos(self) -> tuple[float, float] | None:
        """The image position under the mouse while it is over the canvas, else None."""
        return None if self._cursor.x() < 0 else self.to_image(self._cursor)

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

    def update_outline(self, path: QPainterPath | None) -> None:
        """Repaint where an outline (image coordinates, a pen up to 3 px wide on screen) is
        drawn: a hovered or relabelled region repaints its box, not a 1024x2048 image."""
        if path is not None and not path.isEmpty():
            r = path.boundingRect()
            box = (math.floor(r.top()), math.ceil(r.bottom()) + 1, math.floor(r.left()), math.ceil(r.right()) + 1)
            self.update(self.image_rect_to_widget(box).adjusted(-3, -3, 3, 3).toAlignedRect())

    def update_point(self, i: int) -> None:
        """Repaint point ``i``'s whole marker (its ring is larger than its pixel)."""
        if 0 <= i < len(self.marks.points):
            y, x = self.marks.points[i, :2]
            c = self._point_center(int(y), int(x))
            r = self.marks.radius(self.scale) * 1.8 + 10
            self.update(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r).toAlignedRect())

    def _point_center(self, y: int, x: int) -> QPointF:
        return QPointF(self.offset.x() + (x + 0.5) * self.scale, self.offset.y() + (y + 0.5) * self.scale)

    # ---- painting --------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 30, 30))
        src, dst = self._exposed(QRectF(event.rect()))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale < 1)
        if src is not None and dst is not None:
            for name in ("image", "prediction", "truth", "mask", "labels"):
                layer = self.layers[name]
                if layer.visible and layer.image is not None:
                    p.setOpacity(layer.opacity)
                    p.drawImage(dst, layer.image, src)  # only the exposed part: a stamp repaints a few pixels
        p.setOpacity(1.0)
        if self.layers["earlier"].visible:
            self._paint_earlier(p)
        if self.layers["points"].visible:
            self._paint_points(p)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self.brush_radius and self._cursor.x() >= 0:  # an outline: the pixels under it stay visible
            r = (self.brush_radius + 0.5) * self.scale
            p.setPen(QPen(QColor(0, 0, 0), 3))
            p.drawEllipse(self._cursor, r, r)
            p.setPen(QPen(QColor(255, 255, 255), 1))
            p.drawEllipse(self._cursor, r, r)
        outlines = list(self.region_marks.values()) if self.layers["points"].visible else []
        for path in (self.region_outline, self.assist_outline):
            if path is not None:
                outlines.append((path, QColor(255, 255, 0)))
        if outlines:  # image coordinates; a cosmetic pen stays 1-2 px wide at any zoom
            p.save()
            p.translate(self.offset)
            p.scale(self.scale, self.scale)
            for path, color in outlines:
                for c, width in ((QColor(0, 0, 0), 3), (color, 1)):
                    pen = QPen(c, width)
                    pen.setCosmetic(True)
                    p.setPen(pen)
                    p.drawPath(path)
            p.restore()
        if self.headsup:
            self._paint_headsup(p)
        p.end()

    def _paint_headsup(self, p: QPainter) -> None:
        """Where the queue is on one line, the keys on a second when both do not fit."""
        metrics = p.fontMetrics()
        width = self.width() - 32
        text = self.headsup
        lines = [text]
        if metrics.horizontalAdvance(text) > width and " · [" in text:
            head, keys = text.split(" · [", 1)
            lines = [head, "[" + keys]
        box = QRectF(8, 8, self.width() - 16, len(lines) * metrics.height() + 10)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 190))
        p.drawRoundedRect(box, 6, 6)
        p.setPen(QColor(255, 255, 255))
        for n, line in enumerate(lines):
            row = QRectF(16, 13 + n * metrics.height(), width, metrics.height())
            elided = metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            p.drawText(row, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)

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

    def _paint_earlier(self, p: QPainter) -> None:
        """Earlier stages' labelled points (a pixel each, invisible otherwise): small dimmed
        dots in their class colour, under the stage's own markers."""
        marks, r = self.marks, max(3.5, self.marks.radius(self.scale) * 0.7)
        p.setOpacity(self.layers["earlier"].opacity)
        for y, x, lab in marks.earlier.tolist():
            if lab < len(marks.colors):
                p.setPen(QPen(QColor(0, 0, 0), 1.5))
                p.setBrush(QColor(*[int(v) for v in marks.colors[lab]]))
                p.drawEllipse(self._point_center(y, x), r, r)
        p.setOpacity(1.0)

    def _paint_points(self, p: QPainter) -> None:
        marks = self.marks
        r = marks.radius(self.scale)
        for i, (y, x, _) in enumerate(marks.points.tolist()):
            c = self._point_center(y, x)
            if marks.labeled(i):  # filled with its class colour, outlined to show on any background
                p.setPen(QPen(QColor(0, 0, 0), 3))
                p.setBrush(QColor(*[int(v) for v in marks.colors[int(marks.labels[i])]]))
                p.drawEllipse(c, r, r)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(255, 255, 255), 1.5))
                p.drawEllipse(c, r + 1.5, r + 1.5)
            else:  # hollow: nothing hides the pixel to be labelled
                unsure = i < len(marks.unsure) and bool(marks.unsure[i])
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(0, 0, 0), 5))
                p.drawEllipse(c, r, r)
                p.setPen(QPen(QColor(255, 210, 0) if unsure else QColor(255, 60, 60), 2.5))
                p.drawEllipse(c, r, r)
                if unsure:
                    p.drawText(QRectF(c.x() + r, c.y() - 2 * r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, "?")
            if i == marks.current:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(0, 0, 0), 4))
                p.drawEllipse(c, r * 1.8 + 6, r * 1.8 + 6)
                p.setPen(QPen(QColor(255, 230, 0), 2))
                p.drawEllipse(c, r * 1.8 + 6, r * 1.8 + 6)

    def point_at(self, pos: QPointF, snap_px: float = 8.0) -> int | None:
        """The point whose marker is under ``pos`` (widget pixels)."""
        best, best_d = None, snap_px + self.marks.radius(self.scale)
        for i, (y, x, _) in enumerate(self.marks.points.tolist()):
            c = self._point_center(y, x)
            d = math.hypot(c.x() - pos.x(), c.y() - pos.y())
            if d <= best_d:
                best, best_d = i, d
        return best

    # ---- input -----------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        if event.angleDelta().y():
            self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8, event.position())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            return
        self.last_press = event.position()
        y, x = self.to_image(event.position())
        self.pressed.emit(y, x, event.button())

    def mouseMoveEvent(self, event) -> None:
        self._cursor = event.position()
        if self._pan_from is not None:
            self.offset += event.position() - self._pan_from
            self._pan_from = event.position()
            self.user_zoomed = True
            self.update()
            return
        y, x = self.to_image(event.position())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.dragged.emit(y, x)
        else:
            self.hovered.emit(y, x)
        if self.brush_radius:
            self.update()

    def leaveEvent(self, event) -> None:
        if QApplication.activePopupWidget() is None:  # a chooser opening grabs the mouse: it stays here
            self._cursor = QPointF(-1, -1)
        self.left.emit()
        if self.brush_radius:
            self.update()
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            return
        y, x = self.to_image(event.position())
        self.released.emit(y, x)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.user_zoomed:  # enlarging or maximising the window refits the image
            self.fit()
