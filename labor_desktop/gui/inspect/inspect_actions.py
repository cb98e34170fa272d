"""The window's model-facing actions: the Fig. 6 view (its panels computed off the
GUI thread), the history chart, and export.  They get what they need — the
workflow, the document, the predictions and a way to say something — not the
window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ...engine.workflow import NotAnExportFolder, ProjectWorkflow
from .. import TITLE
from ..canvas.predictions import Predictions
from ..document import Document
from ..jobs import Job
from .inspect import Fig6Dialog, HistoryDialog


class InspectActions:
    def __init__(
        self,
        parent: QWidget,
        workflow: ProjectWorkflow,
        document: Document,
        predictions: Predictions,
        say: Callable[[str], None],
        truth_shown: Callable[[], bool] = lambda: True,
    ) -> None:
        """``truth_shown``: whether the ground-truth layer is on (the Fig. 6 view shows the
        truth only then)."""
        self.truth_shown = truth_shown
        self.parent, self.workflow, self.document, self.predictions, self.say = (
            parent,
            workflow,
            document,
            predictions,
            say,
        )
        self.fig6_job: Job | None = None
        self.dialogs: list = []

    def fig6(self) -> Job | None:
        """Compute the current image's Fig. 6 panels in the background, then show them."""
        doc = self.document
        if doc.index < 0 or (self.fig6_job is not None and self.fig6_job.isRunning()):
            return None
        i, image, probs = doc.index, doc.current_image(), self.predictions.probs.get(doc.index)
        ed = doc.current_editor()
        mask, points = ed.mask, ed.points.copy()
        truth = doc.truth_labels if self.truth_shown() else None
        flow = self.workflow

        def panels(progress, cancel):
            import torch

            p = flow.predict(image) if probs is None else torch.from_numpy(probs)
            return i, p.numpy(), flow.panels(image, p, mask, points, truth)

        job = Job(panels, "fig6")
        job.finished_ok.connect(self._show_fig6)
        job.failed.connect(lambda text, details: self.say(f"Fig. 6 view: {text}"))
        self.fig6_job = job
        self.say("computing the Fig. 6 view…")
        job.start()
        return job

    def _show_fig6(self, result) -> None:
        i, probs, panels = result
        self.predictions.probs.setdefault(i, probs)
        name = Path(self.document.project.images[i].path).stem
        dialog = Fig6Dialog(self.parent, panels, name, self.document.project.settings.classes, self.document.colors)
        dialog.show()
        self.dialogs.append(dialog)
        self.last_fig6 = dialog

    def history(self) -> HistoryDialog:
        project = self.document.project
        dialog = HistoryDialog(self.parent, project.history(), project.settings.classes)
        dialog.show()
        self.dialogs.append(dialog)
        return dialog

    def export(self, folder: str | None = None) -> dict | None:
        """Export into ``folder`` (asked for when None); made when missing, failures shown."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.parent, "Export labels to")
        if not folder:
            return None
        if not self.document.flush():
            self.say("export postponed: some labels are not saved yet")
            return None
        try:
            try:
                summary = self.workflow.export(folder)
            except NotAnExportFolder:  # a person's own folder: written into only when they say so
                asked = QMessageBox.question(
                    self.parent,
                    TITLE,
                    f"{folder} is not empty and is not an earlier export of this project.\n\n"
                    "Export into it anyway, writing over its files of the same names?",
                )
                if asked != QMessageBox.StandardButton.Yes:
                    self.say("export not done: the folder is not empty")
                    return None
                summary = self.workflow.export(folder, replace=True)
        except (OSError, ValueError) as e:
            self.say(f"export failed: {e}")
            QMessageBox.warning(
                self.parent, TITLE, f"The export to {folder} failed:\n\n{e}\n\nChoose a folder you can write to."
            )
            return None
        self.say(f"exported to {folder}")
        return summary
