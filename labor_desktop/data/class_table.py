"""A project's class table: the names the annotator picks from, their colours and
keys, and the value each class has in label PNGs (read and written), with the value
that means "not labelled".  Cityscapes' 19 train classes by default; or a TOML file:

    ignore_id = 255                  # "not labelled" in label PNGs (default 255)

    [[classes]]
    name = "road"
    color = [128, 64, 128]           # or "#804080"
    id = 7                           # its value in label PNGs (default: its position)
    key = "R"                        # optional; default 1-9, 0, Alt+1 ... Alt+9 by position

Inside the program a class is its position (0 ... K-1, 255 = unlabelled): the model's
output channel and the store's label value; ``ids`` translate at the file boundary.
The table is saved in the project (``to_dict``), so a project opens without its TOML.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .classes import CLASS_COLORS, CLASS_NAMES, IGNORE
from .io import DataError, IdMap

MAX_CLASSES = 254  # positions 0..253; 255 is the store's "unlabelled"
# Keys of the window's own commands (gui/keymap.py; a test keeps the two in step): a class
# key may not take one of them.
WINDOW_KEYS = frozenset({"A", "B", "E", "F", "M", "N", "P", "Q", "G"})
_KEY = re.compile(r"^(Alt\+)?[A-Z0-9]$")


def default_key(k: int) -> str:
    """The key of position ``k`` when the table names none: 1-9 and 0, then Alt+1 ... Alt+9."""
    if k < 10:
        return str((k + 1) % 10)
    return f"Alt+{k - 9}" if k < 19 else ""


@dataclass(frozen=True)
class ClassTable:
    names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]  # RGB
    ids: tuple[int, ...]  # each class's value in label PNGs
    keys: tuple[str, ...]  # resolved: every class's key, "" when none is left
    ignore_id: int = IGNORE
    source: str = "Cityscapes (19 classes)"  # where the table came from, for messages

    def __len__(self) -> int:
        return len(self.names)

    @property
    def colors_array(self) -> np.ndarray:
        return np.array(self.colors, np.uint8).reshape(-1, 3)

    @property
    def id_map(self) -> IdMap:
        """What ``read_label(kind="table")`` needs to read label PNGs in this table's ids."""
        return IdMap(self.ids, self.ignore_id)

    def class_to_id(self) -> np.ndarray:
        """256-entry lookup: class position -> label PNG value (255 -> ``ignore_id``)."""
        lut = np.full(256, self.ignore_id, np.uint8)
        lut[: len(self.ids)] = self.ids
        return lut

    def is_cityscapes(self) -> bool:
        """Cityscapes' 19 train classes at their train ids: the table the Cityscapes and
        GTA5 layouts' label ids can be read into."""
        return self.names == CLASS_NAMES and self.ids == tuple(range(len(CLASS_NAMES)))

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "colors": [list(c) for c in self.colors],
            "ids": list(self.ids),
            "keys": list(self.keys),
            "ignore_id": self.ignore_id,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ClassTable:
        """The table saved in a project (checked like a TOML file's)."""
        if not isinstance(d, dict):
            raise DataError(f"the saved class table is {type(d).__name__}, not a table")
        names = d.get("names")
        lists = {key: d.get(key) for key in ("names", "colors", "ids")}
        if d.get("keys") is not None:
            lists["keys"] = d["keys"]
        for key, value in lists.items():
            if not isinstance(value, list) or not isinstance(names, list) or len(value) != len(names):
                raise DataError(f"the saved class table's {key} must be a list with one entry per class")
        classes = [
            {"name": n, "color": c, "id": i, "key": k}
            for n, c, i, k in zip(d["names"], d["colors"], d["ids"], d.get("keys") or [""] * len(d["names"]))
        ]
        return _build(classes, d.get("ignore_id", IGNORE), str(d.get("source", "the project")), explicit_keys=True)

    @classmethod
    def cityscapes(cls) -> ClassTable:
        n = len(CLASS_NAMES)
        return cls(
            CLASS_NAMES,
            tuple(tuple(int(v) for v in c) for c in CLASS_COLORS.tolist()),  # type: ignore[misc]
            tuple(range(n)),
            tuple(default_key(k) for k in range(n)),
        )

    @classmethod
    def load(cls, path: str | Path) -> ClassTable:
        """A TOML class table; every problem raises ``DataError`` naming the file and the entry."""
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"{path}: class table not found; check the path (--classes)") from None
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not UTF-8 text (byte {e.start}); save the class table as UTF-8") from None
        except OSError as e:
            raise DataError(f"{path}: cannot be read ({e.strerror})") from None
        except tomllib.TOMLDecodeError as e:
            raise DataError(f"{path}: not valid TOML ({e})") from None
        unknown = sorted(set(doc) - {"classes", "ignore_id"})
        if unknown:
            raise DataError(f"{path}: unknown key(s) {unknown}; a class table has ignore_id and [[classes]]")
        classes = doc.get("classes")
        if not isinstance(classes, list) or not all(isinstance(c, dict) for c in classes):
            raise DataError(f'{path}: no [[classes]] entries; each class is a [[classes]] table with name = "..."')
        try:
            return _build(classes, doc.get("ignore_id", IGNORE), str(path), explicit_keys=False)
        except DataError as e:
            raise DataError(f"{path}: {e}") from None


def _color(value: object, where: str) -> tuple[int, int, int]:
    if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)
    if (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    ):
        return value[0], value[1], value[2]
    raise DataError(f'{where}: color = {value!r}; give [r, g, b] with values 0-255 or "#rrggbb"')


def _build(classes: list[dict], ignore_id: object, source: str, explicit_keys: bool) -> ClassTable:
    """``explicit_keys``: the keys are already resolved (a saved table), "" meaning none."""
    if not 2 <= len(classes) <= MAX_CLASSES:
        raise DataError(f"{len(classes)} classes; a class table has 2 to {MAX_CLASSES}")
    if not isinstance(ignore_id, int) or isinstance(ignore_id, bool) or not 0 <= ignore_id <= 255:
        raise DataError(f"ignore_id = {ignore_id!r}; must be an integer 0-255")
    names: list[str] = []
    colors: list[tuple[int, int, int]] = []
    ids: list[int] = []
    keys: list[str] = []
    for k, entry in enumerate(classes):
        where = f"class {k + 1}" + (f" ({entry['name']!r})" if isinstance(entry.get("name"), str) else "")
        unknown = sorted(set(entry) - {"name", "color", "id", "key"})
        if unknown:
            raise DataError(f"{where}: unknown key(s) {unknown}; a class has name, color, id and key")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise DataError(f'{where}: needs a name (name = "...")')
        if name.strip().lower() in (n.lower() for n in names):
            raise DataError(f"{where}: the name {name!r} is used twice")
        names.append(name.strip())
        if "color" not in entry:
            raise DataError(f'{where}: needs a color ([r, g, b] or "#rrggbb")')
        colors.append(_color(entry["color"], where))
        value = entry.get("id", k)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
            raise DataError(f"{where}: id = {value!r}; must be an integer 0-255 (its value in label PNGs)")
        if value == ignore_id:
            raise DataError(f"{where}: id = {value} is the ignore_id (not labelled); give the class another id")
        if value in ids:
            raise DataError(f"{where}: id = {value} is also class {ids.index(value) + 1}'s id")
        ids.append(value)
        key = entry.get("key", "")
        if not isinstance(key, str):
            raise DataError(f'{where}: key = {key!r}; give one letter or digit, e.g. key = "R"')
        key = key.strip()
        key = ("Alt+" + key[4:].upper()) if key.lower().startswith("alt+") else key.upper()
        if key and not _KEY.match(key):
            raise DataError(f"{where}: key = {entry['key']!r}; give one letter or digit, or Alt+ one of them")
        if key in WINDOW_KEYS:
            raise DataError(
                f"{where}: key {key!r} is the window's own key for a tool or command; "
                f"choose another (taken: {', '.join(sorted(WINDOW_KEYS))})"
            )
        if key and key in keys:
            raise DataError(f"{where}: key {key!r} is also class {keys.index(key) + 1}'s key")
        keys.append(key)
    if not explicit_keys:  # classes without a key get the default keys nobody took, in order
        free = iter(k for k in (default_key(j) for j in range(19)) if k not in keys)
        keys = [key or next(free, "") for key in keys]
    return ClassTable(tuple(names), tuple(colors), tuple(ids), tuple(keys), ignore_id, source)


def table_from_settings(classes: list[str], colors: list[list[int]], saved: dict | None) -> ClassTable:
    """A project's table: the one saved with it, else (projects made before tables were
    saved) its class names at their positions, as Cityscapes' default table is."""
    if saved:
        return ClassTable.from_dict(saved)
    n = len(classes)
    return ClassTable(
        tuple(classes),
        tuple(tuple(c) for c in colors),  # type: ignore[misc]
        tuple(range(n)),
        tuple(default_key(k) for k in range(n)),
    )


# ---- the demo's 19 classes read into a table of one's own (``labor simulate --classes``) ----
# By name, written out: a table's class named like one of the groups below takes all of that
# group's Cityscapes classes; a class named like a Cityscapes class takes that one; a
# Cityscapes class no class of the table takes is "not labelled" (255).
# ``resources/classes/demo-five.toml`` is the five-group table.
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
