"""Gymnasium registration of the synthetic suite, from one table, and suite names for collectors."""

from __future__ import annotations

import gymnasium as gym

from deskpilot.envs.registry import register_suite

__all__ = ["ENV_IDS", "SUITES", "register_all"]

# (family, step limit or None for the family's own). One row per env id, in suite order.
_TABLE: tuple[str, ...] = (
    "click-button",
    "click-checkboxes",
    "enter-text",
    "focus-type",
    "clear-field",
    "double-click",
    "context-menu",
    "scroll-list",
    "slider",
    "drag-item",
    "shortcut",
    "dropdown",
    "login",
    "wait-spinner",
    "done-if-satisfied",
    "click-tab",
    "click-link",
    "dialog",
)
_ENTRY_POINT = "deskpilot.envs.synthetic.env:SyntheticEnv"


def env_id(family: str) -> str:
    """The env id of a task family: ``deskpilot/mock-<family>-v0``."""
    return f"deskpilot/mock-{family}-v0"


ENV_IDS: tuple[str, ...] = tuple(env_id(f) for f in _TABLE)
SUITES: dict[str, tuple[str, ...]] = {
    "deskpilot/mock-suite": ENV_IDS,
    "deskpilot/mock-easy": (env_id("click-button"), env_id("context-menu")),
}
"""Named groups of env ids; collectors and evaluation accept these names wherever an id goes."""


def register_all() -> None:
    """Register every synthetic env id with Gymnasium and its suites in ``envs.registry`` (idempotent)."""
    for family, eid in zip(_TABLE, ENV_IDS, strict=True):
        if eid not in gym.registry:
            gym.register(id=eid, entry_point=_ENTRY_POINT, kwargs={"task": family})
    for name, ids in SUITES.items():
        register_suite(name, ids)
