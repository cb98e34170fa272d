"""The main window: composes the canvas, panels, tools, point flow and stage
control around one session state, binds every key from the key table, and keeps
what is enabled in one gating function.  It holds no labelling logic of its own:
the editor, statuses and queue order live in ``labeling/``, the engine behind
``engine.workflow``."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QStatusBar, QVBoxLayout, QWidget

from ... import __version__
from ...engine.workflow import DataError, ProjectWorkflow
from ...labeling import SessionState, Tool
from ...store import Project
from .. import TITLE
from ..canvas.canvas import Canvas
from ..canvas.panels import ImageList, LayerControls, Palette, PointsPanel
from ..canvas.predictions import Predictions
from ..canvas.region_flow import RegionFlow
from ..canvas.region_queue import RegionQueueFlow
from ..canvas.sam_flow import SamFlow
from ..canvas.tools import ToolController
from ..document import Document, wait_for_saves
from ..elided_label import ElidedLabel
from ..inspect.inspect_actions import InspectActions
from ..keymap import project_class_keys, sheet_markdown
from ..place import add_recent, load_place, save_place
from ..projects.project_opener import ProjectOpener
from ..stage.stage_bar import StageBar
from ..stage.stage_control import StageControl
from .actions import FIRST_TOOL, build_actions, build_menus, build_toolbar, gate
from .closing import close_window, quit_all
from .handlers import WindowParts, window_handlers
from .readout import CursorReadout
from .sheet import ShortcutSheet
from .status_text import StatusRoom, show_message, window_counts, window_stage_text
from .window_place import PlaceKeeper, apply_place, current_place


class MainWindow(QMainWindow):
    def __init__(self, project: Project, workflow_factory=ProjectWorkflow) -> None:
        super().__init__()
        self.project = project
        self._save_error = ""
        self.workflow = workflow_factory(project)
        self.workflow_factory = workflow_factory
        self.names = project.settings.classes
        self.session = SessionState(stage=self._current_stage())
        self.title = f"{TITLE} {__version__} - {project.path.name}" + (" (read-only)" if project.read_only else "")
        self.setWindowTitle(self.title)
        self.resize(1400, 860)
        self.document = Document(project, self.session.stage)
        self.canvas = Canvas()
        self.canvas.marks.colors = self.document.colors
        self.setCentralWidget(self.canvas)
        self.predictions = Predictions(self.workflow)
        self.tools = ToolController(self.canvas, self.document, self.session)
        self.points = RegionQueueFlow(self.document, self.canvas, self.session, self.predictions, self.open_image)
        self.regions = RegionFlow.for_window(self)
        self.sam = SamFlow.for_window(self)
        self.image_list = ImageList()
        self.class_keys = project_class_keys(len(self.names), project.settings.extra.get("class_table"))
        self.class_palette = Palette(self.names, self.document.colors, self.class_keys)
        self.layers = LayerControls(self.canvas.layers)
        self.points_panel = PointsPanel(self.names, self.document.colors)
        self.stage_bar = StageBar(self)
        self.stages = StageControl(project, workflow_factory, self.stage_bar, self._ask)
        for part in (self.document, self.predictions, self.tools, self.points, self.regions, self.sam, self.stages):
            part.setParent(self)  # gone with the window: a late job result reaches no deleted widget
        self.inspect = InspectActions(self, self.workflow, self.document, self.predictions, self.say, self._truth_shown)
        self.cursor_label = ElidedLabel()
        self.cursor_label.setObjectName("cursorReadout")
        self.opener = ProjectOpener(self, lambda opened: MainWindow(opened, workflow_factory))
        self.readout = CursorReadout(self.canvas, self.document, self.names, self.cursor_label)
        parts = WindowParts(
            self.session,
            self.tools,
            self.canvas,
            self.points,
            self.class_palette,
            self.layers,
            self.inspect,
            self.opener,
        )
        self.action_map = build_actions(
            self, window_handlers(parts, self, len(self.names)), len(self.names), self.class_keys
        )
        build_menus(self, self.action_map, self.opener.recent_menu)
        self.toolbar = build_toolbar(self, self.action_map, self.session)
        self.sam.bind_action(self.action_map["tool_sam"], self._update_actions)
        self._build_docks()
        self._connect()
        self.refresh_list()
        self.session.update(tool=FIRST_TOOL.get(self.workflow.label_unit, Tool.BRUSH))
        place = load_place(project.path)
        self.session.restore(place.get("session", {}), len(self.names))
        first = place.get("image", 0)
        if project.images:
            self.open_image(first if isinstance(first, int) and 0 <= first < len(project.images) else 0)
        apply_place(self, place)
        self.place_keeper = PlaceKeeper(self, self._save_place)
        add_recent(project.path)
        if project.read_only:  # a damaged journal, opened to look: say so where it stays visible
            self.stage_bar.show_error(getattr(project, "damage", None) or "opened read-only: nothing can be saved")
        self._session_changed(set(self.session.to_dict()))
        self.update_status()

    # ---- construction ----------------------------------------------------------------
    # the yes/no question the stage control and the tools ask (tests answer it)
    confirm = property(lambda self: self.stages.confirm, lambda self, fn: setattr(self.stages, "confirm", fn))

    @property
    def stage(self) -> int:
        return self.session.stage

    def _current_stage(self) -> int:
        try:
            return self.workflow.current_stage()
        except Exception:  # noqa: BLE001 - a project whose run ledger is unreadable still opens for labeling
            return max(self.project.proposal_stages(), default=0)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self._dock("Images", "imagesDock", self.image_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        side = QWidget()
        lay = QVBoxLayout(side)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.class_palette, 3)
        lay.addWidget(self.layers, 2)
        self._dock("Classes and layers", "classesDock", side, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Points", "pointsDock", self.points_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.status_room = StatusRoom(self._status_bar(), self.cursor_label, self.stage_bar, self)

    def _connect(self) -> None:
        doc, canvas = self.document, self.canvas
        self.session.listeners.append(self._session_changed)
        self.image_list.selected.connect(self.open_image)
        self.image_list.filled.connect(self.update_status)  # the stage's counts are complete now
        self.class_palette.picked.connect(self._class_picked)
        self.layers.changed.connect(self._layer_changed)
        doc.image_changed.connect(self._show_document)
        doc.prediction_ready.connect(self._show_prediction)
        doc.labels_changed.connect(self._labels_changed)
        doc.status_changed.connect(self._status_changed)
        doc.save_recovered.connect(self._save_recovered)
        doc.save_failed.connect(self._save_failed)
        self.predictions.ready.connect(self._predicted)
        self.predictions.failed.connect(self.say)
        self.tools.message.connect(self.say)
        self.tools.point_clicked.connect(self.points.choose)
        self.points.ended.connect(self.say)
        self.points.changed.connect(self._points_changed)
        self.points_panel.picked.connect(self._point_picked)
        canvas.hovered.connect(self.readout.show_at)
        canvas.view_changed.connect(self._show_zoom)
        self.stage_bar.advance.clicked.connect(self.advance_stage)
        self.stage_bar.cancel.clicked.connect(self.stages.cancel)
        self.stages.done.connect(self._stage_done)
        self.stages.running_changed.connect(self._update_actions)
        self.stages.waiting.connect(self._show_waiting)

    # Slots are methods, never lambdas: PyQt calls a lambda after the widgets it reaches are gone.
    def _save_place(self) -> None:
        save_place(self.project.path, current_place(self))

    def _truth_shown(self) -> bool:
        return self.canvas.layers["truth"].visible

    def _class_picked(self, k: int) -> None:
        self.session.update(active_class=k)

    def _show_prediction(self, i: int) -> None:
        self.canvas.set_layer("prediction", *self.document.overlays["prediction"])

    def _show_zoom(self, scale: float) -> None:
        self.toolbar.zoom.setText(f"zoom {100 * scale:.0f} %")

    def _show_waiting(self, note: str) -> None:
        self.setWindowTitle(self.title + (f" — {note}" if note else ""))

    # ---- state -------------------------------------------------------------------------
    def _session_changed(self, changed: set[str]) -> None:
        s = self.session
        if "active_class" in changed:
            self.class_palette.set_active(s.active_class)
            if self.document.editor is not None:
                self.document.editor.active_class = s.active_class
        if "tool" in changed:
            self.action_map[f"tool_{s.tool.value}"].setChecked(True)
            if s.tool is Tool.ACCEPT:
                self.request_prediction()
        if "brush_radius" in changed and self.toolbar.brush.value() != s.brush_radius:
            self.toolbar.brush.setValue(s.brush_radius)
        self.action_map["toggle_mask_limit"].setChecked(s.limit_to_mask)
        self.action_map["toggle_fast_points"].setChecked(s.fast_points)
        self.toolbar.fast.setText(" FAST: a click labels with the active class " if s.fast_points else "")
        self.update_status()

    def _update_actions(self, *_running) -> None:
        ed = self.document.editor
        gate(
            self.action_map,
            has_image=ed is not None,
            can_undo=ed is not None and ed.can_undo(),
            can_redo=ed is not None and ed.can_redo(),
            queue=self.points.active,
            selected=self.points.selected is not None,
            stage=self.stage,
            running=self.stages.running,
            has_points=self.stage > 0 and self.workflow.label_unit in ("points", "regions"),
            has_history=bool(self.project.history()),
            sam_ready=self.sam.ready,
        )

    def _status_bar(self) -> QStatusBar:
        bar = self.statusBar()
        assert bar is not None  # a QMainWindow makes its status bar on first use
        return bar

    def say(self, text: str) -> None:
        show_message(self._status_bar(), self.stage_bar, text)

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
        """The next or previous image the list shows ("needs labels only" hides done ones)."""
        nxt = self.image_list.step(max(self.document.index, 0), delta)
        if nxt is not None:
            self.open_image(nxt)

    def request_prediction(self) -> None:
        doc = self.document
        if doc.index >= 0:
            classes = self.predictions.classes(doc.index)
            if classes is not None:  # the image's probabilities are known
                doc.set_prediction(doc.index, classes)
            else:
                self.predictions.request(doc.index, doc.current_image())

    def _predicted(self, i: int) -> None:
        if i == self.document.index:
            classes = self.predictions.classes(i)
            assert classes is not None  # ready: its probabilities are known
            self.document.set_prediction(i, classes)
            self.points.refresh_headsup()

    def _show_document(self, i: int) -> None:
        doc, canvas = self.document, self.canvas
        ed = doc.current_editor()
        ed.active_class = self.session.active_class
        if self.stage or canvas.layers["prediction"].visible or self.session.tool is Tool.ACCEPT:
            self.request_prediction()  # the chooser and the queue show its probabilities: ahead of need
        for name in ("image", "prediction", "mask", "truth"):
            entry = doc.overlays.get(name)
            canvas.set_layer(name, entry[0] if entry else None, entry[1] if entry else None)
        assert doc.labels_overlay is not None  # made with the editor
        canvas.set_layer("labels", doc.labels_overlay.image, doc.labels_overlay)
        canvas.marks.points, canvas.marks.earlier = ed.points, doc.earlier_points()
        if self.points.selected is not None and not self.points.active:
            self.points.select(None)
        self._points_changed()
        canvas.set_image_size(*doc.current_image().shape[:2])
        self.update_status()
        self.readout.refresh()

    def _points_changed(self) -> None:
        doc, marks = self.document, self.canvas.marks
        if doc.editor is None:
            return
        marks.labels = doc.editor.point_labels()
        marks.unsure = self.points._unsure_marks()
        self.points_panel.show_points(doc.editor.points, marks.labels, doc.unsure, self.points.selected)
        self._update_actions()

    def _point_picked(self, k: int) -> None:
        y, x, _ = self.document.current_editor().points[k]
        self.canvas.center_on(float(y), float(x), max(self.canvas.scale, 2.0))
        self.points.select(k)

    def _labels_changed(self, i: int, rect, what: str) -> None:
        self.canvas.update_image_rect(rect)
        if what == "commit":  # a point's marker is larger than its pixel: repaint those in the rectangle
            self._points_changed()
            y0, y1, x0, x1 = rect
            pts = self.canvas.marks.points
            for k in np.flatnonzero((pts[:, 0] >= y0) & (pts[:, 0] < y1) & (pts[:, 1] >= x0) & (pts[:, 1] < x1)):
                self.canvas.update_point(int(k))

    def _status_changed(self, i: int) -> None:
        self.image_list.set_status(i, self.project.images[i].path, self.document.status(i))
        self.update_status()

    def _save_failed(self, text: str) -> None:
        self._save_error = text
        self.stage_bar.show_error(text)
        self._status_bar().showMessage("NOT SAVED: " + text)

    def _save_recovered(self) -> None:
        if self.stage_bar.error.text() == self._save_error:  # not another error shown since
            self.stage_bar.error.hide()
        self.say("saved: every label is on disk again")

    def refresh_list(self) -> None:
        self.image_list.populate([e.path for e in self.project.images], self.document.status)

    # ---- editing -----------------------------------------------------------------------
    def class_key(self, k: int) -> None:
        if k >= len(self.names):
            return
        if self.points.active:
            self.points.queue_label(k)
        else:
            self.session.update(active_class=k)

    def undo(self) -> None:
        if self.document.editor is not None and self.document.editor.undo() is None:
            self.say("nothing to undo")

    def redo(self) -> None:
        if self.document.editor is not None and self.document.editor.redo() is None:
            self.say("nothing to redo")

    def _layer_changed(self, name: str, visible: bool, opacity: float) -> None:
        layer = self.canvas.layers[name]
        layer.visible, layer.opacity = visible, opacity
        if name == "prediction" and visible:
            self.request_prediction()
        self.canvas.update()
        self.readout.refresh()

    def show_shortcuts(self) -> None:
        self.shortcut_sheet = ShortcutSheet(self, sheet_markdown(self.names, self.class_keys))
        self.shortcut_sheet.show()

    def stage_counts(self) -> tuple[int, int, int]:
        """(labelled, proposed, unsure) points, or (labelled, mask) pixels, of the stage."""
        return window_counts(self)

    def update_status(self) -> None:
        self.stage_bar.set_state(window_stage_text(self))
        self._update_actions()

    # ---- stages ------------------------------------------------------------------------
    def _ask(self, text: str) -> bool:
        return QMessageBox.question(self, TITLE, text) == QMessageBox.StandardButton.Yes

    def advance_stage(self) -> None:
        """ "End stage": every label on disk first, then the stage's counts and question and
        the retraining, all off this thread (``StageControl.end_stage``)."""
        if self.stages.running:
            return
        self.points.stop()
        if not self.flush_saves():
            return
        if not self.stage:
            self.stages.bootstrap(self.document)
            return
        self.stages.end_stage(self.document, self.workflow.label_unit, self.stage)

    def flush_saves(self) -> bool:
        """Every label on disk (a note on screen while that takes long); False when a save failed."""
        return wait_for_saves(self.document, self)

    def _stage_done(self, stage: int) -> None:
        self.session.update(stage=stage)
        self.document.stage = stage
        self.document.forget_statuses()
        found = self.stages.take_statuses()  # the new proposals' statuses, made by the stage's job
        if found is not None:
            self.document.put_statuses(*found)
        self.predictions.forget()
        keep = max(self.document.index, 0)
        self.document.index = -1
        self.refresh_list()
        self.open_image(keep)
        self.update_status()

    def quit_app(self) -> None:
        quit_all(MainWindow)

    def closeEvent(self, event) -> None:
        close_window(self, event)
