"""pynput helpers for the live desktop, shared by the recorder and the agent's stop key.

``pynput`` is imported lazily, only here and in ``collectors.recorder``. ``listener_class`` adds
the fixes pynput's X backend needs to any of its listener classes.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from deskpilot.envs.actions import canonical_key

__all__ = ["JOIN_TIMEOUT", "KEY_NAMES", "listener_class", "system_double_click_interval", "watch_key"]

# pynput Key names that differ from ours (everything else keeps its pynput name).
KEY_NAMES = {
    "ctrl_l": "ctrl",
    "ctrl_r": "ctrl",
    "alt_l": "alt",
    "alt_r": "alt",
    "shift_l": "shift",
    "shift_r": "shift",
    "shift_lock": "caps_lock",
    "cmd": "super",
    "cmd_l": "super",
    "cmd_r": "super",
    "esc": "escape",
    "page_up": "pageup",
    "page_down": "pagedown",
}
JOIN_TIMEOUT = 2.0  # s; a listener that still runs then is a daemon thread and is left behind


def system_double_click_interval(default: float = 0.5) -> float:
    """The desktop's double-click interval in seconds (GNOME setting), else ``default``."""
    if shutil.which("gsettings") is None:
        return default
    try:
        out = subprocess.run(
            ["gsettings", "get", "org.gnome.desktop.peripherals.mouse", "double-click"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout.split()
        ms = int(out[-1])
    except (subprocess.TimeoutExpired, OSError, ValueError, IndexError):
        return default
    return ms / 1000 if ms > 0 else default


def listener_class(base: type) -> type:
    """``base`` (a pynput listener class) with two fixes for its X backend.

    * It remembers the X keycode of the event being handled (``.code``), which pairs a key's
      release with its press; pynput itself reports only the keysym, which depends on shift.
    * It stops at once. pynput 1.8.2 sends its RECORD "disable" over the very connection that is
      blocked reading events, so the listener leaves only after one more input event: a recorder
      stopped by a signal would keep a thread reading a display that may be gone. Disabling the
      context from a fresh connection ends the event stream immediately.
    """

    class Listener(base):  # type: ignore[misc, valid-type]
        code: Hashable = None

        def _handle_message(self, display: Any, event: Any, injected: bool) -> None:
            self.code = getattr(event, "detail", None)
            super()._handle_message(display, event, injected)

        def _stop_platform(self) -> None:
            context = getattr(self, "_context", None)
            stop_display = getattr(self, "_display_stop", None)
            if context is None or stop_display is None:  # not the X backend, or not started
                super()._stop_platform()
                return
            import Xlib.display

            # pynput disables the context once more on this connection as its thread ends; the
            # server then answers BadContext, which is expected and not worth printing.
            stop_display.set_error_handler(lambda *_: None)
            display = Xlib.display.Display()
            try:
                display.record_disable_context(context)
                display.sync()
            finally:
                display.close()

    return Listener


@contextlib.contextmanager
def watch_key(key: str, on_press: Callable[[], None]) -> Iterator[None]:
    """Within the block, call ``on_press`` (from the listener thread) whenever ``key`` is pressed.

    ``key`` is a canonical key name such as ``f12``; the agent's live runs use it as a stop key.
    """
    from pynput import keyboard

    wanted = canonical_key(key)

    def pressed(k: Any, injected: bool = False) -> None:
        name = getattr(k, "name", None) or getattr(k, "char", None) or ""
        if KEY_NAMES.get(name, name) == wanted:
            on_press()

    listener = listener_class(keyboard.Listener)(on_press=pressed)
    listener.start()
    listener.wait()
    try:
        yield
    finally:
        listener.stop()
        listener.join(JOIN_TIMEOUT)
