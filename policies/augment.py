"""Shifted copies of recorded screens: one demonstration shown at other places on the screen.

Twenty recordings of a task show twenty layouts; a model fine-tuned on them learns where those
buttons were as readily as what they say. ``ShiftedSource`` moves each drawn example's screen by
whole grid cells (edge pixels fill what is uncovered, as a window's background would) and moves
everything tied to the screen with it: the pointer targets, the per-cell reading targets, and
the points of the actions in the history. Whole cells keep the grid's labels exact; a shift that
would push a target off the screen is not made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deskpilot.policies.config import CELL, ModelConfig
from deskpilot.policies.data import Example
from deskpilot.policies.pointing import moved_points

__all__ = ["ShiftedSource", "shift_example"]

# Per-cell arrays (leading axis G) and what an uncovered cell holds: nothing to point at or read.
_CELL_FILL: dict[str, int] = {
    "pointer": 0,
    "pointer2": 0,
    "cell_letters": 0,
    "cell_match": 0,
    "cell_word_id": -1,
    "cell_glyphs": -1,
    "cell_chars": -1,
    "cell_ticked": -1,
    "cell_marks": 0,
}


def _shift_grid(a: np.ndarray, rows: int, cols: int, dy: int, dx: int, fill: int) -> np.ndarray:
    grid = a.reshape(rows, cols, *a.shape[1:])
    out = np.full_like(grid, fill)
    ys, yd = (slice(0, rows - dy), slice(dy, rows)) if dy >= 0 else (slice(-dy, rows), slice(0, rows + dy))
    xs, xd = (slice(0, cols - dx), slice(dx, cols)) if dx >= 0 else (slice(-dx, cols), slice(0, cols + dx))
    out[yd, xd] = grid[ys, xs]
    return out.reshape(a.shape)


def shift_example(row: Example, dy: int, dx: int, cfg: ModelConfig) -> Example | None:
    """``row`` (one example, no batch axis) moved ``dy`` cells down and ``dx`` right; None if a target would leave."""
    rows, cols = cfg.grid
    out = dict(row)
    for key, fill in _CELL_FILL.items():
        if key in row:
            out[key] = _shift_grid(row[key], rows, cols, dy, dx, fill)
    for key in ("pointer", "pointer2"):
        if key in row and row[key].sum() and not out[key].any():
            return None
    h, w = cfg.obs_size
    py, px = dy * CELL, dx * CELL
    m = CELL * max(abs(dy), abs(dx))
    padded = np.pad(row["screen"], ((m, m), (m, m), (0, 0)), mode="edge")
    out["screen"] = np.ascontiguousarray(padded[m - py : m - py + h, m - px : m - px + w])
    out["hist_xy"] = moved_points(row["hist_xy"], row["hist_type"], px / w, py / h)
    if "text_look" in row:  # halves, row by row: each moves with its row and column
        look = row["text_look"].astype(np.int32)
        y, x = look // (2 * cols) + dy, look % (2 * cols) + 2 * dx
        kept = (look >= 0) & (y >= 0) & (y < rows) & (x >= 0) & (x < 2 * cols)
        out["text_look"] = np.where(kept, y * 2 * cols + x, -1).astype(row["text_look"].dtype)
    return out


class ShiftedSource:
    """``source``'s batches with each example moved by up to ``max_cells`` cells, with probability ``p``."""

    def __init__(self, source: Any, cfg: ModelConfig, max_cells: int, seed: int, p: float = 0.8) -> None:
        self.source, self.cfg, self.max_cells, self.p = source, cfg, max_cells, p
        self.rng = np.random.default_rng(seed)

    def next_batch(self) -> Example:
        """The next batch, shifted row by row."""
        batch = self.source.next_batch()
        n = len(batch["screen"])
        for i in range(n):
            if self.rng.random() >= self.p:
                continue
            dy, dx = (int(v) for v in self.rng.integers(-self.max_cells, self.max_cells + 1, 2))
            moved = shift_example({k: v[i] for k, v in batch.items()}, dy, dx, self.cfg)
            if moved is not None:
                for k, v in moved.items():
                    batch[k][i] = v
        return batch

    def state(self) -> dict[str, Any]:
        """The wrapped source's position (the shifts are drawn afresh)."""
        return self.source.state()  # type: ignore[no-any-return]

    def restore(self, state: dict[str, Any]) -> None:
        """Continue the wrapped source from ``state()``."""
        self.source.restore(state)

    def close(self) -> None:
        """Close the wrapped source."""
        if hasattr(self.source, "close"):
            self.source.close()
