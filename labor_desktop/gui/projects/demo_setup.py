"""First run of the application without a project: make the demo data, create the
demo project and bootstrap it (warm-up model, stage 1's proposals), with a progress
window that shows one overall bar ("step 2 of 5: pre-train"), the step's own
progress and an overall ETA, and can be cancelled.  Later runs find the project
ready and open it at once."""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtWidgets import QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout

from ...engine.workflow import DEMO_STEPS, demo_project_path, demo_ready, demo_step, prepare_demo
from ..jobs import Job
from ..stage.stage_bar import eta_text

DEMO_DIR = Path("runs") / "desktop-demo"
# Share of the first run each step takes, for the overall bar: 512x1024 demo data, measured with
# bench/demo_first_run.py (README); propose includes the pixel selector's training.
STEP_WEIGHTS = (0.08, 0.49, 0.20, 0.05, 0.18)

__all__ = ["DEMO_DIR", "SetupDialog", "demo_project_path", "demo_ready"]


def overall_fraction(step: int, done: int, total: int) -> float:
    before = sum(STEP_WEIGHTS[:step])
    return min(1.0, before + STEP_WEIGHTS[step] * (done / max(total, 1)))


def overall_text(job: str, step: int, total: int, elapsed: float) -> tuple[str, float]:
    """The overall line ("step 2 of 5: pre-train — overall ETA 3:10") and the overall fraction."""
    k = demo_step(job)
    fraction = overall_fraction(k, step, total)
    eta = elapsed * (1 - fraction) / fraction if fraction > 0.02 else None
    return f"step {k + 1} of {len(DEMO_STEPS)}: {DEMO_STEPS[k]} — overall {eta_text(eta)}", fraction


class SetupDialog(QDialog):
    def __init__(self, root: Path = DEMO_DIR, config: str = "desktop") -> None:
        super().__init__()
        self.setWindowTitle("LabOR Desktop - preparing the demo project")
        self.text = QLabel(
            "First run: making the demo data, training the warm-up model on the source domain "
            "and proposing the first pixels to label (about 3 minutes on two idle CPU cores)."
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
        self.cancel = QPushButton("Cancel")
        lay = QVBoxLayout(self)
        for w in (self.text, self.overall, self.total_bar, self.job, self.bar, self.cancel):
            lay.addWidget(w)
        self.resize(600, 220)
        self.project_path: str | None = None
        self.started = time.monotonic()
        self.worker = Job(lambda progress, cancel: str(prepare_demo(root, config, None, progress, cancel)), "demo")
        self.worker.progress.connect(self._progress)
        self.worker.finished_ok.connect(self._done)
        self.worker.failed.connect(lambda message, details: self._failed(f"{message}\n\n{details[-1500:]}"))
        self.worker.cancelled.connect(self.reject)
        self.cancel.clicked.connect(self.worker.cancel)
        self.worker.start()

    def _progress(self, job, step, total, info) -> None:
        text, fraction = overall_text(job, step, total, time.monotonic() - self.started)
        self.overall.setText(text)
        self.total_bar.setValue(int(1000 * fraction))
        self.job.setText(f"{job}: {step}/{total} {eta_text(info.get('eta_s'))}")
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(step)

    def _done(self, path: str) -> None:
        self.project_path = path
        self.accept()

    def _failed(self, text: str) -> None:
        self.job.setText("failed: " + text)
        self.cancel.setText("Close")
        self.cancel.clicked.disconnect()
        self.cancel.clicked.connect(self.reject)

    def closeEvent(self, event) -> None:
        self.worker.cancel()
        self.worker.wait(5000)
        super().closeEvent(event)
