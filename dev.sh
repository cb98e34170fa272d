#!/usr/bin/env bash
# One entry point for the two set-up commands of the README:
#   ./dev.sh demo     create .venv if missing, check that Qt can open a window (else print the
#                     apt-get line it needs), then open the application on the demo project
#                     (prepared on the first run: data, warm-up model, stage 1's proposals)
#   ./dev.sh test     create .venv if missing, then ruff, mypy and the whole test suite
#                     (with arguments: pytest alone, e.g. ./dev.sh test -m "not slow")
#   ./dev.sh labor ARGS, ./dev.sh labor-desktop ARGS
#                     the package's commands (they live in .venv/bin, not on PATH)
#   ./dev.sh compare  the headless strategy comparison on the demo data (`labor demo`, one seed, ~40 min on a busy 2-core CPU)
#   ./dev.sh mutate   mutation testing (mutmut) of core/selection, strategies, metrics, store/
#                     and labeling/: see docs/testing.md.  Not in CI.  Arguments: mutant name
#                     globs (default: core, store, then labeling), e.g. 'labor_desktop.core.metrics.*'
# Extra arguments are passed on (to `labor-desktop` or to pytest).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${LABOR_VENV:-$here/.venv}"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3

stamp="$venv/.labor-installed"
if [ ! -x "$venv/bin/python" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
    echo "[dev.sh] setting up $venv (first run takes a few minutes: torch is large)" >&2
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    log="$venv/install.log"
    # An older venv holds opencv-python-headless: it and the contrib build both install cv2/,
    # so the plain one goes first (else removing it later would break the contrib one's cv2).
    if "$venv/bin/python" -m pip show -q opencv-python-headless >/dev/null 2>&1; then
        "$venv/bin/python" -m pip uninstall -y opencv-python-headless >"$log" 2>&1
        "$venv/bin/python" -m pip uninstall -y opencv-contrib-python-headless >>"$log" 2>&1 || true
    fi
    if ! { "$venv/bin/python" -m pip install --upgrade pip &&
           "$venv/bin/python" -m pip install -e "$here[dev]"; } >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "[dev.sh] installation failed; full log: $log" >&2
        exit 1
    fi
    touch "$stamp"
fi

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    demo)
        # Qt's X11 plugin needs system libraries the wheel lacks: name the missing ones and
        # print the apt-get line instead of Qt's abort (LABOR_SKIP_QT_CHECK=1 skips this).
        if [ -z "${LABOR_SKIP_QT_CHECK:-}" ]; then
            "$venv/bin/python" -m labor_desktop.cli.qt_check || exit 1
        fi
        exec "$venv/bin/labor-desktop" "$@" ;;
    compare)
        exec "$venv/bin/labor" demo "$@" ;;
    labor|labor-desktop)  # the commands of .venv/bin, which is not on PATH: ./dev.sh labor new ...
        exec "$venv/bin/$cmd" "$@" ;;
    test)
        export QT_QPA_PLATFORM=offscreen
        cd "$here"
        if [ $# -eq 0 ]; then  # the whole check, as CI runs it; with arguments, pytest alone
            echo "[dev.sh] ruff check, ruff format --check, mypy" >&2
            "$venv/bin/ruff" check .
            "$venv/bin/ruff" format --check .
            "$venv/bin/mypy"
        fi
        exec "$venv/bin/python" -m pytest "$@" ;;
    mutate)
        export QT_QPA_PLATFORM=offscreen
        cd "$here"
        unset PYTHONPATH  # mutmut puts its mutated copy (mutants/) first on the path
        [ $# -gt 0 ] || set -- 'labor_desktop.core.*' 'labor_desktop.store.*' 'labor_desktop.labeling.*'
        for names in "$@"; do
            nice -n "${MUTATE_NICE:-15}" "$venv/bin/mutmut" run --max-children "${MUTATE_JOBS:-2}" "$names"
        done
        "$venv/bin/mutmut" results ;;  # the survivors; `mutmut show NAME` prints one's diff
    *)
        echo "usage: ./dev.sh demo|test|compare|mutate|labor|labor-desktop [args...]" >&2
        exit 2 ;;
esac
