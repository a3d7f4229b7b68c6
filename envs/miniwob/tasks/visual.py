"""Kits of MiniWoB tasks: colours, shapes, grids, words and layouts."""

from __future__ import annotations

from deskpilot.envs.miniwob.tasks.base import TaskKit

__all__ = ["KITS"]

KITS: tuple[TaskKit, ...] = ()
