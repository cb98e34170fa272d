"""The proposal pass (Algorithm 1, lines d-e): for every image of the pool, the
main model's probabilities and the selector's two heads at the image's full
resolution, the strategy's proposal, written to the project store.

What the store's proposal means follows ``label_unit``: for pixel strategies its
mask is the region to label; for point strategies the points are to be labeled
and the mask (the inconsistency mask, where there is one) is context for the
annotator; for region strategies the mask is the union of the asked superpixels and the
points one pixel of each (a click each).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F

from ...core.model import DeepLabV2, PixelSelector
from ...core.selection import CapPick
from ...core.strategies import Budget, get_strategy, label_unit, propose
from ...core.superpixels import superpixels
from ...data.datasets import EvalSet
from ...data.io import read_image
from ...data.readers import Sample
from ...store import Project
from .runtime import Runtime
from .training import Progress, StepClock, in_order, predict_probs


class Revealed:
    """Per image, the pixels the annotator was asked for in stages 1..``upto`` (a union:
    overlap across stages counts once), kept compact: the indices of the asked pixels (a
    point's few), or the mask's bits packed when it is large, so a Cityscapes-sized pool
    holds kilobytes per image rather than a 2 MB mask each."""

    def __init__(self, upto: int, unit: str) -> None:
        self.upto, self.unit = upto, unit
        self._images: dict[int, tuple[tuple[int, int], np.ndarray, bool]] = {}  # i -> (shape, data, packed)
        self.pixels = 0  # asked pixels over all images
        self.points_proposed = 0  # proposed points of those stages, repeats counted

    def add(self, i: int, asked: np.ndarray) -> None:
        n = int(np.count_nonzero(asked))
        if not n:
            return
        self.pixels += n
        packed = n * 4 > asked.size // 8
        data = np.packbits(asked.ravel()) if packed else np.flatnonzero(asked).astype(np.int32)
        self._images[i] = (asked.shape, data, packed)

    def __contains__(self, i: int) -> bool:
        return i in self._images

    def indices(self, i: int) -> np.ndarray:
        """Flat indices of image ``i``'s asked pixels (none: empty)."""
        if i not in self._images:
            return np.zeros(0, np.int32)
        shape, data, packed = self._images[i]
        return np.flatnonzero(np.unpackbits(data, count=shape[0] * shape[1])) if packed else data

    def get(self, i: int) -> np.ndarray | None:
        """Image ``i``'s asked pixels as a mask (None: none asked)."""
        if i not in self._images:
            return None
        shape, data, packed = self._images[i]
        if packed:
            return np.unpackbits(data, count=shape[0] * shape[1]).reshape(shape).astype(bool)
        mask = np.zeros(shape[0] * shape[1], bool)
        mask[data] = True
        return mask.reshape(shape)


def revealed_masks(project: Project, upto_stage: int, unit: str) -> Revealed:
    """What the annotator was asked for in stages 1..``upto_stage``: each proposal read once."""
    out = Revealed(upto_stage, unit)
    stages = [s for s in project.proposal_stages() if 1 <= s <= upto_stage]
    for i, entry in enumerate(project.images):
        asked = np.zeros((entry.height, entry.width), bool)
        for s in stages:
            mask, points = project.proposal(s, i)
            asked |= asked_pixels(mask, points, unit, asked.shape)
            out.points_proposed += len(points) if unit in ("points", "regions") else 0
        out.add(i, asked)
    return out


OnProposal = Callable[[int, "np.ndarray | None", np.ndarray], None]


def asked_pixels(mask: np.ndarray | None, points: np.ndarray, unit: str, shape: tuple[int, int]) -> np.ndarray:
    """The pixels a proposal asks the annotator to label."""
    asked = np.zeros(shape, bool)
    if unit in ("pixels", "all", "regions") and mask is not None:
        asked |= mask
    elif unit == "points" and len(points):
        asked[points[:, 0], points[:, 1]] = True
    return asked


@lru_cache(maxsize=4)
def _superpixels_cached(path: str, mtime_ns: int, region_size: int) -> np.ndarray:
    sp = superpixels(read_image(path), region_size)
    sp.flags.writeable = False  # shared by every caller of the cache
    return sp


def image_superpixels(path: str | Path, region_size: int, shape: tuple[int, int]) -> np.ndarray:
    """The superpixels of a project's image, recomputed (deterministic, ~60 ms at 1024x2048)
    rather than stored; the last few are cached for the annotator that follows the proposals."""
    path = Path(path)
    sp = _superpixels_cached(str(path), path.stat().st_mtime_ns, int(region_size))
    if sp.shape != tuple(shape):
        raise ValueError(
            f"{path}: the image is {sp.shape[1]}x{sp.shape[0]}, the project says {shape[1]}x{shape[0]}; "
            "the file changed since the project was made: put the original back"
        )
    return sp


def _groups(items: Iterable, batch: int):
    """Consecutive images of equal input size and equal full size (their labels' size:
    the probabilities are upsampled to it), at most ``batch`` at a time."""
    group: list = []
    for item in items:
        if group and (len(group) == batch or group[0][0].shape != item[0].shape or group[0][1].shape != item[1].shape):
            yield group
            group = []
        group.append(item)
    if group:
        yield group


@torch.no_grad()
def write_proposals(
    project: Project,
    stage: int,
    strategy: str,
    model: DeepLabV2,
    selector: PixelSelector | None,
    pool: list[Sample],
    input_size: tuple[int, int] | None,
    budget: Budget,
    seed: int,
    rt: Runtime,
    batch: int = 4,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    counts: list[int] | None = None,
    revealed: Revealed | None = None,
    on_proposal: OnProposal | None = None,
    workers: int = 0,
    mask_share: float = 0.0,
    cap_pick: str = "top",
) -> dict:
    """``counts``: per image, how many points (point unit) or pixels (pixel unit) a
    budgeted strategy asks for, instead of the budget's fixed number or share.
    ``revealed``: what stages 1..``stage``-1 asked for, when already read (the stage's
    budget accounting read it); ``on_proposal(i, mask, points)`` sees each proposal as it
    is saved (the window makes each image's status from it, nothing decoded again).
    ``workers``: processes that decode the next images while the GPU works.
    ``mask_share``: the cap on the selector's mask per image (``[selector] target_share``);
    the stats give the mask's share of the pool's pixels before and after it; ``cap_pick``
    how the cap chooses (``core.selection.cap_mask``)."""
    unit = label_unit(strategy, budget)
    needs_selector = get_strategy(strategy).needs_selector
    if needs_selector and selector is None:
        raise ValueError(f"strategy {strategy!r} needs the pixel selector")
    if revealed is None or (revealed.upto, revealed.unit) != (stage - 1, unit):
        revealed = revealed_masks(project, stage - 1, unit)
    rt.place(model).eval()
    if selector is not None:
        rt.place(selector).eval()
    unlabeled = EvalSet([Sample(s.name, s.image) for s in pool], input_size)  # never reads ground truth
    clock = StepClock(f"proposals ({strategy})", len(unlabeled), progress, cancel)
    done, asked_total, points_total, mask_total, uncapped_total, capped_total = 0, 0, 0, 0, 0, 0
    for group in _groups(in_order(unlabeled, workers, rt), batch):
        clock.check()
        images = torch.stack([image for image, _, _ in group])
        ids = [int(i) for _, _, i in group]
        size = (project.images[ids[0]].height, project.images[ids[0]].width)
        probs = predict_probs(model, images, size, rt)
        heads = None
        if needs_selector:
            assert selector is not None  # checked above
            h1, h2 = selector(rt.images(images))
            heads = [F.interpolate(h.float(), size=size, mode="bilinear", align_corners=False) for h in (h1, h2)]
        for b, i in enumerate(ids):
            labeled = revealed.get(i)
            gen = torch.Generator(device=rt.device).manual_seed(seed * 7919 + i)
            b_i = budget
            if counts is not None and unit in ("points", "regions"):
                b_i = replace(budget, points=int(counts[i]))
            elif counts is not None and unit == "pixels":
                b_i = replace(budget, pixel_share=int(counts[i]) / (size[0] * size[1]))
            sp = None
            if unit == "regions":
                regions = image_superpixels(project.image_path(i), budget.region_size, size)
                sp = torch.from_numpy(regions.astype(np.int64)).to(rt.device)
            prop = propose(
                strategy,
                probs[b],
                heads=(heads[0][b], heads[1][b]) if heads else None,
                labeled=None if labeled is None else torch.from_numpy(labeled).to(rt.device),
                budget=b_i,
                generator=gen,
                superpixels=sp,
                mask_share=mask_share,
                cap_pick=cast(CapPick, cap_pick),  # one of CapPick's: checked with the settings
            )
            shown = prop.region if unit in ("pixels", "all", "regions") else prop.inconsistency
            mask = None if shown is None else shown.cpu().numpy()
            points = prop.points.cpu().numpy().astype(np.int32)
            project.save_proposal(stage, i, mask, points, budget.region_size if unit == "regions" else None)
            if on_proposal is not None:
                on_proposal(i, mask, points)
            asked_total += int(asked_pixels(mask, points, unit, size).sum())
            points_total += len(points)
            if prop.inconsistency is not None:
                mask_total += int(prop.inconsistency.sum())
            if prop.uncapped is not None and prop.capped is not None:
                uncapped_total += prop.uncapped
                capped_total += prop.capped
            done += 1
            clock.tick(done)
    pixels = sum(e.height * e.width for e in project.images)
    return {
        "asked_pixels": asked_total,
        "points": points_total,
        "images": done,
        "inconsistency_share": mask_total / pixels if needs_selector else None,
        # the unlabeled part of the mask before and after the cap: SPL's asked share per stage
        "mask_share_before_cap": uncapped_total / pixels if needs_selector else None,
        "mask_share_after_cap": capped_total / pixels if needs_selector else None,
    }
