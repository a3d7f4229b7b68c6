"""``MiniWoBEnv``: a MiniWoB++ task in a visible Chromium, seen and driven only through the desktop."""

from __future__ import annotations

import dataclasses
from typing import Any

import gymnasium as gym
import numpy as np

from deskpilot.envs.actions import TEXT_CHARSET, Action, ActionType
from deskpilot.envs.info import ELEMENTS, REGION, STEP
from deskpilot.envs.miniwob.browser import BrowserCrashedError, BrowserError
from deskpilot.envs.miniwob.host import Host
from deskpilot.envs.miniwob.page import RESET_JS, STATE_JS, STEP_JS, TASK_H, TASK_W, expected_events
from deskpilot.envs.spaces import (
    DEFAULT_OBS_SIZE,
    MAX_TASK_LENGTH,
    Observation,
    action_space,
    as_action,
    observation_space,
)

__all__ = ["BROWSER_KEYS", "MiniWoBConfig", "MiniWoBEnv", "page_elements"]

_CHARSET = frozenset(TEXT_CHARSET)

# Chromium's own shortcuts: closing, reloading, navigating, zooming or opening tools would end the
# page's episode or change its pixel geometry, so KEY actions with these do nothing (as WAIT does).
BROWSER_KEYS: frozenset[str] = frozenset(
    ["ctrl+w", "ctrl+q", "ctrl+t", "ctrl+n", "ctrl+o", "ctrl+s", "ctrl+p", "ctrl+u", "ctrl+h", "ctrl+j"]
    + ["ctrl+d", "ctrl+e", "ctrl+f", "ctrl+g", "ctrl+k", "ctrl+l", "ctrl+r", "ctrl+0", "ctrl+-", "ctrl+="]
    + ["ctrl+shift+w", "ctrl+shift+q", "ctrl+shift+t", "ctrl+shift+n", "ctrl+shift+r", "ctrl+shift+i"]
    + ["ctrl+shift+j", "ctrl+shift+c", "ctrl+shift+b", "ctrl+shift+o", "ctrl+shift+delete", "ctrl+shift+="]
    + ["ctrl+shift+-", "alt+f4", "alt+left", "alt+right", "alt+home", "alt+d", "alt+e", "alt+f"]
    + ["f1", "f3", "f5", "f6", "f7", "f10", "f11", "f12"]
)


@dataclasses.dataclass(frozen=True)
class MiniWoBConfig:
    """How a MiniWoB env runs."""

    task: str  # MiniWoB task name, e.g. "click-test" (a page in the miniwob wheel)
    display: str = "auto"  # "auto": a private Xvfb for this process; ":N": an X display you run
    max_steps: int = 20  # truncate the episode after this many actions
    page_time_limit_s: float = 3600.0  # MiniWoB's own timer (it fails slow actors); high on purpose
    input_timeout_s: float = 1.0  # longest wait for an action's input events to reach the page
    screen_timeout_s: float = 10.0  # longest wait for the screen to show the page state just read
    data_mode: str = "train"  # MiniWoB's data mode for tasks that have one ("train" / "test")

    def __post_init__(self) -> None:
        if not self.task or "/" in self.task:
            raise ValueError(f"task: expected a MiniWoB task name such as 'click-test', got {self.task!r}")
        if self.display != "auto" and not self.display.startswith(":") and ":" not in self.display:
            raise ValueError(
                f"display: expected 'auto' or an X display name such as ':1', got {self.display!r}"
            )
        if self.max_steps < 1:
            raise ValueError(f"max_steps: expected >= 1, got {self.max_steps}")
        if not 1.0 <= self.page_time_limit_s <= 1e6:
            raise ValueError(f"page_time_limit_s: expected seconds in [1, 1e6], got {self.page_time_limit_s}")
        if not 0.05 <= self.input_timeout_s <= 30:
            raise ValueError(f"input_timeout_s: expected seconds in [0.05, 30], got {self.input_timeout_s}")
        if not 0.05 <= self.screen_timeout_s <= 60:
            raise ValueError(f"screen_timeout_s: expected seconds in [0.05, 60], got {self.screen_timeout_s}")
        if self.data_mode not in ("train", "test"):
            raise ValueError(f"data_mode: expected 'train' or 'test', got {self.data_mode!r}")


def page_elements(state: dict[str, Any]) -> list[dict[str, Any]]:
    """``info["elements"]`` from a page state: normalised boxes, labels and roles, in paint order.

    Every visible word comes first (role ``"text"``), then the interactive elements: a click is
    attributed to the topmost box under it, so a word never takes a click from its button or link,
    while every word still gets its own letter targets.
    """
    words = [{**w, "role": "text"} for w in state.get("words", [])]
    return [
        {
            "box": [e["box"][0] / TASK_W, e["box"][1] / TASK_H, e["box"][2] / TASK_W, e["box"][3] / TASK_H],
            "label": e["label"],
            "role": e["role"],
        }
        for e in [*words, *state["elements"]]
    ]


def page_dom(state: dict[str, Any]) -> list[dict[str, Any]]:
    """``info["dom"]`` from a page state: the interactive elements in pixels, then every visible word.

    A word has an element's keys (role ``"text"``, ``label`` the word, ``point`` its centre) and comes
    after the elements, so a kit that takes the first match of a label still finds the button, while
    kits whose answer is drawn on the page (a sum's operands, a slider's value) can read it.
    """
    words = [
        {
            **_WORD,
            "label": w["label"],
            "text": w["label"],
            "box": w["box"],
            "point": [int((w["box"][0] + w["box"][2]) // 2), int((w["box"][1] + w["box"][3]) // 2)],
        }
        for w in state.get("words", [])
    ]
    return [*state["elements"], *words]


_WORD: dict[str, Any] = {"tag": "", "type": "", "id": "", "classes": "", "role": "text", "value": None}
_WORD |= {"checked": None, "focused": False, "colour": "", "context": ""}


def _task_text(utterance: str) -> str:
    text = "".join(c if c in _CHARSET else "?" for c in utterance)
    return text[:MAX_TASK_LENGTH]


class MiniWoBEnv(gym.Env[Observation, Action]):
    """A MiniWoB++ task in a real Chromium window, observed by screen capture and driven by OS input.

    The browser's WebDriver loads and resets the page and reads its state; it never clicks or
    types. Every action goes through ``envs.desktop.executor.Executor`` (XTEST input, as for a person).

    ## Action Space
    ``envs.spaces.action_space()``; ``step`` also takes an ``envs.Action``. Coordinates are
    normalised over the 160x210 task area.

    ## Observation Space
    ``{"screenshot": uint8 (210, 160, 3), "task": str}``: an mss capture of the task area (screen
    pixels (0, 0)-(160, 210)), taken once the screen shows the page state that ``info`` describes
    (``screen.PageScreen``), and MiniWoB's instruction text.

    ## Rewards
    1.0 on the step where the page ends the episode with raw reward 1 (success), else 0.0.

    ## Starting State
    ``reset(seed=s)`` seeds the page's generator with ``s`` (same seed, same problem). The pointer
    is parked off the task area first, and the page has seen it leave before the first frame is
    taken, so no hover effect shows in it.

    ## Episode End
    Terminated when the page says done (success or failure) or on DONE; truncated after
    ``max_steps`` actions. ``info["success"]`` says whether the page gave raw reward 1.

    ## Arguments
    See ``MiniWoBConfig``: ``task``, ``display`` ("auto" starts a private Xvfb per process; an
    explicit ``":N"`` uses that display, whose windows it shares), ``max_steps``, ...

    ``info`` carries ``elements`` (visible interactive elements: normalised ``box``, ``label``,
    ``role``), ``dom`` (the same elements with tag, id, value, checked, focus and a pixel ``point``
    where a click reaches them: for the scripted expert only), ``raw_reward``, ``task_name``,
    ``screen``, ``input_timeout`` and ``screen_timeout`` (the page did not get the action's input,
    or the screen did not show the page's state, in time), ``blocked_key`` and, at the end,
    ``success``. KEY actions in ``BROWSER_KEYS`` (Chromium's own shortcuts: close, reload, zoom,
    devtools, ...) are not sent: they would end the page or change its geometry. ``sync(action)``
    observes an action someone else did in the window (a person being recorded), once the page
    has it.
    """

    # ``one_per_process``: instances cannot be stepped side by side (one browser and display per
    # process: a reset by one env ends the page of the others).
    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 10, "one_per_process": True}

    def __init__(self, task: str, render_mode: str | None = None, **kwargs: Any) -> None:
        """Create the env; the browser starts on the first ``reset``. ``kwargs`` are ``MiniWoBConfig`` fields."""
        self.config = MiniWoBConfig(task=task, **kwargs)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode: expected None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.action_space = action_space()  # type: ignore[assignment]
        self.observation_space = observation_space(*DEFAULT_OBS_SIZE)  # type: ignore[assignment]
        self._host: Host | None = Host.acquire(self.config.display)
        self._state: dict[str, Any] = {}
        self._obs: Observation | None = None
        self._steps = 0
        self._over = True
        self._mark = 0  # the mark of the last state read (screen.PageScreen)
        self._screen_timeout = False

    # ----------------------------------------------------------------- gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Start a new episode of the task (a fresh browser if the last one crashed)."""
        super().reset(seed=seed)
        host = self._live_host()
        session = host.ensure()
        if (
            host.owner != id(self)
            or session.url is None
            or not session.url.endswith(f"/{self.config.task}.html")
        ):
            session.load(self.config.task)
        host.owner = id(self)
        page_seed = str(seed if seed is not None else int(self.np_random.integers(2**31)))
        park = host.park_pointer()
        limit_ms = int(self.config.page_time_limit_s * 1000)
        if not session.async_script(RESET_JS, limit_ms, page_seed, self.config.data_mode, park):
            raise BrowserError(f"MiniWoB task {self.config.task} did not become ready after reset")
        self._read(None)
        self._steps = 0
        self._over = False
        self._obs = self._observe()
        return self._obs, self._info()

    def step(self, action: Action | dict[str, Any]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """Carry out ``action`` with OS input, wait until the page has it, observe."""
        act = as_action(action)
        if self._over:
            raise RuntimeError("step() called on a finished episode; call reset() first")
        host = self._page_host()
        self._steps += 1
        blocked = act.type is ActionType.KEY and act.key in BROWSER_KEYS
        if act.type is not ActionType.DONE and not blocked:
            try:
                host.executor.execute(act)
            except Exception:
                if host.session is None or not host.session.alive():
                    raise BrowserCrashedError(
                        "the browser died mid-episode; call reset() to start a fresh one"
                    ) from None
                raise
            self._read(act)
        done = bool(self._state["done"]) or act.type is ActionType.DONE
        success = bool(self._state["done"]) and float(self._state["raw_reward"]) >= 1.0
        truncated = not done and self._steps >= self.config.max_steps
        self._over = done or truncated
        self._obs = self._observe()
        info = self._info()
        info["blocked_key"] = blocked
        if self._over:
            info["success"] = success
        return self._obs, float(success), done, truncated, info

    def sync(self, action: Action | dict[str, Any]) -> tuple[Observation, dict[str, Any]]:
        """Wait for ``action``, done by someone else in this env's window, and observe its effect.

        For input the env did not send (a person at the desktop, a test's xdotool): blocks until
        the page has received the action's input events (at most ``input_timeout_s``) and the screen
        shows the page's reaction, then returns ``(observation, info)`` as ``reset`` does. Not a
        step: nothing is sent and no step is counted; the next ``step`` reports the episode's end.
        """
        self._page_host()
        self._read(as_action(action))
        self._obs = self._observe()
        return self._obs, self._info()

    def render(self) -> np.ndarray | None:
        """The last screenshot (``render_mode="rgb_array"``)."""
        if self.render_mode == "rgb_array" and self._obs is not None:
            return self._obs["screenshot"].copy()
        return None

    def close(self) -> None:
        """Release this env's share of the browser; the last env of the process stops it."""
        host, self._host = self._host, None
        if host is not None:
            host.release()

    def __del__(self) -> None:
        # Also runs in the interpreter's last teardown, when module globals (``contextlib``
        # included) may already be None: builtins only.
        try:  # noqa: SIM105
            self.close()
        except Exception:
            pass

    # ----------------------------------------------------------------- helpers
    def make_expert(self) -> Any:
        """The scripted DOM-reading expert for this task."""
        from deskpilot.envs.miniwob.expert import MiniWoBExpert

        return MiniWoBExpert(self.config.task)

    def _live_host(self) -> Host:
        if self._host is None:
            raise RuntimeError("the env is closed")
        return self._host

    def _page_host(self) -> Host:
        host = self._live_host()
        if host.owner != id(self) or host.session is None:
            raise RuntimeError(
                f"another MiniWoB env of this process reset the shared browser since this env's reset; "
                f"call reset() on {self.config.task} again"
            )
        return host

    def _read(self, act: Action | None) -> None:
        """Read the page state (after ``act``'s input events have arrived) and have it paint a mark."""
        host = self._live_host()
        assert host.session is not None and host.screen is not None  # the browser runs since reset
        self._mark = host.screen.next_mark()
        if act is None:
            self._state = host.session.script(STATE_JS, self._mark)
        else:
            want = expected_events(act, self._state.get("events", {}))
            timeout_ms = int(self.config.input_timeout_s * 1000)
            self._state = host.session.async_script(STEP_JS, want, timeout_ms, self._mark)

    def _observe(self) -> Observation:
        """The task area once the screen shows the last state read (its mark)."""
        host = self._live_host()
        assert host.screen is not None  # the display is open since reset
        frame, shown = host.screen.grab(self._mark, self._state["mark_at"], self.config.screen_timeout_s)
        self._screen_timeout = not shown
        return {"screenshot": frame, "task": _task_text(self._state.get("utterance", ""))}

    def _info(self) -> dict[str, Any]:
        host = self._live_host()
        return {
            ELEMENTS: page_elements(self._state),
            "dom": page_dom(self._state),
            "raw_reward": float(self._state["raw_reward"]),
            "reason": self._state.get("reason"),
            "input_timeout": bool(self._state.get("input_timeout", False)),
            "screen_timeout": self._screen_timeout,  # the screenshot may predate the state
            "task_name": self.config.task,
            REGION: (0, 0, TASK_W, TASK_H),  # the task area sits at the display's origin
            "display": host.display,
            STEP: self._steps,
        }
