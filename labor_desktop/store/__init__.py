"""The HDF5 project store (no torch, no Qt)."""

from .codec import UNLABELED
from .project import Project
from .repair import RepairReport, repair
from .schema import Effort, ImageEntry, JournalDamaged, ProjectError, ProjectSettings, SaveError

__all__ = [
    "UNLABELED",
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
