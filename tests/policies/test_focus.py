"""``train.focus`` on a dataset: validation moves each task's share of the batches toward its error."""

from __future__ import annotations

import json
import logging

import numpy as np

from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.policies import assemble
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import ArrayDataset
from tests.policies.fakes import make_episodes

TASKS = ["deskpilot/mock-shortcut-v0", "deskpilot/mock-focus-type-v0"]


def test_validation_steers_a_datasets_batches_and_the_checkpoint_keeps_the_shares(
    tmp_path, monkeypatch, caplog
) -> None:
    collect(CollectConfig(",".join(TASKS), episodes=6, out=tmp_path / "data", seed=0), TASKS)
    monkeypatch.setattr(assemble, "_FEW_VAL", 1)  # a handful of validation examples steers here
    config = override(
        get_config("tiny"),
        ["steps=2", "eval_every=1", "checkpoint_every=1", "val_fraction=0.5", "focus=1.0", "log_every=1000"],
    )
    with caplog.at_level(logging.INFO, logger="deskpilot.policies.assemble"):
        assemble.train_from_directory(tmp_path / "data", tmp_path / "run", config, progress=False)
    assert "train.focus=1.0: that share of each batch goes to the 2 tasks" in caplog.text
    meta = tmp_path / "run" / "checkpoints" / "2" / "meta" / "metadata"  # orbax's JsonSave file
    state = json.loads(meta.read_text())["data_state"]
    shares = state["task_shares"]
    assert sorted(shares) == sorted(TASKS) and state["draws"] == 2
    assert abs(sum(shares.values()) - 1) < 1e-9
    # focus=1: the shares are the tasks' validation errors, normalised; the random model's errors
    # differ by task (or are all zero, and the shares stay even).
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    last = [r for r in rows if r.get("step") == 2 and any(k.startswith("val_task/") for k in r)][-1]
    errors = np.array(
        [1 - np.mean([v for k, v in last[f"val_task/{t}"].items() if k.endswith("_acc")]) for t in TASKS]
    )
    want = errors / errors.sum() if errors.sum() else np.full(2, 0.5)
    for task, episodes in zip(TASKS, _val_episodes(tmp_path / "data", config), strict=True):
        row = last[f"val_task/{task}"]
        assert row["episodes"] == episodes and row["exact"] <= min(
            v for k, v in row.items() if k.endswith("_acc")
        )
    np.testing.assert_allclose([shares[t] for t in TASKS], want, atol=1e-6)


def test_focus_waits_for_enough_validation_and_two_tasks(caplog) -> None:
    train = ArrayDataset.from_trajectories(make_episodes(8), get_config("tiny").model)
    few = ArrayDataset.from_trajectories(make_episodes(4, seed=1), get_config("tiny").model)
    with caplog.at_level(logging.INFO, logger="deskpilot.policies.assemble"):
        assert not assemble._steers(train, few, 0.5)
    assert (
        "train.focus=0.5 not applied: validation has 9 examples over its tasks, fewer than 20 a task"
        in caplog.text
    )
    assert not assemble._steers(train, None, 0.5) and not assemble._steers(train, train, 0.0)
    one_task = ArrayDataset.from_trajectories(make_episodes(1), get_config("tiny").model)
    assert not assemble._steers(one_task, one_task, 0.5)


def _val_episodes(data, config) -> list[int]:
    """How many episodes of each of ``TASKS`` training's seeded split gives validation."""
    from deskpilot.collectors.reading import read_dataset
    from deskpilot.policies.data import split_by_episode

    episodes = read_dataset(data).trajectories
    _, val = split_by_episode(episodes, config.train.val_fraction, config.train.seed)
    return [sum(t.meta.env_id == task for t in val) for task in TASKS]
