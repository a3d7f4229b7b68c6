"""The click-checkboxes kit: "Select AB, cd and click Submit." (or "Select nothing ...").

The expert clicks the first box, in page order, whose state is wrong, else Submit. It clicks the
box's name, right of the 13-px square, inside the ``<label>`` that wraps both (which toggles the
box): the pointer target is then the words that say which box it is, instead of a square beside
them. Any box whose state is wrong is as right a next click (``alternatives``).

``relabel`` asks for another set of names and replays the expert on the recorded frames. The policy
sees its own past clicks: past the first step where the new click differs from the recorded one,
the frames show ticks the copy's history did not make (it clicked BB, yet the page shows AA
ticked), and such copies taught re-clicking the box just clicked. A copy keeps the steps its
history agrees with, and the first one that differs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.miniwob.tasks.base import (
    Element,
    Frame,
    Relabelled,
    TaskKit,
    centre,
    click,
    elements_of,
    find,
    inside,
    read,
)

__all__ = ["CLICK_CHECKBOXES", "name_click"]

_INSTRUCTION = re.compile(r"Select (.*) and click Submit\.")


def parse(task: str) -> set[str]:
    """The names to have ticked."""
    match = read(_INSTRUCTION, task, "click-checkboxes", "the checkboxes to select")
    return set() if match.group(1) == "nothing" else {w.strip() for w in match.group(1).split(",")}


def instruction(names: Sequence[str]) -> str:
    """Ask for ``names`` (listed in page order, as MiniWoB lists them)."""
    return f"Select {', '.join(names) if names else 'nothing'} and click Submit."


def name_click(
    box: Element, elements: Sequence[Element], width: float
) -> tuple[float, float, Element] | None:
    """Where the expert clicks to toggle checkbox ``box``: on its name, and the label clicked there.

    ``width`` is pixels per unit of the boxes (1 for DOM pixels, the observation width for
    normalised boxes). None when no ``<label>`` wraps the box with room for a name right of it.
    """
    x0, _, x1, _ = box["box"]
    for lab in elements:
        lx0, ly0, lx1, ly1 = lab["box"]
        wraps = (
            lab["role"] == "label" and lab["label"] == box["label"] and lx0 <= x0 and x1 <= lx1 + 1 / width
        )
        if wraps and (lx1 - x1) * width >= 4:  # the name is drawn to the right of the square
            return (x1 + lx1) / 2, (ly0 + ly1) / 2, lab
    return None


def _wrong(boxes: list[Element], wanted: set[str], ticked: set[str] | None = None) -> list[Element]:
    """The boxes whose state is wrong: ticked per ``ticked`` (names) when given, else per the DOM."""
    on = (lambda b: b["label"] in ticked) if ticked is not None else (lambda b: bool(b["checked"]))
    return [b for b in boxes if on(b) != (b["label"] in wanted)]


def expert(task: str, dom: list[Element]) -> Action:
    """Tick the wanted boxes and untick the others, in page order, then Submit."""
    wanted = parse(task)
    todo = _wrong([e for e in dom if e["role"] == "checkbox"], wanted)
    if todo:
        hit = name_click(todo[0], dom, 1)
        if hit is None:
            return click(todo[0])
        return Action.click(from_pixel(int(hit[0]), TASK_W), from_pixel(int(hit[1]), TASK_H))
    return click(
        find(dom, lambda e: e["role"] == "button" and e["label"].lower() == "submit", "submit button")
    )


def _click_and_box(box: Element, elements: list[Element], width: int) -> tuple[Action, list[float]]:
    """``name_click`` in normalised units (else the square's centre), and the box the click lands on."""
    hit = name_click(box, elements, width)
    if hit is None:
        return Action.click(*centre(box["box"])), list(box["box"])
    return Action.click(hit[0], hit[1]), list(hit[2]["box"])


def _toggled(action: Action, boxes: list[Element], elements: list[Element]) -> str | None:
    """The name of the checkbox a click toggles (on its square or its label), if any."""
    if action.x is None or action.y is None:
        return None
    names = {b["label"] for b in boxes}
    for e in elements:
        if (
            e["role"] in ("checkbox", "label")
            and e["label"] in names
            and inside(e["box"], action.x, action.y)
        ):
            return str(e["label"])
    return None


def _replay(
    frames: Sequence[Frame], names: list[str], wanted: set[str], width: int
) -> tuple[list[Action], list[list[list[float]]], int] | None:
    """Per frame, the expert's click for ``wanted`` and every box as right to click (None: page changed).

    Also how many leading frames the expert's clicks toggle what the recorded clicks toggled. The
    ticks are replayed from the recorded clicks, starting from the first frame's (unticked unless
    its elements say ``checked``).
    """
    checked = {
        str(e["label"]) for e in elements_of(frames[0]) if e["role"] == "checkbox" and e.get("checked")
    }
    actions, targets, agree, agreeing = [], [], 0, True
    for frame in frames:
        elements = elements_of(frame)
        boxes = sorted((e for e in elements if e["role"] == "checkbox"), key=lambda e: e["box"][1])
        submit = [e for e in elements if e["role"] == "button" and e["label"].lower() == "submit"]
        if [b["label"] for b in boxes] != names or len(submit) != 1:
            return None
        todo = [_click_and_box(b, elements, width) for b in _wrong(boxes, wanted, checked)]
        if todo:
            actions.append(todo[0][0])
            targets.append([box for _, box in todo])
        else:
            actions.append(Action.click(*centre(submit[0]["box"])))
            targets.append([list(submit[0]["box"])])
        hit = _toggled(frame.action, boxes, elements)  # what the recorded click did to the page
        agreeing = agreeing and _toggled(actions[-1], boxes, elements) == hit
        agree += agreeing
        if hit is not None:
            checked ^= {hit}
    return actions, targets, agree


def _names(frames: Sequence[Frame]) -> list[str] | None:
    """The checkbox names of the first frame in page order, if there are some and all differ."""
    boxes = sorted((e for e in elements_of(frames[0]) if e["role"] == "checkbox"), key=lambda e: e["box"][1])
    names = [str(b["label"]) for b in boxes]
    return names if names and len(set(names)) == len(names) else None


def _asks(task: str) -> bool:
    return _INSTRUCTION.fullmatch(task) is not None


def alternatives(task: str, frames: Sequence[Frame], width: int) -> list[list[list[float]]] | None:
    """Per recorded frame, every box whose state is wrong (or Submit once none is)."""
    names = _names(frames) if _asks(task) else None
    if names is None:
        return None
    planned = _replay(frames, names, parse(task), width)
    return None if planned is None else planned[1]


def relabel(task: str, frames: Sequence[Frame], width: int, rng: np.random.Generator) -> Relabelled | None:
    """Ask for another set of names; keep the frames the copy's own clicks would have made."""
    if not _asks(task):
        return None
    names = _names(frames)
    if names is None:
        return None
    for _ in range(16):  # draw until the instruction differs from the recorded one
        k = int(rng.integers(len(names) + 1))
        wanted = {names[i] for i in rng.choice(len(names), size=k, replace=False)}
        new = instruction([n for n in names if n in wanted])
        if new != task:
            break
    else:
        return None
    planned = _replay(frames, names, wanted, width)
    if planned is None:
        return None
    actions, targets, agree = planned
    return Relabelled(new, actions[: agree + 1], targets[: agree + 1])


CLICK_CHECKBOXES = TaskKit("click-checkboxes", parse, expert, instruction, relabel, alternatives)
