#!/usr/bin/env bash
# The Region flow's screenshots by real clicks and keys (xdotool) on a real X server:
#   docs/make_region_screenshots.sh DISPLAY_NUMBER [WORK_DIR]
# Makes the regions project once (docs/make_region_screenshots.py prepare), opens the window,
# hovers a superpixel, clicks it, answers the chooser with the region's true class key, steps
# the region queue (Q, five class keys, Esc), and saves docs/screenshots/region-{hover,chooser,queue,labelled}.png.
set -euo pipefail
num=${1:?display number}
work=${2:-/tmp/labor-region-shots}
py=${PYTHON:-.venv/bin/python}
out=docs/screenshots
mkdir -p "$work" "$out"
project=$($py docs/make_region_screenshots.py prepare "$work" | tail -1)
Xvfb ":$num" -screen 0 1920x1080x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $wm $xvfb 2>/dev/null || true' EXIT
export DISPLAY=":$num"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.2; done
openbox >/dev/null 2>&1 &
wm=$!
info="$work/info.json"
rm -f "$info"
QT_QPA_PLATFORM=xcb $py docs/make_region_screenshots.py app "$project" "$info" &
app=$!
for _ in $(seq 300); do [ -s "$info" ] && break; sleep 0.5; done
read -r win x y key < <($py -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['window'], *d['region'], d['key'])" "$info")
read -r -a queue < <($py -c "import json,sys; print(*json.load(open(sys.argv[1]))['queue'])" "$info")
shot() { sleep "${2:-1.5}"; import -window root -crop "${3:-1600x1000}+0+0" +repage "$out/$1.png"; echo "saved $out/$1.png"; }
xdotool windowactivate --sync "$win" || true
xdotool mousemove "$x" "$y"; xdotool mousemove_relative 1 1
shot region-hover
xdotool click 1
shot region-chooser 8 1600x1080  # the probabilities arrive with the prediction; the popup may reach below the window
xdotool key "$key"  # the region's true class (the demo has ground truth), as a careful annotator would
xdotool key q
shot region-queue 3
for k in "${queue[@]}"; do xdotool key "$k"; sleep 1.5; done
xdotool key Escape
xdotool mousemove 1590 990
shot region-labelled 2
xdotool key ctrl+q
wait $app || true
