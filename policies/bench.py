"""Training throughput: examples/s and achieved FLOP/s of the train step, next to a big matmul.

FLOPs per step come from XLA's cost analysis of the compiled step (what the hardware is asked to
do), so the ratio to a large float32 matrix product on the same devices says how much of the
machine the step uses.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from deskpilot.policies.config import get_config
from deskpilot.policies.data import ArrayDataset
from deskpilot.policies.step import Trainer

__all__ = ["bench_train", "cpu_ticks", "matmul_flops", "stolen_share"]


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


def cpu_ticks(stat: Path = Path("/proc/stat")) -> tuple[int, int] | None:
    """(stolen, total) clock ticks of all CPUs since boot, or None where ``stat`` is unreadable.

    Stolen ticks are those a hypervisor gave to other guests while this machine wanted to run: on a
    shared virtual machine they make a time-budgeted result slower than the machine's matmul figure
    suggests, so the demo reports their share next to it.
    """
    try:
        fields = stat.read_text(encoding="ascii").splitlines()[0].split()
        if fields[0] != "cpu":
            return None
        ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, IndexError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return (ticks[7], sum(ticks)) if len(ticks) == 8 else None


def stolen_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Share of the CPU time between two ``cpu_ticks`` readings that the hypervisor took."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_train(
    seconds: float = 5.0, config_name: str = "small", matmul_n: int = 2048, baseline: str = "conv"
) -> list[tuple[str, float, str]]:
    """Rows ``(name, value, unit)``: train examples/s, step FLOPs, achieved and matmul FLOP/s.

    The preset's step and the same preset with the ``baseline`` screen reader are timed side by
    side, one step of each in turn (these machines are shared and noisy: only a ratio measured in
    one run means anything), at least three steps each and as many as fit in ``seconds`` after
    compiling. The speed-up row is the ratio of the two medians.
    """
    config = get_config(config_name)
    old = dataclasses.replace(config, model=dataclasses.replace(config.model, encoder=baseline))
    bs = config.train.batch_size
    data = _fake_examples(config_name, bs).take(np.arange(bs))
    runs = {name: _Timed(c, data) for name, c in (("new", config), ("old", old))}
    ticks = cpu_ticks()
    start = time.perf_counter()
    while min(len(r.times) for r in runs.values()) < 3 or time.perf_counter() - start < 2 * seconds:
        for r in runs.values():
            r.step()
    stolen = stolen_share(ticks, cpu_ticks())
    new, base = (float(np.median(runs[k].times)) for k in ("new", "old"))
    achieved = runs["new"].flops / new
    peak = matmul_flops(matmul_n)
    name = f"train {config_name}"
    return [
        (f"{name}: examples/s (batch {bs}, {jax.device_count()} device(s))", bs / new, "ex/s"),
        (f"{name}: step time", new * 1e3, "ms"),
        (f"{name}: FLOPs per step (XLA cost analysis)", runs["new"].flops / 1e9, "GFLOP"),
        (f"{name}: achieved", achieved / 1e9, "GFLOP/s"),
        (f"float32 {matmul_n}x{matmul_n} matmul", peak / 1e9, "GFLOP/s"),
        (f"{name}: share of matmul FLOP/s", 100 * achieved / peak, "%"),
        (
            f"{name} with the '{config.model.encoder}' reader / '{baseline}' reader, alternated",
            base / new,
            "x",
        ),
        (f"{name} '{baseline}' reader: examples/s, alternated", bs / base, "ex/s"),
    ] + ([] if stolen is None else [("CPU time the hypervisor took while timing", 100 * stolen, "%")])


class _Timed:
    """One config's compiled train step on a fixed batch; ``step()`` appends its wall time."""

    def __init__(self, config: Any, batch: dict[str, np.ndarray]) -> None:
        self.trainer, self.batch = Trainer(config), batch
        lr, gate = jnp.asarray(1e-4, jnp.float32), jnp.asarray(1.0, jnp.float32)
        args = (self.trainer.params, self.trainer.opt_state, self.trainer.shard(batch), lr, gate)
        cost = self.trainer.train_step.lower(*args).compile().cost_analysis() or {}
        cost = cost[0] if isinstance(cost, list) else cost
        self.flops = float(cost.get("flops", 0.0))
        self.times: list[float] = []
        self.trainer.step(batch, 1e-4)  # compile and warm up
        jax.block_until_ready(self.trainer.params)

    def step(self) -> None:
        start = time.perf_counter()
        self.trainer.step(self.batch, 1e-4)
        jax.block_until_ready(self.trainer.params)
        self.times.append(time.perf_counter() - start)
