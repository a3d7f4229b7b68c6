"""The one episode loop: the scripted expert, a recorded human and a trained policy all run through it.

An actor is anything with ``reset()`` and ``act(observation, info) -> Action`` (``envs.Actor``).
The loop resets the env, asks the actor for actions until the episode ends, and hands each step to
an optional ``TrajectoryWriter`` as soon as ``env.step`` returns (with its reward, ``terminated`` and
``truncated``), so a crash loses at most one step. With ``record_errors`` an exception once the
episode has begun (the actor, ``env.step``) ends it as a failure with the error in its outcome
instead of stopping the caller: bulk collection must not lose a run to one bad episode.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from deskpilot.collectors.schema import ERROR_CHARS, K_TEACHER_LABELS
from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory, TrajectoryWriter
from deskpilot.envs.actions import Action
from deskpilot.envs.info import ELEMENTS, REGION
from deskpilot.envs.spaces import Actor, Observation

__all__ = [
    "EpisodeResult",
    "annotations_from_info",
    "episode_meta",
    "error_text",
    "finish_episode",
    "run_episode",
]

WriterFactory = Callable[[EpisodeMeta], TrajectoryWriter]


@dataclasses.dataclass
class EpisodeResult:
    """A finished episode: its trajectory and how it ended."""

    trajectory: Trajectory
    # "success", "failure" (terminated without success), "done" (DONE said, no success), "truncated",
    # or "error" (an exception stopped it: ``trajectory.error``)
    end: str
    final_info: dict[str, Any]

    @property
    def success(self) -> bool:
        """Whether the env reported success."""
        return self.end == "success"


def error_text(error: BaseException) -> str:
    """An exception as the one line an episode's outcome keeps: ``"ValueError: expert: no visible ..."``."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 3] + "..."


def annotations_from_info(info: dict[str, Any]) -> dict[str, Any]:
    """The per-step renderer knowledge kept in a trajectory (element boxes and labels), if any."""
    elements = info.get(ELEMENTS)
    return {"elements": elements} if elements is not None else {}


def _obs_size(env: gym.Env) -> tuple[int, int]:
    space = env.observation_space["screenshot"]  # type: ignore[index]
    return int(space.shape[0]), int(space.shape[1])


def _screen(info: dict[str, Any]) -> dict[str, int] | None:
    region = info.get(REGION)  # live envs: (left, top, width, height) in root pixels
    return dict(zip(("left", "top", "width", "height"), map(int, region), strict=True)) if region else None


def episode_meta(
    env: gym.Env, observation: Observation, info: dict[str, Any], *, source: str, seed: int | None
) -> EpisodeMeta:
    """The metadata of the episode ``env`` has just been reset into (``observation``, ``info``)."""
    spec = env.spec
    return EpisodeMeta(
        task=observation["task"],
        source=source,
        obs_size=_obs_size(env),
        env_id=spec.id if spec is not None else None,
        seed=seed,
        screen=_screen(info),
    )


def finish_episode(
    meta: EpisodeMeta,
    steps: list[Step],
    info: dict[str, Any],
    reward: float,
    *,
    terminated: bool,
    truncated: bool,
    last_action: Action | None,
    error: str | None = None,
) -> EpisodeResult:
    """Classify how an episode ended and package it (shared by every loop, so the kinds agree).

    ``info`` is the final step's info; ``reward`` the episode's total; ``error`` the exception that
    stopped it early, if one did (the episode then failed, whatever the info said).
    """
    success = error is None and bool(info.get("success", reward > 0))
    if error is not None:
        end = "error"
    elif success:
        end = "success"
    elif truncated and not terminated:
        end = "truncated"
    elif last_action is not None and last_action.type.name == "DONE":
        end = "done"
    else:
        end = "failure"
    return EpisodeResult(Trajectory(meta, steps, success, reward, error=error), end, dict(info))


def run_episode(
    env: gym.Env,
    actor: Actor,
    *,
    source: str,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    writer_factory: WriterFactory | None = None,
    keep_screenshots: bool = True,
    on_step: Callable[[Observation, Action], None] | None = None,
    teacher: Actor | None = None,
    record_errors: bool = False,
) -> EpisodeResult:
    """Run one episode of ``actor`` in ``env`` and return it; optionally write it as it happens.

    Args:
        env: any deskpilot env (synthetic, desktop, MiniWoB); it owns its step limit.
        actor: who decides; reset before the episode.
        source: "expert", "human" or "policy", recorded in the trajectory's metadata.
        seed: reset seed (recorded in the metadata).
        options: reset options (the desktop env takes ``{"task": ...}``).
        writer_factory: builds the writer once the task is known; the episode is finished on disk
            when the env ends it, and left ``.partial`` if anything raises.
        keep_screenshots: keep images in the returned trajectory (turn off for bulk collection).
        on_step: called with each observation and the action chosen for it (live display, logging).
        teacher: when given, ``actor`` still decides what is executed, but the action *recorded*
            for each step is the teacher's choice in that state (DAgger: the expert labels the
            states the policy visits); the metadata's ``extra`` then says so (``teacher_labels``).
        record_errors: an exception after the reset (the actor, ``env.step``, an invalid action)
            ends the episode as an error: its last step is marked truncated, the episode is
            finished as failed with ``error`` in its outcome, and ``end`` is ``"error"``. Without
            it the exception propagates and the writer's folder stays ``.partial``. Exceptions in
            ``env.reset`` and ``KeyboardInterrupt`` always propagate.
    """
    observation, info = env.reset(seed=seed, options=options)
    meta = episode_meta(env, observation, info, source=source, seed=seed)
    if teacher is not None:
        meta = dataclasses.replace(meta, extra={**meta.extra, K_TEACHER_LABELS: True})
    writer = writer_factory(meta) if writer_factory is not None else None
    steps: list[Step] = []
    action: Action | None = None
    start = time.monotonic()
    reward = 0.0
    terminated = truncated = False
    error: str | None = None
    try:
        actor.reset()
        if teacher is not None:
            teacher.reset()
        while not (terminated or truncated):
            action = actor.act(observation, info)
            if on_step is not None:
                on_step(observation, action)
            labeller, recorded = (
                (actor, action) if teacher is None else (teacher, teacher.act(observation, info))
            )
            screenshot = observation["screenshot"]
            annotations = annotations_from_info(info)
            targets = getattr(labeller, "targets", None)  # an expert that knows other right clicks
            if targets is not None and (boxes := targets(observation, info)):
                annotations["targets"] = boxes
            elapsed = time.monotonic() - start
            # The step is written once env.step has said what it earned and whether the episode
            # ended; an exception inside env.step loses only this step.
            observation, step_reward, terminated, truncated, info = env.step(action)
            terminated, truncated = bool(terminated), bool(truncated)
            if writer is not None:
                writer.add_step(
                    screenshot,
                    recorded,
                    annotations,
                    elapsed,
                    reward=float(step_reward),
                    terminated=terminated,
                    truncated=truncated,
                )
            kept = screenshot if keep_screenshots else np.zeros((0, 0, 3), np.uint8)
            steps.append(
                Step(kept, recorded, annotations, elapsed, float(step_reward), terminated, truncated)
            )
            reward += float(step_reward)
    except Exception as e:
        if not record_errors:
            if writer is not None:
                writer.close()
            raise
        error = error_text(e)
        if steps:  # the episode was cut short after its last complete step
            steps[-1].truncated = truncated = True
            if writer is not None:
                writer.end_last_step(reward=steps[-1].reward, terminated=False, truncated=True)
    except BaseException:
        if writer is not None:
            writer.close()
        raise
    result = finish_episode(
        meta, steps, info, reward, terminated=terminated, truncated=truncated, last_action=action, error=error
    )
    if writer is not None:
        writer.finish(result.success, reward, error=error)
    return result
