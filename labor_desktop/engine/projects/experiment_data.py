"""The data of one experiment, found and checked before any training starts: the
labeled source domain, the target pool the annotator labels, the target
validation set, and the training sets the jobs draw from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...data.datasets import EvalSet, TrainAugment, TrainSet, rare_class_weights
from ...data.io import DataError
from ...data.readers import Sample, cityscapes_samples, detect_layout, gta5_samples, read_sample_label
from ..config import DataConfig


@dataclass
class ExperimentData:
    source_root: Path | None  # None: no source data (a project that starts from a checkpoint)
    target_root: Path
    source: list[Sample]
    target: list[Sample]  # the pool; labels present only where ground truth exists (simulation)
    val: list[Sample]
    cfg: DataConfig
    _source_weights: list[float] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def find(
        cls,
        cfg: DataConfig,
        data: str | Path | None = None,
        source: str | Path | None = None,
        target: str | Path | None = None,
        need_truth: bool = True,
        need_val: bool = True,
    ) -> ExperimentData:
        """``data`` holds ``source/`` (GTA5 layout) and ``target/`` (Cityscapes layout),
        as the demo generator writes them; or give the two roots separately."""
        if data is not None:
            data = Path(data)
            if not data.is_dir():
                raise DataError(
                    f"{data}: data folder not found; make the demo data with "
                    f"'labor demo-data --out {data}' or give --source and --target"
                )
            source, target = source or data / "source", target or data / "target"
            for part, what in (
                (source, "source (GTA5 layout: images/, labels/)"),
                (target, "target (Cityscapes layout: leftImg8bit/, gtFine/)"),
            ):
                if not Path(part).is_dir():
                    raise DataError(f"{data}: no {Path(part).name}/ folder; expected {what} inside it")
        if source is None or target is None:
            raise DataError("give a data folder (with source/ and target/) or both --source and --target")
        source, target = Path(source), Path(target)
        if detect_layout(source) != "gta5":
            raise DataError(f"{source}: not a GTA5-layout folder (images/ and labels/ side by side)")
        if detect_layout(target) != "cityscapes":
            raise DataError(f"{target}: not a Cityscapes-layout folder (leftImg8bit/<split>/<city>/ and gtFine/)")
        src = gta5_samples(source)
        pool = cityscapes_samples(target, "train", require_labels=need_truth)[: cfg.max_target_images]
        has_val = (target / "gtFine" / "val").is_dir() or need_val
        val = cityscapes_samples(target, "val", require_labels=True)[: cfg.max_val_images] if has_val else []
        if not pool:
            raise DataError(f"{target}: no training images in leftImg8bit/train/")
        if not val and need_val:
            raise DataError(f"{target}: no labeled validation images in gtFine/val/; evaluation needs them")
        return cls(source, target, src, pool, val, cfg)

    def source_set(self, seed: int) -> TrainSet:
        c = self.cfg
        look = c.photometric if c.source_augment == "photometric" else None
        augment = TrainAugment(c.source_crop, c.source_base, c.source_scale, photometric=look)
        return TrainSet(self.source, augment, seed, weights=self.source_weights())

    def source_weights(self) -> list[float] | None:
        """Per-image sampling weights of the source (``source_sampling``), computed once:
        reading every source label takes a while on a full GTA5."""
        if self.cfg.source_sampling == "uniform":
            return None
        if self._source_weights is None:
            labels = (read_sample_label(s) for s in self.source)
            try:
                self._source_weights = rare_class_weights(labels, self.cfg.rare_class_temperature).tolist()
            except ValueError as e:
                raise DataError(f"{self.source_root}: {e}; use [data] source_sampling = 'uniform'") from e
        return self._source_weights

    def target_images_set(self, seed: int) -> TrainSet:
        """Target images without labels (adversarial warm-up, selector training)."""
        c = self.cfg
        unlabeled = [Sample(s.name, s.image) for s in self.target]
        return TrainSet(unlabeled, TrainAugment(c.target_crop, c.target_base, c.target_scale), seed)

    def truth_target_set(self, seed: int) -> TrainSet:
        """The whole pool with its ground truth (the supervised reference; simulation only)."""
        c = self.cfg
        return TrainSet(self.target, TrainAugment(c.target_crop, c.target_base, c.target_scale), seed)

    def labeled_target_set(self, labels: dict[int, np.ndarray], seed: int) -> TrainSet:
        """The pool images the annotator has labeled, with the store's sparse labels."""
        c = self.cfg
        ids = sorted(labels)
        return TrainSet(
            [self.target[i] for i in ids],
            TrainAugment(c.target_crop, c.target_base, c.target_scale),
            seed,
            labels={k: labels[i] for k, i in enumerate(ids)},
        )

    def pool_target_set(self, labels: dict[int, np.ndarray], seed: int) -> TrainSet:
        """Every pool image, with the annotator's sparse labels where there are some
        (255 elsewhere): retraining with self-training on the unlabeled pixels."""
        c = self.cfg
        return TrainSet(
            self.target, TrainAugment(c.target_crop, c.target_base, c.target_scale), seed, labels=dict(labels)
        )

    def val_set(self) -> EvalSet:
        return EvalSet(self.val, self.cfg.input_size)

    def pool_set(self) -> EvalSet:
        """The pool at the model's input size, labels (ground truth) at full size."""
        return EvalSet(self.target, self.cfg.input_size)
