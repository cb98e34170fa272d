"""The embedded two-domain benchmark: a source domain in the GTA5 layout and a
target domain (train + val) in the Cityscapes layout, labels as label ids, so
the demo and the benchmarks go through exactly the readers real data does.

Each image's random stream is seeded by (seed, domain, split, index): the same
arguments give byte-identical files, and growing a set keeps its first images.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from .classes import CLASS_NAMES, ID, ID_TO_TRAIN, IGNORE, NUM_CLASSES
from .demo_scene import paint_scene
from .demo_styles import DOMAINS, TARGET_STYLES, Domain
from .io import write_png

GENERATOR_VERSION = 1
# Rare classes get a guaranteed appearance once every FORCE_PERIOD images of a split,
# so every set of that size holds all 19 classes while staying rare overall.
FORCED = ("train", "motorcycle", "bicycle", "bus", "truck", "traffic light", "traffic sign", "wall", "fence", "rider")
FORCE_PERIOD = 25
CITIES = {"train": ("greyhaven", "millbrook", "eastwick"), "val": ("northgate", "riverton")}
DOMAIN_INDEX = {"source": 0, "target": 1}
SPLIT_INDEX = {"train": 0, "val": 1}


MIN_SIDE, MAX_SIDE, MAX_COUNT = 32, 4096, 100_000


@dataclass(frozen=True)
class DemoDataConfig:
    size: tuple[int, int] = (128, 256)  # (height, width)
    n_source: int = 300
    n_target: int = 200
    n_val: int = 60
    seed: int = 0
    target_style: str = "photo"  # "photo" (overcast day) or "night" (rain, headlights, reflections)

    def __post_init__(self) -> None:
        h, w = self.size
        if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
            raise ValueError(f"demo data size {h}x{w}: each side must be {MIN_SIDE}..{MAX_SIDE} pixels")
        for name, low in (("n_source", 1), ("n_target", 1), ("n_val", 0)):
            n = getattr(self, name)
            if not low <= n <= MAX_COUNT:
                raise ValueError(f"demo data {name} = {n}: must be {low}..{MAX_COUNT}")


def _texture_lut(domain: Domain) -> np.ndarray:
    lut = np.zeros(256, np.float32)
    for name, strength in domain.appearance.texture.items():
        lut[ID[name]] = strength
    return lut


_BANKS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _banks(h: int, w: int):
    """Grain and sensor-noise banks of twice the image size, and the vignette, made once
    per size from a fixed seed; each image takes its noise at a seeded random offset,
    which is what keeps the target look at generation speed."""
    if (h, w) not in _BANKS:
        rng = np.random.default_rng(12345)
        grain = cv2.GaussianBlur(rng.standard_normal((2 * h, 2 * w), dtype=np.float32), (0, 0), 0.8) * 1.8
        noise = rng.standard_normal((2 * h, 2 * w, 3), dtype=np.float32)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((yy - h / 2) / (h / 2)) ** 2 + ((xx - w / 2) / (w / 2)) ** 2
        _BANKS[(h, w)] = (grain, noise, r2)
    return _BANKS[(h, w)]


def render_look(img: np.ndarray, lab: np.ndarray, domain: Domain, rng: np.random.Generator) -> np.ndarray:
    """The domain's camera: texture, light, colour cast, vignette, blur, sensor noise."""
    app = domain.appearance
    h, w = lab.shape
    grain_bank, noise_bank, r2 = _banks(h, w)
    oy, ox = int(rng.integers(h)), int(rng.integers(w))
    gain = np.ones((h, w), np.float32)
    if app.texture:
        gain += _texture_lut(domain)[lab] * grain_bank[oy : oy + h, ox : ox + w]
    if app.light_gradient:
        coarse = rng.uniform(-0.5, 0.5, (3, 5)).astype(np.float32)
        gain *= 1.0 + app.light_gradient * cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    if app.vignette:
        gain *= 1.0 - app.vignette * 0.5 * r2
    out: np.ndarray = img.astype(np.float32) * gain[..., None]
    if app.night:
        out += _night_lights(lab, rng)
    out *= np.array(app.cast, np.float32) * rng.uniform(0.85, 1.1)
    if app.blur:
        out = cv2.GaussianBlur(out, (0, 0), app.blur)
    if app.noise:
        out += noise_bank[oy : oy + h, ox : ox + w] * app.noise
    return np.clip(out, 0, 255).astype(np.uint8)


def _night_lights(lab: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Additive light of a rainy night: a pair of headlights on each vehicle, a glow
    at the top of poles, and each light's streak reflected on the wet road below it."""
    h, w = lab.shape
    light = np.zeros((h, w), np.float32)
    road = (lab == ID["road"]).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sources: list[tuple[float, float, float, float]] = []  # (y, x, sigma, strength)
    vehicles = np.isin(lab, [ID["car"], ID["truck"], ID["bus"]]).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(vehicles, connectivity=8)
    for x0, y0, bw, bh, area in stats[1:n]:
        if area < 12:
            continue
        y = y0 + 0.72 * bh
        sigma = max(1.0, 0.07 * bw)
        for fx in (0.18, 0.82):
            sources.append((y, x0 + fx * bw, sigma, float(rng.uniform(180, 260))))
    poles = (lab == ID["pole"]).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(poles, connectivity=8)
    for x0, y0, bw, bh, _area in stats[1:n]:
        if bh > 0.08 * h:
            sources.append((float(y0), x0 + bw / 2, max(1.5, 0.012 * w), float(rng.uniform(120, 200))))
    for y, x, sigma, strength in sources[:60]:
        light += strength * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * sigma**2))
        below = np.clip(yy - y, 0, None)
        streak = np.exp(-((xx - x) ** 2) / (2 * (1.5 * sigma) ** 2)) * np.exp(-below / (0.25 * h)) * (yy > y)
        light += 0.45 * strength * streak * road
    return np.repeat(light[..., None], 3, axis=2) * np.array([1.0, 0.94, 0.8], np.float32)


def make_image(domain: str, split: str, index: int, size: tuple[int, int], seed: int, target_style: str = "photo"):
    """One (RGB image, label-id map) pair, a pure function of its arguments.  The
    target's ``target_style`` changes its look, not its scenes (same random stream)."""
    rng = np.random.default_rng([seed, DOMAIN_INDEX[domain], SPLIT_INDEX[split], index])
    slot = index % FORCE_PERIOD
    force = frozenset([FORCED[slot]]) if slot < len(FORCED) else frozenset()
    if target_style not in TARGET_STYLES:
        raise ValueError(f"unknown target style {target_style!r}; choose one of {', '.join(TARGET_STYLES)}")
    dom = TARGET_STYLES[target_style] if domain == "target" else DOMAINS[domain]
    img, lab = paint_scene(dom, size[0], size[1], rng, force)
    return render_look(img, lab, dom, rng), lab


def _target_name(split: str, index: int) -> tuple[str, str]:
    cities = CITIES[split]
    city = cities[index % len(cities)]
    return city, f"{city}_{index // len(cities):06d}_000019"


def generate_demo_data(
    out: str | Path, cfg: DemoDataConfig = DemoDataConfig(), progress: Callable[[str, int, int], None] | None = None
) -> dict:
    """Write the data set under ``out``: ``source/`` (GTA5 layout) and ``target/``
    (Cityscapes layout, train and val). Returns class pixel statistics."""
    out = Path(out)
    progress = progress or (lambda job, step, total: None)
    counts = {d: np.zeros(256, np.int64) for d in ("source", "target")}
    for i in range(cfg.n_source):
        img, lab = make_image("source", "train", i, cfg.size, cfg.seed)
        write_png(out / "source" / "images" / f"{i:05d}.png", img, rgb=True)
        write_png(out / "source" / "labels" / f"{i:05d}.png", lab)
        counts["source"] += np.bincount(lab.ravel(), minlength=256)
        progress("source", i + 1, cfg.n_source)
    for split, n in (("train", cfg.n_target), ("val", cfg.n_val)):
        for i in range(n):
            img, lab = make_image("target", split, i, cfg.size, cfg.seed, cfg.target_style)
            city, stem = _target_name(split, i)
            write_png(out / "target" / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", img, rgb=True)
            write_png(out / "target" / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png", lab)
            counts["target"] += np.bincount(lab.ravel(), minlength=256)
            progress(f"target {split}", i + 1, n)
    stats = {}
    for d, c in counts.items():
        train = np.bincount(ID_TO_TRAIN, weights=c, minlength=256)[:NUM_CLASSES]
        total = max(1, int(c.sum()))
        stats[d] = {name: round(float(v) / total, 5) for name, v in zip(CLASS_NAMES, train)}
        stats[d]["ignored"] = round(float(c[ID_TO_TRAIN == IGNORE].sum()) / total, 5)
    meta = {"generator_version": GENERATOR_VERSION, "config": asdict(cfg), "class_pixel_share": stats}
    (out / "demo-data.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta
