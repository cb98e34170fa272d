"""Worker for test_ddp.py: a few supervised steps, run by torchrun or alone.

python ddp_train.py DATA OUT.pt   (under torchrun: every rank trains its shard)
"""

import sys

import torch

from labor_desktop.core.model import DeepLabV2, ModelConfig
from labor_desktop.data.datasets import TrainAugment, TrainSet
from labor_desktop.data.readers import gta5_samples
from labor_desktop.engine.jobs.runtime import Runtime
from labor_desktop.engine.jobs.training import TrainConfig, train_supervised


def train(data: str, runtime: Runtime) -> DeepLabV2:
    torch.manual_seed(0)
    # Frozen BN: batch statistics of a shard differ from the whole batch's (use SyncBN for that).
    model = DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=True, output_stride=16))
    dataset = TrainSet(gta5_samples(f"{data}/source"), TrainAugment(crop=(64, 96), scale=(0.8, 1.2)), seed=3)
    train_supervised(
        model, dataset, TrainConfig(steps=3, batch_size=4, lr=1e-3, optimizer="sgd", seed=5), runtime=runtime
    )
    return model


if __name__ == "__main__":
    torch.set_num_threads(1)
    rt = Runtime.create("cpu")
    model = train(sys.argv[1], rt)
    if rt.is_main:
        torch.save(model.state_dict(), sys.argv[2])
