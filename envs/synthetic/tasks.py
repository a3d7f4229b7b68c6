"""Task families of the synthetic suite: the base class, label vocabulary and layout helpers.

A task builds its widgets into a :class:`~envs.synthetic.scene.Scene` from the env's random
generator, writes the instruction, and after every step judges the events the step caused:
``True`` (success, episode ends), ``False`` (failure, episode ends) or ``None`` (go on). Families
register themselves in :data:`FAMILIES` with the :func:`family` decorator.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.synthetic.paint import Box, text_size
from deskpilot.envs.synthetic.scene import Event, Scene
from deskpilot.envs.synthetic.widgets import Button, Text, Widget

__all__ = ["FAMILIES", "Task", "family", "labels", "scatter"]

_WORD_TEXT = """
    ok cancel submit save open close next back send apply reset edit copy paste print share help
    search home start stop play pause yes no accept delete rename move new view undo redo zoom
    apple kiwi mango lemon grape peach plum melon cherry berry olive onion carrot pepper tomato
    river ocean forest desert island valley meadow canyon glacier harbor garden castle bridge tower
    red blue green yellow purple orange black white silver golden amber violet coral
    report budget invoice notes draft memo photo music video letter resume agenda slides ticket
    alpha delta gamma sigma omega zeta nova orbit comet planet rocket quartz pixel vector matrix
    tiger eagle otter panda zebra koala falcon badger lynx bison heron moose raven whale
"""
WORDS: tuple[str, ...] = tuple(_WORD_TEXT.split())
"""A small word list; half of all labels are random letter strings instead (open vocabulary)."""


def labels(rng: np.random.Generator, n: int, words: tuple[str, ...] = WORDS, max_len: int = 7) -> list[str]:
    """``n`` distinct labels: each from ``words`` or a random letter string, with equal odds."""
    out: list[str] = []
    while len(out) < n:
        if rng.random() < 0.5:
            word = str(words[int(rng.integers(len(words)))])
        else:
            length = int(rng.integers(3, max_len + 1))
            word = "".join(string.ascii_lowercase[i] for i in rng.integers(0, 26, size=length))
        word = word[:max_len]
        if rng.random() < 0.3:
            word = word.capitalize()
        if word.lower() not in (w.lower() for w in out):
            out.append(word)
    return out


def pick(rng: np.random.Generator, options: list[Any] | tuple[Any, ...]) -> Any:
    """One element of ``options``."""
    return options[int(rng.integers(len(options)))]


def scatter(
    rng: np.random.Generator,
    area: Box,
    sizes: list[tuple[int, int]],
    avoid: list[Box] | None = None,
    gap: int = 3,
) -> list[Box] | None:
    """Random non-overlapping boxes of the given ``(w, h)`` sizes inside ``area`` (``None`` if no fit)."""
    taken = list(avoid or [])
    out: list[Box] = []
    x0, y0, x1, y1 = area
    for w, h in sizes:
        if w > x1 - x0 or h > y1 - y0:
            return None
        for _ in range(60):
            x = int(rng.integers(x0, x1 - w + 1))
            y = int(rng.integers(y0, y1 - h + 1))
            box = (x, y, x + w, y + h)
            if all(
                x + w + gap <= t[0] or t[2] + gap <= x or y + h + gap <= t[1] or t[3] + gap <= y
                for t in taken
            ):
                break
        else:
            return None
        taken.append(box)
        out.append(box)
    return out


class Task:
    """Base class of a task family.

    Args:
        scene: The empty scene to build into.
        rng: The env's generator (all randomness comes from it).
        options: Values for the family's ``option_names`` (shares of its episodes drawn one way or
            another), replacing their class defaults for this episode; see ``check_options``.
    """

    name: ClassVar[str] = ""
    max_steps: ClassVar[int] = 8  # truncation limit; the expert needs far fewer
    # Names of class attributes that are shares in [0, 1] a caller may set per env (training can
    # show a rare case more often than the task's own distribution, which evaluation keeps).
    option_names: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, scene: Scene, rng: np.random.Generator, options: Mapping[str, float] | None = None
    ) -> None:
        self.scene = scene
        self.rng = rng
        self.goal: dict[str, Any] = {}
        for key, value in self.check_options(options or {}).items():
            setattr(self, key, value)
        self.instruction = self.build()

    @classmethod
    def check_options(cls, options: Mapping[str, float]) -> dict[str, float]:
        """``options`` as floats, or a ``ValueError`` naming the family and what it takes."""
        out = {}
        for key, value in options.items():
            if key not in cls.option_names:
                raise ValueError(
                    f"task_options[{cls.name!r}]: unknown option {key!r}; it takes {cls.option_names}"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"task_options[{cls.name!r}][{key!r}]: expected a share in [0, 1], got {value!r}"
                )
            out[key] = float(value)
        return out

    @property
    def size(self) -> int:
        """Font size of the episode."""
        return self.scene.theme.size

    def line_height(self) -> int:
        """Height of a line of text."""
        return text_size("Ag", self.size)[1]

    def button_size(self, label: str) -> tuple[int, int]:
        """Pixel size of a button fitting ``label``."""
        w, h = text_size(label, self.size)
        return w + 10 + int(self.rng.integers(0, 7)), h + 5 + int(self.rng.integers(0, 3))

    def add_buttons(
        self, names: list[str], area: Box | None = None, avoid: list[Box] | None = None
    ) -> list[Button]:
        """Scatter buttons labelled ``names`` over ``area`` (default: the content area)."""
        sizes = [self.button_size(n) for n in names]
        boxes = scatter(self.rng, area or self.scene.content, sizes, avoid)
        if boxes is None:
            raise _Retry
        return [self.scene.add(Button(b, n)) for b, n in zip(boxes, names, strict=True)]  # type: ignore[misc]

    def caption(self, x: int, y: int, text: str) -> Widget:
        """Static text at ``(x, y)``."""
        w, h = text_size(text, self.size)
        return self.scene.add(Text((x, y, x + w, y + h), text))

    # ------------------------------------------------------------------ to override
    def build(self) -> str:
        """Add widgets, set ``self.goal``, return the instruction."""
        raise NotImplementedError

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Success (``True``), failure (``False``) or undecided (``None``) after a step."""
        return None

    def satisfied(self) -> bool:
        """Whether the goal holds now; a DONE action succeeds exactly when it does."""
        return False

    def verdict(self, events: list[Event], action: Action) -> bool | None:
        """Judge a step, treating DONE uniformly."""
        if action.type is ActionType.DONE:
            return self.satisfied()
        return self.judge(events, action)


class _Retry(Exception):
    """Raised by ``build`` when a random layout did not fit; the env draws again."""


Retry = _Retry
FAMILIES: dict[str, type[Task]] = {}
"""Task families by name (``click-button`` for env id ``deskpilot/mock-click-button-v0``)."""


def family(name: str) -> Callable[[type[Task]], type[Task]]:
    """Class decorator registering a task family under ``name``."""

    def register(cls: type[Task]) -> type[Task]:
        cls.name = name
        FAMILIES[name] = cls
        return cls

    return register


def clicked(events: list[Event], role: str | None = None) -> Widget | None:
    """The widget a step clicked (``role`` filters), if any."""
    for kind, widget, _ in events:
        if kind == "click" and widget is not None and (role is None or widget.role == role):
            return widget
    return None
