"""The training loop: ``train_and_evaluate(config, data, workdir)``, data parallel over every device JAX sees.

The compiled step and the ``Trainer`` live in ``policies.step``, the assembly of the data a run
trains on in ``policies.assemble``; this module runs the loop (budget, schedule, validation,
checkpoints, metrics).

Multi-host: start the same command on every host. ``deskpilot train --distributed`` calls
``jax.distributed.initialize()``, which reads a cluster's own variables (SLURM, Cloud TPU, ...);
outside one, set them yourself (they are read before anything else touches JAX)::

    JAX_COORDINATOR_ADDRESS=host0:1234 JAX_NUM_PROCESSES=2 JAX_PROCESS_ID=0 deskpilot train ...
    JAX_COORDINATOR_ADDRESS=host0:1234 JAX_NUM_PROCESSES=2 JAX_PROCESS_ID=1 deskpilot train ...

Each process feeds its own share of every batch (``batch_size / num_processes`` examples, its own
data seed); the mesh spans all processes' devices. Every decision that must be the same on every
host (stop now, this step's learning rate) comes from process 0's clock, broadcast each step, so
the hosts cannot drift apart or wait forever in an all-reduce the others left; validation and
checkpoints follow the step count. Only process 0 writes metrics and TensorBoard events; orbax
writes checkpoints the multi-process way. Test several devices on one CPU with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``.

The learning-rate schedule (linear warm-up, cosine decay) follows training *progress*, the larger
of steps done / step budget and minutes spent / minute budget, so a wall-clock budget (the demo's)
still decays to the end.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deskpilot.policies import checkpoint, pretrained
from deskpilot.policies.config import Config
from deskpilot.policies.data import ArrayDataset, Example
from deskpilot.policies.model import Policy
from deskpilot.policies.parts import ADDED_BY, GROWN_BY
from deskpilot.policies.step import Trainer, learning_rate, make_optimizer, reader_gate

__all__ = [
    "UNTIL_STOPPED",
    "DataSource",
    "TrainData",
    "load_params",
    "maybe_initialize_distributed",
    "train_and_evaluate",
]

UNTIL_STOPPED = 10**9  # a step budget that never binds: the minute budget decides


class DataSource(Protocol):
    """Where training batches come from (``policies.sources``)."""

    def next_batch(self) -> Example: ...  # noqa: D102
    def state(self) -> dict[str, Any]: ...  # noqa: D102
    def restore(self, state: dict[str, Any]) -> None: ...  # noqa: D102
    def close(self) -> None: ...  # noqa: D102


@dataclasses.dataclass
class TrainData:
    """Training batches, an optional validation set, and optional training examples to score too.

    ``fit`` holds examples the model trains on; scored beside ``val`` at the end of a run
    (``fit_task/<env id>`` rows beside ``val_task/<env id>``), they tell a task the model memorises
    (right on its training screens, wrong on new ones) from one it has not learnt at all.
    """

    train: DataSource
    val: ArrayDataset | None = None
    fit: ArrayDataset | None = None


_distributed = False


def maybe_initialize_distributed(auto: bool = False) -> None:
    """Join a multi-host job (see the module docstring), once per process.

    From ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID`` when set; else, with
    ``auto``, from the cluster's own variables (``jax.distributed.initialize()`` detects SLURM, ...).
    """
    global _distributed
    if _distributed:
        return
    address = os.environ.get("JAX_COORDINATOR_ADDRESS")
    if address:
        jax.distributed.initialize(
            coordinator_address=address,
            num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
            process_id=int(os.environ["JAX_PROCESS_ID"]),
        )
        _distributed = True
    elif auto:
        jax.distributed.initialize()
        _distributed = True


def _agreed(value: float) -> float:
    """``value`` as process 0 sees it, on every process (itself when there is one process)."""
    if jax.process_count() == 1:
        return value
    from jax.experimental import multihost_utils

    return float(multihost_utils.broadcast_one_to_all(np.float32(value)))


def _log(workdir: Path, writer: Any, step: int, metrics: dict[str, Any]) -> None:
    if writer is None:  # not process 0: one process writes for all
        return
    with open(workdir / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": step, **metrics}) + "\n")
    for key, value in metrics.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                writer.add_scalar(f"{key}/{sub}", v, step)
        elif isinstance(value, int | float):
            writer.add_scalar(key, value, step)


def train_and_evaluate(
    config: Config,
    data: TrainData,
    workdir: Path | str,
    *,
    resume: bool = False,
    stop_after: int | None = None,
    progress: bool = True,
    on_log: Callable[[dict[str, Any]], None] | None = None,
    init_from: Path | str | None = None,
    on_validate: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``config`` on ``data``; return the last validation (and ``fit``) report, ``step``, ``examples_per_s``.

    ``examples_per_s`` is this call's average (compilation, validation and checkpoints included);
    the metrics lines have each logging window's own.

    Checkpoints, ``metrics.jsonl`` and TensorBoard events go to ``workdir``.

    Args:
        config: model and training configuration.
        data: training source and optional validation set.
        workdir: the run folder; created if missing.
        resume: continue from the newest checkpoint in ``workdir`` (its config must match).
        stop_after: stop (with a checkpoint) after this many steps even if budget remains; for
            preemption tests and staged runs. The schedule still follows the full budget.
        progress: show a tqdm progress bar.
        on_log: called with each metrics line (for live displays).
        init_from: start from this run's newest weights (fresh optimiser state) instead of a
            random init: fine-tuning, e.g. a DAgger round. Ignored when resuming.
        on_validate: called with each validation report (e.g. to steer what is streamed next).
    """
    from tensorboardX import SummaryWriter
    from tqdm import tqdm

    maybe_initialize_distributed()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    tc = config.train
    trainer = Trainer(config)
    step, elapsed0 = 0, 0.0
    saved_step = -1  # the step of the newest checkpoint on disk (a finished run resumed saves nothing)
    if resume and checkpoint.latest_step(workdir) is not None:
        state, saved = checkpoint.restore(workdir, jax.eval_shape(trainer.state), config)
        trainer.load(state)
        data.train.restore(saved.data_state)
        step, elapsed0 = saved.step, saved.elapsed_s
        saved_step = step
    elif init_from is not None:
        init_config, _, params = load_params(init_from)
        checkpoint.check_compatible(init_config, config, Path(init_from), model_only=True)
        params = with_added(trainer.params, params, checkpoint.added_fields(init_config, config))
        params = with_grown(trainer.params, params, checkpoint.grown_fields(init_config, config))
        trainer.load({"params": params, "opt_state": trainer.tx.init(params)})
    writer = SummaryWriter(str(workdir / "tensorboard")) if jax.process_index() == 0 else None
    start, first_step = time.monotonic(), step
    budget_s = tc.minutes * 60.0

    def progress_now() -> float:
        done = step / tc.steps if tc.steps > 0 else 0.0
        if budget_s > 0:
            done = max(done, (elapsed0 + time.monotonic() - start) / budget_s)
        return done

    def save() -> None:
        nonlocal saved_step
        if step == saved_step:
            return
        saved_step = step
        elapsed = elapsed0 + time.monotonic() - start
        checkpoint.save(workdir, trainer.state(), checkpoint.Saved(step, config, data.train.state(), elapsed))

    report: dict[str, Any] = {}
    # Under a wall-clock budget the step count is open-ended: the bar counts steps and shows the
    # share of the budget used instead of a meaningless ETA.
    total = tc.steps if tc.steps > 0 and budget_s <= 0 else None
    bar = tqdm(total=total, initial=step, disable=not progress, unit="step")
    window_start, window_steps = time.monotonic(), 0
    examples_per_s = 0.0
    try:
        while True:
            done = _agreed(progress_now())  # the same on every host, so all stop at one step
            if done >= 1.0 or (stop_after is not None and step >= stop_after):
                break
            lr = learning_rate(done, tc)
            metrics = trainer.step(data.train.next_batch(), lr, reader_gate(done, tc))
            step += 1
            window_steps += 1
            bar.update(1)
            last = step == tc.steps or (stop_after is not None and step == stop_after)
            if step % tc.log_every == 0 or last:
                host = {k: round(float(v), 5) for k, v in jax.device_get(metrics).items()}
                examples_per_s = window_steps * tc.batch_size / max(time.monotonic() - window_start, 1e-9)
                window_start, window_steps = time.monotonic(), 0
                line = {
                    **host,
                    "lr": lr,
                    "examples_per_s": round(examples_per_s, 1),
                    "progress": round(done, 4),
                }
                bar.set_postfix(
                    loss=f"{host['loss']:.3f}", ex_s=f"{examples_per_s:.0f}", budget=f"{done:.0%}"
                )
                _log(workdir, writer, step, line)
                if on_log is not None:
                    on_log({"step": step, **line})
            if data.val is not None and step % tc.eval_every == 0:
                report = trainer.validate(data.val)
                _log(workdir, writer, step, report)
                if on_validate is not None:
                    on_validate(report)
            if step % tc.checkpoint_every == 0:
                save()
        if data.val is not None and step % tc.eval_every != 0:
            report = trainer.validate(data.val)
            _log(workdir, writer, step, report)
        if data.fit is not None:
            fit = trainer.validate(data.fit, "fit")
            _log(workdir, writer, step, fit)
            report = {**report, **fit}
        if step % tc.checkpoint_every != 0:
            save()
    finally:
        bar.close()
        if writer is not None:
            writer.close()
        data.train.close()
    trained = (step - first_step) * tc.batch_size / max(time.monotonic() - start, 1e-9)
    return {**report, "step": step, "examples_per_s": round(trained, 1)}


def with_added(fresh: nnx.State, loaded: nnx.State, fields: list[str]) -> nnx.State:
    """``loaded``, plus the parts the model ``fields`` (``parts.ADDED_BY``) add, from ``fresh``."""
    if not fields:
        return loaded
    merged = nnx.State(dict(loaded.items()))
    for field in fields:
        for part in ADDED_BY[field]:
            merged[part] = fresh[part]
    return merged


def with_grown(fresh: nnx.State, loaded: nnx.State, grown: dict[str, int]) -> nnx.State:
    """``loaded`` with the layers of ``grown`` (``parts.GROWN_BY`` field -> loaded count) topped up from ``fresh``.

    Each added layer is ``fresh``'s with its attention's and MLP's output projections (``o``,
    ``down``) zeroed: a residual block that adds nothing, so the grown model's outputs are the
    loaded model's at the first step, and the gradients reach the added layers through those
    projections from there.
    """

    def silenced(path: tuple[Any, ...], value: jax.Array) -> jax.Array:
        names = {str(getattr(k, "key", "")) for k in path}
        return jnp.zeros_like(value) if names & {"o", "down"} else value

    merged = nnx.State(dict(loaded.items()))
    for field, count in grown.items():
        path, outside = GROWN_BY[field]
        *parents, name = path
        into, fresh_list = merged, fresh
        for part in parents:  # a copy of each level above the list, so ``loaded`` stays as it was
            into[part] = nnx.State(dict(into[part].items()))
            into, fresh_list = into[part], fresh_list[part]
        kept = count - outside  # the loaded layers in the list
        into[name] = nnx.State(
            {
                i: into[name][i] if i < kept else jax.tree_util.tree_map_with_path(silenced, layer)
                for i, layer in fresh_list[name].items()
            }
        )
    return merged


def load_params(run_dir: Path | str) -> tuple[Config, nnx.GraphDef, nnx.State]:
    """A trained model from a run folder's newest checkpoint, for inference (no optimiser kept).

    ``"pretrained"`` reads the weights shipped with deskpilot (``policies.pretrained``) instead.
    """
    if pretrained.is_pretrained(run_dir):
        return pretrained.load()
    config = checkpoint.read_config(run_dir)
    graphdef, abstract_params = nnx.split(nnx.eval_shape(lambda: Policy(config.model, nnx.Rngs(0))))
    abstract = {
        "params": abstract_params,
        "opt_state": jax.eval_shape(make_optimizer(config.train).init, abstract_params),
    }
    state, _ = checkpoint.restore(run_dir, abstract)
    return config, graphdef, state["params"]
