"""The simulated annotator: it answers exactly what a stage's proposal asks for,
from the ground truth, and nothing else; and the budget accounting.

Budget, as the paper reports it: the share of pool pixels the annotator was asked
for, overlap across stages counted once (SPL and pixel strategies), and the number
of labeled points per image (point strategies).  Pixels whose ground truth is
"void" (255) were still looked at, so they count toward the budget but stay
unlabeled.

Regions (superpixels) are answered with one class each, the region's majority ground
truth: its pixels of other classes get a wrong label, as a person's would.  The stage's
label-noise rate is the share of the pixels labelled so whose truth differs; a region is
one click.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from ...core.regions import majority_labels, noise_counts
from ...core.strategies import Budget, label_unit
from ...store import UNLABELED, Project
from .proposals import Revealed, asked_pixels, image_superpixels, revealed_masks
from .training import Progress, StepClock


def annotate(
    project: Project,
    stage: int,
    truth: Callable[[int], np.ndarray],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    budget: Budget = Budget(),
    seed: int = 0,
) -> dict:
    """Label what stage ``stage`` proposes on every image.  ``truth(i)`` returns image
    i's ground-truth train ids.  Idempotent: re-running a stage changes nothing (the
    answered subset, with ``budget.answer_share`` < 1, depends only on seed, stage, image)."""
    unit = label_unit(project.settings.strategy, budget)
    clock = StepClock("annotator", len(project.images), progress, cancel)
    labeled_now = clicks = region_pixels = region_wrong = 0
    for i, entry in enumerate(project.images):
        clock.check()
        mask, points = project.proposal(stage, i)
        if unit == "regions":
            if budget.answer_share < 1.0 and len(points):
                keep = np.random.default_rng([seed, stage, i]).random(len(points)) < budget.answer_share
                points = points[keep]
            got = _label_regions(project, i, stage, points, truth, budget.region_size) if len(points) else (0, 0, 0)
            labeled_now, clicks = labeled_now + got[0], clicks + len(points)
            region_pixels, region_wrong = region_pixels + got[0], region_wrong + got[1]
            clock.tick(i + 1)
            continue
        asked = asked_pixels(mask, points, unit, (entry.height, entry.width))
        if budget.answer_share < 1.0 and asked.any():
            asked = answered(asked, unit, budget.answer_share, np.random.default_rng([seed, stage, i]))
        if asked.any():
            labels, stages = project.labels(i)
            gt = truth(i)
            if gt.shape != labels.shape:
                raise ValueError(
                    f"ground truth of image {i} ({entry.path}) is {gt.shape[1]}x{gt.shape[0]}, "
                    f"the project's image is {entry.width}x{entry.height}"
                )
            new = asked & (labels == UNLABELED) & (gt != UNLABELED)
            if new.any():
                labels[new] = gt[new]
                stages[new] = stage
                project.save_labels(i, labels, stages)
                labeled_now += int(new.sum())
                if unit == "points":
                    project.add_effort(i, stage, clicks=int(new.sum()), points_labeled=int(new.sum()))
        clock.tick(i + 1)
    out = dict(budget_used(project, stage, budget), labeled_this_stage=labeled_now)
    if unit == "regions":
        out.update(
            clicks_this_stage=clicks,
            region_pixels_labeled=region_pixels,
            region_pixels_wrong=region_wrong,
            noise_rate=region_wrong / region_pixels if region_pixels else 0.0,
        )
    return out


def _truth(project: Project, i: int, truth: Callable[[int], np.ndarray]) -> np.ndarray:
    entry = project.images[i]
    gt = truth(i)
    if gt.shape != (entry.height, entry.width):
        raise ValueError(
            f"ground truth of image {i} ({entry.path}) is {gt.shape[1]}x{gt.shape[0]}, "
            f"the project's image is {entry.width}x{entry.height}"
        )
    return gt


def _label_regions(
    project: Project, i: int, stage: int, points: np.ndarray, truth: Callable[[int], np.ndarray], region_size: int
) -> tuple[int, int, int]:
    """Image ``i``'s asked regions (the superpixels under ``points``) labelled with their
    majority truth where still unlabelled: (pixels labelled, of them wrong, regions)."""
    entry = project.images[i]
    sp = image_superpixels(project.image_path(i), region_size, (entry.height, entry.width))
    gt = _truth(project, i, truth)
    ids = np.unique(sp[points[:, 0], points[:, 1]])
    answer = majority_labels(sp, ids, gt)
    labels, stages = project.labels(i)
    new = (answer != UNLABELED) & (labels == UNLABELED)
    n, wrong = noise_counts(answer, gt, new)
    if n:
        labels[new] = answer[new]
        stages[new] = stage
        project.save_labels(i, labels, stages)
        project.add_effort(i, stage, clicks=len(ids))  # only then: re-running a stage adds nothing
    return n, wrong, len(ids)


def answered(asked: np.ndarray, unit: str, share: float, rng: np.random.Generator) -> np.ndarray:
    """The part of ``asked`` a partial annotator labels: each asked point with probability
    ``share`` (points), or the whole asked region of the image with that probability."""
    if unit == "points":
        ys, xs = np.nonzero(asked)
        keep = rng.random(len(ys)) < share
        out = np.zeros_like(asked)
        out[ys[keep], xs[keep]] = True
        return out
    return asked if rng.random() < share else np.zeros_like(asked)


def budget_used(
    project: Project,
    upto_stage: int,
    budget: Budget = Budget(),
    labels: dict[int, np.ndarray] | None = None,
    revealed: Revealed | None = None,
) -> dict:
    """The budget spent in stages 1..``upto_stage``.  ``labels`` (the labelled images'
    labels) and ``revealed`` (``revealed_masks`` of those stages), when the caller read them
    already; each proposal and each image's labels are read at most once here."""
    unit = label_unit(project.settings.strategy, budget)
    if revealed is None or (revealed.upto, revealed.unit) != (upto_stage, unit):
        revealed = revealed_masks(project, upto_stage, unit)
    total = sum(e.height * e.width for e in project.images)
    n = len(project.images)
    labeled = 0
    labeled_points = 0  # proposed points that carry a label: what a person really spent
    for i in sorted(labels) if labels is not None else project.labeled_images():
        lab = labels[i] if labels is not None else project.labels(i)[0]
        labeled += int(np.count_nonzero(lab != UNLABELED))
        if unit == "points":  # the asked pixels are the proposed points, each counted once
            labeled_points += int(np.count_nonzero(lab.ravel()[revealed.indices(i)] != UNLABELED))
    asked_px = revealed.pixels
    # Points spent: the union of the pixels asked for (a baseline that re-selects a point
    # labeled at an earlier stage spends nothing on it); ``points_proposed`` counts repeats.
    points = asked_px if unit == "points" else 0
    if unit == "regions":  # a click per asked region; the regions strategies never ask one twice
        points = revealed.points_proposed
    return {
        "unit": unit,
        "pixel_share": asked_px / total,
        "asked_pixels": asked_px,
        "labeled_pixels": labeled,
        "labeled_share": labeled / total,
        "points": points,
        "points_per_image": points / n if n else 0.0,
        "points_proposed": revealed.points_proposed,
        "labeled_points": labeled_points,
        "labeled_points_per_image": labeled_points / n if n else 0.0,
    }
