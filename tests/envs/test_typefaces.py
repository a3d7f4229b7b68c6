"""The synthetic suite in other typefaces, looks and sizes than its own: same tasks, same expert, other pixels."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest

import deskpilot.envs  # noqa: F401 - registers the env ids
from deskpilot.agent.pretrain import VARIED
from deskpilot.envs.actions import Action
from deskpilot.envs.registry import resolve_env_ids
from deskpilot.envs.synthetic.paint import TYPEFACES, text_size, typeface
from deskpilot.policies.sources import expert_episodes


def _screen(env_id: str, seed: int, **kwargs: object) -> np.ndarray:
    return gym.make(env_id, **kwargs).reset(seed=seed)[0]["screenshot"]


def test_the_default_draws_as_before_and_other_faces_and_scales_draw_otherwise() -> None:
    env = "deskpilot/mock-click-button-v0"
    default = _screen(env, 3)
    np.testing.assert_array_equal(default, _screen(env, 3, typefaces=("",), render_scales=(1,)))
    for face in TYPEFACES:
        assert not np.array_equal(default, _screen(env, 3, typefaces=(face,)))
    big = _screen(env, 3, render_scales=(2,))
    assert big.shape == default.shape and not np.array_equal(big, default)
    np.testing.assert_array_equal(default, _screen(env, 3, looks=("suite",)))
    assert not np.array_equal(default, _screen(env, 3, looks=("toolkit",)))


def test_in_the_toolkit_look_a_tick_is_drawn_in_its_square_and_the_box_under_the_pointer_lights_up() -> None:
    env = gym.make("deskpilot/mock-click-checkboxes-v0", looks=("toolkit",)).unwrapped
    obs, info = env.reset(seed=1)
    box = next(e for e in info["elements"] if e["role"] == "checkbox")
    h, w = obs["screenshot"].shape[:2]
    x0, y0, x1, y1 = (round(v * n) for v, n in zip(box["box"], (w, h, w, h), strict=True))
    corner = obs["screenshot"][y0 + 1, x1 - 2].copy()  # inside the frame, right of the caption
    # Clicking the box ticks it: the square's pixels change, and the box is now under the pointer.
    clicked = env.step(Action.click((x0 + 2) / w, (y0 + y1) / 2 / h))[0]["screenshot"]
    square = (slice(y0, y1), slice(x0, x0 + (y1 - y0)))
    assert not np.array_equal(obs["screenshot"][square], clicked[square])
    assert not np.array_equal(clicked[y0 + 1, x1 - 2], corner)  # lit up under the pointer
    away = env.step(Action.click(0.99, 0.99))[0]["screenshot"]  # nothing there: the light goes
    np.testing.assert_array_equal(away[y0 + 1, x1 - 2], corner)


def test_text_is_measured_in_the_face_it_is_drawn_in() -> None:
    with typeface("dejavu-sans"):
        dejavu = text_size("Submit", 11)
    assert dejavu != text_size("Submit", 11)  # outside the block: the suite's own face again
    with pytest.raises(ValueError, match="typeface"), typeface("comic-sans"):
        pass
    with pytest.raises(ValueError, match="typefaces"):
        gym.make("deskpilot/mock-click-button-v0", typefaces=("comic-sans",))
    with pytest.raises(ValueError, match="render_scales"):
        gym.make("deskpilot/mock-click-button-v0", render_scales=(0,))
    with pytest.raises(ValueError, match="looks"):
        gym.make("deskpilot/mock-click-button-v0", looks=("motif",))


def test_the_expert_solves_every_task_in_every_face_look_and_scale() -> None:
    episodes = list(
        itertools.islice(expert_episodes(resolve_env_ids("deskpilot/mock-suite"), seed=5, **VARIED), 108)
    )
    assert all(t.success for t in episodes)
    for t in episodes:
        for step in t.steps:
            for e in step.annotations.get("elements", []):
                x0, y0, x1, y1 = e["box"]
                assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
