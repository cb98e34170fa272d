"""bench/warmup_levers.py's variants: the levers-off base, one lever on the preset, and the
preset as it was before rare-class sampling (``preset+uniform``) that the lever table names."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from warmup_levers import variant  # noqa: E402

from labor_desktop.engine.config import merge, preset  # noqa: E402


def settings(name):
    return merge(preset("demo"), variant(name))


def test_base_switches_every_issue_23_lever_off():
    cfg = settings("base")
    assert (cfg.data.source_augment, cfg.data.source_sampling, cfg.warmup.adabn_batches) == ("none", "uniform", 0)
    assert settings("photometric").data.source_augment == "photometric"


def test_a_preset_variant_changes_only_its_lever():
    assert settings("preset") == preset("demo")
    old = settings("preset+uniform")
    assert old.data.source_sampling == "uniform" and old.data.source_augment == "photometric"
    both = settings("preset+long+uniform")
    assert both.pretrain.steps == 800 and both.data.source_sampling == "uniform" and both.warmup.adabn_batches == 30
    assert settings("preset+adv-long").warmup.steps == 2 * preset("demo").warmup.steps
