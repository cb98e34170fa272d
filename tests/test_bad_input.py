"""Issue 12, defects 11-16: every bad input to the engine and the command line is one clear
message (the file or setting, and the fix), found before any work is done."""

import json
import struct
import zlib

import pytest
import torch

from labor_desktop.cli import main
from labor_desktop.core.checkpoint import CheckpointError, load_model, read_checkpoint
from labor_desktop.core.model import DeepLabV2, ModelConfig
from labor_desktop.data.demo_generator import DemoDataConfig
from labor_desktop.data.io import DataError, image_size, read_label
from labor_desktop.engine.config import load_config
from labor_desktop.engine.jobs.training import Diverged, StepClock
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.run_state import RunError, RunState


# ---- 11: config values (the TOML cases are in test_engine_config.py) ------------------------
@pytest.mark.parametrize("argv", [["--stages", "-1"], ["--stages", "0"], ["--stages", "x"], ["--seed", "-3"]])
def test_bad_numbers_on_the_command_line_are_refused(tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--strategy", "ppl", "--out", str(tmp_path / "run"), *argv])
    assert e.value.code == 2 and argv[0] in capsys.readouterr().err


def test_config_nan_lr_names_the_setting(tmp_path):
    (tmp_path / "c.toml").write_text("[retrain]\nlr = nan\n")
    with pytest.raises(ValueError, match=r"c\.toml: \[retrain\] lr = nan: must be a finite number"):
        load_config(tmp_path / "c.toml")


# ---- 12: non-finite weights and losses --------------------------------------------------------
def test_checkpoint_with_nan_weights_is_refused(tmp_path):
    sd = DeepLabV2(ModelConfig(backbone="resnet18")).state_dict()
    sd["layer5.conv2d_list.0.weight"][0, 0, 0, 0] = float("nan")
    torch.save(sd, tmp_path / "nan.pth")
    with pytest.raises(CheckpointError, match=r"nan\.pth: 1 weight tensor\(s\) hold NaN .*layer5"):
        load_model(tmp_path / "nan.pth", ModelConfig(backbone="resnet18"))


def test_non_finite_loss_stops_the_job_naming_job_step_and_loss():
    clock = StepClock("retrain stage 2", 100, None, None)
    clock.tick(1, {"loss": 0.5})
    with pytest.raises(Diverged, match=r"retrain stage 2: step 7 of 100: loss = nan; the training diverged"):
        clock.tick(7, {"loss": float("nan")})
    assert issubclass(Diverged, RuntimeError)  # the CLI's one-line error, the worker's error dialog


def test_a_diverged_job_is_not_marked_done(tmp_path):
    from labor_desktop.engine.jobs.runtime import Runtime
    from labor_desktop.engine.run_jobs import Context, run_job

    state = RunState(tmp_path / "run", {"x": 1})
    ctx = Context(load_config(base="smoke"), None, Runtime.create("cpu", amp=False, channels_last=False))

    def diverging(seed):
        StepClock("pretrain", 10, None, None).tick(3, {"loss": float("inf")})

    with pytest.raises(Diverged):
        run_job(state, ctx, "pretrain", diverging)
    assert not state.done("pretrain")
    assert "pretrain" not in json.loads((tmp_path / "run" / "state.json").read_text())["jobs"]


# ---- 13: every argument before any work -------------------------------------------------------
@pytest.mark.parametrize("cmd", [["simulate", "--strategy", "foo"], ["compare", "--strategies", "ppl", "foo"]])
def test_unknown_strategy_fails_before_any_work(tmp_path, capsys, cmd, monkeypatch):
    from labor_desktop.engine.projects.experiment_data import ExperimentData

    def no_work(*a, **k):
        raise AssertionError("the data were looked at before the arguments were checked")

    monkeypatch.setattr(ExperimentData, "find", no_work)
    assert main([*cmd, "--preset", "smoke", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "run")]) == 1
    assert "unknown strategy 'foo'; choose from spl, ppl" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_demo_checks_strategies_before_making_data(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--strategies", "foo"]) == 1
    assert "unknown strategy 'foo'" in capsys.readouterr().err and not (tmp_path / "demo").exists()


def test_missing_from_checkpoint_fails_before_any_work(tmp_path, capsys):
    argv = ["simulate", "--strategy", "ppl", "--from", str(tmp_path / "x.pt"), "--out", str(tmp_path / "run")]
    assert main(argv) == 1
    assert "x.pt: no such checkpoint file (--from)" in capsys.readouterr().err


# ---- 14: huge images and demo data sizes --------------------------------------------------------
def _png_header(path, w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_header_is_a_data_error(tmp_path):
    _png_header(tmp_path / "huge.png", 20000, 20000)
    with pytest.raises(DataError, match=r"huge\.png: the image is larger than .* million pixels"):
        image_size(tmp_path / "huge.png")
    with pytest.raises(DataError, match=r"huge\.png: the image is larger than"):
        read_label(tmp_path / "huge.png")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--size", "100000x100000"], "each side must be 32..4096"),
        (["--n-source", "-1"], "-1 is not in 1..100000"),
        (["--n-target", "0"], "0 is not in 1..100000"),
        (["--n-val", "-2"], "-2 is not in 0..100000"),
    ],
)
def test_demo_data_arguments_have_bounds(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(["demo-data", "--out", str(tmp_path / "d"), *argv])
    assert e.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_demo_data_config_checks_itself():
    with pytest.raises(ValueError, match="n_source = -1: must be 1..100000"):
        DemoDataConfig(n_source=-1)


# ---- 15: a ledger of the wrong shape ---------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [
        "[]",
        '{"config": {"x": 1}, "jobs": []}',
        '{"jobs": {}}',
        '{"config": {"x": 1}, "jobs": {"pretrain": {"result": {"sha256": "ab"}}}}',
        '{"config": {"x": 1}, "jobs": {"evaluate-1": 3}}',
        b"\xff\xfe",
    ],
)
def test_run_ledger_of_the_wrong_shape_is_a_run_error(tmp_path, content):
    (tmp_path / "run").mkdir()
    target = tmp_path / "run" / "state.json"
    target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
    with pytest.raises(RunError, match=r"state\.json: damaged run ledger"):
        RunState(tmp_path / "run", {"x": 1})


# ---- 16: messages --------------------------------------------------------------------------------
class Evil:
    def __reduce__(self):
        return (print, ("this ran",))


def test_refused_pickle_says_the_file_contains_code(tmp_path, capsys):
    torch.save({"a": Evil()}, tmp_path / "evil.pt")
    with open(tmp_path / "raw.pt", "wb") as f:
        f.write(b"cos\nsystem\n(S'echo this ran'\ntR.")  # a protocol-0 pickle: GLOBAL os.system
    for name in ("evil.pt", "raw.pt"):
        with pytest.raises(CheckpointError, match=rf"{name}: refused: the file contains code .*it was not loaded"):
            read_checkpoint(tmp_path / name)
    assert "this ran" not in capsys.readouterr().out


def test_missing_data_hint_names_the_real_command(tmp_path):
    with pytest.raises(DataError, match=r"'labor demo-data --out .*none'"):
        ExperimentData.find(None, str(tmp_path / "none"), None, None)
