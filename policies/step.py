"""The compiled training step: optimiser, schedule, losses' weights and the ``Trainer``.

The train step is one ``jax.jit`` function over the split model state (``nnx.split``): params and
optimiser state are replicated, the batch is sharded along a 1-D mesh axis ``data``, and XLA
inserts the gradient all-reduce. Params and optimiser state buffers are donated. The same code runs
on one CPU, on several accelerators, and on several hosts.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import defaultdict
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.flatten_util import ravel_pytree
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

from deskpilot.policies.config import Config, TrainConfig
from deskpilot.policies.data import ArrayDataset, Example
from deskpilot.policies.heads import AUX, SCORED
from deskpilot.policies.losses import compute_loss, evaluate, head_counts
from deskpilot.policies.numpy_init import init_params
from deskpilot.policies.parts import PARAM_GROUPS

__all__ = [
    "StepConfig",
    "Trainer",
    "frozen_parts",
    "learning_rate",
    "loss_weights",
    "make_optimizer",
    "reader_gate",
]


@dataclasses.dataclass(frozen=True)
class StepConfig:
    """The fields of a ``TrainConfig`` that the compiled step reads, and nothing else.

    The step's compilation is cached by this (``_compiled_steps``): runs that differ only in their
    budget, schedule or data (a resumed run, a fine-tune, a test's several short runs) share one
    compiled step, and since the step is handed only these fields it cannot come to depend on one
    that the cache key leaves out. The learning rate and the reader gate are arguments of each call.
    """

    aux_weight: float
    grad_clip: float
    weight_decay: float
    reader_lr: float
    glyph_weight: float
    align_hard: float
    frozen: tuple[str, ...]
    chains: int

    @classmethod
    def of(cls, tc: TrainConfig) -> StepConfig:
        """The step's fields of ``tc``."""
        return cls(
            tc.aux_weight,
            tc.grad_clip,
            tc.weight_decay,
            tc.reader_lr,
            tc.glyph_weight,
            tc.align_hard,
            tc.frozen_names,
            tc.chains,
        )


def make_optimizer(tc: TrainConfig | StepConfig) -> optax.GradientTransformation:
    """Clipping, Adam and decoupled weight decay; the learning rate is applied in the step."""
    return optax.chain(
        optax.clip_by_global_norm(tc.grad_clip),
        optax.scale_by_adam(),
        optax.add_decayed_weights(tc.weight_decay),
    )


BATCH_AXIS = "data"  # the device mesh's one axis: every device takes its share of each batch

# The parameters ``train.reader_lr`` scales: the screen reader and the glyph heads that teach it.
READER_PARAMS = ("screen", "cell_glyphs_head", "cell_chars_head")


def frozen_parts(params: nnx.State, names: tuple[str, ...]) -> frozenset[str]:
    """The top-level parameter names that ``names`` (``PARAM_GROUPS`` keys or attributes) freeze.

    Raises ``ValueError`` naming what is neither a group nor a part of this model.
    """
    present = {str(k) for k in params}
    parts: set[str] = set()
    for name in names:
        if name in PARAM_GROUPS:
            parts.update(p for p in PARAM_GROUPS[name] if p in present)
        elif name in present:
            parts.add(name)
        else:
            raise ValueError(
                f"train.frozen: {name!r} is neither a group ({', '.join(PARAM_GROUPS)}) nor a part of "
                f"the model ({', '.join(sorted(present))})"
            )
    return frozenset(parts)


def _without_gradient(params: nnx.State, frozen: frozenset[str]) -> nnx.State:
    """``params`` with the ``frozen`` parts cut from the gradient (their gradient is zero).

    Why not only a zero learning rate: XLA then still computes the frozen parts' gradients, and the
    screen reader's (its convolutions' weight gradients) are the costliest part of the backward pass;
    cut here, XLA drops them. And the gradient's global norm, which clipping scales every update by,
    counts only what trains.
    """
    if not frozen:
        return params
    return jax.tree_util.tree_map_with_path(
        lambda path, v: jax.lax.stop_gradient(v) if getattr(path[0], "key", None) in frozen else v, params
    )


def _lr_scales(params: nnx.State, reader_lr: float, frozen: frozenset[str]) -> Any:
    """A pytree like ``params``: 0 on frozen parts, ``reader_lr`` on the reader's leaves, 1 elsewhere.

    Why the reader gets its own rate: trained alone on glyphs, it read 36% of letters after 400
    steps at 3x the model's rate against 25% at 1x, while the transformer above it is at home at 1x.
    A frozen part's rate is 0, its weight decay with it (the decay is scaled by the rate as well).
    """

    def scale(path: tuple[Any, ...], _: Any) -> float:
        key = getattr(path[0], "key", None)
        if key in frozen:
            return 0.0
        return reader_lr if key in READER_PARAMS else 1.0

    return jax.tree_util.tree_map_with_path(scale, params)


def learning_rate(progress: float, tc: TrainConfig) -> float:
    """Linear warm-up over ``warmup_fraction`` of the budget, then cosine decay to the end fraction."""
    progress = min(max(progress, 0.0), 1.0)
    if progress < tc.warmup_fraction:
        return tc.learning_rate * progress / tc.warmup_fraction
    t = (progress - tc.warmup_fraction) / max(1.0 - tc.warmup_fraction, 1e-9)
    end = tc.end_lr_fraction
    return tc.learning_rate * (end + (1 - end) * 0.5 * (1 + math.cos(math.pi * t)))


def reader_gate(progress: float, tc: TrainConfig) -> float:
    """How much of the other heads' gradient reaches the screen reader: glyphs first, then the rest.

    0 for the first ``reader_first`` of the budget, then a linear ramp to 1 over as long again.
    Trained on every loss from the start, the reader's cells are pulled towards word-level targets
    (a word's letter set, "is this the task's word", the click) that cannot be met before letters
    are known, and the per-glyph loss stays near its prior; trained on glyphs alone it learns them
    in a few hundred steps. The heads above the reader learn on its features all along.
    """
    if tc.reader_first <= 0:
        return 1.0
    return min(max(progress / tc.reader_first - 1.0, 0.0), 1.0)


def loss_weights(tc: TrainConfig | StepConfig) -> dict[str, float]:
    """Per-head loss weights: ``aux_weight`` for the reading heads, 1 for the rest.

    The per-glyph head is scaled by ``glyph_weight`` as well: once every head's gradient reaches
    the reader, the word-level losses pull its cells away from letters (the glyph loss rose from 1.6
    to 2.0 after the gate opened), and a heavier glyph loss holds them.
    """
    weights = {name: tc.aux_weight for name in AUX}
    weights["cell_glyphs"] *= tc.glyph_weight
    weights["cell_chars"] *= tc.glyph_weight
    weights["word_align_hard"] *= tc.align_hard
    return weights


@functools.lru_cache(maxsize=8)
def _compiled_steps(graphdef: nnx.GraphDef, sc: StepConfig, mesh: jax.sharding.Mesh) -> tuple[Any, Any, Any]:
    """Jitted (train step, eval step, loss-and-grads) for a model, the step's fields and a mesh.

    Cached, so a resumed, repeated or fine-tuning run in one process does not compile again. The key
    is the ``StepConfig`` (all the step is given of the training config) and the whole ``ModelConfig``
    through ``graphdef`` (the ``Policy`` keeps it as static state).
    """
    weights = loss_weights(sc)
    tx = make_optimizer(sc)

    def local_loss(
        params: nnx.State, batch: dict[str, jax.Array], gate: jax.Array | None, counts: dict[str, jax.Array]
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        # Gated only where the renderer placed glyphs: other examples (recordings) have no glyph
        # loss to teach the reader, so every head's gradient reaches it there.
        per_example = None if gate is None else 1.0 - (1.0 - gate) * batch["w_cell_glyphs"]
        out = nnx.merge(graphdef, params)(batch, reader_grad=per_example)
        return compute_loss(out, batch, weights, counts)

    def chained_loss(
        params: nnx.State, batch: dict[str, jax.Array], gate: jax.Array | None, counts: dict[str, jax.Array]
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """``batch``'s loss as the sum of its ``sc.chains`` slices' losses, each computed on its own.

        XLA on a CPU runs operations that do not wait on each other side by side, and the step's one
        chain of small operations leaves a core idle for much of it; independent chains fill it.
        """
        params = _without_gradient(params, frozen_parts(params, sc.frozen))
        n = len(next(iter(batch.values())))
        k = sc.chains if n % sc.chains == 0 else 1
        slices = [{name: v[i * n // k : (i + 1) * n // k] for name, v in batch.items()} for i in range(k)]
        losses = [local_loss(params, part, gate, counts) for part in slices]
        return jax.tree.map(lambda *xs: sum(xs[1:], xs[0]), *losses)

    def loss_and_grads(
        params: nnx.State, batch: dict[str, Any], gate: jax.Array | None = None
    ) -> tuple[tuple[jax.Array, dict[str, jax.Array]], nnx.State]:
        """The whole batch's loss, per-head losses and gradient, each device working on its rows.

        The devices' gradients are summed as one flat vector: one all-reduce a step. Left to XLA's
        partitioner, the sum is one collective per parameter array (over 400), and between
        processes on CPUs (gloo) those took 490 ms of a 670-ms step.
        """

        def local(params: nnx.State, batch: dict[str, jax.Array], gate: jax.Array | None) -> Any:
            counts = jax.lax.psum(head_counts(batch), BATCH_AXIS)
            (loss, parts), grads = jax.value_and_grad(chained_loss, has_aux=True)(params, batch, gate, counts)
            flat, unravel = ravel_pytree(grads)
            flat, loss, parts = jax.lax.psum((flat, loss, parts), BATCH_AXIS)
            return (loss, parts), unravel(flat)

        # check_vma off: with it, JAX would sum each parameter's gradient over the devices itself.
        specs = (P(), P(BATCH_AXIS), P())
        return jax.shard_map(local, mesh=mesh, in_specs=specs, out_specs=P(), check_vma=False)(
            params, batch, gate
        )

    def train_step(
        params: nnx.State, opt_state: Any, batch: Example, lr: jax.Array, gate: jax.Array
    ) -> tuple[Any, Any, Any]:
        (loss, parts), grads = loss_and_grads(params, batch, gate)
        updates, opt_state = tx.update(grads, opt_state, params)
        scales = _lr_scales(updates, sc.reader_lr, frozen_parts(updates, sc.frozen))
        params = optax.apply_updates(params, jax.tree.map(lambda u, k: -lr * k * u, updates, scales))
        return params, opt_state, {"loss": loss, "grad_norm": optax.tree.norm(grads), **parts}

    def eval_step(params: nnx.State, batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return evaluate(nnx.merge(graphdef, params)(batch), batch)

    r, s = NamedSharding(mesh, P()), NamedSharding(mesh, P(BATCH_AXIS))
    return (
        jax.jit(train_step, in_shardings=(r, r, s, r, r), out_shardings=(r, r, r), donate_argnums=(0, 1)),
        jax.jit(eval_step, in_shardings=(r, s), out_shardings=s),
        jax.jit(loss_and_grads, in_shardings=(r, s), out_shardings=r),
    )


def _local_rows(x: jax.Array) -> np.ndarray:
    """This process's rows of an array sharded along the batch, in the order its batch gave them.

    In a multi-host run each process fetches only what its own devices hold (the rest is not
    addressable); there, as everywhere, those rows are the examples this process passed to ``shard``.
    """
    shards = sorted(x.addressable_shards, key=lambda s: s.index[0].start or 0)
    return np.concatenate([np.asarray(s.data) for s in shards])


class Trainer:
    """The compiled train and eval steps for one config on one device mesh."""

    def __init__(self, config: Config, mesh: jax.sharding.Mesh | None = None) -> None:
        self.config = config
        # Auto axes: XLA propagates shardings itself (new JAX defaults to explicit sharding types).
        self.mesh = mesh or jax.make_mesh((jax.device_count(),), (BATCH_AXIS,), axis_types=(AxisType.Auto,))
        n = self.mesh.devices.size
        if config.train.batch_size % n:
            raise ValueError(
                f"train.batch_size={config.train.batch_size} must be divisible by the {n} devices"
            )
        self.replicated = NamedSharding(self.mesh, P())
        self.sharded = NamedSharding(self.mesh, P(BATCH_AXIS))
        self.graphdef, params = init_params(config.model, config.train.seed)
        frozen_parts(params, config.train.frozen_names)  # a name that is no part fails here, not in the step
        self.tx = make_optimizer(config.train)
        self.params = jax.device_put(params, self.replicated)
        self.opt_state = jax.device_put(self.tx.init(params), self.replicated)
        self.train_step, self.eval_step, self.loss_and_grads = _compiled_steps(
            self.graphdef, StepConfig.of(config.train), self.mesh
        )

    def shard(self, batch: Example) -> dict[str, jax.Array]:
        """This process's share of a batch -> global arrays sharded along ``data``."""
        return {k: jax.make_array_from_process_local_data(self.sharded, v) for k, v in batch.items()}

    def step(self, batch: Example, lr: float, gate: float = 1.0) -> dict[str, jax.Array]:
        """One optimiser step (``gate``: ``reader_gate``'s share of gradient); returns its metrics."""
        self.params, self.opt_state, metrics = self.train_step(
            self.params, self.opt_state, self.shard(batch), *(jnp.asarray(v, jnp.float32) for v in (lr, gate))
        )
        return metrics

    def validate(self, dataset: ArrayDataset, name: str = "val") -> dict[str, Any]:
        """Per-head accuracy over ``dataset``: row ``name`` overall and ``<name>_task/<env id>`` per task.

        Each row also has ``exact``, the share of examples with every head that applies right, and,
        where the dataset knows its episode lengths, ``episodes`` (an n-step episode's steps count
        1/n each), so ``exact ** (examples / episodes)`` estimates how many episodes go right.
        """
        totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        heads = [h.name for h in SCORED]
        lengths = dataset.episode_lengths
        for batch, idx in dataset.eval_batches(self.config.train.batch_size):
            out = {k: _local_rows(v) for k, v in self.eval_step(self.params, self.shard(batch)).items()}
            for i, row in enumerate(idx):
                exact = all(out[f"{h}_correct"][i] or not out[f"{h}_n"][i] for h in heads)
                for task in ("all", dataset.tasks[row]):
                    totals[task]["examples"] += 1
                    totals[task]["exact"] += exact
                    totals[task]["episodes"] += 1.0 / lengths[row] if lengths is not None else 0.0
                    for h in heads:
                        totals[task][f"{h}_n"] += out[f"{h}_n"][i]
                        totals[task][f"{h}_ok"] += out[f"{h}_correct"][i] * out[f"{h}_n"][i]
        report: dict[str, Any] = {}
        for task, t in totals.items():
            accs = {h: float(t[f"{h}_ok"] / t[f"{h}_n"]) for h in heads if t[f"{h}_n"] > 0}
            key = name if task == "all" else f"{name}_task/{task}"
            report[key] = {
                **{f"{h}_acc": round(a, 4) for h, a in accs.items()},
                "exact": round(t["exact"] / t["examples"], 4),
                "examples": int(t["examples"]),
                **({"episodes": round(t["episodes"], 3)} if lengths is not None else {}),
            }
        return report

    def state(self) -> dict[str, Any]:
        """Arrays a checkpoint holds."""
        return {"params": self.params, "opt_state": self.opt_state}

    def load(self, state: dict[str, Any]) -> None:
        """Replace params and optimiser state (e.g. restored from a checkpoint)."""
        self.params = jax.device_put(state["params"], self.replicated)
        self.opt_state = jax.device_put(state["opt_state"], self.replicated)
