"""Training on a data folder leaves out the episodes whose outcome says they failed, and says so."""

import dataclasses
import logging

import numpy as np
import pytest

from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.envs import Action
from deskpilot.policies import assemble
from deskpilot.policies.config import get_config
from tests.collectors import faulty


class Stop(Exception):
    """Raised once the episodes to train on are known: the training itself is not under test."""


def episodes_trained_on(monkeypatch, data, **train_fields) -> list:
    seen = []

    def split(episodes, *args):
        seen.extend(episodes)
        raise Stop

    monkeypatch.setattr(assemble, "split_by_episode", split)
    config = get_config("tiny")
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, **train_fields))
    with pytest.raises(Stop):
        assemble.train_from_directory(data, data.parent / "run", config, progress=False)
    return seen


def record(root, name: str, success: bool, **extra) -> None:
    """A person's one-step recording, saved the way the recorder saves it."""
    writer = TrajectoryWriter(root, name, EpisodeMeta("click OK", "human", (8, 8), extra=extra))
    writer.add_step(
        np.zeros((8, 8, 3), np.uint8), Action.click(0.5, 0.5), terminated=True, reward=float(success)
    )
    writer.finish(success, float(success))


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "data"
    # 5 expert episodes: the expert raised on seeds 1 and 3, so 2 are failed (with their errors)
    collect(CollectConfig("unused", episodes=5, out=root), [faulty.FAILING_ENV])
    record(root, "said-ok", True, stopped_by="stop_key")
    record(root, "said-failed", False, stopped_by="stop_key")  # the person said it failed: out
    record(root, "not-asked", False, stopped_by="stop_key", success_unknown=True)  # stays
    record(root, "interrupted", False, stopped_by="signal")  # stays
    return root


def test_failed_episodes_are_left_out_and_counted(monkeypatch, caplog, data):
    with caplog.at_level(logging.WARNING, logger="deskpilot.policies.assemble"):
        kept = episodes_trained_on(monkeypatch, data)
    assert len(kept) == 6
    assert {t.meta.seed for t in kept if t.meta.source == "expert"} == {0, 2, 4}
    assert all(t.success for t in kept if t.meta.source == "expert")
    assert len([t for t in kept if t.meta.source == "human"]) == 3
    assert "left out 3 of 9 episodes whose outcome says they failed" in caplog.text
    assert "train.include_failed=true" in caplog.text


def test_a_flag_trains_on_them_too(monkeypatch, caplog, data):
    with caplog.at_level(logging.WARNING, logger="deskpilot.policies.assemble"):
        kept = episodes_trained_on(monkeypatch, data, include_failed=True)
    assert len(kept) == 9 and "left out" not in caplog.text


def test_a_folder_of_failures_only_is_explained(monkeypatch, tmp_path):
    root = tmp_path / "data"
    record(root, "said-failed", False, stopped_by="stop_key")
    with pytest.raises(ValueError, match="no finished episodes to train on .*1 of them failed"):
        episodes_trained_on(monkeypatch, root)


def test_the_flag_is_a_config_field():
    from deskpilot.policies.config import override

    assert override(get_config("tiny"), ["train.include_failed=true"]).train.include_failed is True
    assert get_config("tiny").train.include_failed is False
