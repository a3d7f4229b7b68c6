"""Run a policy on the live desktop, safely.

Safety rules, in order of precedence:

1. Nothing touches the screen unless ``LiveConfig.execute`` is True (the CLI's ``--execute``).
   Without it the env runs dry: each predicted action is drawn on the screenshot, saved and
   printed, and the executor only records it.
2. A hard step limit (``max_steps``) ends the episode.
3. pyautogui's fail-safe is on: moving the pointer into a screen corner aborts the next action.
4. The stop key (default F12, watched by a keyboard listener) and SIGINT/SIGTERM stop the episode
   at once: the step under way finishes (no key or button is left held), the next one truncates.

Every run, dry or not, is saved as a trajectory (source ``policy``) so live runs can become
training data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from deskpilot.collectors.loop import EpisodeResult, run_episode
from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory, TrajectoryWriter
from deskpilot.collectors.view import render_frames
from deskpilot.envs.actions import Action
from deskpilot.envs.desktop import DesktopEnv, Region
from deskpilot.envs.spaces import Actor, Observation

__all__ = ["LiveConfig", "Timed", "run_live"]


class Timed:
    """``actor``, timing each ``act``: ``seconds`` holds this episode's decision times, in order.

    The latency a person waits on between two actions; ``run_live`` prints it per step, and a
    caller that passes its own ``Timed`` reads the whole episode's afterwards.
    """

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.seconds: list[float] = []

    def reset(self) -> None:
        """A new episode: the actor's, and no decision times yet."""
        self.actor.reset()
        self.seconds = []

    def act(self, observation: Observation, info: dict) -> Action:  # type: ignore[type-arg]
        """The actor's action, timed."""
        start = time.perf_counter()
        action = self.actor.act(observation, info)
        self.seconds.append(time.perf_counter() - start)
        return action


@dataclasses.dataclass(frozen=True)
class LiveConfig:
    """What a live run does and where it stops."""

    task: str  # the instruction given to the policy
    out: Path  # folder for the trajectory and the annotated previews
    execute: bool = False  # act on the real screen; False = dry run (predict, draw, record)
    max_steps: int = 20  # hard step limit (a dry run defaults to 1 in the CLI: the screen never changes)
    region: Region | None = None  # part of the screen to observe and act in; None = whole monitor
    window: str | None = None  # or: title of a window to observe
    stop_key: str | None = "f12"  # key that stops the run at once; None = no key listener

    def __post_init__(self) -> None:
        if not self.task.strip():
            raise ValueError("task: expected a non-empty instruction")
        if self.max_steps < 1:
            raise ValueError(f"max_steps: expected >= 1, got {self.max_steps}")
        object.__setattr__(self, "out", Path(self.out))


@contextlib.contextmanager
def _stop_key(key: str | None, on_press: Callable[[], None]) -> Iterator[None]:
    if key is None:
        yield
        return
    from deskpilot.collectors.listeners import watch_key  # pynput is imported there, lazily

    with watch_key(key, on_press):
        yield


def run_live(
    actor: Actor, config: LiveConfig, print_fn: Callable[[str], None] = print, env: DesktopEnv | None = None
) -> EpisodeResult:
    """Run one live episode of ``actor`` on the desktop under ``config``'s safety rules."""
    env = env or DesktopEnv(
        execute=config.execute, max_steps=config.max_steps, region=config.region, window=config.window
    )
    name = f"live-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}"
    preview_dir = config.out / f"{name}-preview"
    preview_dir.mkdir(parents=True, exist_ok=True)
    step = 0
    timed = actor if isinstance(actor, Timed) else Timed(actor)

    def show(observation: Observation, action: Action) -> None:
        nonlocal step
        meta = EpisodeMeta(task=config.task, source="policy", obs_size=observation["screenshot"].shape[:2])
        (picture,) = render_frames(Trajectory(meta, [Step(observation["screenshot"], action)]))
        path = preview_dir / f"step_{step:03d}.png"
        picture.save(path)
        verb = "executing" if config.execute else "would do (dry run)"
        print_fn(f"step {step}: {verb} {action} (decided in {1000 * timed.seconds[-1]:.0f} ms)  [{path}]")
        step += 1

    def writer(meta: EpisodeMeta) -> TrajectoryWriter:
        return TrajectoryWriter(config.out, name, meta)

    try:
        with env.handle_signals(), _stop_key(config.stop_key, env.stop):
            return run_episode(
                env,
                timed,
                source="policy",
                options={"task": config.task},
                writer_factory=writer,
                on_step=show,
            )
    finally:
        env.close()
