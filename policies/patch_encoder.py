"""The model's screen reader (``ModelConfig.encoder="patch"``): pixels to 8-px cell features as matrix products.

It takes plain shapes rather than a ``ModelConfig``, as ``policies.conv_encoder`` does:
``policies.config``'s table of readers builds it from the config. Shape letters as in
``policies.model``'s legend.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

__all__ = ["PatchScreenEncoder", "space_to_depth", "with_lower_right"]


def space_to_depth(x: jax.Array, k: int) -> jax.Array:
    """BHWC -> B(H/k)(W/k)(k*k*C): each k x k block of pixels becomes one position's channels."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // k, k, w // k, k, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h // k, w // k, k * k * c)


def with_lower_right(x: jax.Array) -> jax.Array:
    """BHWC -> BHW(4C): each position with its right, lower and lower-right neighbours (zeros past the edge).

    On 4x4 space-to-depth patches this makes 8x8 windows at a 4-px stride: then a matrix product is an
    8x8 stride-4 conv, padded at the end.
    """
    right = jnp.pad(x, ((0, 0), (0, 0), (0, 1), (0, 0)))[:, :, 1:]
    below = jnp.pad(x, ((0, 0), (0, 1), (0, 0), (0, 0)))[:, 1:]
    both = jnp.pad(right, ((0, 0), (0, 1), (0, 0), (0, 0)))[:, 1:]
    return jnp.concatenate([x, right, below, both], -1)


class PatchScreenEncoder(nnx.Module):
    """Screenshot uint8 BHW3 -> cell features BYXD, mostly as matrix products.

    8x8-pixel windows at a 4-px stride (overlapping space-to-depth patches: a glyph about 6 px wide
    is seen whole from some position, whatever its phase against the grid; against disjoint 4x4
    patches this read 43% of letters instead of 36% after 400 glyph-only steps, for 5% more time)
    through a two-layer MLP at 1/4 resolution, 2x2 groups of them merged into 8-px cells, a 3x5 conv
    over neighbouring cells and a 1x5 conv dilated along x for word-level context (together 8 cells
    either side), a linear output, then learned row and column embeddings. Why patches and matrix
    products instead of strided convolutions: on a CPU, XLA's convolution backward passes cost 3-8x
    their forward (strided ones worst) while its matrix products run near the machine's peak; a
    stride-k conv whose kernel is k is exactly a space-to-depth reshape plus one matrix product. The
    convs left work on the small cell grid.
    """

    def __init__(
        self,
        channels: tuple[int, int, int],
        width: int,
        grid: tuple[int, int],
        pad_h: int,
        rngs: nnx.Rngs,
    ) -> None:
        _, c2, c3 = channels  # the first width is the conv reader's (1/2 resolution) only
        self.pad_h = pad_h
        self.patch = nnx.Linear(4 * 4 * 3 * 4, c2, rngs=rngs)  # an 8x8 stride-4 conv
        self.mix = nnx.Linear(c2, c2, rngs=rngs)
        self.merge = nnx.Linear(2 * 2 * c2, c3, rngs=rngs)  # a 2x2 stride-2 conv
        # Up to here a cell has seen only its own 8x8 pixels: the first conv joins each cell to its
        # neighbours (letters cut by a cell edge), the second, dilated along x, to the rest of its word.
        self.context = nnx.Conv(c3, c3, (3, 5), rngs=rngs)
        self.wide = nnx.Conv(c3, c3, (1, 5), kernel_dilation=(1, 3), rngs=rngs)
        self.out = nnx.Linear(c3, width, rngs=rngs)
        self.norm = nnx.LayerNorm(width, rngs=rngs)
        y, x = grid
        self.row = nnx.Param(jax.random.normal(rngs.params(), (y, 1, width)) * 0.02)
        self.col = nnx.Param(jax.random.normal(rngs.params(), (1, x, width)) * 0.02)

    def __call__(self, screen: jax.Array) -> jax.Array:
        """BHW3 uint8 -> BYXD."""
        x = jnp.pad(screen, ((0, 0), (0, self.pad_h), (0, 0), (0, 0)))  # B(8Y)(8X)3 uint8
        x = space_to_depth(x, 4).astype(jnp.float32) / 255.0 - 0.5  # B(2Y)(2X)48
        x = with_lower_right(x)  # B(2Y)(2X)192
        x = nnx.gelu(self.mix(nnx.gelu(self.patch(x))))  # B(2Y)(2X)C2
        x = nnx.gelu(self.merge(space_to_depth(x, 2)))  # BYXC3
        x = x + nnx.gelu(self.context(x))
        x = x + nnx.gelu(self.wide(x))
        return self.norm(self.out(x)) + self.row[...] + self.col[...]  # BYXD
