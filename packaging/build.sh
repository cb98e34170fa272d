#!/usr/bin/env bash
# Build the one-folder application dist/labor-desktop/ with PyInstaller, in its own
# virtual environment (build/venv: the runtime dependencies only, no test tools).
# Takes minutes and several GB (torch's CUDA libraries are included). Then:
#   dist/labor-desktop/labor-desktop [PROJECT]
#   packaging/install-desktop-entry.sh     (menu entry and icon for this user)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/build/venv"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "$root" "pyinstaller>=6.10"
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$root/dist" --workpath "$root/build/pyinstaller" \
    "$root/packaging/labor-desktop.spec"
du -sh "$root/dist/labor-desktop"
echo "built: $root/dist/labor-desktop/labor-desktop"
