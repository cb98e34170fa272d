"""The PyQt6 application: the only layer that imports Qt."""

TITLE = "LabOR Desktop"
