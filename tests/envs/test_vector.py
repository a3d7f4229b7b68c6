"""Vector envs: sync and async ``make_vector`` hand back the real task strings, step after step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.envs import make_vector
from deskpilot.envs.spaces import MAX_TASK_LENGTH

ENV_ID = "deskpilot/mock-click-button-v0"
N, SEED, STEPS = 3, 5, 4


def _rollout(mode: str) -> tuple[list[tuple[str, ...]], list[np.ndarray], list[np.ndarray]]:
    """Tasks, screenshots and end flags after reset and each of STEPS seeded random steps."""
    envs = make_vector(ENV_ID, N, mode=mode, max_steps=2)  # short episodes: autoresets happen
    try:
        obs, _ = envs.reset(seed=SEED)
        tasks, shots, ends = [obs["task"]], [obs["screenshot"]], []
        envs.action_space.seed(0)
        for _ in range(STEPS):
            obs, _, terminated, truncated, _ = envs.step(envs.action_space.sample())
            tasks.append(obs["task"])
            shots.append(obs["screenshot"])
            ends.append(terminated | truncated)
    finally:
        envs.close()
    return tasks, shots, ends


def test_sync_and_async_return_the_real_tasks() -> None:
    single = [gym.make(ENV_ID).reset(seed=SEED + i)[0] for i in range(N)]
    sync_tasks, sync_shots, sync_ends = _rollout("sync")
    async_tasks, async_shots, async_ends = _rollout("async")
    # Sub-env i is seeded SEED + i, like a single env.
    assert sync_tasks[0] == tuple(o["task"] for o in single)
    assert all(np.array_equal(a, o["screenshot"]) for a, o in zip(sync_shots[0], single, strict=True))
    # Async (one process per env) sees exactly what sync sees, across autoresets into new tasks.
    assert async_tasks == sync_tasks
    assert all(np.array_equal(a, b) for a, b in zip(async_shots, sync_shots, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(async_ends, sync_ends, strict=True))
    assert any(e.any() for e in sync_ends) and len({t for step in sync_tasks for t in step}) > N
    assert all(isinstance(t, str) and 0 < len(t) < 80 for step in async_tasks for t in step)


def test_gymnasium_shared_memory_still_garbles_text() -> None:
    """Why make_vector turns shared memory off. If this fails, Gymnasium now reads Text from shared
    memory correctly: make_vector may keep AsyncVectorEnv's default."""
    envs = gym.vector.AsyncVectorEnv([lambda: gym.make(ENV_ID)] * 2)
    try:
        obs, _ = envs.reset(seed=SEED)
    finally:
        envs.close()
    assert obs["task"] == ("0" * MAX_TASK_LENGTH,) * 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_envs": 2, "mode": "threads"}, "mode: expected one of sync, async, got 'threads'"),
        ({"num_envs": 0}, "num_envs: expected >= 1, got 0"),
        (
            {"env_id": "deskpilot/miniwob-click-test-v0", "num_envs": 2},
            "share one screen .* per process.*mode='async'",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_vector(**{"env_id": ENV_ID, **kwargs})
