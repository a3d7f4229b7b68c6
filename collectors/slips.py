"""Expert episodes with slips: the scripted expert now and then misses, then recovers (noise injection).

A policy trained only on an expert's clean episodes never sees the screen after a mistake of its
own: a slider dragged a value too far, a box ticked by a click that landed on its neighbour. At run
time one such miss leaves it in states no demonstration showed (its history says it already
dragged, the screen says the value is wrong), and it wanders until the step limit. ``Slipping``
wraps an expert: on a pointer action it sometimes executes the action moved by a little noise (a
drag only at its end, so the drag still takes hold) and remembers the step; ``mark_slips`` flags
those steps in the trajectory (``K_SLIP`` in the step's annotations). Training reads a flagged step
as history only, never as a target; the screens after it, labelled by the expert's own choices from
where the slip left things, are the recoveries to learn. This is DART's idea (Laskey et al., 2017):
perturb the executed action, keep the expert's label.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from deskpilot.collectors.schema import K_SLIP
from deskpilot.collectors.trajectory import Trajectory
from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.spaces import Actor, Observation

__all__ = ["K_SLIP", "Slipping", "mark_slips", "slip"]

_POINTS = (ActionType.CLICK, ActionType.DOUBLE_CLICK, ActionType.RIGHT_CLICK)


def slip(action: Action, rng: np.random.Generator, scale: float) -> Action | None:
    """``action`` with its target point moved by Gaussian noise of ``scale`` (a share of the screen).

    Clicks move their point, drags their end, twice as far (a slider's values lie a few pixels
    apart and snap to the nearest: a click-sized miss mostly sets the asked value all the same);
    other actions have nothing to miss (``None``).
    """

    def moved(x: float | None, y: float | None, by: float = scale) -> tuple[float, float]:
        assert x is not None and y is not None
        dx, dy = rng.normal(0.0, by, 2)
        return float(np.clip(x + dx, 0.0, 1.0)), float(np.clip(y + dy, 0.0, 1.0))

    if action.type in _POINTS:
        x, y = moved(action.x, action.y)
        return dataclasses.replace(action, x=x, y=y)
    if action.type == ActionType.DRAG:
        x2, y2 = moved(action.x2, action.y2, 2 * scale)
        return dataclasses.replace(action, x2=x2, y2=y2)
    return None


class Slipping:
    """An ``Actor``: ``expert``'s actions, each pointer action slipping with probability ``rate``.

    ``slipped`` lists the steps of the current episode (0-based) whose action was a slip.
    """

    def __init__(
        self, expert: Actor, rng: np.random.Generator, rate: float = 0.5, scale: float = 0.06
    ) -> None:
        if not 0.0 <= rate <= 1.0 or scale <= 0.0:
            raise ValueError(f"slips: expected a rate in [0, 1] and a scale > 0, got {rate} and {scale}")
        self.expert, self.rng, self.rate, self.scale = expert, rng, rate, scale
        self.slipped: list[int] = []
        self._step = 0

    def reset(self) -> None:
        """A new episode."""
        self.expert.reset()
        self.slipped, self._step = [], 0

    def act(self, observation: Observation, info: dict[str, Any]) -> Action:
        """The expert's action, or now and then a slip of it."""
        action = self.expert.act(observation, info)
        step, self._step = self._step, self._step + 1
        missed = slip(action, self.rng, self.scale) if self.rng.random() < self.rate else None
        if missed is None:
            return action
        self.slipped.append(step)
        return missed

    def targets(self, observation: Observation, info: dict[str, Any]) -> list[list[float]] | None:
        """The expert's other right clicks, where it knows them (``run_episode`` reads them as labels)."""
        targets = getattr(self.expert, "targets", None)
        return None if targets is None else targets(observation, info)


def mark_slips(trajectory: Trajectory, steps: list[int]) -> Trajectory:
    """``trajectory`` with ``K_SLIP`` set in the annotations of ``steps`` (in place; returned)."""
    for i in steps:
        trajectory.steps[i].annotations[K_SLIP] = True
    return trajectory
