"""Byte-level tokenizer for task text: UTF-8 bytes plus a few specials, no downloaded vocabulary.

Token ``i`` for ``i >= NUM_SPECIALS`` is the byte ``i - NUM_SPECIALS``, so any Unicode string
round-trips (``decode(encode(s)) == s``) and a span of task tokens decodes to the exact text it
covers, which is how the model types strings it copies from the task ("type 'kiwi'").
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "END",
    "NUM_SPECIALS",
    "PAD",
    "SPAN",
    "PUNCTUATION",
    "VOCAB_SIZE",
    "decode",
    "encode",
    "encode_padded",
]

PAD = 0  # padding; masked out everywhere
END = 1  # ends a text the model writes (``policies.text_decoder``)
SPAN = 2  # written first: "type the task span the span head chose" (text that stands in the task)
NUM_SPECIALS = 4  # 0 pad, 1 end, 2 span, 3 reserved (the model uses learned CLS/SEP vectors, not token ids)
VOCAB_SIZE = NUM_SPECIALS + 256
# Marks stripped from the ends of a task word (quotes around a name, a full stop after it).
PUNCTUATION = "\"'.,:;!?()[]{}"


def encode(text: str) -> list[int]:
    """Token ids of ``text``: its UTF-8 bytes shifted past the specials."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    return [b + NUM_SPECIALS for b in text.encode("utf-8")]


def decode(ids: list[int] | np.ndarray) -> str:
    """Text of token ids; specials are dropped and invalid UTF-8 (a span cut mid-character) is skipped."""
    data = bytes(int(i) - NUM_SPECIALS for i in np.asarray(ids, dtype=np.int64).ravel() if i >= NUM_SPECIALS)
    return data.decode("utf-8", errors="ignore")


def encode_padded(text: str, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ids int32 [length], mask bool [length])`` of ``text``, zero-padded.

    Text longer than ``length`` bytes is cut at a character boundary, so the kept prefix still
    decodes exactly.
    """
    data = text.encode("utf-8")
    if len(data) > length:
        data = data[:length].decode("utf-8", errors="ignore").encode("utf-8")
    ids = np.zeros(length, np.int32)
    ids[: len(data)] = np.frombuffer(data, np.uint8).astype(np.int32) + NUM_SPECIALS
    return ids, ids != PAD
