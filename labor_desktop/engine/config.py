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
    warm-up model is weak and its selector disagrees a lot (plenty to label)."""
    demo = _demo()
    return replace(
        demo,
        name="desktop",
        data=replace(demo.data, max_target_images=60),
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
