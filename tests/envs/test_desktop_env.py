"""DesktopEnv driving tests/tkapp.py on Xvfb: every action type arrives where and as it should."""

import os
import signal

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from deskpilot.envs import Action
from deskpilot.envs.actions import from_pixel
from deskpilot.envs.desktop import DesktopConfig, DesktopEnv, Executor, Region

pytestmark = pytest.mark.display

# An observed area offset from the screen origin, so the left/top mapping is exercised.
REGION = Region(5, 7, 410, 320)


@pytest.fixture
def env(tk_app):
    env = DesktopEnv(region=REGION, execute=True, max_steps=1000)
    env.reset(options={"task": "exercise the test app"})
    yield env
    env.close()


def at(px, py, region=REGION):
    """Normalised coordinates of root pixel (px, py) in ``region``."""
    return from_pixel(px - region.left, region.width), from_pixel(py - region.top, region.height)


def kind(name, **fields):
    return lambda e: e["type"] == name and all(e.get(k) == v for k, v in fields.items())


def test_click_arrives_at_the_exact_pixel(env, tk_app):
    x, y, w, h = tk_app.geometry["canvas"]
    for px, py in [(x + 3, y + 5), (x + w - 2, y + h - 1), (x + 101, y + 77)]:
        env.step(Action.click(*at(px, py)))
        tk_app.wait_for(kind("press", button=1, x=px, y=py, widget="canvas"))
        tk_app.wait_for(kind("release", button=1, x=px, y=py))


def test_double_click(env, tk_app):
    px, py = tk_app.center("canvas")
    env.step(Action.double_click(*at(px, py)))
    tk_app.wait_for(kind("double", x=px, y=py, widget="canvas"))


def test_right_click_opens_the_menu(env, tk_app):
    px, py = tk_app.center("canvas")
    env.step(Action.right_click(*at(px, py)))
    tk_app.wait_for(kind("press", button=3, x=px, y=py))
    menu = tk_app.wait_for(kind("menu"))
    assert (menu["x"], menu["y"]) == (px, py)


TEXTS = [
    "Hello, World <tag> a<b>c",
    "!@#$%^&*()_+-=[]{};:'\",./?\\|`~",
    "café é ñ ü Ł ž ÿ",
]


def test_text_arrives_exactly(env, tk_app):
    env.step(Action.click(*at(*tk_app.center("entry"))))
    typed = ""
    for text in TEXTS:
        env.step(Action.type_text(text))
        typed += text
        tk_app.wait_for(kind("entry", text=typed))


def test_key_combinations(env, tk_app):
    env.step(Action.click(*at(*tk_app.center("entry"))))
    cases = [
        ("ctrl+a", dict(keysym="a", ctrl=True, shift=False, alt=False)),
        ("ctrl+shift+z", dict(keysym="Z", ctrl=True, shift=True)),
        ("alt+x", dict(keysym="x", alt=True, ctrl=False)),
        ("enter", dict(keysym="Return", ctrl=False)),
        ("escape", dict(keysym="Escape")),
        ("f5", dict(keysym="F5")),
        ("shift+tab", dict(keysym="ISO_Left_Tab", shift=True)),
        ("ctrl+[", dict(keysym="bracketleft", ctrl=True)),
    ]
    for combo, expected in cases:
        since = len(tk_app.events)
        env.step(Action.press(combo))
        tk_app.wait_for(kind("key", **expected), since=since)


def test_scroll_direction_and_ticks(env, tk_app):
    px, py = tk_app.center("list")
    env.step(Action.scroll_at(*at(px, py), 3))
    tk_app.wait_for(lambda e: e["type"] == "list_view" and e["top"] > 0)
    downs = [e for e in tk_app.events if e["type"] == "scroll"]
    assert [(e["direction"], e["x"], e["y"], e["widget"]) for e in downs] == [("down", px, py, "list")] * 3
    since = len(tk_app.events)
    env.step(Action.scroll_at(*at(px, py), -20))
    tk_app.wait_for(kind("list_view", top=0), since=since)
    ups = [e for e in tk_app.events[since:] if e["type"] == "scroll"]
    assert {e["direction"] for e in ups} == {"up"}


def test_drag_path(env, tk_app):
    x, y, w, h = tk_app.geometry["canvas"]
    start, end = (x + 10, y + 20), (x + w - 30, y + h - 15)
    env.step(Action.drag(*at(*start), *at(*end)))
    release = tk_app.wait_for(kind("drag_release"))
    press = tk_app.wait_for(kind("drag_press"))
    motions = [(e["x"], e["y"]) for e in tk_app.events if e["type"] == "drag_motion"]
    assert (press["x"], press["y"]) == start and (release["x"], release["y"]) == end
    assert len(motions) >= 2 and motions[-1] == end
    assert motions == sorted(motions)  # moves forward along the line, never back


def test_observation_shows_what_the_app_drew(tk_app):
    window = Region(*tk_app.geometry["window"])
    with DesktopEnv(region=window, execute=True) as env:
        obs, _ = env.reset(options={"task": "press the button"})
        h, w = env.config.obs_size
        assert obs["screenshot"].shape == (h, w, 3) and obs["task"] == "press the button"

        def obs_pixel(obs, name):  # the observation pixel at the centre of widget `name`
            px, py = tk_app.center(name)
            return obs["screenshot"][
                (py - window.top) * h // window.height, (px - window.left) * w // window.width
            ]

        assert tuple(obs_pixel(obs, "swatch")) == (128, 128, 128)
        assert tuple(obs_pixel(obs, "canvas")) == (0, 0, 255)
        env.step(Action.click(*at(*tk_app.center("button"), region=window)))
        tk_app.wait_for(kind("drawn"))
        obs, *_ = env.step(Action.wait())
        assert tuple(obs_pixel(obs, "swatch")) == (255, 0, 0)


def test_dry_run_touches_nothing_and_records(tk_app):
    actions = [
        Action.click(*at(*tk_app.center("button"))),
        Action.type_text("nothing <here>"),
        Action.press("ctrl+a"),
        Action.scroll_at(*at(*tk_app.center("list")), 2),
        Action.drag(0.5, 0.5, 0.6, 0.6),
    ]
    with DesktopEnv(region=REGION) as env:  # execute defaults to False
        env.reset()
        for a in actions:
            _, _, _, _, info = env.step(a)
            assert info["dry_run"]
        assert env.executor.actions == actions and len(env.executor.calls) >= len(actions)
    # X delivers input in order: once a real marker click arrives, any dry-run input would have too.
    since = len(tk_app.events)
    Executor(Region(0, 0, 800, 600)).execute(
        Action.click(*at(*tk_app.center("canvas"), region=Region(0, 0, 800, 600)))
    )
    tk_app.wait_for(kind("release", widget="canvas"), since=since)
    assert [e["type"] for e in tk_app.events[1:since]] == []
    assert {e["type"] for e in tk_app.events[since:]} <= {
        "press",
        "drag_press",
        "drag_motion",
        "release",
        "drag_release",
    }


def test_step_limit_truncates_and_done_terminates(xvfb):
    with DesktopEnv(max_steps=2) as env:
        env.reset()
        assert env.step(Action.wait())[2:4] == (False, False)
        assert env.step(Action.wait())[2:4] == (False, True)
        env.reset()
        assert env.step(Action.done())[2:4] == (True, False)


def test_stop_and_signals(xvfb):
    with DesktopEnv() as env:
        env.reset()
        with env.handle_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            assert env.stopped
        assert (
            signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or signal.getsignal(signal.SIGTERM) is not None
        )
        _, reward, terminated, truncated, info = env.step(Action.click(0.5, 0.5))
        assert (reward, terminated, truncated, info["stopped"]) == (0.0, False, True, True)
        assert env.executor.actions == []  # nothing done after the stop


def test_reward_fn_and_bad_task(xvfb):
    seen = []
    with DesktopEnv(reward_fn=lambda obs, action, info: seen.append(action) or 1.5) as env:
        env.reset()
        assert env.step(Action.wait())[1] == 1.5 and seen == [Action.wait()]
        with pytest.raises(ValueError, match="task"):
            env.reset(options={"task": 3})


def test_named_window_and_gym_make(tk_app):
    env = gym.make("deskpilot/desktop-v0", window="deskpilot-tkapp")
    try:
        _, info = env.reset()
        assert info["region"] == tk_app.geometry["window"]
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


@pytest.mark.parametrize(
    "fields",
    [{"region": Region(0, 0, 5, 5), "window": "x"}, {"obs_size": (0, 10)}, {"max_steps": 0}, {"execute": 1}],
)
def test_config_validation(fields):
    with pytest.raises(ValueError):
        DesktopConfig(**fields)
