"""First run of the application without a project: make the demo data, create the
demo project and bootstrap it (warm-up model, stage 1's proposals), with a
progress window that shows each job with step and ETA and can be cancelled.
Later runs find the project ready and open it at once."""

from __future__ import annotations

import threading
import traceback
from pathlib import Path

from PyQt6.QtCore import QThread, pyqtSignal
from PyQt6.QtWidgets import QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout

from ..data.demo_generator import DemoDataConfig, generate_demo_data
from ..engine.config import preset
from ..engine.experiment_data import ExperimentData
from ..engine.stages import create_project
from ..engine.training import Cancelled
from ..engine.workflow import ProjectWorkflow
from ..store import Project
from .stage_bar import eta_text

DEMO_DIR = Path("runs") / "desktop-demo"


def demo_project_path(root: Path = DEMO_DIR) -> Path:
    return root / "demo.labor.h5"


def demo_ready(root: Path = DEMO_DIR) -> bool:
    path = demo_project_path(root)
    if not path.exists():
        return False
    with Project.open(path, read_only=True) as p:
        return bool(p.proposal_stages())


class SetupWorker(QThread):
    progress = pyqtSignal(str, int, int, dict)
    done = pyqtSignal(str)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, root: Path, config: str = "desktop") -> None:
        super().__init__()
        self.root, self.config = root, config
        self.cancel_event = threading.Event()

    def run(self) -> None:
        try:
            data = self.root / "data"
            if not (data / "demo-data.json").exists():
                generate_demo_data(
                    data,
                    DemoDataConfig(),
                    lambda job, step, total: self._progress(f"demo data: {job}", step, total, {}),
                )
            path = demo_project_path(self.root)
            cfg = preset(self.config)
            if not path.exists():
                create_project(path, cfg, ExperimentData.find(cfg.data, data), "ppl").close()
            with Project.open(path) as project:
                ProjectWorkflow(project, self._progress, self.cancel_event).bootstrap()
        except Cancelled:
            self.cancelled.emit()
        except Exception as e:  # noqa: BLE001 - shown in the dialog
            self.failed.emit(f"{e}\n\n{traceback.format_exc(limit=3)}")
        else:
            self.done.emit(str(path))

    def _progress(self, job, step, total, info) -> None:
        if self.cancel_event.is_set():
            raise Cancelled(job)
        self.progress.emit(job, step, total, dict(info))


class SetupDialog(QDialog):
    def __init__(self, root: Path = DEMO_DIR, config: str = "desktop") -> None:
        super().__init__()
        self.setWindowTitle("LabOR Desktop - preparing the demo project")
        self.text = QLabel(
            "First run: making the demo data, training the warm-up model on the source domain "
            "and proposing the first pixels to label (a few minutes on a CPU)."
        )
        self.text.setWordWrap(True)
        self.job = QLabel("starting…")
        self.job.setObjectName("setupJob")
        self.bar = QProgressBar()
        self.cancel = QPushButton("Cancel")
        lay = QVBoxLayout(self)
        for w in (self.text, self.job, self.bar, self.cancel):
            lay.addWidget(w)
        self.resize(560, 160)
        self.project_path: str | None = None
        self.worker = SetupWorker(root, config)
        self.worker.progress.connect(self._progress)
        self.worker.done.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self.reject)
        self.cancel.clicked.connect(self.worker.cancel_event.set)
        self.worker.start()

    def _progress(self, job, step, total, info) -> None:
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
        self.worker.cancel_event.set()
        self.worker.wait(5000)
        super().closeEvent(event)
