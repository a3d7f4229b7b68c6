"""The action-prediction model: screen + task + recent actions -> the next ``envs.Action``.

One file, top to bottom: constants, the fusion of screen, history and task, heads. Its shapes
(``ModelConfig``) and the table of screen readers are in ``policies.config``. Each head's outputs,
targets, loss, metric and decoding are declared once, in the table of ``policies.heads``. The
screen reader is in ``policies.patch_encoder`` (the strided-conv reader kept for benchmarks in
``policies.conv_encoder``), the past actions' encoder in ``policies.history``, the transformer
layers in ``policies.transformer``, the spelling comparison in ``policies.compare``, the pointers'
parameter-free maps (near a word, a slider's marks counted) in ``policies.pointing``;
``policies.numpy_init`` draws a fresh model's parameters, and ``policies.parts`` names them in
groups for fine-tuning.

Why this architecture: on this kind of 2-core CPU a ViT over 16-px patches never learned to read
labels (7-32% success); a reader of 8-px cells (8-px windows at a 4-px stride as matrix products,
which XLA runs fast on a CPU), a pointer over the cells and "which letters are here" losses reached
96-99%. The fusion transformer ([CLS, screen, SEP, history, SEP, task], grouped-query attention)
sees 4x4-pooled cells to stay cheap; the pointer reads the full-resolution cells. Per cell, "is the
word here one the task mentions" scores each cell against every task token (``word_sim``, also
trained pair by pair: ``word_align``), so the pointer does not pick a neighbouring name; a per-glyph
head teaches the reader letters where they are drawn, and alone at first
(``policies.step.reader_gate``). The word match adds a spelling comparison of the glyph head's
reading against each task word (``policies.compare``: with the glyphs of a trained run it found
the target word 91% of the time where the learned match found 67%), and each pointer adds the
match of the task word it chooses, and that match carried to cells around it by learned offset maps
(a field right of or below its caption). The action type, key and scroll heads look at the cells
at full resolution: where a query of their own attends and where the first pointer points. A
per-cell head reads whether a tick box is ticked; the pointers' keys use its reading alone and
times the word match (the boxes to click are "named xor ticked"), and the action heads get it as
read under the first pointer, through an MLP (done-if-satisfied answers "ticked xor asked ticked").
A per-half head marks where a slider's values lie; the drag's end counts those marks from the left
of each row to the value its query asks for (``Policy.count_marks``). Opt-in (``span_field``): each
task token also learns how well the words around the last click match it (a field's caption), and
the span's start asks the decision state and its end the start's token, for values nobody quotes.
Opt-in (``click_memory``): each pointer avoids the task words past clicks landed on and the cells
around those clicks, so a box ticked is not ticked again and the next named one is.

Shape legend (axis letters used in comments and einsums)::

    B  batch                      H, W  screenshot pixels (H padded up to a multiple of 8)
    Y, X  rows / columns of 8-px cells; G = Y * X cells
    P  pooled screen tokens       T  task tokens (bytes)      K  history length (past actions)
    L  bytes of a typed text (in the history; or written)     S  fused sequence length
    D  model width      N  query heads   M  key/value heads   Q = N / M   E  head width
    A  action types (9)           V  key combinations         R  scroll classes   Z  letters (26)
    I  4-px halves of a cell (2)  J  glyph classes (28: a-z, another glyph, no glyph)
    c  exact glyph classes (NUM_CHARS with ``screen_copy``, else 0): printable ASCII, another, none
    h  the screen's 4-px halves, row by row (2G with ``screen_copy``, else 0)
    U = Q * S  the query heads of one key/value head, stacked along the sequence
    O  the pointers' maps around their chosen word (NEAR), or around the last click (CAPTION_MAPS)
    F  cells again, where a map starts
    C  a slider's values (NUM_VALUES), counted in marks from the left of a row
    v  token values (VOCAB_SIZE: the 256 bytes and the specials), lower case: the letters ran out

No Python branching on data: every input has a fixed shape and every loss is weighted by masks, so
one compiled function serves every step of every episode.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx

from deskpilot.envs.actions import KEY_COMBOS, MAX_SCROLL, ActionType
from deskpilot.policies.compare import NUM_LETTERS, compare_words
from deskpilot.policies.config import ENCODERS, ModelConfig
from deskpilot.policies.history import HistoryEncoder
from deskpilot.policies.pointing import (
    CAPTION_WINDOW,
    EMPTY_SLOT,
    NEAR,
    NEAR_WINDOW,
    NUM_VALUES,
    caption_match,
    clicked_cells,
    clicked_words,
    count_marks,
    near_offsets,
)
from deskpilot.policies.text_decoder import FIRST_CHAR, NUM_CHARS, ScreenCopy, TextDecoder
from deskpilot.policies.tokenizer import VOCAB_SIZE
from deskpilot.policies.transformer import MLP, Block, pool_cells, with_neighbours

__all__ = [
    "FIRST_CHAR",
    "MODEL_VERSION",
    "NUM_CHARS",
    "NUM_GLYPHS",
    "NUM_LETTERS",
    "Policy",
]

# Bumped whenever the parameters change (a head added, a shape changed): checkpoints record it, and
# one written by another version is refused by name instead of failing deep inside orbax.
# 2: the "word the task mentions" head and the neighbour-aware span head.
# 3: the patch (space-to-depth) screen reader.
# 4: the per-glyph reading head (cell_glyphs).
# 5: overlapping 8x8 patches at a 4-px stride in the screen reader.
# 6: the spelling comparison in the word match, and the pointers' choice of a task word.
# 7: the action type, key and scroll heads' look at the full-resolution cells; the pointers' maps
#    around their chosen word.
# 8: match-gated cell keys for the pointers, an MLP before the action type, key and scroll heads,
#    and the per-cell "is this box ticked" head.
# 9: the per-half "a slider value's column is here" head, counted along each row for the drag's end.
MODEL_VERSION = 9
# With ``ModelConfig.click_memory``, at first: how much a clicked word's pick loses, and how much a
# pointer's score loses on the cells around a past click.
CLICKED_PICK, CLICKED_POINT = 10.0, 20.0
CAPTION_MAPS = 2  # maps of where a clicked field's caption stands (``pointing.caption_match``)
NUM_GLYPHS = NUM_LETTERS + 2  # per 4-px column of text: a-z (case-folded), another glyph, none
NUM_TYPES = len(ActionType)
NUM_KEYS = len(KEY_COMBOS)
NUM_SCROLL = 2 * MAX_SCROLL  # the action space's scroll index: -MAX..-1, 1..MAX


# ------------------------------------------------------------------------------------------- model
class Policy(nnx.Module):
    """The whole model; ``__call__(batch)`` returns every head's logits.

    ``batch`` holds the inputs of ``policies.data.encode_inputs`` with a leading axis B: screen
    BHW3 uint8, task/task_mask BT, step B, hist_type/hist_key/hist_scroll BK, hist_xy BK4,
    hist_text BKL.
    """

    def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs) -> None:
        d = cfg.width
        self.cfg = cfg
        self.screen = ENCODERS[cfg.encoder](cfg, rngs)
        self.byte_embed = nnx.Embed(VOCAB_SIZE, d, rngs=rngs)
        self.task_pos = nnx.Param(jax.random.normal(rngs.params(), (cfg.task_len, d)) * 0.02)
        self.history = HistoryEncoder(
            d, cfg.history_len, cfg.fourier_freqs, (NUM_TYPES, NUM_KEYS, NUM_SCROLL), self.byte_embed, rngs
        )
        self.step_embed = nnx.Embed(cfg.max_steps, d, rngs=rngs)
        self.cls = nnx.Param(jax.random.normal(rngs.params(), (d,)) * 0.02)
        self.sep = nnx.Param(jax.random.normal(rngs.params(), (2, d)) * 0.02)
        self.text_blocks = nnx.List(
            [Block(d, cfg.num_heads, cfg.num_kv_heads, cfg.mlp_ratio, rngs) for _ in range(cfg.text_layers)]
        )
        self.text_norm = nnx.LayerNorm(d, rngs=rngs)
        self.pool_query = nnx.Param(jax.random.normal(rngs.params(), (d,)) * 0.02)
        self.text_proj = nnx.Linear(d, d, rngs=rngs)
        self.blocks = nnx.List(
            [Block(d, cfg.num_heads, cfg.num_kv_heads, cfg.mlp_ratio, rngs) for _ in range(cfg.depth)]
        )
        self.final_norm = nnx.LayerNorm(d, rngs=rngs)
        # Heads. The pointer queries come from the fused CLS plus the instruction summary through
        # small MLPs; the first query also predicts the target's letter set (auxiliary loss a),
        # which forces it to read the task.
        self.type_head = nnx.Linear(d, NUM_TYPES, rngs=rngs)
        self.query = MLP(d, 2 * d, rngs)
        self.query2 = MLP(d, 2 * d, rngs)
        self.cell_keys = nnx.Linear(d, d, rngs=rngs)
        self.letters_head = nnx.Linear(d, NUM_LETTERS, rngs=rngs)
        self.cell_letters_head = nnx.Linear(d, NUM_LETTERS, rngs=rngs)
        # Whether the tick box under a cell is ticked: the state that the click-or-not decisions on
        # tick boxes hang on, taught where it is drawn rather than only through a later click.
        self.cell_ticked_head = nnx.Linear(d, 1, rngs=rngs)
        self.cell_glyphs_head = nnx.Linear(d, 2 * NUM_GLYPHS, rngs=rngs)  # each 4-px half of a cell
        # Which cells show a word the task mentions: each cell against every task token. Its
        # probability is also a feature of the pointer's keys, so "the box named in the task" is one
        # direction the query can look along instead of something it must rebuild from letters.
        self.match_cells = nnx.Linear(d, d, rngs=rngs)
        self.match_task = nnx.Linear(3 * d, d, rngs=rngs)
        self.match_key = nnx.Param(jax.random.normal(rngs.params(), (d,)) * 0.02)
        # And cell features that count only where a task word is matched: a query can then rank
        # "named and unticked" above both "named and ticked" and "not named" (the match and the
        # cell's features added alone cannot rank an exclusive or).
        self.matched_keys = nnx.Linear(d, d, rngs=rngs)
        # And the tick head's reading as key directions of its own, alone and with the match: a query
        # can then weigh "named", "ticked" and "named and ticked" apart (m + t - 2mt: the boxes to click).
        self.ticked_key = nnx.Param(jax.random.normal(rngs.params(), (d,)) * 0.02)
        self.named_ticked_key = nnx.Param(jax.random.normal(rngs.params(), (d,)) * 0.02)
        # Where a slider's values are: a mark per value column, read per 4-px half. The drag's end
        # counts them from the left of each row: "value 7" is the eighth mark, however wide the
        # slider and however many values it has, which the pooled screen's query could not place to
        # within a value (half the measured drops missed by one or more).
        self.cell_marks_head = nnx.Linear(d, 2, rngs=rngs)
        self.count_value = nnx.Linear(d, NUM_VALUES, rngs=rngs)  # which mark, from the second query
        self.count_gain = nnx.Linear(d, 1, rngs=rngs)  # how much the count weighs (~0 off sliders)
        # The spelling comparison (``policies.compare``) joins the learned match as gain * score + bias,
        # from (1, 2): the learned parts are offsets from there, so any small initial draw will do.
        self.spelling = nnx.Param(jnp.zeros((2,)))
        # Each pointer chooses a task word (or none: a text field, a slider's end) and adds its match
        # to the cells, so "drag 'home' into 'alpha'" can point at home first and at alpha second.
        self.word_pick = nnx.Linear(d, 2 * d, rngs=rngs)
        self.no_word = nnx.Param(jnp.zeros((2,)))
        self.word_gain = nnx.Param(jnp.zeros((2,)))  # offsets from 2: a chosen word's cells gain up to 2
        # And near the chosen word: NEAR learned maps over cell offsets carry its match onto cells
        # around it, each pointer weighting them from its query ("the field right of 'Name:'", "the
        # box left of 'alpha'"). Zero at first, so they start as no change.
        self.near_kernels = nnx.Param(jnp.zeros((NEAR, NEAR_WINDOW)))
        self.near_mix = nnx.Linear(d, NEAR, rngs=rngs)
        self.span_head = nnx.Linear(3 * d, 2, rngs=rngs)  # a token with both neighbours: quotes mark spans
        # Unquoted values ("movies directed by Hale from year 1984" into three fields): which one
        # to type hangs on the field being filled, whose caption ("Year") stands near the last
        # click and matches a task word; where it ends hangs on where it starts. The token
        # features alone give one answer per task.
        if cfg.span_field:
            self.caption_kernels = nnx.Param(
                jax.random.normal(rngs.params(), (CAPTION_MAPS, CAPTION_WINDOW)) * 0.02
            )
            self.caption_in = nnx.Linear(CAPTION_MAPS, d, rngs=rngs)
            self.span_keys = nnx.Linear(3 * d, 2 * d, rngs=rngs)
            self.span_query = nnx.Linear(d, d, rngs=rngs)
            self.span_from = nnx.Linear(3 * d, d, rngs=rngs)
        # A word once clicked is seldom the next one to click (a box ticked twice is unticked): with
        # ``click_memory`` each pointer's word choice loses CLICKED_PICK times (1 + its learned
        # offset) on the task words past clicks landed on (``pointing.clicked_words``), and its
        # score CLICKED_POINT times (1 + another) on the cells around them. Strong from the start:
        # a handful of demonstrations moves a parameter only a little.
        if cfg.click_memory:
            self.clicked_pick = nnx.Param(jnp.zeros((2,)))
            self.clicked_point = nnx.Param(jnp.zeros((2,)))
        # The action type, key and scroll heads also look at the full-resolution cells: once where a
        # query of their own attends, once where the first pointer points, plus whether each
        # pointer's chosen word is on screen. The fused CLS sees only 4x4-pooled cells, too coarse for
        # a tick in a checkbox or a caret in a field, and no word match at all.
        self.look_query = nnx.Linear(d, d, rngs=rngs)
        self.look_keys = nnx.Linear(d, d, rngs=rngs)
        self.look_out = nnx.Linear(2 * d + 4, d, rngs=rngs)
        # Then an MLP: "is the box ticked" against "was it asked to be" is an exclusive or, beyond
        # one linear head.
        self.decide = MLP(d, 2 * d, rngs)
        self.key_head = nnx.Linear(d, NUM_KEYS, rngs=rngs)
        self.scroll_head = nnx.Linear(d, NUM_SCROLL, rngs=rngs)
        # Text that is not in the task (a sum, another case, another date format) is written byte by
        # byte; without the writer the span head alone types, as it always has.
        self.writer = (
            TextDecoder(d, cfg.num_heads, cfg.typed_len, self.byte_embed, rngs, cfg.writer_layers)
            if cfg.typed_len
            else None
        )
        # The writer's copy from the screen: each 4-px half read exactly (the case-folded glyph head
        # reads 'M' as 'm' and every digit alike, so the writer misspelt words it found on the page),
        # and the writer's pointer over those halves.
        if cfg.screen_copy:
            self.cell_chars_head = nnx.Linear(d, 2 * NUM_CHARS, rngs=rngs)
            self.screen_copy = ScreenCopy(d, cfg.grid[1], rngs)

    def __call__(
        self, batch: dict[str, jax.Array], reader_grad: jax.Array | None = None
    ) -> dict[str, jax.Array]:
        """Logits of every head, keyed and shaped as ``policies.heads.HEADS`` declares their outputs.

        type BA, pointer/pointer2 BG, letters BZ, cell_letters BGZ, cell_glyphs BGIJ, cell_chars BGIc,
        cell_ticked BG, cell_marks BGI, cell_match BG,
        word_sim BGT (each cell against each task byte), span_start/span_end BT (padding at -1e9),
        key BV, scroll BR, text BLv (log-probabilities of each written byte; L = 0 without a writer),
        text_look BLh (where each written byte's screen copy looked).
        ``tests/policies/test_heads.py`` fails when this dict and the table disagree.

        ``reader_grad`` (B, training only) scales the gradient that every head but the glyph heads
        sends into the screen reader (``policies.step.reader_gate``); the outputs do not change.
        """
        cfg = self.cfg
        b = batch["screen"].shape[0]
        cells = self.screen(batch["screen"])  # BYXD
        d = cells.shape[-1]
        glyphs = self.cell_glyphs_head(cells).reshape(b, -1, 2, NUM_GLYPHS)  # BGIJ
        chars = (
            self.cell_chars_head(cells).reshape(b, -1, 2, NUM_CHARS)
            if cfg.screen_copy
            else jnp.zeros((b, glyphs.shape[1], 2, 0))
        )  # BGIc
        if reader_grad is not None:  # the same values; the gradient through them scaled per example
            fixed = jax.lax.stop_gradient(cells)
            cells = fixed + reader_grad[:, None, None, None] * (cells - fixed)
        p = cfg.pool
        pooled = pool_cells(cells, p).reshape(b, -1, d)  # BPD
        cells = cells.reshape(b, -1, d)  # BGD
        task = self.byte_embed(batch["task"]) + self.task_pos[...]  # BTD
        hist = self.history(batch)  # BKD
        step = self.step_embed(jnp.minimum(batch["step"], cfg.max_steps - 1))[:, None]  # B1D
        ones = lambda n: jnp.ones((b, n), bool)  # noqa: E731
        # The instruction encoder: [step, history, task] without the screen, attention-pooled into a
        # summary that feeds the pointer queries directly (a short path from task bytes to the
        # letter-set loss, which is what teaches the model to read).
        k = cfg.history_len
        text = jnp.concatenate([step, hist, task], axis=1)  # B(1+K+T)D
        text_mask = jnp.concatenate([ones(1), batch["hist_type"] != EMPTY_SLOT, batch["task_mask"]], axis=1)
        for block in self.text_blocks:
            text = block(text, text_mask)
        hist, task = text[:, 1 : 1 + k], text[:, 1 + k :]
        normed = self.text_norm(text)
        scores = jnp.einsum("BSD,D->BS", normed, self.pool_query[...]) + jnp.where(text_mask, 0.0, -1e9)
        summary = jnp.einsum("BS,BSD->BD", jax.nn.softmax(scores, -1), normed)  # BD
        scale = 1.0 / math.sqrt(d)
        # Each cell against each task token: "is the word here one the task mentions".
        task_words = self.match_task(with_neighbours(normed[:, 1 + k :]))  # BTD
        spelled, in_word = compare_words(
            glyphs, batch["task"], cfg.grid, chars if cfg.spell_digits else None
        )  # BGT, BT
        gain, bias = 1.0 + self.spelling[0], 2.0 + self.spelling[1]
        sim = jnp.einsum("BGD,BTD->BGT", self.match_cells(cells), task_words) * scale + gain * spelled + bias
        if cfg.span_field:  # the field's caption: the words around the latest action's point
            last = (batch["hist_xy"][:, -1, :2], batch["hist_type"][:, -1])
            around = caption_match(self.caption_kernels[...], sim, *last, cfg)  # BTO
            task = task + self.caption_in(around)
        cls = (self.cls[...][None] + step[:, 0])[:, None]  # B1D
        sep = jnp.broadcast_to(self.sep[...][None], (b, 2, d))
        x = jnp.concatenate([cls, pooled, sep[:, :1], hist, sep[:, 1:], task], axis=1)  # BSD
        mask = jnp.concatenate(
            [ones(1 + pooled.shape[1] + 1), batch["hist_type"] != EMPTY_SLOT, ones(1), batch["task_mask"]],
            axis=1,
        )  # BS
        for block in self.blocks:
            x = block(x, mask)
        x = self.final_norm(x)
        head = x[:, 0]  # BD
        task_out = x[:, -cfg.task_len :]  # BTD
        query_in = head + self.text_proj(summary)
        q1, q2 = self.query(query_in), self.query2(query_in)
        words = batch["task_mask"] & in_word  # BT
        match = jax.nn.logsumexp(sim + jnp.where(words, 0.0, -1e9)[:, None, :], -1)  # BG
        matched = self.match_key[...] + self.matched_keys(cells)  # BGD
        ticked_logits = self.cell_ticked_head(cells)[..., 0]  # BG
        ticked = jax.nn.sigmoid(jax.lax.stop_gradient(ticked_logits))  # read as given: taught by its own loss
        named = jax.nn.sigmoid(match)
        keys = (
            self.cell_keys(cells)
            + named[..., None] * matched
            + ticked[..., None] * self.ticked_key[...]
            + (named * ticked)[..., None] * self.named_ticked_key[...]
        )  # BGD
        # Each pointer's weights over the task's word bytes, plus one for "no word" (last).
        picks = jnp.einsum(
            "BTND,BND->BNT", self.word_pick(task_words).reshape(b, -1, 2, d), jnp.stack([q1, q2], 1)
        )
        picks = picks * scale + jnp.where(words, 0.0, -1e9)[:, None]
        if cfg.click_memory:
            near_clicks = clicked_cells(batch["hist_xy"], batch["hist_type"], cfg)  # BG
            clicked = clicked_words(sim, near_clicks)  # BT
            strength = CLICKED_PICK * (1.0 + self.clicked_pick[...])  # N
            picks = picks - strength[None, :, None] * clicked[:, None]
        picks = jnp.concatenate(
            [
                picks,
                jnp.broadcast_to(self.no_word[...][None, :, None], (b, 2, 1)),
            ],
            -1,
        )
        chosen = jnp.einsum("BGT,BNT->BNG", jax.nn.sigmoid(sim), jax.nn.softmax(picks, -1)[..., :-1])  # BNG
        present = jnp.concatenate([chosen.max(-1), jax.nn.sigmoid(match).max(-1, keepdims=True)], -1)  # B3
        chosen = chosen * (2.0 + self.word_gain[...])[None, :, None]
        spread = jnp.pad(self.near_kernels[...], ((0, 0), (0, 1)))[:, near_offsets(cfg.grid)]  # OFG
        near = jnp.einsum("BNF,OFG->BNOG", chosen, spread)
        chosen = chosen + jnp.einsum("BNO,BNOG->BNG", self.near_mix(jnp.stack([q1, q2], 1)), near)
        pointer = jnp.einsum("BGD,BD->BG", keys, q1) * scale + chosen[:, 0]
        pointer2 = jnp.einsum("BGD,BD->BG", keys, q2) * scale + chosen[:, 1]
        if cfg.click_memory:  # and each pointer turns from the cells already clicked
            away = CLICKED_POINT * (1.0 + self.clicked_point[...])  # N
            pointer = pointer - away[0] * near_clicks
            pointer2 = pointer2 - away[1] * near_clicks
        marks_logits = self.cell_marks_head(cells)  # BG2
        pointer2 = pointer2 + self.count_marks(marks_logits, q2)
        # Whether what the first pointer points at is ticked: the tick head read under the pointer.
        ticked_here = jnp.einsum("BG,BG->B", jax.nn.softmax(jax.lax.stop_gradient(pointer), -1), ticked)
        present = jnp.concatenate([present, ticked_here[:, None]], -1)  # B4
        # Where the pointer points is taken as given (no gradient): the pointer learns from clicks only.
        looks = jnp.stack(
            [
                jnp.einsum("BGD,BD->BG", self.look_keys(cells), self.look_query(head)) * scale,
                jax.lax.stop_gradient(pointer),
            ],
            1,
        )  # B2G
        seen = jnp.einsum("BNG,BGD->BND", jax.nn.softmax(looks, -1), cells).reshape(b, 2 * d)
        decide = head + self.look_out(jnp.concatenate([seen, present], -1))  # BD
        decide = self.decide(decide)  # residual
        tokens = with_neighbours(task_out)  # BT(3D)
        span = self.span_head(tokens)  # BT2
        neg = jnp.where(batch["task_mask"], 0.0, -1e9)
        span_start, span_end = span[..., 0] + neg, span[..., 1] + neg
        if cfg.span_field:
            start_keys, end_keys = jnp.split(self.span_keys(tokens), 2, -1)  # BTD, BTD
            span_start = span_start + jnp.einsum("BTD,BD->BT", start_keys, self.span_query(decide)) * scale
            # The end is scored from the true start in training and the chosen one when acting; the
            # head's metric counts a wrong start as wrong, so the two agree on what it reports.
            start = batch["span_start"] if "span_start" in batch else jnp.argmax(span_start, -1)
            first = jnp.take_along_axis(tokens, start.astype(jnp.int32)[:, None, None], 1)[:, 0]  # B(3D)
            span_end = span_end + jnp.einsum("BTD,BD->BT", end_keys, self.span_from(first)) * scale
        if self.writer is None:
            written, look = jnp.zeros((b, 0, VOCAB_SIZE)), jnp.zeros((b, 0, 0))
        else:  # teacher-forced when the batch holds the target, else written greedily
            memory = jnp.concatenate([x, cells], 1)
            written, look = self.writer(
                decide,
                memory,
                jnp.concatenate([mask, ones(cells.shape[1])], 1),
                task_out,
                batch["task"],
                batch["task_mask"],
                span_start,
                batch.get("text"),
                (self.screen_copy, cells, chars) if cfg.screen_copy else None,
            )
        return {
            "type": self.type_head(decide),
            "pointer": pointer,
            "pointer2": pointer2,
            "letters": self.letters_head(q1),
            "cell_letters": self.cell_letters_head(cells),
            "cell_glyphs": glyphs,
            "cell_ticked": ticked_logits,
            "cell_marks": marks_logits,
            "cell_match": match,
            "word_sim": sim,
            "span_start": span_start,
            "span_end": span_end,
            "key": self.key_head(decide),
            "scroll": self.scroll_head(decide),
            "text": written,
            "cell_chars": chars,
            "text_look": look,
        }

    def count_marks(self, marks_logits: jax.Array, q: jax.Array) -> jax.Array:
        """BG: how well each cell holds the mark the query counts to (``policies.pointing``), gained."""
        value = jax.nn.log_softmax(self.count_value(q), -1)  # BC
        # Starts near zero (softplus(-3)), so a fresh model's drags end where the query alone says.
        gain = jax.nn.softplus(self.count_gain(q)[:, 0] - 3.0)  # B
        return gain[:, None] * count_marks(marks_logits, value, self.cfg.grid)
