import sys

import numpy as np
import pytest

from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.collectors.export import action_from_row, export, export_hf
from deskpilot.collectors.reading import read_dataset
from deskpilot.envs import ActionType
from deskpilot.scripts.cli import main

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-enter-text-v0"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    collect(CollectConfig("unused", episodes=2, out=root), ENVS)
    return root


def test_hf_round_trip_keeps_pixels_actions_and_step_fields(dataset, tmp_path):
    datasets = pytest.importorskip("datasets")
    summary = export_hf(dataset, tmp_path / "hf")
    trajectories = read_dataset(dataset).trajectories
    steps = [(e, t, i, s) for e, t in enumerate(trajectories) for i, s in enumerate(t.steps)]
    assert (summary.episodes, summary.steps, summary.skipped) == (4, len(steps), [])

    ds = datasets.load_from_disk(str(tmp_path / "hf"))
    assert ds.num_rows == len(steps)
    assert ds.features["action_type"].names == [t.name for t in ActionType]
    for row, (e, traj, i, step) in zip(ds, steps, strict=True):
        assert (row["episode_index"], row["step_index"]) == (e, i)
        assert (row["env_id"], row["task"]) == (traj.meta.env_id, traj.task)
        assert (row["source"], row["seed"], row["episode_success"]) == ("expert", traj.meta.seed, True)
        np.testing.assert_array_equal(np.asarray(row["image"]), step.screenshot)
        assert action_from_row(row) == step.action
        assert row["action_type"] == int(step.action.type)
        unused = [
            c for c in ("x", "y", "x2", "y2", "text", "key", "scroll") if getattr(step.action, c) is None
        ]
        assert all(row[c] is None for c in unused)
        assert (row["reward"], row["terminated"], row["truncated"], row["time"]) == (
            step.reward,
            step.terminated,
            step.truncated,
            step.time,
        )
    assert sum(ds["terminated"]) == 4 and sum(ds["reward"]) == 4.0  # one terminal, rewarded step per episode


def test_damaged_episodes_are_left_out_and_named(dataset, tmp_path):
    pytest.importorskip("datasets")
    root = tmp_path / "data"
    for i, episode in enumerate(sorted(dataset.iterdir())[:2]):
        (root / episode.name).mkdir(parents=True)
        for f in episode.iterdir():
            (root / episode.name / f.name).write_bytes(f.read_bytes())
        if i == 1:
            (root / episode.name / "steps.jsonl").write_text("{")
    summary = export(root, tmp_path / "hf", "hf")
    assert summary.episodes == 1 and len(summary.skipped) == 1
    assert "steps.jsonl" in str(summary.skipped[0])


def test_bad_arguments_get_one_clear_error(dataset, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="format: expected one of \\('hf',\\), got 'lerobot'"):
        export(dataset, tmp_path / "out", "lerobot")
    with pytest.raises(FileNotFoundError, match="no such dataset folder"):
        export_hf(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(FileExistsError, match="full: already exists"):
        export_hf(dataset, tmp_path / "full")
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'deskpilot\[export\]'"):
        export_hf(dataset, tmp_path / "out")


def test_a_dataset_without_episodes_is_refused(tmp_path):
    pytest.importorskip("datasets")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no finished, readable episode"):
        export_hf(tmp_path / "empty", tmp_path / "out")


def test_the_cli_exports(dataset, tmp_path, capsys):
    pytest.importorskip("datasets")
    assert main(["export", str(dataset), "--format", "hf", str(tmp_path / "hf")]) == 0
    assert f"{tmp_path / 'hf'}: 4 episodes" in capsys.readouterr().out
    assert (tmp_path / "hf" / "dataset_info.json").exists()
