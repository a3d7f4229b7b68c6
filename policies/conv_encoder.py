"""The strided-conv screen reader (``ModelConfig.encoder="conv"``), kept for side-by-side benchmarks.

It trains several times slower on a CPU than the model's default reader,
``policies.patch_encoder.PatchScreenEncoder``, which replaced it: XLA's convolution backward
passes cost 3-8x their forward on a CPU (strided ones worst), while its matrix products run near
the machine's peak. ``deskpilot bench train`` times the two side by side.

It takes plain shapes rather than a ``ModelConfig``: ``policies.config``'s table of readers
builds it from the config. Shape letters as in ``policies.model``'s legend.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

__all__ = ["ConvScreenEncoder"]


class ConvScreenEncoder(nnx.Module):
    """Screenshot uint8 BHW3 -> cell features BYXD through strided convolutions.

    A stride-2 stem, two stride-2 convs with 3x5 (horizontal) context, a dilated-along-x residual
    conv, then learned row and column embeddings.
    """

    def __init__(
        self,
        channels: tuple[int, int, int],
        width: int,
        grid: tuple[int, int],
        pad_h: int,
        rngs: nnx.Rngs,
    ) -> None:
        """Build the reader.

        Args:
            channels: (C1, C2, C3), the widths at 1/2, 1/4 and 1/8 resolution.
            width: D, the width of each cell's features.
            grid: (Y, X), cell rows and columns.
            pad_h: rows of zeros added below the screenshot to make its height 8 * Y.
            rngs: the parameters' random streams.
        """
        c1, c2, c3 = channels
        d = width
        self.pad_h = pad_h
        self.stem = nnx.Conv(3, c1, (3, 3), strides=2, rngs=rngs)
        self.down2 = nnx.Conv(c1, c2, (3, 5), strides=2, rngs=rngs)
        self.down3 = nnx.Conv(c2, c3, (3, 5), strides=2, rngs=rngs)
        self.context = nnx.Conv(c3, c3, (3, 5), kernel_dilation=(1, 2), rngs=rngs)
        self.out = nnx.Conv(c3, d, (3, 5), rngs=rngs)
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        y, x = grid
        self.row = nnx.Param(jax.random.normal(rngs.params(), (y, 1, d)) * 0.02)
        self.col = nnx.Param(jax.random.normal(rngs.params(), (1, x, d)) * 0.02)

    def __call__(self, screen: jax.Array) -> jax.Array:
        """Cell features BYXD of the uint8 screenshots BHW3."""
        x = screen.astype(jnp.float32) / 255.0 - 0.5  # BHW3
        x = jnp.pad(x, ((0, 0), (0, self.pad_h), (0, 0), (0, 0)))
        x = nnx.gelu(self.stem(x))  # B(H/2)(W/2)C1
        x = nnx.gelu(self.down2(x))  # B(H/4)(W/4)C2
        x = nnx.gelu(self.down3(x))  # BYXC3
        x = x + nnx.gelu(self.context(x))
        return self.norm(self.out(x)) + self.row[...] + self.col[...]  # BYXD
