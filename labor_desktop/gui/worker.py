"""The stage worker: the engine's jobs on a QThread, so the window never freezes.

Progress events cross to the GUI thread as signals; Cancel sets the engine's
cancel event, which every job checks each step (well under a second at the
demo's sizes).  The worker opens nothing itself: it shares the window's open
project, whose store is thread-safe.
"""

from __future__ import annotations

import threading
import traceback

from PyQt6.QtCore import QThread, pyqtSignal

from ..engine.training import Cancelled
from ..engine.workflow import ProjectWorkflow
from ..store import Project


def describe_failure(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if "out of memory" in text.lower():
        return (
            "the GPU ran out of memory. Lower the batch size or the crop size in the project's "
            "settings, or close other programs using the GPU. (" + text.splitlines()[0] + ")"
        )
    return text


class StageWorker(QThread):
    progress = pyqtSignal(str, int, int, dict)
    finished_ok = pyqtSignal(int)  # the new current stage
    cancelled = pyqtSignal()
    failed = pyqtSignal(str, str)  # message, traceback

    def __init__(self, project: Project, action: str = "advance", workflow_factory=ProjectWorkflow) -> None:
        super().__init__()
        self.project, self.action = project, action
        self.cancel_event = threading.Event()
        self.workflow_factory = workflow_factory

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            flow = self.workflow_factory(self.project, self._progress, self.cancel_event)
            stage = flow.bootstrap() if self.action == "bootstrap" else flow.advance()
        except Cancelled:
            self.cancelled.emit()
        except Exception as e:  # noqa: BLE001 - every failure is shown, with its cause
            self.failed.emit(describe_failure(e), traceback.format_exc())
        else:
            self.finished_ok.emit(stage)

    def _progress(self, job: str, step: int, total: int, info: dict) -> None:
        self.progress.emit(job, step, total, dict(info))
