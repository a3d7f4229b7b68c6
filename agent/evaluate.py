"""Evaluation: run an actor through the shared episode loop on held-out seeds and tabulate success.

Evaluation seeds start at ``collectors.collect.EVAL_SEED_OFFSET``; collection refuses seeds there,
so an evaluation never replays an episode the policy was trained on. A ``BatchActor`` runs
``num_envs`` envs per task side by side (``agent.vector_eval``) on the same seeds (a deterministic
actor gets the same report).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
from rich.table import Table

from deskpilot.agent.vector_eval import BatchActor, check_vectorisable, run_vectorised
from deskpilot.collectors.collect import EVAL_SEED_OFFSET
from deskpilot.collectors.loop import EpisodeResult, run_episode
from deskpilot.collectors.view import render_frames, write_gif
from deskpilot.envs.spaces import Actor

__all__ = ["EpisodeRow", "EvalReport", "Tally", "TaskResult", "eval_seeds", "evaluate", "wilson_interval"]


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a success rate (well-behaved at 0% and 100%)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclasses.dataclass
class TaskResult:
    """Outcome of all evaluation episodes of one env id."""

    env_id: str
    episodes: int = 0
    successes: int = 0
    steps: int = 0
    ends: Counter[str] = dataclasses.field(default_factory=Counter)  # success/failure/done/truncated

    @property
    def success_rate(self) -> float:
        """Fraction of episodes that succeeded."""
        return self.successes / self.episodes if self.episodes else 0.0

    @property
    def mean_steps(self) -> float:
        """Mean episode length in steps."""
        return self.steps / self.episodes if self.episodes else 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary with the confidence interval."""
        low, high = wilson_interval(self.successes, self.episodes)
        return {
            "env_id": self.env_id,
            "episodes": self.episodes,
            "success_rate": self.success_rate,
            "ci95": [low, high],
            "mean_steps": self.mean_steps,
            "ends": dict(self.ends),
        }


@dataclasses.dataclass(frozen=True)
class EpisodeRow:
    """One evaluation episode, as ``eval.json`` lists it."""

    env_id: str
    seed: int | None  # its reset seed (``evaluate`` always sets it: ``EVAL_SEED_OFFSET + seed + i``)
    success: bool
    steps: int  # actions taken
    end: str  # "success", "failure", "done" or "truncated" (``collectors.loop.EpisodeResult.end``)

    @classmethod
    def of(cls, env_id: str, episode: EpisodeResult) -> EpisodeRow:
        """The row of a finished episode of ``env_id``."""
        meta = episode.trajectory.meta
        return cls(env_id, meta.seed, episode.success, len(episode.trajectory.steps), episode.end)


@dataclasses.dataclass
class EvalReport:
    """Per-task results, one row per episode, and the episodes kept for pictures.

    ``checkpoint`` and ``step`` name the run folder evaluated and its checkpoint's training step
    when a trained policy was evaluated (``agent.run_eval``); None for other actors.
    """

    tasks: dict[str, TaskResult]
    failures: list[EpisodeResult]
    successes: list[EpisodeResult]
    episodes: list[EpisodeRow] = dataclasses.field(default_factory=list)  # in evaluation order
    checkpoint: str | None = None  # the run folder, absolute
    step: int | None = None  # the evaluated checkpoint's training step

    @property
    def mean_success(self) -> float:
        """Unweighted mean over tasks."""
        return sum(t.success_rate for t in self.tasks.values()) / max(1, len(self.tasks))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready report: what was evaluated, the summary per task, then every episode."""
        return {
            "checkpoint": self.checkpoint,
            "step": self.step,
            "mean_success": self.mean_success,
            "tasks": [t.to_json() for t in self.tasks.values()],
            "episodes": [dataclasses.asdict(row) for row in self.episodes],
        }

    def save(self, path: Path) -> None:
        """Write the report as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

    def save_pictures(self, folder: Path) -> list[Path]:
        """GIFs of the kept failed episodes and of one solved episode per task."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for kind, episodes in (("failed", self.failures), ("solved", self.successes)):
            counts: Counter[str] = Counter()
            for ep in episodes:
                env_id = (ep.trajectory.meta.env_id or "env").split("/")[-1]
                counts[env_id] += 1
                path = folder / f"{kind}-{env_id}-{counts[env_id]}.gif"
                paths.append(write_gif(render_frames(ep.trajectory), path))
        return paths

    def table(self, title: str = "held-out success") -> Table:
        """A rich table: success with its 95% interval, mean steps and how episodes ended, per task."""
        table = Table(title=f"{title}: mean {self.mean_success:.1%} over {len(self.tasks)} tasks")
        for name, justify in (
            ("task", "left"),
            ("success", "right"),
            ("95% CI", "right"),
            ("steps", "right"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        table.add_column("ends (failure kinds)", justify="left")
        for t in self.tasks.values():
            low, high = wilson_interval(t.successes, t.episodes)
            ends = ", ".join(f"{k} {v}" for k, v in t.ends.most_common() if k != "success") or "-"
            table.add_row(
                t.env_id.split("/")[-1],
                f"{t.success_rate:.0%}",
                f"{low:.0%}-{high:.0%}",
                f"{t.mean_steps:.1f}",
                ends,
            )
        return table


def evaluate(
    actor: Actor | BatchActor,
    env_ids: Iterable[str],
    *,
    episodes: int,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    keep_failures: int = 3,
    keep_successes: int = 1,
    progress: Callable[[str, EpisodeResult], None] | None = None,
    num_envs: int = 1,
) -> EvalReport:
    """Run ``episodes`` held-out episodes of ``actor`` per env id.

    Episode ``i`` of every env uses reset seed ``EVAL_SEED_OFFSET + seed + i``. An ``envs.Actor``
    plays them one after another (``num_envs`` must be 1); a ``BatchActor`` (with at least
    ``num_envs`` slots) plays them on ``num_envs`` envs per task side by side, one batched decision
    per tick. Both give the same report for a deterministic actor; ``progress`` sees episodes in
    order either way.
    """
    if episodes < 1:
        raise ValueError(f"episodes: expected >= 1, got {episodes}")
    if num_envs < 1:
        raise ValueError(f"num_envs: expected >= 1, got {num_envs}")
    if num_envs > 1 and not isinstance(actor, BatchActor):
        raise TypeError(
            f"num_envs={num_envs} needs a BatchActor (e.g. policies.actor.PolicyBatchActor), "
            f"got {type(actor).__name__}"
        )
    env_ids = list(env_ids)
    if num_envs > 1:
        for env_id in env_ids:
            check_vectorisable(env_id)
    tally = Tally(keep_failures, keep_successes)
    # Every env stays open until the end: envs that share a per-process resource (MiniWoB's one
    # browser and display per process) must not see it torn down between tasks.
    opened: list[gym.Env] = []
    try:
        for env_id in env_ids:
            envs = []
            for _ in range(min(num_envs, episodes)):
                envs.append(gym.make(env_id, **(env_kwargs or {})))
                opened.append(envs[-1])
            seeds = eval_seeds(seed, episodes)
            if isinstance(actor, BatchActor):
                stream: Iterator[EpisodeResult] = run_vectorised(envs, actor, seeds)
            else:
                stream = (run_episode(envs[0], actor, source="policy", seed=s) for s in seeds)
            for ep in stream:
                tally.add(env_id, ep)
                if progress is not None:
                    progress(env_id, ep)
    finally:
        for env in opened:
            env.close()
    return tally.report()


def eval_seeds(seed: int, episodes: int) -> list[int]:
    """The reset seeds of an env's evaluation episodes: ``EVAL_SEED_OFFSET + seed + i``."""
    return [EVAL_SEED_OFFSET + seed + i for i in range(episodes)]


class Tally:
    """Builds an ``EvalReport`` from episodes added in evaluation order (task by task, seed by seed).

    Keeps the first ``keep_failures`` failed and ``keep_successes`` solved episodes of each task
    (for pictures); every backend adds in the same order, so they agree on what is kept.
    """

    def __init__(self, keep_failures: int, keep_successes: int) -> None:
        self.keep = {False: keep_failures, True: keep_successes}
        self.tasks: dict[str, TaskResult] = {}
        self.kept: dict[bool, list[EpisodeResult]] = {False: [], True: []}
        self.kept_per_task: Counter[tuple[str, bool]] = Counter()
        self.rows: list[EpisodeRow] = []

    def add(self, env_id: str, ep: EpisodeResult) -> None:
        """Count the next episode of ``env_id``."""
        result = self.tasks.setdefault(env_id, TaskResult(env_id))
        result.episodes += 1
        result.successes += ep.success
        result.steps += len(ep.trajectory.steps)
        result.ends[ep.end] += 1
        self.rows.append(EpisodeRow.of(env_id, ep))
        if self.kept_per_task[env_id, ep.success] < self.keep[ep.success]:
            self.kept[ep.success].append(ep)
            self.kept_per_task[env_id, ep.success] += 1

    def report(self) -> EvalReport:
        """The report of everything added so far."""
        return EvalReport(self.tasks, self.kept[False], self.kept[True], self.rows)
