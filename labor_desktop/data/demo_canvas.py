"""The demo scene's drawing primitives: a pinhole camera that projects points in metres
to pixels, and a canvas that draws every primitive into the picture and the label-id map
at once, so labels match pixels exactly."""

from __future__ import annotations

import cv2
import numpy as np

from .classes import ID
from .demo_styles import Domain, pick_color, rgb


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
