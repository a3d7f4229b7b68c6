"""``bench_env``: reset and step throughput of the synthetic suite at the default size, one process."""

from __future__ import annotations

import time

import gymnasium as gym

from deskpilot.envs.synthetic.expert import ExpertActor
from deskpilot.envs.synthetic.registry import SUITES, register_all

__all__ = ["bench_env"]


def bench_env(seconds: float = 5.0, suite: str = "deskpilot/mock-suite") -> list[tuple[str, float, str]]:
    """Time ``reset`` and ``step`` (expert actions, chosen outside the timed region) over a suite.

    Every env of the suite gets an equal share of ``seconds``. Returns rows ``(name, value, unit)``:
    suite-wide resets and steps per second, the slowest env's step rate, and the rate of whole
    expert episodes (reset, expert and steps together) as a collector would see it.
    """
    if seconds <= 0:
        raise ValueError(f"seconds: expected > 0, got {seconds}")
    register_all()
    ids = SUITES[suite]
    share = seconds / len(ids)
    expert = ExpertActor()
    resets = steps = 0
    reset_time = step_time = total_time = 0.0
    slowest = ("", float("inf"))
    for eid in ids:
        env = gym.make(eid).unwrapped  # the raw env: wrappers' checks are not what we measure
        seed, env_steps, env_step_time = 0, 0, 0.0
        start = time.perf_counter()
        while time.perf_counter() - start < share:
            t0 = time.perf_counter()
            obs, info = env.reset(seed=seed)
            reset_time += time.perf_counter() - t0
            resets += 1
            seed += 1
            done = False
            while not done:
                action = expert.act(obs, info)
                t0 = time.perf_counter()
                obs, _, terminated, truncated, info = env.step(action)
                env_step_time += time.perf_counter() - t0
                env_steps += 1
                done = terminated or truncated
        total_time += time.perf_counter() - start
        steps += env_steps
        step_time += env_step_time
        rate = env_steps / max(env_step_time, 1e-9)
        if rate < slowest[1]:
            slowest = (eid, rate)
        env.close()
    return [
        ("envs", float(len(ids)), suite),
        ("reset/s", resets / reset_time, "resets per second"),
        ("step/s", steps / step_time, "steps per second"),
        (f"slowest step/s ({slowest[0]})", slowest[1], "steps per second"),
        ("expert episode steps/s", (steps + resets) / total_time, "resets+steps per second, expert included"),
    ]
