"""Painting one street scene in perspective: a label-id map and its picture.

A pinhole camera looks down a straight street; the road, sidewalks, facades
with windows, walls, fences, terrain and the far skyline are planes in metres,
and poles with signs and lights, trees, people, cyclists and vehicles are objects
placed at depths and painted far to near, so nearer things occlude farther ones.
Every primitive is drawn into both maps at once, so labels match pixels exactly.
This module lays out the street; ``demo_canvas`` holds the camera and the drawing
primitives, ``demo_traffic`` the vehicles, people and cyclists.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .classes import ID
from .demo_canvas import Camera, Canvas
from .demo_styles import Domain
from .demo_traffic import _ego_hood, _traffic

RARE_VEHICLES = ("truck", "bus", "train")


def paint_scene(domain: Domain, h: int, w: int, rng: np.random.Generator, force: frozenset[str] = frozenset()):
    g = domain.geometry
    cam = Camera(
        h,
        w,
        rng.uniform(*g.horizon),
        rng.uniform(*g.camera_height),
        g.focal * rng.uniform(0.92, 1.08),
        w * (0.5 + rng.uniform(-0.08, 0.08)),
    )
    cv = Canvas(h, w, cam, domain, rng)
    road_w = rng.uniform(*g.road_width)
    off = rng.uniform(-0.15, 0.15) * road_w
    walks = (rng.uniform(*g.sidewalk_width), rng.uniform(*g.sidewalk_width))
    edge = {-1: off - road_w / 2, 1: off + road_w / 2}  # road edges (metres, lateral)
    line = {s: edge[s] + s * walks[(s + 1) // 2] for s in (-1, 1)}  # building line
    far = 160.0
    cv.img[:] = cv.color("sky")
    cv.lab[:] = ID["sky"]
    _skyline(cv, rng, far, g.building_height)
    # ground: terrain everywhere, then road and sidewalks as planes to the far end
    cv.quads3([[(-300, 0, 1.0), (300, 0, 1.0), (300, 0, far), (-300, 0, far)]], "terrain", cv.color("terrain", 0.9))
    for s in (-1, 1):
        cv.quads3(
            [[(edge[s], 0, 0.5), (line[s] + s * 0.5, 0, 0.5), (line[s] + s * 0.5, 0, far), (edge[s], 0, far)]],
            "sidewalk",
            cv.color("sidewalk"),
        )
    cv.quads3(
        [[(edge[-1], 0, 0.5), (edge[1], 0, 0.5), (edge[1], 0, far), (edge[-1], 0, far)]], "road", cv.color("road")
    )
    _lane_marks(cv, off, far)
    objects: list[tuple[float, Callable[[], object]]] = []
    for s in (-1, 1):
        _side(cv, rng, s, edge[s], line[s], far, g.building_height, objects, force)
    _street_furniture(cv, rng, edge, objects, force)
    _traffic(cv, rng, edge, off, road_w, g, objects, force)
    for _, draw in sorted(objects, key=lambda o: -o[0]):
        draw()
    if g.ego_hood:
        _ego_hood(cv, rng)
    return cv.img, cv.lab


def _skyline(cv: Canvas, rng, z, heights) -> None:
    x = -120.0
    while x < 120:
        bw = rng.uniform(8, 25)
        if rng.random() < 0.25:
            cv.ellipse3(
                (x + bw / 2, rng.uniform(3, 7), z), bw / 2, rng.uniform(4, 8), "vegetation", cv.color("vegetation", 0.8)
            )
        else:
            hb = rng.uniform(heights[0], heights[1] * 1.6)
            cv.quads3(
                [[(x, -2, z), (x + bw, -2, z), (x + bw, hb, z), (x, hb, z)]], "building", cv.color("building", 0.85)
            )
        x += bw * rng.uniform(0.7, 1.2)


def _lane_marks(cv: Canvas, off, far) -> None:
    z, quads = 3.0, []
    while z < far * 0.5:
        quads.append([(off - 0.08, 0, z), (off + 0.08, 0, z), (off + 0.08, 0, z + 3), (off - 0.08, 0, z + 3)])
        z += 9.0
    cv.quads3(quads, "road", (235, 235, 225))


def _side(cv: Canvas, rng, s, edge, line, far, heights, objects, force) -> None:
    """Segments along one side of the street, far to near: buildings, walls, fences, green."""
    segments, z = [], 3.0
    kinds = ["building", "green", "wall", "fence", "open"]
    while z < far:
        length = rng.uniform(8, 30)
        kind = kinds[int(rng.choice(5, p=[0.62, 0.14, 0.08, 0.08, 0.08]))]
        segments.append((z, z + length, kind))
        z += length + (rng.uniform(2, 10) if rng.random() < 0.3 else 0)
    if "wall" in force:
        segments[min(1, len(segments) - 1)] = (*segments[min(1, len(segments) - 1)][:2], "wall")
    if "fence" in force:
        segments[0] = (*segments[0][:2], "fence")
    for z0, z1, kind in reversed(segments):
        x = line + s * rng.uniform(0.0, 1.5)
        if kind != "building":  # lawns behind walls and fences, grass verges in open stretches
            inner = x - s * (rng.uniform(0.5, 0.5 * abs(line - edge)) if kind in ("green", "open") else 0.0)
            cv.quads3(
                [[(inner, 0, z0), (x + s * 25, 0, z0), (x + s * 25, 0, z1), (inner, 0, z1)]],
                "terrain",
                cv.color("terrain"),
            )
        if kind == "building":
            _building(cv, rng, s, x, z0, z1, rng.uniform(*heights))
        elif kind == "wall":
            hw = rng.uniform(1.0, 2.6)
            cv.quads3([[(x, 0, z0), (x, hw, z0), (x, hw, z1), (x, 0, z1)]], "wall", cv.color("wall", 0.85))
            cv.quads3(
                [[(x, 0, z0), (x + s * 0.4, 0, z0), (x + s * 0.4, hw, z0), (x, hw, z0)]], "wall", cv.color("wall")
            )
            _trees_between(cv, rng, s, x + s * 3, z0, z1, objects)
        elif kind == "fence":
            _fence(cv, rng, x - s * 0.3, z0, z1, rng.uniform(1.0, 2.0))
            _trees_between(cv, rng, s, x + s * 4, z0, z1, objects)
        elif kind == "green":
            hh = rng.uniform(0.8, 2.0)
            col = cv.color("vegetation", 0.8)
            cv.quads3([[(x, 0, z0), (x, hh, z0), (x, hh, z1), (x, 0, z1)]], "vegetation", col)
            _trees_between(cv, rng, s, x + s * 1.5, z0, z1, objects)
        else:
            _trees_between(cv, rng, s, x + s * 6, z0, z1, objects)


def _building(cv: Canvas, rng, s, x, z0, z1, hb) -> None:
    facade = cv.color("building", 0.85)
    cv.quads3([[(x, 0, z0), (x, hb, z0), (x, hb, z1), (x, 0, z1)]], "building", facade)
    cv.quads3(
        [[(x, 0, z0), (x + s * 14, 0, z0), (x + s * 14, hb, z0), (x, hb, z0)]],
        "building",
        tuple(int(c * 1.12) if c < 228 else c for c in facade),
    )
    dark = cv.app.window_dark
    win = tuple(int(c * dark + wc * (1 - dark)) for c, wc in zip(facade, cv.app.palette["window"][0]))
    ww, wh, floor = rng.uniform(1.0, 1.6), rng.uniform(1.2, 1.8), rng.uniform(3.0, 3.6)
    quads = []
    y = floor + 0.9
    while y + wh < hb - 0.5:
        za = z0 + 1.0
        while za + ww < z1 - 0.5:
            quads.append([(x, y, za), (x, y + wh, za), (x, y + wh, za + ww), (x, y, za + ww)])
            za += ww + rng.uniform(1.0, 2.2)
        y += floor
    za = z0 + 1.5  # shop windows and doors at street level
    while za + 3 < z1:
        quads.append([(x, 0.2, za), (x, 2.4, za), (x, 2.4, za + 2.5), (x, 0.2, za + 2.5)])
        za += rng.uniform(4, 7)
    if quads:
        cv.quads3(quads, "building", win)


def _fence(cv: Canvas, rng, x, z0, z1, hf) -> None:
    col = cv.color("fence")
    cv.line3((x, hf, z0), (x, hf, z1), 0.08, "fence", col)
    cv.line3((x, hf * 0.5, z0), (x, hf * 0.5, z1), 0.06, "fence", col)
    z = z0
    while z < z1:
        cv.line3((x, 0, z), (x, hf, z), 0.1, "fence", col)
        cv.line3((x, 0, z), (x, hf, z + 1.2), 0.04, "fence", col)
        z += 1.2


def _trees_between(cv: Canvas, rng, s, x, z0, z1, objects) -> None:
    z = z0 + rng.uniform(0, 4)
    while z < z1:
        tx, radius, trunk = x + s * rng.uniform(0, 2), rng.uniform(1.5, 3.2), rng.uniform(2.5, 4.5)
        objects.append((z, lambda tx=tx, z=z, radius=radius, trunk=trunk: _tree(cv, tx, z, radius, trunk)))
        z += rng.uniform(5, 12)


def _tree(cv: Canvas, x, z, r, trunk) -> None:
    cv.line3((x, 0, z), (x, trunk + r * 0.5, z), 0.3, "vegetation", cv.color("vegetation", 0.45))
    col = cv.color("vegetation")
    for dx, dy, k in ((0, 0, 1.0), (-0.5, -0.3, 0.7), (0.55, -0.2, 0.75), (0.1, 0.5, 0.7)):
        cv.ellipse3((x + dx * r, trunk + r + dy * r, z), r * k, r * k * 0.9, "vegetation", col)


def _street_furniture(cv: Canvas, rng, edge, objects, force) -> None:
    n = int(rng.poisson(5)) + 1
    for i in range(n):
        s = -1 if rng.random() < 0.5 else 1
        x = edge[s] + s * 0.5
        z = rng.uniform(5, 70)
        kind = rng.choice(["pole", "sign", "light"], p=[0.35, 0.4, 0.25])
        if i == 0 and "traffic light" in force:
            kind = "light"
        elif i == 1 and "traffic sign" in force:
            kind = "sign"
        hp = rng.uniform(3.0, 7.5) if kind != "light" else rng.uniform(4.5, 6.5)
        objects.append((z, lambda x=x, z=z, hp=hp, kind=kind, s=s: _pole(cv, x, z, hp, kind, s)))


def _pole(cv: Canvas, x, z, hp, kind, s) -> None:
    rng = cv.rng
    cv.line3((x, 0, z), (x, hp, z), 0.16, "pole", cv.color("pole"))
    if kind == "sign":
        y = hp - 0.4
        col = cv.color("traffic sign")
        shape = rng.integers(3)
        if shape == 0:
            cv.ellipse3((x, y, z), 0.35, 0.35, "traffic sign", col)
            cv.ellipse3((x, y, z), 0.22, 0.22, "traffic sign", (240, 240, 240))
        else:
            q = [(x - 0.35, y - 0.3, z), (x + 0.35, y - 0.3, z), (x + 0.35, y + 0.3, z), (x - 0.35, y + 0.3, z)]
            if shape == 2:
                q = [(x - 0.4, y + 0.3, z), (x + 0.4, y + 0.3, z), (x, y - 0.35, z)]
            cv.quads3([q], "traffic sign", col)
    elif kind == "light":
        ax = x - s * rng.uniform(0, 3.5)  # some hang over the road on an arm
        if ax != x:
            cv.line3((x, hp, z), (ax, hp, z), 0.12, "pole", cv.color("pole"))
        box = cv.color("traffic light")
        cv.quads3(
            [[(ax - 0.18, hp - 1.0, z), (ax + 0.18, hp - 1.0, z), (ax + 0.18, hp, z), (ax - 0.18, hp, z)]],
            "traffic light",
            box,
        )
        lit = int(rng.integers(3))
        for k, c in enumerate([(230, 40, 30), (240, 190, 30), (40, 220, 90)]):
            cv.ellipse3(
                (ax, hp - 0.2 - 0.3 * k, z), 0.1, 0.1, "traffic light", c if k == lit else tuple(v // 4 for v in c)
            )
