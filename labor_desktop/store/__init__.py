"""The HDF5 project store (no torch, no Qt)."""

from .project import Project
from .schema import Effort, ImageEntry, ProjectError, ProjectSettings, SaveError

__all__ = ["Effort", "ImageEntry", "Project", "ProjectError", "ProjectSettings", "SaveError"]
