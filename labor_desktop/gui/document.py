"""One open project in the window: which image is shown, its editor and layers,
each image's status, and saving every change as it is made.

Saving never waits on the disk: an edit's labels and the effort it cost go to the
writer thread (``labeling.SaveQueue``) as one record, in order.  Statuses come from
a cache that each save updates from the touched rectangle, never from reading back
what was just written.  A save that fails (disk full, file removed) is reported as
soon as the writer meets it; the edits stay in memory (and are what the window
shows) and are tried again every 2 s and before a stage ends or the window closes.
"""

from __future__ import annotations

import time
from dataclasses import astuple, fields

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication, QProgressDialog, QWidget

from ..engine.workflow import GroundTruth, read_image
from ..labeling import EditedImage, ImageStatus, LabelEditor, LabelSave, SaveQueue, StatusCache, UnsureSave
from ..store import Effort, Project
from .overlays import UNLABELED, ClassOverlay, mask_overlay, rgb_image

IDLE_CAP_S = 60.0  # idle gaps count as at most a minute of annotator time


class Document(QObject):
    image_changed = pyqtSignal(int)
    prediction_ready = pyqtSignal(int)
    labels_changed = pyqtSignal(int, object, str)  # image, rect, "paint" | "commit"
    status_changed = pyqtSignal(int)  # an image's status (in memory) changed
    saved = pyqtSignal(int)
    save_failed = pyqtSignal(str)
    save_recovered = pyqtSignal()  # every failed save has been written since
    _worker_saved = pyqtSignal(int)
    _worker_failed = pyqtSignal(str)

    def __init__(
        self, project: Project, stage: int, truth: GroundTruth | None = None, writer: SaveQueue | None = None
    ) -> None:
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
        self._unsure: dict[tuple[int, int], set[int]] = {}  # (stage, image) -> unsure points set this session
        self._pending_effort: dict[int, dict[str, float]] = {}  # per image, not handed to the writer yet
        self._effort_base: dict[int, Effort] = {}  # per stage: the stored totals when first shown
        self._effort_added: dict[int, dict[str, float]] = {}  # per stage: counted since
        self._points_known: dict[int, int] = {}  # per image: its points_labeled, this session's included
        self._labelled_here = 0  # the shown image's labelled proposed points
        self.statuses = StatusCache()
        self._edited: EditedImage | None = None  # the current image's edits since its last save
        self._saves = 0  # label saves handed in, and the count at each image's latest
        self._saved_at: dict[int, int] = {}
        self._failing = False
        self._retry = QTimer(self)
        self._retry.setInterval(2000)
        self._retry.timeout.connect(self._retry_saves)
        self._worker_saved.connect(self._on_saved)  # queued: emitted on the writer's thread
        self._worker_failed.connect(self._on_failed)
        self._closed = False
        self.writer = writer or SaveQueue(project, self._writer_failed, self._writer_saved)
        self._active_since = time.monotonic()

    # ---- images ----------------------------------------------------------------------
    def open_image(self, i: int) -> None:
        project = self.project
        image = read_image(project.image_path(i))  # may fail: then nothing changes
        self.index, self.image_rgb = i, image
        labels, stage = self.labels_of(i)
        mask, points = self.proposal(i)
        self.editor = LabelEditor(labels, stage, max(1, self.stage), mask=mask, points=points, prediction=None)
        self.editor.listeners.append(self._on_edit)
        self._edited = EditedImage(self.statuses, i, self.editor)
        self.unsure = set(self._unsure.get((self.stage, i), project.unsure(self.stage, i) if self.stage else ()))
        self.overlays = {"image": rgb_image(self.image_rgb)}
        if mask is not None:
            self.overlays["mask"] = mask_overlay(mask)
        self.truth_labels = self.truth.read(i)
        if self.truth_labels is not None:
            over = ClassOverlay(self.truth_labels, self.colors)
            self.overlays["truth"] = (over.image, over)
        self.labels_overlay = ClassOverlay(self.editor.labels, self.colors, self.editor.stage)
        self._labelled_here = self._labelled_points()
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

    def earlier_points(self) -> np.ndarray:
        """The shown image's labelled points of the stages before this one: (y, x, label)."""
        ed = self.current_editor()
        found = [self.project.proposal(s, self.index)[1] for s in range(1, self.stage)]
        pts = np.concatenate([np.asarray(p).reshape(-1, 3) for p in found]) if found else np.zeros((0, 3), np.int64)
        if not len(pts):
            return np.zeros((0, 3), np.int64)
        labels = ed.labels[pts[:, 0], pts[:, 1]].astype(np.int64)
        keep = labels != UNLABELED
        return np.column_stack([pts[keep, 0], pts[keep, 1], labels[keep]]).astype(np.int64)

    def set_prediction(self, i: int, prediction: np.ndarray) -> None:
        if i != self.index or self.editor is None:
            return
        self.editor.prediction = prediction
        over = ClassOverlay(prediction, self.colors)
        self.overlays["prediction"] = (over.image, over)
        self.prediction_ready.emit(i)

    # ---- status ----------------------------------------------------------------------
    def labels_of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Image ``i``'s labels and stages as the annotator left them: the newest state the
        writer still holds, else the stored one."""
        return self.writer.latest(i) or self.project.labels(i)

    def status(self, i: int) -> ImageStatus:
        """What the image list shows: from the cache, which every save keeps current; an
        image not seen yet is decoded once."""
        st = self.statuses.get(i)
        if st is None:
            labels, stage = self.labels_of(i)
            st = self.statuses.compute(i, labels, *self.proposal(i), stage)
        return st

    def known_statuses(self) -> dict[int, ImageStatus]:
        """The statuses computed so far (the image list fills them in the background)."""
        return self.statuses.known()

    @property
    def edit_mark(self) -> int:
        """A mark to pass to ``put_statuses``: how many saves were handed in so far."""
        return self._saves

    def put_statuses(self, statuses: dict[int, ImageStatus], mark: int) -> None:
        """Statuses computed elsewhere (a stage's job, off this thread) from labels read after
        ``edit_mark`` was ``mark``; an image saved since then keeps (or recomputes) its own."""
        for i, st in statuses.items():
            if self._saved_at.get(i, 0) <= mark:
                self.statuses.put(i, st)

    def forget_statuses(self) -> None:
        """A new stage brings new proposals."""
        self.statuses.forget()

    # ---- saving ----------------------------------------------------------------------
    @property
    def pending(self) -> set[int]:
        """Images whose newest labels are not on disk yet."""
        return self.writer.unsaved_images()

    def _on_edit(self, rect, what: str) -> None:
        assert self.labels_overlay is not None and self._edited is not None  # made with the editor
        self._edited.touched(rect)
        self.labels_overlay.refresh(rect)
        self.labels_changed.emit(self.index, rect, what)
        if what == "commit":
            self._count_labelled_points()
            self.save_current()

    def _labelled_points(self) -> int:
        ed = self.current_editor()
        return int(np.count_nonzero(ed.point_labels() != UNLABELED))

    def _count_labelled_points(self) -> None:
        """Effort's ``points_labeled`` follows the labels at the proposed points, whatever
        labelled them (the chooser, the queue, Fill, Accept, the brush, undo): the count the
        bar shows and the one the export writes are the same.  Never below zero (a project
        that counted otherwise before)."""
        now = self._labelled_points()
        delta, self._labelled_here = now - self._labelled_here, now
        if not delta or not self.stage:
            return
        if self.index not in self._points_known:
            self._points_known[self.index] = self.project.effort(self.index).points_labeled
        floor = min(self._points_known[self.index], self.stage_effort(self.stage).points_labeled)
        delta = max(delta, -floor)
        self._points_known[self.index] += delta
        self._pending_effort.setdefault(self.index, {})
        for acc in (self._pending_effort[self.index], self._effort_added.setdefault(self.stage, {})):
            acc["points_labeled"] = acc.get("points_labeled", 0) + delta

    def save_current(self) -> None:
        """Hand the current image's labels (a stroke in progress included) to the writer,
        with the effort they cost, and update its status from the touched rectangle."""
        found = None if self._edited is None else self._edited.save()
        if found is None:
            return
        labels, stage = found
        effort = self._pending_effort.pop(self.index, None)
        self._saves += 1
        self._saved_at[self.index] = self._saves
        self.writer.submit(LabelSave(self.index, labels, stage, effort, self.stage or None))
        self.status_changed.emit(self.index)

    def count_effort(self, **deltas) -> None:
        """Effort of the current image (clicks, strokes, points, active seconds); written
        with the edit it belongs to, or alone when the action changed no label."""
        now = time.monotonic()
        deltas["active_seconds"] = deltas.get("active_seconds", 0.0) + min(now - self._active_since, IDLE_CAP_S)
        self._active_since = now
        acc = self._pending_effort.setdefault(self.index, {})
        shown = self._effort_added.setdefault(self.stage, {})
        for name, value in deltas.items():
            acc[name] = acc.get(name, 0) + value
            shown[name] = shown.get(name, 0) + value

    def stage_effort(self, stage: int) -> Effort:
        """The stage's effort as stored when first asked, plus what this session counted
        since (saved or still on its way to the disk)."""
        if stage not in self._effort_base:
            self._effort_base[stage] = self.project.stage_effort(stage)
        base, added = self._effort_base[stage], self._effort_added.get(stage, {})
        return Effort(*(type(v)(v + added.get(f.name, 0)) for f, v in zip(fields(Effort), astuple(base))))

    def act(self, fn, **effort):
        """Run one annotator action: its effort and its edit are saved together (or the
        effort alone when it changed no label)."""
        self.count_effort(**effort)
        result = fn()
        for i in list(self._pending_effort):
            self.writer.submit(LabelSave(i, None, None, self._pending_effort.pop(i), self.stage or None))
        return result

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every edit handed to the writer is on disk (failed ones are tried
        again first); True when nothing is left in memory only."""
        for i in list(self._pending_effort):
            self.writer.submit(LabelSave(i, None, None, self._pending_effort.pop(i), self.stage or None))
        ok = self.writer.flush(timeout)
        if not ok and self.writer.failed:
            self._retry.start()
        return ok

    def close(self, timeout: float | None = None) -> bool:
        """Stop the writer after it wrote what it holds; True when nothing was left unsaved.
        A writer still busy after ``timeout`` goes on writing, but says nothing more: the
        window it would tell is going away."""
        self._retry.stop()
        done = self.writer.close(timeout)
        self._closed = True
        if self.editor is not None:
            self.editor.listeners.clear()
        return done

    def _retry_saves(self) -> None:
        self.writer.retry()

    # The writer's callbacks, on its thread: a signal looked up at each call (a bound signal
    # kept past its object's deletion would crash the process), and none once closed.
    def _writer_saved(self, i: int) -> None:
        if not self._closed:
            self._worker_saved.emit(i)

    def _writer_failed(self, message: str) -> None:
        if not self._closed:
            self._worker_failed.emit(message)

    def _on_saved(self, i: int) -> None:
        if self._failing and not self.writer.failed:
            self._failing = False
            self._retry.stop()
            self.save_recovered.emit()
        self.saved.emit(i)

    def _on_failed(self, message: str) -> None:
        self._failing = True
        self._retry.start()
        self.save_failed.emit(message)

    def unsure_count(self, stage: int) -> int:
        """The stage's unsure points, this session's changes included (saved or not yet)."""
        n = self.project.unsure_count(stage)
        for (s, i), points in self._unsure.items():
            if s == stage:
                n += len(points) - len(self.project.unsure(s, i))
        return n

    def set_unsure(self, k: int, unsure: bool) -> None:
        """Mark proposed point ``k`` of the current image unsure (or not), saved like an edit."""
        changed = set(self.unsure)
        (changed.add if unsure else changed.discard)(k)
        if changed == self.unsure:
            return
        self.unsure = changed
        self._unsure[(self.stage, self.index)] = changed
        self.writer.submit(UnsureSave(self.stage, self.index, tuple(sorted(changed))))
        self.status_changed.emit(self.index)


def wait_for_saves(document: Document, parent: QWidget | None = None) -> bool:
    """Wait until the writer has every label on disk, with a note on screen when that takes
    more than a moment (a slow disk); False when a save failed (the status bar says why)."""
    if not document.flush(timeout=0.25) and not document.writer.wait(0):
        note = QProgressDialog("Saving the labels…", "", 0, 0, parent)
        note.setCancelButton(None)
        note.setMinimumDuration(0)
        note.show()
        while not document.writer.wait(0.05):
            QApplication.processEvents()
        note.close()
    return not document.writer.failed
