"""Entry script of the packaged application (PyInstaller runs this file)."""

import sys

from labor_desktop.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
