"""Jobs on Ray actors: each actor owns its envs for many jobs, results stream back as they finish.

Collection (``collect(CollectConfig(backend="ray"))``) and evaluation (``agent.ray_eval``) both run
here. A *runner* is any object with ``run(job) -> result`` and ``close()``, made on the actor by a
picklable factory (``collectors.collect.EpisodeRunner``; an evaluation runner holding a policy).
Each actor makes one runner and keeps it, so an env (a MiniWoB browser on its own Xvfb, a desktop)
is made once per actor, as in a pool worker.

* Streaming: every actor has up to ``PER_ACTOR`` jobs queued (so it never waits for the driver);
  ``ray.wait`` hands back whichever finishes first, and the freed actor gets the next job.
* Crashes: an actor that dies (``ray.exceptions.RayActorError``: a segfault, OOM kill, lost node)
  is replaced by a fresh one and its unfinished jobs run again there. The job it was running is
  charged with the death; one that has killed ``MAX_ATTEMPTS`` actors is given up and reported by
  ``on_lost`` (without it, the run stops with the error). An exception *inside* a job is the
  runner's business (collection records it in the episode); an actor whose runner cannot be made
  stops the run. A job may run twice (an actor can die after finishing it, before its result
  arrived), so a runner's jobs must be safe to repeat: collection reports an episode already on
  disk instead of writing it again.
* Where: ``address`` (``--ray-address``, else ``$RAY_ADDRESS``) joins a running cluster
  (``ray start --head`` on one machine, ``ray start --address=HEAD:6379`` on the others);
  without one a private local instance with ``workers`` CPUs is started and shut down at the end.
  A Ray session already initialised by the caller is used as it is and left running.

Ray is imported only here, and only when a run asks for it (``pip install 'deskpilot[ray]'``).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any, Protocol, TypeVar

__all__ = ["MAX_ATTEMPTS", "PER_ACTOR", "RayNotInstalledError", "Runner", "require_ray", "run_on_ray"]

MAX_ATTEMPTS = 3  # actors a job may see die under it before it is given up
PER_ACTOR = 2  # jobs queued on an actor at once: one running, one ready when it finishes
JobT = TypeVar("JobT")
ResultT = TypeVar("ResultT")


class RayNotInstalledError(ImportError):
    """``--backend ray`` was asked for but Ray is not installed."""


class Runner(Protocol):
    """What an actor holds: runs one job at a time and closes its envs at the end."""

    def run(self, job: Any) -> Any: ...  # noqa: D102

    def close(self) -> None: ...  # noqa: D102


def require_ray() -> ModuleType:
    """The ``ray`` module, or ``RayNotInstalledError`` saying how to install it."""
    try:
        import ray
    except ModuleNotFoundError as e:
        if e.name != "ray":
            raise
        raise RayNotInstalledError(
            "the ray backend needs Ray: pip install 'deskpilot[ray]' (or pass --backend local)"
        ) from None
    return ray


class _Actor:
    """The body of every Ray actor: one runner, made on the actor, kept for all its jobs."""

    def __init__(self, factory: Callable[[], Runner]) -> None:
        self.runner = factory()

    def run(self, job: Any) -> Any:
        return self.runner.run(job)

    def close(self) -> None:
        self.runner.close()


def _connect(ray: ModuleType, workers: int, address: str | None) -> bool:
    """Initialise Ray unless the caller already did; True when this call started it (and must stop it)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        # A private instance sized to the workers; no dashboard (a web server nobody asked for).
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    return True


def run_on_ray(
    factory: Callable[[], Runner],
    jobs: Sequence[JobT],
    *,
    workers: int,
    address: str | None = None,
    on_lost: Callable[[JobT, str], ResultT] | None = None,
) -> Iterator[ResultT]:
    """Run ``jobs`` on ``workers`` Ray actors, each holding ``factory()``; yield results as they finish.

    Args:
        factory: makes an actor's runner; pickled to the actor (a class or a ``functools.partial``
            of importable functions travels best).
        jobs: each passed to some runner's ``run``; results come back in finishing order.
        workers: actors (each asks Ray for one CPU, so a cluster spreads them over its nodes).
        address: a Ray cluster to join; None: ``$RAY_ADDRESS``, else a local instance (unless one
            is running).
        on_lost: turns a job whose actor died ``MAX_ATTEMPTS`` times into a result; None raises.

    Ray is imported at once (so a missing Ray is reported before anything starts); the actors start
    with the first result asked for. Closing the iterator early (or an exception) closes every
    runner and stops the actors.
    """
    return _stream(require_ray(), factory, jobs, workers, address, on_lost)


def _stream(
    ray: ModuleType,
    factory: Callable[[], Runner],
    jobs: Sequence[JobT],
    workers: int,
    address: str | None,
    on_lost: Callable[[JobT, str], ResultT] | None,
) -> Iterator[ResultT]:
    if not jobs:
        return
    started = _connect(ray, workers, address)
    pool: _Pool | None = None
    try:
        pool = _Pool(ray, factory, jobs, workers)
        while pool.pending:
            [ref], _ = ray.wait(list(pool.pending), num_returns=1)
            slot, _ = pool.pending[ref]
            try:
                result = ray.get(ref)
            except ray.exceptions.RayActorError as e:
                if getattr(e, "actor_init_failed", False):
                    raise  # its runner cannot be made: a setup problem, no crash to retry
                finished, given_up = pool.replace(slot)
                yield from finished
                for i in given_up:
                    message = (
                        f"its Ray actor died {MAX_ATTEMPTS} times; last: {' '.join(str(e).split())[:500]}"
                    )
                    if on_lost is None:
                        raise RuntimeError(f"job {jobs[i]!r}: {message}") from e
                    yield on_lost(jobs[i], message)
                pool.fill(slot)
                continue
            del pool.pending[ref]
            yield result
            pool.fill(slot)
    finally:
        if pool is not None:
            pool.stop()
        if started:
            ray.shutdown()


class _Pool:
    """One run's actors (a slot each) and the jobs queued on them."""

    def __init__(
        self, ray: ModuleType, factory: Callable[[], Runner], jobs: Sequence[Any], workers: int
    ) -> None:
        self.ray, self.factory, self.jobs = ray, factory, jobs
        self.remote = ray.remote(num_cpus=1)(_Actor)
        self.queue = deque(range(len(jobs)))  # job indices not yet given to an actor
        self.pending: dict[Any, tuple[int, int]] = {}  # object ref -> (slot, job index), in submission order
        self.deaths: Counter[int] = Counter()  # per job index: actors that died while running it
        self.actors = {slot: self.remote.remote(factory) for slot in range(min(workers, len(jobs)))}
        for slot in self.actors:
            self.fill(slot)

    def fill(self, slot: int) -> None:
        """Queue jobs on the slot's actor until it has ``PER_ACTOR``."""
        queued = sum(1 for s, _ in self.pending.values() if s == slot)
        while self.queue and queued < PER_ACTOR:
            i = self.queue.popleft()
            self.pending[self.actors[slot].run.remote(self.jobs[i])] = (slot, i)
            queued += 1

    def replace(self, slot: int) -> tuple[list[Any], list[int]]:
        """The slot's actor died: settle its jobs, start a fresh actor; return (results, jobs given up).

        Jobs it finished before dying keep their results. Of the others, the first submitted was
        running when it died (an actor runs its jobs in order): only that one is charged with the
        death, so a job that kills every actor is given up after ``MAX_ATTEMPTS`` without taking
        the jobs queued behind it along. The rest go back to the front of the queue.
        """
        ray = self.ray
        refs = [ref for ref, (s, _) in self.pending.items() if s == slot]
        ray.wait(refs, num_returns=len(refs), timeout=60)  # a dead actor's jobs all fail within moments
        finished, failed = [], []
        for ref in refs:
            _, i = self.pending.pop(ref)
            try:
                finished.append(ray.get(ref, timeout=0))
            except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                failed.append(i)
        culprit = failed[0]
        self.deaths[culprit] += 1
        given_up = [culprit] if self.deaths[culprit] >= MAX_ATTEMPTS else []
        self.queue.extendleft(reversed([i for i in failed if i not in given_up]))
        ray.kill(self.actors[slot], no_restart=True)
        self.actors[slot] = self.remote.remote(self.factory)
        return finished, given_up

    def stop(self) -> None:
        """Drop the jobs still queued (a run stopped early), let every actor close its runner, end it."""
        ray = self.ray
        for ref in self.pending:
            with contextlib.suppress(Exception):  # already finished, or its actor is gone
                ray.cancel(ref)
        closing = [actor.close.remote() for actor in self.actors.values()]
        # A dead actor's close fails and one wedged in a job would never answer: neither may hold up the end.
        ray.wait(closing, num_returns=len(closing), timeout=30)
        for actor in self.actors.values():
            ray.kill(actor, no_restart=True)
