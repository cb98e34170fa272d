"""Print the rooms of engine/ and gui/ and which rooms each one imports, read from the
code's imports: the picture in docs/architecture.md (paste its output there after a move).

A room is a sub-package (``engine/jobs/``); a layer's top modules split into its base
(those from which no sub-room can be reached through imports: the shared types and
settings every room may use) and the rest (the orchestration and the entry points, which
compose the rooms).  Rooms are listed from the top of the house down: each imports only
rooms printed below it.  Run: python docs/make_architecture.py
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "labor_desktop"
LAYERS = ("engine", "gui")


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """The package's modules that ``path`` imports (names without ``labor_desktop.``)."""
    own = module_name(path).split(".")
    package = own if path.name == "__init__.py" else own[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [
                (a.name.removeprefix("labor_desktop."), []) for a in node.names if a.name.startswith("labor_desktop.")
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("labor_desktop"):
                name = (node.module or "").removeprefix("labor_desktop").removeprefix(".")
            else:
                continue
            targets = [(name, [a.name for a in node.names])]
        else:
            continue
        for name, names in targets:
            subs = [f"{name}.{n}" for n in names if f"{name}.{n}" in MODULES]
            found.update(subs or [name])
    return found


def room_of(module: str, base: set[str]) -> str | None:
    parts = module.split(".")
    if parts[0] not in LAYERS:
        return None
    if len(parts) >= 3 or (len(parts) == 2 and (PKG / parts[0] / parts[1]).is_dir()):
        return f"{parts[0]}/{parts[1]}/"
    return f"{parts[0]}/ base" if module in base else f"{parts[0]}/"


def base_modules() -> set[str]:
    """Top modules of engine/ and gui/ (their __init__ included) that reach no sub-room."""
    graph = {m: imports(p) for m, p in MODULES.items()}

    def in_room(m: str) -> bool:
        return room_of(m, set()) not in (None, f"{m.split('.')[0]}/", f"{m.split('.')[0]}/ base")

    def reaches_room(m: str, seen: set[str]) -> bool:
        if in_room(m):
            return True
        seen.add(m)
        return any(
            reaches_room(t, seen) for t in graph.get(m, ()) if t.split(".")[0] == m.split(".")[0] and t not in seen
        )

    tops = [m for m in MODULES if m.split(".")[0] in LAYERS and not in_room(m)]
    return {m for m in tops if not reaches_room(m, set())}


def room_graph() -> dict[str, tuple[list[str], set[str]]]:
    """room -> (its modules, the rooms of the same layer it imports)."""
    base = base_modules()
    rooms: dict[str, tuple[list[str], set[str]]] = {}
    for m, p in sorted(MODULES.items()):
        r = room_of(m, base)
        if r is None:
            continue
        mods, uses = rooms.setdefault(r, ([], set()))
        mods.append(p.stem if p.name != "__init__.py" else "__init__")
        for t in imports(p):
            rt = room_of(t, base)
            if rt is not None and rt != r and rt.split("/")[0] == r.split("/")[0]:
                uses.add(rt)
    return rooms


def depth(room: str, rooms: dict[str, tuple[list[str], set[str]]]) -> int:
    uses = rooms[room][1]
    return 1 + max((depth(u, rooms) for u in uses), default=0)


def main() -> None:
    rooms = room_graph()
    for layer in LAYERS:
        print(f"{layer}/")
        mine = [r for r in rooms if r.startswith(f"{layer}/")]
        for r in sorted(mine, key=lambda r: (-depth(r, rooms), r)):
            mods, uses = rooms[r]
            shown = " ".join(m for m in mods if m != "__init__")
            print(f"  {r:<20} {shown}")
            print(f"  {'':<20}   -> {', '.join(sorted(uses)) if uses else '(nothing of its layer)'}")


if __name__ == "__main__":
    main()
