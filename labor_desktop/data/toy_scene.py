"""A tiny drawn street scene: a real (non-random) input for the core's self-check
and tests, until the two-domain demo generator exists.

Labels are Cityscapes train ids (0 road, 2 building, 8 vegetation, 10 sky, 13 car).
"""

import cv2
import numpy as np
import torch

TRAIN_IDS = {0: "road", 2: "building", 8: "vegetation", 10: "sky", 13: "car"}


def street_scene(h=64, w=128, seed=0):
    """RGB float [3, H, W] in [0, 1] and train-id labels [H, W]: sky, building, road, car, vegetation."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    lab = np.zeros((h, w), np.uint8)
    horizon = int(h * rng.uniform(0.4, 0.55))
    img[:horizon] = (200, 220, 250)
    lab[:horizon] = 10  # sky
    img[horizon:] = (90, 90, 95)
    lab[horizon:] = 0  # road
    x = 0
    while x < w:
        bw = int(rng.integers(w // 8, w // 4))
        top = int(rng.integers(2, horizon - 4))
        color = tuple(int(c) for c in rng.integers(80, 200, 3))
        cv2.rectangle(img, (x, top), (x + bw, horizon), color, -1)
        lab[top:horizon + 1, x:x + bw + 1] = 2  # building
        x += bw + int(rng.integers(2, 8))
    tree_x = int(rng.integers(0, w - 20))
    cv2.circle(img, (tree_x + 10, horizon - 6), 9, (40, 140, 50), -1)
    cv2.circle(lab, (tree_x + 10, horizon - 6), 9, 8, -1)  # vegetation
    cx = int(rng.integers(0, w - 30))
    cv2.rectangle(img, (cx, horizon + 4), (cx + 28, horizon + 16), (180, 30, 30), -1)
    lab[horizon + 4:horizon + 17, cx:cx + 29] = 13  # car
    img = np.clip(img.astype(np.float32) + rng.normal(0, 6, img.shape), 0, 255)
    return torch.from_numpy(img / 255.0).permute(2, 0, 1).float(), torch.from_numpy(lab.astype(np.int64))


def scene_batch(n=2, h=64, w=128, seed=0):
    pairs = [street_scene(h, w, seed + i) for i in range(n)]
    return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
