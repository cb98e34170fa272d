"""Photometric and weather augmentation of source images (domain randomisation).

A model pre-trained on one rendered look learns its colours; the target domains differ in
palette, light, blur, noise, haze and darkness, not in what the classes are.  Randomising
those during pre-training makes the source model's features depend less on the look, so
the warm-up model starts from a real share of the supervised model's mIoU (issue 23).

Every draw comes from the caller's generator (``TrainSet`` seeds it by seed, epoch and
index), so an augmented sample is the same in any worker or process.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Photometric:
    """Each effect is applied with its probability ``p_*``; ranges are (low, high)."""

    p_color: float = 0.8  # brightness, contrast, saturation, hue, per-channel cast
    brightness: tuple[float, float] = (0.7, 1.3)
    contrast: tuple[float, float] = (0.6, 1.4)
    saturation: tuple[float, float] = (0.2, 1.3)
    hue: float = 0.08  # shift of up to this fraction of the hue circle, either way
    cast: float = 0.15  # per-channel gain in 1 +- cast
    p_gamma: float = 0.5
    gamma: tuple[float, float] = (0.6, 1.6)
    p_blur: float = 0.4
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    p_noise: float = 0.4
    noise_sigma: tuple[float, float] = (2.0, 12.0)  # on the 0-255 scale
    p_haze: float = 0.25
    haze: tuple[float, float] = (0.1, 0.5)  # blend towards a light grey airlight
    p_dark: float = 0.25
    dark: tuple[float, float] = (0.25, 0.6)  # brightness of a night-like darkening
    p_gray: float = 0.05

    def __post_init__(self) -> None:
        for name in ("p_color", "p_gamma", "p_blur", "p_noise", "p_haze", "p_dark", "p_gray"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"photometric {name} = {v}: must be a probability in [0, 1]")
        for name in ("brightness", "contrast", "saturation", "gamma", "blur_sigma", "noise_sigma", "haze", "dark"):
            lo, hi = getattr(self, name)
            if not 0.0 <= lo <= hi:
                raise ValueError(f"photometric {name} = ({lo}, {hi}): must be 0 <= low <= high")


def _hsv_shift(x: np.ndarray, hue: float, saturation: float) -> np.ndarray:
    """Hue rotation (fraction of the circle) and saturation scaling of float RGB in [0, 1]."""
    hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV)  # float32: H in [0, 360), S and V in [0, 1]
    hsv[..., 0] = np.mod(hsv[..., 0] + 360.0 * hue, 360.0)
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0.0, 1.0)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def photometric(image: np.ndarray, aug: Photometric, rng: np.random.Generator) -> np.ndarray:
    """``image``: uint8 RGB ``[H, W, 3]``; returns a new uint8 image.  The number of draws
    from ``rng`` does not depend on which effects fire, so a changed probability never
    shifts the other effects' draws."""
    u = rng.random(7)  # one decision per effect
    color = rng.uniform(size=4)
    cast = rng.uniform(-aug.cast, aug.cast, size=3)
    gamma, blur, noise_sigma, haze, dark = rng.random(5)
    noise_seed = int(rng.integers(0, 2**31))

    def pick(bounds: tuple[float, float], t: float) -> float:
        return bounds[0] + (bounds[1] - bounds[0]) * float(t)

    x = image.astype(np.float32) / 255.0
    if u[0] < aug.p_color:
        x = x * pick(aug.brightness, color[0])
        mean = float(x.mean())
        x = (x - mean) * pick(aug.contrast, color[1]) + mean
        x = np.clip(x * (1.0 + cast)[None, None, :].astype(np.float32), 0.0, 1.0)
        x = _hsv_shift(x, aug.hue * (2.0 * color[3] - 1.0), pick(aug.saturation, color[2]))
    if u[1] < aug.p_gamma:
        x = np.power(np.clip(x, 0.0, 1.0), pick(aug.gamma, gamma))
    if u[2] < aug.p_haze:
        a = pick(aug.haze, haze)
        x = (1.0 - a) * x + a * 0.8
    if u[3] < aug.p_dark:
        x = x * pick(aug.dark, dark)
    if u[4] < aug.p_blur:
        s = pick(aug.blur_sigma, blur)
        x = np.asarray(cv2.GaussianBlur(x, (0, 0), sigmaX=s, sigmaY=s), dtype=np.float32)
    if u[5] < aug.p_noise:
        sigma = pick(aug.noise_sigma, noise_sigma) / 255.0
        x = x + np.random.default_rng(noise_seed).normal(0.0, sigma, size=x.shape).astype(np.float32)
    if u[6] < aug.p_gray:
        g = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        x = np.repeat(g[..., None], 3, axis=2)
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
