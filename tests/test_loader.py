"""Data loading in worker processes gives exactly the batches (and the evaluation items)
loading in the training process gives: the augmentation is seeded by (epoch, index)."""

import torch

from labor_desktop.engine.config import preset
from labor_desktop.engine.experiment_data import ExperimentData
from labor_desktop.engine.runtime import Runtime
from labor_desktop.engine.training import batches, in_order, loader_options


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
