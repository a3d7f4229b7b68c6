import jax
import jax.numpy as jnp
import numpy as np

from deskpilot.envs.synthetic.registry import ENV_IDS
from deskpilot.policies.compare import NUM_DIGITS, NUM_LETTERS, compare_words, task_word_letters
from deskpilot.policies.config import get_config
from deskpilot.policies.data import trajectory_to_examples
from deskpilot.policies.model import NUM_CHARS, NUM_GLYPHS
from deskpilot.policies.sources import expert_episodes
from deskpilot.policies.text_decoder import FIRST_CHAR
from deskpilot.policies.tokenizer import encode_padded

NO_GLYPH = NUM_GLYPHS - 1
# Compiled whole: run op by op, each operation's first call compiles it alone (several times slower).
_compare = jax.jit(compare_words, static_argnums=2)
_task_word_letters = jax.jit(task_word_letters, static_argnums=1)


def _letters(row: np.ndarray) -> str:
    return "".join(chr(97 + i) for i in np.nonzero(row)[0])


def test_each_task_byte_gets_the_letter_set_of_its_word() -> None:
    ids, _ = encode_padded("Click 'Bob' in Tab2, now.", 32)
    word, in_word = (np.asarray(a)[0] for a in _task_word_letters(jnp.asarray(ids)[None]))
    text = "Click 'Bob' in Tab2, now."
    assert [_letters(word[i]) for i in (0, 4, 7, 9, 12, 15, 18, 22)] == [
        "cikl",  # Click, case-folded
        "cikl",
        "bo",  # inside the quotes
        "bo",
        "in",
        "abt",  # digits are part of the word, not of its letter set
        "abt",
        "now",
    ]
    assert [bool(in_word[i]) for i, c in enumerate(text)] == [c not in " ',." for c in text]
    assert not in_word[len(text) :].any() and not word[len(text) :].any()  # padding


def test_a_word_read_on_screen_is_found_where_it_is_drawn() -> None:
    # One row of 4-px columns reads "ab" at columns 2-3 and "zbc" at columns 12-14; nothing else.
    y, x = 3, 10
    glyphs = np.full((1, y, 2 * x), NO_GLYPH)
    glyphs[0, 1, 2:4] = [0, 1]
    glyphs[0, 1, 12:15] = [25, 1, 2]
    logits = jax.nn.one_hot(glyphs, NUM_GLYPHS).reshape(1, y * x, 2, NUM_GLYPHS) * 10.0
    ids, _ = encode_padded("ab zbc", 8)
    score, in_word = (np.asarray(a)[0] for a in _compare(logits, jnp.asarray(ids)[None], (y, x)))
    assert score.shape == (y * x, 8)
    best = lambda t: {divmod(int(c), x) for c in np.nonzero(score[:, t] > score[:, t].max() - 0.05)[0]}  # noqa: E731
    assert (1, 1) in best(0) and best(0) <= {(1, 0), (1, 1), (1, 2)}  # cells whose window holds "ab" alone
    assert best(3) <= {(1, 6), (1, 7)}  # cells over columns 12-15
    ab, zbc = score[1 * x + 1], score[1 * x + 6]
    assert ab[0] > zbc[0] + 1.0  # "a" is missing where "zbc" is drawn, and "z" and "c" are foreign
    assert zbc[3] > ab[3] + 1.0
    assert (score[:, ~in_word] == 0).all()


def test_with_perfect_reading_the_comparison_finds_the_task_words_on_suite_screens() -> None:
    """On real suite screens, glyph targets as the reading: each task word shown is found where it is."""
    cfg = get_config("tiny").model
    episodes = expert_episodes(ENV_IDS, seed=123)
    rows = [trajectory_to_examples(next(episodes), cfg) for _ in range(2 * len(ENV_IDS))]
    data = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    glyphs = data["cell_glyphs"].astype(int)
    logits = jax.nn.one_hot(np.where(glyphs >= 0, glyphs, NO_GLYPH), NUM_GLYPHS) * 8.0
    score = np.asarray(_compare(logits, jnp.asarray(data["task"]), cfg.grid)[0])
    cell_word, task_word = data["cell_word_id"], data["task_word_id"]
    found = [
        cell_word[i][score[i][:, task_word[i] == w].mean(-1).argmax()] == w
        for i in range(len(cell_word))
        for w in set(cell_word[i][cell_word[i] > 0].tolist())
    ]
    assert len(found) >= 50
    assert np.mean(found) >= 0.9  # measured 0.94; the misses are ties with a word's own neighbour


def test_with_the_exact_glyph_head_digits_tell_apart_words_alike_in_letters() -> None:
    # One row reads "tab2" at columns 2-5 and "tab3" at columns 12-15 (the exact head's classes).
    y, x = 3, 10
    exact = lambda c: ord(c) - FIRST_CHAR  # noqa: E731
    chars = np.full((1, y, 2 * x), NUM_CHARS - 1)
    chars[0, 1, 2:6] = [exact(c) for c in "Tab2"]
    chars[0, 1, 12:16] = [exact(c) for c in "tab3"]
    folded = np.where(chars == NUM_CHARS - 1, NO_GLYPH, NUM_GLYPHS - 2)  # a digit: "another glyph"
    for c in "tab":  # the case-folded head's letter classes, a capital as its small letter
        folded[(chars == exact(c)) | (chars == exact(c.upper()))] = ord(c) - ord("a")
    glyph_logits = jax.nn.one_hot(folded, NUM_GLYPHS).reshape(1, y * x, 2, NUM_GLYPHS) * 10.0
    char_logits = jax.nn.one_hot(chars, NUM_CHARS).reshape(1, y * x, 2, NUM_CHARS) * 10.0
    ids, _ = encode_padded("tab3", 8)
    word, _ = (np.asarray(a)[0] for a in _task_word_letters(jnp.asarray(ids)[None], True))
    assert word.shape[-1] == NUM_LETTERS + NUM_DIGITS and word[0, NUM_LETTERS + 3] == 1 and word[0].sum() == 4
    letters = np.asarray(_compare(glyph_logits, jnp.asarray(ids)[None], (y, x))[0])[0]
    digits = np.asarray(_compare(glyph_logits, jnp.asarray(ids)[None], (y, x), char_logits)[0])[0]
    two, three = 1 * x + 1, 1 * x + 6  # the cells over "Tab2" and "tab3"
    assert abs(letters[two, 0] - letters[three, 0]) < 0.05  # letters alone: a tie
    assert digits[three, 0] > digits[two, 0] + 1.0  # "3" present, "2" foreign
