import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from deskpilot.collectors.reading import read_dataset, read_trajectory
from deskpilot.collectors.trajectory import (
    FORMAT_VERSION,
    EpisodeMeta,
    TrajectoryError,
    TrajectoryWriter,
)
from deskpilot.envs import Action
from tests.envs.test_actions import actions

SIZE = (6, 5)


def _meta(task="click the button", **kw):
    return EpisodeMeta(task=task, source="expert", obs_size=SIZE, env_id="deskpilot/x-v0", seed=3, **kw)


def _write(root, name, steps, success=True):
    w = TrajectoryWriter(root, name, _meta())
    for image, action in steps:
        w.add_step(image, action, {"elements": [{"box": [0, 0, 1, 1], "label": "ok", "role": "button"}]})
    return w.finish(success, 1.0 if success else 0.0)


images = st.builds(
    lambda seed: np.random.default_rng(seed).integers(0, 256, (*SIZE, 3), dtype=np.uint8),
    st.integers(0, 2**32 - 1),
)


rewards = st.floats(-10, 10, allow_nan=False) | st.integers(-3, 3)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.lists(st.tuples(images, actions, rewards), min_size=0, max_size=5),
    st.sampled_from(["terminated", "truncated", "open"]),
    st.booleans(),
    st.text(max_size=40),
)
def test_round_trip_keeps_every_step_field(tmp_path_factory, steps, ending, success, task):
    root = tmp_path_factory.mktemp("ds")
    w = TrajectoryWriter(root, "ep", _meta(task=task))
    for i, (image, action, reward) in enumerate(steps):
        last = i == len(steps) - 1
        w.add_step(
            image,
            action,
            time=0.5 * i,
            reward=reward,
            terminated=last and ending == "terminated",
            truncated=np.bool_(last and ending == "truncated"),  # as envs may return it
        )
    traj = read_trajectory(w.finish(success, float(success)))
    assert traj.task == task and traj.success == success and traj.format_version == FORMAT_VERSION == 2
    assert traj.actions == [a for _, a, _ in steps]
    assert [s.reward for s in traj.steps] == [float(r) for _, _, r in steps]
    assert [s.time for s in traj.steps] == [0.5 * i for i in range(len(steps))]
    ends = [(s.terminated, s.truncated) for s in traj.steps]
    want = [(False, False)] * len(steps)
    if steps and ending != "open":
        want[-1] = (ending == "terminated", ending == "truncated")
    assert ends == want
    for got, (want_image, _, _) in zip(traj.screenshots, steps, strict=True):
        np.testing.assert_array_equal(got, want_image)


def _write_v1(root, name, actions, outcome):
    """An episode laid out as format version 1 wrote it (no per-step reward or end flags)."""
    path = root / name
    path.mkdir()
    meta = {
        "format_version": 1,
        "task": "old task",
        "source": "expert",
        "obs_size": list(SIZE),
        "env_id": "deskpilot/x-v0",
        "seed": 1,
        "screen": None,
        "created": "2024-01-01T00:00:00+00:00",
        "extra": {},
        "outcome": outcome,
    }
    (path / "meta.json").write_text(json.dumps(meta))
    lines = []
    for i, action in enumerate(actions):
        Image.fromarray(np.full((*SIZE, 3), i, np.uint8)).save(path / f"step_{i:06d}.png")
        rec = {
            "index": i,
            "image": f"step_{i:06d}.png",
            "action": action.to_dict(),
            "annotations": {},
            "time": i,
        }
        lines.append(json.dumps(rec) + "\n")
    (path / "steps.jsonl").write_text("".join(lines))
    return path


@pytest.mark.parametrize("success", [True, False])
def test_version_1_folders_read_with_documented_defaults(tmp_path, success):
    actions = [Action.click(0.2, 0.3), Action.type_text("hi"), Action.done()]
    outcome = {"success": success, "reward": float(success), "num_steps": 3}
    traj = read_trajectory(_write_v1(tmp_path, "old", actions, outcome))
    assert traj.format_version == 1 and traj.actions == actions and traj.success is success
    got = [(s.reward, s.terminated, s.truncated) for s in traj.steps]
    assert got == [(0.0, False, False), (0.0, False, False), (float(success), True, False)]
    assert int(traj.screenshots[2][0, 0, 0]) == 2
    assert read_dataset(tmp_path).trajectories[0].steps[-1].terminated


def test_version_1_partial_folders_keep_plain_defaults(tmp_path):
    path = _write_v1(tmp_path, "old.partial", [Action.click(0.2, 0.3), Action.wait()], None)
    traj = read_trajectory(path, allow_partial=True)
    assert [(s.reward, s.terminated, s.truncated) for s in traj.steps] == [(0.0, False, False)] * 2


def test_no_step_may_follow_the_one_that_ended_the_episode(tmp_path):
    image = np.zeros((*SIZE, 3), np.uint8)
    with TrajectoryWriter(tmp_path, "ep", _meta()) as w:
        w.add_step(image, Action.click(0.5, 0.5), truncated=True)
        with pytest.raises(ValueError, match="follows a step that ended the episode"):
            w.add_step(image, Action.click(0.5, 0.5))
    path = _write(tmp_path, "ep2", [(image, Action.click(0.5, 0.5))] * 2)
    steps = path / "steps.jsonl"
    steps.write_text(steps.read_text().replace('"terminated":false', '"terminated":true', 1))
    with pytest.raises(TrajectoryError, match="steps.jsonl line 2: a step follows"):
        read_trajectory(path)


def test_the_last_step_can_be_ended_after_it_was_written(tmp_path):
    image = np.zeros((*SIZE, 3), np.uint8)
    w = TrajectoryWriter(tmp_path, "ep", _meta())
    with pytest.raises(ValueError, match="no step written"):
        w.end_last_step(reward=1.0, terminated=True, truncated=False)
    for action in (Action.click(0.5, 0.5), Action.press("enter")):
        w.add_step(image, action, {"elements": []}, time=1.5)
    w.end_last_step(reward=1.0, terminated=True, truncated=False)
    with pytest.raises(ValueError, match="follows a step that ended"):
        w.add_step(image, Action.wait())
    traj = read_trajectory(w.finish(True, 1.0))
    assert traj.actions == [Action.click(0.5, 0.5), Action.press("enter")]
    assert [(s.reward, s.terminated, s.truncated, s.time) for s in traj.steps] == [
        (0.0, False, False, 1.5),
        (1.0, True, False, 1.5),
    ]


def _corruptions(path):
    """Ways a file in an episode can break: each must give a TrajectoryError."""
    meta = path / "meta.json"
    steps = path / "steps.jsonl"
    image = path / "step_000000.png"
    m = json.loads(meta.read_text()) if meta.exists() else {"outcome": {}}
    return {
        "meta truncated": lambda: meta.write_text(meta.read_text()[:20]),
        "meta missing": lambda: meta.unlink(),
        "meta not an object": lambda: meta.write_text("[]"),
        "wrong version": lambda: meta.write_text(json.dumps({**m, "format_version": 3})),
        "step reward missing": lambda: steps.write_text(steps.read_text().replace('"reward":0.0,', "")),
        "step flag not a bool": lambda: steps.write_text(
            steps.read_text().replace('"truncated":false', '"truncated":0')
        ),
        "bad source": lambda: meta.write_text(json.dumps({**m, "source": "robot"})),
        "bad obs size": lambda: meta.write_text(json.dumps({**m, "obs_size": [0, 5]})),
        "step count mismatch": lambda: meta.write_text(
            json.dumps({**m, "outcome": {**m["outcome"], "num_steps": 9}})
        ),
        "steps truncated": lambda: steps.write_bytes(steps.read_bytes()[:-7]),
        "steps garbage": lambda: steps.write_bytes(b"\xff\xfe{{{\n"),
        "steps missing": lambda: steps.unlink(),
        "bad action": lambda: steps.write_text(steps.read_text().replace('"CLICK"', '"FLY"')),
        "bad index": lambda: steps.write_text(steps.read_text().replace('"index":0', '"index":5')),
        "image missing": lambda: image.unlink(),
        "image corrupt": lambda: image.write_bytes(image.read_bytes()[:30]),
        "image not png": lambda: image.write_bytes(b"GIF89a" + b"\0" * 40),
    }


@pytest.mark.parametrize("kind", list(_corruptions(__import__("pathlib").Path("x"))))
def test_corruption_gives_trajectory_error_naming_the_file(tmp_path, kind):
    path = _write(tmp_path, "ep", [(np.zeros((*SIZE, 3), np.uint8), Action.click(0.5, 0.5))] * 2)
    _corruptions(path)[kind]()
    with pytest.raises(TrajectoryError) as err:
        read_trajectory(path)
    assert str(path) in str(err.value)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.sampled_from(["meta.json", "steps.jsonl", "step_000000.png"]), st.data())
def test_random_byte_damage_never_escapes_as_another_exception(tmp_path_factory, name, data):
    root = tmp_path_factory.mktemp("ds")
    path = _write(root, "ep", [(np.full((*SIZE, 3), 7, np.uint8), Action.type_text("héllo <>"))])
    blob = bytearray((path / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(blob)))
    (path / name).write_bytes(bytes(blob[:cut]))
    with contextlib.suppress(TrajectoryError):
        read_trajectory(path)


def test_writer_validates_each_step(tmp_path):
    image = np.zeros((*SIZE, 3), np.uint8)
    with TrajectoryWriter(tmp_path, "ep", _meta()) as w:
        with pytest.raises(ValueError, match="screenshot"):
            w.add_step(np.zeros((9, 9, 3), np.uint8), Action.wait())
        with pytest.raises(ValueError, match="action"):
            w.add_step(image, {"type": "CLICK"})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="reward: expected a finite number"):
            w.add_step(image, Action.wait(), reward=float("nan"))
        with pytest.raises(ValueError, match="reward: expected a number"):
            w.add_step(image, Action.wait(), reward="1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="terminated: expected a bool"):
            w.add_step(image, Action.wait(), terminated=1)  # type: ignore[arg-type]
        assert w.num_steps == 0


def test_partial_episode_is_readable_and_skipped_by_the_dataset_reader(tmp_path):
    _write(tmp_path, "good", [(np.zeros((*SIZE, 3), np.uint8), Action.done())])
    w = TrajectoryWriter(tmp_path, "unfinished", _meta())
    w.add_step(np.zeros((*SIZE, 3), np.uint8), Action.click(0.1, 0.1))
    w.close()
    bad = _write(tmp_path, "bad", [(np.zeros((*SIZE, 3), np.uint8), Action.done())])
    (bad / "step_000000.png").unlink()
    with pytest.raises(TrajectoryError, match="unfinished"):
        read_trajectory(w.dir)
    partial = read_trajectory(w.dir, allow_partial=True)
    assert partial.success is None and partial.actions == [Action.click(0.1, 0.1)]
    report = read_dataset(tmp_path)
    assert [t.meta.task for t in report.trajectories] == ["click the button"]
    assert len(report.errors) == 1 and "bad" in str(report.errors[0].path)
    assert report.partial == [w.dir]
    with pytest.raises(TrajectoryError):
        read_dataset(tmp_path, strict=True)


def test_finished_episode_cannot_be_overwritten(tmp_path):
    _write(tmp_path, "ep", [])
    with pytest.raises(FileExistsError):
        TrajectoryWriter(tmp_path, "ep", _meta())


def test_writer_killed_mid_episode_keeps_every_finished_step(tmp_path):
    """A real process writes steps forever; SIGKILL it at an arbitrary moment."""
    code = textwrap.dedent(
        f"""
        import sys, numpy as np
        from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
        from deskpilot.envs import Action
        w = TrajectoryWriter({str(tmp_path)!r}, "ep", EpisodeMeta(task="t", source="human", obs_size={SIZE}))
        i = 0
        while True:
            w.add_step(np.full({(*SIZE, 3)}, i % 256, np.uint8), Action.type_text("x" * (1 + i % 60)))
            i += 1
            if i == 20:
                print("ready", flush=True)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    traj = read_trajectory(tmp_path / "ep.partial", allow_partial=True)
    assert len(traj.steps) >= 20
    for i, step in enumerate(traj.steps):
        assert step.action.text == "x" * (1 + i % 60)
        assert int(step.screenshot[0, 0, 0]) == i % 256
    shutil.rmtree(tmp_path / "ep.partial")
