"""The window's model-facing actions: the Fig. 6 view (its panels computed off the
GUI thread), the history chart, and export.  They get what they need — the
workflow, the document, the predictions and a way to say something — not the
window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtWidgets import QMessageBox, QWidget

from ...engine.workflow import ImportRefused, NotAnExportFolder, ProjectWorkflow
from .. import TITLE
from ..canvas.predictions import Predictions
from ..document import Document
from ..jobs import Job
from .inspect import Fig6Dialog, HistoryDialog
from .label_dialogs import ExportDialog, ExportDone, ImportDialog, plan_text


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
        self.last_dialog: ExportDialog | ImportDialog | None = None
        self.last_done: ExportDone | None = None

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
        job.failed.connect(self._fig6_failed)
        self.fig6_job = job
        self.say("computing the Fig. 6 view…")
        job.start()
        return job

    def close(self) -> None:
        """The window closes: a Fig. 6 job still running ends on its own and shows nothing."""
        if self.fig6_job is not None:
            self.fig6_job.detach()
            self.fig6_job = None

    def _fig6_failed(self, text: str, details: str) -> None:
        self.say(f"Fig. 6 view: {text}")

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

    def export_dialog(self) -> ExportDialog:
        """Ask where and in which format (a new folder's name offered), then export and say
        what was written in a dialog with "Open folder"."""
        path = self.document.project.path
        name = f"{path.name.split('.')[0]}-export"
        dialog = ExportDialog(self.parent, str(path.resolve().parent), name)

        def accepted() -> None:
            folder, fmt = dialog.chosen()
            summary = self.export(folder, fmt)
            if summary is not None:
                self.last_done = ExportDone(self.parent, folder, fmt, summary)
                self.last_done.open()

        dialog.accepted.connect(accepted)
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def export(self, folder: str, fmt: str = "cityscapes") -> dict | None:
        """Export into ``folder`` (made when missing); failures shown."""
        if not folder:
            return None
        if not self.document.flush():
            self.say("export postponed: some labels are not saved yet")
            return None
        try:
            try:
                summary = self.workflow.export(folder, fmt=fmt)
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
                summary = self.workflow.export(folder, replace=True, fmt=fmt)
        except (OSError, ValueError) as e:
            self.say(f"export failed: {e}")
            QMessageBox.warning(
                self.parent, TITLE, f"The export to {folder} failed:\n\n{e}\n\nChoose a folder you can write to."
            )
            return None
        self.say(f"exported {len(summary['files'])} file(s) ({fmt}) to {folder}")
        return summary

    def import_dialog(self) -> ImportDialog:
        """Labels made elsewhere: checked (dry run) first, imported only when nothing is wrong."""
        flow, doc = self.workflow, self.document
        paths = [e.path for e in doc.project.images]

        def check(folder: str, fmt: str, stage: int) -> tuple[str, bool]:
            try:
                plan = flow.import_labels(folder, fmt, stage, dry_run=True)
            except ImportRefused as e:
                return (plan_text(e.plan, paths, e.problems) if e.plan else "\n".join(e.problems)), False
            except (OSError, ValueError) as e:
                return f"problem: {e}", False
            what = "prior (stage 0)" if stage == 0 else f"stage {stage}"
            tail = f"\nImport writes {plan.written_pixels} pixels on {plan.written_images} images as {what} labels."
            return plan_text(plan, paths, []) + tail, bool(plan.written_images)

        def run(folder: str, fmt: str, stage: int) -> str | None:
            if not doc.flush():
                self.say("import postponed: some labels are not saved yet")
                return None
            try:
                plan = flow.import_labels(folder, fmt, stage)
            except (OSError, ValueError) as e:  # ImportRefused too: the files changed since the check
                QMessageBox.warning(self.parent, TITLE, f"The import from {folder} was refused:\n\n{e}")
                return None
            for i in plan.labels:
                labels, stages = doc.labels_of(i)
                doc.statuses.compute(i, labels, *doc.proposal(i), stages)
                doc.status_changed.emit(i)
            if doc.index in plan.labels:
                doc.open_image(doc.index)  # the editor shows the imported labels
            what = "prior (stage 0)" if stage == 0 else f"stage {stage}"
            text = f"imported {plan.written_pixels} pixels on {plan.written_images} images as {what} labels"
            self.say(text)
            return text

        dialog = ImportDialog(self.parent, check, run)
        self.last_dialog = dialog
        dialog.open()
        return dialog
