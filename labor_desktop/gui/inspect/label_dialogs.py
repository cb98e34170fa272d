"""The Export and Import dialogs.  Export: a folder to write into (made when missing, so
a new folder is only a name away: Qt's own chooser cannot make one from a typed name),
an optional new folder's name inside it, and the format; when done, a dialog says what
was written and where, with "Open folder".  Import: a folder (or COCO file), the format
and the stage; "Check" runs the dry run and lists what would happen, "Import" is offered
only once the check found no problem."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QUrl
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...engine.workflow import EXPORT_FORMATS, IMPORT_FORMATS, ImportPlan
from .. import TITLE

FORMAT_TEXT = {
    "cityscapes": "Cityscapes: labelTrainIds + colour PNGs (gtFine/)",
    "mask-png": "CVAT Segmentation mask 1.1: indexed PNGs + labelmap.txt",
    "coco": "COCO: one JSON, an RLE mask per image and class",
    "points": "points.csv: every labelled pixel (image, y, x, class, stage, unsure)",
    "labelme": "labelme: one JSON of polygons per image",
}


def _folder_row(parent: QWidget, edit: QLineEdit, title: str, files: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    browse = QPushButton("Browse…", parent)
    browse.setObjectName("browse")

    def choose() -> None:
        start = edit.text() or str(Path.home())
        got = QFileDialog.getExistingDirectory(parent, title, start)
        if got:
            edit.setText(got)

    browse.clicked.connect(choose)
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row


def _button(box: QDialogButtonBox, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
    button = QPushButton(text, box)
    box.addButton(button, role)
    return button


def _formats(parent: QWidget, names: tuple[str, ...]) -> QComboBox:
    box = QComboBox(parent)
    for name in names:
        box.addItem(FORMAT_TEXT[name], name)
    return box


class ExportDialog(QDialog):
    def __init__(self, parent: QWidget | None, start: str, new_name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export labels")
        self.folder = QLineEdit(start, self)
        self.folder.setObjectName("exportFolder")
        self.new_name = QLineEdit(new_name, self)
        self.new_name.setObjectName("exportNewFolder")
        self.new_name.setPlaceholderText("(none: write into the folder itself)")
        self.format = _formats(self, EXPORT_FORMATS)
        self.target = QLabel(self)
        self.target.setObjectName("exportTarget")
        self.target.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Into folder", _folder_row(self, self.folder, "Export into"))
        form.addRow("New folder", self.new_name)
        form.addRow("Format", self.format)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = _button(self.buttons, "Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.target)
        layout.addWidget(self.buttons)
        for edit in (self.folder, self.new_name):
            edit.textChanged.connect(self._update)
        self._update()
        self.resize(640, self.sizeHint().height())

    def chosen(self) -> tuple[str, str]:
        """(the folder to write, the format)."""
        base = Path(self.folder.text().strip()).expanduser()
        name = self.new_name.text().strip()
        return str(base / name if name else base), str(self.format.currentData())

    def _update(self) -> None:
        folder = self.chosen()[0]
        ok = bool(self.folder.text().strip()) and "/" not in self.new_name.text().strip("/")
        made = "" if Path(folder).is_dir() else " (made now)"
        self.target.setText(f"Writes into {folder}{made}" if ok else "Choose a folder (a new folder's name has no /)")
        self.export_button.setEnabled(ok)


class ExportDone(QMessageBox):
    """What an export wrote and where, with "Open folder"."""

    def __init__(self, parent: QWidget | None, folder: str, fmt: str, summary: dict) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setIcon(QMessageBox.Icon.Information)
        files = summary.get("files", [])
        self.setText(
            f"Exported {summary['labeled_images']} labelled of {summary['images']} images as {fmt} into\n{folder}"
        )
        extra = ["budget_per_image.csv", "budget_per_stage.csv", "labor-export.json"]
        shown = files[:12] + ([f"… and {len(files) - 12} more"] if len(files) > 12 else [])
        removed = f"\nRemoved {summary['removed']} file(s) of the previous export." if summary.get("removed") else ""
        self.setInformativeText(f"{len(files) + len(extra)} file(s): " + ", ".join(shown + extra) + removed)
        self.setDetailedText("\n".join(files + extra))
        self.open_button = QPushButton("Open folder", self)
        self.addButton(self.open_button, QMessageBox.ButtonRole.ActionRole)
        self.close_button = QPushButton("Close", self)
        self.addButton(self.close_button, QMessageBox.ButtonRole.RejectRole)
        self.folder = folder
        self.where: QMessageBox | None = None
        self.open_button.clicked.connect(self._open_folder)

    def _open_folder(self) -> None:
        """The folder in the desktop's file manager; where there is none (a bare system,
        Xvfb) the click did nothing visible, so say where the files are, in full."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder)):
            text = f"No program to open folders was found here. The files are in\n{self.folder}"
            self.where = QMessageBox(QMessageBox.Icon.Information, TITLE, text, parent=self.parentWidget())
            self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.where.open()


def plan_text(plan: ImportPlan, paths: list[str], problems: list[str]) -> str:
    lines = [f"matched: {len(plan.matched)}"]
    lines += [f"  {Path(s.file).name} -> {paths[i]}" for s, i in plan.matched[:50]]
    lines += [f"unmatched (no project image of that name): {len(plan.unmatched)}"]
    lines += [f"  {u}" for u in plan.unmatched[:50]]
    lines += [f"ambiguous (more than one project image): {len(plan.ambiguous)}"]
    lines += [f"  {a}" for a in plan.ambiguous[:50]]
    lines += [f"unknown classes: {len(plan.unknown_classes)}"] + [f"  {c}" for c in plan.unknown_classes]
    lines += [f"problem: {p}" for p in problems]
    return "\n".join(lines)


class ImportDialog(QDialog):
    def __init__(self, parent: QWidget | None, check, run) -> None:
        """``check(folder, fmt, stage)`` -> (plan or None, problems); ``run(folder, fmt, stage)``."""
        super().__init__(parent)
        self.setWindowTitle("Import labels")
        self._check, self._run = check, run
        self.folder = QLineEdit(self)
        self.folder.setObjectName("importFolder")
        self.folder.setPlaceholderText("a folder of label files (for COCO: the folder or the JSON file)")
        self.format = _formats(self, IMPORT_FORMATS)
        self.stage = QSpinBox(self)
        self.stage.setRange(0, 255)
        self.stage.setSpecialValueText("0 (prior: counted apart)")
        form = QFormLayout()
        form.addRow("From", _folder_row(self, self.folder, "Import labels from"))
        form.addRow("Format", self.format)
        form.addRow("As stage", self.stage)
        self.report = QPlainTextEdit(self)
        self.report.setObjectName("importReport")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText(
            "Check lists the matched, unmatched and ambiguous images before anything is written."
        )
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.check_button = _button(self.buttons, "Check", QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button = _button(self.buttons, "Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.check_button.clicked.connect(self.check)
        self.import_button.clicked.connect(self._import)
        self.buttons.rejected.connect(self.reject)
        for signal in (self.folder.textChanged, self.format.currentIndexChanged, self.stage.valueChanged):
            signal.connect(lambda *_: self.import_button.setEnabled(False))  # check again first
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)
        self.resize(720, 420)

    def args(self) -> tuple[str, str, int]:
        return self.folder.text().strip(), str(self.format.currentData()), self.stage.value()

    def check(self) -> None:
        text, ok = self._check(*self.args())
        self.report.setPlainText(text)
        self.import_button.setEnabled(ok)

    def _import(self) -> None:
        text = self._run(*self.args())
        if text is not None:
            self.report.setPlainText(text)
            self.import_button.setEnabled(False)
            self.accept()
