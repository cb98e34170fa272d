"""A run folder's ledger of finished jobs, so a run killed at any moment resumes
without redoing them.

A job's outputs (checkpoints, store records) are written first, then the job is
marked done in ``state.json`` (temp file + fsync + rename).  A job killed before
that mark is redone from its start; one after it is skipped and its recorded
result reused.  The ledger also remembers the configuration it was started with
and refuses to resume under a different one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..safe_files import write_text_atomically


class RunError(ValueError):
    """A run folder that cannot be used as asked; the message says what to do."""


def write_json_atomic(path: Path, data) -> None:
    """Whole or not at all, never through a link at a temporary name (safe_files)."""
    write_text_atomically(path, json.dumps(data, indent=2))


def _same_settings(stored, config: dict) -> bool:
    """Equal, or equal once an experiment config written before a setting existed has
    that setting filled in with its default (new settings are added with defaults that
    keep the old behaviour, so such a run folder can still be resumed)."""
    if stored == config:
        return True
    try:
        from .config import ExperimentConfig

        filled = dict(stored, config=ExperimentConfig.from_dict(stored["config"]).to_dict())
    except (KeyError, TypeError, ValueError):
        return False
    return json.loads(json.dumps(filled)) == config


def read_ledger(path: Path) -> dict:
    """The ledger, checked: ``{"config": {...}, "jobs": {name: {"result": {...}, ...}}}``."""
    damaged = RunError(f"{path}: damaged run ledger; delete the run folder or choose another --out")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise damaged from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("config"), dict)
        or not isinstance(data.get("jobs"), dict)
        or not all(isinstance(j, dict) and isinstance(j.get("result"), dict) for j in data["jobs"].values())
        or not all(
            isinstance(job["result"].get("checkpoint"), str)
            for name, job in data["jobs"].items()
            if name in ("pretrain", "warmup") or name.startswith(("selector-", "retrain-"))
        )
    ):
        raise damaged
    return data


class RunState:
    def __init__(self, root: str | Path, config: dict, writer: bool = True) -> None:
        self.root = Path(root)
        self.path = self.root / "state.json"
        config = json.loads(json.dumps(config))  # as it reads back from the file (tuples become lists)
        self.writer = writer
        if self.path.exists():
            data = self._read()
            if not _same_settings(data.get("config"), config):
                raise RunError(
                    f"{self.root}: this folder holds a run with other settings; "
                    "resume it with the same config and strategy, or choose another --out"
                )
            self.data = data
        else:
            self.data = {"config": config, "jobs": {}}
            if writer:
                self.root.mkdir(parents=True, exist_ok=True)
                write_json_atomic(self.path, self.data)

    @staticmethod
    def finished_jobs(root: str | Path) -> set[str] | None:
        """The jobs a run folder's ledger marks done, read without taking it over
        (None: no ledger yet)."""
        path = Path(root) / "state.json"
        return set(read_ledger(path)["jobs"]) if path.exists() else None

    def _read(self) -> dict:
        return read_ledger(self.path)

    def reload(self) -> None:
        """Other processes (rank 0) may have finished jobs since."""
        if self.path.exists():
            self.data = self._read()

    def done(self, job: str) -> bool:
        return job in self.data["jobs"]

    def result(self, job: str) -> dict:
        return self.data["jobs"][job]["result"]

    def finish(self, job: str, result: dict, seconds: float) -> None:
        self.data["jobs"][job] = {"result": result, "seconds": round(seconds, 3), "finished": time.time()}
        if self.writer:
            write_json_atomic(self.path, self.data)

    def forget(self, jobs) -> None:
        """Mark jobs as not done (their inputs changed); their outputs get rewritten."""
        for job in jobs:
            self.data["jobs"].pop(job, None)
        if self.writer:
            write_json_atomic(self.path, self.data)

    def checkpoint(self, name: str) -> Path:
        return self.root / "checkpoints" / f"{name}.pt"
