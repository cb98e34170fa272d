"""One open project in the window: which image is shown, its editor and layers,
and saving every change as it is made.

A save that fails (disk full, file removed) is reported at once; the edits stay
in memory and are written with the next change or the next retry.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from ..data.io import DataError, read_image, read_label
from ..data.readers import cityscapes_samples
from ..store import Project, SaveError
from .editing import LabelEditor
from .overlays import ClassOverlay, mask_overlay, rgb_image


def truth_paths(project: Project) -> dict[str, tuple[Path, str]]:
    """Ground-truth label files of the pool images, where the target folder has them."""
    root = project.settings.target_root
    if not root or not Path(root).is_dir():
        return {}
    try:
        samples = cityscapes_samples(root, "train")
    except DataError:
        return {}
    return {str(Path(s.image).resolve()): (s.label, s.label_kind) for s in samples if s.label is not None}


class Document(QObject):
    image_changed = pyqtSignal(int)
    prediction_ready = pyqtSignal(int)
    labels_changed = pyqtSignal(int, object)  # image, rect
    saved = pyqtSignal(int)
    save_failed = pyqtSignal(str)

    def __init__(self, project: Project, stage: int) -> None:
        super().__init__()
        self.project = project
        self.stage = stage
        self.colors = np.array(project.settings.colors, np.uint8)
        self.truth = truth_paths(project)
        self.index = -1
        self.editor: LabelEditor | None = None
        self.image_rgb: np.ndarray | None = None
        self.overlays: dict[str, tuple] = {}
        self.labels_overlay: ClassOverlay | None = None
        self.pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._retry = QTimer(self)
        self._retry.setInterval(2000)
        self._retry.timeout.connect(self.flush)
        self._active_since = time.monotonic()

    # ---- images ----------------------------------------------------------------------
    def open_image(self, i: int) -> None:
        project = self.project
        image = read_image(project.image_path(i))  # may fail: then nothing changes
        self.index, self.image_rgb = i, image
        labels, stage = project.labels(i)
        if i in self.pending:
            labels, stage = self.pending[i]
        mask, points = project.proposal(self.stage, i) if self.stage else (None, np.zeros((0, 3), np.int32))
        self.editor = LabelEditor(labels, stage, max(1, self.stage), mask=mask, points=points, prediction=None)
        self.editor.listeners.append(self._on_edit)
        self.overlays = {"image": rgb_image(self.image_rgb)}
        if mask is not None:
            self.overlays["mask"] = mask_overlay(mask)
        truth = self.truth.get(str(project.image_path(i).resolve()))
        if truth is not None:
            gt = read_label(*truth)
            over = ClassOverlay(gt, self.colors)
            self.overlays["truth"] = (over.image, over)
        self.labels_overlay = ClassOverlay(self.editor.labels, self.colors)
        self.image_changed.emit(i)

    def set_prediction(self, i: int, prediction: np.ndarray) -> None:
        if i != self.index or self.editor is None:
            return
        self.editor.prediction = prediction
        over = ClassOverlay(prediction, self.colors)
        self.overlays["prediction"] = (over.image, over)
        self.prediction_ready.emit(i)

    # ---- saving ----------------------------------------------------------------------
    def _on_edit(self, rect, what: str) -> None:
        self.labels_overlay.refresh(rect)
        self.labels_changed.emit(self.index, rect)
        if what == "commit":
            self.pending[self.index] = (self.editor.labels.copy(), self.editor.stage.copy())
            self.flush()

    def flush(self) -> bool:
        """Write every pending image; True when nothing is left in memory only."""
        for i in list(self.pending):
            labels, stage = self.pending[i]
            try:
                self.project.save_labels(i, labels, stage)
            except SaveError as e:
                self._retry.start()
                self.save_failed.emit(str(e))
                return False
            del self.pending[i]
            self.saved.emit(i)
        self._retry.stop()
        return True

    def count_effort(self, **deltas) -> None:
        """Effort of the current image (clicks, strokes, points, active seconds)."""
        now = time.monotonic()
        active = min(now - self._active_since, 60.0)  # idle gaps do not count beyond a minute
        self._active_since = now
        try:
            self.project.add_effort(self.index, self.stage, active_seconds=active, **deltas)
        except SaveError as e:
            self.save_failed.emit(str(e))

    def status(self, i: int) -> dict:
        """What the image list shows: proposals, share labeled, done."""
        labels, _ = self.pending.get(i) or self.project.labels(i)
        mask, points = self.project.proposal(self.stage, i) if self.stage else (None, np.zeros((0, 3)))
        open_points = sum(1 for y, x, _ in points.tolist() if labels[y, x] == 255)
        return {
            "points": len(points),
            "open_points": open_points,
            "open_mask_pixels": int((mask & (labels == 255)).sum()) if mask is not None else 0,
            "mask_share": float(mask.mean()) if mask is not None else 0.0,
            "labeled_share": float((labels != 255).mean()),
            "done": (len(points) > 0 and open_points == 0) or (len(points) == 0 and (labels != 255).any()),
        }
