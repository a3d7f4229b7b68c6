"""Drill episodes in training: they encode with every reading target and stream like any env's."""

from __future__ import annotations

import gymnasium as gym

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.relabel import with_alternatives
from deskpilot.envs.miniwob.registry import DRILL_ENV_IDS
from deskpilot.policies.config import TrainConfig, get_config
from deskpilot.policies.data import ArrayDataset, trajectory_to_examples
from deskpilot.policies.sources import FixedSource, MixedSource, StreamingSource, expert_episodes
from tests.policies.fakes import make_episodes

CFG = get_config("tiny").model


def test_drill_steps_encode_with_every_reading_target() -> None:
    env = gym.make(DRILL_ENV_IDS[1])
    episode = run_episode(env, env.unwrapped.make_expert(), source="expert", seed=2).trajectory
    ex = trajectory_to_examples(with_alternatives(episode), CFG)
    assert ex["w_pointer"].all() and ex["w_cell_letters"].all() and ex["w_cell_match"].all()
    assert ex["cell_match"].any(1).all()  # the names in the task are on screen, under some cells
    assert ex["pointer"].any(1).all()


def test_drills_stream_through_expert_episodes_into_a_mixed_source() -> None:
    data = FixedSource(ArrayDataset.from_trajectories(make_episodes(4), CFG), 6, seed=0)
    drills = StreamingSource(expert_episodes(DRILL_ENV_IDS, seed=0), CFG, 2, seed=0, capacity=64)
    mixed = MixedSource(data, drills)
    try:
        batch = mixed.next_batch()
        assert len(batch["type"]) == 8
        tasks = [bytes(int(i) - 4 for i in row if i).decode(errors="replace") for row in batch["task"]]
        assert all(t.startswith(("Click on ", "Select ", "How many ", "Click the button")) for t in tasks[6:])
        assert mixed.state() == data.state()
    finally:
        mixed.close()


def test_drill_share_is_validated() -> None:
    import pytest

    with pytest.raises(ValueError, match="train.drills"):
        TrainConfig(drills=1.0)


def test_training_on_a_dataset_streams_the_drills_of_its_tasks(tmp_path, caplog) -> None:
    import logging

    from deskpilot.collectors.collect import CollectConfig, collect
    from deskpilot.policies.config import override
    from deskpilot.policies.train import train_from_directory

    color = "deskpilot/miniwob-drill-color-v0"  # a drill's episodes stand in for click-color's
    collect(CollectConfig(color, episodes=6, out=tmp_path / "data", seed=0), [color])
    config = override(get_config("tiny"), ["steps=2", "drills=0.25", "val_fraction=0", "log_every=1000"])
    with caplog.at_level(logging.INFO, logger="deskpilot.policies.assemble"):
        train_from_directory(tmp_path / "data", tmp_path / "run", config, progress=False)
    assert f"drills: {color}" in caplog.text  # only the drill of the data's task, not all nine
