"""Carries out ``Action``s on the live screen; the only module that imports ``pyautogui`` (lazily).

Public API (stable; ``DesktopEnv`` and the MiniWoB env build on it):

* ``Executor(region, *, dry_run=False, pause=0.01, failsafe=True, type_delay_ms=5, drag_steps=8)``
  with ``execute(action)`` for every ``ActionType``. Coordinates are normalised over ``region``:
  pixel = ``region.left + to_pixel(x, region.width)`` (same for y).
* ``plan(action, region, drag_steps)`` -> the list of low-level ``Call``s an action becomes.
* ``Executor.calls`` / ``Executor.actions``: every call and action executed so far, or, in dry-run
  mode, that would have been executed. A dry-run executor never imports pyautogui and needs no display.

How each action type runs:

* CLICK / DOUBLE_CLICK / RIGHT_CLICK: move to the pixel and click (left, left twice, right).
* SCROLL: ``scroll`` wheel ticks at the pixel; positive = down, so the sign is flipped for
  pyautogui, whose positive is up. One tick is one wheel click (X buttons 4/5).
* DRAG: press at the start, move along ``drag_steps`` evenly spaced points, release at the end.
* KEY: ``pyautogui.hotkey`` of the canonical combination (``super`` becomes ``winleft``).
* TYPE: pyautogui cannot type all of ``TEXT_CHARSET`` under X: it types ``<`` as ``>`` and drops
  non-ASCII characters without a word. On X11 the text goes through ``xdotool type``, which
  types any character exactly. Without xdotool only text in ``PYAUTOGUI_SAFE_TEXT`` is typed (with
  pyautogui); anything else raises ``ExecutorError`` rather than typing something else.
* WAIT / DONE: nothing.

pyautogui's settings are module globals: ``execute`` sets ``pyautogui.PAUSE`` and
``pyautogui.FAILSAFE`` from this executor before every action. With the fail-safe on, moving the
real pointer into a screen corner raises ``pyautogui.FailSafeException`` at the next action.
"""

from __future__ import annotations

import os
import shutil
import string
import subprocess
import sys
import warnings
from typing import Any, NamedTuple

from deskpilot.envs.actions import Action, ActionType, to_pixel
from deskpilot.envs.desktop.capture import Region

__all__ = ["PYAUTOGUI_SAFE_TEXT", "Call", "Executor", "ExecutorError", "plan"]

# Characters pyautogui types correctly under X (checked on Xvfb's US keymap): letters, digits,
# space and the punctuation below. '<' comes out as '>', and non-ASCII is dropped.
PYAUTOGUI_SAFE_TEXT = frozenset(string.ascii_letters + string.digits + " !\"#$%&'()*+,-./:;=?@[\\]^_`{|}~>")

# Canonical key names (envs.actions.KEY_NAMES, MODIFIERS) whose pyautogui name differs.
_PYAUTOGUI_KEYS = {"super": "winleft"}


class ExecutorError(RuntimeError):
    """An action cannot be carried out as asked (no display, missing tool, untypeable text)."""


class Call(NamedTuple):
    """One low-level input call: a pyautogui function name (or ``"xdotool_type"``) and its arguments."""

    name: str
    args: tuple[Any, ...]


def _pixel(region: Region, x: float, y: float) -> tuple[int, int]:
    return region.left + to_pixel(x, region.width), region.top + to_pixel(y, region.height)


def _path(start: tuple[int, int], end: tuple[int, int], steps: int) -> list[tuple[int, int]]:
    """``steps`` evenly spaced pixels after ``start``, the last one being ``end``."""
    (x0, y0), (x1, y1) = start, end
    return [
        (round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)) for i in range(1, steps + 1)
    ]


_REMAP_DELAY_MS = 80  # ms per character of ``xdotool type`` for text with characters off the keyboard


def plan(action: Action, region: Region, drag_steps: int = 8, use_xdotool: bool = True) -> list[Call]:
    """The low-level calls that carry out ``action`` over ``region``.

    Args:
        action: what to do.
        region: the observed area the action's normalised coordinates refer to.
        drag_steps: number of pointer moves between press and release of a DRAG.
        use_xdotool: type text with ``xdotool type`` (exact) instead of ``pyautogui.write``.

    Raises:
        ExecutorError: TYPE text pyautogui cannot type and ``use_xdotool`` is False.
    """
    t = action.type
    if t in (ActionType.WAIT, ActionType.DONE):
        return []
    if t is ActionType.TYPE:
        text = action.text or ""
        if use_xdotool:
            return [Call("xdotool_type", (text,))]
        bad = sorted(set(text) - PYAUTOGUI_SAFE_TEXT)
        if bad:
            raise ExecutorError(
                f"cannot type {bad!r} exactly: pyautogui mistypes or drops these characters; "
                "install xdotool (apt-get install xdotool) to type any text under X11"
            )
        return [Call("write", (text,))]
    if t is ActionType.KEY:
        keys = tuple(_PYAUTOGUI_KEYS.get(k, k) for k in (action.key or "").split("+"))
        return [Call("hotkey", keys)]
    assert action.x is not None and action.y is not None
    px, py = _pixel(region, action.x, action.y)
    if t is ActionType.CLICK:
        return [Call("click", (px, py, "left"))]
    if t is ActionType.DOUBLE_CLICK:
        return [Call("doubleClick", (px, py, "left"))]
    if t is ActionType.RIGHT_CLICK:
        return [Call("click", (px, py, "right"))]
    if t is ActionType.SCROLL:
        return [Call("scroll", (-(action.scroll or 0), px, py))]  # pyautogui: positive = up
    if t is ActionType.DRAG:
        assert action.x2 is not None and action.y2 is not None
        end = _pixel(region, action.x2, action.y2)
        moves = [Call("moveTo", p) for p in _path((px, py), end, drag_steps)]
        return [
            Call("moveTo", (px, py)),
            Call("mouseDown", (px, py, "left")),
            *moves,
            Call("mouseUp", (*end, "left")),
        ]
    raise ValueError(f"action: unsupported type {t!r}")  # pragma: no cover - every type is handled


def _normalise_display(name: str) -> str:
    host, _, rest = name.partition(":")
    number, _, screen = rest.partition(".")
    return f"{host}:{number}.{screen or '0'}"


def _import_pyautogui() -> Any:
    """Import pyautogui for the current ``DISPLAY``, or raise ``ExecutorError`` saying what is wrong."""
    display = os.environ.get("DISPLAY", "")
    if sys.platform.startswith("linux") and not display:
        raise ExecutorError("executing actions needs an X display: DISPLAY is not set (run under X or Xvfb)")
    try:
        # pyscreeze (imported by pyautogui) leaves two `which` subprocess pipes open at import;
        # silence their ResourceWarnings here and close the one it keeps, rather than app-wide.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            import pyautogui

            pyscreeze = sys.modules.get("pyscreeze")
            proc = getattr(pyscreeze, "whichProc", None)
            if isinstance(proc, subprocess.Popen):
                for stream in (proc.stdout, proc.stderr):
                    if stream is not None:
                        stream.close()
    except Exception as e:  # Xlib raises its own errors when the display cannot be opened
        raise ExecutorError(
            f"cannot import pyautogui for display {display!r}: {type(e).__name__}: {e}"
        ) from e
    x11 = sys.modules.get("pyautogui._pyautogui_x11")
    if x11 is not None:
        # pyautogui opened its X connection once, at import; it cannot follow DISPLAY afterwards.
        opened = x11._display.get_display_name()
        if _normalise_display(opened) != _normalise_display(display):
            raise ExecutorError(
                f"pyautogui is bound to display {opened!r} (its first import) but DISPLAY is {display!r}; "
                "a process can drive only one X display"
            )
    return pyautogui


class Executor:
    """Executes ``Action``s with pyautogui over a screen region, or records them in dry-run mode."""

    def __init__(
        self,
        region: Region,
        *,
        dry_run: bool = False,
        pause: float = 0.01,
        failsafe: bool = True,
        type_delay_ms: int = 5,
        drag_steps: int = 8,
    ) -> None:
        """Create an executor.

        Args:
            region: the observed area; action coordinates are normalised over it.
            dry_run: record what would be done in ``calls`` / ``actions`` and touch nothing.
            pause: ``pyautogui.PAUSE``, seconds after each pyautogui call. Not the 0.1 s default:
                10 ms keeps press, moves and release distinct for apps that poll the input state,
                while a whole drag still takes under 0.1 s.
            failsafe: ``pyautogui.FAILSAFE``; keep it on for a real screen (pointer into a corner
                aborts).
            type_delay_ms: delay between characters of ``xdotool type``; xdotool remaps a spare
                key for characters not on the keyboard and the app must read the mapping in time.
            drag_steps: pointer moves between press and release of a DRAG.

        Raises:
            ValueError: a bad argument.
            ExecutorError: not dry-run and pyautogui cannot drive the current display.
        """
        if not isinstance(region, Region):
            raise ValueError(f"region: expected an envs.desktop.Region, got {region!r}")
        if not 0.0 <= pause <= 1.0:
            raise ValueError(f"pause: expected seconds in [0, 1], got {pause!r}")
        if isinstance(drag_steps, bool) or not isinstance(drag_steps, int) or drag_steps < 1:
            raise ValueError(f"drag_steps: expected an int >= 1, got {drag_steps!r}")
        if isinstance(type_delay_ms, bool) or not isinstance(type_delay_ms, int) or type_delay_ms < 0:
            raise ValueError(f"type_delay_ms: expected an int >= 0, got {type_delay_ms!r}")
        self.region = region
        self.dry_run = dry_run
        self.pause = pause
        self.failsafe = failsafe
        self.type_delay_ms = type_delay_ms
        self.drag_steps = drag_steps
        self.calls: list[Call] = []
        self.actions: list[Action] = []
        # A dry run plans as a live run on this machine would, so it refuses the same text.
        self._xdotool = shutil.which("xdotool") if sys.platform.startswith("linux") else None
        self._use_xdotool = self._xdotool is not None
        self._pyautogui: Any = None if dry_run else _import_pyautogui()

    def execute(self, action: Action) -> None:
        """Carry out ``action`` (or record it, in dry-run mode).

        Raises:
            ExecutorError: the action cannot be carried out exactly (nothing is done then).
            pyautogui.FailSafeException: the pointer is in a screen corner (fail-safe).
        """
        if not isinstance(action, Action):
            raise ValueError(f"action: expected an envs.Action, got {action!r}")
        calls = plan(action, self.region, self.drag_steps, self._use_xdotool)
        self.actions.append(action)
        self.calls.extend(calls)
        if self.dry_run:
            return
        pg = self._pyautogui
        pg.PAUSE = self.pause
        pg.FAILSAFE = self.failsafe
        for call in calls:
            if call.name == "xdotool_type":
                self._xdotool_type(call.args[0])
            elif call.name in ("click", "doubleClick", "mouseDown", "mouseUp"):
                x, y, button = call.args
                getattr(pg, call.name)(x, y, button=button)
            else:
                getattr(pg, call.name)(*call.args)

    def _xdotool_type(self, text: str) -> None:
        if self.failsafe:
            self._pyautogui.failSafeCheck()  # xdotool bypasses pyautogui's own check
        assert self._xdotool is not None
        # A character off the keyboard is typed on a spare key that xdotool maps, presses and maps
        # back; an app that reads the mapping after it is undone sees no character. On a busy
        # 2-core machine 5 ms lost Tk two such characters in 60, and 30 ms one 'Ł' in a clean CI
        # run, so text with them gets more time.
        delay = self.type_delay_ms if text.isascii() else max(self.type_delay_ms, _REMAP_DELAY_MS)
        done = subprocess.run(
            [self._xdotool, "type", "--delay", str(delay), "--", text],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ExecutorError(f"xdotool type failed (exit {done.returncode}): {done.stderr.strip()}")
