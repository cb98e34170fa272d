"""The tools: what a click or drag on the canvas does to the labels.  The tool,
its brush size and the mask limit live in the session state; this controller
turns mouse events into label edits.  A click on a proposed point never labels it
by itself: it selects the point and asks the point flow for a class (unless fast
points are on, which the toolbar shows)."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal

from ...labeling import SessionState, Tool
from ..document import Document
from .canvas import Canvas

STROKE_SAVE_MS = 2000  # a stroke in progress reaches the disk at least this often


def accepted_text(edit, names: list[str]) -> str:
    """What Accept labelled: pixels per class, most first (or that nothing changed)."""
    if edit is None:
        return "accepted: nothing changed (the component already had the model's classes)"
    counts = np.bincount(np.asarray(edit.new_labels, np.int64).ravel(), minlength=len(names))
    parts = [f"{names[k]} {int(counts[k])}" for k in np.argsort(-counts, kind="stable") if k < len(names) and counts[k]]
    return f"accepted the model's classes on {int(counts.sum())} px: " + ", ".join(parts) + " (Ctrl+Z undoes)"


class ToolController(QObject):
    message = pyqtSignal(str)
    point_clicked = pyqtSignal(int)  # a proposed point of the current image was clicked
    region_clicked = pyqtSignal(float, float)  # the Region tool clicked at (y, x)
    sam_clicked = pyqtSignal(float, float)  # the SAM assist clicked at (y, x)

    def __init__(self, canvas: Canvas, document: Document, session: SessionState) -> None:
        super().__init__()
        self.canvas, self.document, self.session = canvas, document, session
        self._stroking = False
        self._stroke_saver = QTimer(self)
        self._stroke_saver.setInterval(STROKE_SAVE_MS)
        self._stroke_saver.timeout.connect(self.document.save_current)
        canvas.pressed.connect(self._press)
        canvas.dragged.connect(self._drag)
        canvas.released.connect(self._release)
        session.listeners.append(self._session_changed)
        self._session_changed({"tool"})

    def stop(self) -> None:
        """The window closed: the stroke saver (which hands a stroke in progress to the
        writer) stops; the writer is closed by then."""
        self._stroke_saver.stop()

    @property
    def tool(self) -> Tool:
        return self.session.tool

    def set_tool(self, tool: Tool) -> None:
        self.session.update(tool=tool)

    def resize_brush(self, delta: int) -> None:
        self.session.update(brush_radius=self.session.brush_radius + delta)
        self.message.emit(f"brush radius {self.session.brush_radius} px")

    def toggle_mask_limit(self) -> None:
        self.session.update(limit_to_mask=not self.session.limit_to_mask)
        self.message.emit("brush limited to the mask" if self.session.limit_to_mask else "brush paints anywhere")

    def _session_changed(self, changed: set[str]) -> None:
        if changed & {"tool", "brush_radius"}:
            painting = self.session.tool in (Tool.BRUSH, Tool.ERASER)
            self.canvas.brush_radius = self.session.brush_radius if painting else 0
            self.canvas.setCursor(Qt.CursorShape.BlankCursor if painting else Qt.CursorShape.CrossCursor)
            self.canvas.update()

    # ---- mouse -------------------------------------------------------------------------
    def _inside(self, y: float, x: float) -> bool:
        ed = self.document.editor
        return ed is not None and 0 <= y < ed.labels.shape[0] and 0 <= x < ed.labels.shape[1]

    def _press(self, y: float, x: float, button) -> None:
        ed, doc, tool = self.document.editor, self.document, self.session.tool
        if ed is None or button != Qt.MouseButton.LeftButton:
            return
        if tool in (Tool.BRUSH, Tool.ERASER):
            ed.begin_stroke(tool.value)
            self._stroking = True
            self._stroke_saver.start()
            self._paint(y, x)
            return
        if tool is Tool.POINT:
            k = self.canvas.point_at(self.canvas.last_press)
            if k is None:
                self.message.emit("no proposed point here; use the brush to label other pixels")
            elif self.session.fast_points:
                doc.act(lambda: ed.label_point(k, self.session.active_class), clicks=1)
            else:
                self.point_clicked.emit(k)
            return
        if not self._inside(y, x):
            return
        if tool is Tool.REGION:
            self.region_clicked.emit(y, x)
        elif tool is Tool.SAM:
            self.sam_clicked.emit(y, x)
        elif tool is Tool.FILL:
            if ed.component_at(int(y), int(x)) is None:
                self.message.emit("no inconsistency-mask component under the cursor")
            else:
                doc.act(lambda: ed.fill(int(y), int(x)), clicks=1)
        elif tool is Tool.ACCEPT:
            if ed.prediction is None or not self.canvas.layers["prediction"].visible:
                self.message.emit("show the model's prediction (Shift+2) to accept its classes")
            elif ed.component_at(int(y), int(x)) is None:
                self.message.emit("no inconsistency-mask component under the cursor")
            else:
                edit = doc.act(lambda: ed.accept_component(int(y), int(x)), clicks=1)
                self.message.emit(accepted_text(edit, doc.project.settings.classes))

    def _paint(self, y: float, x: float) -> None:
        s = self.session
        self.document.current_editor().stroke_to(
            y, x, s.brush_radius, erase=s.tool is Tool.ERASER, limit_to_mask=s.limit_to_mask
        )

    def _drag(self, y: float, x: float) -> None:
        if self._stroking:
            self._paint(y, x)

    def _release(self, y: float, x: float) -> None:
        if self._stroking:
            self._stroking = False
            self._stroke_saver.stop()
            self.document.act(self.document.current_editor().end_stroke, brush_strokes=1)
