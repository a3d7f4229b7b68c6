"""Fixtures for the MiniWoB tests: skip without a browser, and make envs on this worker's Xvfb."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gymnasium as gym
import pytest

from deskpilot.envs.miniwob import env_id
from deskpilot.envs.miniwob.browser import BrowserNotFoundError, find_browser


@pytest.fixture
def need_browser() -> None:
    """Skip the test, with the install message, when Chromium or chromedriver is missing."""
    try:
        find_browser()
    except BrowserNotFoundError as e:
        pytest.skip(str(e))


@pytest.fixture
def make(xvfb: str, need_browser: None) -> Iterator[Callable[..., gym.Env]]:
    """``make(task, **kwargs)`` -> a MiniWoB env on this worker's Xvfb; closed after the test."""
    made: list[gym.Env] = []

    def _make(task: str, **kwargs: Any) -> gym.Env:
        env = gym.make(env_id(task), display=xvfb, **kwargs)
        made.append(env)
        return env

    yield _make
    for env in made:
        env.close()
