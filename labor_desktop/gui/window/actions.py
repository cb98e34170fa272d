"""Every command of the window as a QAction made from the key table, placed in the
menus and the toolbar; and the one gating function that decides which are enabled
(ilastik's rule: the state decides, not the code that happens to run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QLabel, QMainWindow, QSpinBox, QToolBar

from ...labeling import SessionState, Tool
from ..canvas.canvas import LAYERS
from ..keymap import BINDINGS, NUM_CLASS_KEYS, Binding, class_key, class_of_action

MENUS = (
    ("&File", ["new_project", "open_project", "@recent", "-", "import_labels", "export", "-", "quit"]),
    ("&Edit", ["undo", "redo", "-", "clear_point"]),
    (
        "&View",
        ["zoom_fit", "zoom_in", "zoom_out", "-"] + [f"layer_{n}" for n in LAYERS],
    ),
    (
        "&Tools",
        ["tool_point", "tool_region", "tool_sam", "tool_brush", "tool_eraser", "tool_fill", "tool_accept", "-"]
        + ["brush_smaller", "brush_larger", "toggle_mask_limit", "toggle_fast_points", "class_search", "-"]
        + ["point_queue", "queue_accept", "queue_unsure", "queue_back", "queue_exit"],
    ),
    ("&Images", ["next_image", "previous_image"]),
    ("&Stage", ["advance_stage"]),
    ("&Inspect", ["fig6_view", "history_chart"]),
    ("&Help", ["shortcuts"]),
)
TOOL_ACTIONS = {
    "tool_point": Tool.POINT,
    "tool_region": Tool.REGION,
    "tool_sam": Tool.SAM,
    "tool_brush": Tool.BRUSH,
    "tool_eraser": Tool.ERASER,
    "tool_fill": Tool.FILL,
    "tool_accept": Tool.ACCEPT,
}
FIRST_TOOL = {"points": Tool.POINT, "regions": Tool.REGION}  # by the stage's label unit; else the brush
CHECKABLE = {"toggle_mask_limit", "toggle_fast_points", *TOOL_ACTIONS}


def build_actions(
    window: QMainWindow, handlers: dict[str, Callable], n_classes: int, class_keys: list[str] | None = None
) -> dict[str, QAction]:
    """``class_keys``: each class's key (the project's table); default 1-9, 0, Alt+1-9."""
    actions: dict[str, QAction] = {}
    tools = QActionGroup(window)
    keys = class_keys or [class_key(k) for k in range(min(n_classes, NUM_CLASS_KEYS))]
    bindings = [b for b in BINDINGS if class_of_action(b.action) is None] + [
        Binding(f"class_{k}", (key,), "Classes", f"Class {k + 1} of the palette")
        for k, key in enumerate(keys[:n_classes])
        if key
    ]
    for b in bindings:
        act = QAction(b.description, window)
        act.setObjectName(b.action)
        act.setShortcuts([QKeySequence(k) for k in b.keys])
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setCheckable(b.action in CHECKABLE)
        if b.action in TOOL_ACTIONS:
            tools.addAction(act)
        act.triggered.connect(lambda _checked=False, f=handlers[b.action]: f())
        window.addAction(act)
        actions[b.action] = act
    return actions


def build_menus(window: QMainWindow, actions: dict[str, QAction], recent_menu) -> None:
    for title, names in MENUS:
        bar = window.menuBar()
        assert bar is not None  # a QMainWindow makes its menu bar on first use
        menu = bar.addMenu(title)
        assert menu is not None
        for name in names:
            if name == "-":
                menu.addSeparator()
            elif name == "@recent":
                menu.addMenu(recent_menu)
            else:
                menu.addAction(actions[name])


@dataclass
class Toolbar:
    bar: QToolBar
    brush: QSpinBox
    zoom: QLabel
    fast: QLabel


def build_toolbar(window: QMainWindow, actions: dict[str, QAction], session: SessionState) -> Toolbar:
    bar = QToolBar("Tools", window)
    bar.setObjectName("toolsBar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for name, text in (
        ("tool_point", "Point (P)"),
        ("tool_region", "Region (G)"),
        ("tool_sam", "SAM (Shift+G)"),
        ("tool_brush", "Brush (B)"),
        ("tool_eraser", "Eraser (E)"),
        ("tool_fill", "Fill (F)"),
        ("tool_accept", "Accept (A)"),
    ):
        actions[name].setIconText(text)
        bar.addAction(actions[name])
    bar.addSeparator()
    bar.addWidget(QLabel(" brush "))
    brush = QSpinBox()
    brush.setObjectName("brushSize")
    brush.setRange(0, 200)
    brush.setSuffix(" px")
    brush.setToolTip("Brush radius ([ and ])")
    brush.setValue(session.brush_radius)
    brush.valueChanged.connect(lambda v: session.update(brush_radius=v))
    bar.addWidget(brush)
    actions["toggle_mask_limit"].setIconText("Mask only (M)")
    bar.addAction(actions["toggle_mask_limit"])
    bar.addSeparator()
    actions["toggle_fast_points"].setIconText("Fast points (Shift+P)")
    bar.addAction(actions["toggle_fast_points"])
    fast = QLabel()
    fast.setObjectName("fastPointsWarning")
    fast.setStyleSheet("color: #ff9900; font-weight: bold")
    bar.addWidget(fast)
    bar.addSeparator()
    actions["point_queue"].setIconText("Point queue (Q)")
    bar.addAction(actions["point_queue"])
    zoom = QLabel()
    zoom.setObjectName("zoomLabel")
    zoom.setMinimumWidth(90)
    zoom.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    bar.addSeparator()
    actions["zoom_fit"].setIconText("Fit")
    bar.addAction(actions["zoom_fit"])
    bar.addWidget(zoom)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return Toolbar(bar, brush, zoom, fast)


def gate(actions: dict[str, QAction], *, has_image: bool, can_undo: bool, can_redo: bool, queue: bool,
         selected: bool, stage: int, running: bool, has_points: bool, has_history: bool,
         sam_ready: bool = False) -> None:  # fmt: skip
    """Enable each action from the state alone."""
    enabled = {
        "undo": can_undo,
        "redo": can_redo,
        "clear_point": selected and not queue,
        "queue_accept": queue,
        "queue_unsure": queue,
        "queue_back": queue,
        "queue_exit": queue,
        "point_queue": has_points and not queue,
        "advance_stage": not running,
        "export": not running or stage > 0,
        "import_labels": not running,
        "fig6_view": has_image and stage > 0,
        "history_chart": has_history,
        "tool_point": has_image,
        "tool_region": has_image,
        "tool_sam": has_image and sam_ready,
        "tool_accept": has_image,
    }
    for name, on in enabled.items():
        if name in actions:
            actions[name].setEnabled(on)
