"""The formats labels travel in: what ``labor export --format`` writes and ``labor import``
reads, one module per format; ``importing`` matches and applies what they read."""

EXPORT_FORMATS = ("cityscapes", "mask-png", "coco", "points")
IMPORT_FORMATS = ("cityscapes", "mask-png", "coco", "labelme")
