"""A scripted MiniWoB expert that reads the DOM (``info["dom"]``) to decide and acts only with ``Action``s.

Each step it looks at the page as it is now (which fields hold what, what is checked or focused)
and asks the task's kit (``envs.miniwob.tasks``) for the next action, so it recovers from a click
that did not land. Supported tasks: ``EXPERT_TASKS``.
"""

from __future__ import annotations

from typing import Any

from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob.tasks import KITS
from deskpilot.envs.spaces import Observation

__all__ = ["EXPERT_TASKS", "MiniWoBExpert"]

EXPERT_TASKS: tuple[str, ...] = tuple(KITS)


class MiniWoBExpert:
    """The ``Actor`` that solves one MiniWoB task from the DOM in ``info["dom"]``."""

    def __init__(self, task: str) -> None:
        """Make the expert for ``task`` (one of ``EXPERT_TASKS``)."""
        if task not in KITS:
            raise ValueError(
                f"task: no scripted expert for {task!r}; experts exist for {', '.join(EXPERT_TASKS)}"
            )
        self.task = task
        self._plan = KITS[task].expert

    def reset(self) -> None:
        """Nothing to forget: every decision is made from the current page."""

    def act(self, observation: Observation, info: dict[str, Any]) -> Action:
        """The next action for the page described by ``info["dom"]``."""
        return self._plan(observation["task"], info["dom"])
