"""Saving off the caller's thread: the window hands each edit's full label state (and the
effort it cost) to a writer thread and goes on at once; the writer appends them to the
project's journal one at a time, in the order they were handed in.

A save that fails (disk full, file gone, opened read-only) is reported through
``on_failed`` and kept, with everything handed in after it, until ``retry`` (or ``flush``)
writes them, in order again: a later state of an image is never overwritten by an older
one.  While saves are held, a newer state of an image replaces the held one (effort is
added up), so memory stays bounded by the images touched, not by the strokes.  Until an
image's newest state is on disk, ``latest`` returns it: whoever reads labels back (opening
that image again, the point queue) sees the edits, not the file.

The queue between the caller and the thread is bounded: should the disk be slower than the
annotator for long, ``submit`` waits rather than letting memory grow.  No Qt here: the
window wires ``on_failed`` and ``on_saved`` to signals (they are called on the writer's
thread), and the tests drive it directly.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

QUEUE_SIZE = 16  # saves handed in but not yet attempted; more makes ``submit`` wait
# The writer lets the caller finish the event that handed it a save before it starts: the
# two threads would otherwise fight over the interpreter's lock while the annotator waits
# for the screen (measured: 1 ms of window work at a stroke's end became 7-13 ms).
START_DELAY_S = 0.05


class Store(Protocol):
    """What the writer needs of a project (``store.Project`` is one)."""

    def save_labels(
        self,
        i: int,
        labels: np.ndarray,
        stage: np.ndarray | int,
        effort: dict[str, float] | None = None,
        effort_stage: int | None = None,
    ) -> None: ...

    def add_effort(self, i: int, stage: int | None = None, **deltas: float) -> object: ...

    def set_unsure(self, stage: int, i: int, points: list[int]) -> None: ...


@dataclass(frozen=True)
class LabelSave:
    """Image ``image``'s full label state (``labels`` None: its effort alone).  The arrays
    must not change after they are handed in (the caller hands in copies)."""

    image: int
    labels: np.ndarray | None
    stage: np.ndarray | None
    effort: dict[str, float] | None = None
    effort_stage: int | None = None


@dataclass(frozen=True)
class UnsureSave:
    """Image ``image``'s unsure points of ``stage`` (the full set)."""

    stage: int
    image: int
    points: tuple[int, ...]


Save = LabelSave | UnsureSave
_RETRY, _STOP = object(), object()


def _add(a: dict[str, float] | None, b: dict[str, float] | None) -> dict[str, float] | None:
    if not a or not b:
        return a or b
    return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in a.keys() | b.keys()}


def _tell(callback: Callable[[Any], None], arg: object) -> None:
    """A listener's failure must not stop the writer: it is printed, the saves go on."""
    try:
        callback(arg)
    except Exception:  # noqa: BLE001
        traceback.print_exc()


class SaveQueue:
    def __init__(
        self,
        store: Store,
        on_failed: Callable[[str], None] = lambda message: None,
        on_saved: Callable[[int], None] = lambda image: None,
        size: int = QUEUE_SIZE,
        start_delay: float = START_DELAY_S,
    ) -> None:
        self.store, self.on_failed, self.on_saved = store, on_failed, on_saved
        self.start_delay = start_delay
        self._urgent = threading.Event()  # someone waits: no delay until the queue is empty
        self._queue: queue.Queue[tuple[int, object]] = queue.Queue(maxsize=size)
        self._cond = threading.Condition()
        self._handed = self._attempted = 0  # items put on the queue / taken off and dealt with
        self._unsaved: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}  # image -> (seq, labels, stage)
        self._held: list[tuple[int, Save]] = []  # failed saves and all after them, in order, with their seq
        self._seq = 0
        self.last_error = ""
        self._thread = threading.Thread(target=self._run, name="label-writer", daemon=True)
        self._thread.start()

    # ---- the caller's side --------------------------------------------------------------
    def submit(self, item: Save) -> None:
        """Hand in one save; returns at once unless the queue is full."""
        with self._cond:
            if not self._thread.is_alive():
                raise RuntimeError("the label writer is closed; nothing can be saved through it")
            self._seq += 1
            seq = self._seq
            if isinstance(item, LabelSave) and item.labels is not None:
                assert item.stage is not None  # a label state always comes with its stages
                self._unsaved[item.image] = (seq, item.labels, item.stage)
            self._handed += 1
        self._queue.put((seq, item))

    def latest(self, i: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Image ``i``'s newest labels and stages not yet on disk (None: the disk has them)."""
        with self._cond:
            entry = self._unsaved.get(i)
            return None if entry is None else (entry[1].copy(), entry[2].copy())

    def unsaved_images(self) -> set[int]:
        """Images whose newest labels are not on disk yet (queued, being written or held)."""
        with self._cond:
            return set(self._unsaved)

    @property
    def failed(self) -> int:
        """How many saves are held after a failure."""
        with self._cond:
            return len(self._held)

    def retry(self) -> None:
        """Write the held saves again (in order), behind whatever is queued."""
        with self._cond:
            if not self._held or not self._thread.is_alive():
                return
            self._handed += 1
        self._queue.put((0, _RETRY))

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until everything handed in so far was attempted; False on timeout."""
        with self._cond:
            if self._attempted >= self._handed:
                return True
            self._urgent.set()
            return self._cond.wait_for(lambda: self._attempted >= self._handed, timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Retry what failed and wait for everything handed in: True when all of it is on disk."""
        self.retry()
        return self.wait(timeout) and not self.failed

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, then stop the thread; True when nothing is left unsaved."""
        if self._thread.is_alive():
            with self._cond:
                self._handed += 1
            self._urgent.set()
            self._queue.put((0, _STOP))
            self._thread.join(timeout)
        return not self._unsaved and not self._held

    # ---- the writer's thread ------------------------------------------------------------
    def _run(self) -> None:
        while True:
            seq, item = self._queue.get()
            if self.start_delay and self._queue.empty():  # the first of a burst: the caller goes first
                self._urgent.wait(self.start_delay)
            try:
                if item is _STOP:
                    self._write_held()
                    return
                if item is _RETRY:
                    self._write_held()
                elif isinstance(item, (LabelSave, UnsureSave)):
                    if self._held:
                        self._hold(seq, item)  # keeps the order: nothing passes a failed save
                    else:
                        self._write(seq, item)
            finally:
                with self._cond:
                    self._attempted += 1
                    if self._attempted >= self._handed:
                        self._urgent.clear()
                    self._cond.notify_all()

    def _write(self, seq: int, item: Save) -> bool:
        try:
            if isinstance(item, UnsureSave):
                self.store.set_unsure(item.stage, item.image, list(item.points))
            elif item.labels is None:
                self.store.add_effort(item.image, item.effort_stage, **(item.effort or {}))
            else:
                self.store.save_labels(item.image, item.labels, item.stage, item.effort, item.effort_stage)  # type: ignore[arg-type]
        except Exception as e:  # noqa: BLE001 - any failure is held and reported, never dropped
            self.last_error = str(e) or type(e).__name__
            self._hold(seq, item)
            _tell(self.on_failed, self.last_error)
            return False
        with self._cond:
            entry = self._unsaved.get(item.image)
            if entry is not None and entry[0] == seq:  # a newer state may be on its way already
                del self._unsaved[item.image]
        _tell(self.on_saved, item.image)
        return True

    def _hold(self, seq: int, item: Save) -> None:
        """Keep ``item`` after the held ones.  A held save of the same image (and stage) is
        replaced by a newer state, which takes its effort along; effort alone joins the held
        save where it stands."""
        with self._cond:
            for k in range(len(self._held) - 1, -1, -1):
                old_seq, old = self._held[k]
                if isinstance(item, UnsureSave) and isinstance(old, UnsureSave):
                    if (old.stage, old.image) == (item.stage, item.image):
                        del self._held[k]
                        break
                elif isinstance(item, LabelSave) and isinstance(old, LabelSave):
                    if old.image == item.image and old.effort_stage == item.effort_stage:
                        if item.labels is None:
                            self._held[k] = (old_seq, replace(old, effort=_add(old.effort, item.effort)))
                            return
                        del self._held[k]
                        item = replace(item, effort=_add(old.effort, item.effort))
                        break
            self._held.append((seq, item))

    def _write_held(self) -> None:
        with self._cond:
            held, self._held = self._held, []
        for k, (seq, item) in enumerate(held):
            if not self._write(seq, item):
                with self._cond:  # the failed one was held again; the rest stay behind it
                    self._held.extend(held[k + 1 :])
                return
