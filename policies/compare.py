"""Which cells show which task word, judged letter by letter from the glyph head's reading.

The learned word match (``word_sim``: cell features against task-token features) has to discover
spelling from scratch; it lagged far behind the reader. Yet once the glyph head names letters, the
question "is the word around this cell the task word at that byte" has a fixed answer: every letter
of the task word should be read somewhere near the cell, and nothing read there should be a letter
the word does not have. This module computes that score with no parameters of its own, from the glyph
probabilities (held fixed: the comparison does not train the reader); ``policies.model`` adds it to
``word_sim`` with a learned gain.

With the exact-glyph head (``ModelConfig.spell_digits``) the digits 0-9 are symbols of a word too,
read from that head's probabilities (the case-folded head has one class for every digit): "Tab #2"
is then told from "Tab #3", and a random name with digits from one without.

Per cell and task byte, over a window of 4-px columns of the cell's row whose half-width follows
the task word's number of distinct symbols (a short word is judged on a short window, so a
neighbouring label does not count against it)::

    present = sum over the word's symbols l of  log(1 - prod_{j in window} (1 - P[j, l]))
    foreign = sum over the window's columns j and the symbols l not in the word of P[j, l]
    score = present - FOREIGN_WEIGHT * foreign

Shape letters as in ``policies.model``'s legend, plus C = 2X, the 4-px columns of a row, and
W, the window sizes; Z here is the symbols compared (the letters, then the digits where read).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from deskpilot.policies.text_decoder import FIRST_CHAR
from deskpilot.policies.tokenizer import NUM_SPECIALS, PUNCTUATION

__all__ = ["FOREIGN_WEIGHT", "NUM_DIGITS", "NUM_LETTERS", "WINDOWS", "compare_words", "task_word_letters"]

NUM_LETTERS = 26  # a-z: the letters read and compared (case-folded); the glyph head adds two classes
NUM_DIGITS = 10  # 0-9, compared after the letters where the exact-glyph head reads them
_DIGITS = slice(ord("0") - FIRST_CHAR, ord("9") + 1 - FIRST_CHAR)  # their classes in that head

WINDOWS = (2, 4, 6, 8)  # half-widths of the window, in 4-px columns beyond the cell's own two
FOREIGN_WEIGHT = 0.5  # against the word's own letters being present (best of 0, 0.5, 1 measured)
# Bytes that end a word: whitespace and the punctuation ``policies.data`` strips from words.
_SEPARATORS = b" \t\n" + PUNCTUATION.encode()
_EPS = 1e-6


def task_word_letters(task: jax.Array, digits: bool = False) -> tuple[jax.Array, jax.Array]:
    """Task token ids BT -> (BTZ: the symbol set of the word each byte is part of, BT: in a word).

    Letters are case-folded; with ``digits`` the set has NUM_DIGITS more symbols after the letters.
    Other glyphs (and digits without ``digits``) are part of a word but not of its set.
    """
    byte = task - NUM_SPECIALS  # BT; padding and specials are negative
    sep = (byte < 0) | jnp.isin(byte, jnp.asarray(list(_SEPARATORS)))
    in_word = ~sep
    segment = jnp.cumsum(sep, -1)  # a word's bytes share the count of separators before them
    same = (segment[:, :, None] == segment[:, None, :]) & in_word[:, :, None] & in_word[:, None, :]  # BTT
    folded = jnp.where((byte >= 65) & (byte <= 90), byte + 32, byte) - 97
    symbol = jnp.where((folded >= 0) & (folded < NUM_LETTERS), folded, -1)
    if digits:
        symbol = jnp.where((byte >= ord("0")) & (byte <= ord("9")), NUM_LETTERS + byte - ord("0"), symbol)
    letters = jax.nn.one_hot(symbol, NUM_LETTERS + (NUM_DIGITS if digits else 0))
    word = jnp.einsum("BTU,BUZ->BTZ", same.astype(jnp.float32), letters)
    return jnp.minimum(word, 1.0), in_word


def _windows(columns: int) -> jax.Array:
    """CWX 0/1: column j is in the window of cell x of size k = WINDOWS[w], [2x - k, 2x + 2 + k).

    Window sums as one matrix product: XLA's cumulative sums on a CPU cost several times more.
    """
    j, x = np.arange(columns)[:, None, None], np.arange(columns // 2)[None, None, :]
    k = np.asarray(WINDOWS)[None, :, None]
    return jnp.asarray((j >= 2 * x - k) & (j < 2 * x + 2 + k), jnp.float32)


def compare_words(
    glyph_logits: jax.Array, task: jax.Array, grid: tuple[int, int], char_logits: jax.Array | None = None
) -> tuple[jax.Array, jax.Array]:
    """(glyph logits BGIJ, task ids BT, (Y, X)[, exact-glyph logits BGIc]) -> (BGT scores, BT in words).

    Each score says how well a cell spells the word of a task byte: 0 at best (every symbol read
    nearby, nothing foreign), more negative the worse; 0 on bytes outside words. Given
    ``char_logits``, digits are compared too, as that head reads them.
    """
    b = glyph_logits.shape[0]
    y, x = grid
    fixed = lambda logits: jax.nn.softmax(jax.lax.stop_gradient(logits), -1).reshape(b, y, 2 * x, -1)  # noqa: E731
    p = fixed(glyph_logits)[..., :NUM_LETTERS]  # BYCZ
    if char_logits is not None:
        p = jnp.concatenate([p, fixed(char_logits)[..., _DIGITS]], -1)
    word, in_word = task_word_letters(task, char_logits is not None)  # BTZ, BT
    windows = _windows(2 * x)  # CWX
    # log P(symbol l never read in the window) and the expected number of times it is read there.
    absent = jnp.einsum("BYCZ,CWX->BYZWX", jnp.log1p(-jnp.minimum(p, 1.0 - _EPS)), windows)
    count = jnp.einsum("BYCZ,CWX->BYZWX", p, windows)
    # Each task byte is judged on the window nearest its word's number of distinct symbols.
    distinct = word.sum(-1)  # BT
    nearest = jnp.argmin(jnp.abs(distinct[..., None] - jnp.asarray(WINDOWS, jnp.float32)), -1)  # BT
    by_window = jax.nn.one_hot(nearest, len(WINDOWS)).transpose(0, 2, 1)[..., None]  # BWT1
    present = jnp.einsum("BYZWX,BWTZ->BYXT", jnp.log(-jnp.expm1(absent) + _EPS), by_window * word[:, None])
    foreign = jnp.einsum("BYZWX,BWTZ->BYXT", count, by_window * (1.0 - word[:, None]))
    score = (present - FOREIGN_WEIGHT * foreign).reshape(b, y * x, -1)
    return jnp.where(in_word[:, None, :], score, 0.0), in_word
