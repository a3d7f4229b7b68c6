"""What the reader learns on each cell of a screen: the letters, the glyphs and a slider's marks.

``policies.data`` writes these targets from the renderer's annotations (an element's box and
label); the model's reading heads (``policies.heads``) learn them, so the pointer can ask which
cells spell the task's words.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from deskpilot.policies.config import CELL, ModelConfig
from deskpilot.policies.model import FIRST_CHAR, NUM_CHARS, NUM_GLYPHS

__all__ = [
    "LOOK_ROWS",
    "char_class",
    "glyph_centres",
    "glyph_places",
    "glyph_targets",
    "letter_bits",
    "look_targets",
    "mark_targets",
]

LOOK_ROWS = 3  # the cell rows a line of text covers at most: where a typed byte's look is right


def letter_bits(label: str) -> int:
    """The set of a-z letters in ``label`` (case-folded) as a 26-bit mask."""
    return sum(1 << (ord(c) - 97) for c in set(label.lower()) if "a" <= c <= "z")


@functools.lru_cache(maxsize=8192)
def glyph_centres(word: str) -> tuple[tuple[float, str], ...]:
    """(centre as a fraction of the word's width, character) of each character of ``word``.

    Placed by the advances of Pillow's built-in font, the synthetic suite's own; other fonts'
    proportions are close enough for a target a few pixels wide. Spaces are skipped.
    """
    from deskpilot.envs.synthetic.paint import font

    advances = [font(11).getlength(c) for c in word]
    total = sum(advances) or 1.0
    out, x = [], 0.0
    for char, advance in zip(word, advances, strict=True):
        if not char.isspace():
            out.append(((x + advance / 2) / total, char))
        x += advance
    return tuple(out)


def glyph_class(char: str) -> int:
    """The glyph head's class of ``char``: a-z case-folded 0-25, any other glyph 26 (``NUM_GLYPHS - 2``)."""
    low = char.lower()
    return ord(low) - 97 if "a" <= low <= "z" else NUM_GLYPHS - 2


def char_class(char: str) -> int:
    """The exact-glyph head's class of ``char``: printable ASCII byte - ``FIRST_CHAR``, else ``NUM_CHARS - 2``."""
    code = ord(char)
    return code - FIRST_CHAR if FIRST_CHAR <= code < FIRST_CHAR + NUM_CHARS - 2 else NUM_CHARS - 2


def glyph_places(
    box: Sequence[float], word: str, inside: np.ndarray, cfg: ModelConfig
) -> list[tuple[str, np.ndarray]]:
    """Each character of ``word`` (drawn in ``box``; spaces skipped) with the 4-px halves it is drawn in.

    One half per cell row of ``inside`` (a word's glyphs span its rows), as flat indices into the
    halves of the screen, row by row: row * 2X + the half's column.
    """
    w = cfg.obs_size[1]
    cols = cfg.grid[1]
    rows = np.unique(np.nonzero(inside)[0] // cols)
    x0, x1 = box[0] * w, box[2] * w
    places = []
    for frac, char in glyph_centres(word):
        half = int(min(max(x0 + frac * (x1 - x0), 0), w - 1)) // (CELL // 2)
        places.append((char, rows * 2 * cols + half))
    return places


def glyph_targets(
    places: list[tuple[str, np.ndarray]], inside: np.ndarray, out: np.ndarray, chars: np.ndarray
) -> None:
    """Write a word's glyphs (``glyph_places``) into ``out`` (G2 int8) on its cells ``inside``.

    ``chars`` (G2 int8) gets each glyph's exact class (``char_class``) at the same place.
    """
    cells = np.nonzero(inside)[0]
    out[cells] = np.where(out[cells] < 0, NUM_GLYPHS - 1, out[cells])  # no glyph unless placed below
    chars[cells] = np.where(chars[cells] < 0, NUM_CHARS - 1, chars[cells])
    for char, halves in places:
        out.reshape(-1)[halves] = glyph_class(char)
        chars.reshape(-1)[halves] = char_class(char)


def look_targets(text: str, words: list[list[tuple[str, np.ndarray]]], length: int) -> np.ndarray:
    """Where each byte of a typed ``text`` is drawn: (length, LOOK_ROWS) halves as ``glyph_places`` gives them.

    Found where the page's words (each a ``glyph_places`` list, in page order) spell ``text`` from
    the start of one of them: a word typed as it stands, or letters drawn one per element. -1
    where it is not found (then the writer's look at the screen is not taught on it).
    """
    out = np.full((length, LOOK_ROWS), -1, np.int16)
    if not text.isascii() or any(c.isspace() for c in text):
        return out
    drawn = [place for word in words for place in word]
    spelled = "".join(char for char, _ in drawn)
    starts = np.cumsum([0] + [len(word) for word in words[:-1]])
    for start in starts:
        if spelled.startswith(text, int(start)):
            for i, (_, halves) in enumerate(drawn[start : start + min(len(text), length)]):
                out[i, : len(halves[:LOOK_ROWS])] = halves[:LOOK_ROWS]
            break
    return out


def mark_targets(
    box: Sequence[float], values: Sequence[float], centres: np.ndarray, out: np.ndarray, cfg: ModelConfig
) -> None:
    """Mark each value's column (normalised x) in ``out`` (G2 int8) on the cell rows of a slider's ticks.

    The ticks are drawn along the slider's bottom edge, so the marks go on the rows of its last two
    pixel rows; the slider's other halves there are hard negatives (2), a value's column a mark (1).
    """
    h, w = cfg.obs_size
    cols = cfg.grid[1]
    bottom = round(box[3] * h)
    rows = np.unique([min(bottom - 2, h - 1) // CELL, min(bottom - 1, h - 1) // CELL])
    x = centres[:cols, 0]
    across = np.nonzero((x >= box[0]) & (x < box[2]))[0]
    for row in rows:
        cells = row * cols + across
        out[cells] = np.where(out[cells] == 1, 1, 2)
    for v in values:
        half = min(int(v * w), w - 1) // (CELL // 2)
        out[rows * cols + half // 2, half % 2] = 1
