"""Can Qt open a window here?  ``./dev.sh demo`` asks before starting the application.

PyQt6's wheel brings Qt but not the X11 libraries its ``xcb`` platform plugin links
against; on a fresh Debian or Ubuntu some are missing (``libxcb-icccm4``,
``libxcb-keysyms1``, ``libxcb-cursor0``...), and Qt then aborts with "Could not load
the Qt platform plugin". This reads ``ldd`` of the plugin, names the missing
libraries and prints the one ``apt-get install`` line that adds them; then it starts
a ``QGuiApplication`` in a child process, with the platform the user has, to catch
any other failure before the real start.  Qt-free itself (the layering's ``cli``).

    python -m labor_desktop.cli.qt_check     exit 0: Qt starts; 1: it does not (reason on stderr)
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

# Shared library -> the Debian/Ubuntu package that ships it: what Qt 6's xcb plugin
# (libqxcb.so and libQt6XcbQpa, libQt6Gui, libQt6DBus under it) links against.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libpng16.so.16": "libpng16-16",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


def missing_libraries(ldd_output: str) -> list[str]:
    """The shared libraries ``ldd`` reports as "not found", in order, each once."""
    seen: list[str] = []
    for line in ldd_output.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def apt_line(missing: list[str], root: bool | None = None) -> str | None:
    """The one ``apt-get install`` line that adds ``missing`` (None when nothing is
    missing), as it will run: with ``sudo`` only when not ``root`` (default: this
    process's user; a root Debian often has no sudo); a library not in the table is
    named as a comment for the user to find."""
    if not missing:
        return None
    if root is None:
        root = hasattr(os, "geteuid") and os.geteuid() == 0
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[lib] for lib in missing if lib in DEBIAN_PACKAGES))
    unknown = [lib for lib in missing if lib not in DEBIAN_PACKAGES]
    sudo = "" if root else "sudo "
    line = f"{sudo}apt-get install -y {' '.join(packages)}" if packages else ""
    if unknown:
        line += f"{'  ' if line else ''}# and the packages that provide: {' '.join(unknown)}"
    return line


def xcb_plugin() -> Path | None:
    """PyQt6's ``libqxcb.so`` (found without importing Qt)."""
    spec = importlib.util.find_spec("PyQt6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for qt in ("Qt6", "Qt"):
            path = Path(root) / qt / "plugins" / "platforms" / "libqxcb.so"
            if path.is_file():
                return path
    return None


def uses_xcb(env: dict[str, str]) -> bool:
    """Whether Qt will try its X11 plugin: no platform chosen (xcb is the default and
    the fallback), or one naming xcb."""
    platform = env.get("QT_QPA_PLATFORM", "")
    return not platform or "xcb" in platform


def check_libraries(env: dict[str, str] | None = None) -> str | None:
    """A message naming the missing libraries and the apt line, or None."""
    env = dict(os.environ) if env is None else env
    if not sys.platform.startswith("linux") or not uses_xcb(env):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    try:
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None  # no ldd: leave it to the start probe
    missing = missing_libraries(out)
    if not missing:
        return None
    return (
        f"Qt's X11 platform plugin cannot load: {', '.join(missing)} missing on this system.\n"
        f"Install them with:\n\n    {apt_line(missing)}\n"
    )


_PROBE = "from PyQt6.QtGui import QGuiApplication; app = QGuiApplication([]); print(app.platformName())"


def probe_start(timeout: float = 30) -> str | None:
    """Start a QGuiApplication in a child process with the user's platform; a message
    with Qt's own words when it fails, else None."""
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None  # slow, not broken: let the application try
    if r.returncode == 0:
        return None
    tail = "\n".join(r.stderr.strip().splitlines()[-8:])
    hint = ""
    if "could not connect to display" in r.stderr:
        hint = (
            "\nNo display (DISPLAY is unset or unreachable): run it in a desktop session, over ssh -X, "
            "or under a virtual one: xvfb-run -a ./dev.sh demo\n"
        )
    return f"Qt cannot start here (exit {r.returncode}):\n{tail}\n{hint}"


def main() -> int:
    message = check_libraries() or probe_start()
    if message is None:
        return 0
    print(f"[qt-check] {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
