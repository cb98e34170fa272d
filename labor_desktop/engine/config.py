"""The typed configuration of an experiment: every setting that decides a result,
saved with each run (``config.json``) and each project (``settings.extra``).

Three presets: ``smoke`` (the whole loop in well under two minutes, for tests),
``demo`` (the embedded demo data on a 2-core CPU; the benchmark in
docs/results.md) and ``paper`` (GTA5 -> Cityscapes with ResNet-101 at IAST's
published settings).  A TOML file names a preset with ``base = "demo"`` and
overrides any field by section, e.g. ``[retrain]\\nsteps = 500``.
"""

from __future__ import annotations

import math
import tomllib
import types
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

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
    # A frozen-BN model from random init is an unnormalised network (see ``check_init_weights``):
    # refused unless a config opts out explicitly (tests, toy runs).
    allow_random_init: bool = False


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
    # IAST's segmentation optimiser: Adam, backbone at 0.1x the head's rate, weight decay
    # 5e-4, cosine annealing with restarts down to 0.001x the rate.
    backbone_lr_mult: float = 0.1
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # "cosine" (with restarts) or "constant"
    cycles: int = 1  # cosine cycles over the steps (paper: one per epoch, 4)
    eta_min_ratio: float = 0.001


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
    stage_alpha: tuple[float, ...] = ()  # IAST's alpha per stage (round); empty: iast_alpha every stage
    # Calibrated SPL budget: the discrepancy phase stops once the inconsistency mask covers
    # this share of the pixels of a fixed probe subset of the pool (0: run every step).
    target_share: float = 0.0
    probe_images: int = 16
    check_every: int = 2


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
    stage_lr: tuple[float, ...] = ()  # learning rate per stage (IAST's rounds); empty: lr every stage
    # Algorithm 1 line 22 / Fig. 2's L_st: self-training on the unlabeled target pixels beside
    # Eq. 6's CE on labeled ones, with IAST's pseudo labels (class-adaptive thresholds from the
    # stage's starting model), entropy on the pixels left unlabeled and a KL(uniform || p) term.
    # 0: Eq. 6 alone.  The ``iast`` strategy always self-trains (weight 1 when this is 0).
    pseudo_weight: float = 0.0
    pseudo_alpha: tuple[float, ...] = (0.2, 0.25, 0.3)  # IAST's alpha per round (stage)
    pseudo_entropy_weight: float = 3.0  # IAST: 3.0 x mean entropy / K on pixels without a label
    pseudo_kl_weight: float = 0.1  # IAST: 0.1 x KL(uniform || p) on pseudo-labeled pixels


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
    """``cls`` from a (nested) dict; every value's type and range is checked (``ValueError``
    naming ``[section] key``, the value and what is allowed)."""
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"{_place(where)}: unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        typ = hints[name]
        if is_dataclass(typ):
            if not isinstance(value, dict):
                raise ValueError(f"{_place(where)} {name} must be a table ([{name}])")
            kwargs[name] = _build(typ, value, f"{where}.{name}")
        else:
            kwargs[name] = _checked(typ, value, where, name)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:  # a dataclass's own checks (ModelConfig)
        raise ValueError(f"{_place(where)}: {e}") from None


def _place(where: str) -> str:
    section = where.partition(".")[2]
    return f"[{section}]" if section else "[top level]"


# Ranges beyond the type: (test, what is allowed).  Keys are field names, or section.name.
_POSITIVE_INT = (lambda v: v >= 1, "an integer >= 1")
_RANGES: dict[str, tuple] = {
    "steps": _POSITIVE_INT,
    "selector.self_train_steps": (lambda v: v >= 0, "an integer >= 0"),
    "selector.discrepancy_steps": (lambda v: v >= 0, "an integer >= 0"),
    "batch_size": (lambda v: 1 <= v <= 4096, "an integer in 1..4096"),
    "proposal_batch": (lambda v: 1 <= v <= 4096, "an integer in 1..4096"),
    "lr": (lambda v: v > 0, "a finite number > 0"),
    "d_lr": (lambda v: v > 0, "a finite number > 0"),
    "adv_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "source_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "entropy_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "dropout": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "perturb": (lambda v: v >= 0, "a finite number >= 0"),
    "pseudo_threshold": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "iast_alpha": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "stage_alpha": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "pseudo_alpha": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "stage_lr": (lambda v: v > 0, "a finite number > 0"),
    "target_share": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "probe_images": _POSITIVE_INT,
    "check_every": _POSITIVE_INT,
    "pseudo_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "pseudo_entropy_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "pseudo_kl_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "backbone_lr_mult": (lambda v: v > 0, "a finite number > 0"),
    "weight_decay": (lambda v: v >= 0, "a finite number >= 0"),
    "cycles": _POSITIVE_INT,
    "eta_min_ratio": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "schedule": (lambda v: v in ("cosine", "constant"), "'cosine' or 'constant'"),
    "num_k": _POSITIVE_INT,
    "d_first_kernel": _POSITIVE_INT,
    "stages": (lambda v: 1 <= v <= 255, "an integer in 1..255"),
    "seed": (lambda v: 0 <= v < 2**32, "an integer in 0..2**32-1"),
    "workers": (lambda v: 0 <= v <= 256, "an integer in 0..256"),
    "max_target_images": _POSITIVE_INT,
    "max_val_images": _POSITIVE_INT,
    "pixel_share": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "points": (lambda v: 1 <= v <= 100000, "an integer in 1..100000"),
    "ripu_k_region": _POSITIVE_INT,
    "ripu_k_pixel": _POSITIVE_INT,
    "num_classes": (lambda v: 2 <= v <= 255, "an integer in 2..255"),
    "optimizer": (lambda v: v in ("adam", "sgd"), "'adam' or 'sgd'"),
    "gan_mode": (lambda v: v in ("lsgan", "bce"), "'lsgan' or 'bce'"),
    "pseudo": (lambda v: v in ("iast", "fixed"), "'iast' or 'fixed'"),
    "start_from": (lambda v: v in ("previous", "warmup"), "'previous' or 'warmup'"),
    "device": (
        lambda v: v in ("auto", "cpu", "cuda", "mps") or (v.startswith("cuda:") and v[5:].isdigit()),
        "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'",
    ),
}
_MAX_SIDE = 16384


def _checked(typ, value, where: str, name: str):
    """``value`` converted to ``typ`` (lists to tuples, ints to floats), or ``ValueError``."""
    section = where.partition(".")[2]

    def bad(allowed: str):
        raise ValueError(f"{_place(where)} {name} = {value!r}: must be {allowed}")

    origin, args = get_origin(typ), get_args(typ)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        typ = next(a for a in args if a is not type(None))
        origin, args = get_origin(typ), get_args(typ)
    if origin is Literal:
        if value not in args:
            bad(" or ".join(repr(a) for a in args))
        return value
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:  # a value per stage
        if not isinstance(value, (list, tuple)) or not all(_is_number(v) for v in value):
            bad("a list of finite numbers (one per stage)")
        rule = _RANGES.get(f"{section}.{name}") or _RANGES.get(name)
        if rule is not None and not all(rule[0](v) for v in value):
            bad(f"a list of {rule[1].removeprefix('a ').removeprefix('an ')}s")
        return tuple(float(v) for v in value)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            bad(f"a list of {len(args)} numbers")
        if args == (int, int):  # a size (height, width)
            if not all(_is_int(v) and 1 <= v <= _MAX_SIDE for v in value):
                bad(f"[height, width], each an integer in 1..{_MAX_SIDE}")
            return tuple(value)
        if not all(_is_number(v) and v > 0 for v in value) or value[0] > value[1]:
            bad("[low, high], finite numbers with 0 < low <= high")
        return tuple(float(v) for v in value)
    if typ is bool:
        if not isinstance(value, bool):
            bad("true or false")
    elif typ is int:
        if not _is_int(value):
            bad("an integer")
    elif typ is float:
        if not _is_number(value):
            bad("a finite number")
        value = float(value)
    elif typ is str:
        if not isinstance(value, str):
            bad("a string (in quotes)")
    rule = _RANGES.get(f"{section}.{name}") or _RANGES.get(name)
    if rule is not None and not rule[0](value):
        bad(rule[1])
    return value


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check(cfg: ExperimentConfig) -> ExperimentConfig:
    """``cfg`` checked as if it had been loaded (for values set in code or on the command line)."""
    return ExperimentConfig.from_dict(cfg.to_dict())


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
            self_train_steps=20,
            discrepancy_steps=20,
            batch_size=4,
            lr=1e-2,
            num_k=2,
            pseudo="iast",
            stage_alpha=(0.2, 0.25, 0.3),
            target_share=0.01,
        ),
        retrain=RetrainConfig(steps=70, batch_size=4, lr=2e-4),
        budget=Budget(points=15, baseline_unit="points"),
    )


def _paper() -> ExperimentConfig:
    """GTA5 -> Cityscapes as IAST ran it (REFERENCE.md): ResNet-101, 1024x512 crops,
    source-only Adam 1e-4 / batch 8 / 8 epochs, warm-up 4 epochs at 2e-5 with batch
    4 (backbone 0.1x, weight decay 5e-4, cosine restarts once per epoch), retraining
    rounds of 2 epochs with batch 8 at IAST's per-round rates 3e-5 / 2.5e-5 / 2e-5,
    IAST's alpha per round in the selector's pseudo labels, SPL calibrated to the
    paper's ~1 % of pixels per stage.  An epoch is one pass over GTA5's 24,941 images.
    Needs ``[pretrain] init_weights`` (ImageNet / DeepLab-init, see models/README.md)
    or ``--from`` an adapted checkpoint: ``check_init_weights`` refuses otherwise."""
    gta_epoch = 24941
    return ExperimentConfig(
        name="paper",
        model=ModelConfig.preset("iast"),
        pretrain=PretrainConfig(steps=8 * gta_epoch // 8, batch_size=8, lr=1e-4),
        warmup=WarmupConfig(steps=4 * gta_epoch // 4, batch_size=4, cycles=4),
        selector=SelectorConfig(stage_alpha=(0.2, 0.25, 0.3), target_share=0.01),
        retrain=RetrainConfig(steps=2 * gta_epoch // 8, batch_size=8, lr=2.5e-5, stage_lr=(3e-5, 2.5e-5, 2e-5)),
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
        selector=replace(demo.selector, self_train_steps=10, discrepancy_steps=10, target_share=0.0),
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
            overrides = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{path}: config file not found") from None
        except UnicodeDecodeError as e:
            raise ValueError(
                f"{path}: not UTF-8 text (byte {e.start}); save the config file as UTF-8 (TOML requires it)"
            ) from None
        except OSError as e:
            raise ValueError(f"{path}: cannot be read ({e.strerror}); check the path and its permissions") from None
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: not valid TOML ({e})") from None
        base = overrides.pop("base", base)
        if not isinstance(base, str):
            raise ValueError(f"{path}: [top level] base = {base!r}: must be one of {', '.join(PRESETS)}")
    cfg = preset(base)
    try:
        cfg = merge(cfg, overrides) if overrides else cfg
    except (ValueError, TypeError) as e:
        raise ValueError(f"{path or 'preset ' + base}: {e}") from None
    return check(replace(cfg, seed=seed)) if seed is not None else cfg


def stage_value(values: tuple, stage: int, default):
    """The per-stage setting of stage ``stage`` (1-based); the last one beyond the
    tuple's end; ``default`` when the tuple is empty."""
    return values[min(max(stage, 1), len(values)) - 1] if values else default


def check_init_weights(cfg: ExperimentConfig, start: str | Path | None = None) -> None:
    """Refuse, before any work, to pre-train a frozen-BatchNorm model from random init.

    ``FrozenBatchNorm2d`` with its initial statistics is the identity: a ResNet trained
    from scratch behind it is an unnormalised network (the paper and IAST start from
    ImageNet / DeepLab-init weights).  A run that starts from an adapted checkpoint
    (``start``) needs no init weights.  ``[pretrain] allow_random_init = true`` opts out."""
    if start is not None:
        return
    p = cfg.pretrain
    if p.init_weights:
        if not Path(p.init_weights).is_file():
            raise ValueError(
                f"[pretrain] init_weights: {p.init_weights} is not a file; models/README.md says which "
                "backbone checkpoints load and where to put them"
            )
        return
    if cfg.model.freeze_bn and not p.allow_random_init:
        raise ValueError(
            f"config {cfg.name!r}: [model] freeze_bn = true without [pretrain] init_weights would train a "
            f"randomly initialised {cfg.model.backbone} with frozen (identity) BatchNorm from scratch. "
            "Put ImageNet or DeepLab-init weights in models/ (see models/README.md) and set "
            '[pretrain] init_weights = "models/...", or start from an adapted checkpoint (--from); '
            "a test config may set [pretrain] allow_random_init = true"
        )
