"""The application's demo project at desktop resolution: images drawn at 512x1024 for
viewing and labeling, the model at 128x256, labels at full size; the benchmark's
``demo`` data and preset untouched."""

import numpy as np
import pytest

from labor_desktop.data.demo_generator import DemoDataConfig, generate_demo_data, make_image
from labor_desktop.engine import workflow
from labor_desktop.engine.config import preset
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.workflow import DEMO_STEPS, DESKTOP_DEMO_DATA, SMOKE_DEMO_DATA, demo_step


def test_desktop_demo_images_are_desktop_sized_and_the_model_runs_smaller():
    h, w = DESKTOP_DEMO_DATA.size
    assert h >= 512 and w >= 1024
    cfg = preset("desktop").data
    assert cfg.input_size == cfg.source_base == cfg.target_base == cfg.source_crop == cfg.target_crop == (128, 256)
    assert DESKTOP_DEMO_DATA.n_target == cfg.max_target_images  # only the pool is made


def test_benchmark_demo_data_and_preset_keep_their_sizes():
    assert DemoDataConfig() == DemoDataConfig(size=(128, 256), n_source=300, n_target=200, n_val=60, seed=0)
    demo = preset("demo").data
    assert demo.source_base is None and demo.target_base is None and demo.input_size is None
    assert demo.source_crop == demo.target_crop == (128, 256)


class _Stop(Exception):
    pass


@pytest.mark.parametrize(
    "config, expected", [("desktop", DESKTOP_DEMO_DATA), ("smoke", SMOKE_DEMO_DATA), ("demo", DemoDataConfig())]
)
def test_prepare_demo_generates_the_presets_own_data(tmp_path, monkeypatch, config, expected):
    seen = []

    def generate(out, cfg, progress):
        seen.append(cfg)
        raise _Stop

    monkeypatch.setattr(workflow, "generate_demo_data", generate)
    with pytest.raises(_Stop):
        workflow.prepare_demo(tmp_path, config)
    assert seen == [expected]


def test_scenes_are_drawn_at_full_resolution_not_upscaled():
    _, lab = make_image("target", "train", 3, (512, 1024), 0)
    # an upscaled 128x256 map changes label only every 4th pixel; a drawn one anywhere
    cols = np.nonzero((lab[:, 1:] != lab[:, :-1]).any(0))[0] + 1
    rows = np.nonzero((lab[1:] != lab[:-1]).any(1))[0] + 1
    assert (cols % 4 != 0).mean() > 0.5 and (rows % 4 != 0).mean() > 0.5


def test_model_input_is_small_while_labels_stay_full_size(tmp_path):
    generate_demo_data(tmp_path, DemoDataConfig(size=(512, 1024), n_source=2, n_target=2, n_val=1))
    cfg = preset("desktop").data
    data = ExperimentData.find(cfg, tmp_path)
    image, label, _ = data.source_set(0)[0]
    assert image.shape == (3, 128, 256) and label.shape == (128, 256)
    image, label, _ = data.val_set()[0]
    assert image.shape == (3, 128, 256) and label.shape == (512, 1024)
    sparse = np.full((512, 1024), 255, np.uint8)
    sparse[301, 777] = 7  # one labeled point on the full-size image survives the resize to 128x256
    _, label, _ = data.labeled_target_set({0: sparse}, 0)[0]
    assert label.shape == (128, 256) and (label == 7).sum() == 1


def test_every_first_run_job_belongs_to_its_step():
    jobs = {
        "demo data: source": "demo data",
        "demo data: target val": "demo data",
        "pre-train on source": "pre-train",
        "warm-up (adversarial)": "warm-up",
        "evaluate": "evaluate",
        "pixel selector": "propose",  # was counted as pre-train: the overall bar went back
        "proposals (ppl)": "propose",
    }
    assert {job: DEMO_STEPS[demo_step(job)] for job in jobs} == jobs
