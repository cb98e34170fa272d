"""Ending a stage from the window: retrain and evaluate on a background job, tell
the annotator when the model got worse (or when far fewer labels were given than
proposed) and offer to keep the previous model, then propose the next pixels.
The window stays usable throughout; Cancel stops within a step and leaves the
project as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from ...engine.workflow import ProjectWorkflow
from ...labeling import UNLABELED, ImageStatus, image_status, prior_pixels, stage_counts
from ...store import Project
from ..document import Document
from ..jobs import Job
from .stage_bar import StageBar

FEW_LABELS = 0.25  # below this share of the proposed points labelled, say so


class StageControl(QObject):
    done = pyqtSignal(int)  # the new current stage
    running_changed = pyqtSignal(bool)
    waiting = pyqtSignal(str)  # what the stage waits on the annotator for ("" once answered)

    def __init__(
        self,
        project: Project,
        workflow_factory: Callable[..., ProjectWorkflow],
        bar: StageBar,
        confirm: Callable[[str], bool],
    ) -> None:
        super().__init__()
        self.project, self.workflow_factory, self.bar = project, workflow_factory, bar
        self.confirm = confirm  # replaced in tests
        self.worker: Job | None = None
        self.flow: ProjectWorkflow | None = None
        self.last_failure: tuple[str, str] | None = None
        self.warning = ""  # what the last stage's end said about the model
        self._busy = False
        self._mark: int | None = None  # the edit mark the coming jobs' statuses belong to
        self._statuses: dict[int, ImageStatus] = {}

    @property
    def running(self) -> bool:
        """A stage's work is under way (from the click until its outcome is shown)."""
        return self._busy

    def _set_busy(self, on: bool) -> None:
        self._busy = on
        self.running_changed.emit(on)

    def _start(self, fn, on_done) -> None:
        job = Job(fn, "stage")
        job.progress.connect(self.bar.progress)
        job.finished_ok.connect(on_done)
        job.cancelled.connect(self._cancelled)
        job.failed.connect(self._failed)
        self._jobs = [j for j in getattr(self, "_jobs", []) if j.isRunning()] + [job]  # none freed while running
        self.worker = job
        self.bar.running(True)
        self._set_busy(True)
        job.start()

    def bootstrap(self, document: Document | None = None) -> None:
        self._watch(document)

        def run(progress, cancel):
            self.flow = self.workflow_factory(self.project, progress, cancel)
            return self._with_statuses(self.flow, lambda **kw: self.flow.bootstrap(**kw))

        self._start(run, self._proposed)

    def end_stage(self, document: Document, unit: str, stage: int) -> None:
        """The "End stage" button: the stage's counts from the status cache (images not seen
        yet are decoded on a job, never on the window's thread), the question when labels
        are missing, then ``advance``."""
        missing = [i for i in range(len(self.project.images)) if document.statuses.get(i) is None]
        mark = document.edit_mark

        def ask(found: dict | None = None) -> None:
            if found:
                document.put_statuses(found, mark)
                self.bar.stopped("")
                self._set_busy(False)
            done, total = stage_counts((document.status(i) for i in range(len(self.project.images))), unit)
            what = "proposed points" if unit == "points" else "mask pixels"
            if done < total and not self.confirm(
                f"{total - done} {what} of stage {stage} are still unlabeled. End the stage anyway?"
            ):
                return
            self.advance(done, total, document)

        if not missing:
            ask()
            return

        def count(progress, cancel):
            out = {}
            for k, i in enumerate(missing):
                if k % 16 == 0:
                    progress("counting the stage's labels", k, len(missing), {})
                labels, stages = document.labels_of(i)
                out[i] = image_status(labels, *document.proposal(i), stages)
            return out

        self._start(count, ask)

    def advance(self, labelled: int, proposed: int, document: Document | None = None) -> None:
        """End the current stage; ``labelled``/``proposed``: its points (for the warning)."""
        self.few_labels = proposed > 0 and labelled < FEW_LABELS * proposed
        self.counts = (labelled, proposed)
        self._watch(document)

        def run(progress, cancel):
            self.flow = self.workflow_factory(self.project, progress, cancel)
            finish = getattr(self.flow, "finish", None)
            if finish is None:  # a workflow that only advances (tests' stand-ins)
                return {"stage": None, "new_stage": self.flow.advance()}
            return finish()

        self._start(run, self._finished)

    # ---- the next stage's statuses, made where its proposals are ----------------------------
    def _watch(self, document: Document | None) -> None:
        """Statuses made by the coming jobs belong to labels saved up to now (every save is
        on disk: the window flushed before the click got here)."""
        self._mark = None if document is None else document.edit_mark
        self._statuses = {}

    def _with_statuses(self, flow, propose):
        """Run ``propose(on_proposal=...)``, turning each proposal as it is written into its
        image's status (with the labels the stage's end read, or read once here): the
        window's list is complete at once, with nothing decoded again."""
        if self._mark is None or not hasattr(flow, "labels_read"):
            return propose()
        labels, priors = flow.labels_read, getattr(flow, "priors_read", None) or {}
        if labels is None:
            snapshot = self.project.labels_snapshot()
            labels = {i: lab for i, (lab, _) in snapshot.items()}
            priors = {i: prior_pixels(lab, stg) for i, (lab, stg) in snapshot.items()}
        images = self.project.images

        def on_proposal(i: int, mask, points) -> None:
            lab = labels.get(i)
            if lab is None:
                lab = np.full((images[i].height, images[i].width), UNLABELED, np.uint8)
            self._statuses[i] = replace(image_status(lab, mask, points), prior_pixels=priors.get(i, 0))

        return propose(on_proposal=on_proposal)

    def take_statuses(self) -> tuple[dict[int, ImageStatus], int] | None:
        """The statuses the last jobs made of the new stage and the edit mark they belong to
        (once; None when there are none)."""
        found, mark = self._statuses, self._mark
        self._statuses, self._mark = {}, None
        return (found, mark) if found and mark is not None else None

    def _finished(self, result: dict) -> None:
        if result.get("new_stage") is not None:
            self._proposed(result["new_stage"])
            return
        s, before, after = result["stage"], result["before"], result["after"]
        self.warning = ""
        b, a = before.get("miou"), after.get("miou")
        if b is not None and a is not None and a < b:
            self.warning = (
                f"Stage {s}'s retraining lowered the mIoU from {100 * b:.1f} to {100 * a:.1f}. "
                "With few labels the model can get worse."
            )
        elif (b is None or a is None) and self.few_labels:
            done, total = self.counts
            self.warning = (
                f"Only {done} of the {total} proposed points of stage {s} were labelled; "
                "the retrained model may be worse than before."
            )
        if self.warning and self._ask_waiting(self.warning + "\n\nKeep the previous model for the next stage?"):
            keeping = self.flow
            assert keeping is not None  # the run that just finished made it

            def keep(progress, cancel):
                keeping.listen(progress, cancel)
                keeping.keep_previous_model(s)
                return self._with_statuses(keeping, keeping.propose_next)

            self.warning += " The previous model was kept."
            self._start(keep, self._proposed)
            return
        flow = self.flow
        assert flow is not None  # the run that just finished made it

        def propose(progress, cancel):
            flow.listen(progress, cancel)
            return self._with_statuses(flow, flow.propose_next)

        self._start(propose, self._proposed)

    def _ask_waiting(self, question: str) -> bool:
        """Ask, with the bar and the window's title saying that the stage waits on the answer
        (a dialog behind another window is easy to miss)."""
        self.bar.waiting("waiting for you: keep the previous model?")
        self.waiting.emit("waiting for your answer")
        try:
            return self.confirm(question)
        finally:
            self.bar.waiting("")
            self.waiting.emit("")

    def _proposed(self, stage: int) -> None:
        text = f"stage {stage}: new proposals are ready"
        self.bar.stopped(text + (f" — {self.warning}" if self.warning else ""))
        self._set_busy(False)
        self.done.emit(stage)

    def _cancelled(self) -> None:
        self.bar.stopped("cancelled; the project is as it was")
        self._set_busy(False)

    def _failed(self, message: str, details: str) -> None:
        self.bar.stopped("failed")
        self.bar.show_error(message)
        self.last_failure = (message, details)
        self._set_busy(False)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def stop(self, wait_ms: int = 5000) -> None:
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait(wait_ms)

    def close(self) -> None:
        """The window closes: a job still running (a step longer than ``stop`` waited) ends
        on its own, cancelled, and tells nobody."""
        for job in getattr(self, "_jobs", []):
            job.detach()
        self._jobs = []
