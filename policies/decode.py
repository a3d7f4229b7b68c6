"""Decoding: the model's outputs -> each head's choice, greedy or sampled (``policies.actor`` acts on it).

Which heads are decoded and how is declared in ``policies.heads``; this module only hands each pick
its PRNG key, one per decoded output in the table's order.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from deskpilot.policies.heads import HEADS

__all__ = ["DECODED", "predict"]

DECODED = tuple(h for h in HEADS if h.decode is not None)
_PICKS = sum(len(h.outputs) for h in DECODED)  # each decoded output is one pick, with its own key


def predict(
    out: dict[str, jax.Array], rng: jax.Array | None = None, temperature: float | jax.Array = 1.0
) -> dict[str, jax.Array]:
    """Each decoded output's choice: greedy (argmax) when ``rng`` is None, else sampled at ``temperature``."""
    keys = iter(jax.random.split(rng, _PICKS)) if rng is not None else None

    def pick(logits: jax.Array) -> jax.Array:
        if keys is None:
            return jnp.argmax(logits, -1)
        return jax.random.categorical(next(keys), logits / jnp.maximum(temperature, 1e-6), -1)

    choices: dict[str, jax.Array] = {}
    for head in DECODED:
        assert head.decode is not None
        choices.update(head.decode(out, pick))
    return choices
