"""The demo's 19 Cityscapes classes read into another class table, so the simulated
annotator can run a project of one's own classes (``labor simulate --classes FILE.toml``).

The remap is by name and written out here: a table's class named like one of the groups
below takes all of that group's Cityscapes classes; a class named like a Cityscapes class
takes that one; a Cityscapes class no class of the table takes is "not labelled" (255).
``resources/classes/demo-five.toml`` is the five-group table.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .class_table import ClassTable
from .classes import CLASS_NAMES, IGNORE
from .io import DataError
from .readers import Sample

# The five groups of the demo's 19 classes (Cityscapes' own categories, objects joined to
# construction and humans to vehicles): every Cityscapes class in exactly one group.
DEMO_GROUPS: dict[str, tuple[str, ...]] = {
    "flat": ("road", "sidewalk"),
    "construction": ("building", "wall", "fence", "pole", "traffic light", "traffic sign"),
    "nature": ("vegetation", "terrain"),
    "sky": ("sky",),
    "road user": ("person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"),
}


def cityscapes_remap(table: ClassTable) -> np.ndarray:
    """uint8 ``[256]``: a Cityscapes train id -> the table's class position (255: none).
    A class that is neither a group nor a Cityscapes class, or a Cityscapes class that two
    classes take, raises ``DataError`` naming the table and the class."""
    lut = np.full(256, IGNORE, np.uint8)
    taken: dict[str, str] = {}
    for k, name in enumerate(table.names):
        key = name.lower()
        members = DEMO_GROUPS.get(key) or ((key,) if key in CLASS_NAMES else None)
        if members is None:
            raise DataError(
                f"{table.source}: class {name!r} is no group of the demo's classes ({', '.join(DEMO_GROUPS)}) "
                "and no Cityscapes class; name each class after one of them to simulate on the demo data"
            )
        for member in members:
            if member in taken:
                raise DataError(f"{table.source}: classes {taken[member]!r} and {name!r} both take {member!r}")
            taken[member] = name
            lut[CLASS_NAMES.index(member)] = k
    return lut


def remapped(samples: list[Sample], lut: np.ndarray) -> list[Sample]:
    """The samples, their labels read through ``lut`` (``data.readers.read_sample_label``)."""
    table = tuple(int(v) for v in lut)
    return [replace(s, remap=table) for s in samples]
