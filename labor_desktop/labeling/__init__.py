"""The Qt-free model of a labelling session: label edits with undo, the session's
state (stage, class, tool), each image's status and the point queue's order.  The
window is a view of it; everything here is tested without Qt (and without torch)."""

from ..store import UNLABELED
from .editing import Edit, LabelEditor, Rect
from .queue import QueueModel, unlabeled_points
from .session import SessionState, Tool
from .status import ImageStatus, image_status

__all__ = [
    "UNLABELED",
    "Edit",
    "ImageStatus",
    "LabelEditor",
    "QueueModel",
    "Rect",
    "SessionState",
    "Tool",
    "image_status",
    "unlabeled_points",
]
