"""Kits of the tasks that name the element to click in double quotes: click-link, click-button.

A click-link page shows four links on average and the recorded episode asked for one: the other
three are demonstrations of the same task that nobody had to run, so ``relabel`` asks for one of
them on the same frame. Labels shown twice are never asked for (either would be clicked, and the
page cannot say which), but when the recorded instruction names such a label, ``alternatives``
lists every element that carries it: the page accepts either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob.tasks.base import (
    Element,
    Frame,
    Relabelled,
    TaskKit,
    centre,
    click,
    elements_of,
    find,
    quoted,
    quoted_parts,
)

__all__ = ["CLICK_BUTTON", "CLICK_LINK", "quoted_click_kit"]


def quoted_click_kit(task: str, role: str, template: str) -> TaskKit:
    """The kit of a task whose instruction is ``template`` with the label of a ``role`` element in ``{}``."""

    def parse(instruction: str) -> str:
        return quoted_parts(instruction, task, 1)[0]

    def instruction(label: str) -> str:
        return template.format(label)

    def expert(instruction: str, dom: list[Element]) -> Action:
        label = parse(instruction)
        return click(find(dom, lambda e: e["role"] == role and e["label"] == label, f"{role} {label!r}"))

    def asked(instruction: str, frames: Sequence[Frame]) -> str | None:
        """The one label a one-frame episode asked for in the template's words, else None."""
        named = quoted(instruction)
        if len(frames) != 1 or len(named) != 1 or template.format(named[0]) != instruction:
            return None
        return named[0]

    def relabel(
        instruction: str, frames: Sequence[Frame], width: int, rng: np.random.Generator
    ) -> Relabelled | None:
        label = asked(instruction, frames)
        if label is None:
            return None
        candidates: dict[str, list[Element]] = {}
        for e in elements_of(frames[0]):
            if e["role"] == role:
                candidates.setdefault(e["label"], []).append(e)
        # A label shown twice is ambiguous (either would be clicked); the original one is no news.
        others = [k for k, v in candidates.items() if len(v) == 1 and k != label and '"' not in k and k]
        if not others:
            return None
        new = others[int(rng.integers(len(others)))]
        return Relabelled(template.format(new), [Action.click(*centre(candidates[new][0]["box"]))], None)

    def alternatives(instruction: str, frames: Sequence[Frame], width: int) -> list[list[list[float]]] | None:
        label = asked(instruction, frames)
        if label is None:
            return None
        same = [list(e["box"]) for e in elements_of(frames[0]) if e["role"] == role and e["label"] == label]
        return [same] if len(same) > 1 else None

    return TaskKit(task, parse, expert, instruction, relabel, alternatives)


CLICK_LINK = quoted_click_kit("click-link", "link", 'Click on the link "{}".')
CLICK_BUTTON = quoted_click_kit("click-button", "button", 'Click on the "{}" button.')
