"""The one table of key bindings: the window's shortcuts and the Help menu's
shortcut sheet are both generated from it, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    action: str  # the controller's action name
    keys: tuple[str, ...]  # Qt key sequences, portable text form
    group: str
    description: str


BINDINGS: tuple[Binding, ...] = (
    Binding("tool_point", ("P",), "Tools", "Point tool: click a proposed point to label it with the active class"),
    Binding("tool_brush", ("B",), "Tools", "Brush"),
    Binding("tool_eraser", ("E",), "Tools", "Eraser"),
    Binding("tool_fill", ("F",), "Tools", "Fill the mask component under the cursor with the active class"),
    Binding("tool_accept", ("A",), "Tools", "Accept the model's class for a point or a mask component"),
    Binding("brush_smaller", ("[",), "Tools", "Smaller brush"),
    Binding("brush_larger", ("]",), "Tools", "Larger brush"),
    Binding("toggle_mask_limit", ("M",), "Tools", "Limit the brush to inconsistency-mask pixels (on/off)"),
    Binding("undo", ("Ctrl+Z",), "Edit", "Undo the last stroke"),
    Binding("redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit", "Redo"),
    Binding("layer_image", ("Shift+1",), "Layers", "Show/hide the image"),
    Binding("layer_prediction", ("Shift+2",), "Layers", "Show/hide the model's prediction"),
    Binding("layer_mask", ("Shift+3",), "Layers", "Show/hide the inconsistency mask"),
    Binding("layer_points", ("Shift+4",), "Layers", "Show/hide the proposed points"),
    Binding("layer_labels", ("Shift+5",), "Layers", "Show/hide your labels"),
    Binding("layer_truth", ("Shift+6",), "Layers", "Show/hide the ground truth (where present)"),
    Binding("zoom_fit", ("0",), "View", "Fit the image to the window"),
    Binding("zoom_in", ("+", "="), "View", "Zoom in (also the mouse wheel)"),
    Binding("zoom_out", ("-",), "View", "Zoom out"),
    Binding("next_image", ("PgDown", "N"), "Images", "Next image"),
    Binding("previous_image", ("PgUp",), "Images", "Previous image"),
    Binding("point_queue", ("Q",), "Point queue", "Start the point queue: each unlabeled point in turn"),
    Binding("queue_accept", ("Return",), "Point queue", "Accept the model's class and go to the next point"),
    Binding("queue_back", ("Backspace",), "Point queue", "Back to the previous point"),
    Binding("queue_exit", ("Esc",), "Point queue", "Leave the point queue"),
    Binding("advance_stage", ("Ctrl+Return",), "Stages", "End the stage: retrain and propose the next pixels"),
    Binding("fig6_view", ("Ctrl+I",), "Inspect", "Fig. 6 view of the current image"),
    Binding("history_chart", ("Ctrl+H",), "Inspect", "Stage history chart"),
    Binding("new_project", ("Ctrl+N",), "File", "New project from dataset folders and a checkpoint"),
    Binding("export", ("Ctrl+E",), "File", "Export labels, CSVs and the model"),
    Binding("shortcuts", ("F1",), "Help", "This sheet"),
)

CLASS_KEYS = "1234567890"  # classes 0-9 directly; Alt+digit for 10-18
CLASS_BINDING_TEXT = ("1-9, 0", "Alt+1 ... Alt+9")


def by_action() -> dict[str, Binding]:
    return {b.action: b for b in BINDINGS}


def class_for_key(digit: str, alt: bool) -> int | None:
    """Class index for a number key (1 -> 0, ..., 0 -> 9; with Alt: 1 -> 10, ... 9 -> 18)."""
    if digit not in CLASS_KEYS:
        return None
    k = CLASS_KEYS.index(digit)
    return k + 10 if alt else k


def sheet_markdown() -> str:
    lines = [
        "| keys | action |",
        "|---|---|",
        f"| {CLASS_BINDING_TEXT[0]} | Classes 1-10 of the palette |",
        f"| {CLASS_BINDING_TEXT[1]} | Classes 11-19 of the palette |",
    ]
    for b in BINDINGS:
        lines.append(f"| {' or '.join(b.keys)} | {b.group}: {b.description} |")
    return "\n".join(lines)
