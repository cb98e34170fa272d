"""The status bar's stage area: stage, budget and effort, the worker's job with
step and ETA, the Advance and Cancel buttons, and errors that must be seen.

The job has an area of its own, of fixed width, so Cancel and End stage never move
as the job's text changes; every text that may not fit is elided with the whole text
in its tooltip."""

from __future__ import annotations

import math

from PyQt6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from ..elided_label import ElidedLabel

JOB_WIDTH = 260  # the job's text: "evaluate 60/60 ETA 12:34" and more fit
BAR_WIDTH = 90


def eta_text(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    m, s = divmod(int(round(seconds)), 60)
    return f"ETA {m}:{s:02d}"


class StageBar(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.state = ElidedLabel(min_width=120)
        self.state.setObjectName("stageState")
        self.job_area = QWidget()
        self.job_area.setObjectName("jobArea")
        self.job_area.setFixedWidth(JOB_WIDTH + BAR_WIDTH + 6)
        self.job = ElidedLabel()
        self.job.setObjectName("jobLabel")
        self.job.setFixedWidth(JOB_WIDTH)
        self.bar = QProgressBar()
        self.bar.setObjectName("jobProgress")
        self.bar.setFixedWidth(BAR_WIDTH)
        self.bar.setVisible(False)
        job_lay = QHBoxLayout(self.job_area)
        job_lay.setContentsMargins(0, 0, 0, 0)
        job_lay.setSpacing(6)
        job_lay.addWidget(self.job)
        job_lay.addWidget(self.bar)
        job_lay.addStretch(1)
        self.error = ElidedLabel(min_width=80)
        self.error.setObjectName("errorLabel")
        self.error.setStyleSheet("color: #ff5555; font-weight: bold")
        self.error.hide()
        self.advance = QPushButton("End stage ▶")
        self.advance.setObjectName("advanceButton")
        self.advance.setToolTip("Retrain on every label so far and propose the next pixels (Ctrl+Return)")
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelButton")
        self.cancel.setFixedWidth(self.cancel.sizeHint().width())
        self.cancel.setEnabled(False)
        self.seen_jobs: set[str] = set()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.addWidget(self.error, 2)
        lay.addWidget(self.state, 3)
        for w in (self.job_area, self.cancel, self.advance):
            lay.addWidget(w)

    def set_state(self, text: str) -> None:
        self.state.setText(text)

    def waiting(self, text: str) -> None:
        """The stage waits on the annotator's answer: said where the job's progress was."""
        self.job.setStyleSheet("color: #ff9900; font-weight: bold" if text else "")
        self.job.setFixedWidth(JOB_WIDTH + BAR_WIDTH + 6 if text else JOB_WIDTH)  # the bar's room too
        self.job.setText(text)
        if text:  # the finished job's "100 %" would say the work goes on
            self.bar.setVisible(False)

    def running(self, on: bool) -> None:
        self.waiting("")
        self.advance.setEnabled(not on)
        self.cancel.setEnabled(on)  # always in its place: a click aimed at it never lands elsewhere
        self.bar.setVisible(on)
        if on:
            self.bar.setValue(0)  # never the last job's "100 %" for a job just started
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
        self.error.show()
