"""The warm-up levers of issue 23: photometric source augmentation (deterministic under a
seed), AdaBN on target batches, a shared pre-trained checkpoint, and the held-out look."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from labor_desktop.core.checkpoint import save_checkpoint
from labor_desktop.core.model import DeepLabV2
from labor_desktop.data.datasets import TrainAugment, TrainSet
from labor_desktop.data.photometric import Photometric, photometric
from labor_desktop.engine.config import load_config, merge, preset
from labor_desktop.engine.jobs.adaptation import adapt_batchnorm
from labor_desktop.engine.jobs.runtime import Runtime
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.run_jobs import Context
from labor_desktop.engine.warm_start import warm_start


def image(seed=0, h=24, w=32):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_photometric_is_a_function_of_the_generator_state():
    im = image()
    a = photometric(im, Photometric(), np.random.default_rng([1, 2, 3]))
    b = photometric(im, Photometric(), np.random.default_rng([1, 2, 3]))
    c = photometric(im, Photometric(), np.random.default_rng([1, 2, 4]))
    assert a.dtype == np.uint8 and a.shape == im.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_photometric_with_every_probability_zero_is_the_identity():
    off = Photometric(p_color=0, p_gamma=0, p_blur=0, p_noise=0, p_haze=0, p_dark=0, p_gray=0)
    im = image(1)
    assert np.array_equal(photometric(im, off, np.random.default_rng(0)), im)


def test_a_changed_probability_does_not_shift_the_other_effects_draws():
    """Same generator, darkness switched on or off: the draws after it are the same, so the
    image differs only by the darkening (a constant factor here, with nothing else on)."""
    only_dark = Photometric(p_color=0, p_gamma=0, p_blur=0, p_noise=1, p_haze=0, p_dark=1, p_gray=0, dark=(0.5, 0.5))
    no_dark = replace(only_dark, p_dark=0)
    im = np.full((8, 8, 3), 200, dtype=np.uint8)
    a = photometric(im, only_dark, np.random.default_rng(5)).astype(float)
    b = photometric(im, no_dark, np.random.default_rng(5)).astype(float)
    # the same noise draw: (200/255 * 0.5 + n) vs (200/255 + n)
    assert np.allclose(b - a, 100.0, atol=1.0)


def test_each_effect_does_what_its_name_says():
    im = np.full((16, 16, 3), 160, dtype=np.uint8)
    rng = np.random.default_rng
    none = dict(p_color=0, p_gamma=0, p_blur=0, p_noise=0, p_haze=0, p_dark=0, p_gray=0)
    dark = photometric(im, Photometric(**{**none, "p_dark": 1, "dark": (0.25, 0.25)}), rng(0))
    assert np.all(dark == 40)
    haze = photometric(im, Photometric(**{**none, "p_haze": 1, "haze": (0.5, 0.5)}), rng(0))
    assert np.all(haze == round(255 * (0.5 * 160 / 255 + 0.5 * 0.8)))
    colour = np.zeros((4, 4, 3), dtype=np.uint8)
    colour[..., 0] = 200
    gray = photometric(colour, Photometric(**{**none, "p_gray": 1}), rng(0))
    assert np.all(gray[..., 0] == gray[..., 1]) and np.all(gray == round(0.299 * 200))
    noisy = photometric(im, Photometric(**{**none, "p_noise": 1, "noise_sigma": (10.0, 10.0)}), rng(0))
    assert 8 < noisy.astype(float).std() < 12


@pytest.mark.parametrize(
    "bad, match",
    [({"p_dark": 1.01}, "p_dark"), ({"p_blur": -0.01}, "p_blur"), ({"dark": (0.6, 0.5)}, "dark")],
)
def test_photometric_settings_are_checked(bad, match):
    with pytest.raises(ValueError, match=match):
        Photometric(**bad)
    Photometric(**{k: (1.0 if k.startswith("p_") else (0.5, 0.5)) for k in bad})  # the boundary itself is allowed


def test_the_augmented_source_set_is_deterministic_per_seed_epoch_and_index(tiny_data):
    cfg = merge(preset("smoke"), {"data": {"source_augment": "photometric"}})
    data = ExperimentData.find(cfg.data, tiny_data)
    a, b = data.source_set(3), data.source_set(3)
    assert torch.equal(a[(0, 1)][0], b[(0, 1)][0])
    assert not torch.equal(a[(0, 1)][0], a[(1, 1)][0])
    plain = ExperimentData.find(preset("smoke").data, tiny_data).source_set(3)
    assert plain.augment.photometric is None and data.source_set(3).augment.photometric == Photometric()
    assert torch.equal(a[(0, 1)][1], plain[(0, 1)][1])  # labels untouched: the same crop and flip


def test_the_new_settings_load_from_toml_and_bad_values_name_their_place(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text(
        'base = "demo"\n[data]\nsource_augment = "photometric"\n[data.photometric]\np_dark = 0.5\n'
        "[warmup]\nadabn_batches = 20\n[reference]\npatience = 3\n"
    )
    cfg = load_config(f)
    assert cfg.data.photometric.p_dark == 0.5 and cfg.warmup.adabn_batches == 20 and cfg.reference.patience == 3
    assert type(cfg).from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    f.write_text('base = "demo"\n[data]\nsource_augment = "weather"\n')
    with pytest.raises(ValueError, match=r"\[data\] source_augment = 'weather'"):
        load_config(f)
    f.write_text('base = "demo"\n[data.photometric]\np_dark = 2.0\n')
    with pytest.raises(ValueError, match=r"p_dark"):
        load_config(f)


def test_adabn_replaces_the_batchnorm_statistics_and_nothing_else(tiny_data):
    cfg = preset("smoke")
    data = ExperimentData.find(cfg.data, tiny_data)
    rt = Runtime.create("cpu")
    torch.manual_seed(0)
    model = DeepLabV2(cfg.model)
    weights = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k and "num_batches" not in k}
    before = model.bn1.running_mean.clone()
    stats = adapt_batchnorm(model, data.target_images_set(0), 2, 2, 0, rt)
    assert stats == {"adabn_batches": 2} and not model.training
    assert not torch.equal(model.bn1.running_mean, before)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())
    assert model.bn1.momentum == 0.1  # restored
    torch.manual_seed(0)
    twin = DeepLabV2(cfg.model)
    adapt_batchnorm(twin, data.target_images_set(0), 2, 2, 0, rt)
    assert torch.equal(twin.bn1.running_mean, model.bn1.running_mean)  # deterministic
    assert adapt_batchnorm(twin, data.target_images_set(0), 0, 2, 0, rt) == {"adabn_batches": 0}


def test_a_given_pretrained_checkpoint_replaces_pre_training(tiny_data, tmp_path):
    cfg = replace(preset("smoke"), seed=4)
    data = ExperimentData.find(cfg.data, tiny_data)
    rt = Runtime.create("cpu")
    source_only = tmp_path / "pre" / "seed-4.pt"
    save_checkpoint(source_only, DeepLabV2(cfg.model), {"job": "pretrain"})
    ctx = Context(cfg, data, rt, pretrained=str(tmp_path / "pre" / "seed-{seed}.pt"))
    warm = warm_start(tmp_path / "run", ctx)
    jobs = json.loads((tmp_path / "run" / "state.json").read_text())["jobs"]
    assert jobs["pretrain"]["result"]["given"] is True
    assert jobs["pretrain"]["result"]["checkpoint"] == str(source_only.resolve())
    assert warm["evaluation"]["miou"] is not None
    with pytest.raises(ValueError, match=r"seed-9\.pt: no such pre-trained checkpoint \(--pretrained\)"):
        warm_start(tmp_path / "run9", replace(ctx, cfg=replace(cfg, seed=9)))


def test_the_held_out_dusk_look_keeps_the_scenes():
    from labor_desktop.data.demo_generator import make_image

    day, lab = make_image("target", "train", 2, (64, 128), 0)
    dusk, lab_d = make_image("target", "train", 2, (64, 128), 0, "dusk")
    assert np.array_equal(lab, lab_d)
    r, g, b = (dusk[..., c].astype(float).mean() for c in range(3))
    assert r > g > b  # the warm cast
    assert not np.array_equal(day, dusk)


def test_train_augment_without_photometric_is_unchanged_by_the_new_field():
    assert TrainAugment().photometric is None
    ds = TrainSet([], TrainAugment())
    assert len(ds) == 0
