"""Torch datasets over reader samples: random scale/crop/flip for training, a
deterministic resize for evaluation with labels kept at full resolution (the
evaluator upsamples predictions to them, as the Cityscapes protocol requires).

Randomness comes from a generator seeded by (seed, epoch, index), so a sample's
augmentation is the same whatever worker or process loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .classes import IGNORE
from .io import check_same_size, read_image
from .photometric import Photometric, photometric
from .readers import Sample, read_sample_label


@dataclass(frozen=True)
class TrainAugment:
    """Sizes are (height, width)."""

    crop: tuple[int, int] = (512, 1024)
    base_size: tuple[int, int] | None = None  # resize every image to this first (GTA5: 720x1280)
    scale: tuple[float, float] = (0.5, 1.5)
    flip: bool = True
    photometric: Photometric | None = None  # colour/weather randomisation (source pre-training)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """uint8 ``[H, W, 3]`` RGB to float ``[3, H, W]`` in [0, 1] (the model normalises)."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)


def load_pair(sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """Image and train-id label (all 255 when the sample is unlabeled)."""
    image = read_image(sample.image)
    if sample.label is None:
        return image, np.full(image.shape[:2], IGNORE, dtype=np.uint8)
    label = read_sample_label(sample)
    check_same_size(image, label, sample.image, sample.label)
    return image, label


def rare_class_weights(labels: Iterable[np.ndarray], temperature: float, min_share: float = 1e-3) -> np.ndarray:
    """DAFormer's rare-class sampling as one weight per image: a class ``c`` is drawn with
    P(c) proportional to exp((1 - f_c) / T), where f_c is its share of all labeled pixels,
    then an image uniformly among the ``n_c`` that hold it on at least ``min_share`` of
    their labeled pixels; so image i is drawn with sum over its classes of P(c) / n_c.
    A frequent-class-only image is still drawn, rarely: the source's rare classes (poles,
    signs, riders) are what a model fails on first across a domain gap."""
    counts, present = [], []
    for label in labels:
        hist = np.bincount(label[label != IGNORE].ravel(), minlength=IGNORE)[:IGNORE].astype(np.float64)
        counts.append(hist)
        present.append(hist >= max(1.0, min_share * hist.sum()))  # no labeled pixel: present nowhere
    if not counts:
        raise ValueError("no images to weight")
    total, holds = np.sum(counts, axis=0), np.array(present)
    n_c = holds.sum(axis=0)
    seen = n_c > 0
    if not seen.any():
        raise ValueError("no labeled pixel in any image: rare-class sampling needs labels")
    logits = np.where(seen, (1.0 - total / total.sum()) / temperature, -np.inf)
    p_c = np.exp(logits - logits[seen].max())
    p_c /= p_c.sum()
    per_image = np.where(seen, p_c / np.maximum(n_c, 1), 0.0)
    return holds.astype(np.float64) @ per_image


def _resize_image(image: np.ndarray, h: int, w: int) -> np.ndarray:
    if image.shape[:2] == (h, w):
        return image
    shrink = h * w < image.shape[0] * image.shape[1]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def resize_sparse_labels(label: np.ndarray, h: int, w: int) -> np.ndarray:
    """Resize a sparse label map so that no labeled pixel is lost.

    Nearest-neighbour sampling keeps a lone labeled pixel (a PPL point) with a
    probability of only (h*w)/(H*W) when shrinking; here every labeled pixel is
    scattered to its target cell instead.  Enlarging uses nearest neighbour, which
    keeps every pixel anyway."""
    H, W = label.shape
    if (H, W) == (h, w):
        return label
    if h * w >= H * W:
        return cv2.resize(label, (w, h), interpolation=cv2.INTER_NEAREST)
    out = cv2.resize(label, (w, h), interpolation=cv2.INTER_NEAREST)
    ys, xs = np.nonzero(label != IGNORE)
    out[np.minimum(ys * h // H, h - 1), np.minimum(xs * w // W, w - 1)] = label[ys, xs]
    return out


def _resize(
    image: np.ndarray, label: np.ndarray, h: int, w: int, sparse: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    if image.shape[:2] == (h, w):
        return image, label
    resized = (
        resize_sparse_labels(label, h, w) if sparse else cv2.resize(label, (w, h), interpolation=cv2.INTER_NEAREST)
    )
    return _resize_image(image, h, w), resized


def augment_pair(
    image: np.ndarray, label: np.ndarray, aug: TrainAugment, rng: np.random.Generator, sparse: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Base resize, random scale, crop (padding with ignore), flip, then the photometric
    randomisation if any; ``sparse`` keeps every labeled pixel through the resizes."""
    if aug.base_size is not None:
        image, label = _resize(image, label, *aug.base_size, sparse=sparse)
    s = rng.uniform(*aug.scale)
    h, w = max(1, round(image.shape[0] * s)), max(1, round(image.shape[1] * s))
    image, label = _resize(image, label, h, w, sparse=sparse)
    ch, cw = aug.crop
    ph, pw = max(0, ch - h), max(0, cw - w)
    if ph or pw:  # pad small images: black pixels, ignored labels
        image = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        label = cv2.copyMakeBorder(label, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=IGNORE)
    y = int(rng.integers(0, image.shape[0] - ch + 1))
    x = int(rng.integers(0, image.shape[1] - cw + 1))
    image, label = image[y : y + ch, x : x + cw], label[y : y + ch, x : x + cw]
    if aug.flip and rng.random() < 0.5:
        image, label = image[:, ::-1], label[:, ::-1]
    if aug.photometric is not None:
        image = photometric(np.ascontiguousarray(image), aug.photometric, rng)
    return to_tensor(image), torch.from_numpy(np.ascontiguousarray(label)).long()


class TrainSet(Dataset):
    """Items: ``(image [3, h, w] float, label [h, w] long, index)`` at the crop size.

    ``labels`` replaces the label files by maps held in memory (the annotator's
    labels from the project store, keyed by sample index); such maps are sparse,
    so they are resized without losing labeled pixels."""

    def __init__(
        self,
        samples: Sequence[Sample],
        augment: TrainAugment = TrainAugment(),
        seed: int = 0,
        labels: Mapping[int, np.ndarray] | None = None,
        weights: Sequence[float] | None = None,
    ) -> None:
        self.samples = list(samples)
        if weights is not None and len(weights) != len(self.samples):
            raise ValueError(f"{len(weights)} sampling weights for {len(self.samples)} images")
        self.weights = weights  # None: every image once per epoch; else drawn in proportion
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.labels = labels

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, key):
        """``key``: an index (augmented for the current epoch) or ``(epoch, index)``."""
        epoch, index = key if isinstance(key, tuple) else (self.epoch, key)
        rng = np.random.default_rng([self.seed, epoch, index])
        if self.labels is None:
            image, label = load_pair(self.samples[index])
        else:
            image = read_image(self.samples[index].image)
            stored = self.labels.get(index)
            label = np.full(image.shape[:2], IGNORE, dtype=np.uint8) if stored is None else stored
            check_same_size(image, label, self.samples[index].image, "the project's labels")
        image_t, label_t = augment_pair(image, label, self.augment, rng, sparse=self.labels is not None)
        return image_t, label_t, index


class EvalSet(Dataset):
    """Items: ``(image [3, H', W'] float at ``size``, label [H, W] long at full resolution, index)``."""

    def __init__(self, samples: Sequence[Sample], size: tuple[int, int] | None = None) -> None:
        self.samples = list(samples)
        self.size = size

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        image, label = load_pair(self.samples[index])
        if self.size is not None:
            image = _resize_image(image, *self.size)
        return to_tensor(image), torch.from_numpy(label).long(), index
