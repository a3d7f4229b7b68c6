import json

import jax
import numpy as np
import pytest

from deskpilot.policies.checkpoint import CheckpointError, latest_step
from deskpilot.scripts.cli import main


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
        main(
            ["--debug", *args, "--steps", "4", "--resume", "--set", "batch_size=4", "--set", "model.width=48"]
        )
    with pytest.raises(ValueError, match="no field"):
        main(["--debug", *args, "--set", "nope=1"])
    # Fine-tuning starts from the run's weights (not from a fresh init) and counts its own steps.
    from deskpilot.policies.train import load_params

    tuned = tmp_path / "tuned"
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--out",
                str(tuned),
                "--config",
                "tiny",
                "--steps",
                "1",
                "--set",
                "batch_size=4",
                "--set",
                "train.learning_rate=1e-9",
                "--init-from",
                str(run),
            ]
        )
        == 0
    )
    _, _, before = load_params(run)
    _, _, after = load_params(tuned)
    assert latest_step(tuned) == 1
    assert (
        max(
            float(np.abs(np.asarray(a) - np.asarray(b)).max())
            for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(after), strict=True)
        )
        < 1e-4
    )
    with pytest.raises(CheckpointError, match="model.width"):
        main(
            [
                "--debug",
                "train",
                "--data",
                str(data),
                "--out",
                str(tmp_path / "t2"),
                "--config",
                "tiny",
                "--steps",
                "1",
                "--set",
                "model.width=48",
                "--init-from",
                str(run),
            ]
        )


def test_train_on_streamed_expert_episodes(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    args = ["train", "--stream", "deskpilot/mock-easy", "--out", str(run), "--config", "tiny", "--steps", "2"]
    assert main([*args, "--set", "batch_size=4"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.find("{\n") :])
    assert report["step"] == 2 and report["val"]["examples"] > 0 and latest_step(run) == 2
