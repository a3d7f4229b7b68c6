"""Pre-action screenshots: a ring of time-stamped frames, and the step maker that pins them.

The recorder grabs the screen while input is idle and, when an action's first raw event arrives,
asks for the newest frame whose grab *ended* at least ``guard`` seconds before that event's time
stamp. A frame's content is sampled somewhere inside its grab, and the event's stamp is taken a
little after the X server saw the event, so ``guard`` covers that latency: the frame returned shows
the screen before the event, never the app's reaction to it.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from deskpilot.collectors.folding import EventFolder, Folded
from deskpilot.collectors.input_events import RawEvent
from deskpilot.collectors.trajectory import TrajectoryWriter
from deskpilot.envs.actions import Action
from deskpilot.envs.desktop.env import resize

__all__ = ["Frame", "FrameRing", "StepMaker"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Frame:
    """One grab: when it started and ended (monotonic seconds) and the image."""

    start: float
    end: float
    image: np.ndarray


class FrameRing:
    """The last ``size`` grabs; thread-safe (one thread grabs, others may wait for a fresh frame)."""

    def __init__(
        self,
        grab: Callable[[], np.ndarray],
        size: int = 4,
        guard: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if size < 1 or guard < 0:
            raise ValueError(f"size must be >= 1 and guard >= 0, got {size}, {guard}")
        self._grab = grab
        self._clock = clock
        self.guard = guard
        self._frames: collections.deque[Frame] = collections.deque(maxlen=size)
        self._cond = threading.Condition()

    def grab(self) -> Frame:
        """Grab the screen now and keep the frame."""
        start = self._clock()
        image = self._grab()
        frame = Frame(start, self._clock(), image)
        with self._cond:
            self._frames.append(frame)
            self._cond.notify_all()
        return frame

    def clear(self) -> None:
        """Forget every frame (after a pause, the screen before it must not be used)."""
        with self._cond:
            self._frames.clear()

    def before(self, t: float) -> np.ndarray | None:
        """The newest frame whose grab ended at least ``guard`` before ``t``, or None."""
        with self._cond:
            for frame in reversed(self._frames):
                if frame.end + self.guard <= t:
                    return frame.image
        return None

    def wait_for(self, after: float, timeout: float, poll: float = 0.05) -> bool:
        """Block until a frame grabbed after ``after`` is old enough for ``before(now)``; False on timeout."""
        deadline = self._clock() + timeout
        with self._cond:
            while True:
                now = self._clock()
                if any(f.start >= after and f.end + self.guard <= now for f in self._frames):
                    return True
                if now >= deadline:
                    return False
                self._cond.wait(min(deadline - now, poll))


class StepMaker:
    """Folds raw events and writes each action with the screen from before its first raw event.

    The screenshot is pinned when the action's first event arrives (``EventFolder.pending_start``),
    so it stays right even when the action is written much later: a click waits for the
    double-click interval, typed text for the next action.
    """

    def __init__(
        self,
        folder: EventFolder,
        frames: FrameRing,
        writer: TrajectoryWriter,
        t0: float,
        on_step: Callable[[int, Action], None] | None = None,
    ) -> None:
        self.folder = folder
        self.frames = frames
        self.writer = writer
        self.t0 = t0  # monotonic time of the episode's start; step times are relative to it
        self._on_step = on_step
        self._pinned: dict[float, np.ndarray] = {}  # action start -> screenshot before it

    def event(self, event: RawEvent) -> None:
        """Fold one raw event, write what it finished, pin the screen for the action it began."""
        self._write(self.folder.feed(event) + self.folder.poll(event.time))
        start = self.folder.pending_start
        for stale in [p for p in self._pinned if p != start]:  # e.g. text typed and erased again
            del self._pinned[stale]
        if start is not None and start not in self._pinned:
            self._pinned[start] = self._before(start)

    def tick(self, now: float) -> None:
        """Write what time alone finished (a click past the double-click interval, a quiet scroll)."""
        self._write(self.folder.poll(now))

    def flush(self) -> None:
        """Write every pending action (at stop and at pause)."""
        self._write(self.folder.flush())
        self._pinned.clear()

    def _before(self, t: float) -> np.ndarray:
        image = self.frames.before(t)
        if image is None:
            log.warning("no screenshot from before the action started (input was never idle): grabbing now")
            image = self.frames.grab().image
        return image

    def now(self) -> np.ndarray:
        """The screen as it is, at the episode's size (the final screen, for a DONE step)."""
        return self._fit(self.frames.grab().image)

    def _fit(self, image: np.ndarray) -> np.ndarray:
        # The live env's own resize: a policy trained on recordings sees at run time the very
        # pixels it was trained on (a full screen reduced another way differs by a few levels).
        return resize(image, self.writer.meta.obs_size)

    def _write(self, folded: list[Folded]) -> None:
        for f in folded:
            image = self._pinned.pop(f.start, None)
            if image is None:
                image = self._before(f.start)
            image = self._fit(image)
            self.writer.add_step(image, f.action, time=max(f.start - self.t0, 0.0))
            log.info("step %d: %s", self.writer.num_steps - 1, f.action)
            if self._on_step is not None:
                self._on_step(self.writer.num_steps, f.action)
