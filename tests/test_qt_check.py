"""``./dev.sh demo``'s check that Qt can open a window: ldd's "not found" lines to the
one apt-get line (no display needed)."""

import os
import subprocess
import sys
from pathlib import Path

from labor_desktop.cli.qt_check import apt_line, check_libraries, missing_libraries, uses_xcb, xcb_plugin

# ldd of PyQt6's libqxcb.so on a fresh Debian 12 (abridged): the two libraries it lacked.
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd0a1e4000)
\tlibQt6XcbQpa.so.6 => /venv/PyQt6/Qt6/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f0c1c200000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f0c1c9d0000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f0c1c9c8000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f0c1c1d0000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c1ca1a000)
"""


def test_missing_libraries_from_ldd_each_once_in_order():
    assert missing_libraries(LDD_FRESH_DEBIAN) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert missing_libraries(LDD_FRESH_DEBIAN.replace("=> not found", "=> /lib/x.so (0x1)")) == []


def test_apt_line_names_the_debian_packages():
    fresh = missing_libraries(LDD_FRESH_DEBIAN)
    assert apt_line(fresh, root=False) == "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1"
    assert apt_line([], root=False) is None
    both_glib = ["libglib-2.0.so.0", "libgthread-2.0.so.0", "libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]
    assert apt_line(both_glib, root=False) == "sudo apt-get install -y libglib2.0-0 libxcb-cursor0 libxkbcommon-x11-0"


def test_9_the_apt_line_has_sudo_only_when_not_root(monkeypatch):
    import labor_desktop.cli.qt_check as qt_check

    fresh = missing_libraries(LDD_FRESH_DEBIAN)
    assert apt_line(fresh, root=True) == "apt-get install -y libxcb-icccm4 libxcb-keysyms1"  # a root Debian: no sudo
    for uid, line in ((0, "apt-get install"), (1000, "sudo apt-get install")):
        monkeypatch.setattr(qt_check.os, "geteuid", lambda uid=uid: uid)
        assert apt_line(fresh) == line + " -y libxcb-icccm4 libxcb-keysyms1"


def test_apt_line_names_an_unknown_library_instead_of_guessing():
    line = apt_line(["libxcb-icccm.so.4", "libfoo.so.9"], root=False)
    assert line == "sudo apt-get install -y libxcb-icccm4  # and the packages that provide: libfoo.so.9"
    assert apt_line(["libfoo.so.9"]) == "# and the packages that provide: libfoo.so.9"


def test_the_message_names_what_ldd_did_not_find_and_the_apt_line(monkeypatch):
    import labor_desktop.cli.qt_check as qt_check

    monkeypatch.setattr(qt_check, "xcb_plugin", lambda: Path("/venv/libqxcb.so"))
    monkeypatch.setattr(qt_check.sys, "platform", "linux")
    monkeypatch.setattr(qt_check.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(
        qt_check.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, LDD_FRESH_DEBIAN, "")
    )
    assert check_libraries({}) == (
        "Qt's X11 platform plugin cannot load: libxcb-icccm.so.4, libxcb-keysyms.so.1 missing on this system.\n"
        "Install them with:\n\n    sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1\n"
    )


def test_only_the_xcb_platform_is_checked():
    assert uses_xcb({}) and uses_xcb({"QT_QPA_PLATFORM": "xcb"}) and uses_xcb({"QT_QPA_PLATFORM": "wayland;xcb"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert check_libraries({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_the_plugin_is_found_and_the_check_runs_here():
    plugin = xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    lacking = missing_libraries(subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout)
    expected = None
    if lacking:  # what this machine lacks, said exactly
        expected = (
            f"Qt's X11 platform plugin cannot load: {', '.join(lacking)} missing on this system.\n"
            f"Install them with:\n\n    {apt_line(lacking)}\n"
        )
    assert check_libraries({}) == expected
    ok = subprocess.run(
        [sys.executable, "-m", "labor_desktop.cli.qt_check"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
