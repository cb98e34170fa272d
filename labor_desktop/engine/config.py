"""The typed configuration of an experiment: every setting that decides a result,
saved with each run (``config.json``) and each project (``settings.extra``).

Three presets: ``smoke`` (the whole loop in well under two minutes, for tests),
``demo`` (the embedded demo data on a 2-core CPU; the benchmark in
docs/results.md) and ``paper`` (GTA5 -> Cityscapes with ResNet-101 at IAST's
published settings).  A TOML file names a preset with ``base = "demo"`` and
overrides any field by section, e.g. ``[retrain]\\nsteps = 500``.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

from ..core.model import ModelConfig
from ..core.strategies import Budget

Size = tuple[int, int]


@dataclass(frozen=True)
class DataConfig:
    """Sizes are (height, width)."""

    source_crop: Size = (512, 1024)
    source_base: Size | None = (720, 1280)  # every source image resized to this first
    source_scale: tuple[float, float] = (0.5, 1.5)
    target_crop: Size = (512, 1024)
    target_base: Size | None = (512, 1024)
    target_scale: tuple[float, float] = (0.5, 1.5)
    input_size: Size | None = (512, 1024)  # model input for proposals/evaluation (labels stay full size)
    max_target_images: int | None = None  # the pool the annotator labels (None: the whole train split)
    max_val_images: int | None = None
    workers: int = 4


@dataclass(frozen=True)
class PretrainConfig:
    """Eq. 1: cross-entropy on the source domain."""

    steps: int = 20000
    batch_size: int = 8
    lr: float = 1e-4
    optimizer: str = "adam"
    init_weights: str | None = None  # ImageNet or DeepLab-init backbone checkpoint (none: random init)


@dataclass(frozen=True)
class WarmupConfig:
    """Eq. 2: output-space adversarial training (IAST: adv 0.05, Adam 2e-5, LS-GAN)."""

    steps: int = 12000
    batch_size: int = 4
    lr: float = 2e-5
    d_lr: float = 2e-5
    adv_weight: float = 0.05
    gan_mode: str = "lsgan"
    d_first_kernel: int = 3


@dataclass(frozen=True)
class SelectorConfig:
    """Eqs. 4-5: self-training on pseudo labels, then MCD's discrepancy game."""

    self_train_steps: int = 1000
    discrepancy_steps: int = 1000
    batch_size: int = 4
    lr: float = 1e-3
    num_k: int = 4
    dropout: float = 0.1
    perturb: float = 0.0
    pseudo: str = "iast"  # "iast" (class-adaptive thresholds) or "fixed"
    pseudo_threshold: float = 0.9  # for "fixed"
    iast_alpha: float = 0.2


@dataclass(frozen=True)
class RetrainConfig:
    """Eq. 6: CE on every target pixel labeled so far; source CE and entropy
    minimisation on unlabeled target pixels are options (paper Table 2)."""

    steps: int = 6000
    batch_size: int = 8
    lr: float = 2.5e-5
    optimizer: str = "adam"
    source_weight: float = 0.0
    entropy_weight: float = 0.0
    start_from: str = "previous"  # "previous" stage's model, or the "warmup" model every stage


@dataclass(frozen=True)
class ExperimentConfig:
    name: str = "paper"
    seed: int = 0
    stages: int = 3
    device: str = "auto"
    amp: bool = True  # CUDA only
    channels_last: bool = True  # CUDA only
    proposal_batch: int = 4
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    warmup: WarmupConfig = field(default_factory=WarmupConfig)
    selector: SelectorConfig = field(default_factory=SelectorConfig)
    retrain: RetrainConfig = field(default_factory=RetrainConfig)
    budget: Budget = field(default_factory=lambda: Budget(baseline_unit="points"))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ExperimentConfig:
        return _build(cls, d, "config")


def _build(cls, d: dict, where: str):
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        typ = hints[name]
        if is_dataclass(typ):
            if not isinstance(value, dict):
                raise ValueError(f"{where}.{name} must be a table")
            kwargs[name] = _build(typ, value, f"{where}.{name}")
        else:
            kwargs[name] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def merge(cfg: ExperimentConfig, overrides: dict) -> ExperimentConfig:
    """``cfg`` with the given (nested) fields replaced; unknown keys are refused."""
    base = cfg.to_dict()
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return ExperimentConfig.from_dict(base)


_SMALL_MODEL = ModelConfig(backbone="resnet18", freeze_bn=False, output_stride=16)


def _smoke() -> ExperimentConfig:
    return ExperimentConfig(
        name="smoke",
        device="cpu",
        proposal_batch=4,
        model=_SMALL_MODEL,
        data=DataConfig(
            source_crop=(64, 128),
            source_base=None,
            source_scale=(0.75, 1.25),
            target_crop=(64, 128),
            target_base=None,
            target_scale=(1.0, 1.0),
            input_size=None,
            workers=0,
        ),
        pretrain=PretrainConfig(steps=12, batch_size=2, lr=1e-3),
        warmup=WarmupConfig(steps=3, batch_size=2, lr=1e-4, d_lr=1e-4),
        selector=SelectorConfig(
            self_train_steps=3,
            discrepancy_steps=3,
            batch_size=2,
            lr=1e-2,
            num_k=2,
            pseudo="fixed",
            pseudo_threshold=0.3,
        ),
        retrain=RetrainConfig(steps=4, batch_size=2, lr=1e-4),
        budget=Budget(points=8, baseline_unit="points"),
    )


def _demo() -> ExperimentConfig:
    """Sized for the 45-minute comparison on a 2-core CPU (see docs/results.md)."""
    return ExperimentConfig(
        name="demo",
        device="auto",
        proposal_batch=8,
        model=_SMALL_MODEL,
        data=DataConfig(
            source_crop=(128, 256),
            source_base=None,
            source_scale=(0.75, 1.5),
            target_crop=(128, 256),
            target_base=None,
            target_scale=(1.0, 1.0),
            input_size=None,
            workers=0,
        ),
        pretrain=PretrainConfig(steps=600, batch_size=4, lr=1e-3),
        warmup=WarmupConfig(steps=150, batch_size=4, lr=1e-4, d_lr=1e-4, adv_weight=0.01),
        selector=SelectorConfig(
            self_train_steps=20, discrepancy_steps=20, batch_size=4, lr=1e-2, num_k=2, pseudo="iast"
        ),
        retrain=RetrainConfig(steps=70, batch_size=4, lr=2e-4),
        budget=Budget(points=15, baseline_unit="points"),
    )


def _paper() -> ExperimentConfig:
    """GTA5 -> Cityscapes as IAST ran it (REFERENCE.md): ResNet-101, 1024x512 crops,
    source-only Adam 1e-4 / batch 8 / 8 epochs, warm-up 4 epochs at 2e-5 with batch
    4, retraining rounds of 2 epochs at 2.5e-5 with batch 8.  An epoch is one pass
    over GTA5's 24,941 images."""
    gta_epoch = 24941
    return ExperimentConfig(
        name="paper",
        model=ModelConfig.preset("iast"),
        pretrain=PretrainConfig(steps=8 * gta_epoch // 8, batch_size=8, lr=1e-4),
        warmup=WarmupConfig(steps=4 * gta_epoch // 4, batch_size=4),
        retrain=RetrainConfig(steps=2 * gta_epoch // 8, batch_size=8, lr=2.5e-5),
    )


def _desktop() -> ExperimentConfig:
    """The application's demo project: ready in a few minutes on a 2-core CPU, so the
    warm-up model is weak and its selector disagrees a lot (plenty to label).  Its
    images are 512x1024 (``engine.workflow.DESKTOP_DEMO_DATA``) for viewing and
    labeling; the model sees them at 128x256, as the ``demo`` preset's model does,
    while labels, proposals and evaluation stay at full size."""
    demo = _demo()
    model_size = (128, 256)
    return replace(
        demo,
        name="desktop",
        data=replace(
            demo.data, source_base=model_size, target_base=model_size, input_size=model_size, max_target_images=60
        ),
        pretrain=replace(demo.pretrain, steps=200),
        warmup=replace(demo.warmup, steps=30),
        selector=replace(demo.selector, self_train_steps=10, discrepancy_steps=10),
    )


PRESETS = {"smoke": _smoke, "demo": _demo, "desktop": _desktop, "paper": _paper}


def preset(name: str) -> ExperimentConfig:
    try:
        return PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown config preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def load_config(path: str | Path | None = None, base: str = "demo", seed: int | None = None) -> ExperimentConfig:
    """A preset, overridden by a TOML file (whose ``base`` key picks the preset)."""
    overrides: dict = {}
    if path is not None:
        path = Path(path)
        try:
            overrides = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(f"{path}: config file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: not valid TOML ({e})") from None
        base = overrides.pop("base", base)
    cfg = preset(base)
    try:
        cfg = merge(cfg, overrides) if overrides else cfg
    except (ValueError, TypeError) as e:
        raise ValueError(f"{path}: {e}") from None
    return replace(cfg, seed=seed) if seed is not None else cfg
