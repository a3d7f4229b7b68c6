"""What a MiniWoB task kit is, and the page-reading helpers every kit shares.

A kit holds one task's rules in one place: how its instruction reads (``parse``, ``instruction``),
what the scripted expert does on a page (``expert``, from the DOM in ``info["dom"]``), how a
recorded episode is rewritten for another instruction (``relabel``) and which other clicks are just
as right (``alternatives``). The expert (``envs.miniwob.expert``), the relabeller
(``collectors.relabel``) and the reading drills (``envs.miniwob.drill_env``) all call the kit.

Two kinds of page description reach a kit. The expert reads the DOM: pixel boxes, a pixel
``point`` that hits the element, ``checked``, ``focused``, ``value``. The relabeller reads what a
trajectory recorded, ``info["elements"]``: normalised boxes, ``label`` and ``role`` only. Rules
that both need take a ``width`` (pixels per unit of the boxes: 1 for the DOM, the observation's
width for normalised boxes) so they are written once for either.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.spaces import ExpertCannotAct

__all__ = [
    "Element",
    "Frame",
    "Relabelled",
    "TaskKit",
    "centre",
    "click",
    "elements_of",
    "fill",
    "find",
    "fixed",
    "inside",
    "nothing",
    "quoted",
    "quoted_parts",
    "read",
]

Element = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Frame:
    """One recorded step as a relabeller sees it."""

    elements: Sequence[Element] | None  # the step's ``annotations["elements"]`` (None: not recorded)
    action: Action  # the action recorded for the step


@dataclasses.dataclass(frozen=True)
class Relabelled:
    """A recorded episode rewritten for another instruction."""

    task: str  # the new instruction
    actions: list[Action]  # per kept frame, the expert's action for ``task``; the copy keeps these frames
    targets: (
        list[list[list[float]]] | None
    )  # per kept frame, every box as right to click (None: only the action's)


# The expert's rule: the instruction and the DOM -> the next action (raises ExpertCannotAct).
Expert = Callable[[str, list[Element]], Action]
# Rewrite an episode (instruction, frames, observation width, rng) for another instruction, or None.
Relabel = Callable[[str, Sequence[Frame], int, np.random.Generator], Relabelled | None]
# Per frame every box as right to click as the recorded action (instruction, frames, width), or None.
Alternatives = Callable[[str, Sequence[Frame], int], list[list[list[float]]] | None]


@dataclasses.dataclass(frozen=True)
class TaskKit:
    """One MiniWoB task's rules; ``envs.miniwob.tasks.KITS`` holds one per task with an expert."""

    task: str  # the MiniWoB task name, e.g. "click-link"
    parse: Callable[[str], Any]  # instruction -> what it asks for (raises ValueError if it cannot tell)
    expert: Expert  # the scripted expert's next action on a page
    instruction: Callable[[Any], str] | None = None  # what to ask for -> instruction (inverse of parse)
    relabel: Relabel | None = None  # hindsight relabelling; None: recorded episodes stay as they are
    alternatives: Alternatives | None = None  # other right clicks; None: the recorded one is the only one

    def __post_init__(self) -> None:
        if self.relabel is not None and self.instruction is None:
            raise ValueError(f"{self.task}: a kit that relabels must also build instructions")


def elements_of(frame: Frame) -> list[Element]:
    """The frame's elements; ``ValueError`` when none were recorded (a human recording)."""
    if frame.elements is None:
        raise ValueError("no element annotations")
    return list(frame.elements)


def nothing(task: str) -> None:
    """``parse`` of a task whose instruction names nothing to tell apart (one button, one field)."""


def read(pattern: str | re.Pattern[str], task: str, kit: str, what: str) -> re.Match[str]:
    """``pattern`` matched against the whole instruction (stripped).

    Raises:
        ValueError: naming the kit, what it looked for and the instruction, when it does not match.
    """
    match = re.fullmatch(pattern, task.strip())
    if match is None:
        raise ValueError(f"{kit}: cannot read {what} from {task!r}")
    return match


def fixed(kit: str, sentence: str) -> Callable[[str], None]:
    """``parse`` of a task whose instruction never varies: it accepts that sentence only."""

    def parse(task: str) -> None:
        if task.strip() != sentence:
            raise ValueError(f"{kit}: expected the instruction {sentence!r}, got {task!r}")

    return parse


def quoted(task: str) -> list[str]:
    """The double-quoted parts of an instruction, in order."""
    return re.findall(r'"([^"]*)"', task)


def quoted_parts(task: str, kit: str, n: int) -> list[str]:
    """The first ``n`` double-quoted parts of an instruction; ``ValueError`` naming the kit if fewer."""
    parts = quoted(task)
    if len(parts) < n:
        raise ValueError(f"{kit}: expected {n} quoted text(s) in the instruction, got {task!r}")
    return parts[:n]


def click(el: Element) -> Action:
    """Click a DOM element at its pixel ``point`` (a point the page says hits it)."""
    px, py = el["point"]
    return Action.click(from_pixel(px, TASK_W), from_pixel(py, TASK_H))


def fill(field: Element, text: str) -> Action | None:
    """The next action that makes ``field`` hold ``text``, or ``None`` once it does."""
    if field["value"] == text:
        return None
    if not field["focused"]:
        return click(field)
    if field["value"]:
        return Action.press("ctrl+a")  # typing then replaces the selection
    return Action.type_text(text)


def find(dom: list[Element], pred: Callable[[Element], bool], what: str) -> Element:
    """The first element of ``dom`` that ``pred`` accepts; ``ExpertCannotAct`` naming ``what`` if none."""
    for el in dom:
        if pred(el):
            return el
    raise ExpertCannotAct(f"expert: no visible {what} on the page")


def centre(box: Sequence[float]) -> tuple[float, float]:
    """The centre of an ``[x0, y0, x1, y1]`` box."""
    x0, y0, x1, y1 = box
    return (x0 + x1) / 2, (y0 + y1) / 2


def inside(box: Sequence[float], x: float, y: float) -> bool:
    """Whether (x, y) lies in the box (ends exclusive)."""
    x0, y0, x1, y1 = box
    return x0 <= x < x1 and y0 <= y < y1
