"""The first run's overall ETA, from what this machine has shown so far (Qt-free, so the
benchmark computes the same figure the setup window shows).

The old ETA divided the time so far by a fixed share of the work done; beside other jobs
the steps slow down unequally and it went 2:37 -> 27:58 -> 5:53 (issue 22).  Here the
current job's remaining time comes from its own measured rate (never less than the job's
own ETA), and each later step's reference time is scaled by the speed measured on this
machine: the time the finished work took over its reference time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Share of the first run each step takes (demo data, pre-train, warm-up, evaluate, propose):
# bench/demo_first_run.py on one thread (README); propose includes the pixel selector.
STEP_WEIGHTS = (0.08, 0.49, 0.20, 0.05, 0.18)
# The reference machine's first run: 170 s of CPU on one thread (README), split by the weights.
REFERENCE_S = tuple(170.0 * w for w in STEP_WEIGHTS)
UNCERTAINTY = 0.30  # what the text promises: bench/demo_first_run.py measures the real error


class FirstRunEta:
    """Feed it every progress event (``update``); ask it the overall remaining seconds."""

    def __init__(self, reference_s: tuple[float, ...] = REFERENCE_S, clock: Callable[[], float] = time.monotonic):
        self.reference, self.clock = reference_s, clock
        self.started = clock()
        self.step, self.step_started = 0, self.started
        self.job: str | None = None
        self.job_started, self.job_first, self.done, self.total = self.started, 0, 0, 1
        self.job_eta: float | None = None
        self.now = self.started

    def update(self, step: int, job: str, done: int, total: int, job_eta: float | None = None) -> None:
        self.now = self.clock()
        if step != self.step:
            self.step, self.step_started = step, self.now
        if job != self.job:
            self.job, self.job_started, self.job_first = job, self.now, done
        self.done, self.total, self.job_eta = done, max(total, 1), job_eta

    def job_rate(self) -> float | None:
        """The current job's measured units per second (None before it has finished one
        more unit than when it was first seen)."""
        t = self.now - self.job_started
        return (self.done - self.job_first) / t if self.done > self.job_first and t > 0 else None

    def speed(self) -> float | None:
        """Measured time over reference time for the work done so far (2.0: this machine, now,
        takes twice the reference); the finished steps once there are any, else the current
        step's measured part."""
        if self.step > 0:
            return (self.step_started - self.started) / sum(self.reference[: self.step])
        fraction = self.done / self.total
        t = self.now - self.started
        return t / (self.reference[0] * fraction) if fraction > 0 and t > 0 else None

    def current_remaining(self) -> float | None:
        """The current job's remaining seconds: from its rate, never less than its own ETA."""
        rate = self.job_rate()
        own = (self.total - self.done) / rate if rate else None
        if own is None and self.job_eta is None:
            speed = self.speed()
            return None if speed is None else speed * self.reference[self.step] * (1 - self.done / self.total)
        return max(own or 0.0, self.job_eta or 0.0)

    def remaining(self) -> float | None:
        """Overall remaining seconds: the current job's plus the later steps' reference
        times at the measured speed.  None until something was measured."""
        current, speed = self.current_remaining(), self.speed()
        if current is None or speed is None:
            return None
        return current + speed * sum(self.reference[self.step + 1 :])

    def text(self) -> str:
        """What the estimate rests on, in the setup window's words."""
        speed, rate = self.speed(), self.job_rate()
        if speed is None:
            return "not measured yet: the estimate follows once the first step has made progress"
        what = f"{self.job} {rate:.2f} steps/s, " if rate else ""
        return f"measured on this machine: {what}{speed:.2f}× the reference time; estimate ±{100 * UNCERTAINTY:.0f} %"
