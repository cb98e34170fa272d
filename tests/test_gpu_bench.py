"""bench/gpu.sh must run on a bare GPU machine: the machine's python3 with PYTHONPATH=.,
no install, no PyQt6.  On the CPU, the bench's --small path runs with PyQt6 made
unimportable, end to end, and writes its table."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(600)

NO_QT = r"""
import runpy, sys

class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "PyQt6":
            raise ImportError("PyQt6 is not installed on the GPU machine")
        return None

sys.meta_path.insert(0, NoQt())
sys.argv = ["bench/gpu.py", *sys.argv[1:]]
runpy.run_path("bench/gpu.py", run_name="__main__")
assert not [m for m in sys.modules if m.split(".")[0] == "PyQt6"]
"""


def test_the_gpu_bench_runs_without_qt_from_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", NO_QT, "--small", "--workers", "2", "--budget", "300", "--out", str(tmp_path / "gpu.md"),
         "--json", str(tmp_path / "gpu.json")],
        cwd=ROOT, env=dict(env, PYTHONPATH="."), capture_output=True, text=True, timeout=560,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    table = (tmp_path / "gpu.md").read_text()
    for row in (
        "training step, batch 2, float32",
        "selector Eq. 5 step (num_k 4), float32",
        "proposal pass per image",
        "write_proposals end to end, 2 loader processes",
        "retraining step fed by the loader, 2 processes",
        "stage advance in all",
    ):
        assert row in table, row
    assert "out of memory" not in table and (tmp_path / "gpu.json").exists()


def test_the_gpu_script_installs_nothing():
    script = (ROOT / "bench" / "gpu.sh").read_text()
    assert "pip install" not in script and "venv" not in script and "PYTHONPATH=." in script
    assert subprocess.run(["bash", "-n", str(ROOT / "bench" / "gpu.sh")]).returncode == 0
