"""Training throughput: examples/s and achieved FLOP/s of the train step, next to a big matmul.

FLOPs per step come from XLA's cost analysis of the compiled step (what the hardware is asked to
do), so the ratio to a large float32 matrix product on the same devices says how much of the
machine the step uses.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from deskpilot.policies.config import get_config
from deskpilot.policies.data import ArrayDataset
from deskpilot.policies.train import Trainer

__all__ = ["bench_train", "matmul_flops"]


def _fake_examples(config_name: str, n: int) -> ArrayDataset:
    """Random screens and a mix of action targets, shaped like real examples."""
    from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory
    from deskpilot.envs.actions import Action

    cfg = get_config(config_name).model
    rng = np.random.default_rng(0)
    actions = [
        Action.click(0.3, 0.4),
        Action.type_text("kiwi"),
        Action.press("enter"),
        Action.drag(0.1, 0.2, 0.5, 0.6),
    ]
    steps = [
        Step(rng.integers(0, 255, (*cfg.obs_size, 3), dtype=np.uint8), actions[i % 4], {"elements": []})
        for i in range(n)
    ]
    meta = EpisodeMeta(task="Type 'kiwi' and press Enter.", source="expert", obs_size=cfg.obs_size)
    return ArrayDataset.from_trajectories([Trajectory(meta, steps, True, 1.0)], cfg)


def matmul_flops(n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of an ``n x n`` float32 matrix product (best of ``repeats``)."""
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n)), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    f(a).block_until_ready()
    best = min(_timed(lambda: f(a).block_until_ready()) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_train(
    seconds: float = 5.0, config_name: str = "small", matmul_n: int = 2048
) -> list[tuple[str, float, str]]:
    """Rows ``(name, value, unit)``: train examples/s, step FLOPs, achieved and matmul FLOP/s.

    Times at least three steps and as many as fit in ``seconds`` (after compiling).
    """
    config = get_config(config_name)
    trainer = Trainer(config)
    bs = config.train.batch_size
    data = _fake_examples(config_name, bs)
    batch = trainer.shard(data.take(np.arange(bs)))
    lr = jnp.asarray(1e-4, jnp.float32)
    compiled = trainer.train_step.lower(trainer.params, trainer.opt_state, batch, lr).compile()
    cost = compiled.cost_analysis() or {}
    cost = cost[0] if isinstance(cost, list) else cost
    flops = float(cost.get("flops", 0.0))
    trainer.step(data.take(np.arange(bs)), 1e-4)  # warm up
    jax.block_until_ready(trainer.params)
    start, steps = time.perf_counter(), 0
    while steps < 3 or time.perf_counter() - start < seconds:
        trainer.step(data.take(np.arange(bs)), 1e-4)
        jax.block_until_ready(trainer.params)
        steps += 1
    seconds = (time.perf_counter() - start) / steps
    achieved = flops / seconds
    peak = matmul_flops(matmul_n)
    return [
        (
            f"train {config_name}: examples/s (batch {bs}, {jax.device_count()} device(s))",
            bs / seconds,
            "ex/s",
        ),
        (f"train {config_name}: step time", seconds * 1e3, "ms"),
        (f"train {config_name}: FLOPs per step (XLA cost analysis)", flops / 1e9, "GFLOP"),
        (f"train {config_name}: achieved", achieved / 1e9, "GFLOP/s"),
        (f"float32 {matmul_n}x{matmul_n} matmul", peak / 1e9, "GFLOP/s"),
        (f"train {config_name}: share of matmul FLOP/s", 100 * achieved / peak, "%"),
    ]
