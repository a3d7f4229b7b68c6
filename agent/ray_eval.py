"""Evaluation on Ray: ``evaluate``'s held-out episodes spread over Ray actors, with the same report.

Each actor makes its own actor (a trained policy, from parameters the driver loaded once) and one
env per env id, keeps them for all its episodes, and sends every episode back as it finishes
(``collectors.ray_backend``: streaming, crashed actors replaced, their episodes run again). The
driver then adds the episodes to a ``Tally`` in evaluation order, task by task and seed by seed,
so the report, the rows and the episodes kept for pictures are those of ``agent.evaluate.evaluate``
for the same seeds (a policy's episode depends only on its seed: ``PolicyActor.reset`` restarts its
sampling key). ``progress`` sees episodes as they finish, not in seed order.

Screenshots travel with every episode (GIFs need them), but the driver keeps them only for
episodes that can still be among the first failed or solved ones of their task.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import gymnasium as gym
import numpy as np

from deskpilot.agent.evaluate import EvalReport, Tally, eval_seeds
from deskpilot.collectors.loop import EpisodeResult, run_episode
from deskpilot.envs.spaces import Actor

__all__ = ["EvalJob", "EvalRunner", "evaluate_on_ray"]


@dataclasses.dataclass(frozen=True)
class EvalJob:
    """One evaluation episode: the ``index``-th of env ``task`` in ``env_ids``, at reset ``seed``."""

    task: int
    index: int
    env_id: str
    seed: int
    env_kwargs: dict[str, Any]


class EvalRunner:
    """What one Ray actor holds: its actor and an env per env id, made once, open until ``close``.

    Envs stay open until the end, as in ``evaluate``: MiniWoB's envs share one browser per process.
    """

    def __init__(self, make_actor: Callable[[], Actor]) -> None:
        self.actor = make_actor()
        self.envs: dict[str, gym.Env] = {}

    def run(self, job: EvalJob) -> tuple[EvalJob, EpisodeResult]:
        """Play one episode; an exception stops the evaluation, as it does in ``evaluate``."""
        if job.env_id not in self.envs:
            self.envs[job.env_id] = gym.make(job.env_id, **job.env_kwargs)
        return job, run_episode(self.envs[job.env_id], self.actor, source="policy", seed=job.seed)

    def close(self) -> None:
        """Close every env."""
        for env in self.envs.values():
            env.close()
        self.envs.clear()


_NO_PICTURE = np.zeros((0, 0, 3), np.uint8)


def _drop_unkeepable(arrived: dict[int, EpisodeResult], keep: dict[bool, int]) -> None:
    """Free the screenshots of a task's episodes that can no longer be among the kept ones.

    An episode is kept when fewer than ``keep[success]`` episodes of its kind come before it; once
    that many earlier ones have arrived, it never will be.
    """
    seen = {False: 0, True: 0}
    for index in sorted(arrived):
        episode = arrived[index]
        if seen[episode.success] >= keep[episode.success]:
            for step in episode.trajectory.steps:
                step.screenshot = _NO_PICTURE
        seen[episode.success] += 1


def evaluate_on_ray(
    make_actor: Callable[[], Actor],
    env_ids: Iterable[str],
    *,
    episodes: int,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    keep_failures: int = 3,
    keep_successes: int = 1,
    progress: Callable[[str, EpisodeResult], None] | None = None,
    workers: int = 2,
    address: str | None = None,
) -> EvalReport:
    """``agent.evaluate.evaluate`` on ``workers`` Ray actors, each with ``make_actor()`` (pickled to it).

    ``address`` joins a Ray cluster; None joins ``$RAY_ADDRESS`` if set, else starts a local Ray
    instance for the call (or uses the one already running). The report equals ``evaluate``'s for an actor whose episodes depend only on
    their seeds.
    """
    from deskpilot.collectors.ray_backend import run_on_ray

    if episodes < 1:
        raise ValueError(f"episodes: expected >= 1, got {episodes}")
    if workers < 1:
        raise ValueError(f"workers: expected >= 1, got {workers}")
    env_ids = list(env_ids)
    kwargs = dict(env_kwargs or {})
    jobs = [
        EvalJob(task, index, env_id, s, kwargs)
        for task, env_id in enumerate(env_ids)
        for index, s in enumerate(eval_seeds(seed, episodes))
    ]
    keep = {False: keep_failures, True: keep_successes}
    arrived: list[dict[int, EpisodeResult]] = [{} for _ in env_ids]
    runner = functools.partial(EvalRunner, make_actor)
    finished: Iterator[tuple[EvalJob, EpisodeResult]] = run_on_ray(
        runner, jobs, workers=workers, address=address
    )
    for job, episode in finished:
        arrived[job.task][job.index] = episode
        _drop_unkeepable(arrived[job.task], keep)
        if progress is not None:
            progress(job.env_id, episode)
    tally = Tally(keep_failures, keep_successes)
    for task, env_id in enumerate(env_ids):
        for index in range(episodes):
            tally.add(env_id, arrived[task][index])
    return tally.report()
