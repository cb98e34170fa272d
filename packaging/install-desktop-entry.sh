#!/usr/bin/env bash
# Add LabOR Desktop to this user's application menu (freedesktop): the .desktop file
# pointing at the built program, and the icon.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exe="${1:-$root/dist/labor-desktop/labor-desktop}"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$root/resources/labor-desktop.png" "$icons/labor-desktop.png"
sed "s|^Exec=labor-desktop|Exec=$exe|" "$root/resources/labor-desktop.desktop" > "$apps/labor-desktop.desktop"
echo "installed $apps/labor-desktop.desktop"
