"""The current model's probabilities for one image, for the application's
prediction layer and its Fig. 6 view."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ..core.checkpoint import load_model
from ..core.model import DeepLabV2, ModelConfig


@lru_cache(maxsize=2)
def _model(path: str, cfg_items: tuple) -> DeepLabV2:
    return load_model(path, ModelConfig(**dict(cfg_items))).eval()


@torch.no_grad()
def predict_probs_image(checkpoint: str, cfg: ModelConfig, image: np.ndarray,
                        input_size: tuple[int, int] | None = None) -> torch.Tensor:
    """Softmax ``[K, H, W]`` at the image's resolution (CPU)."""
    model = _model(str(checkpoint), tuple(sorted(cfg.to_dict().items())))
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div(255)[None]
    if input_size is not None and tuple(x.shape[-2:]) != tuple(input_size):
        x = F.interpolate(x, size=input_size, mode="bilinear", align_corners=False)
    logits = model(x)
    if logits.shape[-2:] != image.shape[:2]:
        logits = F.interpolate(logits, size=image.shape[:2], mode="bilinear", align_corners=False)
    return logits[0].softmax(0)
