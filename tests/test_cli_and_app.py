import os
import subprocess
import sys

import pytest
import torch

from labor_desktop.cli import build_parser, main
from labor_desktop.core.model import DeepLabV2, ModelConfig


def test_help_lists_the_existing_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for cmd in ["demo", "simulate", "compare", "demo-data", "export", "info", "strategies", "inspect-checkpoint"]:
        assert cmd in out
    assert set(build_parser()._subparsers._group_actions[0].choices) == {"demo", "simulate", "compare", "demo-data", "export", "info", "strategies", "inspect-checkpoint"}


def test_console_scripts_are_installed():
    bindir = os.path.dirname(sys.executable)
    out = subprocess.run([os.path.join(bindir, "labor"), "strategies"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ppl-worst" in out.stdout


def test_inspect_checkpoint_reports_and_refuses(tmp_path, capsys):
    torch.save(DeepLabV2(ModelConfig(backbone="resnet18", num_classes=5)).state_dict(), tmp_path / "w.pth")
    assert main(["inspect-checkpoint", str(tmp_path / "w.pth")]) == 0
    out = capsys.readouterr().out
    assert "resnet18" in out and "classes:  5" in out
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    assert main(["inspect-checkpoint", str(tmp_path / "junk.pth")]) == 1
    assert "junk.pth: not a readable PyTorch checkpoint" in capsys.readouterr().err


def test_placeholder_window_opens(qtbot):
    from labor_desktop.gui.app import PlaceholderWindow

    win = PlaceholderWindow("demo.labor.h5")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.isVisible() and "LabOR Desktop" in win.windowTitle() and "demo.labor.h5" in win.windowTitle()


def test_labor_desktop_entry_point_starts_and_quits():
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([os.path.join(bindir, "labor-desktop"), "--quit-after", "300"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
