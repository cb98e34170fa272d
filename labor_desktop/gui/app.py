"""``labor-desktop``: the application entry point.

Until the labeling window exists this opens a placeholder main window that says
what the program will do and how to run the core's self-check.
"""

from __future__ import annotations

import argparse
import sys

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from .. import __version__

TITLE = "LabOR Desktop"


class PlaceholderWindow(QMainWindow):
    def __init__(self, project: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle(f"{TITLE} {__version__}" + (f" - {project}" if project else ""))
        self.resize(900, 560)
        text = QLabel(
            "<h2>LabOR Desktop</h2>"
            "<p>Label only the pixels a domain-adapted segmentation model is unsure about.</p>"
            "<p>The labeling window is not built yet. The LabOR core (DeepLab-v2, pixel selector, "
            "inconsistency mask, PPL points, metrics) runs from the command line:</p>"
            "<pre>labor demo\nlabor strategies\nlabor inspect-checkpoint FILE</pre>"
        )
        text.setObjectName("placeholderText")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(text)
        self.setCentralWidget(body)
        self.statusBar().showMessage("No project open")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labor-desktop", description="LabOR Desktop application")
    parser.add_argument("project", nargs="?", help="project file to open")
    parser.add_argument("--quit-after", type=int, metavar="MS", help="close after MS milliseconds (smoke tests)")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName(TITLE)
    if args.project:
        from ..store import Project, ProjectError
        from .main_window import MainWindow

        try:
            project = Project.open(args.project)
        except ProjectError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        window = MainWindow(project)
    else:
        window = PlaceholderWindow(None)
    window.show()
    if args.quit_after is not None:
        QTimer.singleShot(args.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
