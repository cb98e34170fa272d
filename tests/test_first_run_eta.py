"""The first run's overall ETA (gui/projects/first_run_eta.py) on a fake clock: the
current job from its measured rate, never under the job's own ETA, later steps at the
measured speed of this machine."""

import pytest

from labor_desktop.gui.projects.first_run_eta import REFERENCE_S, STEP_WEIGHTS, FirstRunEta

REF = (8.0, 16.0, 32.0, 4.0, 4.0)  # reference seconds per step; every figure below is exact


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def eta_at(clock: Clock) -> FirstRunEta:
    return FirstRunEta(REF, clock)


def test_nothing_is_promised_before_anything_was_measured():
    clock = Clock()
    eta = eta_at(clock)
    assert eta.remaining() is None and eta.speed() is None and eta.job_rate() is None
    assert eta.text() == "not measured yet: the estimate follows once the first step has made progress"
    eta.update(0, "demo data: source", 0, 4)  # seen, nothing done
    assert eta.remaining() is None


def test_the_first_step_scales_every_reference_by_its_own_speed():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 4.0
    eta.update(0, "demo data: source", 1, 4)  # a quarter of 8 s took 4 s: speed 2
    assert eta.speed() == 2.0
    assert eta.job_rate() is None  # first seen at 1: no rate yet
    assert eta.current_remaining() == 12.0  # 2 x 8 x 3/4
    assert eta.remaining() == 12.0 + 2.0 * 56.0
    clock.t = 6.0
    eta.update(0, "demo data: source", 3, 4)  # two more in 2 s: 1 a second
    assert eta.job_rate() == 1.0
    assert eta.speed() == 1.0  # 6 s for 3/4 of 8 s
    assert eta.remaining() == 1.0 + 56.0


def test_later_steps_use_the_speed_of_the_finished_ones_and_the_job_its_rate():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 16.0
    eta.update(1, "pre-train on source", 1, 4)  # step 0 (8 s reference) took 16 s
    assert eta.speed() == 2.0
    assert eta.remaining() == 2.0 * 16.0 * 0.75 + 2.0 * 40.0
    clock.t = 20.0
    eta.update(1, "pre-train on source", 3, 4)
    assert eta.job_rate() == 0.5
    assert eta.remaining() == 2.0 + 80.0
    assert (
        eta.text()
        == "measured on this machine: pre-train on source 0.50 steps/s, 2.00× the reference time; estimate ±30 %"
    )


@pytest.mark.parametrize("job_eta, current", [(None, 2.0), (1.0, 2.0), (2.0, 2.0), (3.0, 3.0)])
def test_never_shorter_than_the_current_jobs_own_eta(job_eta, current):
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 16.0
    eta.update(1, "pre-train on source", 1, 4)
    clock.t = 20.0
    eta.update(1, "pre-train on source", 3, 4, job_eta)
    assert eta.current_remaining() == current
    assert eta.remaining() == current + 80.0


def test_a_job_eta_alone_is_taken_before_a_rate_exists():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 16.0
    eta.update(1, "pre-train on source", 1, 4, 7.0)
    assert eta.current_remaining() == 7.0


def test_a_new_job_in_the_same_step_restarts_the_rate():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 56.0
    eta.update(4, "pixel selector", 2, 2)  # steps 0-3 (60 s reference) took 56 s
    clock.t = 58.0
    eta.update(4, "proposals (ppl)", 1, 4)
    assert eta.job_rate() is None
    assert eta.speed() == 56.0 / 60.0
    assert eta.remaining() == eta.current_remaining() == (56.0 / 60.0) * 4.0 * 0.75  # the last step: nothing after
    clock.t = 60.0
    eta.update(4, "proposals (ppl)", 3, 4)
    assert eta.remaining() == 1.0


def test_the_reference_is_the_measured_one_thread_run_split_by_the_step_weights():
    assert sum(STEP_WEIGHTS) == pytest.approx(1.0)
    assert REFERENCE_S == tuple(170.0 * w for w in STEP_WEIGHTS)
