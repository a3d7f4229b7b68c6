"""The model's heads, one row each: what the model outputs, what it learns from, and how it is read.

A head is declared once, in ``HEADS``. ``policies.model.Policy`` returns every head's ``outputs``
(``tests/policies/test_heads.py`` runs the model and fails when its outputs and this table
disagree); ``policies.data.encode_targets`` writes every head's ``targets`` and its 0/1 weight
``w_<name>``; ``policies.losses`` averages each ``loss`` over that weight, scales the auxiliary ones
by ``train.aux_weight`` and scores each head with a ``metric``; ``policies.decode`` turns the
outputs of every head with a ``decode`` into choices. Adding a head means its layer in
``model.py``, its targets in ``data.encode_targets`` and one row here.

The table's order is the order in which sampled decoding hands out PRNG keys, so a new head goes
at the end: the heads before it then keep their keys, and a seed keeps its samples.

Shape letters as in ``policies.model``'s legend.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import optax

from deskpilot.policies.model import NUM_LETTERS
from deskpilot.policies.tokenizer import PAD

__all__ = ["AUX", "HEADS", "SCORED", "Head", "unpack_letters"]

Arrays = Mapping[str, jax.Array]
Pick = Callable[[jax.Array], jax.Array]  # logits ...C -> the chosen index ... (greedy or sampled)


@dataclasses.dataclass(frozen=True)
class Head:
    """One head of the model: its outputs, targets, weight, loss, metric and decoding."""

    name: str  # the loss part in metrics.jsonl, ``<name>_acc`` in validation, ``w_<name>`` in batches
    outputs: Mapping[str, str]  # the model's output keys for this head -> their shapes (legend letters)
    targets: tuple[str, ...]  # the batch keys its loss reads, written by ``data.encode_targets``
    loss: Callable[[Arrays, Arrays], jax.Array]  # (outputs, batch) -> B per-example loss
    masked: bool = True  # trained only where ``w_<name>`` is 1; False: on every example
    aux: bool = False  # an auxiliary reading loss, scaled by ``train.aux_weight``
    decode: Callable[[Arrays, Pick], dict[str, jax.Array]] | None = None  # one pick per output
    metric: Callable[[Arrays, Arrays], jax.Array] | None = None  # (greedy choices, batch) -> B bool

    def __post_init__(self) -> None:
        if not self.outputs or not self.targets:
            raise ValueError(f"head {self.name!r}: expected at least one output and one target")
        if self.metric is not None and self.decode is None:
            raise ValueError(f"head {self.name!r}: a metric scores the decoded choice; give a decode")

    @property
    def weight(self) -> str:
        """The batch key of its 0/1 per-example weight (absent when not ``masked``)."""
        return f"w_{self.name}"

    def weights(self, batch: Arrays) -> jax.Array:
        """B: which examples it is trained and scored on."""
        if self.masked:
            return batch[self.weight]
        return jnp.ones(batch[self.targets[0]].shape[:1], jnp.float32)


# ------------------------------------------------------------------------------------------ losses
def unpack_letters(bits: jax.Array) -> jax.Array:
    """...(uint32 bit set) -> ...Z float multi-hot (bit i = letter chr(ord('a') + i))."""
    return ((bits[..., None].astype(jnp.uint32) >> jnp.arange(NUM_LETTERS, dtype=jnp.uint32)) & 1).astype(
        jnp.float32
    )


def _xent(logits: jax.Array, labels: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits, -1)
    return -jnp.take_along_axis(logp, labels[..., None].astype(jnp.int32), -1)[..., 0]


def _letters_bce(logits: jax.Array, bits: jax.Array) -> jax.Array:
    """...: BCE summed over the 26 letters.

    Summed, not averaged: averaged, the letter losses are ~20x weaker than the pointer's and the
    model never learns to read (measured: letter loss stuck at its prior).
    """
    return optax.sigmoid_binary_cross_entropy(logits, unpack_letters(bits)).sum(-1)


def _glyph_loss(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """B: cross-entropy of the glyph classes, averaged over the half-cells of words (target >= 0).

    The letter-set targets ask every cell of a word for all of its letters, so a detector for one
    letter is rewarded only through the whole word; here each glyph is its own example, at its own
    place, which is how a reader starts (the renderer knows where each glyph is).
    """
    if logits.shape[-1] == 0:  # a head the model does not have (``cell_chars`` without ``screen_copy``)
        return jnp.zeros(logits.shape[:1])
    valid = (targets >= 0).astype(jnp.float32)
    xent = _xent(logits, jnp.maximum(targets, 0))
    return (xent * valid).sum((1, 2)) / jnp.maximum(valid.sum((1, 2)), 1.0)


def _look_loss(look: jax.Array, targets: jax.Array) -> jax.Array:
    """B: -log of the look's weight on the halves where each byte is drawn, averaged over the bytes found.

    ``targets`` BL3 holds each byte's halves (one per cell row of its line; -1: none). Taught only
    through the typed text, the look would have to find which of the page's many e's starts the
    word from the likelihood of an 'e' alone; here it is told where.
    """
    if look.shape[-1] == 0:  # a model without the screen copy
        return jnp.zeros(look.shape[:1])
    on = jnp.take_along_axis(look, jnp.maximum(targets, 0).astype(jnp.int32), -1)  # BL3
    hit = (on * (targets >= 0)).sum(-1)  # BL
    valid = (targets >= 0).any(-1).astype(jnp.float32)
    return (-jnp.log(hit + 1e-6) * valid).sum(-1) / jnp.maximum(valid.sum(-1), 1.0)


def _pointer_loss(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """B: -log sum_c w_c P(c) over the target cells c, each weighted by how right it is (0 < w <= 1).

    With every weight 1 this is -log P(any target cell) = logsumexp(all) - logsumexp(target cells).
    """
    w = targets.astype(jnp.float32)
    on_target = jnp.where(w > 0, logits + jnp.log(jnp.maximum(w, 1e-6)), -1e9)
    return jax.nn.logsumexp(logits, -1) - jax.nn.logsumexp(on_target, -1)


def _balanced_bce(logits: jax.Array, targets: jax.Array, hard: jax.Array) -> jax.Array:
    """B: mean BCE over positive cells, over the negatives in ``hard`` (BG bool) and over the rest.

    Most cells are negative, so each group gets its own mean. The hard ones, the cells of words the
    task does not mention, are few against the empty background; averaged in with it they went
    unlearned (measured on checkbox drills: 86% of unasked names scored as asked while
    the loss read 0.08). On its own this moved the match from "every name asked" to "none asked";
    telling names apart took the pair-by-pair loss below.
    """
    pos = targets.astype(jnp.float32)
    bce = optax.sigmoid_binary_cross_entropy(logits, pos)
    mean = lambda w: (bce * w).sum(-1) / jnp.maximum(w.sum(-1), 1.0)  # noqa: E731
    hard_neg = hard.astype(jnp.float32) * (1.0 - pos)
    return mean(pos) + mean(hard_neg) + mean((1.0 - pos) * (1.0 - hard_neg))


def _ticked_loss(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """B: BCE of "ticked" averaged over the cells of tick boxes (targets 0 or 1; -1 elsewhere)."""
    valid = (targets >= 0).astype(jnp.float32)
    bce = optax.sigmoid_binary_cross_entropy(logits, (targets > 0).astype(jnp.float32))
    return (bce * valid).sum(-1) / jnp.maximum(valid.sum(-1), 1.0)


def _marks_loss(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """B: balanced BCE of "a value's column is here" per 4-px half (BGI; targets 1 mark, 2 slider, 0).

    The marks are few; the rest of a slider's rows (its track and thumb) are the negatives that
    tell a mark apart, the empty background the easy ones: each group gets its own mean.
    """
    b = logits.shape[0]
    flat = targets.reshape(b, -1)
    return _balanced_bce(logits.reshape(b, -1), flat == 1, flat == 2)


def _word_pairs(cell_word_id: jax.Array, task_word_id: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(BG word ids of cells, BT of task bytes) -> BGT: the pair is one word; the pair is judged.

    A pair is judged where the cell shows a word (id >= 0, 0: one the task does not mention) and the
    byte is part of a task word (id > 0).
    """
    same = cell_word_id[:, :, None] == task_word_id[:, None, :]
    valid = (cell_word_id >= 0)[:, :, None] & (task_word_id > 0)[:, None, :]
    return same, valid


def _word_alignment(sim: jax.Array, cell_word_id: jax.Array, task_word_id: jax.Array) -> jax.Array:
    """B: balanced BCE of every (word cell, task-word byte) pair: high where the cell shows that word.

    The dense form of "is this word one the task mentions": each pair of a word on screen and a word
    in the task is its own example, so the reader must tell one random name from another, not just
    asked words from everything else. (Trained only through its log-sum-exp over the task, the
    match scored every checkbox name alike, asked or not.)
    """
    same, valid = _word_pairs(cell_word_id, task_word_id)
    bce = optax.sigmoid_binary_cross_entropy(sim, same.astype(jnp.float32))
    mean = lambda w: (bce * w).sum((1, 2)) / jnp.maximum(w.sum((1, 2)), 1.0)  # noqa: E731
    return mean((same & valid).astype(jnp.float32)) + mean((~same & valid).astype(jnp.float32))


def _confident_mismatches(sim: jax.Array, cell_word_id: jax.Array, task_word_id: jax.Array) -> jax.Array:
    """B: BCE of the mismatched (word cell, task-word byte) pairs, each weighted by its probability.

    The weight, how sure the match is that the pair is the same word, is held fixed. Averaged over
    every mismatched pair, as ``_word_alignment`` does, a lookalike label's pairs are a few among
    hundreds that are already far apart, so the match can go on taking 'move' for the task's 'omega'
    at little cost; weighted by how sure the match is, those few are the loss.
    """
    same, valid = _word_pairs(cell_word_id, task_word_id)
    wrong = (~same & valid).astype(jnp.float32) * jax.lax.stop_gradient(jax.nn.sigmoid(sim))
    bce = optax.sigmoid_binary_cross_entropy(sim, jnp.zeros_like(sim))
    return (bce * wrong).sum((1, 2)) / jnp.maximum(wrong.sum((1, 2)), 1.0)


# ------------------------------------------------------------------------ the common kinds of head
def _class_head(name: str, shape: str, *, masked: bool = True) -> Head:
    """One categorical choice (action type, key, scroll class): cross-entropy, right when equal."""
    return Head(
        name,
        outputs={name: shape},
        targets=(name,),
        loss=lambda out, batch: _xent(out[name], batch[name]),
        masked=masked,
        decode=lambda out, pick: {name: pick(out[name])},
        metric=lambda pred, batch: pred[name] == batch[name],
    )


def _cell_head(name: str) -> Head:
    """A point as one of the G cells; any target cell is right (every cell of the target box)."""
    take = lambda m, i: jnp.take_along_axis(m, i[:, None], -1)[:, 0]  # noqa: E731
    return Head(
        name,
        outputs={name: "BG"},
        targets=(name,),
        loss=lambda out, batch: _pointer_loss(out[name], batch[name]),
        decode=lambda out, pick: {name: pick(out[name])},
        metric=lambda pred, batch: take(batch[name], pred[name]) > 0,
    )


def _text_loss(logp: jax.Array, target: jax.Array) -> jax.Array:
    """B: mean -log P(byte) over the written bytes, ``END`` included (``PAD`` after it is not written)."""
    valid = (target != PAD).astype(jnp.float32)
    nll = -jnp.take_along_axis(logp, target[..., None].astype(jnp.int32), -1)[..., 0]
    return (nll * valid).sum(-1) / jnp.maximum(valid.sum(-1), 1.0)


def _text_right(pred: Arrays, batch: Arrays) -> jax.Array:
    """B: every written byte right, up to ``END``: the text typed is exactly the target."""
    target = batch["text"]
    return ((pred["text"] == target) | (target == PAD)).all(-1)


def _decode_span(out: Arrays, pick: Pick) -> dict[str, jax.Array]:
    """The start, then the end among positions at or after it."""
    start = pick(out["span_start"])
    positions = jnp.arange(out["span_end"].shape[-1])
    end_logits = jnp.where(positions[None] >= start[:, None], out["span_end"], -1e9)
    return {"span_start": start, "span_end": pick(end_logits)}


# -------------------------------------------------------------------------------------- the table
HEADS: tuple[Head, ...] = (
    _class_head("type", "BA", masked=False),  # every example has an action type
    _cell_head("pointer"),  # where a click, scroll or drag starts
    _cell_head("pointer2"),  # where a drag ends
    _class_head("key", "BV"),  # which key combination (``envs.actions.KEY_COMBOS``)
    Head(  # the text to type, copied from the task: its first and last byte
        "span",
        outputs={"span_start": "BT", "span_end": "BT"},
        targets=("span_start", "span_end"),
        loss=lambda out, b: _xent(out["span_start"], b["span_start"]) + _xent(out["span_end"], b["span_end"]),
        decode=_decode_span,
        metric=lambda pred, b: (pred["span_start"] == b["span_start"]) & (pred["span_end"] == b["span_end"]),
    ),
    _class_head("scroll", "BR"),  # how far and which way to scroll, as a class
    # The reading losses: they teach the screen reader to read and are not decoded.
    Head(  # the letter set of the clicked element's label, from the pointer's query
        "letters",
        outputs={"letters": "BZ"},
        targets=("letters",),
        loss=lambda out, batch: _letters_bce(out["letters"], batch["letters"]),
        aux=True,
    ),
    Head(  # each cell's letter set (the label under it)
        "cell_letters",
        outputs={"cell_letters": "BGZ"},
        targets=("cell_letters",),
        loss=lambda out, batch: _letters_bce(out["cell_letters"], batch["cell_letters"]).mean(-1),
        aux=True,
    ),
    Head(  # per cell: is the word under it one the task mentions
        "cell_match",
        outputs={"cell_match": "BG"},
        targets=("cell_match", "cell_word_id"),
        loss=lambda out, batch: _balanced_bce(
            out["cell_match"], batch["cell_match"], batch["cell_word_id"] >= 0
        ),
        aux=True,
    ),
    Head(  # per (cell, task byte): does the cell show the task word at that byte
        "word_align",
        outputs={"word_sim": "BGT"},
        targets=("cell_word_id", "task_word_id"),
        loss=lambda out, batch: _word_alignment(
            out["word_sim"], batch["cell_word_id"], batch["task_word_id"]
        ),
        aux=True,
    ),
    Head(  # the same pairs' confident mismatches alone, weighted by ``train.align_hard`` (0: off)
        "word_align_hard",
        outputs={"word_sim": "BGT"},
        targets=("cell_word_id", "task_word_id"),
        loss=lambda out, batch: _confident_mismatches(
            out["word_sim"], batch["cell_word_id"], batch["task_word_id"]
        ),
        aux=True,
    ),
    Head(  # the glyph at each 4-px column of a word: letters read one at a time, where they are
        "cell_glyphs",
        outputs={"cell_glyphs": "BGIJ"},
        targets=("cell_glyphs",),
        loss=lambda out, batch: _glyph_loss(out["cell_glyphs"], batch["cell_glyphs"]),
        aux=True,
    ),
    Head(  # per cell of a tick box: is it ticked (the renderer knows; cells of other things untrained)
        "cell_ticked",
        outputs={"cell_ticked": "BG"},
        targets=("cell_ticked",),
        loss=lambda out, batch: _ticked_loss(out["cell_ticked"], batch["cell_ticked"]),
        aux=True,
    ),
    Head(  # per 4-px half: is a slider value's column here (the renderer knows each value's column)
        "cell_marks",
        outputs={"cell_marks": "BGI"},
        targets=("cell_marks",),
        loss=lambda out, batch: _marks_loss(out["cell_marks"], batch["cell_marks"]),
        aux=True,
    ),
    Head(  # the typed text written byte by byte, each copied from the task or generated
        "text",
        outputs={"text": "BLv"},
        targets=("text",),
        loss=lambda out, batch: _text_loss(out["text"], batch["text"]),
        decode=lambda out, pick: {"text": pick(out["text"])},
        metric=_text_right,
    ),
    Head(  # the same glyphs read exactly, case and digits kept: what the writer copies from the page
        "cell_chars",
        outputs={"cell_chars": "BGIc"},
        targets=("cell_chars",),
        loss=lambda out, batch: _glyph_loss(out["cell_chars"], batch["cell_chars"]),
        aux=True,
    ),
    Head(  # where each written byte is drawn on the page, for the writer's look (the screen copy)
        "text_look",
        outputs={"text_look": "BLh"},
        targets=("text_look",),
        loss=lambda out, batch: _look_loss(out["text_look"], batch["text_look"]),
        aux=True,
    ),
)
SCORED = tuple(h for h in HEADS if h.metric is not None)  # validation reports ``<name>_acc`` for these
AUX = tuple(h.name for h in HEADS if h.aux)
