"""What each action of the key table does in a window: the one map from action names
to the window's controllers (the actions, menus and toolbar are built from it).

It is given the controllers it drives and the few commands the window itself carries
out, not the window: the map can be read (and tested) without the window's shell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from ...labeling import SessionState
from ..canvas.canvas import LAYERS, Canvas
from ..canvas.panels import LayerControls, Palette
from ..canvas.point_flow import PointFlow
from ..canvas.tools import ToolController
from ..inspect.inspect_actions import InspectActions
from ..projects.project_opener import ProjectOpener
from .actions import TOOL_ACTIONS


@dataclass(frozen=True)
class WindowParts:
    """The controllers the actions drive (all built before the actions)."""

    session: SessionState
    tools: ToolController
    canvas: Canvas
    points: PointFlow
    palette: Palette
    layers: LayerControls
    inspect: InspectActions
    opener: ProjectOpener


class WindowCommands(Protocol):
    """What the window itself does for an action."""

    def undo(self) -> None: ...
    def redo(self) -> None: ...
    def step_image(self, delta: int) -> None: ...
    def advance_stage(self) -> None: ...
    def show_shortcuts(self) -> None: ...
    def class_key(self, k: int) -> None: ...
    def quit_app(self) -> None: ...


def window_handlers(parts: WindowParts, win: WindowCommands, n_classes: int) -> dict[str, Callable[[], object]]:
    s, tools, canvas, points = parts.session, parts.tools, parts.canvas, parts.points
    handlers: dict[str, Callable[[], object]] = {
        name: partial(s.update, tool=tool) for name, tool in TOOL_ACTIONS.items()
    }
    handlers |= {
        "brush_smaller": lambda: tools.resize_brush(-1),
        "brush_larger": lambda: tools.resize_brush(+1),
        "toggle_mask_limit": tools.toggle_mask_limit,
        "toggle_fast_points": lambda: s.update(fast_points=not s.fast_points),
        "class_search": parts.palette.start_search,
        "clear_point": lambda: points.clear(points.selected) if points.selected is not None else None,
        "undo": win.undo,
        "redo": win.redo,
        "zoom_fit": canvas.fit,
        "zoom_in": lambda: canvas.zoom(1.25),
        "zoom_out": lambda: canvas.zoom(0.8),
        "next_image": lambda: win.step_image(+1),
        "previous_image": lambda: win.step_image(-1),
        "point_queue": points.start,
        "queue_accept": points.accept,
        "queue_unsure": points.unsure,
        "queue_back": points.back,
        "queue_exit": points.stop,
        "advance_stage": win.advance_stage,
        "fig6_view": parts.inspect.fig6,
        "history_chart": parts.inspect.history,
        "export": parts.inspect.export_dialog,
        "import_labels": parts.inspect.import_dialog,
        "new_project": parts.opener.new_project,
        "open_project": parts.opener.open_project,
        "quit": win.quit_app,
        "shortcuts": win.show_shortcuts,
    }
    for name in LAYERS:
        handlers[f"layer_{name}"] = partial(parts.layers.toggle, name)
    for k in range(n_classes):
        handlers[f"class_{k}"] = partial(win.class_key, k)
    return handlers
