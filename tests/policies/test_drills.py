import re

import numpy as np
import pytest

from deskpilot.policies.config import TrainConfig, get_config
from deskpilot.policies.data import ArrayDataset, trajectory_to_examples
from deskpilot.policies.drills import BLUE, TICK, drill, drill_episodes
from deskpilot.policies.sources import FixedSource, MixedSource, StreamingSource
from tests.policies.fakes import make_episodes

CFG = get_config("tiny").model


def _inside(box: list[float], x: float, y: float) -> bool:
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _pixels(box: list[float]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(round(y0 * 210), round(y1 * 210)), slice(round(x0 * 160), round(x1 * 160))


def test_drills_are_reproducible_from_the_seed() -> None:
    a = [next(drill_episodes(7)) for _ in range(2)]
    b = list(zip(range(4), drill_episodes(7), strict=False))
    c = next(drill_episodes(8))
    assert a[0].task == a[1].task == b[0][1].task
    assert np.array_equal(a[0].steps[0].screenshot, b[0][1].steps[0].screenshot)
    assert {t.meta.extra["drill"] for _, t in b} == {"link", "checkboxes"}
    assert c.task != a[0].task


def test_link_drill_clicks_the_named_link_drawn_in_blue() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        t = drill("link", rng)
        (step,) = t.steps
        name = re.fullmatch(r'Click on the link "(.+)"\.', t.task)
        assert name is not None, t.task
        links = [e for e in step.annotations["elements"] if e["role"] == "link"]
        hit = [e for e in links if _inside(e["box"], step.action.x, step.action.y)]
        assert [e["label"] for e in hit] == [name.group(1)]
        ys, xs = _pixels(hit[0]["box"])
        ink = step.screenshot[ys, xs].reshape(-1, 3)
        assert any(tuple(p) == BLUE for p in ink)  # the link is drawn where its box says
        words = [e for e in step.annotations["elements"] if e["role"] == "text"]
        assert {w["label"] for w in words} >= {"Click", "on", "the", "link"}
        assert all(0 <= v <= 1 for w in words for v in w["box"])


def test_checkbox_drill_ticks_exactly_the_named_boxes_then_submits() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        t = drill("checkboxes", rng)
        listed = re.fullmatch(r"Select (.+) and click Submit\.", t.task)
        assert listed is not None, t.task
        wanted = set() if listed.group(1) == "nothing" else set(listed.group(1).split(", "))
        boxes = {e["label"]: e for e in t.steps[0].annotations["elements"] if e["role"] == "checkbox"}
        labels = [e for e in t.steps[0].annotations["elements"] if e["role"] == "label"]
        state = {}  # read from the pixels: a ticked box is filled with Chromium's blue
        for name, box in boxes.items():
            ys, xs = _pixels(box["box"])
            state[name] = bool((t.steps[0].screenshot[ys, xs] == TICK).all(-1).any())
        for step in t.steps[:-1]:
            (clicked,) = [e["label"] for e in labels if _inside(e["box"], step.action.x, step.action.y)]
            assert state[clicked] != (clicked in wanted)  # only boxes in the wrong state are clicked
            assert any(_inside(b, step.action.x, step.action.y) for b in step.annotations["targets"])
            state[clicked] = not state[clicked]
        last = t.steps[-1]
        submit = [e for e in last.annotations["elements"] if e["role"] == "button"]
        assert _inside(submit[0]["box"], last.action.x, last.action.y)
        assert {n for n, on in state.items() if on} == wanted


def test_drill_steps_encode_with_every_reading_target() -> None:
    t = drill("checkboxes", np.random.default_rng(2))
    ex = trajectory_to_examples(t, CFG)
    assert ex["w_pointer"].all() and ex["w_cell_letters"].all() and ex["w_cell_match"].all()
    assert ex["cell_match"].any(1).all()  # the names in the task are on screen, under some cells
    assert ex["pointer"].any(1).all()


def test_mixed_source_puts_drills_at_the_end_of_each_batch() -> None:
    data = FixedSource(ArrayDataset.from_trajectories(make_episodes(4), CFG), 6, seed=0)
    drills = StreamingSource(drill_episodes(0), CFG, 2, seed=0, capacity=64)
    mixed = MixedSource(data, drills)
    try:
        batch = mixed.next_batch()
        assert len(batch["type"]) == 8
        tasks = [bytes(int(i) - 4 for i in row if i).decode(errors="replace") for row in batch["task"]]
        assert all(t.startswith(("Click on the link", "Select ")) for t in tasks[6:])
        assert mixed.state() == data.state()
    finally:
        mixed.close()


def test_drill_share_is_validated() -> None:
    with pytest.raises(ValueError, match="train.drills"):
        TrainConfig(drills=1.0)
