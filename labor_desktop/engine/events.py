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


class OutOfMemory(RuntimeError):
    """The GPU ran out of memory in a job: the message names the job, its batch size and
    the setting to lower; the job is not marked done and no label was touched."""

    def __init__(self, job: str, batch: int | None, key: str, detail: str = "") -> None:
        self.job, self.batch, self.key = job, batch, key
        at = f" at batch size {batch}" if batch is not None else ""
        now = f" (now {batch})" if batch is not None else ""
        super().__init__(
            f"{job}: the GPU ran out of memory{at}; the job was stopped and is not marked done, "
            f"no label was changed. Lower {key}{now} in the experiment settings, or the crop size "
            "([data] source_crop / target_crop), or close other programs using the GPU, and run it again"
            + (f". ({detail})" if detail else "")
        )
