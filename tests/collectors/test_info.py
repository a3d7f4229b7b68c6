import shutil

import numpy as np
import pytest

from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.collectors.info import NO_ENV, dataset_info
from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.envs import Action
from deskpilot.scripts.cli import main
from tests.collectors.test_loop import Scripted, _env
from tests.collectors.test_trajectory import _write_v1

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-enter-text-v0"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Real collected episodes plus one of every other kind ``info`` must tell apart."""
    root = tmp_path_factory.mktemp("data")
    collect(CollectConfig("unused", episodes=2, out=root), ENVS)  # 4 expert successes
    # A policy that only waits: truncated by the step limit, a failure.
    writer = lambda meta: TrajectoryWriter(root, "policy-waits", meta)  # noqa: E731
    run_episode(_env(), Scripted([Action.wait()]), source="policy", seed=9, writer_factory=writer)
    # A live human recording: no env id, one step, a success.
    human = EpisodeMeta(task="open the menu", source="human", obs_size=(6, 5))
    w = TrajectoryWriter(root, "human-1", human)
    w.add_step(np.zeros((6, 5, 3), np.uint8), Action.press("f10"), terminated=True, reward=1.0)
    w.finish(True, 1.0)
    # A version 1 episode, a damaged one and an unfinished one.
    _write_v1(
        root,
        "old-v1",
        [Action.click(0.1, 0.1), Action.done()],
        {"success": False, "reward": 0.0, "num_steps": 2},
    )
    damaged = shutil.copytree(next(root.glob("mock-click-button-v0__s*")), root / "damaged")
    (damaged / "step_000000.png").write_bytes(b"not a png")
    w = TrajectoryWriter(root, "cut-short", human)
    w.add_step(np.zeros((6, 5, 3), np.uint8), Action.wait())
    w.close()
    return root


def test_info_counts_every_kind_of_episode(dataset):
    info = dataset_info(dataset)
    policy_steps = info.by_source["policy"].steps
    assert info.total.episodes == 7 and policy_steps > 1
    assert info.by_source["expert"].episodes == 5 and info.by_source["expert"].success_rate == 4 / 5
    assert info.by_source["human"].success_rate == 1.0 and info.by_source["policy"].success_rate == 0.0
    click = info.by_env["deskpilot/mock-click-button-v0"]
    assert (click.episodes, click.successes, click.truncated) == (3, 2, 1)  # 2 expert + the waiting policy
    assert info.by_env[NO_ENV].episodes == 1 and list(info.by_env)[-1] == NO_ENV  # sorted by name
    assert info.by_env["deskpilot/x-v0"].successes == 0  # the v1 episode
    assert info.versions == {2: 6, 1: 1}
    keys = 2 * 2 + 1  # select all and Enter in each expert enter-text episode, the human's f10
    assert info.actions["WAIT"] == policy_steps and info.actions["KEY"] == keys and info.actions["DRAG"] == 0
    assert sum(info.actions.values()) == info.total.steps
    assert len(info.bad) == 1 and info.bad[0].path == dataset / "damaged" / "step_000000.png"
    assert info.unfinished == [(dataset / "cut-short.partial", 1)]


def test_without_images_damaged_screenshots_go_unnoticed(dataset):
    info = dataset_info(dataset, check_images=False)
    assert info.total.episodes == 8 and not info.bad


def test_bad_folders_get_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope: no such dataset folder"):
        dataset_info(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="expected a dataset folder"):
        dataset_info(tmp_path / "file")
    (tmp_path / "ep").mkdir()
    (tmp_path / "ep" / "meta.json").write_text("{}")
    with pytest.raises(ValueError, match="one episode's folder"):
        dataset_info(tmp_path / "ep")


def test_the_cli_prints_the_tables(dataset, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich: one line per row
    assert main(["info", str(dataset)]) == 0
    out = capsys.readouterr().out
    assert "7 episodes" in out and "1 bad, 1 unfinished" in out
    for title in ("by env", "by source", "actions", "bad episodes", "unfinished episodes"):
        assert title in out
    assert "deskpilot/mock-enter-text-v0" in out and "damaged/step_000000.png" in out
