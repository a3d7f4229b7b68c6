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

__all__ = ["compute_loss", "evaluate", "head_counts"]


def head_counts(batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """How many examples of ``batch`` each head learns from (the sum of its per-example weights)."""
    return {head.name: head.weights(batch).sum() for head in HEADS}


def compute_loss(
    out: dict[str, jax.Array],
    batch: dict[str, jax.Array],
    weights: dict[str, float],
    counts: dict[str, jax.Array] | None = None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Total loss and per-head losses; ``weights`` scales heads by name (1 where absent).

    ``counts``: ``head_counts`` of the whole batch where ``batch`` is a part of it (a device's share,
    a slice of that): each head's sum is divided by its count over the whole batch, so the parts'
    losses, and their gradients, add up to the whole batch's. Default: ``batch``'s own.
    """
    counts = head_counts(batch) if counts is None else counts
    parts = {
        head.name: (head.loss(out, batch) * head.weights(batch)).sum() / jnp.maximum(counts[head.name], 1.0)
        for head in HEADS
    }
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
