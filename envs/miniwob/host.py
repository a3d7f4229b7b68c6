"""The one browser (and display) of a process, shared by every MiniWoB env in it."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any, ClassVar

from deskpilot.envs.miniwob.browser import (
    WINDOW_SIZE,
    BrowserCrashedError,
    BrowserError,
    BrowserSession,
    PrivateDisplay,
)
from deskpilot.envs.miniwob.page import TASK_H, TASK_W

if TYPE_CHECKING:
    from deskpilot.envs.miniwob.screen import PageScreen

__all__ = ["Host"]


class Host:
    """The one browser (and display) of a process, shared by every MiniWoB env in it.

    pyautogui binds one X display per process, and two windows on one display would cover each
    other, so a process runs one browser at a time; each env navigates it to its task on ``reset``.
    """

    hosts: ClassVar[dict[str, Host]] = {}
    # The private display this process's pyautogui was bound to; pyautogui cannot move to another.
    bound: ClassVar[str | None] = None

    def __init__(self, display: str) -> None:
        self.key = display
        self.pid = os.getpid()  # a forked child inherits the registry, never the browser
        self.users = 0
        self.owner: int | None = None  # id() of the env whose episode is on the page
        self.xvfb: PrivateDisplay | None = None
        self.session: BrowserSession | None = None
        self.screen: PageScreen | None = None
        self.executor: Any = None
        self.display: str | None = None

    @classmethod
    def acquire(cls, display: str) -> Host:
        """The host of ``display`` ("auto" or ":N"), made on first use; the caller must ``release`` it."""
        host = cls.hosts.setdefault(display, cls(display))
        host.users += 1
        return host

    def release(self) -> None:
        """One user fewer; the last one stops the browser and the display."""
        self.users -= 1
        if self.users <= 0:
            self.stop()
            self.hosts.pop(self.key, None)

    def ensure(self) -> BrowserSession:
        """The live browser, starting it (or a fresh one after a crash) if needed."""
        if self.session is not None and self.session.alive():
            return self.session
        if self.session is not None:
            self.session.close()
            self.session = None
        if self.display is None:
            self._open_display()
        if self.xvfb is not None and not self.xvfb.alive():
            raise BrowserCrashedError(
                f"the private display {self.display} of this process died; pyautogui cannot move to "
                "another display, so start a new process"
            )
        assert self.display is not None
        self.session = BrowserSession(self.display)
        self.owner = None
        return self.session

    def _open_display(self) -> None:
        from deskpilot.envs.desktop.capture import Region
        from deskpilot.envs.desktop.executor import Executor
        from deskpilot.envs.miniwob.screen import PageScreen

        if self.key == "auto":
            if Host.bound is not None:
                raise BrowserError(
                    f"this process already drove the private display {Host.bound}, closed with its last "
                    "MiniWoB env; pyautogui cannot reconnect to a new one. Keep one env open while making "
                    "others, use a fresh process, or pass display=':N' of an X server you run"
                )
            self.xvfb = PrivateDisplay()
            display = self.xvfb.display
        else:
            display = self.key
        try:
            # pyautogui, mss and xdotool all read DISPLAY; pyautogui only at its first import.
            os.environ["DISPLAY"] = display
            self.screen = PageScreen()
            self.executor = Executor(Region(0, 0, TASK_W, TASK_H), pause=0.0, failsafe=self.key != "auto")
        except BaseException:
            self.stop()
            raise
        if self.key == "auto":
            Host.bound = display
        self.display = display

    def park_pointer(self) -> tuple[int, int] | None:
        """Move the pointer off the task area (but inside the window, so keys still reach it).

        Returns where (screen = page pixels) for the page to wait on, None without xdotool. The
        pointer steps there from a pixel away, so the page gets a move even if it was there already.
        """
        if not (shutil.which("xdotool") and self.display):
            return None
        x, y = WINDOW_SIZE[0] - 20, WINDOW_SIZE[1] - 20
        subprocess.run(
            ["xdotool", "mousemove", str(x - 1), str(y - 1), "mousemove", str(x), str(y)],
            env={**os.environ, "DISPLAY": self.display},
            check=False,
            capture_output=True,
        )
        return x, y

    def stop(self) -> None:
        """Close the browser, the capture and the private display (if any)."""
        if self.session is not None:
            self.session.close()
            self.session = None
        if self.screen is not None:
            with contextlib.suppress(Exception):
                self.screen.close()
        self.screen = self.executor = None
        if self.xvfb is not None:
            self.xvfb.close()
            self.xvfb = None
        self.display = None

    @classmethod
    def stop_all(cls) -> None:
        """Stop this process's browsers while the interpreter is whole (atexit, for envs left open)."""
        for host in list(cls.hosts.values()):
            if host.pid == os.getpid():
                host.stop()


# An env still open at exit would otherwise be closed by __del__ in the interpreter's last teardown,
# when modules are half gone: close every browser first, while closing still works.
atexit.register(Host.stop_all)
