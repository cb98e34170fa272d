"""File > New project: the choices of ``labor new``.  The images to label are any
folder (the default path; a Cityscapes root works too); a validation folder, source
data, a class table (TOML) and a starting checkpoint (ours, or AdaptSegNet / ADVENT /
IAST / CRST DeepLab-v2) are optional.  Everything is checked before the project is
written; the problem is said under the fields and its field gets the focus."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ...engine.workflow import (
    CHECKPOINT_STYLES,
    LABELING_STRATEGIES,
    PRESETS,
    PlanError,
    ProjectPlan,
    describe_start,
    plan_project,
)


def _path_row(edit: QLineEdit, pick) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    button = QPushButton("…")
    button.clicked.connect(pick)
    lay.addWidget(edit)
    lay.addWidget(button)
    return row


class NewProjectDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.target, self.val, self.source, self.classes, self.checkpoint, self.config, self.file = (
            QLineEdit() for _ in range(7)
        )
        self.fields = {
            "images": self.target,
            "val": self.val,
            "source": self.source,
            "classes": self.classes,
            "checkpoint": self.checkpoint,
            "config": self.config,
            "file": self.file,
        }
        for name, edit in self.fields.items():
            edit.setObjectName(f"new_{'target' if name == 'images' else name}")
        self.target.setPlaceholderText("any folder of images (subfolders too)")
        self.val.setPlaceholderText("optional: images with NAME_label.png, or a Cityscapes root")
        self.source.setPlaceholderText("optional with a checkpoint: GTA5 / Cityscapes layout, or images + labels")
        self.classes.setPlaceholderText("optional: a TOML class table (default: Cityscapes' 19 classes)")
        self.checkpoint.setPlaceholderText("optional: any model; other classes: its backbone, a new head")
        self.config.setPlaceholderText("optional: a TOML settings file (overrides the preset)")
        self.checkpoint_style = QComboBox()
        self.checkpoint_style.addItems(list(CHECKPOINT_STYLES))
        self.strategy = QComboBox()
        self.strategy.addItems(list(LABELING_STRATEGIES))
        self.strategy.setCurrentText("ppl")
        self.preset = QComboBox()
        self.preset.addItems([p for p in PRESETS if p != "smoke"])
        self.skip_unreadable = QCheckBox("Leave out images that cannot be read (they are listed)")
        self.skip_unreadable.setObjectName("new_skip_unreadable")
        self.error = QLabel()
        self.error.setObjectName("newProjectError")
        self.error.setStyleSheet("color: #c00")
        self.error.setWordWrap(True)
        self.start_note = QLabel()  # the cold start's one line, as the choices change
        self.start_note.setObjectName("newProjectStart")
        self.start_note.setWordWrap(True)
        for edit in (self.checkpoint, self.classes, self.source):
            edit.editingFinished.connect(self.explain_start)
        form = QFormLayout(self)
        form.addRow("Images to label (a folder)", _path_row(self.target, lambda: self._dir(self.target)))
        form.addRow("Validation images (optional)", _path_row(self.val, lambda: self._dir(self.val)))
        form.addRow("Source data (optional)", _path_row(self.source, lambda: self._dir(self.source)))
        form.addRow(
            "Class table (optional)", _path_row(self.classes, lambda: self._file(self.classes, "TOML (*.toml)"))
        )
        form.addRow("Start from checkpoint (optional)", _path_row(self.checkpoint, self._ckpt))
        form.addRow("Checkpoint written by", self.checkpoint_style)
        form.addRow(self.start_note)
        form.addRow("Strategy", self.strategy)
        form.addRow("Settings", self.preset)
        form.addRow(
            "Settings file (optional)", _path_row(self.config, lambda: self._file(self.config, "TOML (*.toml)"))
        )
        form.addRow(self.skip_unreadable)
        form.addRow("Project file", _path_row(self.file, self._save))
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create_project)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.created: Path | None = None
        self.notes: list[str] = []

    def _dir(self, edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder")
        if path:
            edit.setText(path)

    def _file(self, edit: QLineEdit, kinds: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", "", f"{kinds};;All files (*)")
        if path:
            edit.setText(path)

    def _ckpt(self) -> None:
        self._file(self.checkpoint, "PyTorch (*.pth *.pt *.tar)")

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Project file", "project.labor.h5", "LabOR project (*.labor.h5)")
        if path:
            self.file.setText(path if path.endswith(".labor.h5") else path + ".labor.h5")

    def explain_start(self) -> None:
        """Say, before the project is made, when it will start cold (a new head)."""
        self.start_note.setText(
            describe_start(
                self.checkpoint.text(), self.checkpoint_style.currentText(), self.classes.text(), self.source.text()
            )
        )

    def validate(self) -> ProjectPlan | None:
        """The plan when every field is usable; otherwise None, with the reason shown."""
        self.error.setText("")
        try:
            return plan_project(
                images=self.target.text(),
                val=self.val.text(),
                source=self.source.text(),
                classes=self.classes.text(),
                checkpoint=self.checkpoint.text(),
                style=self.checkpoint_style.currentText(),
                strategy=self.strategy.currentText(),
                preset_name=self.preset.currentText(),
                config_file=self.config.text(),
                skip_unreadable=self.skip_unreadable.isChecked(),
                file=self.file.text(),
            )
        except PlanError as e:
            self.error.setText(str(e))
            edit = self.fields.get(e.field)
            if edit is not None:
                edit.setFocus()
            return None

    def create_project(self) -> None:
        plan = self.validate()
        if plan is None:
            return
        self.created = plan.create()
        self.notes = plan.notes  # e.g. the images left out, no validation set: said once the project opens
        self.accept()
