"""Latency figures for MiniWoB through the desktop path: browser start, reset, capture, act, reward.

``bench_miniwob(seconds=5.0)`` returns ``(name, value, unit)`` rows. It runs on a private Xvfb
(one is started), unless this process already drives an Xvfb display with pyautogui, which it
then reuses; it never clicks on a real screen.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob.registry import MINIWOB_10, env_id

__all__ = ["bench_miniwob"]

Rows = list[tuple[str, float, str]]


def _display() -> str:
    if "pyautogui" not in sys.modules:
        return "auto"
    from deskpilot.envs.desktop.bench import is_xvfb

    display = os.environ.get("DISPLAY", "")
    if not is_xvfb(display):
        raise RuntimeError(
            f"this process drives display {display!r}, which is not Xvfb; bench MiniWoB in a fresh process"
        )
    return display


def _ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000


def bench_miniwob(seconds: float = 5.0) -> Rows:
    """Measure the MiniWoB env; ``seconds`` bounds the expert-episode part (the rest takes ~5 s)."""
    import deskpilot.envs  # noqa: F401  (registers the ids)

    display = _display()
    # All envs stay open together: they share the process's one browser and display.
    made = {task: gym.make(env_id(task), display=display) for task in MINIWOB_10}
    try:
        env = made["click-test"]
        inner: Any = env.unwrapped
        t = time.perf_counter()
        obs, info = env.reset(seed=0)  # the first reset starts the display and the browser
        rows: Rows = [("browser start + first reset", (time.perf_counter() - t) * 1000, "ms")]
        host = inner._host
        seeds = iter(range(1, 10_000))
        reset_ms = _ms(lambda: env.reset(seed=next(seeds)), 20)
        rows.append(("reset (reseed the page, read DOM, capture)", reset_ms, "ms"))
        rows.append(("capture 160x210 (mss)", _ms(host.screen.capture.grab, 50), "ms"))
        rows.append(
            (
                "reward read (WebDriver script)",
                _ms(lambda: host.session.script("return WOB_RAW_REWARD_GLOBAL;"), 50),
                "ms",
            )
        )

        clicks = []
        for _ in range(20):
            env.reset(seed=next(seeds))
            t = time.perf_counter()
            env.step(Action.click(from_pixel(2, 160), from_pixel(60, 210)))  # beside the button: goes on
            clicks.append(time.perf_counter() - t)
        rows.append(("act: click -> page has it -> state + capture", float(np.median(clicks)) * 1000, "ms"))
        rows.append(
            (
                "act: type 8 chars -> page has it",
                _ms(lambda: env.step(Action.type_text("abcdefgh")), 10),
                "ms",
            )
        )
        rows.extend(_expert_rate(made, seconds))
    finally:
        for each in made.values():
            each.close()
    return rows


def _expert_rate(made: dict[str, gym.Env], seconds: float) -> Rows:
    """Expert episodes per second over the suite tasks in turn, within ``seconds`` (one shared browser)."""
    episodes = steps = 0
    t = time.perf_counter()
    for i, env in enumerate(made.values()):
        inner: Any = env.unwrapped
        expert = inner.make_expert()
        deadline = t + seconds * (i + 1) / len(made)
        while True:  # at least one episode per task, then until its share of the time is spent
            obs, info = env.reset(seed=episodes)
            done = truncated = False
            while not (done or truncated):
                obs, _, done, truncated, info = env.step(expert.act(obs, info))
                steps += 1
            episodes += 1
            if time.perf_counter() >= deadline:
                break
    elapsed = time.perf_counter() - t
    return [
        ("expert episodes/s (the ten suite tasks, 1 process)", episodes / elapsed, "ep/s"),
        ("expert steps/s", steps / elapsed, "steps/s"),
    ]
