import os
import platform
import subprocess
import sys

import pytest
import torch

from labor_desktop import __version__
from labor_desktop.cli import build_parser, main
from labor_desktop.core.model import DeepLabV2, ModelConfig


def test_help_lists_the_existing_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for cmd in [
        "new",
        "demo",
        "simulate",
        "compare",
        "demo-data",
        "export",
        "import",
        "info",
        "strategies",
        "inspect-checkpoint",
    ]:
        assert cmd in out
    assert set(build_parser()._subparsers._group_actions[0].choices) == {
        "new",
        "demo",
        "simulate",
        "compare",
        "demo-data",
        "export",
        "import",
        "repair",
        "info",
        "strategies",
        "inspect-checkpoint",
    }


def test_no_command_prints_the_help_and_exits_2(capsys):
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: labor ")


def test_version_and_unknown_commands(capsys):
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and capsys.readouterr().out.strip() == f"labor {__version__}"
    with pytest.raises(SystemExit) as unknown:
        main(["label-everything"])
    assert unknown.value.code == 2 and "invalid choice: 'label-everything'" in capsys.readouterr().err


def test_info_names_versions_and_the_training_device(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"LabOR Desktop {__version__}"
    assert lines[1].startswith(f"Python {platform.python_version()} on ")
    assert lines[2].startswith(f"torch {torch.__version__} (CUDA build ") and lines[2].endswith(
        f"CPU threads {torch.get_num_threads()}"
    )
    assert lines[-1] == "training device: cpu" and len(lines) == 4


def test_info_lists_each_cuda_device(capsys, monkeypatch):
    class Props:
        name, total_memory = "Fake GPU", 3 * 2**30

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: Props)
    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3:] == ["  cuda:0 Fake GPU, 3.0 GiB", "  cuda:1 Fake GPU, 3.0 GiB", "training device: cuda"]


def test_strategies_lists_each_with_its_unit_and_selector(capsys):
    from labor_desktop.core.strategies import STRATEGIES

    assert main(["strategies"]) == 0
    rows = [line.split(None, 3) for line in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == [*STRATEGIES, "supervised-converged"]  # compare's reference last
    assert rows[-1][1] == "all" and rows[-1][2].startswith("labor")
    for name, unit, *rest in rows[:-1]:
        s = STRATEGIES[name]
        assert unit == s.unit and (rest[0] == "selector") == s.needs_selector
        assert " ".join(rest).endswith(s.description)


def test_the_strategy_help_names_every_strategy():
    from labor_desktop.cli.experiments import STRATEGY_HELP
    from labor_desktop.core.strategies import STRATEGIES

    names = STRATEGY_HELP.split(";")[0].split(", ")
    assert names == list(STRATEGIES)


@pytest.mark.slow  # 37 s under load (measured, issue 21)
def test_console_scripts_are_installed():
    bindir = os.path.dirname(sys.executable)
    out = subprocess.run([os.path.join(bindir, "labor"), "strategies"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ppl-worst" in out.stdout
    bad = subprocess.run([os.path.join(bindir, "labor"), "simulate"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "the following arguments are required: --out, --strategy" in bad.stderr


def test_inspect_checkpoint_reports_and_refuses(tmp_path, capsys):
    torch.save(DeepLabV2(ModelConfig(backbone="resnet18", num_classes=5)).state_dict(), tmp_path / "w.pth")
    assert main(["inspect-checkpoint", str(tmp_path / "w.pth")]) == 0
    out = capsys.readouterr().out
    assert "resnet18" in out and "classes:  5" in out
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    assert main(["inspect-checkpoint", str(tmp_path / "junk.pth")]) == 1
    assert "junk.pth: not a readable PyTorch checkpoint" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a guard against a hang only: each step waits for the program to end, not a clock
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
    first = subprocess.run(cmd, env=env, capture_output=True, text=True)  # --quit-after counts from the window shown
    assert first.returncode == 0, first.stderr  # made the data, the project, stage 1's proposals; opened it
    from labor_desktop.store import Project

    with Project.open(tmp_path / "demo" / "demo.labor.h5", read_only=True) as p:
        assert p.proposal_stages() == [1] and p.settings.strategy == "ppl"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr  # opens the ready project
    missing = subprocess.run(
        [os.path.join(bindir, "labor-desktop"), str(tmp_path / "none.labor.h5")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "none.labor.h5" in missing.stderr
