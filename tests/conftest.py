"""Shared fixtures: a real X server (Xvfb) per test worker and the reporting Tk app on it.

``xvfb``     the display name (``":99"``) of this worker's Xvfb, with ``DISPLAY`` set for the test.
``tk_app``   ``tests/tkapp.py`` running on that display: ``.geometry[name] -> (x, y, w, h)`` in root
             pixels, ``.events`` (every JSON event so far), ``.wait_for(predicate, timeout, since=0)``.

One Xvfb serves a whole worker process (session scope) on purpose: pyautogui opens its X connection
once, at import, so a process must never move to a second display. Each pytest-xdist worker is its
own process and gets its own server. Tests that need no display never start one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deskpilot.envs.desktop.xvfb import start_xvfb
from deskpilot.scripts.cli import use_compilation_cache

# One persistent XLA compilation cache for the run: both test workers, and every process a test
# starts, compile the same tiny and small programs again and again. A size limit turns on the
# cache's file lock, so two workers never read a half-written entry. A clean clone starts it empty.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(__file__).parents[1] / ".pytest_cache" / "xla"))
os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(2**31))
use_compilation_cache()  # into JAX's config too, should a plugin have imported JAX already

SCREEN_SIZE = (800, 600)  # (width, height) of the Xvfb screen
_TK_APP = Path(__file__).with_name("tkapp.py")


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """This worker's Xvfb display name; the server lives as long as the worker process."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb); display tests need a real X server")
    proc, display = start_xvfb(SCREEN_SIZE)
    try:
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def xvfb(xvfb_display: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The worker's Xvfb display name, with ``DISPLAY`` pointing at it for this test only."""
    monkeypatch.setenv("DISPLAY", xvfb_display)
    return xvfb_display


class TkApp:
    """Handle on a running ``tests/tkapp.py``; see that file for the event vocabulary."""

    def __init__(self, display: str, timeout: float = 15.0) -> None:
        env = {**os.environ, "DISPLAY": display}
        self.proc = subprocess.Popen(
            [sys.executable, str(_TK_APP)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            first = self.wait_for(lambda e: e["type"] == "geometry", timeout)
        except TimeoutError:
            self.close()
            raise RuntimeError(
                f"tkapp.py did not start: {self.proc.stderr.read() if self.proc.stderr else ''}"
            ) from None
        self.geometry: dict[str, tuple[int, int, int, int]] = {
            name: tuple(box) for name, box in first["widgets"].items()
        }

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def center(self, name: str) -> tuple[int, int]:
        """Root pixel at the middle of widget ``name``."""
        x, y, w, h = self.geometry[name]
        return x + w // 2, y + h // 2

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0, since: int = 0
    ) -> dict[str, Any]:
        """Return the first event at index ``>= since`` matching ``predicate``; ``TimeoutError`` if none."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[since:]:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise TimeoutError(f"no matching event within {timeout} s; got {self.events[since:]}")
                self._cond.wait(remaining)

    def close(self) -> None:
        """Stop the app."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)  # EOF after the exit; closing the pipe under it would raise
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def tk_app(xvfb: str) -> Iterator[TkApp]:
    """``tests/tkapp.py`` running at (0, 0) on this worker's Xvfb, geometry already read."""
    pytest.importorskip("tkinter", reason="tkinter (python3-tk) is needed for the Tk test app")
    app = TkApp(xvfb)
    try:
        yield app
    finally:
        app.close()
