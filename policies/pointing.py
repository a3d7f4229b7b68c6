"""What the pointers add to their cells' scores beyond query-key attention, as parameter-free maps.

``policies.model`` learns the weights; these functions only place things on the cell grid: a point's
cell and a cell's point, which cell pairs are near each other (the maps that carry a chosen word's
match onto the cells around it, "the field right of 'Name:'"), which words stand around the last
click (a field's caption), which cells and which of the task's words past clicks landed on, and
where a slider's marks, counted from the left of a row, reach the value a query asks for; the
code a history slot gives its action's type, which the caption and click features read to find the
clicks; and where the history's points go when the screen moves. Shape letters as in ``policies.model``'s legend.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from deskpilot.envs.actions import ActionType, to_pixel
from deskpilot.policies.config import CELL, ModelConfig

__all__ = [
    "CAPTION_DOWN",
    "CAPTION_UP",
    "CAPTION_WINDOW",
    "CLICKED_COLS",
    "CLICKED_ROWS",
    "EMPTY_SLOT",
    "NEAR",
    "NEAR_COLS",
    "NEAR_ROWS",
    "NEAR_WINDOW",
    "NUM_VALUES",
    "POINTED_HISTORY",
    "POINTER_TYPES",
    "history_type",
    "moved_points",
    "caption_match",
    "caption_offsets",
    "cell_centres",
    "cell_to_point",
    "clicked_cells",
    "clicked_words",
    "count_marks",
    "near_offsets",
    "point_to_cell",
]

NEAR, NEAR_ROWS, NEAR_COLS = 4, 3, 8  # the pointers' maps around the chosen word: count, reach in cells
NEAR_WINDOW = (2 * NEAR_ROWS + 1) * (2 * NEAR_COLS + 1)  # cell offsets one map covers
NUM_VALUES = 16  # the values a slider's marks are counted up to (0..15)
# The actions whose point a pointer head places (a drag's start; its end is the second pointer's).
POINTER_TYPES = (
    ActionType.CLICK,
    ActionType.DOUBLE_CLICK,
    ActionType.RIGHT_CLICK,
    ActionType.SCROLL,
    ActionType.DRAG,
)
EMPTY_SLOT = 0  # a history slot no action fills yet


def history_type(t: ActionType) -> int:
    """A history slot's code for an action of type ``t`` (``EMPTY_SLOT`` is none)."""
    return int(t) + 1


# The history slot codes of the actions that carry a point (``POINTER_TYPES`` as ``history_type`` codes them).
POINTED_HISTORY = tuple(history_type(t) for t in POINTER_TYPES)


def moved_points(xy: Any, kind: Any, dx: float, dy: float, xp: Any = np) -> Any:
    """History points (...K4, unit coordinates) moved with a screen moved by (dx, dy) screen widths and heights.

    The point of each action that has one moves, and a drag's end too; the rest stays. Clipped to
    the screen. ``xp`` is the array module (``numpy`` for a data row, ``jax.numpy`` in a compiled call).
    """
    pointed = xp.isin(kind, xp.asarray(POINTED_HISTORY))
    drags = kind == history_type(ActionType.DRAG)
    gate = xp.stack([pointed, pointed, drags, drags], -1)
    return xp.clip(xy + xp.asarray([dx, dy, dx, dy], xp.float32) * gate, 0.0, 1.0)


CAPTION_UP, CAPTION_DOWN = 3, 1  # rows above and below a clicked field where its caption may stand
CAPTION_WINDOW = (CAPTION_UP + CAPTION_DOWN + 1) * 3  # those rows, left of, at and right of the click


def cell_centres(cfg: ModelConfig) -> np.ndarray:
    """G2: normalised (x, y) of every cell centre (the bottom row may lie past the screen)."""
    (h, w), (rows, cols) = cfg.obs_size, cfg.grid
    ys, xs = np.meshgrid(
        (np.arange(rows) * CELL + CELL / 2) / h, (np.arange(cols) * CELL + CELL / 2) / w, indexing="ij"
    )
    return np.stack([xs.ravel(), ys.ravel()], -1)


def point_to_cell(x: float, y: float, cfg: ModelConfig) -> int:
    """Index of the cell containing the normalised point."""
    h, w = cfg.obs_size
    return (to_pixel(y, h) // CELL) * cfg.grid[1] + to_pixel(x, w) // CELL


def cell_to_point(cell: int, cfg: ModelConfig) -> tuple[float, float]:
    """Normalised centre of a cell, clamped onto the screen (the padded bottom row hangs over)."""
    (h, w), cols = cfg.obs_size, cfg.grid[1]
    row, col = divmod(int(cell), cols)
    return (col * CELL + CELL / 2) / w, min(row * CELL + CELL / 2, h - 0.5) / h


@functools.cache
def near_offsets(grid: tuple[int, int]) -> np.ndarray:
    """GG int: for each pair of cells (g, h), the index of h's offset from g in the near window.

    The window reaches NEAR_ROWS rows and NEAR_COLS columns either way; a pair farther apart gets
    the window's size, the index of a padded zero.
    """
    y, x = grid
    rows, cols = np.divmod(np.arange(y * x), x)
    dy = rows[None, :] - rows[:, None]
    dx = cols[None, :] - cols[:, None]
    inside = (np.abs(dy) <= NEAR_ROWS) & (np.abs(dx) <= NEAR_COLS)
    index = (dy + NEAR_ROWS) * (2 * NEAR_COLS + 1) + dx + NEAR_COLS
    return np.where(inside, index, NEAR_WINDOW)


@functools.cache
def caption_offsets(grid: tuple[int, int]) -> np.ndarray:
    """GG int: for a clicked cell g and any cell h, the index of h's place in the caption window.

    A field's caption stands left of it or above it. The window tells rows apart (CAPTION_UP above
    to CAPTION_DOWN below) but of the columns only left of the click, its own and right of it: a
    field is clicked anywhere along it, and maps of exact column offsets learnt the demonstrator's
    click columns only. Cells outside the rows get CAPTION_WINDOW, the index of a padded zero.
    """
    y, x = grid
    rows, cols = np.divmod(np.arange(y * x), x)
    dy, dx = rows[None, :] - rows[:, None], cols[None, :] - cols[:, None]
    inside = (dy >= -CAPTION_UP) & (dy <= CAPTION_DOWN)
    return np.where(inside, (dy + CAPTION_UP) * 3 + np.sign(dx) + 1, CAPTION_WINDOW)


def _cell_of(xy: jax.Array, cfg: ModelConfig) -> tuple[jax.Array, jax.Array]:
    """(...4 or ...2 normalised points) -> (row, column) of each point's cell: ``point_to_cell``, batched."""
    (h, w) = cfg.obs_size
    px, py = (jnp.minimum(jnp.floor(v * n), n - 1) for v, n in ((xy[..., 0], w), (xy[..., 1], h)))
    return py // CELL, px // CELL


def caption_match(
    kernels: jax.Array, sim: jax.Array, xy: jax.Array, kind: jax.Array, cfg: ModelConfig
) -> jax.Array:
    """(maps OW, word match BGT, last point B2, last history type B) -> BTO: a caption's words.

    How well the cells around the last action's point (normalised x, y) match each task token, per
    map: the maps weigh the rows around the clicked cell (``caption_offsets``), so one can learn
    "the words above the field" and another "the words left of it". Zero where the last action has
    no point (a TYPE, a key, an empty slot; ``kind`` as ``history_type`` codes it).
    """
    row, col = _cell_of(xy, cfg)
    cell = row * cfg.grid[1] + col  # ``point_to_cell``, batched
    acted = jnp.isin(kind, jnp.asarray(POINTED_HISTORY))
    at = jax.nn.one_hot(cell.astype(jnp.int32), cfg.num_cells) * acted[:, None]  # BF
    maps = jnp.pad(kernels, ((0, 0), (0, 1)))[:, caption_offsets(cfg.grid)]  # OFG
    around = jnp.einsum("BF,OFG->BOG", at, maps)
    return jnp.einsum("BOG,BGT->BTO", around, jax.nn.sigmoid(sim))


# Where a past click counts as "on" a word: CLICKED_ROWS rows and CLICKED_COLS columns of cells either
# way (a line of text straddles two rows; a short word is four cells wide and clicked anywhere along
# it, or on its tick box's square left of it).
CLICKED_ROWS, CLICKED_COLS = 1, 4
CLICK_HISTORY = tuple(
    history_type(t) for t in (ActionType.CLICK, ActionType.DOUBLE_CLICK, ActionType.RIGHT_CLICK)
)


def clicked_cells(xy: jax.Array, kind: jax.Array, cfg: ModelConfig) -> jax.Array:
    """(past points BK4, past history types BK) -> BG: 1 on the cells within reach of a past click.

    Reach: CLICKED_ROWS rows and CLICKED_COLS columns either way of the clicked cell. Clicks of
    every kind count; scrolls, drags and keys do not.
    """
    rows, cols = cfg.grid
    py, px = _cell_of(xy, cfg)  # BK, BK
    clicked = jnp.isin(kind, jnp.asarray(CLICK_HISTORY))  # BK
    row, col = (jnp.asarray(v) for v in np.divmod(np.arange(rows * cols), cols))  # G, G
    reach = (
        (jnp.abs(row - py[..., None]) <= CLICKED_ROWS)
        & (jnp.abs(col - px[..., None]) <= CLICKED_COLS)
        & clicked[..., None]
    )  # BKG
    return reach.any(1).astype(jnp.float32)


def clicked_words(sim: jax.Array, near: jax.Array) -> jax.Array:
    """(word match BGT, ``clicked_cells`` BG) -> BT: how surely each task token's word was clicked.

    Each token's word stands where its match peaks, as a distribution over the cells (a softmax,
    so a reading only a little better than elsewhere still says where); the token counts as
    clicked by the share of that distribution on the clicked cells.
    """
    return jnp.einsum("BG,BGT->BT", near.astype(sim.dtype), jax.nn.softmax(sim, 1))


def count_marks(marks_logits: jax.Array, value: jax.Array, grid: tuple[int, int]) -> jax.Array:
    """(marks BGI, log-probabilities of the asked value BC, (Y, X)) -> BG: how well a cell holds it.

    Per half, the marks left of it on its row against the distribution over values. The marks are
    read as given and rounded (a sum of soft marks drifts by the background's small probabilities);
    a cell scores its better half on its own row and on the row below, where a slider's ticks lie
    when the drag's row holds its thumb's middle.
    """
    b = marks_logits.shape[0]
    y, x = grid
    marks = (jax.lax.stop_gradient(marks_logits) > 0.0).astype(jnp.float32).reshape(b, y, 2 * x)
    before = jnp.cumsum(marks, -1) - marks  # marks left of each half on its row
    gap = before[..., None] - jnp.arange(value.shape[-1], dtype=before.dtype)  # B Y (X I) C
    here = jnp.log(marks + 0.01) + jax.nn.logsumexp(value[:, None, None] - 2.0 * gap**2, -1)
    below = jnp.pad(here[:, 1:], ((0, 0), (0, 1), (0, 0)), constant_values=jnp.log(0.01) - 2.0)
    halves = jnp.concatenate([here.reshape(b, y, x, 2), below.reshape(b, y, x, 2)], -1)
    return jax.nn.logsumexp(halves, -1).reshape(b, -1)
