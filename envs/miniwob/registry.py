"""Gymnasium ids ``deskpilot/miniwob-<task>-v0`` for every MiniWoB++ task page, the reading drills, the suites.

The task list comes from the pages shipped in the ``miniwob`` wheel, found without importing it
(so ``import deskpilot.envs`` stays light). Without the wheel only the suite tasks are registered; making
one then raises a message that says what to install.
"""

from __future__ import annotations

from collections.abc import Iterable

import gymnasium as gym

from deskpilot.envs.miniwob.browser import task_folder

__all__ = [
    "DRILLS",
    "DRILL_ENV_IDS",
    "NOT_STREAMED",
    "STREAMED_DRILL_IDS",
    "drills_for",
    "ENV_IDS",
    "MINIWOB_10",
    "SUITE_TASKS",
    "SUITES",
    "env_id",
    "imitated",
    "register_all",
    "task_of",
    "tasks",
]

MINIWOB_10: tuple[str, ...] = (
    "click-test",
    "click-button",
    "click-link",
    "click-dialog",
    "click-tab",
    "focus-text",
    "enter-text",
    "enter-password",
    "login-user",
    "click-checkboxes",
)
"""The ten tasks of ``deskpilot/miniwob-10``: the first suite, kept so its figures can be reproduced."""

SUITE_TASKS: tuple[str, ...] = (
    *MINIWOB_10,
    "click-test-2",
    # clicking (envs.miniwob.tasks.clicking)
    "click-checkboxes-large",
    "click-checkboxes-soft",
    "click-checkboxes-transfer",
    "click-collapsible",
    "click-collapsible-2",
    "click-tab-2",
    "click-tab-2-easy",
    "click-tab-2-medium",
    "click-tab-2-hard",
    "click-menu-2",
    "navigate-tree",
    # looks, shapes and forms (envs.miniwob.tasks.visual, forms)
    "click-color",
    "click-shades",
    "click-shape",
    "identify-shape",
    "count-shape",
    "grid-coordinate",
    "drag-box",
    "find-word",
    "multi-layouts",
    "multi-orderings",
    "login-user-popup",
    # widgets and typed answers (envs.miniwob.tasks.widgets, reading)
    "enter-text-dynamic",
    "enter-date",
    "enter-time",
    "choose-list",
    "choose-date-easy",
    "use-spinner",
    "use-slider",
    "simple-arithmetic",
    "simple-algebra",
    "text-transform",
    "unicode-test",
)
"""The tasks of ``deskpilot/miniwob-suite``: every task whose kit's expert solves >= 98% in the browser."""

_ENTRY_POINT = "deskpilot.envs.miniwob.env:MiniWoBEnv"
_DRILL_ENTRY_POINT = "deskpilot.envs.miniwob.drill_env:DrillEnv"

DRILLS: dict[str, str] = {
    "link": "click-link",
    "checkboxes": "click-checkboxes",
    "checkboxes-large": "click-checkboxes-large",
    "checkboxes-soft": "click-checkboxes-soft",
    "shapes": "click-shape",
    "count": "count-shape",
    "identify": "identify-shape",
    "color": "click-color",
    "shades": "click-shades",
    "tabs": "click-tab-2",
    "sections": "click-collapsible-2",
    "arithmetic": "simple-arithmetic",
    "algebra": "simple-algebra",
    "find-word": "find-word",
}
"""Reading drills (``deskpilot/miniwob-drill-<kind>-v0``, Pillow pages) and the MiniWoB task each imitates."""
DRILL_ENV_IDS: tuple[str, ...] = tuple(f"deskpilot/miniwob-drill-{kind}-v0" for kind in DRILLS)
# Drills training does not stream: the typed-answer pages stayed at 2-16% of their own episodes
# through 10,000 steps of a 44-task run that streamed them, and their share of the drill rows went
# to tasks that did not move. They stay envs, to stream or evaluate by name.
NOT_STREAMED: frozenset[str] = frozenset({"arithmetic", "algebra", "find-word"})
STREAMED_DRILL_IDS: tuple[str, ...] = tuple(
    eid for kind, eid in zip(DRILLS, DRILL_ENV_IDS, strict=True) if kind not in NOT_STREAMED
)


def drills_for(env_ids: Iterable[str | None], extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The streamed drills that imitate a task among ``env_ids`` (a dataset's episodes); all of them if none does.

    A run on the ten tasks of ``deskpilot/miniwob-10`` streams the link and checkbox drills it always
    had, one on the 44 every streamed drill, and each drill's share of the rows is not spent on
    tasks the data does not hold. ``extra`` names drills by kind (``DRILLS``) streamed as well,
    such as the typed-answer ones, with the same rule.
    """
    unknown = sorted(set(extra) - set(DRILLS))
    if unknown:
        raise ValueError(f"drills: expected kinds among {', '.join(DRILLS)}, got {', '.join(unknown)}")
    streamed = tuple(
        eid
        for kind, eid in zip(DRILLS, DRILL_ENV_IDS, strict=True)
        if eid in STREAMED_DRILL_IDS or kind in extra
    )
    tasks = {task_of(eid) for eid in env_ids if eid}
    ours = tuple(eid for eid in streamed if task_of(eid) in tasks)
    return ours or streamed


def env_id(task: str) -> str:
    """The env id of a MiniWoB task: ``deskpilot/miniwob-<task>-v0``."""
    return f"deskpilot/miniwob-{task}-v0"


def task_of(eid: str) -> str | None:
    """The MiniWoB task of an env id (a drill's: the task it imitates); None for other ids."""
    if not (eid.startswith("deskpilot/miniwob-") and eid.endswith("-v0")):
        return None
    name = eid.removeprefix("deskpilot/miniwob-").removesuffix("-v0")
    return DRILLS.get(name.removeprefix("drill-")) if name.startswith("drill-") else name


def imitated(drill_id: str) -> str:
    """The env id of the MiniWoB task the drill ``drill_id`` imitates."""
    task = task_of(drill_id) if drill_id in DRILL_ENV_IDS else None
    if task is None:
        raise ValueError(f"drill_id: expected one of {', '.join(DRILL_ENV_IDS)}, got {drill_id!r}")
    return env_id(task)


def tasks() -> tuple[str, ...]:
    """Every MiniWoB task page in the installed wheel (the suite tasks if it is missing), sorted."""
    folder = task_folder()
    if folder is None:
        return tuple(sorted(SUITE_TASKS))
    return tuple(sorted(p.stem for p in folder.glob("*.html")))


ENV_IDS: tuple[str, ...] = tuple(env_id(t) for t in tasks())
SUITES: dict[str, tuple[str, ...]] = {
    "deskpilot/miniwob-suite": tuple(env_id(t) for t in SUITE_TASKS),
    "deskpilot/miniwob-10": tuple(env_id(t) for t in MINIWOB_10),
    "deskpilot/miniwob-smoke": (env_id("click-test"), env_id("enter-text")),
    "deskpilot/miniwob-drills": DRILL_ENV_IDS,
}
"""Named groups of env ids; collectors and evaluation accept these names wherever an id goes."""


def register_all() -> None:
    """Register every MiniWoB env id, drill and suite (idempotent)."""
    from deskpilot.envs.registry import register_suite

    for eid in ENV_IDS:
        if eid not in gym.registry:
            task = eid.removeprefix("deskpilot/miniwob-").removesuffix("-v0")
            gym.register(id=eid, entry_point=_ENTRY_POINT, kwargs={"task": task})
    for kind, eid in zip(DRILLS, DRILL_ENV_IDS, strict=True):
        if eid not in gym.registry:
            gym.register(id=eid, entry_point=_DRILL_ENTRY_POINT, kwargs={"kind": kind})
    for name, ids in SUITES.items():
        register_suite(name, ids)
