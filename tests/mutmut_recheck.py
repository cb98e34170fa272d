"""Re-check mutmut survivors against new tests without a whole mutmut run: apply each named
mutant (its ``mutmut show`` diff; methods are shown dedented) to a scratch copy of the
working tree, run the given tests there, and print KILLED or SURVIVED.  Not collected by
pytest (no ``test_`` prefix).  docs/testing.md, "Mutation testing".

    .venv/bin/python tests/mutmut_recheck.py --tests tests/test_labeling_boundaries.py -- NAME...
    .venv/bin/python tests/mutmut_recheck.py --tests tests/test_x.py --survivors   # every survivor
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def mutmut(*args: str) -> str:
    exe = Path(sys.executable).with_name("mutmut")
    return subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True, timeout=300).stdout


def swap(diff: str, tree: Path, reverse: bool = False) -> bool:
    """Find the hunk's old lines in its file (compared without indentation: methods are shown
    dedented, their docstrings' inner lines not) and put the new ones there, indented as the
    lines they replace."""
    lines = diff.splitlines()
    start = next((k for k, line in enumerate(lines) if line.startswith("--- ")), None)
    if start is None:
        return False
    path = tree / lines[start][4:].split("\t")[0]
    flip = {"-": "+", "+": "-", " ": " "}
    body = [(flip[ln[:1]] if reverse else ln[:1], ln[1:]) for ln in lines[start + 2 :] if ln[:1] in flip]
    old = [text for tag, text in body if tag in " -"]
    src = path.read_text().split("\n")
    hits = [
        i for i in range(len(src) - len(old) + 1) if all(src[i + j].strip() == old[j].strip() for j in range(len(old)))
    ]
    if len(hits) != 1 or not any(text.strip() for text in old):
        return False
    i = hits[0]
    j0 = next(j for j, text in enumerate(old) if text.strip())
    shift = len(src[i + j0]) - len(src[i + j0].lstrip()) - (len(old[j0]) - len(old[j0].lstrip()))
    out, k = [], i
    for tag, text in body:
        if tag == " ":
            out.append(src[k])
            k += 1
        elif tag == "-":
            k += 1
        else:
            out.append(" " * shift + text if text else text)
    src[i:k] = out
    path.write_text("\n".join(src))
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", nargs="+", required=True, help="test files or node ids to run against each mutant")
    ap.add_argument("--survivors", action="store_true", help="every mutant `mutmut results` lists as survived")
    ap.add_argument("--timeout", type=float, default=300, help="seconds before a run counts as hung (killed)")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = list(args.names)
    if args.survivors:
        names += [line.split(":")[0].strip() for line in mutmut("results").splitlines() if line.endswith(": survived")]
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch)
        for part in ("labor_desktop", "tests", "pyproject.toml"):
            (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, tree / part)
        env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen"}
        for name in names:
            diff = mutmut("show", name)
            if not swap(diff, tree):
                print(f"NOT APPLIED {name}", flush=True)
                continue
            cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", *args.tests]
            try:  # a hang is a kill, as mutmut counts its timeouts
                ran = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, timeout=args.timeout)
                verdict = "SURVIVED" if ran.returncode == 0 else "KILLED"
            except subprocess.TimeoutExpired:
                verdict = "KILLED (timeout)"
            print(f"{verdict} {name}", flush=True)
            swap(diff, tree, reverse=True)


if __name__ == "__main__":
    main()
