"""The labelling session's state, in one home that the widgets observe: the stage
being labelled, the active class, the tool and its settings.  Qt-free (napari's
layer events are the model): a change notifies every listener once with the names
of the fields that changed, and the state round-trips through a dict so reopening
a project puts the annotator back where they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any


class Tool(Enum):
    POINT = "point"
    BRUSH = "brush"
    ERASER = "eraser"
    FILL = "fill"
    ACCEPT = "accept"
    REGION = "region"
    SAM = "sam"  # the optional SAM click-to-mask assist (weights in models/sam)


MAX_BRUSH = 200


@dataclass
class SessionState:
    stage: int = 0
    active_class: int = 0
    tool: Tool = Tool.POINT
    brush_radius: int = 4
    limit_to_mask: bool = False
    # Off by default: a click on a point labels it with the active class at once, without
    # the chooser.  The toolbar shows it while on.
    fast_points: bool = False
    listeners: list[Callable[[set[str]], None]] = field(default_factory=list, repr=False, compare=False)

    def update(self, **changes: Any) -> set[str]:
        """Apply ``changes``; listeners hear the set of fields that really changed."""
        changed: set[str] = set()
        for name, value in changes.items():
            if name == "listeners" or name not in {f.name for f in fields(self)}:
                raise AttributeError(f"SessionState has no field {name!r}")
            if name == "brush_radius":
                value = max(0, min(MAX_BRUSH, int(value)))
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed.add(name)
        if changed:
            for listener in list(self.listeners):
                listener(changed)
        return changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "active_class": self.active_class,
            "tool": self.tool.value,
            "brush_radius": self.brush_radius,
            "limit_to_mask": self.limit_to_mask,
            "fast_points": self.fast_points,
        }

    def restore(self, saved: dict[str, Any], n_classes: int) -> None:
        """Put back what ``to_dict`` saved, ignoring anything that no longer fits."""
        changes: dict[str, Any] = {}
        k = saved.get("active_class")
        if isinstance(k, int) and 0 <= k < n_classes:
            changes["active_class"] = k
        try:
            changes["tool"] = Tool(saved.get("tool"))
        except ValueError:
            pass
        r = saved.get("brush_radius")
        if isinstance(r, int):
            changes["brush_radius"] = r
        for flag in ("limit_to_mask", "fast_points"):
            if isinstance(saved.get(flag), bool):
                changes[flag] = saved[flag]
        self.update(**changes)
