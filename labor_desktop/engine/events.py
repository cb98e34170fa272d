"""What every long job shares with its caller: the progress callback and the
exception a set cancel event raises.  Kept apart from the training loops so the
window and the command line can name them without importing torch code."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int, dict], None]  # (job, step, total, info: loss, eta_s, ...)


class Cancelled(Exception):
    """Raised inside a job when its cancel event is set."""


class Diverged(RuntimeError):
    """A loss became NaN or infinite; the message names the job, the step and the loss."""
