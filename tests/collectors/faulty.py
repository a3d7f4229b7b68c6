"""Test doubles shared by the fault and Ray tests; importable by worker processes and Ray actors.

``FaultyEnv`` is a synthetic env whose scripted expert raises mid-episode on some seeds, whose reset
raises on others, and which can kill its own process once (a crashed Ray actor). Workers reach it
through the ``module:id`` form of an env id, which makes ``gymnasium.make`` import this module first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium as gym

from deskpilot.envs import Action
from deskpilot.envs.synthetic.env import SyntheticEnv

ID = "deskpilot-test/faulty-login-v0"
ENV = f"{__name__}:{ID}"  # what workers pass to gymnasium.make
FAILING_ID = "deskpilot-test/faulty-login-fails-1-3-v0"  # the expert raises on seeds 1 and 3
FAILING_ENV = f"{__name__}:{FAILING_ID}"
EXPERT_ERROR = "expert: no visible button 'Sign in' (covered but for a sliver)"


class FaultyEnv(SyntheticEnv):
    """The login task; the expert raises after its first step on ``fail_seeds``; reset raises on
    ``reset_fail_seeds``; the process exits on ``crash_seed``: once (creating ``crash_marker``), or
    every time without a marker."""

    def __init__(
        self,
        fail_seeds: tuple[int, ...] = (),
        reset_fail_seeds: tuple[int, ...] = (),
        crash_seed: int | None = None,
        crash_marker: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(task="login", **kwargs)
        self.fail_seeds, self.reset_fail_seeds = set(fail_seeds), set(reset_fail_seeds)
        self.crash_seed, self.crash_marker = crash_seed, crash_marker
        self.seed: int | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed in self.reset_fail_seeds:
            raise OSError(f"reset failed for seed {seed}")
        if seed == self.crash_seed and not (self.crash_marker and Path(self.crash_marker).exists()):
            if self.crash_marker:
                Path(self.crash_marker).touch()
            os._exit(17)  # a crash: no exception, no cleanup
        self.seed = seed
        return super().reset(seed=seed, options=options)

    def make_expert(self) -> Any:
        return _FaultyExpert(self, super().make_expert())


class _FaultyExpert:
    def __init__(self, env: FaultyEnv, expert: Any) -> None:
        self.env, self.expert = env, expert

    def reset(self) -> None:
        self.expert.reset()

    def act(self, observation: Any, info: dict[str, Any]) -> Action:
        if self.env.seed in self.env.fail_seeds and info["step"] >= 1:
            raise ValueError(EXPERT_ERROR)
        return self.expert.act(observation, info)


class SeedScripted:
    """An actor whose every episode depends on the episode alone (so any backend may play it):
    the scripted expert when the task text has an even length, DONE at once otherwise."""

    def __init__(self, env_id: str) -> None:
        self.expert = gym.make(env_id).unwrapped.make_expert()
        self.solve = False

    def reset(self) -> None:
        self.expert.reset()
        self.solve = False

    def act(self, observation: Any, info: dict[str, Any]) -> Action:
        if info["step"] == 0:
            self.solve = len(observation["task"]) % 2 == 0
        return self.expert.act(observation, info) if self.solve else Action.done()


if ID not in gym.registry:
    gym.register(ID, entry_point=FaultyEnv)
    gym.register(FAILING_ID, entry_point=FaultyEnv, kwargs={"fail_seeds": (1, 3)})
