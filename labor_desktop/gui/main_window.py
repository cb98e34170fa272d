"""The main window: composes the canvas, panels, tools, point queue and stage
worker, and binds every key from the key map."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence, QShortcut
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from .. import __version__
from ..core.strategies import Budget, label_unit
from ..data.io import DataError
from ..engine.workflow import ProjectWorkflow
from ..store import Project
from .canvas import Canvas
from .document import Document
from .inspect_actions import InspectActions
from .keymap import BINDINGS, class_for_key, sheet_markdown
from .panels import ImageList, LayerControls, Palette
from .point_queue import PointQueue
from .stage_bar import StageBar
from .tools import Tool, ToolController
from .worker import StageWorker

TITLE = "LabOR Desktop"


class MainWindow(QMainWindow):
    def __init__(self, project: Project, workflow_factory=ProjectWorkflow) -> None:
        super().__init__()
        self.project = project
        self.workflow_factory = workflow_factory
        self.stage = self._current_stage()
        self.setWindowTitle(f"{TITLE} {__version__} - {project.path.name}")
        self.resize(1400, 860)
        self.document = Document(project, self.stage)
        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.tools = ToolController(self.canvas, self.document)
        self.queue = PointQueue(self.document, self.canvas, self.open_image)
        self.image_list = ImageList()
        self.palette = Palette(project.settings.classes, self.document.colors)
        self.layers = LayerControls(self.canvas.layers)
        self.stage_bar = StageBar(self)
        self.worker: StageWorker | None = None
        self.inspect = InspectActions(self)
        self.confirm = self._ask  # replaced in tests
        self._build_docks()
        self._bind_keys()
        self._connect()
        self.refresh_list()
        if project.images:
            self.image_list.select(0)
        self.set_class(0)
        self.tools.set_tool(Tool.POINT if self.unit == "points" else Tool.BRUSH)
        self.update_status()

    # ---- construction ----------------------------------------------------------------
    def _current_stage(self) -> int:
        stages = self.project.proposal_stages()
        try:
            return self.workflow_factory(self.project).current_stage() if stages else 0
        except Exception:  # noqa: BLE001 - a project without its data still opens for labeling
            return max(stages, default=0)

    @property
    def unit(self) -> str:
        extra = self.project.settings.extra.get("experiment", {})
        budget = Budget(**extra["budget"]) if "budget" in extra else Budget()
        return label_unit(self.project.settings.strategy, budget)

    def _build_docks(self) -> None:
        left = QDockWidget("Images", self)
        left.setObjectName("imagesDock")
        left.setWidget(self.image_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, left)
        side = QWidget()
        lay = QVBoxLayout(side)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.palette, 3)
        lay.addWidget(self.layers, 2)
        right = QDockWidget("Classes and layers", self)
        right.setObjectName("classesDock")
        right.setWidget(side)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, right)
        self.statusBar().addPermanentWidget(self.stage_bar)

    def _bind_keys(self) -> None:
        handlers = {
            "tool_point": lambda: self.tools.set_tool(Tool.POINT),
            "tool_brush": lambda: self.tools.set_tool(Tool.BRUSH),
            "tool_eraser": lambda: self.tools.set_tool(Tool.ERASER),
            "tool_fill": lambda: self.tools.set_tool(Tool.FILL),
            "tool_accept": lambda: self.tools.set_tool(Tool.ACCEPT),
            "brush_smaller": lambda: self.tools.resize_brush(-1),
            "brush_larger": lambda: self.tools.resize_brush(+1),
            "toggle_mask_limit": self.tools.toggle_mask_limit,
            "undo": self.undo,
            "redo": self.redo,
            "zoom_fit": self.canvas.fit,
            "zoom_in": lambda: self.canvas.zoom(1.25),
            "zoom_out": lambda: self.canvas.zoom(0.8),
            "next_image": lambda: self.step_image(+1),
            "previous_image": lambda: self.step_image(-1),
            "point_queue": self.queue.start,
            "queue_accept": lambda: self.queue.label(None),
            "queue_back": self.queue.back,
            "queue_exit": lambda: self.queue.stop(),
            "advance_stage": self.advance_stage,
            "fig6_view": self.inspect.fig6,
            "history_chart": self.inspect.history,
            "export": lambda: self.inspect.export(),
            "new_project": self.new_project,
            "shortcuts": self.show_shortcuts,
        }
        for name in ("image", "prediction", "mask", "points", "labels", "truth"):
            handlers[f"layer_{name}"] = lambda _checked=False, n=name: self.layers.toggle(n)
        self.actions: dict[str, QAction] = {}
        for b in BINDINGS:
            if b.action not in handlers:
                continue
            act = QAction(b.description, self)
            act.setObjectName(b.action)
            act.setShortcuts([QKeySequence(k) for k in b.keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(handlers[b.action])
            self.addAction(act)
            self.actions[b.action] = act
        for digit in "1234567890":
            for alt in (False, True):
                seq = QKeySequence(("Alt+" if alt else "") + digit)
                QShortcut(seq, self, activated=lambda d=digit, a=alt: self.class_key(d, a))
        for title, names in (
            ("&File", ["new_project", "export"]),
            ("&Edit", ["undo", "redo"]),
            ("&Stage", ["advance_stage"]),
            ("&Inspect", ["fig6_view", "history_chart"]),
            ("&Help", ["shortcuts"]),
        ):
            menu = self.menuBar().addMenu(title)
            for name in names:
                menu.addAction(self.actions[name])

    def _connect(self) -> None:
        self.image_list.selected.connect(self.open_image)
        self.palette.picked.connect(self.set_class)
        self.layers.changed.connect(self._layer_changed)
        self.document.image_changed.connect(self._show_document)
        self.document.prediction_ready.connect(
            lambda i: self.canvas.set_layer("prediction", *self.document.overlays["prediction"])
        )
        self.document.labels_changed.connect(self._labels_changed)
        self.document.saved.connect(self._saved)
        self.document.save_failed.connect(self._save_failed)
        self.tools.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.tools.tool_changed.connect(lambda tool: tool is Tool.ACCEPT and self.inspect.request_prediction())
        self.queue.ended.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.stage_bar.advance.clicked.connect(self.advance_stage)
        self.stage_bar.cancel.clicked.connect(self.cancel_stage)

    # ---- images ----------------------------------------------------------------------
    def open_image(self, i: int) -> None:
        if self.document.index == i:
            return
        try:
            self.document.open_image(i)
        except (DataError, OSError) as e:
            self.stage_bar.show_error(f"cannot show image {i + 1}: {e}")
            return
        self.image_list.select(i)

    def step_image(self, delta: int) -> None:
        n = len(self.project.images)
        if n:
            self.open_image((max(self.document.index, 0) + delta) % n)

    def _show_document(self, i: int) -> None:
        doc = self.document
        doc.editor.active_class = getattr(self, "_active_class", 0)
        if doc.editor.prediction is None and (
            self.canvas.layers["prediction"].visible or self.tools.tool is Tool.ACCEPT
        ):
            self.inspect.request_prediction()
        h, w = doc.image_rgb.shape[:2]
        for name in ("image", "prediction", "mask", "truth"):
            entry = doc.overlays.get(name)
            self.canvas.set_layer(name, entry[0] if entry else None, entry[1] if entry else None)
        self.canvas.set_layer("labels", doc.labels_overlay.image, doc.labels_overlay)
        self.canvas.marks.points = doc.editor.points
        self._refresh_marks()
        self.canvas.set_image_size(h, w)
        self.update_status()

    def _refresh_marks(self) -> None:
        ed = self.document.editor
        pts = ed.points
        self.canvas.marks.labeled = ed.labels[pts[:, 0], pts[:, 1]] != 255 if len(pts) else np.zeros(0, bool)

    def _labels_changed(self, i: int, rect) -> None:
        self._refresh_marks()
        self.canvas.update_image_rect(rect)

    def _saved(self, i: int) -> None:
        self.image_list.set_status(i, self.project.images[i].path, self.document.status(i))
        self.update_status()

    def _save_failed(self, text: str) -> None:
        self.stage_bar.show_error(text)
        self.statusBar().showMessage("NOT SAVED: " + text)

    def refresh_list(self) -> None:
        self.image_list.populate([e.path for e in self.project.images], self.document.status)

    # ---- editing -----------------------------------------------------------------------
    def set_class(self, k: int) -> None:
        if 0 <= k < len(self.project.settings.classes):
            if self.document.editor is not None:
                self.document.editor.active_class = k
            self._active_class = k
            self.palette.set_active(k)
            self.update_status()

    def class_key(self, digit: str, alt: bool) -> None:
        k = class_for_key(digit, alt)
        if k is None or k >= len(self.project.settings.classes):
            return
        if self.queue.active:
            self.queue.label(k)
        else:
            self.set_class(k)

    def undo(self) -> None:
        if self.document.editor is not None and self.document.editor.undo() is None:
            self.statusBar().showMessage("nothing to undo", 3000)

    def redo(self) -> None:
        if self.document.editor is not None and self.document.editor.redo() is None:
            self.statusBar().showMessage("nothing to redo", 3000)

    def _layer_changed(self, name: str, visible: bool, opacity: float) -> None:
        layer = self.canvas.layers[name]
        layer.visible, layer.opacity = visible, opacity
        if name == "prediction" and visible:
            self.inspect.request_prediction()
        self.canvas.update()

    def show_shortcuts(self) -> None:
        from PyQt6.QtWidgets import QTextBrowser

        view = QTextBrowser(self)
        view.setWindowFlag(Qt.WindowType.Window)
        view.setObjectName("shortcutSheet")
        view.setWindowTitle("Keyboard shortcuts")
        view.setMarkdown(sheet_markdown())
        view.resize(620, 720)
        view.show()
        self.shortcut_sheet = view

    def update_status(self) -> None:
        cls = getattr(self, "_active_class", 0)
        name = self.project.settings.classes[cls] if self.project.settings.classes else "-"
        effort = self.project.stage_effort(self.stage) if self.stage else None
        self.stage_bar.set_state(self.stage, self.project.settings.strategy, name, self.project.history(), effort)

    # ---- stages ------------------------------------------------------------------------
    def remaining(self) -> tuple[int, int]:
        """(unlabeled proposed points, unlabeled mask pixels) in the current stage."""
        statuses = [self.document.status(i) for i in range(len(self.project.images))]
        points = sum(st["open_points"] for st in statuses)
        pixels = sum(st["open_mask_pixels"] for st in statuses) if self.unit in ("pixels", "all") else 0
        return points, pixels

    def _ask(self, text: str) -> bool:
        return QMessageBox.question(self, TITLE, text) == QMessageBox.StandardButton.Yes

    def advance_stage(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            return
        if self.stage:
            points, pixels = self.remaining()
            open_what = f"{points} proposed points" if self.unit == "points" else f"{pixels} mask pixels"
            if (points or pixels) and not self.confirm(
                f"{open_what} of stage {self.stage} are still unlabeled. End the stage anyway?"
            ):
                return
        if not self.document.flush():
            return
        self.worker = StageWorker(self.project, "advance" if self.stage else "bootstrap", self.workflow_factory)
        self.worker.progress.connect(self.stage_bar.progress)
        self.worker.finished_ok.connect(self._stage_done)
        self.worker.cancelled.connect(lambda: self.stage_bar.stopped("cancelled; the project is as it was"))
        self.worker.failed.connect(self._stage_failed)
        self.stage_bar.running(True)
        self.worker.start()

    def new_project(self):
        """Create a project in a dialog that validates the folders and the checkpoint,
        then open it in a new window and prepare its first stage."""
        from .new_project import NewProjectDialog

        dialog = NewProjectDialog(self)
        if dialog.exec() != dialog.DialogCode.Accepted or dialog.created is None:
            return None
        window = MainWindow(Project.open(dialog.created), self.workflow_factory)
        window.show()
        window.advance_stage()  # stage 0: bootstrap (train or load the model, first proposals)
        self.children_windows = getattr(self, "children_windows", []) + [window]
        return window

    def cancel_stage(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _stage_done(self, stage: int) -> None:
        self.stage = self.document.stage = stage
        self.inspect.forget_predictions()
        keep = max(self.document.index, 0)
        self.document.index = -1
        self.refresh_list()
        self.document.open_image(keep)
        self.image_list.select(keep)
        self.stage_bar.stopped(f"stage {stage}: new proposals are ready")
        self.update_status()

    def _stage_failed(self, message: str, details: str) -> None:
        self.stage_bar.stopped("failed")
        self.stage_bar.show_error(message)
        self.last_failure = (message, details)

    def closeEvent(self, event) -> None:
        self.image_list.stop()
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait(5000)
        if not self.document.flush():
            answer = QMessageBox.warning(
                self,
                TITLE,
                "Some labels could not be saved (see the status bar). Close anyway and lose them?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        event.accept()
