"""The live desktop: screen capture, input execution and the ``DesktopEnv`` Gymnasium env.

Nothing here touches a display at import time: ``mss`` (in ``capture``) and ``pyautogui`` (in
``executor``) are imported only when a capture or an executor is created.
"""

from envs.desktop.capture import (
    CaptureError,
    Region,
    ScreenCapture,
    WindowNotFoundError,
    find_window,
    wait_until_stable,
)

__all__ = [
    "CaptureError",
    "Region",
    "ScreenCapture",
    "WindowNotFoundError",
    "find_window",
    "wait_until_stable",
]
