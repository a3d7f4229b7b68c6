"""``deskpilot eval`` of a run folder: progress bar, eval.json rows, checkpoint step, TensorBoard."""

import io
import json
import struct
from pathlib import Path

import gymnasium as gym
import pytest
from tensorboardX.proto.event_pb2 import Event

from deskpilot.agent.evaluate import evaluate
from deskpilot.agent.run_eval import EVENTS_SUFFIX, EvalRunConfig, log_to_tensorboard, progress_bar
from deskpilot.collectors.collect import EVAL_SEED_OFFSET
from deskpilot.envs import Action
from deskpilot.scripts.cli import main

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-enter-text-v0"]
STEP = 7


class Alternating:
    """Solves every other episode (the scripted expert), says DONE at once in the others."""

    def __init__(self):
        self.expert = gym.make(ENVS[0]).unwrapped.make_expert()
        self.solve = False

    def reset(self):
        self.solve = not self.solve
        self.expert.reset()

    def act(self, observation, info):
        return self.expert.act(observation, info) if self.solve else Action.done()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def read_events(folder: Path) -> list[tuple[int, str, object]]:
    """(step, tag, summary value) of every summary in the TFRecord event files in ``folder``."""
    found = []
    for path in sorted(folder.glob(f"events.out.tfevents.*{EVENTS_SUFFIX}")):
        data, i = path.read_bytes(), 0
        while i < len(data):
            (length,) = struct.unpack("<Q", data[i : i + 8])  # then a CRC, the record, its CRC
            event = Event.FromString(data[i + 12 : i + 12 + length])
            found += [(event.step, v.tag, v) for v in event.summary.value]
            i += 12 + length + 4
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A run folder with one checkpoint of untrained tiny weights at step STEP."""
    from deskpilot.policies.checkpoint import Saved, save
    from deskpilot.policies.config import get_config
    from deskpilot.policies.numpy_init import init_params
    from deskpilot.policies.train import make_optimizer

    config = get_config("tiny")
    _, params = init_params(config.model, 0)
    state = {"params": params, "opt_state": make_optimizer(config.train).init(params)}
    path = tmp_path_factory.mktemp("run")
    save(path, state, Saved(STEP, config, {}, 0.0))
    return path


def test_progress_bar_counts_episodes_and_success_on_a_terminal_only():
    report_actor = Alternating()
    screen = Terminal()
    with progress_bar(4, file=screen) as progress:
        evaluate(report_actor, ENVS[:1], episodes=3, progress=progress)
    shown = screen.getvalue()
    assert "3/4" in shown and "success 67% (mock-click-button-v0)" in shown
    log = io.StringIO()  # not a terminal (a log file, CI): nothing drawn, nothing raised
    with progress_bar(2, file=log) as progress:
        evaluate(Alternating(), ENVS[:1], episodes=2, progress=progress)
    assert log.getvalue() == ""


def test_tensorboard_gets_success_per_task_and_action_pictures(tmp_path):
    report = evaluate(Alternating(), ENVS, episodes=3, seed=1)
    log_to_tensorboard(report, tmp_path, STEP)
    events = read_events(tmp_path)
    scalars = {tag: v.simple_value for step, tag, v in events if step == STEP and v.HasField("simple_value")}
    assert scalars == pytest.approx(
        {"eval/mean": report.mean_success}
        | {f"eval/{t.env_id}": t.success_rate for t in report.tasks.values()}
    )
    assert 0 < report.mean_success < 1
    images = {tag: v.image for step, tag, v in events if step == STEP and v.HasField("image")}
    assert set(images) == {f"eval/{kind}/{env_id}" for kind in ("failed", "solved") for env_id in ENVS}
    assert all(
        image.encoded_image_string.startswith(b"\x89PNG") and image.width >= 320 for image in images.values()
    )


def test_eval_of_a_run_folder_writes_rows_step_and_tensorboard(run, tmp_path):
    out = tmp_path / "out"
    # a suite and one of its ids again: evaluated once
    env = "deskpilot/mock-easy,deskpilot/mock-click-button-v0"
    assert main(["eval", "--checkpoint", str(run), "--env", env, "--episodes", "2", "--out", str(out)]) == 0
    saved = json.loads((out / "eval.json").read_text())
    assert saved["checkpoint"] == str(run.resolve()) and saved["step"] == STEP
    env_ids = [t["env_id"] for t in saved["tasks"]]
    assert env_ids == ["deskpilot/mock-click-button-v0", "deskpilot/mock-context-menu-v0"]
    assert 0.0 <= saved["mean_success"] <= 1.0 and all("success_rate" in t for t in saved["tasks"])
    rows = saved["episodes"]
    assert [(r["env_id"], r["seed"]) for r in rows] == [
        (e, EVAL_SEED_OFFSET + i) for e in env_ids for i in range(2)
    ]
    for row in rows:
        assert set(row) == {"env_id", "seed", "success", "steps", "end"}
        assert row["end"] in ("success", "failure", "done", "truncated") and row["steps"] >= 1
        assert row["success"] == (row["end"] == "success")
    for task in saved["tasks"]:
        mine = [r for r in rows if r["env_id"] == task["env_id"]]
        assert task["success_rate"] == sum(r["success"] for r in mine) / len(mine)
    tags = {tag for step, tag, _ in read_events(run / "tensorboard") if step == STEP}
    assert {"eval/mean", *(f"eval/{e}" for e in env_ids)} <= tags


def test_bad_settings_are_named(run, capsys):
    with pytest.raises(ValueError, match="episodes: expected >= 1, got 0"):
        EvalRunConfig(run, ENVS[0], episodes=0)
    with pytest.raises(ValueError, match="temperature 0 or num_envs 1"):
        EvalRunConfig(run, ENVS[0], num_envs=2, temperature=0.5)
    with pytest.raises(ValueError, match="temperature: expected >= 0, got -1"):
        EvalRunConfig(run, ENVS[0], temperature=-1)
    with pytest.raises(ValueError, match="views: expected >= 1, got 0"):
        EvalRunConfig(run, ENVS[0], views=0)
    assert main(["eval", "--checkpoint", str(run), "--env", ENVS[0], "--episodes", "1", "--views", "6"]) == 2
    assert "views: expected 1 to 5, got 6" in capsys.readouterr().err


def test_eval_of_the_shipped_weights_with_pooled_views(tmp_path, monkeypatch):
    # 'pretrained' has no run folder: step 0, written under runs/pretrained/eval, no TensorBoard.
    monkeypatch.chdir(tmp_path)
    assert (
        main(["eval", "--checkpoint", "pretrained", "--env", ENVS[0], "--episodes", "2", "--views", "5"]) == 0
    )
    saved = json.loads((tmp_path / "runs/pretrained/eval/eval.json").read_text())
    assert saved["checkpoint"] == "pretrained" and saved["step"] == 0
    assert saved["tasks"][0]["success_rate"] == 1.0  # the shipped weights click a named button
    assert not (tmp_path / "pretrained").exists()
