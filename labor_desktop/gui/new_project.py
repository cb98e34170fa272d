"""File > New project: a project from a source (GTA5 layout) and a target
(Cityscapes layout) folder, optionally starting from an adapted checkpoint
(ours, or AdaptSegNet / ADVENT / IAST DeepLab-v2).  Everything is checked before
the project is written, and each problem is said next to its field."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (
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

from ..engine.workflow import CHECKPOINT_STYLES, PRESETS, STRATEGIES, PlanError, ProjectPlan, plan_project


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
        self.source, self.target, self.checkpoint, self.file = (QLineEdit() for _ in range(4))
        for name, edit in (
            ("source", self.source),
            ("target", self.target),
            ("checkpoint", self.checkpoint),
            ("file", self.file),
        ):
            edit.setObjectName(f"new_{name}")
        self.checkpoint_style = QComboBox()
        self.checkpoint_style.addItems(list(CHECKPOINT_STYLES))
        self.strategy = QComboBox()
        # What a person can label: not the baselines that ask for no labels (uda, iast) or all of them.
        self.strategy.addItems([n for n, st in STRATEGIES.items() if st.unit not in ("none", "all")])
        self.preset = QComboBox()
        self.preset.addItems([p for p in PRESETS if p != "smoke"])
        self.error = QLabel()
        self.error.setObjectName("newProjectError")
        self.error.setStyleSheet("color: #c00")
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Source (GTA5 layout)", _path_row(self.source, lambda: self._dir(self.source)))
        form.addRow("Target (Cityscapes layout)", _path_row(self.target, lambda: self._dir(self.target)))
        form.addRow("Start from checkpoint (optional)", _path_row(self.checkpoint, self._ckpt))
        form.addRow("Checkpoint written by", self.checkpoint_style)
        form.addRow("Strategy", self.strategy)
        form.addRow("Settings", self.preset)
        form.addRow("Project file", _path_row(self.file, self._save))
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create_project)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.created: Path | None = None

    def _dir(self, edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder")
        if path:
            edit.setText(path)

    def _ckpt(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Checkpoint", "", "PyTorch (*.pth *.pt *.tar);;All files (*)")
        if path:
            self.checkpoint.setText(path)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Project file", "project.labor.h5", "LabOR project (*.labor.h5)")
        if path:
            self.file.setText(path if path.endswith(".labor.h5") else path + ".labor.h5")

    def validate(self) -> ProjectPlan | None:
        """The plan when every field is usable; otherwise None, with the reason shown."""
        self.error.setText("")
        try:
            return plan_project(
                source=self.source.text(),
                target=self.target.text(),
                checkpoint=self.checkpoint.text(),
                style=self.checkpoint_style.currentText(),
                strategy=self.strategy.currentText(),
                preset_name=self.preset.currentText(),
                file=self.file.text(),
            )
        except PlanError as e:
            self._fail(str(e))
            return None

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        return None

    def create_project(self) -> None:
        plan = self.validate()
        if plan is None:
            return
        self.created = plan.create()
        self.accept()
