"""The task area's screen capture, taken only once the screen shows the page state just read.

Chromium draws a frame some time after the page's DOM changed: the renderer paints it, and the
display compositor (another process) puts it on the X server later still, nothing the page's own
``requestAnimationFrame`` callback waits for; on a loaded machine, arbitrarily later. A capture
taken when the page script returns can show the screen from before the last action (a field
without its focus ring, the previous episode's page), so an observation would not match the state
it is annotated with.

The page therefore paints a *mark* after every state read: a 4x4 square at the bottom-right corner
of the window, outside the task area, whose colour names the read (``dpMark`` in ``page.py``).
Frames reach the screen in order, so once the square shows that colour, the screen shows a frame
at least as new as the read, and the task area is grabbed then (about one frame, 12 ms, later
here).
"""

from __future__ import annotations

import time

import numpy as np

from deskpilot.envs.desktop.capture import CaptureError, Region, ScreenCapture
from deskpilot.envs.miniwob.page import MARK_COLOURS, MARK_SIZE, TASK_H, TASK_W

__all__ = ["PageScreen"]

# Largest per-channel distance from a mark colour that still counts as showing it: the colours are
# corners of the RGB cube, so any colour management or dithering stays far below this.
_TOLERANCE = 48


class PageScreen:
    """Captures of the task area (screen pixels (0, 0)-(160, 210)) in step with the page's marks.

    Belongs to the thread that created it (as ``ScreenCapture`` does).
    """

    def __init__(self) -> None:
        """Open the task-area capture on the current ``DISPLAY``."""
        self.capture = ScreenCapture(Region(0, 0, TASK_W, TASK_H))
        self._mark_capture: ScreenCapture | None = None
        self._mark_at: tuple[int, int] | None = None
        self._count = 0

    def next_mark(self) -> int:
        """The mark for the next state read: a colour none of the last few reads painted."""
        self._count = (self._count + 1) % len(MARK_COLOURS)
        return self._count

    def grab(self, mark: int, at: tuple[int, int] | list[int], timeout: float) -> tuple[np.ndarray, bool]:
        """The task area once the screen shows ``mark`` at ``at`` (screen pixels); ``(frame, shown)``.

        ``shown`` is False when ``timeout`` seconds passed first (a window covering the browser's
        corner), or at once when the corner lies off the screen; the frame is then whatever the
        screen shows.
        """
        capture = self._at(int(at[0]), int(at[1]))
        if capture is None:
            return self.capture.grab(), False
        want = np.array(MARK_COLOURS[mark], np.int16)
        deadline = time.monotonic() + timeout
        while True:
            pixels = capture.grab().astype(np.int16)
            if (np.abs(pixels - want) <= _TOLERANCE).all():
                return self.capture.grab(), True
            if time.monotonic() > deadline:
                return self.capture.grab(), False
            time.sleep(0.002)  # polling interval of a condition wait (one grab is ~0.1 ms)

    def _at(self, x: int, y: int) -> ScreenCapture | None:
        if self._mark_at != (x, y):
            if self._mark_capture is not None:
                self._mark_capture.close()
            self._mark_at = (x, y)
            try:
                self._mark_capture = ScreenCapture(Region(x, y, MARK_SIZE, MARK_SIZE))
            except CaptureError:  # a screen smaller than the window: the corner cannot be seen
                self._mark_capture = None
        return self._mark_capture

    def close(self) -> None:
        """Release both captures."""
        self.capture.close()
        if self._mark_capture is not None:
            self._mark_capture.close()
            self._mark_capture = None
