"""What moves in the demo scene: vehicles, pedestrians and cyclists placed on the road and
sidewalks (each queued at its depth, so ``paint_scene`` draws far to near), and the ego
car's hood.  Apart from the street itself because the road users are most of the
drawing code and change independently of the layout."""

from __future__ import annotations

import cv2
import numpy as np

from .classes import ID
from .demo_canvas import Canvas, box_faces


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
