"""The current stage's model on the images the annotator looks at: computed in the
background (a Job per image), kept per image until the stage changes, and read by
the prediction layer, the accept tool, the class chooser's top classes, the
cursor readout and the Fig. 6 view."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from ...engine.workflow import ProjectWorkflow, read_image
from ..jobs import Job


class Predictions(QObject):
    ready = pyqtSignal(int)  # image index
    failed = pyqtSignal(str)

    def __init__(self, workflow: ProjectWorkflow) -> None:
        super().__init__()
        self.workflow = workflow
        self.probs: dict[int, np.ndarray] = {}  # image -> softmax [K, H, W] float32
        self.jobs: dict[int, Job] = {}

    def request(self, i: int, image: np.ndarray) -> None:
        """Start computing image ``i``'s prediction unless it is known or on its way."""
        if i in self.probs or i in self.jobs:
            return
        flow = self.workflow
        self._start(i, lambda progress, cancel: flow.predict(image).numpy())

    def request_file(self, i: int, path) -> None:
        """Like ``request``, the image read on the job's thread (a look ahead)."""
        if i in self.probs or i in self.jobs:
            return
        flow = self.workflow
        self._start(i, lambda progress, cancel: flow.predict(read_image(path)).numpy())

    def _start(self, i: int, fn) -> None:
        job = Job(lambda progress, cancel: (i, fn(progress, cancel)), f"predict {i}")
        job.finished_ok.connect(self._done)  # bound methods: nothing reaches a deleted Predictions
        job.failed.connect(self._failed)
        job.finished.connect(self._ended)
        self.jobs[i] = job
        job.start()

    def _done(self, result: tuple[int, np.ndarray]) -> None:
        i, probs = result
        self.probs[i] = probs
        self.ready.emit(i)

    def _failed(self, text: str, details: str) -> None:
        self.failed.emit(f"prediction failed: {text}")

    def _ended(self) -> None:
        job = self.sender()
        for i in [i for i, j in self.jobs.items() if j is job]:
            del self.jobs[i]

    def classes(self, i: int) -> np.ndarray | None:
        probs = self.probs.get(i)
        return None if probs is None else probs.argmax(0).astype(np.uint8)

    def top(self, i: int, y: int, x: int, n: int = 3) -> list[tuple[int, float]] | None:
        """The model's ``n`` most likely classes at (y, x) with their probabilities."""
        probs = self.probs.get(i)
        if probs is None:
            return None
        p = probs[:, y, x]
        order = np.argsort(-p, kind="stable")[:n]
        return [(int(k), float(p[k])) for k in order]

    def forget(self) -> None:
        """A new stage brings a new model."""
        self.probs.clear()

    def wait(self) -> None:
        for job in list(self.jobs.values()):
            job.wait(30_000)

    def close(self) -> None:
        """The window closes: the jobs still running (past ``wait``'s patience) end on their
        own, their results going nowhere."""
        for job in self.jobs.values():
            job.detach()
        self.jobs.clear()
