"""What each action of the key table does in a window: the one map from action names
to the window's controllers (the actions, menus and toolbar are built from it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from .actions import TOOL_ACTIONS

if TYPE_CHECKING:
    from .main_window import MainWindow


def window_handlers(win: MainWindow) -> dict[str, Callable[[], object]]:
    s, tools, canvas, points = win.session, win.tools, win.canvas, win.points
    handlers: dict[str, Callable[[], object]] = {
        name: partial(s.update, tool=tool) for name, tool in TOOL_ACTIONS.items()
    }
    handlers |= {
        "brush_smaller": lambda: tools.resize_brush(-1),
        "brush_larger": lambda: tools.resize_brush(+1),
        "toggle_mask_limit": tools.toggle_mask_limit,
        "toggle_fast_points": lambda: s.update(fast_points=not s.fast_points),
        "class_search": win.class_palette.start_search,
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
        "fig6_view": win.inspect.fig6,
        "history_chart": win.inspect.history,
        "export": lambda: win.inspect.export(),
        "new_project": win.opener.new_project,
        "open_project": win.opener.open_project,
        "quit": win.close,
        "shortcuts": win.show_shortcuts,
    }
    for name in ("image", "prediction", "mask", "points", "labels", "truth"):
        handlers[f"layer_{name}"] = partial(win.layers.toggle, name)
    for k in range(len(win.names)):
        handlers[f"class_{k}"] = partial(win.class_key, k)
    return handlers
