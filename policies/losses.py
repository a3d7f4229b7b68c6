"""Losses, decoding and metrics over the heads of ``policies.model.Policy``.

Every loss is weighted by per-example masks (``w_<head>`` from ``policies.data.encode_targets``),
so one compiled function serves every step of every episode; shape letters as in
``policies.model``'s legend.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from deskpilot.policies.model import NUM_LETTERS

__all__ = ["compute_loss", "evaluate", "predict", "unpack_letters"]


# ------------------------------------------------------------------------------------------ losses
def unpack_letters(bits: jax.Array) -> jax.Array:
    """...(uint32 bit set) -> ...Z float multi-hot (bit i = letter chr(ord('a') + i))."""
    return ((bits[..., None].astype(jnp.uint32) >> jnp.arange(NUM_LETTERS, dtype=jnp.uint32)) & 1).astype(
        jnp.float32
    )


def _masked_mean(values: jax.Array, weights: jax.Array) -> jax.Array:
    return (values * weights).sum() / jnp.maximum(weights.sum(), 1.0)


def _pointer_loss(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """B: -log P(any target cell) = logsumexp(all cells) - logsumexp(target cells)."""
    on_target = jnp.where(targets, logits, -1e9)
    return jax.nn.logsumexp(logits, -1) - jax.nn.logsumexp(on_target, -1)


def _balanced_bce(logits: jax.Array, targets: jax.Array, hard: jax.Array) -> jax.Array:
    """B: mean BCE over positive cells, over the negatives in ``hard`` (BG bool) and over the rest.

    Most cells are negative, so each group gets its own mean. The hard ones, the cells of words the
    task does not mention, are few against the empty background; averaged in with it they went
    unlearned (measured on checkbox drills: 86% of unasked names scored as asked while
    the loss read 0.08). On its own this moved the match from "every name asked" to "none asked";
    telling names apart took the pair-by-pair loss below.
    """
    pos = targets.astype(jnp.float32)
    bce = optax.sigmoid_binary_cross_entropy(logits, pos)
    mean = lambda w: (bce * w).sum(-1) / jnp.maximum(w.sum(-1), 1.0)  # noqa: E731
    hard_neg = hard.astype(jnp.float32) * (1.0 - pos)
    return mean(pos) + mean(hard_neg) + mean((1.0 - pos) * (1.0 - hard_neg))


def _word_alignment(sim: jax.Array, cell_word_id: jax.Array, task_word_id: jax.Array) -> jax.Array:
    """B: balanced BCE of every (word cell, task-word byte) pair: high where the cell shows that word.

    The dense form of "is this word one the task mentions": each pair of a word on screen and a word
    in the task is its own example, so the reader must tell one random name from another, not just
    asked words from everything else. (Trained only through its log-sum-exp over the task, the
    match scored every checkbox name alike, asked or not.)
    """
    same = cell_word_id[:, :, None] == task_word_id[:, None, :]  # BGT
    valid = (cell_word_id >= 0)[:, :, None] & (task_word_id > 0)[:, None, :]
    bce = optax.sigmoid_binary_cross_entropy(sim, same.astype(jnp.float32))
    mean = lambda w: (bce * w).sum((1, 2)) / jnp.maximum(w.sum((1, 2)), 1.0)  # noqa: E731
    return mean((same & valid).astype(jnp.float32)) + mean((~same & valid).astype(jnp.float32))


def _xent(logits: jax.Array, labels: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits, -1)
    return -jnp.take_along_axis(logp, labels[..., None].astype(jnp.int32), -1)[..., 0]


def compute_loss(
    out: dict[str, jax.Array], batch: dict[str, jax.Array], weights: dict[str, float]
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Total loss and per-head losses.

    Each head's loss is averaged over the examples whose ``w_<head>`` mask is 1 (the action types
    that use it, and annotations where needed), so no head learns from examples it does not apply to.
    """
    f32 = jnp.float32
    # Summed over the 26 letters (not averaged): averaged, the letter losses are ~20x weaker than the
    # pointer's and the model never learns to read (measured: letter loss stuck at its prior).
    bce = lambda logits, bits: optax.sigmoid_binary_cross_entropy(logits, unpack_letters(bits)).sum(-1)  # noqa: E731
    parts = {
        "type": _masked_mean(_xent(out["type"], batch["type"]), jnp.ones_like(batch["type"], f32)),
        "pointer": _masked_mean(_pointer_loss(out["pointer"], batch["pointer"]), batch["w_pointer"]),
        "pointer2": _masked_mean(_pointer_loss(out["pointer2"], batch["pointer2"]), batch["w_pointer2"]),
        "span": _masked_mean(
            _xent(out["span_start"], batch["span_start"]) + _xent(out["span_end"], batch["span_end"]),
            batch["w_span"],
        ),
        "key": _masked_mean(_xent(out["key"], batch["key"]), batch["w_key"]),
        "scroll": _masked_mean(_xent(out["scroll"], batch["scroll"]), batch["w_scroll"]),
        "letters": _masked_mean(bce(out["letters"], batch["letters"]), batch["w_letters"]),
        "cell_letters": _masked_mean(
            bce(out["cell_letters"], batch["cell_letters"]).mean(-1), batch["w_cell_letters"]
        ),
        "cell_match": _masked_mean(
            _balanced_bce(out["cell_match"], batch["cell_match"], batch["cell_word_id"] >= 0),
            batch["w_cell_match"],
        ),
        "word_align": _masked_mean(
            _word_alignment(out["word_sim"], batch["cell_word_id"], batch["task_word_id"]),
            batch["w_cell_match"],
        ),
    }
    total = sum(weights.get(k, 1.0) * v for k, v in parts.items())
    return jnp.asarray(total), parts


# ------------------------------------------------------------------------------ decoding, metrics
def predict(
    out: dict[str, jax.Array], rng: jax.Array | None = None, temperature: float | jax.Array = 1.0
) -> dict[str, jax.Array]:
    """Each head's choice: greedy (argmax) when ``rng`` is None, else sampled at ``temperature``.

    The span end is chosen among positions >= the chosen start.
    """

    def pick(logits: jax.Array, key: jax.Array | None) -> jax.Array:
        if key is None:
            return jnp.argmax(logits, -1)
        return jax.random.categorical(key, logits / jnp.maximum(temperature, 1e-6), -1)

    keys: list[Any] = list(jax.random.split(rng, 7)) if rng is not None else [None] * 7
    start = pick(out["span_start"], keys[4])
    positions = jnp.arange(out["span_end"].shape[-1])
    end_logits = jnp.where(positions[None] >= start[:, None], out["span_end"], -1e9)
    return {
        "type": pick(out["type"], keys[0]),
        "pointer": pick(out["pointer"], keys[1]),
        "pointer2": pick(out["pointer2"], keys[2]),
        "key": pick(out["key"], keys[3]),
        "span_start": start,
        "span_end": pick(end_logits, keys[5]),
        "scroll": pick(out["scroll"], keys[6]),
    }


def evaluate(out: dict[str, jax.Array], batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """Per example: ``<head>_correct`` (greedy choice right) and ``<head>_n`` (head applies) arrays B."""
    pred = predict(out)
    take = lambda m, i: jnp.take_along_axis(m, i[:, None], -1)[:, 0]  # noqa: E731
    correct = {
        "type": pred["type"] == batch["type"],
        "pointer": take(batch["pointer"], pred["pointer"]),  # the chosen cell is a target cell
        "pointer2": take(batch["pointer2"], pred["pointer2"]),
        "span": (pred["span_start"] == batch["span_start"]) & (pred["span_end"] == batch["span_end"]),
        "key": pred["key"] == batch["key"],
        "scroll": pred["scroll"] == batch["scroll"],
    }
    weights = {
        "type": jnp.ones_like(batch["w_pointer"]),
        "pointer": batch["w_pointer"],
        "pointer2": batch["w_pointer2"],
        "span": batch["w_span"],
        "key": batch["w_key"],
        "scroll": batch["w_scroll"],
    }
    result = {f"{k}_correct": v.astype(jnp.float32) for k, v in correct.items()}
    result.update({f"{k}_n": (w > 0).astype(jnp.float32) for k, w in weights.items()})
    return result
