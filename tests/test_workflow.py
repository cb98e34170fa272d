"""The application's jobs on a project, without Qt: bootstrap, a person's labels,
advance, cancel leaving the project as it was, relabeling redoing the retraining."""

import threading

import pytest

from labor_desktop.engine.config import preset
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.workflow import Cancelled, ProjectWorkflow, create_project, run_folder
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixtures took 340 s under load


def test_bootstrap_label_advance_cancel(tiny_data, tmp_path):
    cfg = preset("smoke")
    data = ExperimentData.find(cfg.data, tiny_data)
    path = tmp_path / "mine.labor.h5"
    create_project(path, cfg, data, "ppl").close()
    with Project.open(path) as project:
        flow = ProjectWorkflow(project)
        assert flow.current_stage() == 0
        assert flow.bootstrap() == 1 and flow.current_stage() == 1
        assert run_folder(path).name == "mine.labor.run"
        mask, points = project.proposal(1, 0)
        assert mask is not None and len(points) > 0
        labels, stage = project.labels(0)
        y, x, k = points[0]
        labels[y, x] = k  # the person accepts the model's class for one point
        project.save_labels(0, labels, 1)

        cancel = threading.Event()
        events = []

        def progress(job, step, total, info):
            events.append(job)
            if job.startswith("proposals"):
                cancel.set()  # stop while stage 2's proposals are being written

        flow = ProjectWorkflow(project, progress, cancel)
        with pytest.raises(Cancelled):
            flow.advance()
        assert "retrain" in events and flow.current_stage() == 1  # as it was
        assert [h["stage"] for h in project.history()] == [0, 1]  # stage 1 ended, stage 2 not proposed

        labels[points[1][0], points[1][1]] = points[1][2]  # one more label after the cancel
        project.save_labels(0, labels, 1)
        events.clear()
        flow = ProjectWorkflow(project, lambda job, *a: events.append(job))
        assert flow.advance() == 2 and flow.current_stage() == 2
        assert "retrain" in events  # the labels changed: retrained, not reused
        assert project.proposal(2, 0)[0] is not None
        assert project.history()[1]["budget"]["unit"] == "points"
        kept, _ = project.labels(0)
        assert (kept != 255).sum() == 2


def test_a_project_whose_target_folder_changed_is_refused(tiny_data, tmp_path):
    from dataclasses import replace

    cfg = preset("smoke")
    path = tmp_path / "p.labor.h5"
    small = replace(cfg, data=replace(cfg.data, max_target_images=3))
    create_project(path, small, ExperimentData.find(small.data, tiny_data), "spl").close()
    with Project.open(path) as project:
        settings = project.settings
        settings.extra["experiment"] = cfg.to_dict()  # now the pool would be 8 images
        project.update_settings(settings)
        flow = ProjectWorkflow(project)  # cheap: answers questions without scanning
        assert flow.current_stage() == 0 and flow.label_unit == "pixels"
        with pytest.raises(ValueError, match="holds 8 pool images but the project has 3"):
            flow.bootstrap()  # a job needs the data: then the mismatch is found


def test_questions_need_no_data_and_no_device(tiny_data, tmp_path, monkeypatch):
    cfg = preset("smoke")
    path = tmp_path / "p.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), "ppl").close()
    import labor_desktop.engine.workflow as wf

    def forbidden(*a, **k):
        raise AssertionError("the constructor and the questions must not scan data or pick a device")

    monkeypatch.setattr(wf.ExperimentData, "find", forbidden)
    monkeypatch.setattr(wf.Runtime, "create", forbidden)
    with Project.open(path) as project:
        flow = ProjectWorkflow(project)
        assert flow.current_stage() == 0 and flow.label_unit == "points"
        assert flow.config.to_dict() == cfg.to_dict()


def test_keep_the_previous_model_after_a_worse_stage(tiny_data, tmp_path):
    cfg = preset("smoke")
    path = tmp_path / "p.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), "ppl").close()
    with Project.open(path) as project:
        flow = ProjectWorkflow(project)
        flow.bootstrap()
        labels, _ = project.labels(0)
        y, x, k = project.proposal(1, 0)[1][0]
        labels[y, x] = (k + 1) % 19  # a wrong label
        project.save_labels(0, labels, 1)
        result = flow.finish()
        assert result["stage"] == 1 and "miou" in result["after"] and "miou" in result["before"]
        retrained = flow.engine().model_after(1)
        assert retrained != flow.engine().model_after(0)
        flow.keep_previous_model(1)
        assert flow.engine().model_after(1) == flow.engine().model_after(0)
        assert project.history()[-1]["miou"] == result["before"]["miou"]  # stage 1 reports the kept model
        assert flow.propose_next() == 2 and flow.current_stage() == 2
        assert flow.current_model() == flow.engine().model_after(0)  # stage 2 was proposed with it


def test_a_stage_end_reads_each_images_labels_and_proposals_once(tiny_data, tmp_path, monkeypatch):
    from collections import Counter

    from labor_desktop.labeling import image_status

    cfg = preset("smoke")
    path = tmp_path / "p.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), "ppl").close()
    with Project.open(path) as project:
        ProjectWorkflow(project).bootstrap()
        for i in (0, 2):
            labels, _ = project.labels(i)
            y, x, k = project.proposal(1, i)[1][0]
            labels[y, x] = k
            project.save_labels(i, labels, 1)
        reads: Counter = Counter()
        for name in ("labels", "labels_snapshot", "proposal"):
            real = getattr(project, name)
            monkeypatch.setattr(
                project, name, lambda *a, _real=real, _name=name, **k: reads.update([(_name, *a)]) or _real(*a, **k)
            )
        flow = ProjectWorkflow(project)
        flow.finish()
        made = {}
        assert flow.propose_next(on_proposal=lambda i, mask, points: made.update({i: (mask, points)})) == 2
        n = len(project.images)
        assert reads[("labels_snapshot",)] == 1 and not any(key[0] == "labels" for key in reads)
        assert {key for key in reads if key[0] == "proposal"} == {("proposal", 1, i) for i in range(n)}
        assert all(count == 1 for key, count in reads.items() if key[0] == "proposal")
        monkeypatch.undo()
        assert sorted(made) == list(range(n))  # the window's statuses of stage 2, from what was written
        for i, (mask, points) in made.items():
            stored = project.proposal(2, i)
            assert (mask == stored[0]).all() and (points == stored[1]).all()
            labels = flow.labels_read.get(i, project.labels(i)[0])
            assert image_status(labels, mask, points) == image_status(project.labels(i)[0], *stored)
