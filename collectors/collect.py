"""Scripted collection at scale: roll the expert through envs in parallel, resumably.

Episode ``i`` of env ``E`` always has reset seed ``seed + i`` and folder name ``<E>__s<seed>``, so a
re-run finds the episodes already finished (skips them), rewrites the unfinished ``.partial`` ones,
and never duplicates an episode.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym

from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter, read_trajectory

__all__ = ["EVAL_SEED_OFFSET", "CollectConfig", "CollectSummary", "collect", "episode_id", "make_expert"]

EVAL_SEED_OFFSET = 1_000_000_000
"""Training data uses seeds below this; evaluation seeds start here, so the two never overlap."""


@dataclasses.dataclass(frozen=True)
class CollectConfig:
    """What to collect."""

    env: str  # env ids or suite names, comma-separated (``deskpilot/mock-suite``)
    episodes: int  # episodes per env id
    out: Path  # dataset folder
    workers: int = 1  # worker processes (each makes its own envs)
    seed: int = 0  # episode i of each env has reset seed ``seed + i``
    env_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)  # passed to gymnasium.make

    def __post_init__(self) -> None:
        if self.episodes < 1:
            raise ValueError(f"episodes: expected >= 1, got {self.episodes}")
        if self.workers < 1:
            raise ValueError(f"workers: expected >= 1, got {self.workers}")
        if self.seed < 0 or self.seed + self.episodes > EVAL_SEED_OFFSET:
            raise ValueError(
                f"seed: training seeds must lie in [0, {EVAL_SEED_OFFSET}) (evaluation uses the seeds above), "
                f"got {self.seed}..{self.seed + self.episodes - 1}"
            )
        object.__setattr__(self, "out", Path(self.out))


@dataclasses.dataclass
class CollectSummary:
    """What a collection run produced (finished episodes on disk, this run's and earlier ones)."""

    episodes: Counter[str] = dataclasses.field(default_factory=Counter)
    successes: Counter[str] = dataclasses.field(default_factory=Counter)
    steps: Counter[str] = dataclasses.field(default_factory=Counter)
    skipped: int = 0  # already finished before this run
    written: int = 0
    seconds: float = 0.0
    bytes_on_disk: int = 0

    def rows(self) -> list[tuple[str, int, int, float]]:
        """Per env id: (env id, episodes, steps, success rate)."""
        return [
            (env_id, n, self.steps[env_id], self.successes[env_id] / n)
            for env_id, n in sorted(self.episodes.items())
        ]


def episode_id(env_id: str, seed: int) -> str:
    """The folder name of an episode: stable, so re-runs can find it."""
    return f"{env_id.split('/')[-1]}__s{seed:09d}"


def make_expert(env: gym.Env) -> Any:
    """The scripted expert of ``env`` (its ``make_expert()``), or a clear error."""
    factory = getattr(env.unwrapped, "make_expert", None)
    if factory is None:
        raise ValueError(f"{env.spec.id if env.spec else env}: this env has no scripted expert")
    return factory()


# Envs live as long as their worker process: making one (a browser, for MiniWoB) can be costly.
_WORKER_ENVS: dict[str, tuple[gym.Env, Any]] = {}


def _worker(job: tuple[str, int, str, dict[str, Any]]) -> tuple[str, int, bool, int]:
    env_id, seed, out, env_kwargs = job
    if env_id not in _WORKER_ENVS:
        env = gym.make(env_id, **env_kwargs)
        _WORKER_ENVS[env_id] = (env, make_expert(env))
    env, expert = _WORKER_ENVS[env_id]

    def writer(meta: EpisodeMeta) -> TrajectoryWriter:
        return TrajectoryWriter(out, episode_id(env_id, seed), meta, fsync=False)

    result = run_episode(
        env, expert, source="expert", seed=seed, writer_factory=writer, keep_screenshots=False
    )
    return env_id, len(result.trajectory.steps), result.success, seed


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def plan(config: CollectConfig, env_ids: list[str]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Split the wanted episodes into (to do, already finished)."""
    todo: list[tuple[str, int]] = []
    done: list[tuple[str, int]] = []
    for env_id in env_ids:
        for i in range(config.episodes):
            seed = config.seed + i
            finished = (config.out / episode_id(env_id, seed) / "meta.json").exists()
            (done if finished else todo).append((env_id, seed))
    return todo, done


def collect(
    config: CollectConfig,
    env_ids: list[str],
    progress: Callable[[Iterator[Any], int], Iterator[Any]] | None = None,
) -> CollectSummary:
    """Collect ``config.episodes`` expert episodes for every id in ``env_ids`` into ``config.out``."""
    config.out.mkdir(parents=True, exist_ok=True)
    todo, done = plan(config, env_ids)
    summary = CollectSummary(skipped=len(done))
    for env_id, seed in done:
        traj = read_trajectory(config.out / episode_id(env_id, seed), load_images=False)
        summary.episodes[env_id] += 1
        summary.steps[env_id] += len(traj.steps)
        summary.successes[env_id] += bool(traj.success)
    jobs = [(env_id, seed, str(config.out), config.env_kwargs) for env_id, seed in todo]
    start = time.monotonic()
    results: Iterator[tuple[str, int, bool, int]]
    pool = None
    if config.workers == 1 or len(jobs) <= 1:
        results = map(_worker, jobs)
    else:
        # spawn, not fork: the parent may hold threads (progress bars, JAX) that fork would copy broken.
        pool = mp.get_context("spawn").Pool(config.workers)
        results = pool.imap_unordered(
            _worker, jobs, chunksize=max(1, min(16, len(jobs) // (8 * config.workers)))
        )
    try:
        for env_id, steps, success, _seed in progress(results, len(jobs)) if progress else results:
            summary.episodes[env_id] += 1
            summary.steps[env_id] += steps
            summary.successes[env_id] += success
            summary.written += 1
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        else:  # ran in this process: its envs (a browser, for MiniWoB) must not outlive the call
            for env, _ in _WORKER_ENVS.values():
                env.close()
            _WORKER_ENVS.clear()
    summary.seconds = time.monotonic() - start
    summary.bytes_on_disk = _dir_bytes(config.out)
    return summary
