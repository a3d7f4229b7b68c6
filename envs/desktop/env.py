"""``DesktopEnv``: the live screen as a Gymnasium env (registered as ``deskpilot/desktop-v0``)."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import gymnasium as gym
import numpy as np
from PIL import Image

from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.desktop.capture import Region, ScreenCapture, find_window, wait_until_stable
from deskpilot.envs.desktop.executor import Executor
from deskpilot.envs.info import ELEMENTS, REGION, STEP
from deskpilot.envs.spaces import (
    DEFAULT_OBS_SIZE,
    MAX_TASK_LENGTH,
    Observation,
    action_space,
    as_action,
    observation_space,
)

__all__ = ["DesktopConfig", "DesktopEnv", "RewardFn", "resize"]

RewardFn = Callable[[Observation, Action, dict[str, Any]], float]
"""``reward_fn(observation, action, info) -> reward``, called after every step."""


@dataclasses.dataclass(frozen=True)
class DesktopConfig:
    """How ``DesktopEnv`` observes and acts. Give at most one of ``region`` and ``window``."""

    region: Region | None = None  # rectangle to observe and act in; None: `window`, else `monitor`
    window: str | None = None  # title pattern of a window to observe (X11, needs xdotool)
    monitor: int = 1  # mss monitor index observed when neither region nor window is given
    obs_size: tuple[int, int] = DEFAULT_OBS_SIZE  # (height, width) of observation screenshots
    execute: bool = False  # act on the real screen; False = dry-run: actions are recorded, not done
    max_steps: int = 100  # steps per episode; the step that reaches it returns truncated=True
    settle_timeout: float = 1.0  # longest wait (s) for the screen to stop changing after an action
    settle_quiet: float = 0.05  # how long (s) the screen must stay unchanged to count as settled
    pause: float = 0.01  # pyautogui.PAUSE (s) after each input call; see envs.desktop.executor
    failsafe: bool = True  # pyautogui fail-safe: pointer in a screen corner aborts the next action

    def __post_init__(self) -> None:
        if self.region is not None and not isinstance(self.region, Region):
            raise ValueError(f"region: expected an envs.desktop.Region or None, got {self.region!r}")
        if self.window is not None and (not isinstance(self.window, str) or not self.window):
            raise ValueError(f"window: expected a non-empty title pattern or None, got {self.window!r}")
        if self.region is not None and self.window is not None:
            raise ValueError("region and window: give at most one of them")
        size = self.obs_size
        if not (
            isinstance(size, tuple) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)
        ):
            raise ValueError(f"obs_size: expected (height, width) positive ints, got {size!r}")
        if not isinstance(self.execute, bool):
            raise ValueError(f"execute: expected True or False, got {self.execute!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ValueError(f"max_steps: expected an int >= 1, got {self.max_steps!r}")
        for name in ("settle_timeout", "settle_quiet", "pause"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 60:
                raise ValueError(f"{name}: expected seconds in [0, 60], got {value!r}")


def resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``frame`` (RGB uint8) resized to ``size`` = (height, width) with Pillow's bilinear filter."""
    height, width = size
    if frame.shape[:2] == (height, width):
        return frame.copy()
    # reducing_gap: a fast box reduction first, then bilinear; 2-3x faster on big screens.
    image = Image.fromarray(frame).resize((width, height), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.array(image, dtype=np.uint8)


class DesktopEnv(gym.Env[Observation, Action]):
    """The live screen (or a region or window of it), observed with ``mss`` and driven with pyautogui.

    ## Action Space
    ``envs.spaces.action_space()``; ``step`` also takes an ``envs.Action``. Coordinates are
    normalised over the observed area: pixel = ``left + to_pixel(x, width)``. See
    ``envs.desktop.executor`` for how each action type is carried out (text is typed exactly, via
    ``xdotool`` on X11, or refused).

    ## Observation Space
    ``envs.spaces.observation_space(*obs_size)``: ``{"screenshot": uint8 (H, W, 3), "task": str}``.
    The screenshot is the observed area resized (bilinear) to ``obs_size``, taken once the screen
    has settled; the task is the one given to ``reset``.

    ## Rewards
    0 after every step: the live desktop has no success signal. Pass ``reward_fn(obs, action,
    info) -> float`` to compute one.

    ## Starting State
    Whatever is on the screen. ``reset`` changes nothing on it: it waits for the screen to settle,
    observes it, sets the task and zeroes the step count.

    ## Episode End
    Terminated when the action is DONE. Truncated on the step that reaches ``max_steps``, and on any
    step after ``stop()`` (or SIGINT/SIGTERM inside ``handle_signals()``): such a step does nothing.

    ## Arguments
    ``DesktopEnv(config=None, *, reward_fn=None, render_mode=None, **fields)``: ``fields`` are
    ``DesktopConfig`` fields (override ``config``'s). Nothing is executed on the screen unless
    ``execute=True``; otherwise actions are recorded in ``env.executor.actions`` / ``.calls``.
    ``info`` holds ``elements`` (always empty: a live screen has no widget tree), ``success``
    (False), ``settled`` (whether the screen stopped changing in time), ``step``, ``dry_run``,
    ``stopped`` and ``region`` (``(left, top, width, height)`` in root pixels).
    """

    # ``one_per_process``: instances cannot be stepped side by side (all act on the one screen).
    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 10, "one_per_process": True}

    def __init__(
        self,
        config: DesktopConfig | None = None,
        *,
        reward_fn: RewardFn | None = None,
        render_mode: str | None = None,
        **fields: Any,
    ) -> None:
        """Open the capture (and, with ``execute=True``, the input) on the current display."""
        config = config or DesktopConfig()
        if fields:
            config = dataclasses.replace(config, **fields)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode: expected None or one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        if reward_fn is not None and not callable(reward_fn):
            raise ValueError(f"reward_fn: expected a callable or None, got {reward_fn!r}")
        self.config = config
        self.reward_fn = reward_fn
        self.render_mode = render_mode
        region = find_window(config.window) if config.window is not None else config.region
        self.capture = ScreenCapture(region, config.monitor)
        try:
            self.executor = Executor(
                self.capture.region, dry_run=not config.execute, pause=config.pause, failsafe=config.failsafe
            )
        except Exception:
            self.capture.close()
            raise
        self.action_space = action_space()  # type: ignore[assignment]
        self.observation_space = observation_space(*config.obs_size)  # type: ignore[assignment]
        self._task_space = self.observation_space["task"]  # type: ignore[index]
        self._task = ""
        self._steps = 0
        self._frame: np.ndarray | None = None
        self._settled = False
        self._stopped = False

    # ----------------------------------------------------------------- Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Observe the settled screen and start an episode on ``options["task"]`` (default "")."""
        super().reset(seed=seed)
        task = (options or {}).get("task", "")
        if not isinstance(task, str) or not self._task_space.contains(task):
            raise ValueError(
                f"options['task']: expected a string of at most {MAX_TASK_LENGTH} printable characters, got {task!r}"
            )
        self._task = task
        self._steps = 0
        self._observe()
        return self._observation(), self._info()

    def step(self, action: Action | dict[str, Any]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """Do ``action`` (or record it, in dry-run), wait for the screen to settle, observe it."""
        if self._frame is None:
            raise RuntimeError("DesktopEnv.step called before reset()")
        action = as_action(action)
        if self._stopped:
            return self._observation(), 0.0, False, True, self._info()
        self.executor.execute(action)
        self._steps += 1
        self._observe()
        obs, info = self._observation(), self._info()
        reward = float(self.reward_fn(obs, action, info)) if self.reward_fn is not None else 0.0
        terminated = action.type is ActionType.DONE
        truncated = self._steps >= self.config.max_steps or self._stopped
        return obs, reward, terminated, truncated, info

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        """The last capture at full resolution (``render_mode="rgb_array"``), else ``None``."""
        if self.render_mode != "rgb_array" or self._frame is None:
            return None
        return self._frame.copy()

    def close(self) -> None:
        """Release the display connection."""
        self.capture.close()

    # ----------------------------------------------------------------- stopping
    @property
    def stopped(self) -> bool:
        """Whether ``stop()`` was called (or a handled signal arrived); it stays stopped."""
        return self._stopped

    def stop(self) -> None:
        """Ask the env to stop: every later step truncates at once and executes nothing."""
        self._stopped = True

    @contextlib.contextmanager
    def handle_signals(
        self, signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
    ) -> Iterator[DesktopEnv]:
        """Within the block, SIGINT/SIGTERM call ``stop()`` instead of killing the process.

        The action under way finishes (no key or button is left held down); the next step
        truncates. Previous handlers come back on exit. Call from the main thread only.
        """

        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stop()

        previous = {s: signal.signal(s, on_signal) for s in signums}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    # ----------------------------------------------------------------- helpers
    def _observe(self) -> None:
        self._frame, self._settled = wait_until_stable(
            self.capture, timeout=self.config.settle_timeout, quiet=self.config.settle_quiet
        )

    def _observation(self) -> Observation:
        assert self._frame is not None
        return {"screenshot": resize(self._frame, self.config.obs_size), "task": self._task}

    def _info(self) -> dict[str, Any]:
        r = self.capture.region
        return {
            ELEMENTS: [],
            "success": False,
            "settled": self._settled,
            STEP: self._steps,
            "dry_run": self.executor.dry_run,
            "stopped": self._stopped,
            REGION: (r.left, r.top, r.width, r.height),
        }
