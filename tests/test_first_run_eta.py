"""The first run's overall ETA (gui/projects/first_run_eta.py) on a fake clock: one speed
(time so far over the reference time of the work done), every unfinished piece at that
speed, the current job's own rate taking over as it progresses; exact figures throughout."""

import pytest

from labor_desktop.gui.projects.first_run_eta import (
    JOB_SHARES,
    REFERENCE_S,
    REFERENCE_TOTAL_S,
    STEP_WEIGHTS,
    TRUST_RATE_AFTER,
    WINDOW_S,
    FirstRunEta,
    job_share,
)

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
    clock.t = 1.0
    eta.update(0, "demo data: source", 0, 4)  # seen, nothing done
    assert eta.remaining() is None


def test_a_job_eta_is_used_only_while_nothing_was_measured():
    clock = Clock()
    eta = eta_at(clock)
    eta.update(1, "pre-train on source", 0, 4, 7.0)  # no time has passed: no speed
    assert eta.speed() is None and eta.current_remaining() == 7.0 and eta.remaining() is None


def test_job_shares_of_a_step():
    assert job_share(0, "demo data: source") == (0.0, 0.59, pytest.approx(0.41))
    assert job_share(0, "demo data: target train") == (0.59, 0.21, pytest.approx(0.20))
    assert job_share(0, "demo data: target val") == (pytest.approx(0.80), 0.20, pytest.approx(0.0))
    assert job_share(4, "pixel selector") == (0.0, 0.60, pytest.approx(0.40))
    assert job_share(4, "proposals (ppl)") == (0.60, 0.40, 0.0)
    assert job_share(1, "pre-train on source") == (0.0, 1.0, 0.0)  # a step of one job
    assert job_share(4, "something new") == (0.0, 1.0, 0.0)  # an unlisted job is its whole step
    for shares in JOB_SHARES.values():
        assert sum(s for _, s in shares) == pytest.approx(1.0)


def test_the_first_job_scales_every_reference_by_its_own_speed():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 2.36
    eta.update(0, "demo data: source", 1, 2)  # half of 0.59 x 8 = 2.36 s of reference in 2.36 s
    assert eta.speed() == pytest.approx(1.0)
    assert eta.job_rate() is None  # first seen at 1: no rate yet
    assert eta.current_remaining() == pytest.approx(2.36)  # its other half at speed 1
    assert eta.remaining() == pytest.approx(2.36 + 0.41 * 8 + 56.0)  # then the step's other jobs, the later steps


def test_later_steps_use_the_speed_of_the_work_done():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 16.0
    eta.update(1, "pre-train on source", 0, 4)  # step 0 (8 s reference) took 16 s
    assert eta.speed() == 2.0
    assert eta.remaining() == 2.0 * 16.0 + 2.0 * 40.0
    clock.t = 32.0
    eta.update(1, "pre-train on source", 2, 4)  # 8 more reference seconds in 16 s: still 2.0
    assert eta.speed() == 2.0 and eta.job_rate() == 2 / 16
    assert eta.remaining() == 16.0 + 80.0  # rate and reference agree: 2 units at 1/8 per s
    assert (
        eta.text()
        == "measured on this machine: pre-train on source 0.12 steps/s, 2.00× the reference time; estimate ±30 % while its load stays as it is"
    )


def test_the_jobs_own_rate_takes_over_by_a_fifth_of_the_job():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 8.0
    eta.update(1, "pre-train on source", 0, 100)  # speed 1.0 from step 0
    clock.t = 9.0
    eta.update(1, "pre-train on source", 10, 100)  # half of a fifth, at 10 units per s: the job got faster
    speed = 9.0 / (8.0 + 16.0 * 0.1)
    by_reference = speed * 16.0 * 0.9
    assert eta.current_remaining() == pytest.approx(0.5 * 90 / 10 + 0.5 * by_reference)
    clock.t = 10.0
    eta.update(1, "pre-train on source", 20, 100)  # exactly a fifth: the rate alone
    assert TRUST_RATE_AFTER == 0.2
    assert eta.current_remaining() == pytest.approx(80 / 10)
    clock.t = 11.0
    eta.update(1, "pre-train on source", 30, 100)
    assert eta.current_remaining() == pytest.approx(70 / 10)


def test_a_slow_first_unit_does_not_inflate_the_estimate():
    """The job's own ETA after its first unit carries its start-up: it is not a floor."""
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 60.0
    eta.update(4, "pixel selector", 20, 20)  # 4 steps + the selector: 60 + 0.6 x 4 = 62.4 s of reference in 60 s
    clock.t = 62.0
    eta.update(4, "proposals (ppl)", 1, 60, job_eta=425.0)
    speed = 62.0 / (60.0 + 4.0 * (0.6 + 0.4 / 60))
    assert eta.speed() == pytest.approx(speed)
    assert eta.current_remaining() == pytest.approx(speed * 4.0 * 0.4 * 59 / 60)
    assert eta.remaining() == eta.current_remaining()  # the last job of the last step


def test_a_new_job_in_the_same_step_restarts_the_rate():
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 10.0
    eta.update(0, "demo data: source", 5, 5)
    clock.t = 11.0
    eta.update(0, "demo data: target train", 1, 4)
    assert eta.job_rate() is None
    clock.t = 12.0
    eta.update(0, "demo data: target train", 3, 4)
    assert eta.job_rate() == 2.0


def test_the_reference_is_the_measured_idle_run_split_by_the_step_weights():
    assert sum(STEP_WEIGHTS) == pytest.approx(1.0)
    assert REFERENCE_S == tuple(REFERENCE_TOTAL_S * w for w in STEP_WEIGHTS)


def test_later_steps_follow_the_speed_of_the_last_two_minutes():
    """A machine that got busy mid-run: the later steps are put at the speed of the last
    WINDOW_S seconds of work, not at the whole run's average."""
    assert WINDOW_S == 120.0
    clock = Clock()
    eta = eta_at(clock)
    clock.t = 8.0
    eta.update(1, "pre-train on source", 0, 100)  # step 0: 8 reference seconds in 8 s
    clock.t = 16.0
    eta.update(1, "pre-train on source", 50, 100)  # half of 16 s in 8 s: speed 1
    assert eta.recent_speed() == eta.speed() == 1.0  # nothing is two minutes old yet
    clock.t = 216.0
    eta.update(1, "pre-train on source", 60, 100)  # 1.6 reference seconds in 200 s
    assert eta.speed() == pytest.approx(216.0 / 17.6)
    assert eta.recent_speed() == pytest.approx(200.0 / 1.6)  # since the update at 16 s
    rate = 60 / 208.0
    assert eta.remaining() == pytest.approx(40 / rate + (200.0 / 1.6) * 40.0)
