"""Gymnasium spaces shared by every deskpilot env, and the observation keys.

Every env (synthetic, live desktop, MiniWoB) uses the same action space and the same observation
layout, so one actor runs anywhere. ``Action.to_space_sample`` / ``Action.from_space_sample`` convert
between the typed ``Action`` and samples of ``action_space()``.
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict

import numpy as np
from gymnasium import spaces

from deskpilot.envs.actions import KEY_COMBOS, MAX_SCROLL, MAX_TEXT_LENGTH, TEXT_CHARSET, Action, ActionType

__all__ = [
    "DEFAULT_OBS_SIZE",
    "MAX_TASK_LENGTH",
    "Actor",
    "ExpertCannotAct",
    "Observation",
    "action_space",
    "observation_space",
]

DEFAULT_OBS_SIZE: tuple[int, int] = (210, 160)
"""(height, width) of observations, as in MiniWoB++ whose task area is 160 px wide, 210 px tall."""
MAX_TASK_LENGTH = 256
"""Longest task string an observation carries."""


class ExpertCannotAct(RuntimeError):
    """A scripted expert met a state it has no answer for (its target is covered, say).

    Raised by the experts of every env family, so a caller that lets a policy drive and asks the
    expert for labels (DAgger) can tell "the policy went somewhere unlabelable" from a real bug.
    """


class Observation(TypedDict):
    """What every actor sees: the screen and the task. Nothing else, ever."""

    screenshot: np.ndarray  # uint8 (H, W, 3)
    task: str


class Actor(Protocol):
    """Anything that picks actions: the scripted expert, a recorded human, a trained policy.

    ``info`` is the env's ``info`` dict. Only the scripted expert reads it (it holds the
    privileged widget state that must never reach the observation); everyone else ignores it.
    An expert may also define ``targets(observation, info)``: boxes as right to click as its action,
    or None; the episode loop records them as ``annotations["targets"]``.
    """

    def reset(self) -> None:
        """Forget everything about the previous episode."""
        ...

    def act(self, observation: Observation, info: dict[str, Any]) -> Action:
        """Return the next action for ``observation``."""
        ...


def action_space() -> spaces.Dict:
    """The action space of every deskpilot env; see ``Action.to_space_sample``."""
    return spaces.Dict(
        {
            "type": spaces.Discrete(len(ActionType)),
            "point": spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float64),
            "end": spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float64),
            "text": spaces.Text(min_length=1, max_length=MAX_TEXT_LENGTH, charset=TEXT_CHARSET),
            "key": spaces.Discrete(len(KEY_COMBOS)),
            "scroll": spaces.Discrete(2 * MAX_SCROLL),
        }
    )


def observation_space(height: int, width: int) -> spaces.Dict:
    """Screenshot ``(height, width, 3)`` uint8 and the task string.

    Gymnasium's ``AsyncVectorEnv`` garbles ``Text`` observations in shared memory; make vector envs
    with ``envs.vector.make_vector`` (async ones without shared memory).
    """
    return spaces.Dict(
        {
            "screenshot": spaces.Box(0, 255, shape=(height, width, 3), dtype=np.uint8),
            "task": spaces.Text(min_length=0, max_length=MAX_TASK_LENGTH, charset=TEXT_CHARSET),
        }
    )


def as_action(action: Action | dict[str, Any]) -> Action:
    """Accept an ``Action`` or a sample of ``action_space()``; raise ``ValueError`` otherwise."""
    if isinstance(action, Action):
        return action
    if isinstance(action, dict) and set(action) == set(action_space().spaces):
        try:
            return Action.from_space_sample(action)
        except (KeyError, IndexError, TypeError) as e:
            raise ValueError(f"action: malformed action-space sample {action!r}: {e}") from e
    raise ValueError(f"action: expected an envs.Action or an action_space() sample, got {action!r}")
