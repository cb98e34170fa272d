"""Painting one street scene in perspective: a label-id map and its picture.

A pinhole camera looks down a straight street; the road, sidewalks, facades
with windows, walls, fences, terrain and the far skyline are planes in metres,
and poles with signs and lights, trees, people, cyclists and vehicles are objects
placed at depths and painted far to near, so nearer things occlude farther ones.
Every primitive is drawn into both maps at once, so labels match pixels exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .classes import ID
from .demo_styles import Domain, pick_color, rgb

RARE_VEHICLES = ("truck", "bus", "train")


class Camera:
    def __init__(self, h: int, w: int, horizon: float, height: float, focal: float, vx: float) -> None:
        self.f, self.yh, self.ch, self.vx = focal * w, horizon * h, height, vx

    def project(self, pts3) -> np.ndarray:
        """``[N, 2]`` pixel coordinates of ``[N, 3]`` points (X right, Y up, Z ahead; metres)."""
        p = np.asarray(pts3, dtype=np.float64).reshape(-1, 3)
        z = np.maximum(p[:, 2], 0.05)
        out = np.empty((len(p), 2))
        out[:, 0] = self.vx + self.f * p[:, 0] / z
        out[:, 1] = self.yh + self.f * (self.ch - p[:, 1]) / z
        return out

    def point(self, x: float, y: float, z: float) -> tuple[int, int]:
        z = max(z, 0.05)
        return int(round(self.vx + self.f * x / z)), int(round(self.yh + self.f * (self.ch - y) / z))

    def size(self, metres: float, z: float) -> float:
        return self.f * metres / max(z, 0.05)


class Canvas:
    def __init__(self, h: int, w: int, cam: Camera, domain: Domain, rng: np.random.Generator) -> None:
        self.img = np.zeros((h, w, 3), np.uint8)
        self.lab = np.zeros((h, w), np.uint8)
        self.cam, self.app, self.rng = cam, domain.appearance, rng

    def color(self, name: str, shade: float = 1.0) -> tuple[int, int, int]:
        return rgb(int(min(255, c * shade)) for c in pick_color(self.app, name, self.rng))

    def polys(self, polys2d, label: str, color) -> None:
        pts = [np.clip(np.round(p), -30000, 30000).astype(np.int32) for p in polys2d]
        cv2.fillPoly(self.img, pts, color)
        cv2.fillPoly(self.lab, pts, ID[label])

    def quads3(self, quads, label: str, color) -> None:
        """Fill 3-D polygons (all of one class and colour), projected in one go."""
        sizes = [len(q) for q in quads]
        flat = self.cam.project([p for q in quads for p in q])
        self.polys(np.split(flat, np.cumsum(sizes)[:-1]), label, color)

    def line3(self, a, b, width_m: float, label: str, color) -> None:
        t = max(1, int(round(self.cam.size(width_m, min(a[2], b[2])))))
        p0, p1 = self.cam.point(*a), self.cam.point(*b)
        cv2.line(self.img, p0, p1, color, t)
        cv2.line(self.lab, p0, p1, ID[label], t)

    def ellipse3(self, c, rx_m: float, ry_m: float, label: str, color, thickness: int = -1) -> None:
        centre = self.cam.point(*c)
        axes = (max(1, int(round(self.cam.size(rx_m, c[2])))), max(1, int(round(self.cam.size(ry_m, c[2])))))
        cv2.ellipse(self.img, centre, axes, 0, 0, 360, color, thickness)
        cv2.ellipse(self.lab, centre, axes, 0, 0, 360, ID[label], thickness)


def box_faces(x0, x1, y0, y1, z0, z1, side_x):
    """Near face and the street-facing side face of an axis-aligned box."""
    return [
        [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)],
        [(side_x, y0, z0), (side_x, y1, z0), (side_x, y1, z1), (side_x, y0, z1)],
    ]


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


def _traffic(cv: Canvas, rng, edge, off, road_w, g, objects, force) -> None:
    scale = rng.uniform(*g.object_scale)
    n_vehicles = int(rng.poisson(g.traffic))
    kinds = []
    for _ in range(n_vehicles):
        u = rng.random()
        kinds.append("train" if u < 0.015 else "bus" if u < 0.06 else "truck" if u < 0.12 else "car")
    for k in ("car", "truck", "bus", "train"):
        if k in force and k not in kinds:
            kinds.append(k)
    for kind in kinds:
        if kind == "train":
            x, z = off, rng.uniform(12, 40)
        else:
            lane = rng.choice([-0.75, -0.25, 0.25, 0.75, -0.95, 0.95])
            x, z = off + lane * road_w / 2, rng.uniform(5, 70)
        objects.append((z, lambda x=x, z=z, kind=kind: _vehicle(cv, rng, kind, x, z, scale)))
    for _ in range(int(rng.poisson(g.pedestrians))):
        s = -1 if rng.random() < 0.5 else 1
        x = edge[s] + s * rng.uniform(0.4, 2.5) if rng.random() < 0.85 else rng.uniform(edge[-1], edge[1])
        z = rng.uniform(4, 45)
        objects.append((z, lambda x=x, z=z: _person(cv, rng, x, z, 0.0, "person", scale)))
    cyclists = int(rng.poisson(0.5)) + (1 if ("bicycle" in force or "rider" in force) else 0)
    moto = int(rng.random() < 0.12) + (1 if "motorcycle" in force else 0)
    for kind in ["bicycle"] * cyclists + ["motorcycle"] * moto:
        x, z = rng.uniform(edge[-1] + 0.5, edge[1] - 0.5), rng.uniform(5, 40)
        objects.append((z, lambda x=x, z=z, kind=kind: _cyclist(cv, rng, kind, x, z, scale)))


def _vehicle(cv: Canvas, rng, kind, x, z, scale) -> None:
    w, hgt, length = {
        "car": (1.8, 1.5, 4.4),
        "truck": (2.4, 3.2, 7.5),
        "bus": (2.5, 3.1, 11.5),
        "train": (2.6, 3.5, 24.0),
    }[kind]
    w, hgt = w * scale, hgt * scale
    body = cv.color(kind)
    side_x = x - w / 2 if x > 0 else x + w / 2  # the side that faces the camera
    base = 0.3 if kind == "car" else 0.45
    near, side = box_faces(x - w / 2, x + w / 2, base, hgt if kind != "car" else hgt * 0.6, z, z + length, side_x)
    cv.quads3([side], kind, tuple(int(c * 0.8) for c in body))
    cv.quads3([near], kind, body)
    glass = cv.color("window")
    if kind == "car":
        top = hgt * 0.6
        cv.quads3(
            [
                [
                    (x - w * 0.42, top, z + 0.6),
                    (x + w * 0.42, top, z + 0.6),
                    (x + w * 0.36, hgt, z + 1.2),
                    (x - w * 0.36, hgt, z + 1.2),
                ]
            ],
            kind,
            tuple(int(c * 0.9) for c in body),
        )
        cv.quads3(
            [
                [
                    (x - w * 0.36, top + 0.05, z + 0.62),
                    (x + w * 0.36, top + 0.05, z + 0.62),
                    (x + w * 0.32, hgt - 0.08, z + 1.15),
                    (x - w * 0.32, hgt - 0.08, z + 1.15),
                ]
            ],
            kind,
            glass,
        )
    else:
        y0, y1 = hgt * 0.55, hgt * 0.85
        cv.quads3(
            [
                [
                    (side_x, y0, z + 0.5),
                    (side_x, y1, z + 0.5),
                    (side_x, y1, z + length - 0.5),
                    (side_x, y0, z + length - 0.5),
                ],
                [(x - w * 0.4, y0, z), (x + w * 0.4, y0, z), (x + w * 0.4, y1, z), (x - w * 0.4, y1, z)],
            ],
            kind,
            glass,
        )
    wheel = cv.color("wheel")
    for dx in (-w * 0.38, w * 0.38):
        cv.quads3(
            [
                [
                    (x + dx - 0.15, 0, z),
                    (x + dx + 0.15, 0, z),
                    (x + dx + 0.15, base + 0.1, z),
                    (x + dx - 0.15, base + 0.1, z),
                ]
            ],
            kind,
            wheel,
        )
    for dx in (-w * 0.42, w * 0.35):
        cv.quads3(
            [
                [
                    (x + dx, base + 0.35, z),
                    (x + dx + 0.12, base + 0.35, z),
                    (x + dx + 0.12, base + 0.5, z),
                    (x + dx, base + 0.5, z),
                ]
            ],
            kind,
            (200, 30, 30),
        )


def _person(cv: Canvas, rng, x, z, y0, label, scale, seated=False) -> None:
    hgt = rng.uniform(1.6, 1.9) * scale
    col, legs = cv.color(label), cv.color(label, 0.6)
    if not seated:
        for dx in (-0.1, 0.1):
            cv.line3((x + dx, y0, z), (x + dx * 0.6, y0 + hgt * 0.47, z), 0.14, label, legs)
    top = y0 + (hgt * 0.82 if not seated else hgt * 0.45)
    bot = y0 + (hgt * 0.47 if not seated else 0.0)
    cv.quads3([[(x - 0.2, bot, z), (x + 0.2, bot, z), (x + 0.22, top, z), (x - 0.22, top, z)]], label, col)
    cv.line3((x - 0.24, top - 0.05, z), (x - 0.28, bot + 0.05, z), 0.08, label, col)
    cv.line3((x + 0.24, top - 0.05, z), (x + 0.28, bot + 0.05, z), 0.08, label, col)
    cv.ellipse3((x, top + 0.12, z), 0.11, 0.13, label, cv.color("skin"))


def _cyclist(cv: Canvas, rng, kind, x, z, scale) -> None:
    r = (0.34 if kind == "bicycle" else 0.32) * scale
    col = cv.color(kind)
    thick = 0 if kind == "bicycle" else -1
    for dz in (0.0, 1.1):
        centre = cv.cam.point(x, r, z + dz)
        rad = max(1, int(round(cv.cam.size(r, z + dz))))
        t = -1 if thick < 0 else max(1, int(round(cv.cam.size(0.05, z))))
        cv2.circle(cv.img, centre, rad, col, t)
        cv2.circle(cv.lab, centre, rad, ID[kind], t)
    if kind == "motorcycle":
        cv.quads3(
            [[(x - 0.25, r * 0.8, z), (x + 0.25, r * 0.8, z), (x + 0.25, r * 2.4, z), (x - 0.25, r * 2.4, z)]],
            kind,
            col,
        )
    else:
        cv.line3((x, r, z), (x, r * 2.6, z + 0.4), 0.05, kind, col)
        cv.line3((x - 0.25, r * 2.6, z + 0.4), (x + 0.25, r * 2.6, z + 0.4), 0.04, kind, col)
    _person(cv, rng, x, z + 0.45, r * 1.8, "rider", scale * 0.9, seated=True)


def _ego_hood(cv: Canvas, rng) -> None:
    h, w = cv.lab.shape
    top = int(h * rng.uniform(0.86, 0.9))
    pts = np.array(
        [
            [-w * 0.1, h + 5],
            [w * 0.05, top + (h - top) * 0.35],
            [w * 0.5, top],
            [w * 0.95, top + (h - top) * 0.35],
            [w * 1.1, h + 5],
        ]
    )
    cv.polys([pts], "ego vehicle", cv.color("car", 0.6))
