"""Live runs on Xvfb against the Tk app: dry run touches nothing, --execute acts, stop key and step limit."""

import subprocess
import threading

import pytest

from deskpilot.agent.live import LiveConfig, run_live
from deskpilot.collectors.reading import read_trajectory
from deskpilot.envs import Action
from deskpilot.envs.actions import from_pixel
from deskpilot.envs.desktop import Executor, Region

pytestmark = pytest.mark.display

SCREEN = Region(0, 0, 800, 600)


def at(px, py):
    return from_pixel(px, SCREEN.width), from_pixel(py, SCREEN.height)


class ClickEvery:
    """A stub policy: clicks the same point every step (and remembers how often it was asked)."""

    def __init__(self, point, on_act=None):
        self.point, self.on_act, self.calls = point, on_act, 0

    def reset(self):
        self.calls = 0

    def act(self, observation, info):
        self.calls += 1
        if self.on_act is not None:
            self.on_act(self.calls)
        return Action.click(*self.point)


def _episodes(out):
    return [p for p in out.iterdir() if p.is_dir() and not p.name.endswith("-preview")]


def test_dry_run_predicts_draws_and_records_but_touches_nothing(tk_app, tmp_path):
    actor = ClickEvery(at(*tk_app.center("button")))
    lines = []
    result = run_live(
        actor, LiveConfig("press the button", tmp_path, max_steps=2, stop_key=None), lines.append
    )
    assert result.end == "truncated" and len(result.trajectory.steps) == 2
    assert all("would do (dry run)" in line and "decided in" in line and " ms)" in line for line in lines)
    assert len(list(tmp_path.glob("*-preview/step_*.png"))) == 2
    (episode,) = _episodes(tmp_path)
    saved = read_trajectory(episode)
    assert saved.meta.source == "policy" and saved.actions == [actor.act(None, None)] * 2
    # A real marker click arrives after anything the dry run could have sent (X keeps order).
    since = len(tk_app.events)
    Executor(SCREEN).execute(Action.click(*at(*tk_app.center("canvas"))))
    tk_app.wait_for(lambda e: e["type"] == "release", since=since)
    assert [e["type"] for e in tk_app.events[1:since]] == []


def test_execute_acts_up_to_the_step_limit(tk_app, tmp_path):
    px, py = tk_app.center("button")
    result = run_live(
        ClickEvery(at(px, py)), LiveConfig("press", tmp_path, execute=True, max_steps=3, stop_key=None)
    )
    assert result.end == "truncated" and len(result.trajectory.steps) == 3
    since = 0
    for _ in range(3):  # three real clicks on the button, each invoking it
        since = tk_app.events.index(tk_app.wait_for(lambda e: e["type"] == "button", since=since)) + 1
    presses = [e for e in tk_app.events if e["type"] == "press"]
    assert [(e["x"], e["y"]) for e in presses] == [(px, py)] * 3
    assert read_trajectory(_episodes(tmp_path)[0]).meta.screen == {
        "left": 0,
        "top": 0,
        "width": 800,
        "height": 600,
    }


class DoneAfter(ClickEvery):
    """Clicks, then says it is done on its ``n``-th step."""

    def __init__(self, point, n):
        super().__init__(point)
        self.n = n

    def act(self, observation, info):
        return Action.done() if self.calls + 1 == self.n else super().act(observation, info)


def test_a_policy_that_says_done_stops_the_run(tk_app, tmp_path):
    actor = DoneAfter(at(*tk_app.center("button")), n=2)
    lines = []
    config = LiveConfig("press, then stop", tmp_path, execute=True, max_steps=10, stop_key=None)
    result = run_live(actor, config, lines.append)
    assert result.end == "done" and len(result.trajectory.steps) == 2
    assert "DONE" in lines[-1] and "executing" in lines[-1]
    tk_app.wait_for(lambda e: e["type"] == "button")  # the click before it was real


def test_stop_key_stops_the_run_at_once(tk_app, tmp_path):
    pressed = threading.Event()

    def press_stop_key(calls):
        if calls == 2:  # a person hits F12 while the agent is mid-run
            subprocess.run(["xdotool", "key", "F12"], check=True)
            pressed.set()

    actor = ClickEvery(at(*tk_app.center("canvas")), on_act=press_stop_key)
    config = LiveConfig("draw", tmp_path, execute=True, max_steps=1000, stop_key="f12")
    result = run_live(actor, config)
    assert pressed.is_set()
    assert result.end == "truncated" and len(result.trajectory.steps) < 1000
    # The step being decided when the key went down may finish; nothing after it runs.
    assert actor.calls <= 4


def test_config_is_validated(tmp_path):
    with pytest.raises(ValueError, match="max_steps"):
        LiveConfig("x", tmp_path, max_steps=0)
    with pytest.raises(ValueError, match="task"):
        LiveConfig("  ", tmp_path)
