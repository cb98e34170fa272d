"""Hand mutants of store/journal.py's framing and torn-tail rule (docs/testing.md): each is
applied, the store's fast tests run, the source restored.  Run from the checkout: python tests/hand_mutants_journal.py"""

import subprocess
import sys
from pathlib import Path

src = Path("labor_desktop/store/journal.py")
orig = src.read_text()
M = [
    ("if len(rest) < HEADER.size:", "if len(rest) <= HEADER.size:"),
    (
        "if magic != MAGIC or HEADER.size + length <= len(rest):",
        "if magic != MAGIC or HEADER.size + length < len(rest):",
    ),
    ("if magic != MAGIC or HEADER.size + length <= len(rest):", "if HEADER.size + length <= len(rest):"),
    (
        "if any(zlib.crc32(body[:end]) == crc for end in _part_ends(body)):",
        "if all(zlib.crc32(body[:end]) == crc for end in _part_ends(body)):",
    ),
    ("if any(zlib.crc32(body[:end]) == crc for end in _part_ends(body)):", "if zlib.crc32(body) == crc:"),
    ("    return not _shifted_payload(body)", "    return True"),
    (
        "    for start in range(1, min(SHIFT_LIMIT, len(body) - 4)):",
        "    for start in range(0, min(SHIFT_LIMIT, len(body) - 4)):",
    ),
    ("        if pos != len(body):\n            continue", "        if pos < len(body):\n            continue"),
    ('        if isinstance(header, dict) and "kind" in header:', "        if isinstance(header, dict):"),
    ('if len(head) < n or not n or head[:1] != b"{":', 'if len(head) < n or head[:1] != b"{":'),
    ("    ends, pos = [len(body)], 0", "    ends, pos = [], 0"),
    ("    while pos + 4 <= len(body):\n        pos += 4 +", "    while pos + 4 < len(body):\n        pos += 4 +"),
    ("        if pos > len(body):\n            break", "        if pos >= len(body):\n            break"),
    ('    if not rest.strip(b"\\0"):\n        return True', '    if not rest.strip(b"\\0"):\n        return False'),
    ("        return MAGIC.startswith(rest[:4])", "        return True"),
    ("    while pos + HEADER.size <= len(data):", "    while pos + HEADER.size < len(data):"),
    ("if magic != MAGIC or end > len(data) or zlib.crc32", "if magic != MAGIC or end >= len(data) or zlib.crc32"),
    ("            stretches += end < len(data)", "            stretches += end <= len(data)"),
    ("    stretches, q = 1, pos + 1", "    stretches, q = 1, pos"),
    (
        "    if not later and data.find(MAGIC, pos + 1) < 0 and _is_torn_tail(data[pos:]):",
        "    if not later and _is_torn_tail(data[pos:]):",
    ),
    (
        "    if not later and data.find(MAGIC, pos + 1) < 0 and _is_torn_tail(data[pos:]):",
        "    if data.find(MAGIC, pos + 1) < 0 and _is_torn_tail(data[pos:]):",
    ),
    ("            q = end + 1\n", "            q = end + 2\n"),
    (
        "        return self.damage is None and self.valid_end < self.file_size",
        "        return self.damage is None and self.valid_end <= self.file_size",
    ),
]
tests = sys.argv[1:] or [
    "tests/test_journal.py",
    "tests/test_store_fuzz.py",
    "tests/test_store_round2.py",
    "tests/test_store_round2_bounds.py",
    "tests/test_store_round2_contents.py",
    "tests/test_store_damage.py",
    "tests/test_store.py",
]
survived = []
try:
    for k, (a, b) in enumerate(M):
        assert orig.count(a) == 1, a
        src.write_text(orig.replace(a, b))
        r = subprocess.run(
            [
                ".venv/bin/python" if Path(".venv/bin/python").exists() else "/tmp/x/.venv/bin/python",
                "-m",
                "pytest",
                "-q",
                "-x",
                "-m",
                "not slow",
                "-p",
                "no:cacheprovider",
                *tests,
            ],
            capture_output=True,
            text=True,
            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        )
        killed = r.returncode != 0
        print(k, "killed" if killed else "SURVIVED", "|", b.strip()[:90], flush=True)
        if not killed:
            survived.append(k)
finally:
    src.write_text(orig)
print("survived:", survived)
