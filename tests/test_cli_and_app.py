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
    assert set(build_parser()._subparsers._group_actions[0].choices) == {
        "demo",
        "simulate",
        "compare",
        "demo-data",
        "export",
        "repair",
        "info",
        "strategies",
        "inspect-checkpoint",
    }


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


@pytest.mark.timeout(420)
def test_labor_desktop_prepares_and_opens_the_demo_project(tmp_path):
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    cmd = [
        os.path.join(bindir, "labor-desktop"),
        "--demo-dir",
        str(tmp_path / "demo"),
        "--demo-config",
        "smoke",
        "--quit-after",
        "300",
    ]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=280)
    assert first.returncode == 0, first.stderr  # made the data, the project, stage 1's proposals; opened it
    from labor_desktop.store import Project

    with Project.open(tmp_path / "demo" / "demo.labor.h5", read_only=True) as p:
        assert p.proposal_stages() == [1] and p.settings.strategy == "ppl"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # opens the ready project
    missing = subprocess.run(
        [os.path.join(bindir, "labor-desktop"), str(tmp_path / "none.labor.h5")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and "none.labor.h5" in missing.stderr
