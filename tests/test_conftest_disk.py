"""The suite's disk check (tests/conftest.py): exactly ``NEEDS_FREE_GB`` free runs, a byte less
stops the run with one line naming the folder."""

import shutil
import types

import conftest
import pytest


def _session(folder):
    return types.SimpleNamespace(config=types.SimpleNamespace(option=types.SimpleNamespace(basetemp=str(folder))))


def test_the_disk_check_lets_exactly_enough_run_and_stops_a_byte_less(tmp_path, monkeypatch):
    need = int(conftest.NEEDS_FREE_GB * 1e9)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: types.SimpleNamespace(free=need))
    conftest.pytest_sessionstart(_session(tmp_path))  # exactly enough: nothing happens
    monkeypatch.setattr(shutil, "disk_usage", lambda p: types.SimpleNamespace(free=need - 1))
    with pytest.raises(pytest.exit.Exception, match=f"{tmp_path} has 5.0 GB free.*free some space") as e:
        conftest.pytest_sessionstart(_session(tmp_path))
    assert e.value.returncode == 3
