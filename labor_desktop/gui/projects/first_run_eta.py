"""The first run's overall ETA, from what this machine has shown so far (Qt-free, so the
benchmark computes the same figure the setup window shows).

The first ETA divided the time so far by a fixed share of the work done; beside other jobs
the steps slow down unequally and it went 2:37 -> 27:58 -> 5:53 (issue 22).  The second took
each job's own ETA as a floor, and a job's ETA after its first unit carries the job's start-up
(loading, the first batch): 425 s for proposals that took 41 s, an overall error of 75 %
(bench/demo_first_run.py --save, replayed).  Here the estimate rests on one figure, this
machine's *speed*: the time so far over the reference time of the work done so far (the
finished steps, the finished jobs of the current step and the done part of the current job).
Every unfinished piece is its reference time at that speed; the current job's own measured
rate takes over from its reference as the job progresses (fully from a fifth of it on), and
the later steps use the speed of the last two minutes, so a machine that gets busier or
quieter is followed without trusting a job's first units.  Replayed on two runs' events
(docs/benchmarks.md): under a steady load the worst error from the first minute on fell
from 75 % to 12 %; under a load that swung 4x (other programs starting and stopping) no
estimate can hold ±30 %, and the median error fell from 24 % to 21 %.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

# Share of the first run each step takes (demo data, pre-train, warm-up, evaluate, propose):
# bench/demo_first_run.py, the desktop preset alone on two idle cores (one torch thread),
# 2026-12-06: 14.8, 129.9, 53.8, 21.2 and 49.6 s of 269 s.  Propose includes the pixel selector.
STEP_WEIGHTS = (0.055, 0.483, 0.200, 0.079, 0.183)
REFERENCE_TOTAL_S = 269.0
REFERENCE_S = tuple(REFERENCE_TOTAL_S * w for w in STEP_WEIGHTS)
# Where a step has several progress jobs, each one's share of its step (job-name prefixes, in
# order; the same runs): the demo data's three image sets, the selector's training then proposing.
JOB_SHARES: dict[int, tuple[tuple[str, float], ...]] = {
    0: (("demo data: source", 0.59), ("demo data: target train", 0.21), ("demo data: target val", 0.20)),
    4: (("pixel selector", 0.60), ("proposals", 0.40)),
}
WINDOW_S = 120.0  # how far back "the machine's speed now" looks
TRUST_RATE_AFTER = 0.2  # the share of a job after which its own rate alone gives its remaining time
UNCERTAINTY = 0.30  # what the text promises: bench/demo_first_run.py measures the real error


def job_share(step: int, job: str) -> tuple[float, float, float]:
    """(share of the step before this job, this job's share, share after it); a job a step
    does not list (or a step of one job) is the whole step."""
    shares = JOB_SHARES.get(step, ())
    before = 0.0
    for prefix, share in shares:
        if job.startswith(prefix):
            return before, share, max(0.0, 1.0 - before - share)
        before += share
    return 0.0, 1.0, 0.0


class FirstRunEta:
    """Feed it every progress event (``update``); ask it the overall remaining seconds."""

    def __init__(self, reference_s: tuple[float, ...] = REFERENCE_S, clock: Callable[[], float] = time.monotonic):
        self.reference, self.clock = reference_s, clock
        self.started = clock()
        self.step = 0
        self.job: str | None = None
        self.job_started, self.job_first, self.done, self.total = self.started, 0, 0, 1
        self.job_eta: float | None = None
        self.now = self.started
        self._samples: deque[tuple[float, float]] = deque()  # (time, reference done) per update

    def update(self, step: int, job: str, done: int, total: int, job_eta: float | None = None) -> None:
        self.now = self.clock()
        self.step = step
        if job != self.job:
            self.job, self.job_started, self.job_first = job, self.now, done
        self.done, self.total, self.job_eta = done, max(total, 1), job_eta
        self._samples.append((self.now, self.reference_done()))
        while len(self._samples) > 2 and self.now - self._samples[1][0] >= WINDOW_S:
            self._samples.popleft()  # keep one sample at least WINDOW_S old

    def _shares(self) -> tuple[float, float, float]:
        return job_share(self.step, self.job or "")

    def job_rate(self) -> float | None:
        """The current job's measured units per second (None before it has finished one
        more unit than when it was first seen)."""
        t = self.now - self.job_started
        return (self.done - self.job_first) / t if self.done > self.job_first and t > 0 else None

    def reference_done(self) -> float:
        """Reference seconds of the work done: finished steps, finished jobs of this step,
        the done part of the current job."""
        before, share, _ = self._shares()
        return sum(self.reference[: self.step]) + self.reference[self.step] * (before + share * self.done / self.total)

    def speed(self) -> float | None:
        """Time so far over the reference time of the work done (2.0: this machine, now,
        takes twice the reference); None until some work is done."""
        ref, t = self.reference_done(), self.now - self.started
        return t / ref if ref > 0 and t > 0 else None

    def _trust(self) -> float:
        """How far the current job's own measurements are trusted over the cumulative speed:
        0 at its start, 1 from ``TRUST_RATE_AFTER`` of it on."""
        return min(1.0, max(0, self.done - self.job_first) / (TRUST_RATE_AFTER * self.total))

    def recent_speed(self) -> float | None:
        """This machine's speed over the last ``WINDOW_S`` seconds of work (the cumulative
        speed before that much has passed), so the later steps follow a machine that got
        busier or quieter instead of its whole history."""
        ref_now, t = self.reference_done(), self.now
        old = None
        for sample in self._samples:
            if t - sample[0] >= WINDOW_S:
                old = sample
            else:
                break
        if old is None or ref_now <= old[1]:
            return self.speed()
        return (t - old[0]) / (ref_now - old[1])

    def current_remaining(self) -> float | None:
        """The current job's remaining seconds: its reference at this machine's speed, handed
        over to its own measured rate as the job progresses; the job's own ETA only when
        nothing was measured yet."""
        speed, rate = self.speed(), self.job_rate()
        left = 1 - self.done / self.total
        if speed is None:
            return self.job_eta
        by_reference = speed * self.reference[self.step] * self._shares()[1] * left
        if rate is None:
            return by_reference
        trust = self._trust()
        return trust * (self.total - self.done) / rate + (1 - trust) * by_reference

    def remaining(self) -> float | None:
        """Overall remaining seconds: the current job's, then the rest of its step and the
        later steps at the measured speed.  None until something was measured."""
        current, speed = self.current_remaining(), self.recent_speed()
        if current is None or speed is None:
            return None
        after = self.reference[self.step] * self._shares()[2] + sum(self.reference[self.step + 1 :])
        return current + speed * after

    def text(self) -> str:
        """What the estimate rests on, in the setup window's words."""
        speed, rate = self.speed(), self.job_rate()
        if speed is None:
            return "not measured yet: the estimate follows once the first step has made progress"
        what = f"{self.job} {rate:.2f} steps/s, " if rate else ""
        return (
            f"measured on this machine: {what}{speed:.2f}× the reference time; "
            f"estimate ±{100 * UNCERTAINTY:.0f} % while its load stays as it is"
        )
