"""The fusion transformer's layers (grouped-query attention, MLP blocks) and its inputs' reshapings.

The reshapings: cells pooled into screen tokens, task tokens beside their neighbours.

They take plain widths rather than a ``ModelConfig`` (``policies.model`` imports this module).
Shape letters as in ``policies.model``'s legend: D width, N query heads, M key/value heads, E head
width, S and T sequence lengths, U = Q * S.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx

__all__ = ["MLP", "Attention", "Block", "pool_cells", "with_neighbours"]


class Attention(nnx.Module):
    """Pre-norm multi-head self-attention with grouped-query heads: width d, n query heads, m key/value heads."""

    def __init__(self, d: int, n: int, m: int, rngs: nnx.Rngs) -> None:
        self.n, self.m, self.e = n, m, d // n
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        self.q = nnx.Linear(d, n * self.e, rngs=rngs)
        self.kv = nnx.Linear(d, 2 * m * self.e, rngs=rngs)
        self.o = nnx.Linear(n * self.e, d, rngs=rngs)

    def __call__(self, x: jax.Array, mask: jax.Array) -> jax.Array:
        """BSD, BS bool (keys to attend to) -> BSD with the attention added."""
        b, s, _ = x.shape
        h = self.norm(x)
        # Written out as einsums: jax.nn.dot_product_attention's grouped-query path copies and
        # transposes its operands on a CPU, which cost more than the products themselves here. The Q
        # query heads that share a key/value head are stacked along the sequence axis, so each
        # product is one (Q*S x E) @ (E x T) per example and kv head: XLA's CPU batched products
        # with E = 16 are slow per batch entry, and fewer, larger entries make the whole train step
        # about 1.1x faster than a BMQST layout (same values).
        qs = self.n // self.m
        q = self.q(h).reshape(b, s, self.m, qs, self.e).transpose(0, 2, 3, 1, 4) / math.sqrt(self.e)
        q = q.reshape(b, self.m, qs * s, self.e)  # BMUE
        k, v = self.kv(h).reshape(b, s, 2, self.m, self.e).transpose(2, 0, 3, 1, 4)  # BMTE each
        scores = jnp.einsum("BMUE,BMTE->BMUT", q, k) + jnp.where(mask, 0.0, -1e9)[:, None, None, :]
        out = jnp.einsum("BMUT,BMTE->BMUE", jax.nn.softmax(scores, -1), v)  # BMUE
        out = out.reshape(b, self.m, qs, s, self.e).transpose(0, 3, 1, 2, 4)  # BSMQE
        return x + self.o(out.reshape(b, s, self.n * self.e))


class MLP(nnx.Module):
    """Pre-norm residual MLP."""

    def __init__(self, d: int, hidden: int, rngs: nnx.Rngs) -> None:
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        self.up = nnx.Linear(d, hidden, rngs=rngs)
        self.down = nnx.Linear(hidden, d, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        """...D -> ...D with the MLP added."""
        return x + self.down(nnx.gelu(self.up(self.norm(x))))


class Block(nnx.Module):
    """One transformer layer: attention (width d, n query and m key/value heads), then an MLP."""

    def __init__(self, d: int, n: int, m: int, mlp_ratio: int, rngs: nnx.Rngs) -> None:
        self.attn = Attention(d, n, m, rngs)
        self.mlp = MLP(d, mlp_ratio * d, rngs)

    def __call__(self, x: jax.Array, mask: jax.Array) -> jax.Array:
        """BSD, BS bool -> BSD."""
        return self.mlp(self.attn(x, mask))


def pool_cells(x: jax.Array, p: int) -> jax.Array:
    """BYXD -> B(Y/p)(X/p)D: means of p x p cells, the grid zero-padded up to multiples of p.

    An average pool whose padding all goes at the end, as a reshape and a mean: the backward pass
    of XLA's reduce-window is slow on a CPU.
    """
    b, y, x_, d = x.shape
    yp, xp = -(-y // p) * p, -(-x_ // p) * p
    x = jnp.pad(x, ((0, 0), (0, yp - y), (0, xp - x_), (0, 0)))
    return x.reshape(b, yp // p, p, xp // p, p, d).mean((2, 4))


def with_neighbours(x: jax.Array) -> jax.Array:
    """BTD -> BT(3D): each token with the one before and after it (zeros past the ends).

    The typed-text span starts after a quote and ends before one; with its neighbours beside it a
    token says so directly, instead of through attention over learned absolute positions (which
    cut unseen passwords one byte short).
    """
    prev = jnp.pad(x, ((0, 0), (1, 0), (0, 0)))[:, :-1]
    after = jnp.pad(x, ((0, 0), (0, 1), (0, 0)))[:, 1:]
    return jnp.concatenate([prev, x, after], -1)
