"""One open project in the window: which image is shown, its editor and layers,
each image's status, and saving every change as it is made.

Statuses come from the arrays in memory (the editor's, or the last ones saved),
never from reading back what was just written.  An edit and the effort it cost go
to the store as one record.  A save that fails (disk full, file removed) is
reported at once; the edits stay in memory and are written with the next change or
the next retry.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from ..engine.workflow import GroundTruth, read_image
from ..labeling import ImageStatus, LabelEditor, image_status
from ..store import Project, SaveError
from .overlays import ClassOverlay, mask_overlay, rgb_image

IDLE_CAP_S = 60.0  # idle gaps count as at most a minute of annotator time


class Document(QObject):
    image_changed = pyqtSignal(int)
    prediction_ready = pyqtSignal(int)
    labels_changed = pyqtSignal(int, object, str)  # image, rect, "paint" | "commit"
    status_changed = pyqtSignal(int)  # an image's status (in memory) changed
    saved = pyqtSignal(int)
    save_failed = pyqtSignal(str)

    def __init__(self, project: Project, stage: int, truth: GroundTruth | None = None) -> None:
        super().__init__()
        self.project = project
        self.stage = stage
        self.colors = np.array(project.settings.colors, np.uint8)
        self.truth = truth or GroundTruth(project)
        self.index = -1
        self.editor: LabelEditor | None = None
        self.image_rgb: np.ndarray | None = None
        self.truth_labels: np.ndarray | None = None
        self.overlays: dict[str, tuple] = {}
        self.labels_overlay: ClassOverlay | None = None
        self.unsure: set[int] = set()  # the current image's unsure points (this stage)
        self.pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._pending_effort: dict[int, dict[str, float]] = {}
        self._statuses: dict[int, ImageStatus] = {}
        self._retry = QTimer(self)
        self._retry.setInterval(2000)
        self._retry.timeout.connect(self.flush)
        self._active_since = time.monotonic()

    # ---- images ----------------------------------------------------------------------
    def open_image(self, i: int) -> None:
        project = self.project
        image = read_image(project.image_path(i))  # may fail: then nothing changes
        self.index, self.image_rgb = i, image
        labels, stage = self.pending.get(i) or project.labels(i)
        mask, points = self.proposal(i)
        self.editor = LabelEditor(labels, stage, max(1, self.stage), mask=mask, points=points, prediction=None)
        self.editor.listeners.append(self._on_edit)
        self.unsure = set(project.unsure(self.stage, i)) if self.stage else set()
        self.overlays = {"image": rgb_image(self.image_rgb)}
        if mask is not None:
            self.overlays["mask"] = mask_overlay(mask)
        self.truth_labels = self.truth.read(i)
        if self.truth_labels is not None:
            over = ClassOverlay(self.truth_labels, self.colors)
            self.overlays["truth"] = (over.image, over)
        self.labels_overlay = ClassOverlay(self.editor.labels, self.colors)
        self.image_changed.emit(i)

    def current_editor(self) -> LabelEditor:
        """The shown image's editor, for callers that run only while an image is shown."""
        assert self.editor is not None, "no image is open"
        return self.editor

    def current_image(self) -> np.ndarray:
        """The shown image's pixels, for callers that run only while an image is shown."""
        assert self.image_rgb is not None, "no image is open"
        return self.image_rgb

    def proposal(self, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        if not self.stage:
            return None, np.zeros((0, 3), np.int32)
        return self.project.proposal(self.stage, i)

    def set_prediction(self, i: int, prediction: np.ndarray) -> None:
        if i != self.index or self.editor is None:
            return
        self.editor.prediction = prediction
        over = ClassOverlay(prediction, self.colors)
        self.overlays["prediction"] = (over.image, over)
        self.prediction_ready.emit(i)

    # ---- status ----------------------------------------------------------------------
    def status(self, i: int) -> ImageStatus:
        """What the image list shows; from memory when the image was seen this session."""
        if i == self.index and self.editor is not None:
            ed = self.editor
            return image_status(ed.labels, ed.mask, ed.points)
        if i not in self._statuses:
            labels, _ = self.pending.get(i) or self.project.labels(i)
            self._statuses[i] = image_status(labels, *self.proposal(i))
        return self._statuses[i]

    def known_statuses(self) -> dict[int, ImageStatus]:
        """The statuses computed so far (the image list fills them in the background), the
        current image's from its editor."""
        known = dict(self._statuses)
        if self.index >= 0 and self.editor is not None:
            known[self.index] = self.status(self.index)
        return known

    def forget_statuses(self) -> None:
        """A new stage brings new proposals."""
        self._statuses.clear()

    # ---- saving ----------------------------------------------------------------------
    def _on_edit(self, rect, what: str) -> None:
        assert self.labels_overlay is not None  # made with the editor that calls this
        self.labels_overlay.refresh(rect)
        self.labels_changed.emit(self.index, rect, what)
        if what == "commit":
            self.save_current()

    def save_current(self) -> bool:
        """Write the current image's labels now (a stroke in progress included)."""
        if self.editor is None:
            return True
        self.pending[self.index] = (self.editor.labels.copy(), self.editor.stage.copy())
        self._statuses[self.index] = self.status(self.index)
        self.status_changed.emit(self.index)
        return self.flush()

    def count_effort(self, **deltas) -> None:
        """Effort of the current image (clicks, strokes, points, active seconds); written
        with the edit it belongs to, or alone when the action changed no label."""
        now = time.monotonic()
        deltas["active_seconds"] = deltas.get("active_seconds", 0.0) + min(now - self._active_since, IDLE_CAP_S)
        self._active_since = now
        acc = self._pending_effort.setdefault(self.index, {})
        for name, value in deltas.items():
            acc[name] = acc.get(name, 0) + value

    def act(self, fn, **effort):
        """Run one annotator action: its effort and its edit are saved together, and the
        counters are current as soon as it returns."""
        self.count_effort(**effort)
        result = fn()
        self.flush()
        return result

    def flush(self) -> bool:
        """Write every pending image and effort; True when nothing is left in memory only."""
        try:
            for i in list(self.pending):
                labels, stage = self.pending[i]
                effort = self._pending_effort.get(i)
                self.project.save_labels(i, labels, stage, effort=effort, effort_stage=self.stage or None)
                del self.pending[i]
                self._pending_effort.pop(i, None)
                self.saved.emit(i)
            for i in list(self._pending_effort):
                self.project.add_effort(i, self.stage or None, **self._pending_effort[i])
                del self._pending_effort[i]
                self.saved.emit(i)
        except SaveError as e:
            self._retry.start()
            self.save_failed.emit(str(e))
            return False
        self._retry.stop()
        return True

    def set_unsure(self, k: int, unsure: bool) -> None:
        """Mark proposed point ``k`` of the current image unsure (or not), stored at once."""
        changed = set(self.unsure)
        (changed.add if unsure else changed.discard)(k)
        if changed == self.unsure:
            return
        try:
            self.project.set_unsure(self.stage, self.index, sorted(changed))
        except SaveError as e:
            self.save_failed.emit(str(e))
            return
        self.unsure = changed
        self.status_changed.emit(self.index)
