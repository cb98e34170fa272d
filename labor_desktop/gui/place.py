"""Where the annotator was: image, class, tool, zoom and layer settings per project,
and the recent projects — kept in the user's settings (QSettings), not in the
project file, so labels and preferences never mix."""

from __future__ import annotations

import json
from pathlib import Path

from PyQt6.QtCore import QSettings

ORG, APP = "LabOR", "LabOR Desktop"
MAX_RECENT = 8


def _settings() -> QSettings:
    return QSettings(ORG, APP)


def _key(project_path: Path) -> str:
    return "projects/" + str(Path(project_path).resolve()).replace("/", "|")


def save_place(project_path: Path, place: dict) -> None:
    s = _settings()
    s.setValue(_key(project_path), json.dumps(place))
    s.sync()


def load_place(project_path: Path) -> dict:
    raw = _settings().value(_key(project_path))
    try:
        place = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return place if isinstance(place, dict) else {}


def recent_projects() -> list[str]:
    raw = _settings().value("recent")
    try:
        items = json.loads(raw) if raw else []
    except (TypeError, ValueError):
        return []
    return [p for p in items if isinstance(p, str) and Path(p).exists()][:MAX_RECENT]


def add_recent(project_path: Path) -> None:
    path = str(Path(project_path).resolve())
    items = [path, *(p for p in recent_projects() if p != path)][:MAX_RECENT]
    s = _settings()
    s.setValue("recent", json.dumps(items))
    s.sync()
