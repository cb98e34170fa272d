"""The HDF5 project store (no torch, no Qt)."""

from .codec import UNLABELED
from .project import Project
from .schema import Effort, ImageEntry, ProjectError, ProjectSettings, SaveError

__all__ = ["UNLABELED", "Effort", "ImageEntry", "Project", "ProjectError", "ProjectSettings", "SaveError"]
