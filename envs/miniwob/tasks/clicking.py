"""Kits of MiniWoB tasks: click-checkboxes variants, collapsibles, tabs, menus, scroll lists and trees."""

from __future__ import annotations

from deskpilot.envs.miniwob.tasks.base import TaskKit

__all__ = ["KITS"]

KITS: tuple[TaskKit, ...] = ()
