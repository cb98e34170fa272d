"""Data loading in worker processes gives exactly the batches (and the evaluation items)
loading in the training process gives: the augmentation is seeded by (epoch, index)."""

import pytest
import torch

from labor_desktop.engine.config import preset
from labor_desktop.engine.jobs.runtime import Runtime
from labor_desktop.engine.jobs.training import batches, in_order, loader_options
from labor_desktop.engine.projects.experiment_data import ExperimentData

pytestmark = pytest.mark.timeout(120)


def test_worker_processes_load_the_same_batches(tiny_data):
    data = ExperimentData.find(preset("smoke").data, tiny_data)
    rt = Runtime(torch.device("cpu"))
    assert loader_options(2, rt)["num_workers"] == 2 and not loader_options(2, rt)["pin_memory"]
    here, there = batches(data.source_set(3), 4, 3, rt, 0), batches(data.source_set(3), 4, 3, rt, 2)
    for _ in range(5):  # more batches than one epoch holds: the epoch travels with each key
        (a, la), (b, lb) = next(here), next(there)
        assert torch.equal(a, b) and torch.equal(la, lb)
    val = data.val_set()
    for k, (one, two) in enumerate(zip(in_order(val, 0, rt), in_order(val, 2, rt), strict=True)):
        assert torch.equal(one[0], two[0]) and torch.equal(one[1], two[1]) and one[2] == two[2] == k


def test_loader_processes_do_not_hang_after_opencv_used_its_threads(tmp_path):
    """A forked loader process inherits OpenCV's thread pool without its threads (a worker
    that resized the pool, as an earlier version did, hung here).  Full-size images, the
    parent's pool busy first, two batches within the test's time limit."""
    import cv2
    import numpy as np

    from labor_desktop.data.datasets import TrainAugment, TrainSet
    from labor_desktop.data.readers import Sample

    rng = np.random.default_rng(0)
    pool = []
    for k in range(4):
        path = tmp_path / f"img{k}.png"
        cv2.imwrite(str(path), cv2.resize(rng.integers(0, 255, (64, 128, 3), dtype=np.uint8), (2048, 1024)))
        pool.append(Sample(f"img{k}", path))
    cv2.setNumThreads(2)
    for _ in range(3):  # the parent's pool at work
        cv2.resize(np.zeros((2048, 4096, 3), np.uint8), (1024, 512), interpolation=cv2.INTER_AREA)
    labels = {k: np.full((1024, 2048), 255, np.uint8) for k in range(4)}
    data = TrainSet(pool, TrainAugment((256, 512), (512, 1024), (0.5, 1.5)), 0, labels=labels)
    stream = batches(data, 2, 0, Runtime(torch.device("cpu")), 2)
    for _ in range(2):
        images, _ = next(stream)
        assert images.shape == (2, 3, 256, 512)
