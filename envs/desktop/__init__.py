"""The live desktop: screen capture, input execution and the ``DesktopEnv`` Gymnasium env.

Nothing here touches a display at import time: ``mss`` (in ``capture``) and ``pyautogui`` (in
``executor``) are imported only when a capture or an executor is created.

* ``capture``: ``Region``, ``ScreenCapture``, ``wait_until_stable``, ``find_window``.
* ``executor``: ``Executor`` (every ``ActionType``, dry-run recording), ``plan``.
* ``env``: ``DesktopEnv``, ``DesktopConfig`` (``deskpilot/desktop-v0``).
* ``bench``: ``bench_desktop`` latency figures (needs a display).
"""

import gymnasium as gym

from deskpilot.envs.desktop.capture import (
    CaptureError,
    Region,
    ScreenCapture,
    WindowNotFoundError,
    find_window,
    wait_until_stable,
)
from deskpilot.envs.desktop.env import DesktopConfig, DesktopEnv
from deskpilot.envs.desktop.executor import Executor, ExecutorError

__all__ = [
    "ENV_ID",
    "CaptureError",
    "DesktopConfig",
    "DesktopEnv",
    "Executor",
    "ExecutorError",
    "Region",
    "ScreenCapture",
    "WindowNotFoundError",
    "find_window",
    "register",
    "wait_until_stable",
]

ENV_ID = "deskpilot/desktop-v0"


def register() -> None:
    """Register ``deskpilot/desktop-v0`` with Gymnasium (idempotent; makes no display connection)."""
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point="deskpilot.envs.desktop.env:DesktopEnv")
