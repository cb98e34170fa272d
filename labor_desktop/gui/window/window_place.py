"""The window's part of "where the annotator was": the session state, the view
(zoom and pan, if the user had zoomed), the layers' visibility and opacity, and the
image shown.  ``current_place`` reads it, ``apply_place`` puts it back, ignoring
whatever no longer fits; ``PlaceKeeper`` writes it shortly after each change."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QTimer


def current_place(window) -> dict:
    canvas = window.canvas
    view = None
    if canvas.user_zoomed:
        view = [canvas.scale, canvas.offset.x(), canvas.offset.y()]
    return {
        "image": max(window.document.index, 0),
        "session": window.session.to_dict(),
        "view": view,
        "layers": {n: [layer.visible, layer.opacity] for n, layer in canvas.layers.items()},
        "needs_labels_only": window.image_list.filter.isChecked(),
    }


def apply_place(window, place: dict) -> None:
    layers = place.get("layers")
    if isinstance(layers, dict):
        for name, value in layers.items():
            if name in window.layers.boxes and isinstance(value, list) and len(value) == 2:
                visible, opacity = value
                window.layers.boxes[name].setChecked(bool(visible))
                if isinstance(opacity, int | float):
                    window.layers.sliders[name].setValue(int(100 * min(1.0, max(0.0, opacity))))
    if place.get("needs_labels_only") is True:
        window.image_list.filter.setChecked(True)
    view = place.get("view")
    if isinstance(view, list) and len(view) == 3 and all(isinstance(v, int | float) for v in view):
        window.canvas.set_view(*view)


PLACE_SAVE_MS = 400  # a change reaches the user's settings this long after the last one


class PlaceKeeper:
    """Saves the window's place as it changes (debounced), so a killed process keeps it:
    the image, the session (class, tool, brush), the view, the layers and the filter."""

    def __init__(self, window, save: Callable[[], None]) -> None:
        """``save``: a method of the window, not a lambda (see ``stop``)."""
        self.timer = QTimer(window)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PLACE_SAVE_MS)
        self.timer.timeout.connect(save)
        self.stopped = False
        window.session.listeners.append(self.changed)
        window.document.image_changed.connect(self.changed)
        window.layers.changed.connect(self.changed)
        window.canvas.view_changed.connect(self.changed)
        window.image_list.filter.toggled.connect(self.changed)

    def changed(self, *_args) -> None:
        if not self.stopped:
            self.timer.start()  # restarted by each change: one write after a burst

    def stop(self) -> None:
        """The window closed (its place is saved by then): no write is pending, none starts.
        A write still pending after the close fired later, from whatever ran the event
        loop next, into a window Python's collector had half taken apart: a segfault."""
        self.stopped = True
        self.timer.stop()
