"""File > New project: a project from a source (GTA5 layout) and a target
(Cityscapes layout) folder, optionally starting from an adapted checkpoint
(ours, or AdaptSegNet / ADVENT / IAST DeepLab-v2).  Everything is checked before
the project is written, and each problem is said next to its field."""

from __future__ import annotations

from dataclasses import replace
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

from ..core.checkpoint import CheckpointError, load_model
from ..core.model import ModelConfig
from ..core.strategies import STRATEGIES
from ..data.io import DataError
from ..engine.config import PRESETS, preset
from ..engine.experiment_data import ExperimentData
from ..engine.stages import create_project

CHECKPOINT_STYLES = {
    "this program's": None,
    "AdaptSegNet": "adaptsegnet",
    "ADVENT": "advent",
    "IAST": "iast",
    "CRST": "crst",
}


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
        self.style = QComboBox()
        self.style.addItems(list(CHECKPOINT_STYLES))
        self.strategy = QComboBox()
        self.strategy.addItems([s for s in STRATEGIES if s not in ("supervised", "uda")])
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
        form.addRow("Checkpoint written by", self.style)
        form.addRow("Strategy", self.strategy)
        form.addRow("Settings", self.preset)
        form.addRow("Project file", _path_row(self.file, self._save))
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create)
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

    def validate(self) -> tuple | None:
        """The config and data when every field is usable; otherwise None, with the reason shown."""
        self.error.setText("")
        cfg = preset(self.preset.currentText())
        style = CHECKPOINT_STYLES[self.style.currentText()]
        if style is not None:
            cfg = replace(cfg, model=ModelConfig.preset(style))
        try:
            data = ExperimentData.find(
                cfg.data,
                source=self.source.text() or None,
                target=self.target.text() or None,
                need_truth=False,
                need_val=False,
            )
        except DataError as e:
            return self._fail(str(e))
        start = self.checkpoint.text().strip() or None
        if start:
            try:
                model = load_model(start, cfg.model if style is not None else None)
            except (CheckpointError, OSError) as e:
                return self._fail(str(e))
            cfg = replace(cfg, model=model.cfg)
        file = self.file.text().strip()
        if not file:
            return self._fail("choose where to save the project file")
        if Path(file).exists():
            return self._fail(f"{file}: exists already; open it instead, or choose another name")
        if not Path(file).parent.is_dir():
            return self._fail(f"{Path(file).parent}: folder not found")
        return cfg, data, start, Path(file)

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        return None

    def create(self) -> None:
        checked = self.validate()
        if checked is None:
            return
        cfg, data, start, file = checked
        create_project(file, cfg, data, self.strategy.currentText(), start).close()
        self.created = file
        self.accept()
