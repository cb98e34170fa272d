"""First run of the application without a project: make the demo data, create the
demo project and bootstrap it (warm-up model, stage 1's proposals), with a progress
window that shows one overall bar ("step 2 of 5: pre-train"), the step's own
progress, an overall ETA from what this machine measured (``first_run_eta``, and a line
saying what that was), and can be cancelled.  Later runs find the project ready and open
it at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtWidgets import QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout

from ...engine.workflow import DEMO_STEPS, demo_project_path, demo_ready, demo_step, prepare_demo
from ..jobs import Job
from ..stage.stage_bar import eta_text
from .first_run_eta import STEP_WEIGHTS, FirstRunEta, job_share

DEMO_DIR = Path("runs") / "desktop-demo"

__all__ = ["DEMO_DIR", "STEP_WEIGHTS", "SetupDialog", "demo_project_path", "demo_ready"]


def overall_fraction(step: int, job: str, done: int, total: int) -> float:
    """The share of the first run done; a step's jobs count by their shares (the demo data's
    three image sets, the selector then the proposals), so the bar never goes back."""
    before_job, share, _ = job_share(step, job)
    within = before_job + share * (done / max(total, 1))
    return min(1.0, sum(STEP_WEIGHTS[:step]) + STEP_WEIGHTS[step] * within)


def overall_text(job: str, step: int, total: int, eta: float | None) -> tuple[str, float]:
    """The overall line ("step 2 of 5: pre-train — overall ETA 3:10") and the overall fraction."""
    k = demo_step(job)
    fraction = overall_fraction(k, job, step, total)
    return f"step {k + 1} of {len(DEMO_STEPS)}: {DEMO_STEPS[k]} — overall {eta_text(eta)}", fraction


Work = Callable[[Callable, threading.Event], object]


class SetupDialog(QDialog):
    def __init__(
        self,
        root: Path = DEMO_DIR,
        config: str = "desktop",
        work: Work | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``work(progress, cancel)`` makes the project and returns its path (default:
        ``prepare_demo``); ``clock`` times the ETA (tests give a fake one)."""
        super().__init__()
        self.setWindowTitle("LabOR Desktop - preparing the demo project")
        self.text = QLabel(
            "First run: making the demo data, training the warm-up model on the source domain "
            "and proposing the first pixels to label (about 4-5 minutes on two idle CPU cores, about "
            "twice that beside two busy programs: the estimate below is measured as it goes)."
        )
        self.text.setWordWrap(True)
        self.overall = QLabel("starting…")
        self.overall.setObjectName("setupOverall")
        self.total_bar = QProgressBar()
        self.total_bar.setObjectName("setupTotal")
        self.total_bar.setRange(0, 1000)
        self.job = QLabel("")
        self.job.setObjectName("setupJob")
        self.bar = QProgressBar()
        self.eta = FirstRunEta(clock=clock)
        self.measured = QLabel(self.eta.text())
        self.measured.setObjectName("setupMeasured")
        self.measured.setWordWrap(True)
        self.cancel = QPushButton("Cancel")
        lay = QVBoxLayout(self)
        for w in (self.text, self.overall, self.total_bar, self.measured, self.job, self.bar, self.cancel):
            lay.addWidget(w)
        self.resize(600, 220)
        self._fit_height()
        self.project_path: str | None = None
        if work is None:

            def work(progress, cancel):
                return str(prepare_demo(root, config, None, progress, cancel))

        self.worker = Job(work, "demo")
        self.worker.progress.connect(self._progress)
        self.worker.finished_ok.connect(self._done)
        self.worker.failed.connect(self._job_failed)  # methods, not lambdas: none reaches a deleted dialog
        self.worker.cancelled.connect(self.reject)
        self.cancel.clicked.connect(self.worker.cancel)
        self.worker.start()

    def _progress(self, job, step, total, info) -> None:
        self.eta.update(demo_step(job), job, step, total, info.get("eta_s"))
        text, fraction = overall_text(job, step, total, self.eta.remaining())
        self.overall.setText(text)
        self.measured.setText(self.eta.text())
        self.total_bar.setValue(int(1000 * fraction))
        self.job.setText(f"{job}: {step}/{total} {eta_text(info.get('eta_s'))}")
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(step)
        self._fit_height()

    def _fit_height(self) -> None:
        """Wrapped lines need the height their text takes at this width: a dialog of a fixed
        height clipped the intro's last line once the measured line wrapped (issue 22)."""
        lay = self.layout()
        assert lay is not None  # made in __init__
        need = lay.totalHeightForWidth(self.width())
        self.setMinimumHeight(need)
        if self.height() < need:
            self.resize(self.width(), need)

    def _done(self, path: str) -> None:
        self.project_path = path
        self.accept()

    def _job_failed(self, message: str, details: str) -> None:
        self._failed(f"{message}\n\n{details[-1500:]}")

    def _failed(self, text: str) -> None:
        self.job.setText("failed: " + text)
        self.job.setWordWrap(True)
        self._fit_height()
        self.cancel.setText("Close")
        self.cancel.clicked.disconnect()
        self.cancel.clicked.connect(self.reject)

    def closeEvent(self, event) -> None:
        self.worker.cancel()
        self.worker.wait(5000)
        super().closeEvent(event)
