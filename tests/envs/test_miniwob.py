"""MiniWoB in a real Chromium through the desktop path: expert episodes, a task with no code of its own."""

from __future__ import annotations

import shutil

import gymnasium as gym
import numpy as np
import pytest

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.collectors.loop import run_episode
from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob import SUITES
from deskpilot.envs.miniwob.browser import BrowserNotFoundError, find_browser
from deskpilot.envs.miniwob.tasks import KITS


def browser(f):
    return pytest.mark.browser(pytest.mark.display(f))


@browser
@pytest.mark.parametrize("task", ["click-test", "enter-text", "simple-arithmetic", "drag-box", "choose-list"])
def test_expert_solves_episodes_through_the_desktop(make, task: str) -> None:
    env = make(task)
    expert = env.unwrapped.make_expert()
    for seed in range(4):
        result = run_episode(env, expert, source="expert", seed=seed)
        assert result.success, (task, seed, result.end, result.final_info.get("reason"))
        assert result.trajectory.steps[0].screenshot.shape == (210, 160, 3)
        boxes = result.trajectory.steps[0].annotations["elements"]
        assert boxes and all(0 <= b["box"][0] < b["box"][2] <= 1 for b in boxes)


@browser
def test_task_without_code_of_its_own_resets_observes_acts_rewards(make) -> None:
    env = make("click-widget", max_steps=3)
    obs, info = env.reset(seed=5)
    assert obs["screenshot"].shape == (210, 160, 3) and obs["screenshot"].dtype == np.uint8
    assert obs["task"].startswith("Click on a") and info["elements"]
    assert obs["screenshot"].std() > 0  # the page is drawn, not a blank frame
    again, _ = env.reset(seed=5)
    assert again["task"] == obs["task"] and np.array_equal(again["screenshot"], obs["screenshot"])
    target = info["dom"][0]
    obs2, reward, terminated, truncated, info2 = env.step(
        Action.click(from_pixel(target["point"][0], 160), from_pixel(target["point"][1], 210))
    )
    assert not info2["input_timeout"]  # the click reached the page
    assert terminated and reward in (0.0, 1.0) and info2["success"] == (reward == 1.0)
    assert info2["raw_reward"] != 0.0


@browser
def test_done_ends_the_episode_and_step_limit_truncates(make) -> None:
    env = make("click-test", max_steps=2)
    env.reset(seed=1)
    _, reward, terminated, truncated, info = env.step(Action.done())
    assert (reward, terminated, truncated, info["success"]) == (0.0, True, False, False)
    env.reset(seed=1)
    env.step(Action.wait())
    _, _, terminated, truncated, info = env.step(Action.wait())
    assert (terminated, truncated, info["success"]) == (False, True, False)


@browser
def test_each_screenshot_shows_the_page_state_its_info_describes(make) -> None:
    env = make("enter-text")
    obs, info = env.reset(seed=3)
    field = next(e for e in info["dom"] if e["id"] == "tt")
    assert not field["focused"] and not info["screen_timeout"]
    obs2, _, _, _, info2 = env.step(
        Action.click(from_pixel(field["point"][0], 160), from_pixel(field["point"][1], 210))
    )
    assert next(e for e in info2["dom"] if e["id"] == "tt")["focused"] and not info2["screen_timeout"]
    # The focus ring the page reports is in the screenshot: the field's whole width changed.
    changed = np.unique(np.nonzero((obs2["screenshot"] != obs["screenshot"]).any(-1))[1])
    x0, _, x1, _ = next(e["box"] for e in info2["elements"] if e["role"] == "textbox")
    assert len(changed) >= (x1 - x0) * 160
    # The mark the env waits for (``screen.PageScreen``) lies outside the task area.
    x, y = env.unwrapped._state["mark_at"]
    assert x >= 160 or y >= 210


@browser
def test_browser_shortcuts_are_not_sent(make) -> None:
    env = make("click-test")
    obs, info = env.reset(seed=2)
    for key in ("ctrl+w", "ctrl+q", "f5", "ctrl+="):
        obs, _, terminated, truncated, info = env.step(Action.press(key))
        assert info["blocked_key"] and not (terminated or truncated)
    expert = env.unwrapped.make_expert()
    _, reward, terminated, _, _ = env.step(expert.act(obs, info))
    assert terminated and reward == 1.0  # the window is still there, at its geometry


def test_the_dom_lists_the_elements_then_every_word_with_an_elements_keys() -> None:
    from deskpilot.envs.miniwob.env import page_dom

    button = {"tag": "button", "role": "button", "label": "Submit", "box": [0, 60, 40, 80], "point": [20, 70]}
    state = {
        "elements": [button],
        "words": [{"label": "3", "box": [10, 50, 16, 60]}, {"label": "Submit", "box": [2, 62, 38, 78]}],
    }
    dom = page_dom(state)
    assert dom[0] is button and [w["label"] for w in dom[1:]] == ["3", "Submit"]
    assert all(set(button) <= set(w) and w["role"] == "text" for w in dom[1:])
    assert dom[1]["point"] == [13, 55]


def test_suites_name_the_first_ten_and_the_forty_or_more() -> None:
    assert len(SUITES["deskpilot/miniwob-10"]) == 10
    assert set(SUITES["deskpilot/miniwob-10"]) < set(SUITES["deskpilot/miniwob-suite"])
    assert len(SUITES["deskpilot/miniwob-suite"]) >= 40
    assert all(i in gym.registry for i in SUITES["deskpilot/miniwob-suite"])


def test_missing_chromium_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("MINIWOB_CHROME_BINARY", raising=False)
    monkeypatch.delenv("MINIWOB_CHROMEDRIVER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("chromium") is None
    with pytest.raises(BrowserNotFoundError, match="apt-get install chromium chromium-driver"):
        find_browser()


def test_import_envs_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, deskpilot.envs; print(sorted(m for m in ('selenium', 'miniwob', 'pyautogui', 'mss') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@browser
def test_every_visible_word_is_annotated_and_clicks_go_to_the_element(make) -> None:
    from deskpilot.policies.config import ModelConfig
    from deskpilot.policies.data import encode_targets

    env = make("click-link")
    obs, info = env.reset(seed=3)
    words = [e for e in info["elements"] if e["role"] == "text"]
    # The instruction bar's words are there, each with its own box on the task area.
    assert [w["label"] for w in words[:4]] == obs["task"].split()[:4]
    assert all(0 <= w["box"][0] < w["box"][2] <= 1 and 0 <= w["box"][1] < w["box"][3] <= 1 for w in words)
    # Words come first (below everything): the expert's click on a link targets the link's box.
    action = env.unwrapped.make_expert().act(obs, info)
    cfg = ModelConfig()
    targets = encode_targets(action, {"elements": info["elements"]}, np.zeros(cfg.task_len, np.int32), cfg)
    link = next(
        e
        for e in info["elements"]
        if e["role"] == "link"
        and e["box"][0] <= action.x < e["box"][2]
        and e["box"][1] <= action.y < e["box"][3]
    )
    assert targets["pointer"].any() and targets["w_letters"] == 1.0
    assert targets["letters"] == sum(1 << (ord(c) - 97) for c in set(link["label"].lower()) if c.isalpha())


@browser
def test_checkbox_expert_clicks_the_name_not_the_square(make) -> None:
    env = make("click-checkboxes")
    expert = env.unwrapped.make_expert()
    for seed in range(6):
        result = run_episode(env, expert, source="expert", seed=seed)
        assert result.success, (seed, result.final_info.get("reason"))
        for step in result.trajectory.steps[:-1]:  # every step but the final Submit ticks a box
            hit = [
                e
                for e in step.annotations["elements"]
                if e["role"] != "text"
                and e["box"][0] <= step.action.x < e["box"][2]
                and e["box"][1] <= step.action.y < e["box"][3]
            ]
            assert hit[-1]["role"] == "label", hit


@browser
@pytest.mark.parametrize("task", [task for task, kit in KITS.items() if kit.relabel is not None])
def test_relabelled_episodes_click_what_the_expert_clicks_for_the_new_instruction(make, task: str) -> None:
    from deskpilot.collectors.relabel import relabelled

    env = make(task)
    expert = env.unwrapped.make_expert()

    def hit(info: dict, action: Action) -> dict:
        widgets = [e for e in info["elements"] if e["role"] != "text"]
        under = [
            e
            for e in widgets
            if e["box"][0] <= action.x < e["box"][2] and e["box"][1] <= action.y < e["box"][3]
        ]
        assert under, action
        return under[-1]

    compared = 0
    for seed in range(3):
        episode = run_episode(env, expert, source="expert", seed=seed).trajectory
        for copy in relabelled([episode], copies=3, seed=seed):
            obs, info = env.reset(seed=seed)  # the recorded episode's first page again
            assert np.array_equal(obs["screenshot"], copy.steps[0].screenshot)
            wanted = expert.act({**obs, "task": copy.task}, info)  # the expert, told the new instruction
            assert hit(info, copy.steps[0].action) == hit(info, wanted), copy.task
            compared += 1
    assert compared >= 3
