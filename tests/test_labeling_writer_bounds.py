"""The SaveQueue at the edges a mutant of it survived (issue 21): a newer state stays readable
while an older one is written, no save passes a held one (not even when the disk is back
before the retry, nor when only the held image fails again), and held effort is never booked
to another stage."""

import threading

import numpy as np
import pytest

from labor_desktop.labeling import LabelSave, SaveQueue
from labor_desktop.store import SaveError

pytestmark = pytest.mark.timeout(120)
H, W = 8, 12


class Store:
    """Records each save; saves of ``failing`` images fail; ``permits`` (when set) lets each
    label save through one at a time, and ``entered`` counts the label saves begun."""

    def __init__(self, permits: threading.Semaphore | None = None) -> None:
        self.calls: list[tuple] = []
        self.failing: set[int] = set()
        self.permits = permits
        self.entered = threading.Semaphore(0)

    def _maybe_fail(self, i):
        if i in self.failing:
            raise SaveError("x.labor.h5.journal: could not save (the disk is full)")

    def save_labels(self, i, labels, stage, effort=None, effort_stage=None):
        self.entered.release()
        if self.permits is not None:
            assert self.permits.acquire(timeout=60)
        self._maybe_fail(i)
        self.calls.append(("labels", i, int(labels[0, 0]), effort, effort_stage))

    def add_effort(self, i, stage=None, **deltas):
        self._maybe_fail(i)
        self.calls.append(("effort", i, deltas, stage))

    def set_unsure(self, stage, i, points):
        self._maybe_fail(i)
        self.calls.append(("unsure", i, points, stage))


def save(i, value, effort=None, effort_stage=None):
    return LabelSave(i, np.full((H, W), value, np.uint8), np.ones((H, W), np.uint8), effort, effort_stage)


def test_a_newer_state_stays_readable_while_the_older_one_is_written():
    permits = threading.Semaphore(0)
    store, saved = Store(permits), threading.Semaphore(0)
    w = SaveQueue(store, on_saved=lambda image: saved.release(), start_delay=0)
    w.submit(save(4, 7))
    assert store.entered.acquire(timeout=60)  # 7 is being written
    w.submit(save(4, 9))
    permits.release()  # 7 reaches the disk ...
    assert saved.acquire(timeout=60)
    assert store.entered.acquire(timeout=60)  # ... and 9 is being written
    labels, _ = w.latest(4)
    assert (labels == 9).all() and w.unsaved_images() == {4}
    permits.release()
    assert w.flush(timeout=60) and w.latest(4) is None
    assert [c[2] for c in store.calls] == [7, 9]
    assert w.close(timeout=60)


def test_nothing_passes_a_held_save_even_when_the_disk_is_back_before_the_retry():
    store = Store()
    w = SaveQueue(store, start_delay=0)
    store.failing = {0, 1}
    w.submit(save(0, 1))
    assert w.wait(timeout=60) and w.failed == 1
    store.failing = set()  # the disk is back, but nobody asked for a retry yet
    w.submit(save(2, 5))
    assert w.wait(timeout=60) and store.calls == [] and w.failed == 2
    assert w.flush(timeout=60) and [c[1:3] for c in store.calls] == [(0, 1), (2, 5)]
    assert w.close(timeout=60)


def test_a_retry_that_fails_again_keeps_every_save_behind_it():
    store = Store()
    w = SaveQueue(store, start_delay=0)
    store.failing = {0}  # only image 0's saves fail
    w.submit(save(0, 1))
    w.submit(save(1, 2))
    w.submit(save(3, 4))
    assert w.wait(timeout=60) and w.failed == 3
    assert not w.flush(timeout=60)  # image 0 fails again: 1 and 3 must stay behind it, held
    assert store.calls == [] and w.failed == 3 and w.unsaved_images() == {0, 1, 3}
    store.failing = set()
    assert w.flush(timeout=60) and w.failed == 0
    assert [c[1:3] for c in store.calls] == [(0, 1), (1, 2), (3, 4)]
    assert w.close(timeout=60)


def test_held_effort_is_never_booked_to_another_stage():
    store = Store()
    w = SaveQueue(store, start_delay=0)
    store.failing = {0}
    w.submit(save(0, 1, {"clicks": 1.0}, 1))
    w.submit(save(0, 2, {"clicks": 2.0}, 2))  # a newer state, its effort to stage 2: not merged
    w.submit(LabelSave(0, None, None, {"clicks": 4.0}, 1))  # effort alone of stage 1: joins stage 1's
    w.submit(LabelSave(0, None, None, {"clicks": 8.0}, 2))  # ... and of stage 2: joins stage 2's
    assert w.wait(timeout=60) and w.failed == 2
    store.failing = set()
    assert w.flush(timeout=60)
    assert store.calls == [
        ("labels", 0, 1, {"clicks": 5.0}, 1),
        ("labels", 0, 2, {"clicks": 10.0}, 2),
    ]
    assert w.close(timeout=60)


def test_held_effort_of_other_kinds_is_summed_kind_by_kind():
    store = Store()
    w = SaveQueue(store, start_delay=0)
    store.failing.add(1)
    w.submit(save(1, 5, effort={"clicks": 1.0}, effort_stage=0))
    w.submit(LabelSave(1, None, None, {"seconds": 2.0}, 0))  # effort alone joins the held save
    w.submit(LabelSave(1, None, None, {"clicks": 2.0}, 0))
    assert w.wait(60) and w.failed == 1
    store.failing.clear()
    assert w.flush(60)
    assert store.calls == [("labels", 1, 5, {"clicks": 3.0, "seconds": 2.0}, 0)]
    w.close(60)


def test_nothing_handed_in_is_everything_attempted():
    w = SaveQueue(Store(), start_delay=0)
    assert w.wait(0) and w.flush(0)
    w.submit(save(2, 1))
    assert w.flush(60) and w.wait(0)
    w.close(60)


def in_thread(call):
    """Run ``call`` in a thread; (finished within 30 s, its result).  The calls tested answer
    at once; 30 s is a hang guard, shorter than Store's own 60 s wait for a permit, so a
    flush that waits for the blocked save cannot pass by that wait's expiry."""
    out: list = []
    t = threading.Thread(target=lambda: out.append(call()), daemon=True)
    t.start()
    t.join(30)
    return (not t.is_alive()), (out[0] if out else None)


def test_flush_gives_up_at_its_timeout_while_a_save_is_still_being_written():
    permits = threading.Semaphore(0)
    store = Store(permits)
    w = SaveQueue(store, start_delay=0)
    w.submit(save(3, 4))
    assert store.entered.acquire(timeout=60)  # the writer is inside save_labels, held there
    assert in_thread(lambda: w.flush(0.01)) == (True, False)
    permits.release()
    assert w.flush(60) and store.calls == [("labels", 3, 4, None, None)]
    w.close(60)


def test_flush_after_close_with_held_saves_answers_at_once():
    store = Store()
    w = SaveQueue(store, start_delay=0)
    store.failing.add(6)
    w.submit(save(6, 2))
    assert not w.close(60) and w.failed == 1  # the writer stopped; the save is still held
    assert in_thread(w.flush) == (True, False)  # nobody is left to retry: no wait for it


class SpyEvent(threading.Event):
    """The writer's "someone waits" event, recording each wait's timeout and never waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return super().wait(0)


def test_the_first_save_of_a_burst_lets_the_caller_go_first_for_start_delay():
    store, saved = Store(), threading.Semaphore(0)
    w = SaveQueue(store, on_saved=lambda image: saved.release(), start_delay=7.5)
    w._urgent = spy = SpyEvent()  # the writer's thread is blocked on the empty queue until submit
    w.submit(save(1, 3))
    assert saved.acquire(timeout=60)
    assert spy.waits == [7.5]
    assert w.close()


def test_a_fresh_writer_reports_no_error_and_its_thread_is_named_and_never_blocks_exit():
    w = SaveQueue(Store(), start_delay=0)
    assert w.last_error == ""
    names = [t.name for t in threading.enumerate() if t is w._thread]
    assert names == ["label-writer"]  # a thread dump of a hung window names it
    assert w._thread.daemon is True
    assert w.close()


def test_a_program_that_never_closes_its_writer_still_exits(tmp_path):
    # A forgotten close() must not keep the process alive (the writer thread idles on its queue).
    import subprocess
    import sys

    code = (
        "from labor_desktop.labeling import SaveQueue\n"
        "class S:\n"
        "    def save_labels(self, *a, **k): pass\n"
        "w = SaveQueue(S(), start_delay=0)\n"
        "print('started', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "started\n"


def test_a_closed_writer_refuses_saves_with_one_message():
    w = SaveQueue(Store(), start_delay=0)
    assert w.close(timeout=60)
    with pytest.raises(RuntimeError) as e:
        w.submit(save(0, 1))
    assert str(e.value) == "the label writer is closed; nothing can be saved through it"


def test_close_gives_up_at_its_timeout_and_says_what_is_left():
    permits = threading.Semaphore(0)
    store = Store(permits)
    w = SaveQueue(store, start_delay=0)
    w.submit(save(3, 1))
    assert store.entered.acquire(timeout=60)  # being written, and blocked
    assert w.close(timeout=0.2) is False  # returns: the image is still unsaved
    assert w.unsaved_images() == {3}
    permits.release()
    w._thread.join(60)
    assert w.unsaved_images() == set()


def test_a_held_save_alone_makes_close_report_something_left():
    store = Store()
    store.failing = {0}
    w = SaveQueue(store, start_delay=0)
    w.submit(LabelSave(0, None, None, {"clicks": 1}, 1))  # effort alone: held, but no labels unsaved
    assert w.wait(timeout=60) and w.failed == 1 and w.unsaved_images() == set()
    assert w.close(timeout=60) is False


def test_a_failure_without_a_message_is_named_by_its_type():
    class Silent(Store):
        def save_labels(self, i, labels, stage, effort=None, effort_stage=None):
            raise OSError()

    told = []
    w = SaveQueue(Silent(), on_failed=told.append, start_delay=0)
    w.submit(save(0, 1))
    assert w.wait(timeout=60)
    assert told == ["OSError"] and w.last_error == "OSError"
    w.close(timeout=0)
