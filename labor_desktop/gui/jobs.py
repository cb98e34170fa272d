"""Every long piece of work the window starts — a stage advance, the demo's
preparation, a prediction, the Fig. 6 panels — runs as a ``Job`` on a QThread,
so the window never freezes.  One wrapper holds the shape they share: progress
events cross to the GUI thread as signals; Cancel sets the event every engine job
checks each step; the job's thread runs a little nicer than the window's; ``Cancelled`` and failures become signals with a message a
person can act on.  Jobs share the window's open project, whose store is
thread-safe.

A job outlives whatever started it: it is held here until its thread has ended (a
QThread destroyed while it runs aborts the program), and ``detach`` cuts it off from
its receivers when their window closes, so a late result reaches no deleted widget."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

from PyQt6.QtCore import QThread, pyqtSignal

from ..cpu_share import prepare_job_thread
from ..engine.workflow import Cancelled, OutOfMemory, Progress


def describe_failure(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if isinstance(e, OutOfMemory):  # the engine's own words: the job, its batch size, the setting
        return text
    if "out of memory" in text.lower():
        return (
            "the GPU ran out of memory. Lower the batch size or the crop size in the project's "
            "settings, or close other programs using the GPU. (" + text.splitlines()[0] + ")"
        )
    return text


_RUNNING: set[Job] = set()  # started jobs, held until their thread has ended


class Job(QThread):
    progress = pyqtSignal(str, int, int, dict)
    finished_ok = pyqtSignal(object)  # the function's result
    cancelled = pyqtSignal()
    failed = pyqtSignal(str, str)  # message, traceback

    def __init__(self, fn: Callable[[Progress, threading.Event], object], name: str = "job") -> None:
        super().__init__()
        self.fn, self.name = fn, name
        self.cancel_event = threading.Event()
        self.finished.connect(self._ended)  # on the window's thread, after the job's last signal

    def start(self, priority: QThread.Priority = QThread.Priority.InheritPriority) -> None:
        _RUNNING.add(self)
        super().start(priority)

    def _ended(self) -> None:
        self.wait()  # ``finished`` comes just before the thread's end: let it end before letting go
        _RUNNING.discard(self)

    def cancel(self) -> None:
        self.cancel_event.set()

    def detach(self) -> None:
        """Cancel, and let nothing of this job reach its receivers any more (their window is
        closing); it ends on its own, held until then."""
        self.cancel()
        for signal in (self.progress, self.finished_ok, self.cancelled, self.failed):
            try:
                signal.disconnect()
            except TypeError:  # nothing was connected
                pass

    def run(self) -> None:
        prepare_job_thread()  # nicer than the window (torch's pool inherits it); threads for the free cores
        try:
            result = self.fn(self._progress, self.cancel_event)
        except Cancelled:
            self.cancelled.emit()
        except Exception as e:  # noqa: BLE001 - every failure is shown, with its cause
            self.failed.emit(describe_failure(e), traceback.format_exc())
        else:
            self.finished_ok.emit(result)

    def _progress(self, job: str, step: int, total: int, info: dict) -> None:
        if self.cancel_event.is_set():
            raise Cancelled(job)
        self.progress.emit(job, step, total, dict(info))
