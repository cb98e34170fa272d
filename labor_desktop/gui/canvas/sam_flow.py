"""The SAM assist in the window (issue 24): a click outlines the object SAM finds under it
and opens the same class chooser as a region (the model's classes over the mask first);
a class key labels the mask as one undo step, Esc labels nothing, pixels labelled with
another class are kept unless the person confirms (``label_region_confirmed``).

SAM's image encoder takes seconds on a CPU, so everything SAM computes runs in a ``Job``,
one at a time, with a busy cursor and a status line; the image's embedding is started
when the tool is picked or an image opens with it, so the first click rarely waits.  A
click made while a job runs is answered when it ends (the last click only).  Without
weights (or ``transformers``) the tool stays disabled and says where the weights go; a
checkpoint that fails to load disables it with the loader's one-line reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PyQt6.QtCore import QObject, QPoint, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QCursor, QShortcut

from ...engine.workflow import SamAssist, SamUnavailable, sam_available, sam_folder
from ...labeling import SessionState, Tool
from ..document import Document
from ..jobs import Job
from ..keymap import project_class_keys
from .canvas import Canvas
from .chooser import ClassChooser
from .predictions import Predictions
from .region_flow import label_region_confirmed, outline

TopClasses = Callable[[np.ndarray], list[tuple[int, float | None]]]


class SamFlow(QObject):
    message = pyqtSignal(str)
    availability = pyqtSignal()  # ``unavailable`` changed
    changed = pyqtSignal()  # a mask was labelled

    def __init__(
        self,
        document: Document,
        canvas: Canvas,
        session: SessionState,
        top_classes: TopClasses,
        confirm: Callable[[str], bool],
        predictions: Predictions | None = None,
        assist: SamAssist | None = None,
    ) -> None:
        super().__init__()
        self.document, self.canvas, self.session = document, canvas, session
        self.top_classes, self.confirm, self.predictions = top_classes, confirm, predictions
        self.assist = assist or SamAssist(sam_folder())
        self.unavailable = sam_available(self.assist.folder)  # why the tool is off, or None
        self.names = document.project.settings.classes
        keys = project_class_keys(len(self.names), document.project.settings.extra.get("class_table"))
        self.chooser = ClassChooser(canvas, self.names, document.colors, keys)
        self.chooser.chosen.connect(self._chosen)
        self.chooser.dismissed.connect(self._dismissed)
        self.job: Job | None = None
        self._pending: tuple[int, int, int, QPoint] | None = None  # a click waiting for the job
        self.mask: tuple[int, np.ndarray] | None = None  # (image, mask) the chooser asks about
        self._at = (0, 0)
        self._opened_at = QPoint()
        self._cursor: Qt.CursorShape | None = None
        session.listeners.append(self._session_changed)
        if predictions is not None:
            predictions.ready.connect(self._prediction_ready)

    @classmethod
    def for_window(cls, win: Any, assist: SamAssist | None = None) -> SamFlow:
        """The flow of a main window, wired to its canvas, tools, images and messages."""
        flow = cls(
            win.document, win.canvas, win.session, win.regions.top_classes, lambda t: win.confirm(t),
            win.predictions, assist,
        )  # fmt: skip
        win.tools.sam_clicked.connect(flow.click)
        win.document.image_changed.connect(flow.image_changed)
        flow.message.connect(win.say)
        return flow

    def bind_action(self, action: QAction, update_actions: Callable[[], None]) -> None:
        """The tool's action says why it is off (where the weights go) in its tooltip and
        status tip; ``update_actions`` (the window's gate) enables it."""

        def show() -> None:
            why = self.unavailable
            action.setToolTip(f"SAM assist (Shift+G) is off: {why}" if why else "SAM assist (Shift+G): click an object")
            action.setStatusTip(action.toolTip())
            update_actions()

        self.availability.connect(show)
        show()
        # a disabled action's key does nothing at all: while it is off, Shift+G says why instead
        off_key = QShortcut(action.shortcut(), self.canvas.window(), self._off_key)
        off_key.setContext(Qt.ShortcutContext.WindowShortcut)
        action.changed.connect(lambda: off_key.setEnabled(not action.isEnabled()))
        off_key.setEnabled(not action.isEnabled())

    def _off_key(self) -> None:
        self.message.emit(self.unavailable or "SAM assist: open an image first")

    @property
    def ready(self) -> bool:
        return self.unavailable is None

    @property
    def busy(self) -> bool:
        return self.job is not None

    # ---- the tool and the image --------------------------------------------------------
    def _session_changed(self, changed: set[str]) -> None:
        if "tool" not in changed or self.session.tool is not Tool.SAM:
            return
        if not self.ready:  # e.g. restored from a session whose weights were removed since
            self.message.emit(str(self.unavailable))
            self.session.update(tool=Tool.REGION)
            return
        self.prepare()

    def image_changed(self, i: int) -> None:
        self._forget_mask()
        if self.session.tool is Tool.SAM and self.ready:
            self.prepare()

    def prepare(self) -> None:
        """Embed the shown image in the background unless it is embedded or on its way."""
        i = self.document.index
        if self.busy or i < 0 or self.document.editor is None or self.assist.has_embedding(i):
            return
        image = self.document.current_image()
        first = "" if self.assist.loaded else "loading the model, then "
        self._run(
            lambda: self.assist.embed(i, image),
            f"SAM: {first}reading image {i + 1} (once per image; a click waits for it)…",
        )

    # ---- a click -------------------------------------------------------------------------
    def click(self, y: float, x: float) -> None:
        """Ask SAM for the object at (y, x); the chooser opens when its mask is known."""
        if not self.ready:
            self.message.emit(str(self.unavailable))
            return
        i, y, x = self.document.index, int(y), int(x)  # the clicked pixel, as SAM's point
        if self.busy:
            self._pending = (i, y, x, QCursor.pos())
            self.message.emit("SAM: still reading the image; your click is answered when it is ready")
            return
        self._ask(i, y, x, QCursor.pos())

    def _ask(self, i: int, y: int, x: int, at: QPoint) -> None:
        if i != self.document.index or self.document.editor is None:
            return  # the image changed while the click waited
        image, assist = self.document.current_image(), self.assist
        self._opened_at, self._at = at, (y, x)
        first = "" if assist.has_embedding(i) else " (reading the image first)"
        self._run(lambda: (i, assist.mask(i, image, y, x)), f"SAM: finding the object at ({x}, {y}){first}…")

    def _run(self, fn: Callable[[], object], text: str) -> None:
        def work(progress, cancel) -> object:
            try:
                return fn()
            except SamUnavailable as e:  # the checkpoint would not load: the tool goes off
                return e

        job = Job(work, "sam")
        job.finished_ok.connect(self._done)
        job.failed.connect(self._failed)
        job.finished.connect(self._finished)
        self.job = job
        self._cursor = self.canvas.cursor().shape()
        self.canvas.setCursor(Qt.CursorShape.BusyCursor)
        self.message.emit(text)
        job.start()

    def _failed(self, text: str, details: str) -> None:  # a method, not a lambda: it dies with the flow
        self.message.emit(f"SAM failed: {text}")

    def _finished(self) -> None:
        self.job = None
        if self._cursor is not None:
            self.canvas.setCursor(self._cursor)
            self._cursor = None
        pending, self._pending = self._pending, None
        if pending is not None and self.ready:
            self._ask(*pending)
        elif self.session.tool is Tool.SAM and self.ready:
            self.prepare()  # another image was opened meanwhile

    def _done(self, result: object) -> None:
        if isinstance(result, SamUnavailable):
            self.unavailable, self._pending = str(result), None
            self.availability.emit()
            self.message.emit(self.unavailable)
            if self.session.tool is Tool.SAM:
                self.session.update(tool=Tool.REGION)
            return
        if not isinstance(result, tuple):
            self.message.emit("SAM: image read; click an object")
            return
        i, mask = result
        if i != self.document.index:
            return
        if not mask.any():
            self.message.emit("SAM found no object at this point; click elsewhere or use the brush")
            return
        self.mask = (i, mask)
        self.canvas.assist_outline = outline(mask)
        self.canvas.update()
        self._open_chooser()

    def _open_chooser(self) -> None:
        assert self.mask is not None  # a mask came back for the shown image
        mask = self.mask[1]
        top = self.top_classes(mask)
        y, x = self._at
        self.chooser.open_at(
            self._opened_at, f"SAM mask of {int(mask.sum())} px at ({x}, {y})", top, top[0][0] if top else None
        )

    def _prediction_ready(self, i: int) -> None:
        """The probabilities arrived while the chooser waits: list them."""
        if self.chooser.isVisible() and self.mask is not None and self.mask[0] == i == self.document.index:
            self._open_chooser()

    # ---- the answer ------------------------------------------------------------------------
    def _chosen(self, cls: int) -> None:
        if self.mask is None or self.mask[0] != self.document.index:
            return
        mask = self.mask[1]
        self._forget_mask()
        label_region_confirmed(self.document, mask, cls, self.names, self.confirm)
        self.changed.emit()

    def _dismissed(self) -> None:
        self._forget_mask()

    def _forget_mask(self) -> None:
        self.mask = None
        if self.canvas.assist_outline is not None:
            self.canvas.assist_outline = None
            self.canvas.update()

    def wait(self) -> None:
        if self.job is not None:
            self.job.wait(60_000)
