"""MiniWoB data for learning, through the real desktop path.

* A scripted "person" (xdotool, like the recorder's own tests) solves enter-text in the Chromium
  window while the recorder runs over the task area: the recorded episode holds the intended
  actions, MiniWoB's page scored it, and it trains like expert data.
* A ``tiny`` policy trained on collected click-test expert episodes is evaluated through the env:
  real screen capture, real XTEST input.
"""

from __future__ import annotations

import math
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.collectors.folding import FoldingConfig
from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.reading import read_dataset, read_trajectory
from deskpilot.collectors.recorder import Recorder, RecorderConfig
from deskpilot.envs.actions import Action, ActionType, from_pixel, to_pixel
from deskpilot.envs.desktop.capture import Region
from deskpilot.envs.info import REGION, check_info
from deskpilot.envs.miniwob import env_id

pytestmark = [pytest.mark.browser, pytest.mark.display]

# click-test (one button of random size and place): 24 expert episodes and 100 tiny steps. Measured
# here: 20/20 held-out successes for train seeds 0 and 1 (and with 16 episodes, 30 steps, seeds 0 and
# 2); the untrained model says DONE on every episode (0/20).
EPISODES = 24
TRAIN_STEPS = 100
EVAL_EPISODES = 10
MIN_SUCCESS = 0.6


@pytest.fixture(autouse=True)
def _need_browser(need_browser: None) -> None:
    """Every test here drives Chromium."""


def xdo(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


def _point(dom: list[dict[str, Any]], pred: Callable[[dict[str, Any]], bool]) -> tuple[int, int]:
    """Where a click reaches the first element matching ``pred`` (screen = task-area pixels)."""
    el = next(e for e in dom if pred(e))
    return int(el["point"][0]), int(el["point"][1])


def test_person_recorded_on_miniwob_gives_scored_trainable_demonstration(make, tmp_path: Path) -> None:
    env = make("enter-text", input_timeout_s=10.0)  # a loaded machine may be slow to deliver the typing
    seed = 3
    expert_ep = run_episode(env, env.unwrapped.make_expert(), source="expert", seed=seed)
    assert expert_ep.success

    obs, info = env.reset(seed=seed)
    check_info(info, has_region=True)
    region = Region(*info[REGION])
    assert (region.width, region.height) == (160, 210)
    assert expert_ep.trajectory.meta.screen == {"left": 0, "top": 0, "width": 160, "height": 210}
    # The expert's DOM knowledge only decides where the person clicks and what they type.
    text = obs["task"].split('"')[1]
    field = _point(info["dom"], lambda e: e["id"] == "tt")
    submit = _point(info["dom"], lambda e: e["role"] == "button" and e["label"].lower() == "submit")
    for px, py in (field, submit):  # the same points lie inside the public element boxes
        assert any(
            b[0] <= (px + 0.5) / 160 < b[2] and b[1] <= (py + 0.5) / 210 < b[3]
            for b in (e["box"] for e in info["elements"])
        )

    outcome: list[dict[str, Any]] = []

    def page_verdict() -> bool:
        # A WAIT step sends no input: it only reads the page, which keeps its verdict until reset.
        _, reward, terminated, _, end = env.step(Action.wait())
        outcome.append({"reward": reward, "terminated": terminated, **end})
        return bool(end.get("success"))

    config = RecorderConfig(
        task=obs["task"],
        out=tmp_path / "human",
        region=region,
        obs_size=(210, 160),
        success=None,  # asked at the stop key: the page's verdict
        folding=FoldingConfig(double_click_interval=0.3, scroll_gap=0.3),
        episode_id="person",
    )
    recorder = Recorder(config, ask_success=page_verdict)
    recorder.start()
    try:

        def look(after: Action | None = None) -> None:
            """A person sees the page's reaction to their last action, ``after``, and so has the recorder.

            Not "the screen stopped changing": under load Chromium can put a frame on the screen
            after any quiet period, and the recorded screenshot would then lack the focus ring.
            """
            if after is not None:
                _, seen = env.unwrapped.sync(after)  # the page has the input, the screen shows its effect
                assert not (seen["input_timeout"] or seen["screen_timeout"]), after
            assert recorder.wait_for_frame(time.monotonic(), timeout=5)

        look()
        xdo("mousemove", *map(str, field), "click", "1")
        look(Action.click(from_pixel(field[0], 160), from_pixel(field[1], 210)))
        xdo("type", "--delay", "20", text)
        look(Action.type_text(text))
        xdo("mousemove", *map(str, submit), "click", "1")
        assert recorder.wait_for_steps(3, timeout=5), f"only {recorder.num_steps} steps written"
        xdo("key", "F9")
        result = recorder.wait()
    finally:
        if recorder._worker.is_alive():
            recorder.stop("discarded")
            recorder.wait()

    # MiniWoB's page scored the person's episode as solved (raw reward 1).
    assert outcome and outcome[0]["terminated"] and outcome[0]["raw_reward"] == 1.0
    assert outcome[0]["success"] and outcome[0]["reward"] == 1.0
    assert result.status == "saved" and result.success is True

    traj = read_trajectory(tmp_path / "human" / "person")
    assert traj.meta.source == "human" and traj.success is True and traj.task == obs["task"]
    assert traj.meta.screen == {"left": 0, "top": 0, "width": 160, "height": 210}
    # A success ends with the person's DONE on the final screen (the recorder adds it at the stop key).
    assert [a.type for a in traj.actions] == [
        ActionType.CLICK,
        ActionType.TYPE,
        ActionType.CLICK,
        ActionType.DONE,
    ]
    assert traj.actions[1].text == text
    for action, (px, py) in zip((traj.actions[0], traj.actions[2]), (field, submit), strict=True):
        assert action.x is not None and action.y is not None
        assert abs(to_pixel(action.x, 160) - px) <= 1 and abs(to_pixel(action.y, 210) - py) <= 1
    # The same decisions as the expert's on the same problem, and the same first screen.
    assert traj.actions[:3] == expert_ep.trajectory.actions
    assert np.array_equal(traj.screenshots[0], expert_ep.trajectory.steps[0].screenshot)
    for i in (1, 2):  # the focused field, then its text: equal but for the blinking text cursor
        differ = (traj.screenshots[i] != expert_ep.trajectory.steps[i].screenshot).any(-1)
        assert len(np.unique(np.nonzero(differ)[1])) <= 2, f"step {i}: screens differ beyond a cursor"
    assert all(s.shape == (210, 160, 3) and s.dtype == np.uint8 for s in traj.screenshots)

    # It trains like expert data: one dataset with the expert's episode, a few finite-loss steps.
    from deskpilot.policies.config import get_config
    from deskpilot.policies.data import ArrayDataset, trajectory_to_examples
    from deskpilot.policies.sources import FixedSource
    from deskpilot.policies.step import Trainer

    config_t = get_config("tiny")  # its compiled train step is reused by the test below
    examples = trajectory_to_examples(traj, config_t.model)
    assert examples["type"].tolist() == [int(a.type) for a in traj.actions]
    assert examples["w_span"].tolist() == [0.0, 1.0, 0.0, 0.0]  # the typed text is copied from the task
    dataset = ArrayDataset.from_trajectories([traj, expert_ep.trajectory], config_t.model)
    assert len(dataset) == 7
    trainer = Trainer(config_t)
    source = FixedSource(dataset, config_t.train.batch_size, 0)
    losses = [float(trainer.step(source.next_batch(), 1e-3)["loss"]) for _ in range(3)]
    assert all(math.isfinite(v) for v in losses), losses


@pytest.mark.slow
def test_tiny_policy_trained_on_collected_click_test_runs_through_the_desktop(
    xvfb: str, tmp_path: Path
) -> None:
    from deskpilot.agent.evaluate import evaluate
    from deskpilot.collectors import collect as collect_module
    from deskpilot.collectors.collect import CollectConfig, collect
    from deskpilot.policies.actor import PolicyActor
    from deskpilot.policies.config import get_config, override
    from deskpilot.policies.train import train_from_directory

    ids = [env_id("click-test")]
    data = tmp_path / "data"
    summary = collect(CollectConfig(ids[0], episodes=EPISODES, out=data, env_kwargs={"display": xvfb}), ids)
    assert not collect_module._WORKER_ENVS  # an in-process collection closes its envs (the browser)
    assert summary.written == EPISODES and summary.successes[ids[0]] == EPISODES
    dataset = read_dataset(data)
    assert len(dataset.trajectories) == EPISODES and not dataset.errors

    config = override(get_config("tiny"), [f"steps={TRAIN_STEPS}", "val_fraction=0", "log_every=1000"])
    run = tmp_path / "run"
    train_from_directory(data, run, config, progress=False)

    actor = PolicyActor.from_checkpoint(run)
    report = evaluate(actor, ids, episodes=EVAL_EPISODES, env_kwargs={"display": xvfb, "max_steps": 2})
    task = report.tasks[ids[0]]
    assert task.episodes == EVAL_EPISODES and sum(task.ends.values()) == EVAL_EPISODES
    assert 1 <= task.steps <= 2 * EVAL_EPISODES
    row = report.to_json()["tasks"][0]
    assert row["env_id"] == ids[0] and 0.0 <= row["ci95"][0] <= row["success_rate"] <= row["ci95"][1] <= 1.0
    assert task.success_rate >= MIN_SUCCESS, report.to_json()
