import json

import pytest

from policies.checkpoint import CheckpointError, latest_step
from scripts.cli import main


def test_collect_then_train_then_resume(tmp_path, capsys) -> None:
    data, run = tmp_path / "data", tmp_path / "run"
    assert main(["collect", "--env", "deskpilot/mock-easy", "--episodes", "3", "--out", str(data)]) == 0
    args = ["train", "--data", str(data), "--out", str(run), "--config", "tiny"]
    assert main([*args, "--steps", "2", "--set", "batch_size=4", "--set", "eval_every=1"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.find("{\n") :])
    assert report["step"] == 2 and "type_acc" in report["val"] and latest_step(run) == 2
    assert main([*args, "--steps", "3", "--resume", "--set", "batch_size=4"]) == 0
    assert latest_step(run) == 3
    with pytest.raises(CheckpointError, match="model.width"):
        main([*args, "--steps", "4", "--resume", "--set", "batch_size=4", "--set", "model.width=48"])
    with pytest.raises(ValueError, match="no field"):
        main([*args, "--set", "nope=1"])


def test_train_on_streamed_expert_episodes(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    args = ["train", "--stream", "deskpilot/mock-easy", "--out", str(run), "--config", "tiny", "--steps", "2"]
    assert main([*args, "--set", "batch_size=4"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.find("{\n") :])
    assert report["step"] == 2 and report["val"]["examples"] > 0 and latest_step(run) == 2
