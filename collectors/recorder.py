"""Record a person doing a task on the live desktop; with ``collectors.listeners``, the only code that uses ``pynput``.

Three kinds of thread cooperate:

* the ``pynput`` keyboard and mouse listener threads stamp each raw event with ``time.monotonic()``
  and put it on a queue (nothing else: a slow callback would delay the X event stream). While
  recording is paused they drop everything but the control keys, so nothing typed while paused
  ever reaches this process's memory beyond the callback that discards it;
* one worker thread owns the screen capture, the ``EventFolder`` and the ``TrajectoryWriter``.
  While input is idle (the queue stays empty for ``frame_period``) it grabs the screen into a small
  ring of time-stamped frames. The screenshot of an action is the newest frame whose grab ended at
  least ``guard`` seconds before the action's first raw event, pinned when that event arrives, so it
  is the screen as the person saw it before acting even if the action is folded much later (a
  click waits for the double-click interval; typed text waits for the next action). Each action is
  written, with its screenshot, as soon as it is folded: a crash or ``kill -9`` loses at most the
  action in progress and leaves a ``.partial`` episode that ``read_trajectory(allow_partial=True)``
  reads;
* the caller's thread (``run`` or ``start`` + ``wait``) finishes the episode.

Control keys (never recorded): ``stop_key`` (default F9) ends and saves the episode, with
``success`` from the config or, when that is ``None``, from ``ask_success`` (the CLI asks on the
terminal); ``pause_key`` (F8) pauses and resumes; ``discard_key`` (F7) deletes the episode.
SIGINT and SIGTERM (handled by ``run`` in the main thread) end the recording like the stop key but
always save it as ``success=False`` with ``extra["stopped_by"] = "signal"``: an interrupted
demonstration is kept, never silently called a success. Pressing Ctrl+C in the recorder's own
terminal is also a key press on the desktop, so it is recorded as a final ``KEY ctrl+c`` step
before the signal arrives; stop with the stop key to avoid it.

Per-step rewards follow the synthetic envs: every step has reward 0 and is neither terminated nor
truncated, except the last, which ``wait`` marks once the ending is known: ``terminated`` with
reward 1 or 0 (success) after the stop key, ``truncated`` with reward 0 after a signal. An episode
saved as a success ends with one more step, DONE on the screen as it was when the stop key came
(``terminated``, reward 1): the person's "this is finished", so a policy learns to stop where they
stopped instead of acting on until its step limit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import queue
import secrets
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from deskpilot.collectors.folding import EventFolder, FoldingConfig
from deskpilot.collectors.frames import FrameRing, StepMaker
from deskpilot.collectors.input_events import ButtonEvent, KeyEvent, MoveEvent, ScrollEvent
from deskpilot.collectors.listeners import (
    JOIN_TIMEOUT,
    KEY_NAMES,
    listener_class,
    system_double_click_interval,
)
from deskpilot.collectors.schema import K_STOPPED_BY, K_SUCCESS_UNKNOWN
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.envs.actions import Action
from deskpilot.envs.desktop.capture import Region, ScreenCapture
from deskpilot.envs.spaces import DEFAULT_OBS_SIZE

__all__ = ["Recorder", "RecorderConfig", "RecordingResult"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RecorderConfig:
    """What to record and how."""

    task: str  # the task the person is doing, stored in the episode's meta
    out: Path  # dataset folder; the episode is written to <out>/<episode_id>
    region: Region | None = None  # screen rectangle to record; None = the whole first monitor
    obs_size: tuple[int, int] = DEFAULT_OBS_SIZE  # (height, width) screenshots are resized to
    success: bool | None = None  # outcome when stopped with the stop key; None = ask_success
    stop_key: str = "f9"  # pynput Key name that stops and saves
    pause_key: str = "f8"  # pynput Key name that pauses / resumes
    discard_key: str = "f7"  # pynput Key name that deletes the episode and stops
    folding: FoldingConfig | None = None  # None = defaults with the system double-click interval
    frame_period: float = 0.05  # s of idle input between two background screenshots
    guard: float = 0.01  # s a screenshot must precede an action's first event (event latency)
    episode_id: str | None = None  # folder name; None = human-<UTC time>-<random>

    def __post_init__(self) -> None:
        if not isinstance(self.task, str) or not self.task.strip():
            raise ValueError(f"task: expected a non-empty task description, got {self.task!r}")
        object.__setattr__(self, "out", Path(self.out))
        if self.region is not None and not isinstance(self.region, Region):
            raise ValueError(f"region: expected an envs.desktop.Region or None, got {self.region!r}")
        size = tuple(self.obs_size)
        if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
            raise ValueError(f"obs_size: expected (height, width) positive ints, got {self.obs_size!r}")
        object.__setattr__(self, "obs_size", size)
        keys = (self.stop_key, self.pause_key, self.discard_key)
        if len(set(keys)) != 3:
            raise ValueError(f"stop_key, pause_key, discard_key must differ, got {keys}")
        for name in ("frame_period", "guard"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0 or (name == "frame_period" and value == 0):
                raise ValueError(f"{name}: expected a positive number of seconds, got {value!r}")


@dataclasses.dataclass(frozen=True)
class RecordingResult:
    """How a recording ended."""

    path: Path | None  # the finished episode folder; None when discarded
    status: str  # "saved" (stop key or stop()), "signal" (SIGINT/SIGTERM) or "discarded"
    num_steps: int
    success: bool | None


_STOP, _PAUSE, _RESUME, _DISCARD = "stop", "pause", "resume", "discard"


class Recorder:
    """Records one episode; ``run()`` blocks until a control key or a signal ends it."""

    def __init__(self, config: RecorderConfig, ask_success: Callable[[], bool] | None = None) -> None:
        self.config = config
        self._ask_success = ask_success
        self._queue: queue.Queue[Any] = queue.Queue()
        self._paused = False
        self._buttons: set[str] = set()
        self._status = "saved"
        self._signalled = False
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._cond = threading.Condition()  # guards the step count for waiters
        self._frames: FrameRing | None = None  # made by the worker, which owns the capture
        self._steps = 0
        self._writer: TrajectoryWriter | None = None
        self._worker = threading.Thread(target=self._work, name="recorder-worker", daemon=True)
        self._listeners: list[Any] = []
        self._control: dict[Any, str] = {}  # pynput Key -> control key name
        self._kb: Any = None  # the keyboard listener (its .code is the X keycode of the event)
        self.region: Region | None = None
        self._t0 = 0.0
        self._final: np.ndarray | None = None  # the screen when the stop key came
        self._stopped_at = 0.0

    # ------------------------------------------------------------------ control
    def start(self, timeout: float = 10.0) -> None:
        """Open the capture and the episode, start listening; returns once input is being recorded."""
        from pynput import keyboard, mouse

        c = self.config
        names = (c.stop_key, c.pause_key, c.discard_key)
        unknown = [n for n in names if not isinstance(getattr(keyboard.Key, n, None), keyboard.Key)]
        if unknown:
            raise ValueError(
                f"control keys: {unknown} are not pynput Key names (such as f9, pause, scroll_lock)"
            )
        self._control = {getattr(keyboard.Key, n): n for n in names}
        self._worker.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self._status = "discarded"
            self._queue.put((_DISCARD, 0.0))
            raise RuntimeError(f"recorder did not start: {self._error!r}") from self._error

        kb = listener_class(keyboard.Listener)(on_press=self._on_press, on_release=self._on_release)
        ms = listener_class(mouse.Listener)(
            on_move=self._on_move, on_click=self._on_click, on_scroll=self._on_scroll
        )
        self._kb = kb
        self._listeners = [kb, ms]
        for listener in self._listeners:
            listener.start()
        for listener in self._listeners:
            listener.wait()
        log.info("recording %s: %s stops, %s pauses, %s discards", self.region, *self._control.values())

    def stop(self, status: str = "saved") -> None:
        """End the recording as if the stop key (or, with ``status="discarded"``, discard) was pressed."""
        self._status = status
        self._queue.put((_DISCARD if status == "discarded" else _STOP, time.monotonic()))

    def wait(self) -> RecordingResult:
        """Wait for the worker to write the last action, stop listening and finish the episode."""
        self._worker.join()
        for listener in self._listeners:
            try:
                listener.stop()
            except Exception:  # e.g. the display is gone: the episode must still be finished
                log.exception("could not stop an input listener")
        for listener in self._listeners:
            listener.join(JOIN_TIMEOUT)
        writer = self._writer
        assert writer is not None
        if self._error is not None:
            writer.close()
            raise RuntimeError(
                f"recording failed after {writer.num_steps} steps, kept in {writer.dir}: {self._error!r}"
            ) from self._error
        if self._status == "discarded":
            writer.discard()
            log.info("episode discarded")
            return RecordingResult(None, "discarded", writer.num_steps, None)
        extra = dict(writer.meta.extra)
        success: bool | None
        if self._status == "signal":
            success, extra[K_STOPPED_BY] = False, "signal"
        else:
            extra[K_STOPPED_BY] = "stop_key"
            success = self.config.success
            if success is None and self._ask_success is not None:
                success = bool(self._ask_success())
            if success is None:
                success, extra[K_SUCCESS_UNKNOWN] = False, True
        writer.meta = dataclasses.replace(writer.meta, extra=extra)
        if success and self._final is not None:
            writer.add_step(
                self._final, Action.done(), time=self._stopped_at - self._t0, reward=1.0, terminated=True
            )
        elif writer.num_steps:
            # How the episode ended is known only now, after its last step was written: the stop
            # key means the attempt is over (terminated); a signal cut it short.
            cut = self._status == "signal"
            writer.end_last_step(reward=float(success), terminated=not cut, truncated=cut)
        path = writer.finish(success, float(success))
        log.info("saved %d steps to %s (success=%s)", writer.num_steps, path, success)
        return RecordingResult(path, self._status, writer.num_steps, success)

    def run(self) -> RecordingResult:
        """``start``, then block until a control key or SIGINT/SIGTERM, then ``wait``."""
        on_main = threading.current_thread() is threading.main_thread()
        old = {}
        if on_main:
            for sig in (signal.SIGINT, signal.SIGTERM):
                old[sig] = signal.signal(sig, self._on_signal)
        try:
            self.start()
            while self._worker.is_alive():
                self._worker.join(0.1)
                if self._signalled:  # acted on here, not in the handler, which may interrupt a lock
                    self._signalled = False
                    self.stop("signal")
            return self.wait()
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signalled = True

    # ------------------------------------------------------------------ waiting (tests, UIs)
    @property
    def paused(self) -> bool:
        """Whether recording is paused."""
        return self._paused

    @property
    def num_steps(self) -> int:
        """Steps written so far."""
        return self._steps

    def wait_for_steps(self, n: int, timeout: float) -> bool:
        """Block until at least ``n`` steps are written; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._steps >= n, timeout)

    def wait_for_frame(self, after: float, timeout: float) -> bool:
        """Block until a screenshot grabbed after ``after`` could be an action's pre-action screen."""
        assert self._frames is not None, "start() the recorder first"
        return self._frames.wait_for(after, timeout, self.config.frame_period)

    # ------------------------------------------------------------------ listener callbacks
    def _key_event(self, key: Any, pressed: bool) -> KeyEvent | None:
        from pynput import keyboard

        now = time.monotonic()
        code = self._kb.code if self._kb.code is not None else repr(self._kb.canonical(key))
        if isinstance(key, keyboard.Key):
            name = KEY_NAMES.get(key.name, key.name)
            char = " " if key is keyboard.Key.space else None
            return KeyEvent(code, name, char, pressed, now)
        char = getattr(key, "char", None)
        if char is None:
            return KeyEvent(code, "", None, pressed, now)
        if len(char) == 1 and ord(char) < 32:  # a control character some backends report for ctrl+letter
            return KeyEvent(code, chr(ord(char) + 96), None, pressed, now)
        return KeyEvent(code, char.lower(), char, pressed, now)

    def _control_key(self, key: Any, pressed: bool) -> bool:
        name = self._control.get(key)
        if name is None:
            return False
        if pressed:
            now = time.monotonic()
            if name == self.config.pause_key:
                self._paused = not self._paused  # at once: the very next key must not be queued
                self._queue.put((_PAUSE if self._paused else _RESUME, now))
                log.info("recording %s", "paused" if self._paused else "resumed")
            elif name == self.config.stop_key:
                self._queue.put((_STOP, now))
            else:
                self._status = "discarded"
                self._queue.put((_DISCARD, now))
        return True

    def _on_press(self, key: Any, injected: bool = False) -> None:
        if key is None or self._control_key(key, True) or self._paused:
            return
        event = self._key_event(key, True)
        if event is not None:
            self._queue.put(event)

    def _on_release(self, key: Any, injected: bool = False) -> None:
        if key is None or self._control_key(key, False) or self._paused:
            return
        event = self._key_event(key, False)
        if event is not None:
            self._queue.put(event)

    def _on_click(self, x: int, y: int, button: Any, pressed: bool, injected: bool = False) -> None:
        if self._paused or button.name not in ("left", "right", "middle"):
            return
        (self._buttons.add if pressed else self._buttons.discard)(button.name)
        self._queue.put(ButtonEvent(int(x), int(y), button.name, pressed, time.monotonic()))

    def _on_move(self, x: int, y: int, injected: bool = False) -> None:
        if self._buttons and not self._paused:  # motion matters only while a button is down
            self._queue.put(MoveEvent(int(x), int(y), time.monotonic()))

    def _on_scroll(self, x: int, y: int, dx: int, dy: int, injected: bool = False) -> None:
        if dy and not self._paused:  # pynput: dy > 0 is up; ours: positive is down
            self._queue.put(ScrollEvent(int(x), int(y), -int(dy), time.monotonic()))

    # ------------------------------------------------------------------ worker
    def _work(self) -> None:
        try:
            capture = ScreenCapture(self.config.region)
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        try:
            self.region = capture.region
            folder = EventFolder(
                self.region, self.config.folding or FoldingConfig(system_double_click_interval())
            )
            self._writer = self._open_writer(self.region)
            self._t0 = time.monotonic()
        except BaseException as e:
            capture.close()
            self._error = e
            self._ready.set()
            return
        self._frames = FrameRing(capture.grab, size=4, guard=self.config.guard)
        self._frames.grab()
        self._ready.set()
        try:
            self._loop(StepMaker(folder, self._frames, self._writer, self._t0, self._on_step))
        except BaseException as e:  # kept for wait(), which keeps the steps written so far
            log.exception("recording failed")
            self._error = e
        finally:
            capture.close()

    def _open_writer(self, region: Region) -> TrajectoryWriter:
        c = self.config
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        episode_id = c.episode_id or f"human-{stamp}-{secrets.token_hex(3)}"
        meta = EpisodeMeta(
            task=c.task,
            source="human",
            obs_size=c.obs_size,  # type: ignore[arg-type]
            screen=dataclasses.asdict(region),
            extra={"recorder": {"stop_key": c.stop_key, "pause_key": c.pause_key}},
        )
        return TrajectoryWriter(c.out, episode_id, meta)

    def _loop(self, steps: StepMaker) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.config.frame_period)
            except queue.Empty:
                steps.tick(time.monotonic())
                if not self._paused:  # input is idle: keep the screen the next action starts from
                    steps.frames.grab()
                continue
            if not isinstance(item, tuple):
                steps.event(item)
                continue
            kind = item[0]
            if kind == _DISCARD:
                return
            steps.flush()
            if kind == _STOP:
                self._final, self._stopped_at = steps.now(), item[1]
                return
            steps.frames.clear()  # never show a screen from before a pause after it
            steps.folder.release_all()  # keys released while paused were never seen
            if kind == _RESUME:  # the screen as recording resumes precedes any next action
                steps.frames.grab()

    def _on_step(self, n: int, action: Action) -> None:
        with self._cond:
            self._steps = n
            self._cond.notify_all()
