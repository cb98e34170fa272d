"""The status bar's words, written in one place: the stage and what has been
labelled in it (points labelled, not proposed), the last evaluated stage, the
annotator's effort, and the readout of the pixel under the cursor."""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QStatusBar, QWidget

from ...labeling import UNLABELED, stage_counts
from ..inspect.inspect import budget_text


def plural(n: int, word: str) -> str:
    """``1 click``, ``2 clicks``, ``0 clicks``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def stage_text(
    stage: int,
    strategy: str,
    unit: str,
    class_name: str,
    labelled: tuple[int, int, int],
    last: dict | None,
    effort,
) -> str:
    """``labelled``: (labelled points, proposed points, unsure points) of the current stage,
    or (open mask pixels, mask pixels, 0) when the stage proposes pixels."""
    parts = [
        f"Stage {stage} ({strategy}), labelling" if stage else f"No stage yet ({strategy})",
        f"class: {class_name}",
    ]
    done, total, unsure = labelled
    if stage and unit == "points":
        parts.append(f"labelled {done}/{total} points" + (f", {unsure} unsure" if unsure else ""))
    elif stage:
        parts.append(f"mask {done}/{total} px labelled")
    if last is not None:
        miou, agreement = last.get("miou"), last.get("agreement")
        evaluated = f"stage {last['stage']}: " + budget_text(last)
        if miou is not None:
            evaluated += f", mIoU {100 * miou:.1f}"
        elif agreement is not None:  # no validation set: never a made-up mIoU
            evaluated += f", model agrees {100 * agreement:.1f} % with the previous"
        parts.append(evaluated)
    if effort is not None:
        parts.append(
            f"{plural(effort.clicks, 'click')}, {plural(effort.brush_strokes, 'stroke')}, "
            f"{effort.active_seconds / 60:.1f} min this stage"
        )
    return " | ".join(parts)


def cursor_text(
    y: int, x: int, names: list[str], label: int, predicted: int | None, truth: int | None, prior: bool = False
) -> str:
    """``prior``: the label was imported (stage 0), not made here."""

    def name(k: int | None) -> str:
        if k is None:
            return "-"
        return names[k] if k < len(names) else ("unlabeled" if k == UNLABELED else str(k))

    parts = [f"x {x}, y {y}", f"label: {name(label)}" + (" (imported)" if prior and label != UNLABELED else "")]
    parts.append(f"model: {name(predicted)}" if predicted is not None else "model: (show prediction)")
    if truth is not None:
        parts.append(f"truth: {name(truth)}")
    return " · ".join(parts)


def window_counts(window) -> tuple[int, int, int]:
    """(labelled, proposed, unsure) points, or (labelled, mask) pixels, of the window's stage,
    over the statuses known so far (all of them once the image list has filled): the one
    count the bar, the image list and the export share (labels at the proposed pixels)."""
    unit = window.workflow.label_unit
    done, total = stage_counts(window.document.known_statuses().values(), unit)
    unsure = window.document.unsure_count(window.stage) if window.stage and unit == "points" else 0
    return done, total, unsure


def window_stage_text(window) -> str:
    s, stage = window.session, window.stage
    name = window.names[s.active_class] if window.names else "-"
    history = [h for h in window.project.history() if h.get("stage", 0) < max(stage, 1)]
    effort = window.document.stage_effort(stage) if stage else None
    counts = window_counts(window) if stage else (0, 0, 0)
    strategy, unit = window.project.settings.strategy, window.workflow.label_unit
    return stage_text(stage, strategy, unit, name, counts, history[-1] if history else None, effort)


CURSOR_WIDTH = 360  # the readout's fixed area (a passing message shows there and beside it)


class StatusRoom(QObject):
    """The status bar's layout: the cursor readout in a fixed area on the left (hovering
    never shifts the stage line), the stage area on the right, never wider than what is
    left (so a passing message, shown where the readout was, always has room)."""

    def __init__(self, bar: QStatusBar, readout: QWidget, stage_area: QWidget, window: QWidget) -> None:
        super().__init__(bar)
        self.bar, self.stage_area, self.window = bar, stage_area, window
        readout.setFixedWidth(CURSOR_WIDTH)
        bar.addWidget(readout)
        bar.addPermanentWidget(stage_area)
        bar.installEventFilter(self)
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.bar and event.type() == QEvent.Type.Resize:
            self.stage_area.setMaximumWidth(max(200, self.bar.width() - CURSOR_WIDTH - 24))
        if obj is self.window and event.type() == QEvent.Type.StatusTip and event.tip():
            # a hovered action's status tip (the SAM tool's names a folder) elided to the bar's
            # room like any message: Qt showed it whole, cut mid-letter at the stage area
            show_message(self.bar, self.stage_area, event.tip(), 0)
            return True
        return False


def show_message(bar, stage_area: QWidget, text: str, ms: int = 6000) -> None:
    """A passing message in the status bar's free area, elided to fit; whole in the tooltip.
    Qt draws it from x = 6 to 2 px before the stage area (the size grip and margins
    included), so that is the room: a wider text was cut mid-letter, its "…" unseen."""
    room = max(80, stage_area.x() - 8 if stage_area.isVisible() else bar.width() - 18)
    bar.setToolTip(text)
    bar.showMessage(bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room), ms)
