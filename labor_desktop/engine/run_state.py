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
import os
import time
from pathlib import Path


class RunError(ValueError):
    """A run folder that cannot be used as asked; the message says what to do."""


def write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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


class RunState:
    def __init__(self, root: str | Path, config: dict, writer: bool = True) -> None:
        self.root = Path(root)
        self.path = self.root / "state.json"
        config = json.loads(json.dumps(config))  # as it reads back from the file (tuples become lists)
        self.writer = writer
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise RunError(
                    f"{self.path}: damaged run ledger; delete the run folder or choose another --out"
                ) from None
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
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return set(data["jobs"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise RunError(f"{path}: damaged run ledger; delete the run folder to start the stages again") from None

    def reload(self) -> None:
        """Other processes (rank 0) may have finished jobs since."""
        if self.path.exists():
            self.data = json.loads(self.path.read_text())

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
