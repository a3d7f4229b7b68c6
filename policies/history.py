"""The history encoder: the last K actions as K tokens for the model's instruction encoder.

It takes plain sizes rather than a ``ModelConfig``, as the screen readers do: ``policies.model``
builds it from its config. Shape letters as in ``policies.model``'s legend.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from deskpilot.policies.pointing import EMPTY_SLOT

__all__ = ["HistoryEncoder", "fourier"]


def fourier(v: jax.Array, freqs: int) -> jax.Array:
    """...F -> ...(2F): sin and cos of ``v`` at frequencies pi * 2^k, k < freqs."""
    scaled = v[..., None] * (jnp.pi * 2.0 ** jnp.arange(freqs))
    return jnp.concatenate([jnp.sin(scaled), jnp.cos(scaled)], -1).reshape(*v.shape[:-1], -1)


class HistoryEncoder(nnx.Module):
    """The last K actions -> K tokens: type + Fourier(x, y, x2, y2) + key + scroll + pooled text.

    ``classes`` are the numbers of action types, key combinations and scroll classes; each embedding
    has one more row, 0, for "none" (no action, no key, no scroll).
    """

    def __init__(
        self,
        width: int,
        history_len: int,
        freqs: int,
        classes: tuple[int, int, int],
        byte_embed: nnx.Embed,
        rngs: nnx.Rngs,
    ) -> None:
        d = width
        types, keys, scrolls = classes
        self.freqs = freqs
        self.byte_embed = byte_embed  # shared with the task encoder
        self.type = nnx.Embed(types + 1, d, rngs=rngs)  # pointing.history_type codes, EMPTY_SLOT too
        self.coords = nnx.Linear(4 * 2 * freqs, d, rngs=rngs)
        self.key = nnx.Embed(keys + 1, d, rngs=rngs)  # else KEY_COMBOS index + 1
        self.scroll = nnx.Embed(scrolls + 1, d, rngs=rngs)  # else scroll class + 1
        self.pos = nnx.Param(jax.random.normal(rngs.params(), (history_len, d)) * 0.02)

    def __call__(self, batch: dict[str, jax.Array]) -> jax.Array:
        """hist_type/hist_key/hist_scroll BK, hist_xy BK4, hist_text BKL -> BKD."""
        text = batch["hist_text"]  # BKL
        text_mask = (text > 0).astype(jnp.float32)[..., None]
        pooled = (self.byte_embed(text) * text_mask).sum(-2) / jnp.maximum(text_mask.sum(-2), 1.0)  # BKD
        coords = self.coords(fourier(batch["hist_xy"], self.freqs))  # BK4 -> BKD
        present = (batch["hist_type"] != EMPTY_SLOT).astype(jnp.float32)[..., None]
        tokens = (
            self.type(batch["hist_type"]) + self.key(batch["hist_key"]) + self.scroll(batch["hist_scroll"])
        )
        return tokens + (coords + pooled) * present + self.pos[...]  # BKD
