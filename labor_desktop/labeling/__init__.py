"""The Qt-free model of a labelling session: label edits with undo, the session's
state (stage, class, tool), each image's status, the point queue's order and the
writer thread that saves edits.  The window is a view of it; everything here is
tested without Qt (and without torch)."""

from ..store import UNLABELED
from .editing import Edit, LabelEditor, Rect, region_top_classes
from .queue import QueueModel, unlabeled_points
from .session import SessionState, Tool
from .status import EditedImage, ImageStatus, StatusCache, image_status, prior_pixels, stage_counts
from .writer import LabelSave, SaveQueue, UnsureSave

__all__ = [
    "UNLABELED",
    "Edit",
    "EditedImage",
    "ImageStatus",
    "LabelEditor",
    "LabelSave",
    "QueueModel",
    "Rect",
    "SaveQueue",
    "SessionState",
    "StatusCache",
    "Tool",
    "UnsureSave",
    "image_status",
    "prior_pixels",
    "region_top_classes",
    "stage_counts",
    "unlabeled_points",
]
