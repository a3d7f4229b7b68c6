"""The synthetic suite: Gymnasium contract, determinism, expert, and every widget behaviour."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.envs import Action, ActionType
from deskpilot.envs.actions import from_pixel
from deskpilot.envs.registry import resolve_env_ids
from deskpilot.envs.synthetic import ENV_IDS, SUITES
from deskpilot.envs.synthetic.env import SyntheticEnv
from deskpilot.envs.synthetic.expert import ExpertActor
from deskpilot.envs.synthetic.lists import Card, Dropdown, DropZone, Icon, ListBox, Menu, Spinner
from deskpilot.envs.synthetic.paint import random_theme
from deskpilot.envs.synthetic.scene import Scene
from deskpilot.envs.synthetic.widgets import Button, Checkbox, Link, Panel, Slider, Tab, Text, TextField

W, H = 160, 210


def rollout(env: gym.Env, seed: int, actor: ExpertActor | None = None, steps: int = 8) -> list:
    """(obs, reward, terminated, truncated, info) per step; random actions unless an actor is given."""
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    out = [(obs, info)]
    for _ in range(steps):
        action = actor.act(obs, info) if actor else env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            break
    return out


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env(env_id: str) -> None:
    env = gym.make(env_id, render_mode="rgb_array")
    check_env(env.unwrapped)
    assert env.unwrapped.render().shape == (H, W, 3)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_rollout(env_id: str) -> None:
    a, b = (rollout(gym.make(env_id).unwrapped, seed=7) for _ in range(2))
    assert len(a) == len(b)
    for sa, sb in zip(a, b, strict=True):
        assert sa[0]["screenshot"].tobytes() == sb[0]["screenshot"].tobytes()
        assert sa[0]["task"] == sb[0]["task"]
        assert sa[1:] == sb[1:]  # reward, terminated, truncated and info (plain Python values)
    c = rollout(gym.make(env_id).unwrapped, seed=8)
    assert c[0][0]["screenshot"].tobytes() != a[0][0]["screenshot"].tobytes()


EXPERT_TYPES: set[ActionType] = set()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_expert_solves(env_id: str) -> None:
    env = gym.make(env_id).unwrapped
    expert = ExpertActor()
    for seed in range(50):
        expert.reset()
        obs, info = env.reset(seed=seed)
        for _ in range(env.max_steps):
            action = expert.act(obs, info)
            EXPERT_TYPES.add(action.type)
            obs, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        assert info["success"] and reward == 1.0 and terminated, (env_id, seed, obs["task"])


def test_expert_uses_every_action_type() -> None:
    expert = ExpertActor()
    for env_id in ENV_IDS:
        env = gym.make(env_id).unwrapped
        for seed in range(10):
            obs, info = env.reset(seed=seed)
            done = False
            while not done:
                action = expert.act(obs, info)
                EXPERT_TYPES.add(action.type)
                obs, _, terminated, truncated, info = env.step(action)
                done = terminated or truncated
    assert set(ActionType) == EXPERT_TYPES


def test_elements_are_pixel_exact_and_clickable_at_their_edges() -> None:
    env = gym.make("deskpilot/mock-click-button-v0").unwrapped
    for seed in range(10):
        _, info = env.reset(seed=seed)
        for e in info["elements"]:
            px = [e["box"][0] * W, e["box"][1] * H, e["box"][2] * W, e["box"][3] * H]
            assert all(abs(v - round(v)) < 1e-9 for v in px)
        buttons = [e for e in info["elements"] if e["role"] == "button"]  # not the words on them
        target = next(e for e in buttons if e["label"] == info["goal"]["button"])
        x0, y0, x1, y1 = (round(v * s) for v, s in zip(target["box"], (W, H, W, H), strict=True))
        # one pixel outside the box: nothing happens (the scatter keeps a gap around buttons)
        _, reward, terminated, _, _ = env.step(Action.click(from_pixel(x1, W), from_pixel(y0, H)))
        assert not terminated
        # the last pixel inside the box hits it
        _, reward, terminated, _, info = env.step(Action.click(from_pixel(x1 - 1, W), from_pixel(y1 - 1, H)))
        assert terminated and reward == 1.0 and info["success"]


def test_wrong_button_fails() -> None:
    env = gym.make("deskpilot/mock-click-button-v0").unwrapped
    _, info = env.reset(seed=3)
    other = next(
        e for e in info["elements"] if e["role"] == "button" and e["label"] != info["goal"]["button"]
    )
    b = other["box"]
    _, reward, terminated, truncated, info = env.step(Action.click((b[0] + b[2]) / 2, (b[1] + b[3]) / 2))
    assert terminated and not truncated and reward == 0.0 and info["success"] is False


def test_action_that_hits_nothing_is_a_no_op_and_truncation() -> None:
    env = gym.make("deskpilot/mock-click-button-v0").unwrapped
    _, info = env.reset(seed=0)
    for i in range(env.max_steps):
        _, reward, terminated, truncated, after = env.step(Action.click(0.0, 0.999))
        assert reward == 0.0 and not terminated
        assert after["elements"] == info["elements"]
        assert {k: v for k, v in after["state"].items() if k != "cursor"} == {
            k: v for k, v in info["state"].items() if k != "cursor"
        }
        assert truncated == (i == env.max_steps - 1)
    assert after["success"] is False


def test_malformed_action_raises_value_error() -> None:
    env = gym.make("deskpilot/mock-click-button-v0").unwrapped
    env.reset(seed=0)
    for bad in ("click", {"type": 0}, None, 3, {**env.action_space.sample(), "extra": 1}):
        with pytest.raises(ValueError):
            env.step(bad)


def test_unknown_ids_and_suites() -> None:
    with pytest.raises(gym.error.Error):
        gym.make("deskpilot/mock-nothing-v0")
    with pytest.raises(ValueError, match="unknown task family"):
        SyntheticEnv(task="nothing")
    with pytest.raises(ValueError, match="deskpilot/mock-suite"):
        resolve_env_ids("deskpilot/nope")
    assert resolve_env_ids("deskpilot/mock-suite") == list(ENV_IDS)
    assert resolve_env_ids(ENV_IDS[0]) == [ENV_IDS[0]]
    assert set(SUITES["deskpilot/mock-easy"]) <= set(ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_random_action_space_samples_are_valid_actions(env_id: str) -> None:
    env = gym.make(env_id).unwrapped
    env.action_space.seed(0)
    env.reset(seed=0)
    for _ in range(30):
        *_, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            assert isinstance(info["success"], bool)
            env.reset()


@pytest.mark.parametrize("size", [(128, 128), (420, 320)])
def test_expert_solves_other_sizes(size: tuple[int, int]) -> None:
    for env_id in ENV_IDS:
        env = gym.make(env_id, obs_size=size).unwrapped
        for seed in range(3):
            steps = rollout(env, seed, ExpertActor(), steps=20)
            assert steps[0][0]["screenshot"].shape == (*size, 3)
            assert steps[-1][4]["success"], (env_id, seed)


def test_obs_size_is_configurable() -> None:
    env = gym.make("deskpilot/mock-login-v0", obs_size=(300, 240)).unwrapped
    steps = rollout(env, 1, ExpertActor(), steps=20)
    assert steps[0][0]["screenshot"].shape == (300, 240, 3) and steps[-1][4]["success"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs(mode: str) -> None:
    vec = gym.make_vec("deskpilot/mock-click-button-v0", num_envs=2, vectorization_mode=mode)
    try:
        obs, info = vec.reset(seed=0)
        assert obs["screenshot"].shape == (2, H, W, 3) and len(obs["task"]) == 2
        actions = vec.action_space.sample()
        obs, reward, terminated, truncated, info = vec.step(actions)
        assert reward.shape == (2,)
    finally:
        vec.close()


# ---------------------------------------------------------------------------------- widgets
@pytest.fixture
def scene() -> Scene:
    return Scene(W, H, random_theme(np.random.default_rng(0), 1.0), "Test")


def at(x: int, y: int) -> tuple[float, float]:
    return from_pixel(x, W), from_pixel(y, H)


def test_click_hit_testing(scene: Scene) -> None:
    a = scene.add(Button((10, 30, 50, 45), "a"))
    scene.add(Button((40, 40, 80, 60), "b"))  # overlaps a; painted later so on top
    assert [w.label for _, w, _ in scene.dispatch(Action.click(*at(10, 30)))] == ["a"]
    assert [w.label for _, w, _ in scene.dispatch(Action.click(*at(45, 42)))] == ["b"]
    assert scene.dispatch(Action.click(*at(50, 31))) == []  # x1 is exclusive
    assert scene.dispatch(Action.click(*at(9, 31))) == []
    a.visible = False
    assert scene.dispatch(Action.click(*at(10, 30))) == []
    assert [e["label"] for e in scene.elements()] == ["b"]


def test_typing_caret_backspace_select_all_enter(scene: Scene) -> None:
    f = scene.add(TextField((10, 30, 150, 46), "Name"))
    scene.dispatch(Action.type_text("kiwi"))
    assert f.text == ""  # nothing focused: typing goes nowhere
    scene.dispatch(Action.click(*at(20, 35)))
    assert scene.focus is f and f.focused
    scene.dispatch(Action.type_text("kiwi"))
    assert (f.text, f.caret) == ("kiwi", 4)
    scene.dispatch(Action.press("left"))
    scene.dispatch(Action.type_text("X"))
    assert (f.text, f.caret) == ("kiwXi", 4)
    scene.dispatch(Action.press("backspace"))
    assert (f.text, f.caret) == ("kiwi", 3)
    scene.dispatch(Action.press("ctrl+a"))
    scene.dispatch(Action.type_text("pear"))
    assert (f.text, f.caret, f.selected_all) == ("pear", 4, False)
    scene.dispatch(Action.press("ctrl+a"))
    scene.dispatch(Action.press("backspace"))
    assert f.text == ""
    scene.dispatch(Action.type_text("ok"))
    assert scene.dispatch(Action.press("enter")) == [("submit", f, None)]
    scene.dispatch(Action.click(*at(100, 150)))  # clicking elsewhere blurs
    assert scene.focus is None and not f.focused


def test_caret_and_focus_ring_are_drawn_only_when_focused(scene: Scene) -> None:
    scene.add(TextField((10, 30, 150, 46), "Name"))
    scene.cursor = (140, 100)
    blurred = scene.render()
    scene.dispatch(Action.click(*at(20, 35)))
    scene.cursor = (140, 100)  # keep the pointer out of the field so only the field can differ
    assert not (scene.render()[30:46] == blurred[30:46]).all()
    scene.dispatch(Action.click(*at(140, 100)))
    assert (scene.render()[30:46] == blurred[30:46]).all()


def test_tab_moves_focus(scene: Scene) -> None:
    a = scene.add(TextField((10, 30, 150, 46), "A"))
    b = scene.add(TextField((10, 60, 150, 76), "B", text="old", caret=3))
    scene.dispatch(Action.press("tab"))
    assert scene.focus is a
    scene.dispatch(Action.press("tab"))
    assert scene.focus is b and b.selected_all  # tabbing into a field selects its text
    scene.dispatch(Action.type_text("new"))
    assert b.text == "new"
    scene.dispatch(Action.press("shift+tab"))
    assert scene.focus is a


def test_unhandled_keys_become_key_events(scene: Scene) -> None:
    assert scene.dispatch(Action.press("ctrl+s")) == [("key", None, "ctrl+s")]


def test_checkbox_click_and_double_click(scene: Scene) -> None:
    c = scene.add(Checkbox((10, 30, 80, 44), "x"))
    scene.dispatch(Action.click(*at(60, 35)))  # the caption is part of the box
    assert c.checked
    scene.dispatch(Action.double_click(*at(12, 35)))
    assert c.checked  # toggled twice


def test_double_click_opens_icon(scene: Scene) -> None:
    i = scene.add(Icon((10, 30, 50, 70), "doc"))
    assert scene.dispatch(Action.click(*at(20, 40))) == [] and i.selected
    assert scene.dispatch(Action.double_click(*at(20, 40))) == [("open", i, None)]


def test_scroll_moves_list(scene: Scene) -> None:
    items = [f"item{i}" for i in range(10)]
    lst = scene.add(ListBox((10, 30, 100, 30 + 4 * 14 + 2), "files", items=items, rows=4))
    labels = [e["label"] for e in scene.elements() if e["role"] == "listitem"]
    assert labels == items[:4]
    scene.dispatch(Action.scroll_at(*at(50, 40), 3))
    assert lst.offset == 3
    scene.dispatch(Action.scroll_at(*at(50, 40), 20))
    assert lst.offset == 6  # clamped at the end
    scene.dispatch(Action.scroll_at(*at(50, 40), -2))
    assert [e["label"] for e in scene.elements() if e["role"] == "listitem"] == items[4:8]
    scene.dispatch(Action.scroll_at(*at(150, 150), 3))  # pointer elsewhere: nothing scrolls
    assert lst.offset == 4
    events = scene.dispatch(Action.click(*at(20, 31 + 14)))
    assert events == [("select", lst, "item5")]


def test_right_click_menu(scene: Scene) -> None:
    lst = scene.add(
        ListBox(
            (10, 30, 100, 30 + 3 * 14 + 2),
            "files",
            items=["a", "b", "c"],
            rows=3,
            menu_entries=["Open", "Delete"],
        )
    )
    scene.dispatch(Action.right_click(*at(20, 31 + 14)))
    assert scene.popup is not None and lst.selected == 1
    entries = [e for e in scene.elements() if e["role"] == "menuitem"]
    assert [e["label"] for e in entries] == ["Open", "Delete"]
    box = entries[1]["box"]
    events = scene.dispatch(Action.click((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    assert events == [("menu", lst, ("b", "Delete"))] and scene.popup is None
    scene.dispatch(Action.right_click(*at(20, 35)))
    scene.dispatch(Action.press("escape"))
    assert scene.popup is None
    scene.dispatch(Action.right_click(*at(20, 35)))
    assert scene.dispatch(Action.click(*at(150, 200))) == [] and scene.popup is None


def test_dropdown(scene: Scene) -> None:
    d = scene.add(Dropdown((10, 30, 90, 46), "colour", options=["red", "green", "blue"]))
    scene.dispatch(Action.click(*at(20, 35)))
    option = next(e for e in scene.elements() if e["label"] == "green")
    b = option["box"]
    assert scene.dispatch(Action.click((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)) == [("choose", d, "green")]
    assert d.selected == "green" and scene.popup is None


def test_drag_slider_and_click_pages(scene: Scene) -> None:
    s = scene.add(Slider((10, 30, 110, 42), "vol", value=2, hi=10))
    tx, ty = s.thumb()[0] + 3, 35
    scene.dispatch(Action.drag(*at(tx, ty), *at(s.x_of(7), ty)))
    assert s.value == 7
    scene.dispatch(Action.click(*at(s.x_of(0), ty)))
    assert s.value == 6  # a click on the track pages one step
    scene.dispatch(Action.drag(*at(tx, ty), *at(159, 100)))
    assert s.value == 10


def test_drag_item_onto_zone(scene: Scene) -> None:
    zone = scene.add(DropZone((10, 150, 80, 200), "bin"))
    card = scene.add(Card((10, 30, 50, 45), "note"))
    events = scene.dispatch(Action.drag(*at(20, 35), *at(40, 170)))
    assert events == [("drop", card, zone)]
    assert card.box == (30, 165, 70, 180)
    assert scene.dispatch(Action.drag(*at(120, 35), *at(40, 170))) == []  # pressed on nothing


def test_tabs_switch_pages(scene: Scene) -> None:
    b1, b2 = Button((10, 60, 50, 75), "one"), Button((10, 60, 50, 75), "two")
    t1, t2 = Tab((10, 30, 40, 45), "A", children=[b1]), Tab((40, 30, 70, 45), "B", children=[b2])
    for w in (t1, t2, b1, b2):
        scene.add(w)
    t1.group = t2.group = [t1, t2]
    scene.dispatch(Action.click(*at(45, 35)))
    assert t2.selected and not t1.selected and b2.visible and not b1.visible
    assert [w.label for _, w, _ in scene.dispatch(Action.click(*at(20, 65)))] == ["two"]


def test_modal_dialog_blocks_background(scene: Scene) -> None:
    scene.add(Button((10, 30, 50, 45), "behind"))
    ok = scene.add(Button((60, 100, 100, 115), "OK"))
    scene.modal = [ok]
    assert scene.dispatch(Action.click(*at(20, 35))) == []
    assert [e["label"] for e in scene.elements()] == ["OK"]
    assert scene.dispatch(Action.click(*at(70, 105))) == [("click", ok, None)]


def test_spinner_counts_down_then_reveals(scene: Scene) -> None:
    b = scene.add(Button((10, 60, 50, 75), "go", visible=False))
    spin = scene.add(
        Spinner((10, 30, 90, 48), "Loading", remaining=2, on_done=lambda: setattr(b, "visible", True))
    )
    scene.tick()
    assert spin.visible and not b.visible
    scene.tick()
    assert not spin.visible and b.visible


def test_wait_spinner_env_needs_waiting() -> None:
    env = gym.make("deskpilot/mock-wait-spinner-v0").unwrapped
    _, info = env.reset(seed=0)
    assert not any(e["role"] == "button" for e in info["elements"])
    _, _, terminated, _, info = env.step(Action.wait())
    assert not terminated and info["step"] == 1


def test_done_fails_when_unsatisfied() -> None:
    env = gym.make("deskpilot/mock-click-button-v0").unwrapped
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(Action.done())
    assert terminated and reward == 0.0 and info["success"] is False


def test_pointer_is_drawn(scene: Scene) -> None:
    scene.cursor = (50, 50)
    frame = scene.render()
    assert (frame[50, 50] == 0).all()  # the arrow's black tip
    scene.cursor = (100, 100)
    assert not (scene.render()[50, 50] == 0).all()


def test_bench_env_smoke() -> None:
    from deskpilot.envs.synthetic.bench import bench_env

    rows = bench_env(seconds=0.5)
    names = [r[0] for r in rows]
    assert "reset/s" in names and "step/s" in names and all(r[1] > 0 for r in rows)


# ---------------------------------------------------------------------------------- text words
def pixels(box: list[float]) -> tuple[int, int, int, int]:
    return round(box[0] * W), round(box[1] * H), round(box[2] * W), round(box[3] * H)


def overlaps(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def words_of(info: dict) -> list[str]:
    return [e["label"] for e in info["elements"] if e["role"] == "text"]


TEXT_FAMILIES = ["click-link", "dialog", "login", "slider", "context-menu", "dropdown", "wait-spinner"]


@pytest.mark.parametrize("family", TEXT_FAMILIES)
def test_words_come_first_and_the_expert_never_clicks_one(family: str) -> None:
    env = gym.make(f"deskpilot/mock-{family}-v0").unwrapped
    expert = ExpertActor()
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        done = False
        while not done:
            roles = [e["role"] for e in info["elements"]]
            n = roles.count("text")
            assert n > 0 and roles[:n] == ["text"] * n and "text" not in roles[n:], roles
            action = expert.act(obs, info)
            if action.x is not None:
                hits = [
                    e
                    for e in info["elements"]
                    if e["box"][0] <= action.x < e["box"][2] and e["box"][1] <= action.y < e["box"][3]
                ]
                assert hits and hits[-1]["role"] != "text", (family, seed, action)  # the top hit is a widget
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        assert info["success"]


@pytest.mark.parametrize("family", TEXT_FAMILIES)
def test_word_boxes_are_the_drawn_ink(family: str) -> None:
    env = gym.make(f"deskpilot/mock-{family}-v0").unwrapped
    checked = 0
    for seed in range(4):
        obs, info = env.reset(seed=seed)
        img = obs["screenshot"].astype(int)
        cx, cy = env._task.scene.cursor
        for e in info["elements"]:
            if e["role"] != "text":
                continue
            x0, y0, x1, y1 = pixels(e["box"])
            assert (
                0 < x0 < x1 < W
                and 0 < y0 < y1 < H
                and all(abs(v * s - round(v * s)) < 1e-9 for v, s in zip(e["box"], (W, H, W, H), strict=True))
            )
            if x0 <= cx + 12 and cx <= x1 and y0 <= cy + 15 and cy <= y1:
                continue  # the pointer is drawn over this word
            ring = np.concatenate(
                [img[y0 - 1, x0 - 1 : x1 + 1], img[y1, x0 - 1 : x1 + 1], img[y0:y1, x0 - 1], img[y0:y1, x1]]
            )
            colours, counts = np.unique(ring, axis=0, return_counts=True)
            ink = (img[y0:y1, x0:x1] != colours[counts.argmax()]).any(-1)  # differs from the background
            # Tight: drawn pixels touch all four sides of the box (and none of the ring is the word's).
            assert ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any(), (seed, e)
            checked += 1
    assert checked > 10


def test_words_name_the_visible_text() -> None:
    env = gym.make("deskpilot/mock-click-link-v0").unwrapped
    for seed in range(5):
        _, info = env.reset(seed=seed)
        scene = env._task.scene
        words = [(e["label"], pixels(e["box"])) for e in info["elements"] if e["role"] == "text"]
        assert words[0][0] == scene.title.split()[0]  # the window title is text too
        paragraph = [w for w in scene.widgets if isinstance(w, (Text, Link))]
        assert len(paragraph) >= 16
        for w in paragraph:  # every word of the paragraph, links included, on its own widget
            x0, y0, x1, y1 = w.box
            room = (x0, y0, x1 + 2, y1)  # a last glyph's ink may overhang its advance ("y", "f")
            assert any(label == w.label and inside(box, room) for label, box in words), (seed, w.label)
    env = gym.make("deskpilot/mock-slider-v0").unwrapped
    _, info = env.reset(seed=0)
    captions = [w.label for w in env._task.scene.widgets if isinstance(w, Text)]
    assert captions and all(" ".join(words_of(info)).count(c) for c in captions)  # "name: 3" read-outs


def test_words_under_a_dialog_are_left_out() -> None:
    env = gym.make("deskpilot/mock-dialog-v0").unwrapped
    hidden = 0
    for seed in range(20):
        _, info = env.reset(seed=seed)
        scene = env._task.scene
        panel = next(w for w in scene.widgets if isinstance(w, Panel))
        x0, y0, x1, y1 = panel.box
        covered = [panel.box, (x0 + 2, y0 + 2, x1 + 2, y1 + 2)]  # the body and its drop shadow
        message = next(w for w in scene.widgets if isinstance(w, Text)).label
        labels = words_of(info)
        assert " ".join(labels).count(f"{panel.title} {message}") == 1  # title, then the message
        for e in info["elements"]:
            box = pixels(e["box"])
            if e["role"] == "text" and any(overlaps(box, c) for c in covered):
                assert inside(box, panel.box), (seed, e)  # only what the dialog itself draws
        behind = [w for w in scene.widgets if isinstance(w, Button) and w not in scene.modal]
        hidden += sum(w.label not in labels for w in behind if any(overlaps(w.box, c) for c in covered))
    assert hidden > 0  # the case was exercised: some background captions were (partly) covered


def test_words_under_a_popup_menu_are_left_out() -> None:
    env = gym.make("deskpilot/mock-context-menu-v0").unwrapped
    expert = ExpertActor()
    hidden = 0
    for seed in range(10):
        obs, info = env.reset(seed=seed)
        before = words_of(info)
        obs, *_, info = env.step(expert.act(obs, info))  # right-click: the menu opens at the pointer
        menu = env._task.scene.popup
        assert menu is not None
        x0, y0, x1, y1 = menu.box
        covered = [menu.box, (x0 + 2, y0 + 2, x1 + 2, y1 + 2)]
        after = words_of(info)
        assert after[-len(menu.entries) :] == menu.entries  # drawn last, on top
        for e in info["elements"]:
            box = pixels(e["box"])
            if e["role"] == "text" and any(overlaps(box, c) for c in covered):
                assert inside(box, menu.box) and e["label"] in menu.entries, (seed, e)
        hidden += len(before) - (len(after) - len(menu.entries))
        obs, *_, info = env.step(Action.press("escape"))
        assert words_of(info) == before  # closed again: the same words as before
    assert hidden > 0


def test_scene_words_follow_paint_order(scene: Scene) -> None:
    scene.add(Button((10, 30, 70, 45), "under"))
    scene.add(Button((10, 60, 70, 75), "clear"))
    scene.add(Panel((40, 25, 150, 55)))  # covers the right end of "under"
    scene.add(Text((45, 35, 140, 50), "on top"))
    assert [e["label"] for e in scene.words()] == ["Test", "clear", "on", "top"]
    assert [e["label"] for e in scene.elements()] == ["under", "clear"]  # widgets stay as they were
    scene.open_popup(Menu((5, 58, 90, 80), entries=["Open"]))
    assert [e["label"] for e in scene.words()] == ["Test", "on", "top", "Open"]
    scene.close_popup()
    assert [e["label"] for e in scene.words()] == ["Test", "clear", "on", "top"]
    on, top = scene.words()[2:]
    assert on["box"][2] < top["box"][0]  # one box per word, the space between them left out


def test_the_expert_selects_all_before_typing_whether_or_not_the_field_holds_text() -> None:
    env = gym.make("deskpilot/mock-focus-type-v0").unwrapped
    expert, prefilled = ExpertActor(), set()
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        field = next(w for w in info["state"]["widgets"].values() if "selected_all" in w and w["focused"])
        prefilled.add(bool(field["text"]))
        actions = []
        for _ in range(env.max_steps):
            actions.append(expert.act(obs, info))
            obs, _, terminated, truncated, info = env.step(actions[-1])
            if terminated or truncated:
                break
        assert info["success"] and [a.type for a in actions] == [
            ActionType.KEY,
            ActionType.TYPE,
            ActionType.KEY,
        ]
        assert actions[0].key == "ctrl+a" and actions[2].key == "enter"
    assert prefilled == {True, False}


def test_the_expert_ticks_two_named_boxes_in_either_order_and_keeps_its_order() -> None:
    # A policy may tick either box first (both are right targets); the demonstrations must show the
    # state after each choice, a box left to tick above the last click as well as below it.
    env = SyntheticEnv(task="click-checkboxes", task_options={"click-checkboxes": {"start_ticked": 0.0}})
    first = []
    for seed in range(60):
        infos = [step[-1] for step in rollout(env, seed, ExpertActor(), steps=12)]
        named = infos[0]["goal"]["checked"]
        tops = {e["label"]: e["box"][1] for e in infos[0]["elements"] if e["role"] == "checkbox"}
        ticked = [
            {k.split(":", 1)[1] for k, w in i["state"]["widgets"].items() if w.get("checked")} for i in infos
        ]
        clicked = [label for before, after in itertools.pairwise(ticked) for label in after ^ before]
        assert infos[-1]["success"] and sorted(clicked) == sorted(named)
        if len(named) == 2:
            first.append(tops[clicked[0]] > min(tops[n] for n in named))  # the lower one first
    assert 0.3 < np.mean(first) < 0.7, first


def test_a_slider_publishes_the_column_each_value_is_set_by() -> None:
    env = gym.make("deskpilot/mock-slider-v0")
    checked = 0
    for seed in range(4):
        _, info = env.reset(seed=seed)
        for e in (e for e in info["elements"] if e["role"] == "slider"):
            values = e["values"]
            state = info["state"]["widgets"][f"slider:{e['label']}"]
            assert len(values) == state["hi"] - state["lo"] + 1 and values == sorted(values)
            assert e["box"][0] < values[0] < values[-1] < e["box"][2]
            thumb = next(t for t in info["elements"] if t["role"] == "thumb" and t["label"] == e["label"])
            tx, ty = (thumb["box"][0] + thumb["box"][2]) / 2, (thumb["box"][1] + thumb["box"][3]) / 2
            for value in (0, len(values) // 2, len(values) - 1):
                _, info = env.reset(seed=seed)
                *_, info = env.step(Action.drag(tx, ty, values[value], ty))
                assert info["state"]["widgets"][f"slider:{e['label']}"]["value"] == state["lo"] + value
                checked += 1
            _, info = env.reset(seed=seed)
    assert all("values" not in e for e in info["elements"] if e["role"] != "slider")
    assert checked >= 12
    env.close()


def test_task_options_change_a_familys_draws_and_nothing_else() -> None:
    def starts_ticked(env: SyntheticEnv, seeds: range) -> int:
        return sum(
            any(e.get("checked") for e in env.reset(seed=s)[1]["elements"] if e.get("role") == "checkbox")
            for s in seeds
        )

    options = {"click-checkboxes": {"start_ticked": 1.0}}
    often = SyntheticEnv(task="click-checkboxes", task_options=options)
    never = SyntheticEnv(task="click-checkboxes", task_options={"click-checkboxes": {"start_ticked": 0.0}})
    default = SyntheticEnv(task="click-checkboxes")
    seeds = range(100)
    assert starts_ticked(never, seeds) == 0
    assert starts_ticked(default, seeds) < 60 < starts_ticked(often, seeds)  # 40% and 100% of episodes
    # the expert still solves the episodes drawn the other way
    assert rollout(often, 1, ExpertActor(), steps=12)[-1][-1]["success"]
    # one mapping serves every env of the suite: another family's options leave an episode as it was
    plain, other = SyntheticEnv(task="click-button"), SyntheticEnv(task="click-button", task_options=options)
    np.testing.assert_array_equal(plain.reset(seed=3)[0]["screenshot"], other.reset(seed=3)[0]["screenshot"])
    with pytest.raises(ValueError, match="unknown task family 'nothing'"):
        SyntheticEnv(task="click-button", task_options={"nothing": {}})
    with pytest.raises(ValueError, match=r"task_options\['click-button'\]: unknown option 'start_ticked'"):
        SyntheticEnv(task="click-button", task_options={"click-button": {"start_ticked": 0.5}})
    with pytest.raises(ValueError, match=r"expected a share in \[0, 1\], got 2"):
        SyntheticEnv(task="click-button", task_options={"click-checkboxes": {"start_ticked": 2}})
