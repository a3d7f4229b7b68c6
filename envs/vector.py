"""Gymnasium vector envs of deskpilot envs: ``make_vector(env_id, num_envs, mode="sync" | "async")``.

Why a helper rather than ``gymnasium.vector.AsyncVectorEnv`` with its defaults: with
``shared_memory=True`` (its default) Gymnasium 1.x hands back every observation's ``task`` as
``MAX_TASK_LENGTH`` copies of the charset's first character, ``'0'``. ``AsyncVectorEnv`` decodes its
shared memory once, in ``__init__`` (``read_from_shared_memory``), and then relies on the decoded
arrays being views that the workers write through. A ``Text`` space decodes to immutable ``str``,
so the tasks it returns stay those of the zeroed buffer; only the screenshot (a ``Box`` view) is
live. Keeping ``task: str`` (one observation layout for every actor, ``envs.spaces``), the async
envs here use ``shared_memory=False``: each observation comes back through the worker's pipe, a
100 kB screenshot per env and step, small next to the cost of drawing it.

With ``gymnasium.make_vec`` directly, pass ``vector_kwargs={"shared_memory": False}`` whenever
``vectorization_mode="async"``. ``SyncVectorEnv`` needs nothing.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator

__all__ = ["VECTOR_MODES", "make_vector", "one_per_process"]

VECTOR_MODES = ("sync", "async")
"""``sync``: the envs step one after another in this process; ``async``: one worker process each."""


def one_per_process(env_id: str) -> bool:
    """Whether ``env_id``'s envs cannot run side by side in one process.

    The env class declares it with ``metadata["one_per_process"]`` (MiniWoB's one browser and
    display per process, the live desktop's one screen).
    """
    spec = gym.spec(env_id)
    creator = load_env_creator(spec.entry_point) if isinstance(spec.entry_point, str) else spec.entry_point
    return bool(getattr(creator, "metadata", {}).get("one_per_process", False))


def make_vector(env_id: str, num_envs: int, *, mode: str = "sync", **env_kwargs: Any) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``env_id`` as one Gymnasium vector env whose tasks are the real strings.

    Observations are ``{"screenshot": uint8 (N, H, W, 3), "task": tuple of N str}``. Sub-env ``i``
    of ``reset(seed=s)`` is seeded ``s + i``, as in every Gymnasium vector env.

    Args:
        env_id: a registered deskpilot env id.
        num_envs: how many copies.
        mode: ``"sync"`` or ``"async"`` (``VECTOR_MODES``).
        **env_kwargs: passed to each ``gymnasium.make`` (e.g. ``max_steps``).

    Raises:
        ValueError: an unknown mode, fewer than one env, or several envs of a one-per-process env
            (MiniWoB, the live desktop) in one process (``mode="sync"``).
    """
    if mode not in VECTOR_MODES:
        raise ValueError(f"mode: expected one of {', '.join(VECTOR_MODES)}, got {mode!r}")
    if num_envs < 1:
        raise ValueError(f"num_envs: expected >= 1, got {num_envs}")
    if mode == "sync" and num_envs > 1 and one_per_process(env_id):
        raise ValueError(
            f"num_envs: {env_id} envs share one screen (browser or desktop) per process, so {num_envs} "
            "cannot run in one process; use mode='async' (one process each) or num_envs=1"
        )
    # See the module docstring: shared memory garbles Text observations in Gymnasium's AsyncVectorEnv.
    vector_kwargs = {"shared_memory": False} if mode == "async" else {}
    return gym.make_vec(env_id, num_envs, vectorization_mode=mode, vector_kwargs=vector_kwargs, **env_kwargs)
