"""``labor-desktop [PROJECT]``: the application entry point.  Without a project it
opens the demo project, preparing it on the first run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from . import TITLE


def icon_path() -> Path | None:
    """The application icon: beside the frozen program, or in the source tree."""
    roots = [Path(getattr(sys, "_MEIPASS", "")), Path(__file__).resolve().parents[2]]
    for root in roots:
        candidate = root / "resources" / "labor-desktop.png"
        if candidate.is_file():
            return candidate
    return None


def interactive(app: QApplication) -> bool:
    """A person can answer a dialog (offscreen, nobody could close it)."""
    return app.platformName() != "offscreen"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labor-desktop", description="LabOR Desktop application")
    parser.add_argument(
        "project", nargs="?", help="project file to open (default: the demo project, made on the first run)"
    )
    parser.add_argument("--demo-dir", help=argparse.SUPPRESS)
    parser.add_argument("--demo-config", default="desktop", help=argparse.SUPPRESS)
    parser.add_argument("--quit-after", type=int, metavar="MS", help="close after MS milliseconds (smoke tests)")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)  # this program only ever makes a QApplication
    app.setApplicationName(TITLE)
    app.setDesktopFileName("labor-desktop")
    icon = icon_path()
    if icon is not None:
        from PyQt6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    from ..store import Project, ProjectError
    from .projects.project_opener import open_or_look
    from .window.errors import install_excepthook
    from .window.main_window import MainWindow

    install_excepthook()

    path = args.project
    if path is None:
        from .projects.demo_setup import DEMO_DIR, SetupDialog, demo_project_path, demo_ready

        root = Path(args.demo_dir) if args.demo_dir else DEMO_DIR
        if not demo_ready(root):
            dialog = SetupDialog(root, args.demo_config)
            if dialog.exec() != dialog.DialogCode.Accepted or not dialog.project_path:
                return 1
        path = demo_project_path(root)
    try:
        project = open_or_look(Path(path), None) if interactive(app) else Project.open(path)
        if project is None:
            return 1
    except ProjectError as e:  # e.g. open in another window: said in a dialog, not only on stderr
        print(f"error: {e}", file=sys.stderr)
        if interactive(app):
            QMessageBox.warning(None, TITLE, str(e))
        return 1
    window = MainWindow(project)
    window.show()
    if args.quit_after is not None:
        QTimer.singleShot(args.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
