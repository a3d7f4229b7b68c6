"""Every env family publishes the info keys of ``envs.info`` with one spelling and meaning.

MiniWoB is checked in ``test_miniwob_learning`` (a browser); the desktop env in its own tests.
"""

from __future__ import annotations

import gymnasium as gym
import pytest

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.collectors.collect import make_expert
from deskpilot.collectors.loop import run_episode
from deskpilot.envs.info import STEP, SUCCESS, check_info
from deskpilot.envs.synthetic.registry import ENV_IDS


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_synthetic_env_info_follows_the_schema(env_id: str) -> None:
    env = gym.make(env_id)
    _, info = env.reset(seed=5)
    check_info(info, has_region=False)
    assert info[STEP] == 0
    expert = make_expert(env)
    expert.reset()
    obs, info = env.reset(seed=5)
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(expert.act(obs, info))
        check_info(info, has_region=False)
    assert info[SUCCESS] is True and info[STEP] > 0
    env.close()


def test_check_info_names_the_broken_key() -> None:
    good = {"step": 0, "elements": [{"box": [0.1, 0.1, 0.2, 0.2], "label": "OK", "role": "button"}]}
    check_info(good, has_region=False)
    with pytest.raises(ValueError, match="'region'"):
        check_info(good, has_region=True)
    with pytest.raises(ValueError, match="'elements'"):
        check_info({**good, "elements": [{"box": [0, 0, 2, 1], "label": "x", "role": "r"}]}, has_region=False)
    slider = {"box": [0.1, 0.1, 0.9, 0.2], "label": "x", "role": "slider"}
    check_info({**good, "elements": [{**slider, "values": [0.2, 0.5]}]}, has_region=False)
    with pytest.raises(ValueError, match="'values'"):
        check_info({**good, "elements": [{**slider, "values": [0.2, 1.5]}]}, has_region=False)
    with pytest.raises(ValueError, match="'step'"):
        check_info({**good, "step": -1}, has_region=False)


def test_a_recorded_episode_keeps_no_screen_for_an_env_without_a_region() -> None:
    env = gym.make(ENV_IDS[0])
    result = run_episode(env, make_expert(env), source="expert", seed=1)
    assert result.trajectory.meta.screen is None
    env.close()
