"""The GPU running out of memory in any job of a stage: the message names the job, its
batch size and the setting to lower; the job is not marked done and no label changes.
A fake out-of-memory error (as torch raises it) forces the path on the CPU."""

import pytest
import torch

from labor_desktop.engine import stages
from labor_desktop.engine.config import preset
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.workflow import OutOfMemory, ProjectWorkflow, create_project
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixtures took 340 s under load


def oom_torch(*args, **kwargs):
    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.1 GiB total)")


def oom_plain(*args, **kwargs):
    raise RuntimeError("CUDA error: out of memory")


def test_out_of_memory_in_each_job_is_named_and_leaves_the_project(tiny_data, tmp_path, monkeypatch):
    cfg = preset("smoke")
    path = tmp_path / "oom.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), "ppl").close()
    with Project.open(path) as project:
        flow = ProjectWorkflow(project)
        flow.bootstrap()
        labels, stage = project.labels(0)
        y, x, k = project.proposal(1, 0)[1][0]
        labels[y, x] = k
        project.save_labels(0, labels, 1)
        before = {i: lab.copy() for i, (lab, _) in project.labels_snapshot().items()}

        cases = [
            ("retrain", oom_torch, "finish", "retrain-1", f"batch size {cfg.retrain.batch_size}", "[retrain] batch_size"),
            ("train_selector", oom_plain, "propose_next", "selector-2", f"batch size {cfg.selector.batch_size}",
             "[selector] batch_size"),
            ("write_proposals", oom_torch, "propose_next", "propose-2", f"batch size {cfg.proposal_batch}",
             "proposal_batch"),
        ]  # fmt: skip
        for target, fake, call, job, batch, key in cases:
            with monkeypatch.context() as m:
                m.setattr(stages, target, fake)
                flow = ProjectWorkflow(project)
                with pytest.raises(OutOfMemory) as err:
                    getattr(flow, call)()
            message = str(err.value)
            assert message.startswith(f"{job}: the GPU ran out of memory at {batch};")
            assert f"Lower {key} (now" in message and "not marked done" in message
            assert err.value.job == job and err.value.key == key
            assert not flow.engine().state.done(job)
            assert flow.current_stage() == 1
            now = {i: lab for i, (lab, _) in project.labels_snapshot().items()}
            assert now.keys() == before.keys() and all((now[i] == before[i]).all() for i in now)
            if call == "finish":  # the rest of the cases start from a finished stage 1
                ProjectWorkflow(project).finish()
        assert ProjectWorkflow(project).propose_next() == 2  # without the fake, it goes on


def test_other_failures_are_not_called_out_of_memory(tiny_data, tmp_path, monkeypatch):
    cfg = preset("smoke")
    path = tmp_path / "bad.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), "ppl").close()

    def broken(*args, **kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(stages, "train_selector", broken)
    with Project.open(path) as project, pytest.raises(RuntimeError, match="shape mismatch") as err:
        ProjectWorkflow(project).bootstrap()
    assert not isinstance(err.value, OutOfMemory)
