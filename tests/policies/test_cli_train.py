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

    # Grown: more fusion and text layers than the run's; the added ones start as the identity, so
    # the grown model acts as the run did, its loaded layers unchanged.
    from flax import nnx

    from deskpilot.policies.data import ArrayDataset
    from tests.policies.fakes import make_episodes

    grown = tmp_path / "grown"
    more = ["--set", "model.depth=3", "--set", "model.text_layers=2", "--set", "train.learning_rate=1e-9"]
    grow = ["train", "--data", str(data), "--out", str(grown), "--config", "tiny", "--steps", "1"]
    assert main([*grow, "--set", "batch_size=4", "--init-from", str(run), *more]) == 0
    (cfg, graph, params), (cfg2, graph2, params2) = load_params(run), load_params(grown)
    assert (cfg.model.depth, cfg2.model.depth, len(params2["blocks"]), len(params2["text_blocks"])) == (
        1,
        3,
        3,
        2,
    )
    for a, b in zip(jax.tree.leaves(params["blocks"][0]), jax.tree.leaves(params2["blocks"][0]), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    ds = ArrayDataset.from_trajectories(make_episodes(4), cfg.model)
    batch = {k: jax.numpy.asarray(v[:6]) for k, v in ds.arrays.items()}
    before, after = nnx.merge(graph, params)(batch), nnx.merge(graph2, params2)(batch)
    for key in before:
        np.testing.assert_allclose(before[key], after[key], atol=1e-4, err_msg=key)


def test_train_on_streamed_expert_episodes(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    args = ["train", "--stream", "deskpilot/mock-easy", "--out", str(run), "--config", "tiny", "--steps", "2"]
    assert main([*args, "--set", "batch_size=4"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.find("{\n") :])
    assert report["step"] == 2 and report["val"]["examples"] > 0 and latest_step(run) == 2
