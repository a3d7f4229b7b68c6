"""Vectorised evaluation: N envs of one env id stepped side by side, one batched decision per tick.

A ``BatchActor`` decides for every env still running in one call (for the trained policy: one
compiled model call, ``policies.actor.PolicyBatchActor``). Episode ``i`` still runs on seed
``seeds[i]``, whichever env happens to be free for it, and finished episodes are handed back in
episode order, so a vectorised evaluation reports exactly what the sequential one would.

The envs are a plain list, not ``gymnasium.vector.SyncVectorEnv``: with
``AutoresetMode.DISABLED`` its ``step`` steps *every* sub-env each call, so once fewer episodes
are left than envs, the idle ones would have to be reset onto extra seeds and fed throwaway
actions. It also wants actions as batched action-space samples (our ``Action`` carries text) and
returns infos merged into masked arrays, which the scripted expert would have to take apart
again. A list lets each env step only while it has an episode to run.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym

from deskpilot.collectors.loop import EpisodeResult, annotations_from_info, episode_meta, finish_episode
from deskpilot.collectors.trajectory import EpisodeMeta, Step
from deskpilot.envs.actions import Action
from deskpilot.envs.spaces import Actor, Observation
from deskpilot.envs.vector import one_per_process

__all__ = ["BatchActor", "SlotActors", "check_vectorisable", "run_vectorised"]


@runtime_checkable
class BatchActor(Protocol):
    """Picks actions for several envs at once; ``slot`` names an env and keeps its own state.

    ``infos`` are the envs' info dicts (only the scripted expert reads them, as in ``envs.Actor``).
    """

    def reset(self, slot: int) -> None:
        """Forget everything about the previous episode in ``slot``."""
        ...

    def act_batch(
        self,
        observations: Sequence[Observation],
        infos: Sequence[dict[str, Any]],
        slots: Sequence[int],
    ) -> list[Action]:
        """One action per slot in ``slots``, for the matching observation."""
        ...


class SlotActors:
    """A ``BatchActor`` made of one ``envs.Actor`` per slot (the scripted expert, stub actors).

    Args:
        make_actor: builds the actor of one slot.
        num_slots: how many envs may run side by side.
    """

    def __init__(self, make_actor: Callable[[], Actor], num_slots: int) -> None:
        if num_slots < 1:
            raise ValueError(f"num_slots: expected >= 1, got {num_slots}")
        self.actors = [make_actor() for _ in range(num_slots)]

    def reset(self, slot: int) -> None:
        """Reset the actor of ``slot``."""
        self.actors[slot].reset()

    def act_batch(
        self,
        observations: Sequence[Observation],
        infos: Sequence[dict[str, Any]],
        slots: Sequence[int],
    ) -> list[Action]:
        """Ask each slot's actor in turn."""
        return [self.actors[s].act(o, i) for o, i, s in zip(observations, infos, slots, strict=True)]


def check_vectorisable(env_id: str) -> None:
    """Raise ``ValueError`` if instances of ``env_id`` cannot run side by side in one process.

    The env class says so itself with ``metadata["one_per_process"]`` (MiniWoB's one browser per
    process, the live desktop's one screen); refusing up front beats clashing mid-evaluation.
    """
    if one_per_process(env_id):
        raise ValueError(
            f"num_envs: {env_id} envs share one screen (browser or desktop) per process and cannot "
            "be stepped side by side; evaluate them with num_envs=1"
        )


@dataclasses.dataclass
class _Running:
    """The episode in progress in one slot."""

    index: int  # episode number: it ran on seeds[index]
    meta: EpisodeMeta
    observation: Observation
    info: dict[str, Any]
    start: float  # time.monotonic() at reset
    steps: list[Step] = dataclasses.field(default_factory=list)
    reward: float = 0.0


def run_vectorised(
    envs: Sequence[gym.Env], actor: BatchActor, seeds: Sequence[int], *, source: str = "policy"
) -> Iterator[EpisodeResult]:
    """Run episode ``i`` on reset seed ``seeds[i]`` across ``envs`` (slot ``k`` is ``envs[k]``).

    Each tick asks ``actor`` once for every running env and steps each of them; an env whose
    episode ends starts the next unstarted one. Results come out in episode order (an episode
    that ends early waits for the ones before it). The caller owns and closes ``envs``.
    """
    if not envs:
        raise ValueError("envs: expected at least one env")
    queue = deque(enumerate(seeds))
    running: dict[int, _Running] = {}
    finished: dict[int, EpisodeResult] = {}
    next_out = 0

    def start(slot: int) -> None:
        index, seed = queue.popleft()
        observation, info = envs[slot].reset(seed=seed)
        actor.reset(slot)
        meta = episode_meta(envs[slot], observation, info, source=source, seed=seed)
        running[slot] = _Running(index, meta, observation, info, time.monotonic())

    for slot in range(min(len(envs), len(queue))):
        start(slot)
    while running:
        slots = sorted(running)
        actions = actor.act_batch(
            [running[s].observation for s in slots], [running[s].info for s in slots], slots
        )
        for slot, action in zip(slots, actions, strict=True):
            ep = running[slot]
            elapsed = time.monotonic() - ep.start
            screenshot, annotations = ep.observation["screenshot"], annotations_from_info(ep.info)
            ep.observation, reward, terminated, truncated, ep.info = envs[slot].step(action)
            terminated, truncated = bool(terminated), bool(truncated)
            ep.steps.append(
                Step(screenshot, action, annotations, elapsed, float(reward), terminated, truncated)
            )
            ep.reward += float(reward)
            if terminated or truncated:
                finished[ep.index] = finish_episode(
                    ep.meta,
                    ep.steps,
                    ep.info,
                    ep.reward,
                    terminated=terminated,
                    truncated=truncated,
                    last_action=action,
                )
                del running[slot]
                if queue:
                    start(slot)
        while next_out in finished:
            yield finished.pop(next_out)
            next_out += 1
