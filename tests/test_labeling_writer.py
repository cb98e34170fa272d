"""The writer thread that saves edits off the window's thread (``labeling.SaveQueue``),
without Qt: order kept, a failure reported and nothing lost, close flushes, the bounded
queue, and a SIGKILL in the middle of labelling loses at most the stroke in progress."""

import os
import random
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from labor_desktop.labeling import UNLABELED, LabelSave, SaveQueue, UnsureSave
from labor_desktop.store import ImageEntry, Project, ProjectSettings, SaveError

pytestmark = pytest.mark.timeout(120)
H, W = 16, 24


class Recorder:
    """A store that records every save in the order it arrives; ``fail`` makes saves fail."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.fail = False
        self.gate = threading.Event()
        self.gate.set()

    def save_labels(self, i, labels, stage, effort=None, effort_stage=None):
        self.gate.wait()
        if self.fail:
            raise SaveError("x.labor.h5.journal: could not save (the disk is full)")
        self.calls.append(("labels", i, int(labels[0, 0]), effort, effort_stage))

    def add_effort(self, i, stage=None, **deltas):
        if self.fail:
            raise SaveError("x.labor.h5.journal: could not save (the disk is full)")
        self.calls.append(("effort", i, deltas, stage))

    def set_unsure(self, stage, i, points):
        if self.fail:
            raise SaveError("x.labor.h5.journal: could not save (the disk is full)")
        self.calls.append(("unsure", i, points, stage))


def state(value: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((H, W), value, np.uint8), np.full((H, W), 1, np.uint8)


def save(i: int, value: int, effort=None) -> LabelSave:
    return LabelSave(i, *state(value), effort=effort, effort_stage=1 if effort else None)


def test_saves_reach_the_store_in_the_order_handed_in():
    store, saved = Recorder(), []
    w = SaveQueue(store, on_saved=saved.append)
    items = [save(k % 3, k) for k in range(40)] + [
        UnsureSave(1, 2, (0, 3)),
        LabelSave(0, None, None, {"clicks": 1.0}, 1),
    ]
    for item in items:
        w.submit(item)
    assert w.flush(timeout=10) and w.failed == 0 and not w.unsaved_images()
    assert [c[2] for c in store.calls[:40]] == list(range(40))
    assert [c[1] for c in store.calls[:40]] == [k % 3 for k in range(40)]
    assert store.calls[40] == ("unsure", 2, [0, 3], 1) and store.calls[41] == ("effort", 0, {"clicks": 1.0}, 1)
    assert saved == [k % 3 for k in range(40)] + [2, 0]  # each acknowledged after its write
    assert w.close(timeout=10)


def test_the_newest_state_is_readable_until_it_is_on_disk():
    store = Recorder()
    store.gate.clear()  # the disk hangs
    w = SaveQueue(store)
    w.submit(save(4, 7))
    w.submit(save(4, 9))
    labels, stage = w.latest(4)
    assert (labels == 9).all() and (stage == 1).all() and w.latest(5) is None
    assert not w.wait(timeout=0.05)  # still writing
    store.gate.set()
    assert w.flush(timeout=10) and w.latest(4) is None and [c[2] for c in store.calls] == [7, 9]
    w.close(timeout=10)


def test_a_failure_is_reported_and_nothing_is_lost_or_reordered():
    store, failures = Recorder(), []
    w = SaveQueue(store, on_failed=failures.append)
    store.fail = True
    w.submit(save(0, 1, {"clicks": 1.0}))
    w.submit(save(1, 2))
    w.submit(save(0, 3, {"clicks": 1.0, "brush_strokes": 1.0}))  # replaces image 0's held state
    w.submit(LabelSave(1, None, None, {"clicks": 2.0}, None))  # effort alone joins image 1's
    w.submit(UnsureSave(1, 0, (1,)))
    w.submit(UnsureSave(1, 0, (1, 2)))
    assert not w.flush(timeout=10)
    assert failures and "disk is full" in failures[0] and "disk is full" in w.last_error
    assert store.calls == [] and w.failed == 3 and w.unsaved_images() == {0, 1}
    assert (w.latest(0)[0] == 3).all() and (w.latest(1)[0] == 2).all()
    w.submit(save(2, 5))  # while failing, later saves wait behind the held ones
    assert w.wait(timeout=10) and store.calls == []
    store.fail = False
    assert w.flush(timeout=10) and w.failed == 0 and not w.unsaved_images()
    assert store.calls == [
        ("labels", 1, 2, {"clicks": 2.0}, None),
        ("labels", 0, 3, {"clicks": 2.0, "brush_strokes": 1.0}, 1),
        ("unsure", 0, [1, 2], 1),
        ("labels", 2, 5, None, None),
    ]
    w.close(timeout=10)


def test_close_writes_everything_queued(tmp_path):
    path = tmp_path / "w.labor.h5"
    settings = ProjectSettings(classes=[str(k) for k in range(19)])
    project = Project.create(path, settings, [ImageEntry(f"i{k}.png", H, W) for k in range(3)])
    w = SaveQueue(project)
    for k in range(30):
        w.submit(save(k % 3, k % 19, {"clicks": 1.0}))
    assert w.close(timeout=30)  # no flush first: close writes what is queued
    project.close()
    with Project.open(path) as p:
        assert [int(p.labels(i)[0][0, 0]) for i in range(3)] == [27 % 19, 28 % 19, 29 % 19]
        assert sum(p.effort(i).clicks for i in range(3)) == 30 and p.stage_effort(1).clicks == 30
    with pytest.raises(RuntimeError, match="closed"):
        w.submit(save(0, 1))


def test_the_queue_is_bounded():
    store = Recorder()
    store.gate.clear()
    w = SaveQueue(store, size=4)
    handed: list[int] = []

    def annotator():
        for k in range(10):
            w.submit(save(0, k))
            handed.append(k)

    t = threading.Thread(target=annotator, daemon=True)
    t.start()
    # The event: the sixth submit has begun (counted before its put) while one save is held at
    # the gate and four fill the queue. Its put cannot finish until the gate opens, so no sleep
    # is needed to see that it waits.
    while not (w._handed == 6 and w._queue.full()):
        time.sleep(0.01)  # polling for the event above
    assert handed == [0, 1, 2, 3, 4] and t.is_alive()  # one being written, four queued, the sixth waits
    store.gate.set()
    t.join(timeout=10)
    assert w.flush(timeout=10) and [c[2] for c in store.calls] == list(range(10))
    w.close(timeout=10)


CHILD = r"""
import sys, time
import numpy as np
from labor_desktop.labeling import LabelEditor, LabelSave, SaveQueue
from labor_desktop.store import Project
sys.path.insert(0, sys.argv[2])
from test_labeling_writer import stroke
p = Project.open(sys.argv[1])
ed = LabelEditor(np.full((64, 96), 255, np.uint8), np.zeros((64, 96), np.uint8), 1)
w = SaveQueue(p, on_saved=lambda i: print("saved", flush=True))
for k in range(10_000):
    stroke(ed, k)
    w.submit(LabelSave(0, ed.labels.copy(), ed.stage.copy()))
    print("ended", k, flush=True)
    time.sleep(0.15)  # a person's pace: a stroke takes longer than a save
"""


def stroke(ed, k: int) -> None:
    """Stroke ``k``: a short drag at a place and with a class that follow from ``k``."""
    rng = np.random.default_rng(k)
    ed.active_class = k % 19
    ed.begin_stroke()
    y, x = int(rng.integers(0, 64)), int(rng.integers(0, 96))
    for step in range(4):
        ed.stroke_to(y, x + 3 * step, 3)
    ed.end_stroke()


@pytest.mark.heavy
@pytest.mark.timeout(600)  # a hang guard only: three child processes start under whatever load
def test_sigkill_while_labelling_loses_at_most_the_stroke_in_progress(tmp_path):
    from labor_desktop.labeling import LabelEditor

    path = tmp_path / "kill.labor.h5"
    settings = ProjectSettings(classes=[str(k) for k in range(19)])
    Project.create(path, settings, [ImageEntry("i.png", 64, 96)]).close()
    ed = LabelEditor(np.full((64, 96), UNLABELED, np.uint8), np.zeros((64, 96), np.uint8), 1)
    states = [ed.labels.copy()]  # states[j]: the labels after j strokes
    rnd = random.Random(3)
    for kill in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), os.path.dirname(__file__)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda lines=lines, child=child: lines.extend(iter(child.stdout.readline, "")), daemon=True
        )
        reader.start()
        # The event: three acknowledged saves, or the child's end (a failure); no deadline of
        # its own (a loaded machine only makes it slower; the module's timeout guards a hang).
        while sum(line.startswith("saved") for line in lines) < 3:
            assert child.poll() is None, child.stderr.read()
            time.sleep(0.01)  # polling for the event above
        time.sleep(rnd.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join(timeout=5)
        saved = sum(line.startswith("saved") for line in lines)
        ended = sum(line.startswith("ended") for line in lines)
        assert saved >= 3
        while len(states) <= ended + 1:
            stroke(ed, len(states) - 1)
            states.append(ed.labels.copy())
        with Project.open(path) as p:  # opens (lock released, journal intact)
            found = p.labels(0)[0]
        held = [j for j in range(len(states)) if np.array_equal(states[j], found)]
        assert held, f"kill {kill}: the stored labels are no state the strokes made"
        # Every acknowledged stroke is there; of the strokes ended, at most the last is not.
        assert max(held) >= saved and max(held) >= ended - 1, (held, saved, ended)
        # The next child starts again from no labels: clear them for it.
        with Project.open(path) as p:
            p.save_labels(0, states[0], 0)
