"""The reading drills: Gymnasium envs whose pages are drawn with Pillow and solved by MiniWoB's experts."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.relabel import with_alternatives
from deskpilot.collectors.trajectory import Trajectory
from deskpilot.envs.actions import Action
from deskpilot.envs.info import check_info
from deskpilot.envs.miniwob.drill_page import BLUE, TICK
from deskpilot.envs.miniwob.drill_shapes import COLOURS, fits
from deskpilot.envs.miniwob.registry import DRILL_ENV_IDS, STREAMED_DRILL_IDS, SUITES, drills_for, imitated
from deskpilot.envs.miniwob.tasks import forms, reading

(
    LINK,
    BOXES,
    LARGE,
    SOFT,
    SHAPES,
    COUNT,
    IDENTIFY,
    COLOR,
    SHADES,
    TABS,
    SECTIONS,
    ARITHMETIC,
    ALGEBRA,
    FIND_WORD,
) = DRILL_ENV_IDS


def _inside(box: list[float], x: float, y: float) -> bool:
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _pixels(box: list[float]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(round(y0 * 210), round(y1 * 210)), slice(round(x0 * 160), round(x1 * 160))


def _expert_episode(env_id: str, seed: int) -> Trajectory:
    env = gym.make(env_id)
    return with_alternatives(
        run_episode(env, env.unwrapped.make_expert(), source="expert", seed=seed).trajectory
    )


@pytest.mark.parametrize("env_id", DRILL_ENV_IDS)
def test_drills_pass_the_env_checker_and_the_info_schema(env_id: str) -> None:
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    check_info(info, has_region=False)
    again, _ = env.reset(seed=3)
    assert again["task"] == obs["task"] and np.array_equal(again["screenshot"], obs["screenshot"])
    _, _, terminated, _, info = env.step(Action.done())
    assert terminated and info["success"] is False
    check_info(info, has_region=False)


def test_link_drill_expert_clicks_the_named_link_drawn_in_blue() -> None:
    for seed in range(12):
        t = _expert_episode(LINK, seed)
        (step,) = t.steps
        name = re.fullmatch(r'Click on the link "(.+)"\.', t.task)
        assert name is not None and t.success, t.task
        links = [e for e in step.annotations["elements"] if e["role"] == "link"]
        hit = [e for e in links if _inside(e["box"], step.action.x, step.action.y)]
        assert [e["label"] for e in hit] == [name.group(1)]
        ys, xs = _pixels(hit[0]["box"])
        assert any(
            tuple(p) == BLUE for p in step.screenshot[ys, xs].reshape(-1, 3)
        )  # drawn where its box says
        words = [e for e in step.annotations["elements"] if e["role"] == "text"]
        assert {w["label"] for w in words} >= {"Click", "on", "the", "link"}


@pytest.mark.parametrize(
    ("env_id", "sentence"), [(TABS, "Switch between the tabs"), (SECTIONS, "Expand the sections")]
)
def test_pane_drill_expert_opens_panes_until_the_named_link_shows_then_clicks_it(
    env_id: str, sentence: str
) -> None:
    opened = 0
    for seed in range(16):
        t = _expert_episode(env_id, seed)
        name = re.fullmatch(sentence + r'.* click on the link "(.+)"\.', t.task)
        assert name is not None and t.success, t.task
        *opening, last = t.steps
        for step in opening:  # the link is not on the screen yet: a tab or header is clicked
            elements = step.annotations["elements"]
            assert name.group(1) not in {e["label"] for e in elements if e["role"] == "link"}
            roles = [e["role"] for e in elements if _inside(e["box"], step.action.x, step.action.y)]
            assert "tab" in roles and "link" not in roles
        opened += len(opening)
        links = [e for e in last.annotations["elements"] if e["role"] == "link"]
        hit = [e for e in links if _inside(e["box"], last.action.x, last.action.y)]
        assert [e["label"] for e in hit] == [name.group(1)]
        ys, xs = _pixels(hit[0]["box"])
        assert any(tuple(p) == BLUE for p in last.screenshot[ys, xs].reshape(-1, 3))
    # Sections start closed (one opening or more each); tabs hide the link behind another tab at times.
    assert opened >= (16 if env_id == SECTIONS else 4)


def test_pane_drill_ends_on_a_wrong_link_and_a_tab_click_shows_its_own_paragraph() -> None:
    env = gym.make(TABS)
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        tabs = [e for e in info["elements"] if e["role"] == "tab"]
        if len(tabs) > 1:
            break
    first = {e["label"] for e in info["elements"] if e["role"] == "link"}
    x0, y0, x1, y1 = tabs[1]["box"]
    obs, _, terminated, _, info = env.step(Action.click((x0 + x1) / 2, (y0 + y1) / 2))
    assert not terminated and {e["label"] for e in info["elements"] if e["role"] == "link"} != first
    target = re.search(r'"(.+)"\.$', obs["task"]).group(1)  # type: ignore[union-attr]
    wrong = [e for e in info["elements"] if e["role"] == "link" and e["label"] != target][0]
    x0, y0, x1, y1 = wrong["box"]
    _, reward, terminated, _, info = env.step(Action.click((x0 + x1) / 2, (y0 + y1) / 2))
    assert terminated and reward == 0.0 and info["success"] is False


def test_checkbox_drill_expert_ticks_exactly_the_named_boxes_then_submits() -> None:
    for seed in range(12):
        t = _expert_episode(BOXES, seed)
        assert t.success
        listed = re.fullmatch(r"Select (.+) and click Submit\.", t.task)
        assert listed is not None, t.task
        wanted = set() if listed.group(1) == "nothing" else set(listed.group(1).split(", "))
        first = t.steps[0].annotations["elements"]
        labels = [e for e in first if e["role"] == "label"]
        state = {}  # read from the pixels: a ticked box is filled with Chromium's blue
        for box in (e for e in first if e["role"] == "checkbox"):
            ys, xs = _pixels(box["box"])
            state[box["label"]] = bool((t.steps[0].screenshot[ys, xs] == TICK).all(-1).any())
            assert state[box["label"]] == box["checked"]
        for step in t.steps[:-1]:
            (clicked,) = [e["label"] for e in labels if _inside(e["box"], step.action.x, step.action.y)]
            assert state[clicked] != (clicked in wanted)  # only boxes in the wrong state are clicked
            assert any(_inside(b, step.action.x, step.action.y) for b in step.annotations["targets"])
            state[clicked] = not state[clicked]
        submit = [e for e in first if e["role"] == "button"]
        assert _inside(submit[0]["box"], t.steps[-1].action.x, t.steps[-1].action.y)
        assert {n for n, on in state.items() if on} == wanted


@pytest.mark.parametrize("env_id", [LARGE, SOFT, SHAPES, COUNT, IDENTIFY, COLOR, SHADES])
def test_shape_and_colour_drill_experts_solve_their_pages_from_the_dom_rows(env_id: str) -> None:
    for seed in range(20):
        t = _expert_episode(env_id, seed)
        assert t.success, (seed, t.task)
        assert len(t.steps) == 1 or env_id in (LARGE, SOFT, SHADES)  # one click decides the others' pages


@pytest.mark.parametrize("env_id", [ARITHMETIC, ALGEBRA, FIND_WORD])
def test_typed_answer_drill_experts_click_the_field_type_the_answer_and_submit(env_id: str) -> None:
    for seed in range(20):
        t = _expert_episode(env_id, seed)
        assert t.success and [s.action.type.name for s in t.steps] == ["CLICK", "TYPE", "CLICK"], seed
        below = [
            e for e in t.steps[0].annotations["elements"] if e["role"] == "text" and e["box"][1] > 50 / 210
        ]
        words = [e["label"] for e in below if e["label"] != "Submit"]
        if env_id == FIND_WORD:  # the asked word of the paragraph drawn, punctuation dropped
            wanted = re.sub(r"[^A-Za-z]", "", words[forms.parse_find_word(t.task) - 1])
        else:  # the answer of the digits drawn
            solve = reading.arithmetic_answer if env_id == ARITHMETIC else reading.algebra_answer
            wanted = solve(" ".join(words))
        assert t.steps[1].action.text == wanted, (words, t.task)
        field = [e["box"] for e in t.steps[0].annotations["elements"] if e["role"] == "textbox"]
        assert _inside(field[0], t.steps[0].action.x, t.steps[0].action.y)


def test_sum_drill_judges_the_typed_text_and_replaces_a_selection() -> None:
    env = gym.make(ARITHMETIC)
    obs, info = env.reset(seed=1)
    page = env.unwrapped._page
    field = next(e["box"] for e in info["elements"] if e["role"] == "textbox")
    env.step(Action.type_text("5"))  # not focused yet: nothing typed
    assert page.value == ""
    before = obs["screenshot"]
    obs, *_ = env.step(Action.click((field[0] + field[2]) / 2, (field[1] + field[3]) / 2))
    assert not np.array_equal(before, obs["screenshot"])  # the focus ring
    for act in (Action.type_text("9"), Action.type_text("9"), Action.press("ctrl+a"), Action.type_text("x")):
        env.step(act)
    assert page.value == "x"
    submit = next(e["box"] for e in info["elements"] if e["role"] == "button")
    _, reward, terminated, _, info = env.step(
        Action.click((submit[0] + submit[2]) / 2, (submit[1] + submit[3]) / 2)
    )
    assert terminated and reward == 0.0 and info["success"] is False


def test_shape_drill_figures_are_drawn_in_their_colour_where_their_box_says() -> None:
    env = gym.make(SHAPES)
    for seed in range(10):
        env.reset(seed=seed)
        page = env.unwrapped._page
        frame = page.render()[0]
        for fig in page.figures:
            ys, xs = _pixels(list(np.divide(fig.box(), [160, 210, 160, 210])))
            near = np.abs(frame[ys, xs].astype(int) - COLOURS[fig.colour]).sum(-1)
            if fig.type == "shape":  # filled: a triangle half its box, a square all of it
                assert (near < 60).mean() > 0.35, (seed, fig)
            else:  # a 10-px letter's thin anti-aliased strokes: some pixels well on the way to its colour
                assert near.min() < 0.7 * (765 - sum(COLOURS[fig.colour])), (seed, fig)


def test_a_shape_drill_scores_a_click_by_the_description() -> None:
    env = gym.make(SHAPES)
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        page = env.unwrapped._page
        wrong = [f for f in page.figures if not fits(f, page.desc)]
        if not wrong:
            continue
        x0, y0, x1, y1 = wrong[-1].box()  # drawn last: on top of any neighbour it touches
        _, reward, terminated, _, info = env.step(Action.click((x0 + x1) / 320, (y0 + y1) / 420))
        assert terminated and reward == 0.0 and info["success"] is False, obs["task"]


def test_identify_drill_asks_for_the_button_naming_the_figure() -> None:
    answers = set()
    for seed in range(30):
        t = _expert_episode(IDENTIFY, seed)
        (step,) = t.steps
        buttons = [e for e in step.annotations["elements"] if e["role"] == "button"]
        (hit,) = [e["label"] for e in buttons if _inside(e["box"], step.action.x, step.action.y)]
        answers.add(hit)
    assert answers == {"Rectangle", "Circle", "Triangle", "Letter", "Number"}


def test_colour_drill_answer_box_has_the_swatch_colour_or_the_named_one() -> None:
    from deskpilot.envs.miniwob.drill_colours import CSS

    worded = 0
    for seed in range(20):
        t = _expert_episode(COLOR, seed)
        (step,) = t.steps
        x, y = round(step.action.x * 160), round(step.action.y * 210)
        clicked = tuple(int(v) for v in step.screenshot[y, x])
        name = re.fullmatch(r"Click on the (?:(\w+) )?colored box\.", t.task)
        assert name is not None, t.task
        if name.group(1):
            worded += 1
            assert clicked == CSS[name.group(1)]
        else:  # the swatch stands in the first line of the instruction, after "Click on the"
            line = [tuple(int(v) for v in p) for p in step.screenshot[11, :100]]
            assert clicked in line
    assert 0 < worded < 20  # both wordings are drawn


def test_shades_drill_ticks_exactly_the_named_hue_then_submits() -> None:
    for seed in range(10):
        t = _expert_episode(SHADES, seed)
        hue = re.fullmatch(r"Select all the shades of (red|green|blue) and press Submit\.", t.task)
        assert hue is not None and t.success
        channel = ("red", "green", "blue").index(hue.group(1))
        for step in t.steps[:-1]:  # each click toggles a square; the last presses Submit
            x, y = round(step.action.x * 160), round(step.action.y * 210)
            rgb = step.screenshot[y, x].astype(int)
            assert rgb.argmax() == channel, (seed, rgb)  # a square of the hue


def test_large_checkbox_drill_lays_its_boxes_out_in_two_columns_of_named_labels() -> None:
    for seed in range(6):
        t = _expert_episode(LARGE, seed)
        first = t.steps[0].annotations["elements"]
        boxes = [e for e in first if e["role"] == "checkbox"]
        lefts = sorted({round(e["box"][0], 3) for e in boxes})
        assert 7 <= len(boxes) <= 12 and len(lefts) == 2  # two columns
        labels = {e["label"]: e["box"] for e in first if e["role"] == "label"}
        words = {e["label"]: e["box"] for e in first if e["role"] == "text"}
        for box in boxes:  # each name is drawn right of its box, inside its label
            name = words[box["label"]]
            assert labels[box["label"]][0] <= box["box"][0] < name[0] <= labels[box["label"]][2]
        # 5 or more to select: a click for each, then Submit
        assert len(t.steps) >= 6 and t.success


def test_soft_checkbox_drill_ticks_the_boxes_whose_word_shares_a_list_with_an_asked_one() -> None:
    from deskpilot.envs.miniwob.tasks.clicking import SYNONYMS

    list_of = {w: i for i, words in enumerate(SYNONYMS) for w in words}
    for seed in range(10):
        t = _expert_episode(SOFT, seed)
        asked = re.fullmatch(r"Select words similar to (.+) and click Submit\.", t.task)
        assert asked is not None and t.success, t.task
        lists = {list_of[w] for w in asked.group(1).split(", ")}
        first = t.steps[0].annotations["elements"]
        labels = [e for e in first if e["role"] == "label"]
        clicked = {
            e["label"] for s in t.steps[:-1] for e in labels if _inside(e["box"], s.action.x, s.action.y)
        }
        assert clicked == {e["label"] for e in labels if list_of[e["label"]] in lists}


def test_a_dataset_streams_the_drills_of_its_own_tasks() -> None:
    # The ten tasks of the first suite keep the two drills they were measured with; the 44 take all.
    assert drills_for(SUITES["deskpilot/miniwob-10"]) == (LINK, BOXES)
    assert drills_for([*SUITES["deskpilot/miniwob-suite"], None]) == STREAMED_DRILL_IDS
    assert set(DRILL_ENV_IDS) - set(STREAMED_DRILL_IDS) == {ARITHMETIC, ALGEBRA, FIND_WORD}
    assert drills_for(["deskpilot/miniwob-click-color-v0", "deskpilot/miniwob-click-color-v0"]) == (COLOR,)
    assert drills_for(["deskpilot/miniwob-click-tab-2-hard-v0", "deskpilot/miniwob-click-tab-2-v0"]) == (
        TABS,
    )
    assert drills_for(["deskpilot/miniwob-simple-arithmetic-v0"]) == STREAMED_DRILL_IDS  # none streamed
    assert drills_for(["deskpilot/mock-login-v0", None]) == STREAMED_DRILL_IDS  # no MiniWoB task: all
    # A typed-answer drill streams when asked for by kind, for a dataset that holds its task.
    words = ["deskpilot/miniwob-find-word-v0", "deskpilot/miniwob-click-color-v0"]
    assert drills_for(words, ("find-word",)) == (COLOR, FIND_WORD)
    assert drills_for(words[1:], ("find-word",)) == (COLOR,)
    with pytest.raises(ValueError, match="find-words"):
        drills_for(words, ("find-words",))
    assert imitated(ARITHMETIC) == "deskpilot/miniwob-simple-arithmetic-v0"
    with pytest.raises(ValueError, match="drill_id"):
        imitated("deskpilot/miniwob-click-link-v0")  # a task, not a drill
