"""Scripted collection at scale: roll the expert through envs in parallel, resumably.

Episode ``i`` of env ``E`` always has reset seed ``seed + i`` and folder name ``<E>__s<seed>``, so a
re-run finds the episodes already finished (skips them), rewrites the unfinished ``.partial`` ones,
and never duplicates an episode.

Two backends run the same ``EpisodeRunner``, so they write the same episodes for the same seeds:
``local`` (a process pool on this machine) and ``ray`` (Ray actors, on this machine or a cluster;
``collectors.ray_backend``). An episode whose expert or env raises is finished as a failure with
its error (``collectors.loop.run_episode(record_errors=True)``) and the run goes on; the summary
counts such episodes and keeps the first messages.
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

from deskpilot.collectors.loop import error_text, run_episode
from deskpilot.collectors.reading import read_trajectory
from deskpilot.collectors.trajectory import META_FILE, EpisodeMeta, TrajectoryWriter

__all__ = [
    "BACKENDS",
    "EVAL_SEED_OFFSET",
    "CollectConfig",
    "CollectSummary",
    "EpisodeJob",
    "EpisodeReport",
    "EpisodeRunner",
    "collect",
    "episode_id",
    "make_expert",
]

EVAL_SEED_OFFSET = 1_000_000_000
"""Training data uses seeds below this; evaluation seeds start here, so the two never overlap."""

BACKENDS = ("local", "ray")
FIRST_ERRORS = 5  # error messages a summary keeps (the count covers them all)


@dataclasses.dataclass(frozen=True)
class CollectConfig:
    """What to collect."""

    env: str  # env ids or suite names, comma-separated (``deskpilot/mock-suite``)
    episodes: int  # episodes per env id
    out: Path  # dataset folder (for the ray backend on a cluster: a folder every node sees)
    workers: int = 1  # worker processes (local) or Ray actors (ray), each with its own envs
    seed: int = 0  # episode i of each env has reset seed ``seed + i``
    env_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)  # passed to gymnasium.make
    backend: str = "local"  # "local": a process pool here; "ray": Ray actors (pip install 'deskpilot[ray]')
    ray_address: str | None = None  # ray backend: the cluster to join; None = $RAY_ADDRESS or a local one

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
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.ray_address is not None and self.backend != "ray":
            raise ValueError(
                f"ray_address: only the ray backend joins a cluster (backend is {self.backend!r})"
            )
        object.__setattr__(self, "out", Path(self.out))


@dataclasses.dataclass
class CollectSummary:
    """What a collection run produced (finished episodes on disk, this run's and earlier ones)."""

    episodes: Counter[str] = dataclasses.field(default_factory=Counter)
    successes: Counter[str] = dataclasses.field(default_factory=Counter)
    steps: Counter[str] = dataclasses.field(default_factory=Counter)
    # Episodes that raised: finished as failures with their error, or (raised in reset) not written.
    errors: Counter[str] = dataclasses.field(default_factory=Counter)
    first_errors: list[str] = dataclasses.field(default_factory=list)  # "<episode id>: <error>"
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

    def add_error(self, env_id: str, seed: int, error: str) -> None:
        """Count an episode that raised and keep its message if it is among the first."""
        self.errors[env_id] += 1
        if len(self.first_errors) < FIRST_ERRORS:
            self.first_errors.append(f"{episode_id(env_id, seed)}: {error}")


def episode_id(env_id: str, seed: int) -> str:
    """The folder name of an episode: stable, so re-runs can find it."""
    return f"{env_id.split('/')[-1]}__s{seed:09d}"


def make_expert(env: gym.Env) -> Any:
    """The scripted expert of ``env`` (its ``make_expert()``), or a clear error."""
    factory = getattr(env.unwrapped, "make_expert", None)
    if factory is None:
        raise ValueError(f"{env.spec.id if env.spec else env}: this env has no scripted expert")
    return factory()


@dataclasses.dataclass(frozen=True)
class EpisodeJob:
    """One episode to collect; crosses process boundaries (pool, Ray), so plain values only."""

    env_id: str
    seed: int
    out: str  # absolute dataset folder
    env_kwargs: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class EpisodeReport:
    """How one collected episode went, as a worker sends it back."""

    env_id: str
    seed: int
    steps: int
    success: bool
    error: str | None = None  # the exception that stopped it, if one did
    written: bool = True  # False: it raised before its folder existed (in reset); a re-run retries it


class EpisodeRunner:
    """A worker's envs and experts, made once per env id and used for many episodes.

    A pool process and a Ray actor each own one. Envs live as long as their runner: making one (a
    browser, for MiniWoB) can be costly, and MiniWoB's envs share one browser per process that
    must not be torn down between episodes. An env that cannot be made (or has no expert) raises:
    that is a setup problem, not an episode's fault.
    """

    def __init__(self) -> None:
        self.envs: dict[str, tuple[gym.Env, Any]] = {}

    def run(self, job: EpisodeJob) -> EpisodeReport:
        """Collect one episode into ``job.out``; an exception in the episode is recorded, not raised.

        An episode already finished on disk is reported, not played again: a Ray actor may die
        after finishing a job but before its report arrived, and the job then runs once more.
        """
        folder = Path(job.out) / episode_id(job.env_id, job.seed)
        if (folder / META_FILE).exists():
            done = read_trajectory(folder, load_images=False)
            return EpisodeReport(job.env_id, job.seed, len(done.steps), bool(done.success), done.error)
        if job.env_id not in self.envs:
            env = gym.make(job.env_id, **job.env_kwargs)
            self.envs[job.env_id] = (env, make_expert(env))
        env, expert = self.envs[job.env_id]

        def writer(meta: EpisodeMeta) -> TrajectoryWriter:
            return TrajectoryWriter(job.out, episode_id(job.env_id, job.seed), meta, fsync=False)

        try:
            result = run_episode(
                env,
                expert,
                source="expert",
                seed=job.seed,
                writer_factory=writer,
                keep_screenshots=False,
                record_errors=True,
            )
        except Exception as e:  # only env.reset gets here: no episode folder was made
            return EpisodeReport(job.env_id, job.seed, 0, False, error_text(e), written=False)
        trajectory = result.trajectory
        return EpisodeReport(job.env_id, job.seed, len(trajectory.steps), result.success, trajectory.error)

    def close(self) -> None:
        """Close every env (a browser, for MiniWoB)."""
        for env, _ in self.envs.values():
            env.close()
        self.envs.clear()


_POOL_RUNNER = EpisodeRunner()  # a pool worker process's runner (and this process's, when in-process)
_WORKER_ENVS = _POOL_RUNNER.envs  # the same dict (cleared, never replaced): tests check it is empty


def _pool_worker(job: EpisodeJob) -> EpisodeReport:
    return _POOL_RUNNER.run(job)


def _run_local(jobs: list[EpisodeJob], workers: int) -> Iterator[EpisodeReport]:
    """The local backend: in this process for one worker, else a spawned process pool."""
    if workers == 1 or len(jobs) <= 1:
        try:
            yield from map(_pool_worker, jobs)
        finally:  # ran in this process: its envs (a browser, for MiniWoB) must not outlive the call
            _POOL_RUNNER.close()
        return
    # spawn, not fork: the parent may hold threads (progress bars, JAX) that fork would copy broken.
    pool = mp.get_context("spawn").Pool(workers)
    try:
        yield from pool.imap_unordered(
            _pool_worker, jobs, chunksize=max(1, min(16, len(jobs) // (8 * workers)))
        )
    finally:
        pool.terminate()
        pool.join()


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def plan(config: CollectConfig, env_ids: list[str]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Split the wanted episodes into (to do, already finished)."""
    todo: list[tuple[str, int]] = []
    done: list[tuple[str, int]] = []
    for env_id in env_ids:
        for i in range(config.episodes):
            seed = config.seed + i
            finished = (config.out / episode_id(env_id, seed) / META_FILE).exists()
            (done if finished else todo).append((env_id, seed))
    return todo, done


def _check_visible(out: Path, report: EpisodeReport) -> None:
    """A Ray worker on another node writes to its own disk unless ``out`` is shared: say so at once."""
    if report.written and not (out / episode_id(report.env_id, report.seed) / META_FILE).exists():
        raise FileNotFoundError(
            f"{out / episode_id(report.env_id, report.seed)}: a Ray worker finished this episode but it is "
            f"not in {out} here (written on another node?); --out must be a folder every node sees"
        )


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
        if traj.error is not None:
            summary.add_error(env_id, seed, traj.error)
    # Absolute: a Ray actor's working folder need not be this process's.
    out = str(config.out.resolve())
    jobs = [EpisodeJob(env_id, seed, out, config.env_kwargs) for env_id, seed in todo]
    start = time.monotonic()
    results: Iterator[EpisodeReport]
    if config.backend == "ray":
        from deskpilot.collectors.ray_backend import run_on_ray

        results = run_on_ray(
            EpisodeRunner, jobs, workers=config.workers, address=config.ray_address, on_lost=_lost_episode
        )
    else:
        results = _run_local(jobs, config.workers)
    try:
        for report in progress(results, len(jobs)) if progress else results:
            if config.backend == "ray":
                _check_visible(config.out, report)
            if report.error is not None:
                summary.add_error(report.env_id, report.seed, report.error)
            if not report.written:
                continue
            summary.episodes[report.env_id] += 1
            summary.steps[report.env_id] += report.steps
            summary.successes[report.env_id] += report.success
            summary.written += 1
    finally:
        close = getattr(results, "close", None)  # a generator: stop its workers now, not at collection
        if close is not None:
            close()
    summary.seconds = time.monotonic() - start
    summary.bytes_on_disk = _dir_bytes(config.out)
    return summary


def _lost_episode(job: EpisodeJob, error: str) -> EpisodeReport:
    """The report of an episode whose Ray actor died every time it ran it (nothing finished on disk)."""
    return EpisodeReport(job.env_id, job.seed, 0, False, error, written=False)
