"""Screen capture of the live desktop; the only module that imports ``mss`` (lazily).

Public API (stable; the recorder and the MiniWoB env build on it):

* ``Region(left, top, width, height)``: a frozen, validated rectangle in root-window pixels.
* ``ScreenCapture(region=None, monitor=1)``: one reused ``mss`` instance. ``grab()`` returns the
  region as an RGB ``uint8`` array of shape ``(height, width, 3)``; ``region`` is the rectangle
  captured (a whole monitor when ``region`` is ``None``); ``close()``; usable as a context manager.
  An instance belongs to the thread that created it (``mss`` keeps per-thread X resources).
* ``wait_until_stable(capture, timeout=..., quiet=..., poll=...)``: grab until the screen has not
  changed for ``quiet`` seconds, bounded by ``timeout``; returns the last frame and whether it settled.
* ``find_window(name)``: the ``Region`` of the first window whose title matches ``name``, via
  ``xdotool`` (X11 only); ``WindowNotFoundError`` when there is none.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import numpy as np
from PIL import Image

__all__ = [
    "CaptureError",
    "Region",
    "ScreenCapture",
    "WindowNotFoundError",
    "find_window",
    "wait_until_stable",
]


class CaptureError(RuntimeError):
    """The screen cannot be captured (no display, ``mss`` missing, region off screen)."""


class WindowNotFoundError(CaptureError):
    """No window matches the requested name, or windows cannot be looked up on this platform."""


@dataclasses.dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of the screen in root-window pixels."""

    left: int  # x of the left column (may be negative on multi-monitor layouts)
    top: int  # y of the top row (may be negative on multi-monitor layouts)
    width: int  # number of columns, > 0
    height: int  # number of rows, > 0

    def __post_init__(self) -> None:
        for name in ("left", "top", "width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"Region.{name}: expected an int, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"Region: width and height must be positive, got {self.width}x{self.height}")

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.top + self.height

    def contains(self, other: Region) -> bool:
        """Whether ``other`` lies entirely inside this region."""
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def as_mss(self) -> dict[str, int]:
        """The ``mss`` monitor dict for this rectangle."""
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}


def _import_mss() -> Any:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise CaptureError("screen capture needs an X display: DISPLAY is not set (run under X or Xvfb)")
    try:
        import mss
    except ImportError as e:  # pragma: no cover - mss is a core dependency
        raise CaptureError("screen capture needs the 'mss' package: pip install mss") from e
    return mss


class ScreenCapture:
    """Grabs one screen region again and again with a single reused ``mss`` instance."""

    def __init__(self, region: Region | None = None, monitor: int = 1) -> None:
        """Open the capture.

        Args:
            region: rectangle to grab; ``None`` grabs the whole of ``monitor``.
            monitor: ``mss`` monitor index (1 = first monitor, 0 = all monitors together); used
                only when ``region`` is ``None``.

        Raises:
            CaptureError: no display, or ``region`` is not inside the screen.
            ValueError: ``monitor`` is not an existing monitor index.
        """
        if region is not None and not isinstance(region, Region):
            raise ValueError(f"region: expected a Region or None, got {region!r}")
        mss = _import_mss()
        try:
            # mss 10.2 deprecates the lower-case factory in favour of MSS.
            self._sct = mss.MSS() if hasattr(mss, "MSS") else mss.mss()
        except Exception as e:  # mss raises its own ScreenShotError for a bad display
            raise CaptureError(
                f"cannot open the display {os.environ.get('DISPLAY')!r} for capture: {e}"
            ) from e
        monitors = self._sct.monitors
        if region is None:
            if isinstance(monitor, bool) or not isinstance(monitor, int) or not 0 <= monitor < len(monitors):
                self._sct.close()
                raise ValueError(f"monitor: expected an index in [0, {len(monitors) - 1}], got {monitor!r}")
            m = monitors[monitor]
            region = Region(m["left"], m["top"], m["width"], m["height"])
        else:
            screen = Region(**{k: monitors[0][k] for k in ("left", "top", "width", "height")})
            if not screen.contains(region):
                self._sct.close()
                raise CaptureError(f"region {region} is not inside the screen {screen}")
        self._region = region
        self._box = region.as_mss()

    @property
    def region(self) -> Region:
        """The rectangle ``grab`` returns, in root-window pixels."""
        return self._region

    def grab(self) -> np.ndarray:
        """The region now, as an RGB ``uint8`` array of shape ``(height, width, 3)``."""
        shot = self._sct.grab(self._box)
        # Pillow's C decoder turns BGRX into RGB twice as fast as numpy's strided copy, and
        # ``shot.raw`` avoids the extra copy ``shot.bgra`` makes.
        image = Image.frombuffer("RGB", (shot.width, shot.height), shot.raw, "raw", "BGRX", 0, 1)
        return np.array(image)  # a writable array the caller owns

    def close(self) -> None:
        """Release the display connection; the capture cannot grab afterwards."""
        self._sct.close()

    def __enter__(self) -> ScreenCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_until_stable(
    capture: ScreenCapture, timeout: float = 1.0, quiet: float = 0.05, poll: float = 0.005
) -> tuple[np.ndarray, bool]:
    """Grab until the screen has stopped changing, and return ``(frame, settled)``.

    "Stopped changing" means every grab over the last ``quiet`` seconds was identical: an app
    redraws a little after it receives an input event, so two equal grabs in a row are not enough.
    ``settled`` is False when ``timeout`` ran out first (an animation, a blinking cursor); the
    frame is then the latest one.

    Args:
        capture: what to grab.
        timeout: longest wait in seconds.
        quiet: how long the screen must stay unchanged, in seconds.
        poll: pause between grabs, in seconds (keeps the CPU free for the app that is redrawing).
    """
    if timeout < 0 or quiet < 0 or poll < 0:
        raise ValueError(f"timeout, quiet and poll must be >= 0, got {timeout}, {quiet}, {poll}")
    start = time.monotonic()
    frame = capture.grab()
    unchanged_since = start
    while True:
        now = time.monotonic()
        if now - unchanged_since >= quiet:
            return frame, True
        if now - start >= timeout:
            return frame, False
        time.sleep(poll)  # polling interval of a condition wait, not a synchronisation delay
        current = capture.grab()
        if not np.array_equal(current, frame):
            frame = current
            unchanged_since = time.monotonic()


def find_window(name: str, timeout: float = 0.0) -> Region:
    """The ``Region`` of the first visible window whose title matches ``name`` (a regex).

    Uses ``xdotool search --onlyvisible --name`` and ``getwindowgeometry`` (X11 only).

    Args:
        name: window title pattern, as ``xdotool search --name`` takes it.
        timeout: keep looking this many seconds for a window that is still opening.

    Raises:
        WindowNotFoundError: xdotool is missing, or no window matches.
    """
    if not name:
        raise ValueError("name: expected a non-empty window title pattern")
    if shutil.which("xdotool") is None:
        raise WindowNotFoundError("finding a window by name needs xdotool (apt-get install xdotool) and X11")
    deadline = time.monotonic() + timeout
    while True:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", name],
            capture_output=True,
            text=True,
            check=False,
        )
        ids = found.stdout.split()
        if ids:
            break
        if time.monotonic() >= deadline:
            raise WindowNotFoundError(
                f"no visible window titled like {name!r} on display {os.environ.get('DISPLAY')!r}"
            )
        time.sleep(0.05)  # polling interval while the window opens
    geo = subprocess.run(
        ["xdotool", "getwindowgeometry", "--shell", ids[0]], capture_output=True, text=True, check=False
    )
    fields = dict(line.split("=", 1) for line in geo.stdout.split() if "=" in line)
    try:
        return Region(int(fields["X"]), int(fields["Y"]), int(fields["WIDTH"]), int(fields["HEIGHT"]))
    except (KeyError, ValueError) as e:
        raise WindowNotFoundError(
            f"cannot read the geometry of window {ids[0]} ({name!r}): {geo.stderr.strip()}"
        ) from e
