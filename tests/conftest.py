import atexit
import os
import shutil
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window remembers places and recent projects in the user's settings: never the tester's own.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="labor-test-config-")
atexit.register(shutil.rmtree, os.environ["XDG_CONFIG_HOME"], True)

from labor_desktop.cpu_share import passive_wait_policy  # noqa: E402

passive_wait_policy()  # before torch loads OpenMP: its threads wait passively, as in the program

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
# The same count in every job and child process, whatever the load: a run resumed in a child
# must end where the uninterrupted one did (other thread counts sum floats in another order).
os.environ.setdefault("LABOR_THREADS", str(torch.get_num_threads()))

# The most the suite holds on disk at once (4.3 GB measured, docs/testing.md), with a margin.
NEEDS_FREE_GB = 5.0


def pytest_sessionstart(session):
    """A full disk made a whole CI run fail as 260 unrelated errors: say so in one line instead."""
    base = session.config.option.basetemp or tempfile.gettempdir()
    probe = base if os.path.isdir(base) else os.path.dirname(os.path.abspath(base))
    free_gb = shutil.disk_usage(probe).free / 1e9
    if free_gb < NEEDS_FREE_GB:
        pytest.exit(
            f"{probe} has {free_gb:.1f} GB free; the suite needs about {NEEDS_FREE_GB:.0f} GB "
            "for its models and projects: free some space (old /tmp/pytest-of-* folders) or "
            "run with --basetemp on a larger disk",
            returncode=3,
        )


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """A small two-domain data set in the GTA5 / Cityscapes layouts, made once."""
    from labor_desktop.data.demo_generator import generate_demo_data
    from labor_desktop.engine.workflow import SMOKE_DEMO_DATA  # the smoke preset's first run makes the same

    root = tmp_path_factory.mktemp("tiny-data")
    generate_demo_data(root, SMOKE_DEMO_DATA)
    return root


@pytest.fixture(autouse=True)
def _remove_window_copies():
    """Torn down after the test's own fixtures (it is set up first): the window is closed."""
    yield
    support = sys.modules.get("gui_support")
    while support is not None and support.COPIES:
        shutil.rmtree(support.COPIES.pop(), ignore_errors=True)


@pytest.fixture(autouse=True)
def _delete_closed_widgets():
    """pytest-qt closes a test's widgets and asks Qt to delete them later, but "later" is an
    event loop at the top level, which no test runs: a closed window lived on until Python's
    collector took it apart, at a moment nobody chose (issue 21: a window's timer then fired
    into a lambda the collector had cleared, a segfault in a later test). Delete them here, as
    the program's own event loop does after a close."""
    yield
    widgets = sys.modules.get("PyQt6.QtWidgets")
    if widgets is not None and widgets.QApplication.instance() is not None:
        from PyQt6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
