"""The status bar's stage area: stage, budget and effort, the worker's job with
step and ETA, the Advance and Cancel buttons, and errors that must be seen."""

from __future__ import annotations

import math

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


def eta_text(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    m, s = divmod(int(round(seconds)), 60)
    return f"ETA {m}:{s:02d}"


class StageBar(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.state = QLabel()
        self.state.setObjectName("stageState")
        self.job = QLabel()
        self.job.setObjectName("jobLabel")
        self.bar = QProgressBar()
        self.bar.setObjectName("jobProgress")
        self.bar.setMaximumWidth(220)
        self.bar.hide()
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setStyleSheet("color: #ff5555; font-weight: bold")
        self.error.setWordWrap(True)
        self.error.hide()
        self.advance = QPushButton("End stage ▶")
        self.advance.setObjectName("advanceButton")
        self.advance.setToolTip("Retrain on every label so far and propose the next pixels (Ctrl+Return)")
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelButton")
        self.cancel.hide()
        self.seen_jobs: set[str] = set()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        for w in (self.error, self.state, self.job, self.bar, self.cancel, self.advance):
            lay.addWidget(w)

    def set_state(self, text: str) -> None:
        self.state.setText(text)

    def running(self, on: bool) -> None:
        self.advance.setEnabled(not on)
        self.cancel.setVisible(on)
        self.bar.setVisible(on)
        if on:
            self.error.hide()
            self.job.setText("starting…")

    def progress(self, job: str, step: int, total: int, info: dict) -> None:
        self.seen_jobs.add(job)
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(step)
        self.job.setText(f"{job} {step}/{total} {eta_text(info.get('eta_s'))}")

    def stopped(self, text: str) -> None:
        self.running(False)
        self.job.setText(text)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setToolTip(text)
        self.error.show()
