"""The one table of key bindings, class keys included: the window's shortcuts, its
menus and the Help menu's shortcut sheet are all generated from it, so they never
disagree, and a test fails when two bindings share a key (Qt fires neither)."""

from __future__ import annotations

from dataclasses import dataclass

NUM_CLASS_KEYS = 19  # 1-9, 0 for classes 1-10; Alt+1 ... Alt+9 for 11-19


@dataclass(frozen=True)
class Binding:
    action: str  # the controller's action name
    keys: tuple[str, ...]  # Qt key sequences, portable text form
    group: str
    description: str


def class_key(k: int) -> str:
    """The key of class ``k`` (0-based): 1-9 and 0 for the first ten, Alt+1-9 after."""
    if k < 10:
        return str((k + 1) % 10)
    return f"Alt+{k - 9}" if k < NUM_CLASS_KEYS else ""


def class_for_key(text: str, keys: list[str] | None = None) -> int | None:
    """Inverse of ``class_key`` (or of a project's ``keys``)."""
    keys = keys or [class_key(k) for k in range(NUM_CLASS_KEYS)]
    return keys.index(text) if text and text in keys else None


def project_class_keys(n: int, table: dict | None) -> list[str]:
    """Each class's key: the ones the project's class table holds (saved with it; its
    TOML may name them, and the table refuses the window's own keys), else the defaults."""
    keys = (table or {}).get("keys")
    if isinstance(keys, list) and len(keys) == n and all(isinstance(k, str) for k in keys):
        return list(keys)
    return [class_key(k) for k in range(n)]


BINDINGS: tuple[Binding, ...] = (
    Binding("tool_point", ("P",), "Tools", "Point tool: click a proposed point, then choose its class"),
    Binding("tool_brush", ("B",), "Tools", "Brush"),
    Binding("tool_eraser", ("E",), "Tools", "Eraser"),
    Binding("tool_fill", ("F",), "Tools", "Fill the mask component under the cursor with the active class"),
    Binding("tool_accept", ("A",), "Tools", "Accept the model's class for a mask component (prediction shown)"),
    Binding("tool_region", ("G",), "Tools", "Region tool: hover shows a superpixel, a click asks its class"),
    Binding("tool_sam", ("Shift+G",), "Tools", "SAM assist: a click outlines the object under it, then asks its class"),
    Binding("brush_smaller", ("[",), "Tools", "Smaller brush"),
    Binding("brush_larger", ("]",), "Tools", "Larger brush"),
    Binding("toggle_mask_limit", ("M",), "Tools", "Limit the brush to inconsistency-mask pixels (on/off)"),
    Binding("toggle_fast_points", ("Shift+P",), "Tools", "Fast points: a click labels with the active class (on/off)"),
    Binding("class_search", ("/",), "Tools", "Find a class by typing its name"),
    Binding("clear_point", ("Delete",), "Edit", "Clear the selected point's label"),
    Binding("undo", ("Ctrl+Z",), "Edit", "Undo the last stroke"),
    Binding("redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit", "Redo"),
    Binding("layer_image", ("Shift+1",), "Layers", "Show/hide the image"),
    Binding("layer_prediction", ("Shift+2",), "Layers", "Show/hide the model's prediction"),
    Binding("layer_mask", ("Shift+3",), "Layers", "Show/hide the inconsistency mask"),
    Binding("layer_points", ("Shift+4",), "Layers", "Show/hide the proposed points"),
    Binding("layer_labels", ("Shift+5",), "Layers", "Show/hide your labels (imported ones striped)"),
    Binding("layer_truth", ("Shift+6",), "Layers", "Show/hide the ground truth (where present)"),
    Binding("layer_earlier", ("Shift+7",), "Layers", "Show/hide earlier stages' labelled points (dimmed)"),
    Binding("zoom_fit", ("Ctrl+0", "Home"), "View", "Fit the image to the window"),
    Binding("zoom_in", ("+", "="), "View", "Zoom in (also the mouse wheel)"),
    Binding("zoom_out", ("-",), "View", "Zoom out"),
    Binding("next_image", ("PgDown", "N"), "Images", "Next image (only those shown in the list)"),
    Binding("previous_image", ("PgUp",), "Images", "Previous image (only those shown in the list)"),
    Binding("point_queue", ("Q",), "Point queue", "Start the point queue: each unlabeled point in turn"),
    Binding("queue_accept", ("Return",), "Point queue", "Accept the suggestion shown on screen, go to the next point"),
    Binding("queue_unsure", ("Space",), "Point queue", "Mark the point unsure and go on"),
    Binding("queue_back", ("Backspace",), "Point queue", "Back to the previous point"),
    Binding("queue_exit", ("Esc",), "Point queue", "Leave the point queue"),
    Binding("advance_stage", ("Ctrl+Return",), "Stages", "End the stage: retrain and propose the next pixels"),
    Binding("fig6_view", ("Ctrl+I",), "Inspect", "Fig. 6 view of the current image"),
    Binding("history_chart", ("Ctrl+H",), "Inspect", "Stage history chart"),
    Binding("new_project", ("Ctrl+N",), "File", "New project from dataset folders and a checkpoint"),
    Binding("open_project", ("Ctrl+O",), "File", "Open a project in this window's place"),
    Binding("export", ("Ctrl+E",), "File", "Export labels (a format to choose), CSVs and the model"),
    Binding(
        "import_labels", ("Ctrl+Shift+I",), "File", "Import labels made elsewhere (Cityscapes, CVAT, COCO, labelme)"
    ),
    Binding("quit", ("Ctrl+Q",), "File", "Quit the program (every window saves first)"),
    Binding("shortcuts", ("F1",), "Help", "This sheet"),
    *(
        Binding(f"class_{k}", (class_key(k),), "Classes", f"Class {k + 1} of the palette")
        for k in range(NUM_CLASS_KEYS)
    ),
)


def class_of_action(action: str) -> int | None:
    """``class_3`` -> 3; None for every other action."""
    head, _, tail = action.partition("_")
    return int(tail) if head == "class" and tail.isdigit() else None


def by_action() -> dict[str, Binding]:
    return {b.action: b for b in BINDINGS}


def key_text(action: str) -> str:
    """The first key of an action, for labels and tooltips."""
    b = by_action().get(action)
    return b.keys[0] if b and b.keys else ""


def sheet_markdown(class_names: list[str] | None = None, class_keys: list[str] | None = None) -> str:
    lines = ["| keys | action |", "|---|---|"]
    for b in BINDINGS:
        if class_names and class_of_action(b.action) is not None:
            continue  # the project's classes follow, with their keys
        lines.append(f"| {' or '.join(b.keys)} | {b.group}: {b.description} |")
    if class_names:
        keys = class_keys or [class_key(k) for k in range(len(class_names))]
        for k, name in enumerate(class_names):
            if keys[k]:
                lines.append(f"| {keys[k]} | Classes: Class {k + 1}: {name} |")
    return "\n".join(lines)
