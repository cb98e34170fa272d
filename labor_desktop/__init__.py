"""LabOR Desktop: label only the pixels a domain-adapted segmentation model is unsure about."""

__version__ = "0.1.0"
