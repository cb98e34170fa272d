"""``torchrun --nproc_per_node=2`` (gloo, CPU) trains exactly what one process
trains on the same global batch."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from ddp_train import train  # noqa: E402

from labor_desktop.engine.jobs.runtime import Runtime  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a hang guard only: the test waits for the two processes to end
def test_two_process_ddp_matches_one_process(tiny_data, tmp_path):
    out = tmp_path / "ddp.pt"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
        str(Path(__file__).parent / "ddp_train.py"),
        str(tiny_data),
        str(out),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    ddp = torch.load(out, weights_only=True)
    torch.manual_seed(0)
    single = train(str(tiny_data), Runtime(torch.device("cpu"))).state_dict()
    init = _initial_state()
    changed = 0
    for k, v in single.items():
        assert torch.allclose(ddp[k], v, atol=2e-5, rtol=1e-4), k
        changed += int(not torch.equal(v, init[k]))
    assert changed > 10  # the steps really trained


def _initial_state():
    from labor_desktop.core.model import DeepLabV2, ModelConfig

    torch.manual_seed(0)
    return DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=True, output_stride=16)).state_dict()
