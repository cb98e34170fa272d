import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window remembers places and recent projects in the user's settings: never the tester's own.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="labor-test-config-")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """A small two-domain data set in the GTA5 / Cityscapes layouts, made once."""
    from labor_desktop.data.demo_generator import DemoDataConfig, generate_demo_data

    root = tmp_path_factory.mktemp("tiny-data")
    generate_demo_data(root, DemoDataConfig(size=(64, 128), n_source=12, n_target=8, n_val=4))
    return root


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
