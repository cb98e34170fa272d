"""One image through a saved model, and the paper's Fig. 6 panels built from it:
shared by ``labor compare``'s figure and the application's Fig. 6 view and
prediction layer."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ...core.checkpoint import load_model
from ...core.model import DeepLabV2, ModelConfig
from ...core.selection import entropy_score, ppl_points, top_share
from ...data.classes import colorize
from .runtime import Runtime
from .training import predict_probs


@lru_cache(maxsize=2)
def _model(path: str, cfg_items: tuple) -> DeepLabV2:
    return load_model(path, ModelConfig(**dict(cfg_items))).eval()


@torch.no_grad()
def predict_probs_image(
    checkpoint: str, cfg: ModelConfig, image: np.ndarray, input_size: tuple[int, int] | None = None
) -> torch.Tensor:
    """Softmax ``[K, H, W]`` at the image's resolution (CPU)."""
    model = _model(str(checkpoint), tuple(sorted(cfg.to_dict().items())))
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div(255)[None]
    if input_size is not None and tuple(x.shape[-2:]) != tuple(input_size):
        x = F.interpolate(x, size=input_size, mode="bilinear", align_corners=False)
    return predict_probs(model, x, image.shape[:2], Runtime(torch.device("cpu")))[0]


def selection_panels(
    image: np.ndarray,
    probs: torch.Tensor,
    mask: np.ndarray | None,
    points: np.ndarray,
    truth: np.ndarray | None,
    colors: np.ndarray | None = None,
) -> list[tuple[str, np.ndarray]]:
    """Fig. 6's panels as (title, RGB array): ground truth, an ENT selection with as many
    pixels as the mask, the SPL mask, the PPL points.  Without stored points, PPL's
    points are computed from the mask."""
    dim = (image * 0.45).astype(np.uint8)
    share = float(mask.mean()) if mask is not None and mask.any() else 0.01
    ent = top_share(entropy_score(probs), share).cpu().numpy()
    if truth is not None:
        panels = [("ground truth", _colorize(truth, colors))]
    else:  # never titled "ground truth" where none is shown
        panels = [("image (no ground truth shown)", dim.copy())]
    for title, sel in (("ENT selection", ent), ("SPL: inconsistency mask", mask)):
        p = dim.copy()
        if sel is not None:
            p[sel] = (255, 255, 255)
        panels.append((title, p))
    if not len(points) and mask is not None and mask.any():
        points = ppl_points(probs, torch.from_numpy(mask)).numpy()
    p = dim.copy()
    for y, x, _ in np.asarray(points).reshape(-1, 3).tolist():
        cv2.circle(p, (int(x), int(y)), max(2, image.shape[1] // 128), (255, 60, 60), -1)
    panels.append(("PPL: points", p))
    return panels


def _colorize(classes: np.ndarray, colors: np.ndarray | None) -> np.ndarray:
    """RGB of a class map in the project's colours (Cityscapes' when none are given)."""
    if colors is None:
        return colorize(classes)
    lut = np.zeros((256, 3), np.uint8)
    lut[: len(colors)] = colors
    return lut[classes]
