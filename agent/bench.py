"""``deskpilot bench agent``: per-step decision latency of the ``small`` policy on this machine.

Latency is measured from an observation (screenshot + task) to a decided ``Action``: encoding the
inputs, one compiled model call and decoding, exactly what ``PolicyActor.act`` does per step. The
weights are freshly initialised (latency does not depend on their values); the first call, which
compiles, is timed separately.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

__all__ = ["bench_agent"]


def bench_agent(seconds: float = 5.0, config: str = "small") -> list[tuple[str, float, str]]:
    """Rows (name, value, unit): compile time, p50/p99/mean per-step latency, steps per second."""
    from flax import nnx

    from deskpilot.policies.actor import PolicyActor, Predictor
    from deskpilot.policies.config import get_config
    from deskpilot.policies.model import Policy

    cfg = get_config(config)
    graphdef, params = nnx.split(Policy(cfg.model, nnx.Rngs(0)))
    actor = PolicyActor(Predictor(cfg, graphdef, params))
    env = gym.make("deskpilot/mock-click-button-v0")
    observations = [env.reset(seed=i)[0] for i in range(16)]
    env.close()
    actor.reset()
    t0 = time.perf_counter()
    actor.act(observations[0])
    compile_s = time.perf_counter() - t0
    latencies = []
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        if i % 8 == 0:
            actor.reset()  # keep the history short and realistic (episodes are a few steps)
        t = time.perf_counter()
        actor.act(observations[i % len(observations)])
        latencies.append(time.perf_counter() - t)
        i += 1
    ms = np.asarray(latencies) * 1e3
    return [
        (f"agent ({config}) first step (compile)", compile_s, "s"),
        (f"agent ({config}) step latency p50", float(np.percentile(ms, 50)), "ms"),
        (f"agent ({config}) step latency p99", float(np.percentile(ms, 99)), "ms"),
        (f"agent ({config}) step latency mean", float(ms.mean()), "ms"),
        (f"agent ({config}) decisions/s", len(ms) / float(ms.sum() / 1e3), "1/s"),
    ]
