"""Shifted examples: the screen, the targets and the history's points move together by whole cells."""

from __future__ import annotations

import itertools

import numpy as np

from deskpilot.policies.augment import ShiftedSource, shift_example
from deskpilot.policies.config import CELL, get_config
from deskpilot.policies.data import ArrayDataset, trajectory_to_examples
from deskpilot.policies.sources import FixedSource, expert_episodes

CFG = get_config("tiny").model


def _rows(env: str) -> list[dict[str, np.ndarray]]:
    (episode,) = itertools.islice(expert_episodes([env], seed=4), 1)
    ex = trajectory_to_examples(episode, CFG)
    return [{k: v[i] for k, v in ex.items()} for i in range(len(ex["type"]))]


def test_a_shift_moves_the_screen_the_targets_and_the_history_together() -> None:
    row = _rows("deskpilot/mock-enter-text-v0")[1]  # typing, after the click on the field
    rows, cols = CFG.grid
    moved = shift_example(row, 2, -1, CFG)
    assert moved is not None
    h, w = CFG.obs_size
    np.testing.assert_array_equal(
        moved["screen"][2 * CELL : h, 0 : w - CELL], row["screen"][: h - 2 * CELL, CELL:w]
    )
    before = row["cell_word_id"].reshape(rows, cols)
    after = moved["cell_word_id"].reshape(rows, cols)
    np.testing.assert_array_equal(after[2:, : cols - 1], before[: rows - 2, 1:])
    assert (after[:2] == -1).all() and (after[:, -1] == -1).all()
    clicked = row["hist_type"] > 0
    dx, dy = (
        moved["hist_xy"][clicked, 0] - row["hist_xy"][clicked, 0],
        moved["hist_xy"][clicked, 1] - row["hist_xy"][clicked, 1],
    )
    np.testing.assert_allclose(dx, -CELL / w, atol=1e-6)
    np.testing.assert_allclose(dy, 2 * CELL / h, atol=1e-6)
    assert moved["task"] is row["task"] and moved["type"] == row["type"]
    # A typed byte's halves (row by row, 2X a row) move with the screen; one pushed off is dropped.
    look = np.asarray([[3 * 2 * cols + 5, 4 * 2 * cols + 5, -1], [3 * 2 * cols + 1, -1, -1]], np.int16)
    moved = shift_example({**row, "text_look": look}, 2, -1, CFG)
    assert moved is not None
    assert moved["text_look"].tolist() == [[5 * 2 * cols + 3, 6 * 2 * cols + 3, -1], [-1, -1, -1]]


def test_a_shift_that_would_push_the_target_off_the_screen_is_not_made() -> None:
    row = _rows("deskpilot/mock-click-button-v0")[0]
    rows, cols = CFG.grid
    target_cols = np.nonzero(row["pointer"].reshape(rows, cols).any(0))[0]
    assert shift_example(row, 0, cols - int(target_cols.min()), CFG) is None


def test_the_source_shifts_copies_and_leaves_the_dataset_alone() -> None:
    episodes = list(itertools.islice(expert_episodes(["deskpilot/mock-click-button-v0"], seed=1), 6))
    data = ArrayDataset.from_trajectories(episodes, CFG)
    screens = data.take(np.arange(len(data)))["screen"].copy()
    source = ShiftedSource(FixedSource(data, 4, seed=0), CFG, max_cells=2, seed=0, p=1.0)
    batches = [source.next_batch() for _ in range(3)]
    assert any(not np.array_equal(b["screen"][0], screens[0]) for b in batches)
    np.testing.assert_array_equal(data.take(np.arange(len(data)))["screen"], screens)
    assert all(b["pointer"].reshape(len(b["pointer"]), -1).any(1).all() for b in batches)


def test_shift_and_rehearsal_settings_are_validated() -> None:
    import pytest

    from deskpilot.policies.config import TrainConfig

    with pytest.raises(ValueError, match="train.shift"):
        TrainConfig(shift=-1)
    with pytest.raises(ValueError, match="train.drills \\+ train.rehearse"):
        TrainConfig(drills=0.5, rehearse=0.5)


def test_a_dataset_trains_with_shifts_and_rehearsal_from_the_synthetic_suite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from deskpilot.collectors.collect import CollectConfig, collect
    from deskpilot.envs.registry import resolve_env_ids
    from deskpilot.policies.train import train_from_directory

    env = "deskpilot/mock-easy"
    collect(CollectConfig(env, 2, tmp_path / "data", 1, 0), resolve_env_ids(env))
    config = get_config("tiny")
    train = dataclasses.replace(config.train, steps=2, batch_size=8, shift=2, rehearse=0.5, eval_every=2)
    report = train_from_directory(
        tmp_path / "data", tmp_path / "run", dataclasses.replace(config, train=train), progress=False
    )
    assert report["step"] == 2 and report["train_episodes"] + report["val_episodes"] == 4
