"""Latency figures for the live desktop: capture, capture + resize, and action execution.

``bench_desktop(seconds=3.0)`` returns ``(name, value, unit)`` rows. It executes real input
(clicks, keys, text), so it refuses to run on anything but an Xvfb display unless
``allow_real_display=True``: run it as ``xvfb-run -a deskpilot bench desktop``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.desktop.capture import ScreenCapture
from deskpilot.envs.desktop.env import resize
from deskpilot.envs.desktop.executor import Executor
from deskpilot.envs.spaces import DEFAULT_OBS_SIZE

__all__ = ["bench_desktop", "is_xvfb"]

_ACTIONS: dict[ActionType, Action] = {
    ActionType.CLICK: Action.click(0.5, 0.5),
    ActionType.DOUBLE_CLICK: Action.double_click(0.5, 0.5),
    ActionType.RIGHT_CLICK: Action.right_click(0.5, 0.5),
    ActionType.TYPE: Action.type_text("hello <world> é"),
    ActionType.KEY: Action.press("ctrl+shift+a"),
    ActionType.SCROLL: Action.scroll_at(0.5, 0.5, 3),
    ActionType.DRAG: Action.drag(0.4, 0.4, 0.6, 0.6),
    ActionType.WAIT: Action.wait(),
    ActionType.DONE: Action.done(),
}


def is_xvfb(display: str) -> bool:
    """Whether ``display`` (``":N"``) is served by a local Xvfb process (Linux ``/proc``).

    The lock file names the server's pid; ``Xvfb -displayfd`` may not write one, so the owner of
    the display's listening socket is looked up as well.
    """
    number = display.partition(":")[2].partition(".")[0]
    with contextlib.suppress(OSError, ValueError):
        pid = int(Path(f"/tmp/.X{number}-lock").read_text().strip())
        if Path(f"/proc/{pid}/comm").read_text().strip() == "Xvfb":
            return True
    sockets = {f"/tmp/.X11-unix/X{number}", f"@/tmp/.X11-unix/X{number}"}
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return False
    inodes = {f"socket:[{f[6]}]" for f in (line.split() for line in lines) if len(f) >= 8 and f[7] in sockets}
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            is_server = proc.name.isdigit() and (proc / "comm").read_text().strip() == "Xvfb"
            if is_server and any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                return True
    return False


def _stats(name: str, samples_s: list[float]) -> list[tuple[str, float, str]]:
    ms = np.asarray(samples_s) * 1000.0
    return [
        (f"{name} mean", float(ms.mean()), "ms"),
        (f"{name} p50", float(np.percentile(ms, 50)), "ms"),
        (f"{name} p99", float(np.percentile(ms, 99)), "ms"),
    ]


def bench_desktop(
    seconds: float = 3.0, obs_size: tuple[int, int] = DEFAULT_OBS_SIZE, allow_real_display: bool = False
) -> list[tuple[str, float, str]]:
    """Measure capture and input latency on the current display.

    Args:
        seconds: rough total time budget, split between capture and the action types.
        obs_size: (height, width) observations are resized to.
        allow_real_display: execute input even if ``DISPLAY`` is not an Xvfb (it clicks and types!).

    Returns:
        ``(name, value, unit)`` rows: full-screen grabs per second; capture + resize per
        observation (mean, p50, p99 ms); execution time of each action type (mean, p50, p99 ms,
        without waiting for the screen to settle).

    Raises:
        RuntimeError: no ``DISPLAY``, or it is not an Xvfb and ``allow_real_display`` is False.
    """
    display = os.environ.get("DISPLAY", "")
    if not display:
        raise RuntimeError(
            "bench_desktop needs an X display: run it under Xvfb (xvfb-run -a deskpilot bench desktop)"
        )
    if not allow_real_display and not (sys.platform.startswith("linux") and is_xvfb(display)):
        raise RuntimeError(
            f"DISPLAY={display!r} is not an Xvfb and the benchmark clicks and types: "
            "run it under Xvfb (xvfb-run -a deskpilot bench desktop)"
        )
    rows: list[tuple[str, float, str]] = []
    budget = seconds / 3
    with ScreenCapture() as capture:
        r = capture.region
        grabs, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget:
            capture.grab()
            grabs += 1
        rows.append(
            (f"full-screen grab {r.width}x{r.height}", grabs / (time.perf_counter() - start), "grabs/s")
        )
        samples, start = [], time.perf_counter()
        while time.perf_counter() - start < budget:
            t0 = time.perf_counter()
            resize(capture.grab(), obs_size)
            samples.append(time.perf_counter() - t0)
        rows += _stats(f"capture+resize {r.width}x{r.height}->{obs_size[1]}x{obs_size[0]}", samples)
        executor = Executor(r)
        per_type = budget / len(_ACTIONS)
        for kind, action in _ACTIONS.items():
            samples, start = [], time.perf_counter()
            while time.perf_counter() - start < per_type or len(samples) < 3:
                t0 = time.perf_counter()
                executor.execute(action)
                samples.append(time.perf_counter() - t0)
            rows += _stats(f"execute {kind.name} (pause {executor.pause * 1000:g} ms)", samples)
    return rows
