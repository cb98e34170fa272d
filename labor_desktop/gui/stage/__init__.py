"""Ending a stage: the stage control and its bar."""
