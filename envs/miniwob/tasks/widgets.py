"""Kits of MiniWoB tasks: typed answers and form widgets (dates, times, lists, spinners, sliders, arithmetic)."""

from __future__ import annotations

from deskpilot.envs.miniwob.tasks.base import TaskKit

__all__ = ["KITS"]

KITS: tuple[TaskKit, ...] = ()
