"""The mutation score per module from mutmut's results in ``mutants/`` (its ``.meta`` files), as
the Markdown table of docs/testing.md.  Not collected by pytest (no ``test_`` prefix).

    .venv/bin/python tests/mutmut_scores.py store labeling

Statuses are mutmut's own (``mutmut.stats.status_by_exit_code``); a timeout (a hang) and a
crash count as kills.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
KILLS = ("killed", "timeout", "segfault")
COLUMNS = ("killed", "timeout", "segfault", "survived", "no tests", "suspicious", "not checked")


def main() -> None:
    rooms = sys.argv[1:] or ["core", "store", "labeling"]
    print("| module | mutants | " + " | ".join(COLUMNS) + " | score |")
    print("|---|" + "---:|" * (len(COLUMNS) + 2))
    total: Counter[str] = Counter()
    for room in rooms:
        for meta in sorted((ROOT / "mutants" / "labor_desktop" / room).glob("*.py.meta")):
            codes = json.loads(meta.read_text())["exit_code_by_key"].values()
            c = Counter(status_by_exit_code[v] for v in codes)
            total += c
            print(row(f"{room}/{meta.name[: -len('.meta')]}", c))
    print(row("**all**", total))


def row(name: str, c: Counter[str]) -> str:
    run = sum(c.values()) - c["not checked"]
    score = f"{100 * sum(c[k] for k in KILLS) / run:.1f} %" if run else "-"
    cells = [c[k] for k in COLUMNS]
    return f"| {name} | {sum(c.values())} | " + " | ".join(map(str, cells)) + f" | {score} |"


if __name__ == "__main__":
    main()
