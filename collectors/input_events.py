"""The raw input events the recorder hears and ``collectors.folding`` folds into actions.

Plain frozen records, one per kind of input (a key, a mouse button, a pointer move, wheel ticks),
each stamped with monotonic seconds: the interface between the ``pynput`` side
(``collectors.recorder``, which builds them) and the pure folding logic (``collectors.folding``,
which consumes them), kept apart from both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Literal

__all__ = ["ButtonEvent", "KeyEvent", "MoveEvent", "RawEvent", "ScrollEvent"]


@dataclasses.dataclass(frozen=True, slots=True)
class KeyEvent:
    """A key went down or up."""

    code: Hashable  # identity of the physical key (X keycode); pairs a release with its press
    name: str  # key name: a character key's base name ("a", "1"), "enter", "f9", "ctrl", "shift", ...
    char: str | None  # character the press produced ("A" with shift held), None for non-text keys
    pressed: bool  # True on press, False on release
    time: float  # monotonic seconds


@dataclasses.dataclass(frozen=True, slots=True)
class ButtonEvent:
    """A mouse button went down or up at root pixel ``(x, y)``."""

    x: int
    y: int
    button: Literal["left", "right", "middle"]
    pressed: bool
    time: float


@dataclasses.dataclass(frozen=True, slots=True)
class MoveEvent:
    """The pointer moved to root pixel ``(x, y)``."""

    x: int
    y: int
    time: float


@dataclasses.dataclass(frozen=True, slots=True)
class ScrollEvent:
    """Wheel ticks at root pixel ``(x, y)``; positive ``ticks`` scroll down, as in ``Action``."""

    x: int
    y: int
    ticks: int
    time: float


RawEvent = KeyEvent | ButtonEvent | MoveEvent | ScrollEvent
