"""Every file the engine writes (run ledger, checkpoints, selector, reports, figures)
is written whole or not at all and never through a link placed at its temporary or final
name (issue 21, case 7: ``RUN/warm-start/state.json.tmp`` as a link)."""

import os

import pytest
import torch

from labor_desktop.core.checkpoint import load_model, save_checkpoint
from labor_desktop.core.model import DeepLabV2, ModelConfig, PixelSelector
from labor_desktop.engine.experiments.report import write_report
from labor_desktop.engine.jobs.selector_job import save_selector
from labor_desktop.engine.run_state import RunState
from labor_desktop.safe_files import replace_atomically


def _plant(tmp_path, folder, names):
    """Links at ``names`` in ``folder``, each to its own file outside; returns the targets."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = []
    for k, name in enumerate(names):
        target = tmp_path / f"outside{k}"
        target.write_bytes(b"untouched")
        os.symlink(target, folder / name)
        targets.append(target)
    return targets


def _untouched(targets):
    return [t.read_bytes() for t in targets] == [b"untouched"] * len(targets)


def test_the_run_ledger_is_never_written_through_a_link_at_its_temporary(tmp_path):
    root = tmp_path / "run" / "warm-start"
    targets = _plant(tmp_path, root, ["state.json.tmp"])
    state = RunState(root, {"seed": 1})
    state.finish("pretrain", {"checkpoint": "c.pt"}, 1.0)
    assert _untouched(targets)
    assert not os.path.islink(root / "state.json")
    assert RunState.finished_jobs(root) == {"pretrain"}


def test_checkpoints_and_the_selector_are_never_written_through_links(tmp_path):
    model = DeepLabV2(ModelConfig(backbone="resnet18", num_classes=3, style="caffe"))
    folder = tmp_path / "checkpoints"
    targets = _plant(tmp_path, folder, ["m.pt.tmp", "m.pt", "s.pt.tmp"])
    save_checkpoint(folder / "m.pt", model)
    save_selector(PixelSelector(model), folder / "s.pt")
    assert _untouched(targets)
    assert not os.path.islink(folder / "m.pt") and load_model(folder / "m.pt").cfg == model.cfg
    assert set(torch.load(folder / "s.pt", weights_only=True)) == set(PixelSelector(model).state_dict())


def test_reports_and_figures_are_never_written_through_links(tmp_path):
    out = tmp_path / "compare"
    names = ["report.md", "table.md", "table.csv", "fig5-miou-by-stage.png"]
    targets = _plant(tmp_path, out, names)
    results = {"ppl": [{"stage": 0, "miou": 0.5, "iou": [0.5] * 19, "budget": None}]}
    write_report(out, results, {"seed": 0})
    assert _untouched(targets)
    assert [os.path.islink(out / n) for n in names] == [False] * 4
    assert (out / "fig5-miou-by-stage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.md").read_text().startswith("# Comparison: ppl\n")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "f.json").write_text("old")

    def fail(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        replace_atomically(tmp_path / "f.json", fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
    assert (tmp_path / "f.json").read_text() == "old"


def test_a_new_file_gets_the_modes_open_would_give(tmp_path):
    replace_atomically(tmp_path / "f", lambda f: f.write(b"x"))
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(tmp_path / "f").st_mode & 0o777 == 0o666 & ~mask
