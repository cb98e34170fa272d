"""The tools: what a click or drag on the canvas does to the labels."""

from __future__ import annotations

from enum import Enum

from PyQt6.QtCore import QObject, Qt, pyqtSignal

from .canvas import Canvas
from .document import Document


class Tool(Enum):
    POINT = "point"
    BRUSH = "brush"
    ERASER = "eraser"
    FILL = "fill"
    ACCEPT = "accept"


class ToolController(QObject):
    tool_changed = pyqtSignal(object)
    message = pyqtSignal(str)

    SNAP_PX = 6.0  # on screen: a click this close to a point labels it

    def __init__(self, canvas: Canvas, document: Document) -> None:
        super().__init__()
        self.canvas, self.document = canvas, document
        self.tool = Tool.POINT
        self.radius = 4
        self.limit_to_mask = False
        self._stroking = False
        canvas.pressed.connect(self._press)
        canvas.dragged.connect(self._drag)
        canvas.released.connect(self._release)

    def set_tool(self, tool: Tool) -> None:
        self.tool = tool
        self.canvas.brush_radius = self.radius if tool in (Tool.BRUSH, Tool.ERASER) else 0
        self.canvas.update()
        self.tool_changed.emit(tool)

    def resize_brush(self, delta: int) -> None:
        self.radius = max(0, min(200, self.radius + delta))
        if self.tool in (Tool.BRUSH, Tool.ERASER):
            self.canvas.brush_radius = self.radius
            self.canvas.update()
        self.message.emit(f"brush radius {self.radius} px")

    def toggle_mask_limit(self) -> None:
        self.limit_to_mask = not self.limit_to_mask
        self.message.emit("brush limited to the mask" if self.limit_to_mask else "brush paints anywhere")

    # ---- mouse -------------------------------------------------------------------------
    def _inside(self, y: float, x: float) -> bool:
        ed = self.document.editor
        return ed is not None and 0 <= y < ed.labels.shape[0] and 0 <= x < ed.labels.shape[1]

    def _press(self, y: float, x: float, button) -> None:
        ed = self.document.editor
        if ed is None or button != Qt.MouseButton.LeftButton:
            return
        if self.tool in (Tool.BRUSH, Tool.ERASER):
            ed.begin_stroke(self.tool.value)
            self._stroking = True
            self._drag(y, x)
            return
        if self.tool in (Tool.POINT, Tool.ACCEPT):
            i = ed.point_near(y - 0.5, x - 0.5, self.SNAP_PX / self.canvas.scale + 0.5)
            if i is not None:
                ed.label_point(i, ed.model_class(i) if self.tool is Tool.ACCEPT else None)
                self.document.count_effort(clicks=1, points_labeled=1)
                return
        if not self._inside(y, x):
            return
        if self.tool is Tool.FILL:
            if ed.fill(int(y), int(x)) is None:
                self.message.emit("no inconsistency-mask component under the cursor")
            else:
                self.document.count_effort(clicks=1)
        elif self.tool is Tool.ACCEPT:
            if ed.prediction is None:
                self.message.emit("the model's prediction is not ready yet (show the prediction layer)")
            elif ed.accept_component(int(y), int(x)) is not None:
                self.document.count_effort(clicks=1)
        elif self.tool is Tool.POINT:
            self.message.emit("no proposed point here; use the brush to label other pixels")

    def _drag(self, y: float, x: float) -> None:
        if not self._stroking:
            return
        self.document.editor.stamp(y, x, self.radius, erase=self.tool is Tool.ERASER, limit_to_mask=self.limit_to_mask)

    def _release(self, y: float, x: float) -> None:
        if self._stroking:
            self._stroking = False
            if self.document.editor.end_stroke() is not None:
                self.document.count_effort(brush_strokes=1)
