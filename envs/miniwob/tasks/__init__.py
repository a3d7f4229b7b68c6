"""One kit per MiniWoB task with a scripted expert: its instruction, expert, relabelling, alternatives.

``KITS`` is the table; adding a task is a kit module (see ``docs/miniwob-task-kits.md``) and one row
here. ``envs.miniwob.expert`` acts with ``kit.expert``, ``collectors.relabel`` rewrites recorded
episodes with ``kit.relabel`` and ``kit.alternatives``, and the reading drills
(``envs.miniwob.drill_env``) word their instructions with ``kit.instruction`` and are solved by the
same experts.
"""

from __future__ import annotations

from deskpilot.envs.miniwob.registry import task_of
from deskpilot.envs.miniwob.tasks import clicking, simple, visual, widgets
from deskpilot.envs.miniwob.tasks.base import Frame, Relabelled, TaskKit
from deskpilot.envs.miniwob.tasks.click_checkboxes import CLICK_CHECKBOXES
from deskpilot.envs.miniwob.tasks.quoted import CLICK_BUTTON, CLICK_LINK

__all__ = ["KITS", "Frame", "Relabelled", "TaskKit", "kit_for_env_id"]

KITS: dict[str, TaskKit] = {
    kit.task: kit
    for kit in (
        simple.CLICK_TEST,
        simple.CLICK_TEST_2,
        CLICK_BUTTON,
        CLICK_LINK,
        simple.CLICK_DIALOG,
        simple.CLICK_TAB,
        simple.FOCUS_TEXT,
        simple.ENTER_TEXT,
        simple.ENTER_PASSWORD,
        simple.LOGIN_USER,
        CLICK_CHECKBOXES,
        *clicking.KITS,
        *visual.KITS,
        *widgets.KITS,
    )
}


def kit_for_env_id(env_id: str | None) -> TaskKit | None:
    """The kit of a MiniWoB or drill env id (``deskpilot/miniwob-click-link-v0``), None for others."""
    task = task_of(env_id) if env_id else None
    return KITS.get(task) if task is not None else None
