"""Checking a configuration read from TOML or JSON: every value's type and range, with a
``ValueError`` that names ``[section] key``, the value and what is allowed.  Apart from the
dataclasses in ``config`` so the settings read as a plain list and the rules as a table."""

from __future__ import annotations

import math
import types
from dataclasses import fields, is_dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints


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
    "cap_pick": (lambda v: v in ("top", "balanced"), "'top' or 'balanced'"),
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
    "source_augment": (lambda v: v in ("none", "photometric"), "'none' or 'photometric'"),
    "source_sampling": (lambda v: v in ("uniform", "rare-class"), "'uniform' or 'rare-class'"),
    "rare_class_temperature": (lambda v: v > 0, "a finite number > 0"),
    "adabn_batches": (lambda v: v >= 0, "an integer >= 0"),
    "patience": _POSITIVE_INT,
    "max_rounds": _POSITIVE_INT,
    "num_k": _POSITIVE_INT,
    "d_first_kernel": _POSITIVE_INT,
    "stages": (lambda v: 1 <= v <= 255, "an integer in 1..255"),
    "seed": (lambda v: 0 <= v < 2**32, "an integer in 0..2**32-1"),
    "workers": (lambda v: 0 <= v <= 256, "an integer in 0..256"),
    "max_target_images": _POSITIVE_INT,
    "max_val_images": _POSITIVE_INT,
    "pixel_share": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "answer_share": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "points": (lambda v: 1 <= v <= 100000, "an integer in 1..100000"),
    "region_size": (lambda v: 2 <= v <= 1024, "an integer in 2..1024 (pixels)"),
    "region_purity": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
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
