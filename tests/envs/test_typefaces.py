"""The synthetic suite in other typefaces and drawn bigger than the input: same tasks, same expert, other pixels."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest

import deskpilot.envs  # noqa: F401 - registers the env ids
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


def test_the_expert_solves_every_task_in_every_face_and_scale() -> None:
    varied = {"typefaces": ("", *TYPEFACES), "render_scales": (1, 2)}
    episodes = list(
        itertools.islice(expert_episodes(resolve_env_ids("deskpilot/mock-suite"), seed=5, **varied), 108)
    )
    assert all(t.success for t in episodes)
    for t in episodes:
        for step in t.steps:
            for e in step.annotations.get("elements", []):
                x0, y0, x1, y1 = e["box"]
                assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
