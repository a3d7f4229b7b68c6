"""Trajectories -> fixed-shape training examples (numpy only); ``policies.sources`` serves them in batches.

One example per step: the screenshot the actor saw, the task bytes, the last K actions and the step
counter (inputs), and per head a target and a 0/1 weight saying whether the head is trained on it
(targets). Renderer annotations (``step.annotations["elements"]``) give the dense targets the
reader needs to learn to read: every cell of the target element counts as a correct click (and of
every other box in ``annotations["targets"]`` where a step has several right clicks; the cell the
demonstrator clicked weighs 1 in the loss, the others ``model.pointer_tie``); each cell gets
the letter set of the label under it and whether the word under it is one the task mentions
(``cell_match``); each 4-px column of a word gets the glyph whose centre lies in it (``cell_glyphs``,
placed by the font's advances within the word's box: ``policies.reading_targets``), and a typed
text drawn on the page gets, per byte, the halves where it is drawn (``text_look``). Word ids pair
screen words with task words: ``task_word_id`` numbers each distinct task word on its bytes (0
between words), ``cell_word_id`` gives each cell the id of the word drawn on it (0 for a word the
task does not mention, -1 for no word); every cell of a tick box gets its caption's word, as it gets
its tick. Steps without annotations (human recordings) get those auxiliary losses masked and the
click target falls back to the one cell under the point.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from deskpilot.collectors.schema import K_SLIP
from deskpilot.collectors.trajectory import Trajectory
from deskpilot.envs.actions import Action, ActionType
from deskpilot.policies.config import ModelConfig
from deskpilot.policies.heads import HEADS
from deskpilot.policies.pointing import (
    EMPTY_SLOT,
    POINTER_TYPES,
    cell_centres,
    history_type,
    point_to_cell,
)
from deskpilot.policies.reading_targets import (
    LOOK_ROWS,
    glyph_places,
    glyph_targets,
    letter_bits,
    look_targets,
    mark_targets,
)
from deskpilot.policies.text_decoder import text_targets
from deskpilot.policies.tokenizer import NUM_SPECIALS, PUNCTUATION, SPAN, encode, encode_padded

__all__ = [
    "ArrayDataset",
    "encode_inputs",
    "encode_targets",
    "split_by_episode",
    "trajectory_to_examples",
]

Example = dict[str, np.ndarray]


def _word(token: str) -> str:
    """A whitespace-separated token as a word: quotes and punctuation around it removed, case-folded."""
    return token.strip(PUNCTUATION).lower()


def words(text: str) -> set[str]:
    """The words of ``text``, case-folded, with quotes and punctuation around them removed."""
    return {w for w in map(_word, text.split()) if w}


def _inside(box: Sequence[float], x: np.ndarray | float, y: np.ndarray | float) -> Any:
    x0, y0, x1, y1 = box
    return (x >= x0) & (x < x1) & (y >= y0) & (y < y1)


# ----------------------------------------------------------------------------------------- inputs
def encode_history(history: Sequence[Action], cfg: ModelConfig) -> Example:
    """The last K actions, oldest first and right-aligned (slot K-1 is the latest), zero-padded."""
    k, lt = cfg.history_len, cfg.history_text_len
    out = {
        "hist_type": np.full(k, EMPTY_SLOT, np.int32),
        "hist_xy": np.zeros((k, 4), np.float32),
        "hist_key": np.zeros(k, np.int32),
        "hist_scroll": np.zeros(k, np.int32),
        "hist_text": np.zeros((k, lt), np.int32),
    }
    recent = list(history)[-k:]
    for slot, action in zip(range(k - len(recent), k), recent, strict=True):
        sample = action.to_space_sample()
        out["hist_type"][slot] = history_type(action.type)
        out["hist_xy"][slot] = [*sample["point"], *sample["end"]]
        if action.key is not None:
            out["hist_key"][slot] = sample["key"] + 1
        if action.scroll is not None:
            out["hist_scroll"][slot] = sample["scroll"] + 1
        if action.text is not None:
            out["hist_text"][slot] = encode_padded(action.text, lt)[0]
    return out


def encode_inputs(
    screenshot: np.ndarray, task: str, history: Sequence[Action], step: int, cfg: ModelConfig
) -> Example:
    """Model inputs for one decision (the policy actor calls this too)."""
    if screenshot.shape != (*cfg.obs_size, 3) or screenshot.dtype != np.uint8:
        raise ValueError(
            f"screenshot: the model expects uint8 {(*cfg.obs_size, 3)}, got {screenshot.dtype} {screenshot.shape}"
        )
    ids, mask = encode_padded(task, cfg.task_len)
    return {
        "screen": screenshot,
        "task": ids,
        "task_mask": mask,
        "step": np.asarray(step, np.int32),
        **encode_history(history, cfg),
    }


# ---------------------------------------------------------------------------------------- targets
def _task_bytes(task_ids: np.ndarray) -> bytes:
    return bytes(int(i) - NUM_SPECIALS for i in task_ids if i >= NUM_SPECIALS)


def _task_text(task_ids: np.ndarray) -> str:
    return _task_bytes(task_ids).decode("utf-8", errors="ignore")


def task_word_ids(task_ids: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """(T int16: the id of the task word each byte is part of, 0 between words; word -> id).

    Words as ``words`` cuts them (case-folded, punctuation stripped); ids from 1 in order of first
    appearance, the same id wherever a word repeats.
    """
    text = _task_text(task_ids)
    ids = np.zeros(len(task_ids), np.int16)
    vocab: dict[str, int] = {}
    for m in re.finditer(r"\S+", text):
        word = _word(m.group())
        if not word:
            continue
        token = m.group()
        start = len(text[: m.start() + len(token) - len(token.lstrip(PUNCTUATION))].encode())
        end = start + len(token.strip(PUNCTUATION).encode())  # bytes of the word as written
        ids[start:end] = vocab.setdefault(word, len(vocab) + 1)
    return ids, vocab


def _mentioned_word(label: str, vocab: dict[str, int]) -> int:
    """The id of the first (alphabetically) of ``label``'s words the task mentions; 0 for none."""
    mentioned = [vocab[w] for w in sorted(words(label)) if w in vocab]
    return mentioned[0] if mentioned else 0


def _text_span(text: str, task_ids: np.ndarray) -> tuple[int, int] | None:
    """Token positions (start, end inclusive) of ``text`` in the task, preferring a quoted copy."""
    task = _task_bytes(task_ids)
    data = text.encode("utf-8")
    for quote in (b"'", b'"', b""):
        at = task.find(quote + data + quote)
        if at >= 0:
            start = at + len(quote)
            return start, start + len(data) - 1
    return None


def _box_cells(box: Sequence[float], centres: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """G bool: the cells whose centres lie in ``box``.

    A box smaller than a cell (a word's tight ink box, a tiny checkbox) still names the cell under
    its centre; otherwise its letters would teach the reader nothing.
    """
    inside = _inside(box, centres[:, 0], centres[:, 1])
    if not inside.any():
        x0, y0, x1, y1 = box
        inside[point_to_cell((x0 + x1) / 2, (y0 + y1) / 2, cfg)] = True
    return np.asarray(inside, bool)


def _pointer_target(
    x: float, y: float, elements: list[dict[str, Any]] | None, top: np.ndarray | None, cfg: ModelConfig
) -> tuple[np.ndarray, int]:
    """(G bool target cells, index of the target element or -1) for an action at (x, y)."""
    cells = np.zeros(cfg.num_cells, bool)
    target = -1
    if elements is not None and top is not None:
        hits = [i for i, e in enumerate(elements) if _inside(e["box"], x, y)]
        target = hits[-1] if hits else -1  # paint order: the last hit is on top
        if target >= 0:
            cells = top == target
    if not cells.any():
        cells[point_to_cell(x, y, cfg)] = True
    return cells, target


def encode_targets(
    action: Action, annotations: dict[str, Any], task_ids: np.ndarray, cfg: ModelConfig
) -> Example:
    """Every head's targets and 0/1 weight ``w_<head>`` for ``action`` (heads as in ``policies.heads``)."""
    g = cfg.num_cells
    elements = annotations.get("elements")
    top = None
    centres = cell_centres(cfg)
    cell_letters = np.zeros(g, np.uint32)
    cell_match = np.zeros(g, bool)
    task_word_id, vocab = task_word_ids(task_ids)
    cell_word_id = np.full(g, -1, np.int16)
    cell_glyphs = np.full((g, 2), -1, np.int8)  # -1: not in a word, not trained
    cell_chars = np.full((g, 2), -1, np.int8)  # the same glyphs' exact classes
    cell_ticked = np.full(g, -1, np.int8)  # 1/0 on a tick box's cells, -1 elsewhere (not trained)
    cell_marks = np.zeros((g, 2), np.int8)  # per 4-px half: 1 a slider value's column, 2 a slider, 0 not
    words = []  # the glyphs of the page's words, in page order, and where each is drawn
    if elements is not None:
        top = np.full(g, -1)
        for i, e in enumerate(elements):
            inside = _box_cells(e["box"], centres, cfg)
            top[inside] = i
            cell_letters[inside] = letter_bits(e.get("label", ""))
            if "checked" in e:
                cell_ticked[inside] = int(bool(e["checked"]))
                # A tick box's whole box carries its caption's word, as it carries its tick: the
                # pointer's "named xor ticked" is read cell by cell, so both readings must hold on
                # the same cells (the square's cells were background to the match, the caption's to
                # nothing but the tick head's reach).
                word_id = _mentioned_word(e.get("label", ""), vocab)
                cell_word_id[inside] = word_id
                cell_match[inside] = word_id > 0
            if "values" in e:
                mark_targets(e["box"], e["values"], centres, cell_marks, cfg)
            if e.get("role") == "text":
                words.append(glyph_places(e["box"], e.get("label", ""), inside, cfg))
                glyph_targets(words[-1], inside, cell_glyphs, cell_chars)
                word_id = _mentioned_word(e.get("label", ""), vocab)
                cell_word_id[inside] = word_id
                cell_match[inside] |= word_id > 0
    sample = action.to_space_sample()
    out: Example = {
        "type": np.asarray(int(action.type), np.int32),
        "pointer": np.zeros(g, np.float16),
        "pointer2": np.zeros(g, bool),
        "span_start": np.asarray(0, np.int32),
        "span_end": np.asarray(0, np.int32),
        "key": np.asarray(sample["key"], np.int32),
        "scroll": np.asarray(sample["scroll"], np.int32),
        "letters": np.asarray(0, np.uint32),
        "cell_letters": cell_letters,
        "cell_match": cell_match,
        "cell_word_id": cell_word_id,
        "cell_glyphs": cell_glyphs,
        "cell_chars": cell_chars,
        "cell_ticked": cell_ticked,
        "cell_marks": cell_marks,
        "task_word_id": task_word_id,
        "text": np.zeros(cfg.typed_len, np.int32),
        "text_look": np.full((cfg.typed_len, LOOK_ROWS), -1, np.int16),
    }
    w = {head.name: 0.0 for head in HEADS if head.masked}
    # The reading heads learn from the renderer's annotations; without them there is nothing to read.
    w["cell_letters"] = w["cell_match"] = w["word_align"] = w["word_align_hard"] = float(elements is not None)
    w["cell_glyphs"] = w["cell_chars"] = float((cell_glyphs >= 0).any())  # a screen with words on it
    w["cell_ticked"] = float((cell_ticked >= 0).any())  # a screen with tick boxes on it
    w["cell_marks"] = float(elements is not None)  # no slider on screen: no marks anywhere
    if action.type in POINTER_TYPES:
        assert action.x is not None and action.y is not None
        cells, target = _pointer_target(action.x, action.y, elements, top, cfg)
        for box in annotations.get("targets") or ():  # other clicks that are just as right
            cells |= _box_cells(box, centres, cfg)
        # Each target cell's weight in the pointer's loss: the demonstrated one 1, the rest pointer_tie.
        out["pointer"] = cells * np.float16(cfg.pointer_tie)
        clicked = point_to_cell(action.x, action.y, cfg)
        out["pointer"][clicked] = np.float16(cells[clicked])
        w["pointer"] = 1.0
        if target >= 0 and elements is not None:
            out["letters"] = np.asarray(letter_bits(elements[target].get("label", "")), np.uint32)
            w["letters"] = 1.0
    if action.type is ActionType.DRAG:
        # A drag ends at a position, not on an element: a slider's value is where the thumb drops.
        assert action.x2 is not None and action.y2 is not None
        out["pointer2"][point_to_cell(action.x2, action.y2, cfg)] = True
        w["pointer2"] = 1.0
    if action.type is ActionType.TYPE:
        span = _text_span(action.text or "", task_ids)
        if span is not None:  # the span head copies; text the task does not contain it cannot type
            out["span_start"], out["span_end"] = (np.asarray(v, np.int32) for v in span)
            w["span"] = 1.0
        if cfg.typed_len:  # the writer defers to the span head, or writes up to typed_len - 1 bytes
            written, fits = text_targets(
                [SPAN] if span is not None else encode(action.text or ""), cfg.typed_len
            )
            out["text"] = np.asarray(written, np.int32)
            w["text"] = float(fits)
            if span is None and fits:  # written bytes: where the page shows them, the writer looks
                out["text_look"] = look_targets(action.text or "", words, cfg.typed_len)
                w["text_look"] = float((out["text_look"] >= 0).any())
    w["key"] = float(action.type is ActionType.KEY)
    w["scroll"] = float(action.type is ActionType.SCROLL)
    out.update({head.weight: np.asarray(w.pop(head.name), np.float32) for head in HEADS if head.masked})
    assert not w, f"weights set for heads policies.heads does not declare: {sorted(w)}"
    return out


def trajectory_to_examples(trajectory: Trajectory, cfg: ModelConfig) -> Example:
    """One example per step (a slip's step: none), stacked: every array gets a leading axis."""
    if tuple(trajectory.meta.obs_size) != tuple(cfg.obs_size):
        raise ValueError(
            f"trajectory {trajectory.meta.env_id or trajectory.task!r}: obs_size {trajectory.meta.obs_size} "
            f"does not match the model's {cfg.obs_size}"
        )
    rows = []
    history: list[Action] = []
    for i, step in enumerate(trajectory.steps):
        if not step.annotations.get(K_SLIP):  # a deliberate miss is history, not a target
            inputs = encode_inputs(step.screenshot, trajectory.task, history, i, cfg)
            rows.append({**inputs, **encode_targets(step.action, step.annotations, inputs["task"], cfg)})
        history.append(step.action)
    if not rows:
        return {}
    return {k: np.stack([r[k] for r in rows]) for k in rows[0]}


# ---------------------------------------------------------------------------------------- datasets
@dataclasses.dataclass
class ArrayDataset:
    """Examples in memory.

    ``arrays[name]`` has a leading example axis; ``tasks[i]`` names example i's env id (or task
    text) for per-task metrics.
    """

    arrays: Example
    tasks: list[str]
    episode_lengths: np.ndarray | None = None  # per example, the number of steps of its episode

    def __len__(self) -> int:
        return len(self.tasks)

    @classmethod
    def from_trajectories(cls, trajectories: Iterable[Trajectory], cfg: ModelConfig) -> ArrayDataset:
        """Convert and concatenate; episodes without steps are skipped."""
        parts, tasks, lengths = [], [], []
        for t in trajectories:
            ex = trajectory_to_examples(t, cfg)
            if ex:
                parts.append(ex)
                n = len(ex["type"])
                tasks += [t.meta.env_id or t.task] * n
                lengths += [n] * n
        if not parts:
            raise ValueError("no examples: every trajectory given was empty")
        arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        return cls(arrays, tasks, np.asarray(lengths, np.int64))

    def untypeable(self) -> tuple[int, int]:
        """(TYPE examples, those of them that no head can type): text not in the task and not writable."""
        typed = self.arrays["type"] == int(ActionType.TYPE)
        lost = typed & (self.arrays["w_span"] == 0) & (self.arrays["w_text"] == 0)
        return int(typed.sum()), int(lost.sum())

    def take(self, idx: np.ndarray) -> Example:
        """A batch of the examples at ``idx``."""
        return {k: v[idx] for k, v in self.arrays.items()}

    def eval_batches(self, batch_size: int) -> Iterator[tuple[Example, np.ndarray]]:
        """Every example once, in order, as ``(batch, indices)``.

        The last batch is padded by repeating example 0; only its first ``len(indices)`` rows count.
        """
        for lo in range(0, len(self), batch_size):
            idx = np.arange(lo, min(lo + batch_size, len(self)))
            yield self.take(np.concatenate([idx, np.zeros(batch_size - len(idx), int)])), idx


def split_by_episode(
    trajectories: Sequence[Trajectory], val_fraction: float, seed: int
) -> tuple[list[Trajectory], list[Trajectory]]:
    """Seeded split of whole episodes into (train, validation).

    Validation gets at least one episode when ``val_fraction > 0`` and there are two or more.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction: expected a float in [0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(len(trajectories))
    n_val = int(round(val_fraction * len(trajectories)))
    if val_fraction > 0 and len(trajectories) > 1:
        n_val = max(n_val, 1)
    return [trajectories[i] for i in order[n_val:]], [trajectories[i] for i in order[:n_val]]
