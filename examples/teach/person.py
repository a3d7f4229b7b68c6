"""A scripted person who shows ``app.py``'s tasks through ``deskpilot record``, and a live runner.

``record`` starts the app and ``deskpilot record --success`` on its window, does the task with
xdotool (real X input, the way a person's mouse and keyboard arrive), waits for the app to say it
is done, presses the stop key and checks the saved episode. ``attempt`` gives the app's task to a
policy on the live desktop (``agent.live.run_live``, what ``deskpilot run --execute`` calls) and
returns the app's verdict, whether the policy stopped by itself and its per-step latency.

Everything here waits on conditions (the app's JSON events, the screen settling, the recorder's
log); the one pause is the person's own pace between two actions (``THINK``), which is also what
gives the recorder idle frames of the screen before each action.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.envs.desktop.capture import Region

APP = Path(__file__).with_name("app.py")
REGION = Region(0, 0, 320, 420)  # app.py's window
THINK = 0.25  # seconds a person takes between two actions
KINDS = ("button", "field", "boxes")


class App:
    """``app.py`` running on ``DISPLAY``: its task, widgets (root pixels) and events."""

    def __init__(self, kind: str, seed: int, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(APP), "--kind", kind, "--seed", str(seed)],
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
            ready = self.wait_for(lambda e: e["type"] == "ready", timeout)
        except TimeoutError:
            self.close()
            raise
        self.kind, self.task, self.answer = kind, ready["task"], ready["answer"]
        self.widgets: dict[str, list[int]] = ready["widgets"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.events.append(json.loads(line))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """The first event matching ``predicate``; ``TimeoutError`` naming the events seen if none comes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    stderr = (
                        self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
                    )
                    raise TimeoutError(
                        f"app.py: no matching event in {timeout} s; got {self.events} {stderr}"
                    )
                self._cond.wait(left)

    def verdict(self, timeout: float) -> dict[str, Any] | None:
        """The app's ``result`` event, or None if the attempt was never decided."""
        try:
            return self.wait_for(lambda e: e["type"] == "result", timeout)
        except TimeoutError:
            return None

    def centre(self, name: str) -> tuple[int, int]:
        """Root pixel at the middle of widget ``name``."""
        x, y, w, h = self.widgets[name]
        return x + w // 2, y + h // 2

    def close(self) -> None:
        """Stop the app."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def xdo(*args: str) -> None:
    """One xdotool command on ``DISPLAY``."""
    subprocess.run(["xdotool", *args], check=True, timeout=10)


def _settle() -> None:
    from deskpilot.envs.desktop.capture import ScreenCapture, wait_until_stable

    capture = ScreenCapture(REGION)
    try:
        wait_until_stable(capture, timeout=2.0, quiet=0.1)
    finally:
        capture.close()
    time.sleep(THINK)  # the person's pace, not a synchronisation


def perform(app: App) -> None:
    """Do ``app``'s task the right way, waiting for the app to take in each action."""

    def click(name: str) -> None:
        _settle()
        x, y = app.centre(name)
        xdo("mousemove", str(x), str(y), "click", "1")

    a = app.answer
    if app.kind == "button":
        click(a["click"])
    elif app.kind == "field":
        click(a["field"])
        app.wait_for(lambda e: e["type"] == "focus" and e["field"] == a["field"], 5)
        _settle()
        xdo("type", "--delay", "40", a["text"])
        app.wait_for(lambda e: e["type"] == "typed" and e["text"] == a["text"], 5)
        _settle()
        xdo("key", "Return")
    else:
        for box in a["tick"]:
            click(box)
            app.wait_for(lambda e, box=box: e["type"] == "check" and e["box"] == box and e["value"] == 1, 5)
        click(a["click"])
    result = app.wait_for(lambda e: e["type"] == "result", 5)
    if not result["success"]:
        raise RuntimeError(f"the scripted person failed {app.task!r}: {result['detail']}")


def record(app: App, out: Path, episode_id: str) -> Path:
    """Show ``app``'s task once through ``deskpilot record --success``; the saved episode's folder."""
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / f"{episode_id}.log"
    r = REGION
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "deskpilot.scripts.cli", "record", "--task", app.task, "--out", str(out)]
            + ["--region", f"{r.left},{r.top},{r.width},{r.height}", "--episode-id", episode_id, "--success"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while b"recording Region" not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"deskpilot record did not start: {log_path.read_text()}")
            time.sleep(0.02)  # polling interval of a condition wait
        perform(app)
        _settle()  # the person sees "Done." before stopping
        xdo("key", "F9")
        if proc.wait(timeout=30) != 0:
            raise RuntimeError(f"deskpilot record failed: {log_path.read_text()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log_path.unlink()
    return out / episode_id


@dataclasses.dataclass
class Attempt:
    """One live run of a policy on one app layout."""

    success: bool  # the app's verdict: the right thing was done
    stopped: bool  # the policy said DONE (rather than reaching the step limit)
    steps: int
    latency_ms: list[float]  # per step, the policy's decision time

    @property
    def solved(self) -> bool:
        """Done right and stopped by itself: what a person teaching it wants."""
        return self.success and self.stopped


def attempt(actor: Any, app: App, out: Path, max_steps: int = 8) -> Attempt:
    """Run ``actor`` live (executing) on ``app``'s task until DONE or ``max_steps``."""
    from deskpilot.agent.live import LiveConfig, Timed, run_live

    timed = Timed(actor)
    config = LiveConfig(app.task, out, execute=True, max_steps=max_steps, region=REGION, stop_key=None)
    result = run_live(timed, config, print_fn=lambda line: None)
    verdict = app.verdict(timeout=2.0)
    return Attempt(
        success=bool(verdict and verdict["success"]),
        stopped=result.end == "done",
        steps=len(result.trajectory.steps),
        latency_ms=[1000 * s for s in timed.seconds],
    )
