"""LabOR Desktop: label only the pixels a domain-adapted segmentation model is unsure about."""

from .cpu_share import passive_wait_policy

__version__ = "0.1.0"

# Before any of our modules imports torch (every entry point imports this package first):
# OpenMP reads its wait policy once, when torch loads it.
passive_wait_policy()
