"""The HDF5 project store (no torch, no Qt)."""

from .project import Project, RepairReport, repair
from .schema import Effort, ImageEntry, JournalDamaged, ProjectError, ProjectSettings, SaveError

__all__ = [
    "Effort",
    "ImageEntry",
    "JournalDamaged",
    "Project",
    "ProjectError",
    "ProjectSettings",
    "RepairReport",
    "SaveError",
    "repair",
]
