"""Training throughput: examples/s and achieved FLOP/s of the train step, next to a big matmul.

FLOPs per step come from XLA's cost analysis of the compiled step (what the hardware is asked to
do), so the ratio to a large float32 matrix product on the same devices says how much of the
machine the step uses.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from deskpilot.policies.config import get_config
from deskpilot.policies.data import ArrayDataset
from deskpilot.policies.step import Trainer

__all__ = ["bench_train", "bench_train_against", "cpu_ticks", "matmul_flops", "stolen_share"]


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


def _alternate(runs: list[Any], at_least: int, seconds: float) -> float | None:
    """Step each of ``runs`` in turn; return the share of CPU time the hypervisor took meanwhile.

    Each run has ``step()`` and ``times``; each steps at least ``at_least`` times and as many as fit
    in ``2 * seconds``.
    """
    ticks = cpu_ticks()
    start = time.perf_counter()
    while min(len(r.times) for r in runs) < at_least or time.perf_counter() - start < 2 * seconds:
        for r in runs:
            r.step()
    return stolen_share(ticks, cpu_ticks())


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_train(
    seconds: float = 5.0,
    config_name: str = "small",
    matmul_n: int = 2048,
    baseline: str = "conv",
    against: str | None = None,
) -> list[tuple[str, float, str]]:
    """Rows ``(name, value, unit)``: train examples/s, step FLOPs, achieved and matmul FLOP/s.

    The preset's step and the same preset with the ``baseline`` screen reader are timed side by
    side, one step of each in turn (these machines are shared and noisy: only a ratio measured in
    one run means anything), at least three steps each and as many as fit in ``seconds`` after
    compiling. The speed-up row is the ratio of the two medians. ``against``, a git revision of
    deskpilot's checkout, adds ``bench_train_against``'s rows: this tree's step against that commit's.
    """
    # First: a bad revision fails before minutes of timing, and the other processes have quit.
    against_rows = [] if against is None else bench_train_against(against, seconds, config_name)
    config = get_config(config_name)
    old = dataclasses.replace(config, model=dataclasses.replace(config.model, encoder=baseline))
    bs = config.train.batch_size
    data = _fake_examples(config_name, bs).take(np.arange(bs))
    runs = {name: _Timed(c, data) for name, c in (("new", config), ("old", old))}
    stolen = _alternate(list(runs.values()), 3, seconds)
    new, base = (float(np.median(runs[k].times)) for k in ("new", "old"))
    achieved = runs["new"].flops / new
    peak = matmul_flops(matmul_n)
    name = f"train {config_name}"
    return (
        [
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
        ]
        + ([] if stolen is None else [("CPU time the hypervisor took while timing", 100 * stolen, "%")])
        + against_rows
    )


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


def bench_train_against(
    rev: str, seconds: float = 5.0, config_name: str = "small", root: Path | None = None
) -> list[tuple[str, float, str]]:
    """Rows: examples/s of this tree's ``config_name`` step and of commit ``rev``'s, alternated.

    Each tree's step runs in its own process (``policies/bench_worker.py``'s text with that tree
    first on the path; the two cannot share one, both being ``deskpilot``), one step of each in turn,
    at least five each and as many as fit in ``seconds`` after both compiled. Each tree uses its own
    preset of that name (batch size included), so the ratio is what a user of each would get.
    ``rev`` is checked out with ``git archive`` from ``root``, the checkout this module lives in.
    """
    root = root or Path(__file__).resolve().parents[1]
    found = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", rev], capture_output=True)
    if found.returncode != 0:
        detail = found.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(
            f"bench train --against {rev!r}: expected a commit of deskpilot's git checkout {root} "
            f"({detail[-1] if detail else 'git failed'})"
        )
    worker = (Path(__file__).resolve().parent / "bench_worker.py").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="deskpilot-bench-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(found.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        procs: list[_StepProcess] = []
        try:
            for tree, label in ((root, "this tree"), (Path(tmp), f"commit {rev}")):
                procs.append(_StepProcess(tree, label, worker, config_name))
            stolen = _alternate(procs, 5, seconds)
        finally:
            for p in procs:
                p.close()
    new, old = (p.batch_size / float(np.median(p.times)) for p in procs)
    name = f"train {config_name}"
    return [
        (f"{name}, this tree: examples/s (batch {procs[0].batch_size}), in its own process", new, "ex/s"),
        (f"{name} at {rev}: examples/s (batch {procs[1].batch_size}), alternated", old, "ex/s"),
        (f"{name}: this tree / {rev}, examples/s", new / old, "x"),
    ] + ([] if stolen is None else [("CPU time the hypervisor took while alternating", 100 * stolen, "%")])


class _StepProcess:
    """``bench_worker.py`` running in ``tree``: ``step()`` times one train step there."""

    def __init__(self, tree: Path, label: str, worker: str, config_name: str) -> None:
        self.label = label
        env = {**os.environ, "PYTHONPATH": str(tree)}
        # stderr to a file, not a pipe, which JAX's warnings could fill; closed by close().
        self.errors = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-c", worker, config_name],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )
        self.times: list[float] = []
        try:
            self.batch_size = int(self._read("READY"))
        except BaseException:
            self.close()
            raise

    def _read(self, tag: str) -> str:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # a library may print lines of its own: skip them
            if line.startswith(tag + " "):
                return line.split()[1]
        self.proc.wait()
        self.errors.seek(0)
        lines = self.errors.read().strip().splitlines()
        raise RuntimeError(f"the train step of {self.label} failed: {lines[-1] if lines else 'no output'}")

    def step(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        self.times.append(float(self._read("STEP")))

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()  # the worker's loop ends at end of input
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()
