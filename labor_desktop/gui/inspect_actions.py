"""The window's model-facing actions: the prediction layer (computed off the GUI
thread), the Fig. 6 view, the history chart, and export."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QThread, pyqtSignal
from PyQt6.QtWidgets import QFileDialog

from ..core.model import ModelConfig
from ..data.io import read_label
from ..engine.export import export_project
from ..engine.predict import predict_probs_image, selection_panels
from .inspect import Fig6Dialog, HistoryDialog


class PredictionJob(QThread):
    done = pyqtSignal(int, object)  # image index, probabilities [K, H, W]
    failed = pyqtSignal(str)

    def __init__(self, index: int, checkpoint: str, cfg: ModelConfig, image: np.ndarray, input_size) -> None:
        super().__init__()
        self.index, self.checkpoint, self.cfg, self.image, self.input_size = index, checkpoint, cfg, image, input_size

    def run(self) -> None:
        try:
            probs = predict_probs_image(self.checkpoint, self.cfg, self.image, self.input_size)
        except Exception as e:  # noqa: BLE001 - shown in the window
            self.failed.emit(str(e))
        else:
            self.done.emit(self.index, probs)


class InspectActions:
    def __init__(self, window) -> None:
        self.w = window
        self.jobs: list[PredictionJob] = []
        self.probs: dict[int, object] = {}
        self._ckpt: tuple[int, str] | None = None

    def _checkpoint(self) -> str | None:
        """The current stage's model; looked up once per stage (it scans the data folders)."""
        if self._ckpt is not None and self._ckpt[0] == self.w.stage:
            return self._ckpt[1]
        try:
            self._ckpt = (self.w.stage, self.w.workflow_factory(self.w.project).current_model())
            return self._ckpt[1]
        except Exception as e:  # noqa: BLE001 - no model: say so, keep labeling
            self.w.statusBar().showMessage(f"no model to predict with: {e}", 6000)
            return None

    def _experiment(self):
        from ..engine.config import ExperimentConfig

        return ExperimentConfig.from_dict(self.w.project.settings.extra["experiment"])

    def request_prediction(self) -> None:
        """Compute the current image's prediction in the background (once per image and stage)."""
        doc = self.w.document
        i = doc.index
        if i < 0 or i in self.probs:
            if i in self.probs:
                doc.set_prediction(i, self.probs[i].argmax(0).numpy().astype(np.uint8))
            return
        ckpt = self._checkpoint()
        if ckpt is None:
            return
        cfg = self._experiment()
        job = PredictionJob(i, ckpt, cfg.model, doc.image_rgb, cfg.data.input_size)
        job.done.connect(self._predicted)
        job.failed.connect(lambda text: self.w.statusBar().showMessage(f"prediction failed: {text}", 8000))
        job.finished.connect(lambda: self.jobs.remove(job) if job in self.jobs else None)
        self.jobs.append(job)
        job.start()

    def _predicted(self, i: int, probs) -> None:
        self.probs[i] = probs
        self.w.document.set_prediction(i, probs.argmax(0).numpy().astype(np.uint8))

    def forget_predictions(self) -> None:
        """A new stage brings a new model."""
        self.probs.clear()

    def fig6(self) -> Fig6Dialog | None:
        doc = self.w.document
        if doc.index < 0:
            return None
        probs = self.probs.get(doc.index)
        if probs is None:
            ckpt = self._checkpoint()
            if ckpt is None:
                return None
            cfg = self._experiment()
            probs = predict_probs_image(ckpt, cfg.model, doc.image_rgb, cfg.data.input_size)
            self.probs[doc.index] = probs
        truth_path = doc.truth.get(str(self.w.project.image_path(doc.index).resolve()))
        truth = read_label(*truth_path) if truth_path else None
        panels = selection_panels(doc.image_rgb, probs, doc.editor.mask, doc.editor.points, truth)
        dialog = Fig6Dialog(self.w, panels, Path(self.w.project.images[doc.index].path).stem)
        dialog.show()
        return dialog

    def history(self) -> HistoryDialog:
        dialog = HistoryDialog(self.w, self.w.project.history(), self.w.project.settings.classes)
        dialog.show()
        return dialog

    def export(self, folder: str | None = None) -> dict | None:
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.w, "Export labels to")
        if not folder:
            return None
        if not self.w.document.flush():
            self.w.statusBar().showMessage("export postponed: some labels are not saved yet", 8000)
            return None
        summary = export_project(self.w.project.path, folder)
        ckpt = self._checkpoint()
        if ckpt:
            shutil.copy(ckpt, Path(folder) / "model.pt")
        self.w.statusBar().showMessage(f"exported to {folder}", 8000)
        return summary
