"""The packaging files are valid: the PyInstaller spec compiles and names files that
exist, the desktop entry follows the freedesktop format, the icon is there."""

import ast
import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pyinstaller_spec_compiles_and_its_files_exist():
    spec = (ROOT / "packaging" / "labor-desktop.spec").read_text()
    tree = ast.parse(spec)  # valid Python, as PyInstaller executes it
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert {"labor_desktop_main.py", "labor-desktop.png", "labor-desktop"} <= strings
    for name in ("Analysis", "PYZ", "EXE", "COLLECT"):
        assert any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == name for n in ast.walk(tree)), name
    assert (ROOT / "packaging" / "labor_desktop_main.py").is_file()
    for data in ("labor-desktop.png", "labor-desktop.svg", "labor-desktop.desktop"):
        assert (ROOT / "resources" / data).is_file()
    entry = (ROOT / "packaging" / "labor_desktop_main.py").read_text()
    assert "from labor_desktop.gui.app import main" in entry


def test_desktop_entry_is_valid():
    path = ROOT / "resources" / "labor-desktop.desktop"
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text())
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "LabOR Desktop"
    assert entry["Exec"].split()[0] == "labor-desktop"  # the console script pyproject installs
    assert entry["Icon"] == "labor-desktop" and entry["Terminal"] in ("true", "false")
    for key in ("Categories", "MimeType", "Keywords"):
        assert entry[key].endswith(";")
    assert 'labor-desktop = "labor_desktop.gui.app:main"' in (ROOT / "pyproject.toml").read_text()
    validator = shutil.which("desktop-file-validate")
    if validator:
        out = subprocess.run([validator, str(path)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_icon_is_a_square_png():
    from PIL import Image

    with Image.open(ROOT / "resources" / "labor-desktop.png") as im:
        assert im.format == "PNG" and im.size == (256, 256)


@pytest.mark.parametrize("script", ["build.sh", "install-desktop-entry.sh"])
def test_packaging_scripts_are_executable_bash(script):
    path = ROOT / "packaging" / script
    assert path.stat().st_mode & 0o111
    out = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_guide_carries_the_shortcut_sheet_of_the_key_table():
    from labor_desktop.gui.keymap import sheet_markdown

    assert sheet_markdown() in (ROOT / "docs" / "guide.md").read_text()
