"""The training objective and the validation metrics, over the heads declared in ``policies.heads``.

Every head's loss is averaged over the examples its per-example weight (``w_<head>`` from
``policies.data.encode_targets``) marks, so one compiled function serves every step of every
episode and no head learns from examples it does not apply to.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from deskpilot.policies.decode import predict
from deskpilot.policies.heads import HEADS, SCORED

__all__ = ["compute_loss", "evaluate"]


def _masked_mean(values: jax.Array, weights: jax.Array, axis_name: str | None) -> jax.Array:
    count = weights.sum() if axis_name is None else jax.lax.psum(weights.sum(), axis_name)
    return (values * weights).sum() / jnp.maximum(count, 1.0)


def compute_loss(
    out: dict[str, jax.Array],
    batch: dict[str, jax.Array],
    weights: dict[str, float],
    axis_name: str | None = None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Total loss and per-head losses; ``weights`` scales heads by name (1 where absent).

    ``axis_name``: ``batch`` is one device's share of a batch split along this (``shard_map``) axis;
    each head's sum is then divided by its count over the whole batch, so the devices' losses (and
    their gradients) add up to the whole batch's.
    """
    parts = {head.name: _masked_mean(head.loss(out, batch), head.weights(batch), axis_name) for head in HEADS}
    total = sum(weights.get(k, 1.0) * v for k, v in parts.items())
    return jnp.asarray(total), parts


def evaluate(out: dict[str, jax.Array], batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """Per example: ``<head>_correct`` (greedy choice right) and ``<head>_n`` (head applies) arrays B."""
    pred = predict(out)
    result = {}
    for head in SCORED:
        assert head.metric is not None
        result[f"{head.name}_correct"] = head.metric(pred, batch).astype(jnp.float32)
        result[f"{head.name}_n"] = (head.weights(batch) > 0).astype(jnp.float32)
    return result
