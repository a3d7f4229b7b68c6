"""Hindsight instruction relabelling: more demonstrations from frames already recorded.

A MiniWoB click-link page shows four links on average and the recorded episode asked for one: the
other three are demonstrations of the same task that nobody had to run. ``relabel`` rewrites a
recorded episode for another instruction its frames answer just as well, with the action the
scripted expert would take for that instruction on each frame (read from the element annotations
recorded with the frame; the frames themselves are untouched). For click-checkboxes it also asks
for a different set of names; the copy keeps the recorded frames only as far as its own clicks would
have made them (after that, the page would show ticks its history never made).

Why it matters here: the task caps the expert at 200 episodes, and with one frame per episode the
pointer of click-link sees 180 training frames; the policy learnt where links tend to be, not which
word was asked for (43% success). Relabelled copies give each frame several instructions with
different answers, which only reading can tell apart.

Only the training split is relabelled; validation and evaluation stay on recorded instructions.
Relabelers exist for the tasks in ``RELABELERS``; other episodes are left as they are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deskpilot.collectors.trajectory import Step, Trajectory
from deskpilot.envs.actions import Action

__all__ = ["ALTERNATIVES", "RELABELERS", "relabel", "relabelled", "with_alternatives"]

Element = dict[str, Any]
Relabeler = Callable[[Trajectory, np.random.Generator], Trajectory | None]

_CHECKBOX_TASK = re.compile(r"Select (.*) and click Submit\.")


def _centre(box: Sequence[float]) -> tuple[float, float]:
    x0, y0, x1, y1 = box
    return (x0 + x1) / 2, (y0 + y1) / 2


def _inside(box: Sequence[float], x: float, y: float) -> bool:
    x0, y0, x1, y1 = box
    return x0 <= x < x1 and y0 <= y < y1


def _elements(step: Step) -> list[Element]:
    elements = step.annotations.get("elements")
    if elements is None:
        raise ValueError("no element annotations")
    return list(elements)


def _with(
    trajectory: Trajectory,
    task: str,
    actions: Sequence[Action],
    targets: Sequence[list[list[float]]] | None = None,
) -> Trajectory:
    """A copy for ``task`` with ``actions`` (and, per step, every box that is as right a click)."""
    steps = []
    for i, (s, a) in enumerate(zip(trajectory.steps, actions, strict=True)):
        annotations = s.annotations if targets is None else {**s.annotations, "targets": targets[i]}
        steps.append(dataclasses.replace(s, action=a, annotations=annotations))
    meta = trajectory.meta
    if task != trajectory.task:
        meta = dataclasses.replace(meta, task=task, extra={**meta.extra, "relabelled_from": trajectory.task})
    return dataclasses.replace(trajectory, meta=meta, steps=steps)


def _quoted_click(role: str) -> Relabeler:
    """Tasks that name the element to click in double quotes (click-link, click-button)."""

    def relabel_one(trajectory: Trajectory, rng: np.random.Generator) -> Trajectory | None:
        if len(trajectory.steps) != 1 or not trajectory.success:
            return None
        named = re.findall(r'"([^"]*)"', trajectory.task)
        if len(named) != 1:
            return None
        candidates: dict[str, list[Element]] = {}
        for e in _elements(trajectory.steps[0]):
            if e["role"] == role:
                candidates.setdefault(e["label"], []).append(e)
        # A label shown twice is ambiguous (either would be clicked); the original one is no news.
        others = [k for k, v in candidates.items() if len(v) == 1 and k != named[0] and '"' not in k and k]
        if not others:
            return None
        label = others[int(rng.integers(len(others)))]
        task = trajectory.task.replace(f'"{named[0]}"', f'"{label}"')
        return _with(trajectory, task, [Action.click(*_centre(candidates[label][0]["box"]))])

    return relabel_one


def _checkbox_click(box: Element, elements: list[Element], width: int) -> tuple[Action, list[float]]:
    """Where the MiniWoB expert clicks to toggle ``box``, and the box of what that click lands on.

    The click is on the name right of the square, inside the ``<label>`` (else on the square).
    """
    x0, _, x1, _ = box["box"]
    for lab in elements:
        lx0, ly0, lx1, ly1 = lab["box"]
        wraps = (
            lab["role"] == "label" and lab["label"] == box["label"] and lx0 <= x0 and x1 <= lx1 + 1 / width
        )
        if wraps and (lx1 - x1) * width >= 4:
            return Action.click((x1 + lx1) / 2, (ly0 + ly1) / 2), list(lab["box"])
    return Action.click(*_centre(box["box"])), list(box["box"])


def _toggled(action: Action, boxes: list[Element], elements: list[Element]) -> str | None:
    """The name of the checkbox a click toggles (on its square or its label), if any."""
    if action.x is None or action.y is None:
        return None
    names = {b["label"] for b in boxes}
    for e in elements:
        if (
            e["role"] in ("checkbox", "label")
            and e["label"] in names
            and _inside(e["box"], action.x, action.y)
        ):
            return str(e["label"])
    return None


def _checkbox_actions(
    trajectory: Trajectory, names: list[str], wanted: set[str]
) -> tuple[list[Action], list[list[list[float]]], int] | None:
    """Per frame, the expert's click for ``wanted`` and every box as right to click (None: page changed).

    Also how many leading frames the expert's clicks toggle what the recorded clicks toggled. The
    expert clicks the first box in page order whose state is wrong (ticks replayed from the
    recorded clicks), else Submit; any box whose state is wrong is as good a next click.
    """
    width = trajectory.meta.obs_size[1]
    checked: set[str] = set()
    actions, targets, agree, agreeing = [], [], 0, True
    for step in trajectory.steps:
        elements = _elements(step)
        boxes = sorted((e for e in elements if e["role"] == "checkbox"), key=lambda e: e["box"][1])
        submit = [e for e in elements if e["role"] == "button" and e["label"].lower() == "submit"]
        if [b["label"] for b in boxes] != names or len(submit) != 1:
            return None
        todo = [
            _checkbox_click(b, elements, width)
            for b in boxes
            if (b["label"] in checked) != (b["label"] in wanted)
        ]
        if todo:
            actions.append(todo[0][0])
            targets.append([box for _, box in todo])
        else:
            actions.append(Action.click(*_centre(submit[0]["box"])))
            targets.append([list(submit[0]["box"])])
        hit = _toggled(step.action, boxes, elements)  # what the recorded click did to the page
        agreeing = agreeing and _toggled(actions[-1], boxes, elements) == hit
        agree += agreeing
        if hit is not None:
            checked ^= {hit}
    return actions, targets, agree


def _checkbox_names(trajectory: Trajectory) -> list[str] | None:
    boxes = sorted(
        (e for e in _elements(trajectory.steps[0]) if e["role"] == "checkbox"), key=lambda e: e["box"][1]
    )
    names = [str(b["label"]) for b in boxes]
    return names if names and len(set(names)) == len(names) else None


def _checkbox_alternatives(trajectory: Trajectory) -> Trajectory | None:
    """The recorded click-checkboxes episode with every equally right click of each step annotated."""
    match = _CHECKBOX_TASK.fullmatch(trajectory.task)
    names = _checkbox_names(trajectory) if match is not None and trajectory.success else None
    if match is None or names is None:
        return None
    wanted = set() if match.group(1) == "nothing" else {w.strip() for w in match.group(1).split(",")}
    planned = _checkbox_actions(trajectory, names, wanted)
    return (
        None
        if planned is None
        else _with(trajectory, trajectory.task, [s.action for s in trajectory.steps], planned[1])
    )


def _checkboxes(trajectory: Trajectory, rng: np.random.Generator) -> Trajectory | None:
    """click-checkboxes: ask for another set of names."""
    if not trajectory.success or _CHECKBOX_TASK.fullmatch(trajectory.task) is None:
        return None
    names = _checkbox_names(trajectory)
    if names is None:
        return None
    for _ in range(16):  # draw until the instruction differs from the recorded one
        k = int(rng.integers(len(names) + 1))
        wanted = {names[i] for i in rng.choice(len(names), size=k, replace=False)}
        shown = [n for n in names if n in wanted]  # MiniWoB lists the names in page order
        task = f"Select {', '.join(shown) if shown else 'nothing'} and click Submit."
        if task != trajectory.task:
            break
    else:
        return None
    planned = _checkbox_actions(trajectory, names, wanted)
    if planned is None:
        return None
    # The policy sees its own past clicks; past the first step where the new click differs from the
    # recorded one, the frames show ticks the copy's history did not make (it clicked BB, yet the
    # page shows AA ticked), and such copies taught re-clicking the box just clicked. A copy keeps
    # the steps its history agrees with, and the first one that differs.
    actions, targets, agree = planned
    copy = _with(trajectory, task, actions, targets)
    return dataclasses.replace(copy, steps=copy.steps[: agree + 1])


RELABELERS: dict[str, Relabeler] = {
    "deskpilot/miniwob-click-link-v0": _quoted_click("link"),
    "deskpilot/miniwob-click-button-v0": _quoted_click("button"),
    "deskpilot/miniwob-click-checkboxes-v0": _checkboxes,
}


# Tasks where a step has several equally right clicks: the annotation lists them all.
ALTERNATIVES: dict[str, Callable[[Trajectory], Trajectory | None]] = {
    "deskpilot/miniwob-click-checkboxes-v0": _checkbox_alternatives,
}


def with_alternatives(trajectory: Trajectory) -> Trajectory:
    """``trajectory`` with ``annotations["targets"]``, every box as right to click, where there are several.

    The actions stay as recorded; a task without alternatives gives ``trajectory`` itself.
    """
    annotate = ALTERNATIVES.get(trajectory.meta.env_id or "")
    if annotate is None:
        return trajectory
    try:
        return annotate(trajectory) or trajectory
    except ValueError:  # no annotations
        return trajectory


def relabel(trajectory: Trajectory, rng: np.random.Generator) -> Trajectory | None:
    """A copy of ``trajectory`` for another instruction of its task, or None when there is none.

    None also for episodes that failed, lack element annotations, or whose task has no relabeler.
    """
    relabeler = RELABELERS.get(trajectory.meta.env_id or "")
    if relabeler is None:
        return None
    try:
        return relabeler(trajectory, rng)
    except ValueError:  # no annotations (a human recording): nothing to read the page from
        return None


def relabelled(trajectories: Sequence[Trajectory], copies: int, seed: int) -> list[Trajectory]:
    """Up to ``copies`` relabelled copies of each trajectory (distinct instructions), seeded."""
    rng = np.random.default_rng(seed)
    out: list[Trajectory] = []
    for t in trajectories:
        seen = {t.task}
        for _ in range(2 * copies):  # a few draws repeat an instruction; try twice as often
            if len(seen) > copies:
                break
            new = relabel(t, rng)
            if new is None:
                break
            if new.task not in seen:
                seen.add(new.task)
                out.append(new)
    return out
