"""Training: ``train_and_evaluate(config, data, workdir)``, data parallel over every device JAX sees.

The train step is one ``jax.jit`` function over the split model state (``nnx.split``): params and
optimiser state are replicated, the batch is sharded along a 1-D mesh axis ``data``, and XLA
inserts the gradient all-reduce. Params and optimiser state buffers are donated. The same code runs
on one CPU, on several accelerators, and on several hosts.

Multi-host launch: start the same command on every host with these environment variables set
(``jax.distributed.initialize`` is called with them before anything else touches JAX)::

    JAX_COORDINATOR_ADDRESS=host0:1234 JAX_NUM_PROCESSES=2 JAX_PROCESS_ID=0 deskpilot train ...
    JAX_COORDINATOR_ADDRESS=host0:1234 JAX_NUM_PROCESSES=2 JAX_PROCESS_ID=1 deskpilot train ...

Each process feeds its own share of every batch (``batch_size / num_processes`` examples, its own
data seed); the mesh spans all processes' devices. Test several devices on one CPU with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``.

The learning-rate schedule (linear warm-up, cosine decay) follows training *progress*, the larger
of steps done / step budget and minutes spent / minute budget, so a wall-clock budget (the demo's)
still decays to the end.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

from deskpilot.collectors.relabel import relabelled, with_alternatives
from deskpilot.policies import checkpoint
from deskpilot.policies.config import Config, TrainConfig
from deskpilot.policies.data import ArrayDataset, Example, split_by_episode
from deskpilot.policies.losses import compute_loss, evaluate
from deskpilot.policies.model import Policy, init_params
from deskpilot.policies.sources import FixedSource, MixedSource, StreamingSource, expert_episodes

__all__ = [
    "DataSource",
    "TrainData",
    "Trainer",
    "load_params",
    "maybe_initialize_distributed",
    "train_and_evaluate",
    "train_from_directory",
    "train_on_envs",
]

HEADS = ("type", "pointer", "pointer2", "span", "key", "scroll")


class DataSource(Protocol):
    """Where training batches come from (``policies.sources``)."""

    def next_batch(self) -> Example: ...  # noqa: D102
    def state(self) -> dict[str, Any]: ...  # noqa: D102
    def restore(self, state: dict[str, Any]) -> None: ...  # noqa: D102
    def close(self) -> None: ...  # noqa: D102


@dataclasses.dataclass
class TrainData:
    """Training batches and an optional validation set."""

    train: DataSource
    val: ArrayDataset | None = None


_distributed = False


def maybe_initialize_distributed() -> None:
    """Join a multi-host job when ``JAX_COORDINATOR_ADDRESS`` is set (see the module docstring)."""
    global _distributed
    address = os.environ.get("JAX_COORDINATOR_ADDRESS")
    if address and not _distributed:
        jax.distributed.initialize(
            coordinator_address=address,
            num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
            process_id=int(os.environ["JAX_PROCESS_ID"]),
        )
        _distributed = True


def make_optimizer(tc: TrainConfig) -> optax.GradientTransformation:
    """Clipping, Adam and decoupled weight decay; the learning rate is applied in the step."""
    return optax.chain(
        optax.clip_by_global_norm(tc.grad_clip),
        optax.scale_by_adam(),
        optax.add_decayed_weights(tc.weight_decay),
    )


def learning_rate(progress: float, tc: TrainConfig) -> float:
    """Linear warm-up over ``warmup_fraction`` of the budget, then cosine decay to the end fraction."""
    progress = min(max(progress, 0.0), 1.0)
    if progress < tc.warmup_fraction:
        return tc.learning_rate * progress / tc.warmup_fraction
    t = (progress - tc.warmup_fraction) / max(1.0 - tc.warmup_fraction, 1e-9)
    end = tc.end_lr_fraction
    return tc.learning_rate * (end + (1 - end) * 0.5 * (1 + math.cos(math.pi * t)))


def loss_weights(tc: TrainConfig) -> dict[str, float]:
    """Per-head loss weights."""
    return {name: tc.aux_weight for name in ("letters", "cell_letters", "cell_match", "word_align")}


@functools.lru_cache(maxsize=8)
def _compiled_steps(
    graphdef: nnx.GraphDef, optimiser: tuple[float, float, float], mesh: jax.sharding.Mesh
) -> tuple[Any, Any, Any]:
    """Jitted (train step, eval step, loss-and-grads) for a model, optimiser and mesh.

    Cached, so a resumed or repeated run in one process does not compile again. ``optimiser`` is
    (grad_clip, weight_decay, aux_weight), the only training fields the compiled code depends on.
    """
    clip, decay, aux = optimiser
    tc = TrainConfig(grad_clip=clip, weight_decay=decay, aux_weight=aux)
    weights = loss_weights(tc)
    tx = make_optimizer(tc)

    def loss_fn(params: nnx.State, batch: dict[str, jax.Array]) -> tuple[jax.Array, dict[str, jax.Array]]:
        return compute_loss(nnx.merge(graphdef, params)(batch), batch, weights)

    def train_step(params: nnx.State, opt_state: Any, batch: Example, lr: jax.Array) -> tuple[Any, Any, Any]:
        (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, jax.tree.map(lambda u: -lr * u, updates))
        return params, opt_state, {"loss": loss, "grad_norm": optax.tree.norm(grads), **parts}

    def eval_step(params: nnx.State, batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return evaluate(nnx.merge(graphdef, params)(batch), batch)

    r, s = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    return (
        jax.jit(train_step, in_shardings=(r, r, s, r), out_shardings=(r, r, r), donate_argnums=(0, 1)),
        jax.jit(eval_step, in_shardings=(r, s), out_shardings=s),
        jax.jit(jax.value_and_grad(loss_fn, has_aux=True), in_shardings=(r, s), out_shardings=r),
    )


class Trainer:
    """The compiled train and eval steps for one config on one device mesh."""

    def __init__(self, config: Config, mesh: jax.sharding.Mesh | None = None) -> None:
        self.config = config
        # Auto axes: XLA propagates shardings itself (new JAX defaults to explicit sharding types).
        self.mesh = mesh or jax.make_mesh((jax.device_count(),), ("data",), axis_types=(AxisType.Auto,))
        n = self.mesh.devices.size
        if config.train.batch_size % n:
            raise ValueError(
                f"train.batch_size={config.train.batch_size} must be divisible by the {n} devices"
            )
        self.replicated = NamedSharding(self.mesh, P())
        self.sharded = NamedSharding(self.mesh, P("data"))
        self.graphdef, params = init_params(config.model, config.train.seed)
        self.tx = make_optimizer(config.train)
        self.params = jax.device_put(params, self.replicated)
        self.opt_state = jax.device_put(self.tx.init(params), self.replicated)
        self.train_step, self.eval_step, self.loss_and_grads = _compiled_steps(
            self.graphdef,
            (config.train.grad_clip, config.train.weight_decay, config.train.aux_weight),
            self.mesh,
        )

    def shard(self, batch: Example) -> dict[str, jax.Array]:
        """This process's share of a batch -> global arrays sharded along ``data``."""
        return {k: jax.make_array_from_process_local_data(self.sharded, v) for k, v in batch.items()}

    def step(self, batch: Example, lr: float) -> dict[str, jax.Array]:
        """One optimiser step; returns the step's metrics (device arrays)."""
        self.params, self.opt_state, metrics = self.train_step(
            self.params, self.opt_state, self.shard(batch), jnp.asarray(lr, jnp.float32)
        )
        return metrics

    def validate(self, dataset: ArrayDataset) -> dict[str, Any]:
        """Per-head accuracy over ``dataset`` (overall and per task)."""
        totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for batch, idx in dataset.eval_batches(self.config.train.batch_size):
            out = jax.device_get(self.eval_step(self.params, self.shard(batch)))
            for i, row in enumerate(idx):
                for task in ("all", dataset.tasks[row]):
                    for h in HEADS:
                        totals[task][f"{h}_n"] += out[f"{h}_n"][i]
                        totals[task][f"{h}_ok"] += out[f"{h}_correct"][i] * out[f"{h}_n"][i]
        report: dict[str, Any] = {}
        for task, t in totals.items():
            accs = {h: float(t[f"{h}_ok"] / t[f"{h}_n"]) for h in HEADS if t[f"{h}_n"] > 0}
            key = "val" if task == "all" else f"val_task/{task}"
            report[key] = {**{f"{h}_acc": round(a, 4) for h, a in accs.items()}, "examples": int(t["type_n"])}
        return report

    def state(self) -> dict[str, Any]:
        """Arrays a checkpoint holds."""
        return {"params": self.params, "opt_state": self.opt_state}

    def load(self, state: dict[str, Any]) -> None:
        """Replace params and optimiser state (e.g. restored from a checkpoint)."""
        self.params = jax.device_put(state["params"], self.replicated)
        self.opt_state = jax.device_put(state["opt_state"], self.replicated)


def _log(workdir: Path, writer: Any, step: int, metrics: dict[str, Any]) -> None:
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
) -> dict[str, Any]:
    """Train ``config`` on ``data``; return the last validation report (and ``examples_per_s``).

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
        trainer.load({"params": params, "opt_state": trainer.tx.init(params)})
    writer = SummaryWriter(str(workdir / "tensorboard"))
    start = time.monotonic()
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
        while progress_now() < 1.0 and (stop_after is None or step < stop_after):
            lr = learning_rate(progress_now(), tc)
            metrics = trainer.step(data.train.next_batch(), lr)
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
                    "progress": round(progress_now(), 4),
                }
                bar.set_postfix(
                    loss=f"{host['loss']:.3f}", ex_s=f"{examples_per_s:.0f}", budget=f"{progress_now():.0%}"
                )
                _log(workdir, writer, step, line)
                if on_log is not None:
                    on_log({"step": step, **line})
            if data.val is not None and step % tc.eval_every == 0:
                report = trainer.validate(data.val)
                _log(workdir, writer, step, report)
            if step % tc.checkpoint_every == 0:
                save()
        if data.val is not None and step % tc.eval_every != 0:
            report = trainer.validate(data.val)
            _log(workdir, writer, step, report)
        if step % tc.checkpoint_every != 0:
            save()
    finally:
        bar.close()
        writer.close()
        data.train.close()
    return {**report, "step": step, "examples_per_s": round(examples_per_s, 1)}


def load_params(run_dir: Path | str) -> tuple[Config, nnx.GraphDef, nnx.State]:
    """A trained model from a run folder's newest checkpoint, for inference (no optimiser kept)."""
    config = checkpoint.read_config(run_dir)
    graphdef, abstract_params = nnx.split(nnx.eval_shape(lambda: Policy(config.model, nnx.Rngs(0))))
    abstract = {
        "params": abstract_params,
        "opt_state": jax.eval_shape(make_optimizer(config.train).init, abstract_params),
    }
    state, _ = checkpoint.restore(run_dir, abstract)
    return config, graphdef, state["params"]


def as_numpy(tree: Any) -> Any:
    """Host copies of every array in ``tree`` (for comparing runs in tests)."""
    return jax.tree.map(np.asarray, tree)


def train_from_directory(
    data_dir: Path | str,
    workdir: Path | str,
    config: Config,
    *,
    resume: bool = False,
    progress: bool = True,
    init_from: Path | str | None = None,
) -> dict[str, Any]:
    """Read every finished episode under ``data_dir``, split by episode, and train (the CLI path)."""
    from deskpilot.collectors.trajectory import read_dataset

    report = read_dataset(data_dir)
    if not report.trajectories:
        raise ValueError(f"{data_dir}: no finished episodes to train on ({report.summary()})")
    tc = config.train
    episodes = [with_alternatives(t) for t in report.trajectories]
    train_eps, val_eps = split_by_episode(episodes, tc.val_fraction, tc.seed)
    if tc.relabel:
        train_eps = train_eps + relabelled(train_eps, tc.relabel, tc.seed)
    train_set = ArrayDataset.from_trajectories(train_eps, config.model)
    val_set = ArrayDataset.from_trajectories(val_eps, config.model) if val_eps else None
    shards = jax.process_count()
    batch, seed = tc.batch_size // shards, tc.seed + jax.process_index()
    drill_rows = round(tc.drills * batch)
    source: DataSource = FixedSource(train_set, batch - drill_rows, seed, tc.balance)
    if drill_rows:
        from deskpilot.policies.drills import drill_episodes

        drills = StreamingSource(
            drill_episodes(seed), config.model, drill_rows, seed, capacity=tc.stream_capacity
        )
        source = MixedSource(source, drills)
    return train_and_evaluate(
        config, TrainData(source, val_set), workdir, resume=resume, progress=progress, init_from=init_from
    )


def finetune(
    data_dir: Path | str, init_run: Path | str, out_run: Path | str, minutes: float
) -> dict[str, Any]:
    """Train ``init_run``'s model further on everything under ``data_dir`` for ``minutes`` into ``out_run``.

    The config is the one ``init_run`` was trained with; only the time budget changes.
    """
    config = checkpoint.read_config(init_run)
    config = dataclasses.replace(
        config, train=dataclasses.replace(config.train, minutes=minutes, steps=10**9)
    )
    return train_from_directory(data_dir, out_run, config, init_from=init_run)


def train_on_envs(
    env_ids: list[str],
    workdir: Path | str,
    config: Config,
    *,
    val_episodes_per_env: int = 10,
    seed: int = 10_000_000,
    resume: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Train on fresh expert episodes streamed from ``env_ids`` (no dataset on disk).

    The learning facts measured fresh rendered data beating a fixed set by 20 points; the synthetic
    envs render far faster than training consumes (about 1,000 episodes/s in-process here), so the
    producer thread costs a few per cent of training time. Validation uses its own seeds (``seed +
    10_000_000`` on); all seeds stay below ``collectors.collect.EVAL_SEED_OFFSET``.
    """
    import itertools

    tc = config.train
    val_episodes = itertools.islice(
        expert_episodes(env_ids, seed=seed + 10_000_000), val_episodes_per_env * len(env_ids)
    )
    val_set = ArrayDataset.from_trajectories(val_episodes, config.model) if val_episodes_per_env else None
    shards = jax.process_count()
    source = StreamingSource(
        expert_episodes(env_ids, seed=seed + 1_000_000 * jax.process_index()),
        config.model,
        tc.batch_size // shards,
        tc.seed + jax.process_index(),
        capacity=tc.stream_capacity,
        balance=tc.balance,
    )
    return train_and_evaluate(config, TrainData(source, val_set), workdir, resume=resume, progress=progress)
