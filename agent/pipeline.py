"""The main job end to end (``make demo``): train on fresh expert episodes, evaluate on held-out seeds, show.

By default training streams expert episodes straight from the synthetic envs (``data="stream"``):
they render far faster than training consumes them, and fresh screens teach reading where a
fixed set is memorised. ``data="fixed"`` collects a dataset to disk first and trains on it.
Every stage is resumable: collection skips finished episodes, training resumes from its newest
checkpoint, so re-running ``make demo`` after an interruption picks up where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.agent.evaluate import EvalReport, evaluate
from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.envs.registry import resolve_env_ids

__all__ = ["DemoConfig", "run_demo"]


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """The demo's stages and budgets (defaults: about 30 minutes on a 2-core laptop CPU)."""

    out: Path = Path("runs/demo")  # data/ (with data="fixed"), run/ and eval/ go here
    env: str = "deskpilot/mock-suite"  # suite (or env id) to learn
    data: str = "stream"  # "stream": fresh expert episodes during training; "fixed": collect, then train
    # Expert episodes per env id when data="fixed" (600: 22,700 steps, 2.3 GB in memory).
    episodes: int = 600
    workers: int = 2  # collection processes
    config: str = "small"  # model/training preset
    minutes: float = 28.0  # training wall-clock budget (with set-up and evaluation: < 30 min)
    eval_episodes: int = 50  # held-out episodes per env id
    seed: int = 0  # collection, training and evaluation seed
    overrides: tuple[str, ...] = ()  # extra ``key=value`` config overrides
    # Every task as often as its episodes (train.balance): the suite is scored by its mean over
    # tasks, and by step a 7-step slider episode would outweigh a 1-step click seven times; within a
    # task the steps keep the data's proportions (see policies.sources.StreamingSource). Empty: "task"
    # for streamed data, "episode" (its nearest for a fixed set) for collected data.
    balance: str = ""
    # The synthetic families' training-time options (``SyntheticEnv``'s ``task_options``), streamed
    # data only; held-out evaluation draws each family's own distribution. Click-checkboxes starts
    # with a mix of ticks in 40% of its episodes; seen that rarely, the policy never learnt to untick.
    task_options: dict[str, dict[str, float]] = dataclasses.field(
        default_factory=lambda: {"click-checkboxes": {"start_ticked": 0.8}}
    )

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError(f"minutes: expected > 0, got {self.minutes}")
        if self.eval_episodes < 1 or self.episodes < 1:
            raise ValueError("episodes and eval_episodes must be >= 1")
        if self.data not in ("stream", "fixed"):
            raise ValueError(f"data: expected 'stream' or 'fixed', got {self.data!r}")
        if self.balance not in ("", "example", "episode", "task"):
            raise ValueError(f"balance: expected 'example', 'episode' or 'task', got {self.balance!r}")
        if self.balance == "task" and self.data == "fixed":
            raise ValueError(
                "balance='task' is for streamed data; with data='fixed' use 'episode' or 'example'"
            )
        from deskpilot.envs.synthetic.env import check_task_options

        check_task_options(self.task_options)
        object.__setattr__(self, "out", Path(self.out))

    @property
    def train_balance(self) -> str:
        """``balance``, or the default for the data source when it is empty."""
        return self.balance or ("task" if self.data == "stream" else "episode")

    def train_env_kwargs(self, env_ids: list[str]) -> dict[str, Any]:
        """What training's ``gymnasium.make`` gets: ``task_options`` for the synthetic suite only."""
        from deskpilot.envs.synthetic.registry import ENV_IDS

        synthetic = all(e in ENV_IDS for e in env_ids)
        return {"task_options": self.task_options} if self.task_options and synthetic else {}


def run_demo(config: DemoConfig, log: Callable[[str], None] = print) -> EvalReport:
    """Train on expert data, evaluate; return the held-out report (also saved under ``out``)."""
    from deskpilot.policies.actor import PolicyActor
    from deskpilot.policies.config import get_config, override
    from deskpilot.policies.train import UNTIL_STOPPED, train_from_directory, train_on_envs

    env_ids = resolve_env_ids(config.env)
    start = time.monotonic()
    first = (
        f"stream fresh expert episodes of {len(env_ids)} tasks into training"
        if config.data == "stream"
        else f"{len(env_ids)} tasks; collect {config.episodes} expert episodes each (~1-2 min)"
    )
    log(
        f"deskpilot demo: {first}, train '{config.config}' for {config.minutes:g} min, evaluate "
        f"{config.eval_episodes} held-out episodes each (~2 min). Expect about {config.minutes + 2:.0f} "
        f"minutes in all. Float32 matmul here: {_matmul_gflops():.0f} GFLOP/s (machines differ ~4x)."
    )
    model_config = override(
        get_config(config.config), [f"train.balance={config.train_balance}", *config.overrides]
    )
    train = dataclasses.replace(
        model_config.train, minutes=config.minutes, steps=UNTIL_STOPPED, seed=config.seed
    )
    model_config = dataclasses.replace(model_config, train=train)
    run = config.out / "run"
    from deskpilot.policies.bench import cpu_ticks, stolen_share

    ticks = cpu_ticks()
    if config.data == "stream":
        report = train_on_envs(
            env_ids,
            run,
            model_config,
            seed=10_000_000 + config.seed,
            resume=True,
            env_kwargs=config.train_env_kwargs(env_ids),
        )
    else:
        data = config.out / "data"
        from tqdm import tqdm

        summary = collect(
            CollectConfig(config.env, config.episodes, data, config.workers, config.seed),
            env_ids,
            lambda results, total: tqdm(results, total=total, desc="collect", unit="ep"),
        )
        log(
            f"[{_clock(start)}] collected: {sum(summary.episodes.values())} episodes, "
            f"{sum(summary.steps.values())} steps, {summary.bytes_on_disk / 2**20:.0f} MiB"
        )
        report = train_from_directory(data, run, model_config, resume=True)
    stolen = stolen_share(ticks, cpu_ticks())
    log(
        f"[{_clock(start)}] trained: step {report.get('step')}, {report.get('examples_per_s')} examples/s"
        + ("" if stolen is None else f"; the hypervisor took {100 * stolen:.0f}% of the CPU time meanwhile")
    )
    actor = PolicyActor.from_checkpoint(run)
    result = evaluate(
        actor, env_ids, episodes=config.eval_episodes, seed=config.seed, keep_failures=2, keep_successes=1
    )
    # Named like ``deskpilot eval``'s report, so a table can always be traced to its weights.
    result = dataclasses.replace(result, checkpoint=str(run.resolve()), step=report.get("step"))
    result.save(config.out / "eval" / "eval.json")
    pictures = result.save_pictures(config.out / "eval")
    log(f"[{_clock(start)}] evaluated; {len(pictures)} GIFs in {config.out / 'eval'}")
    return result


def _matmul_gflops() -> float:
    from deskpilot.policies.bench import matmul_flops

    return matmul_flops() / 1e9


def _clock(start: float) -> str:
    seconds = int(time.monotonic() - start)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
