"""Online improvement (DAgger): the expert labels the states the policy itself visits, then retrain.

Behaviour cloning only ever sees states on the expert's path; one wrong step takes the policy to
states it never saw, where it drifts further. DAgger (Ross et al., 2011) runs the *current policy*,
asks the scripted expert what it would have done in every visited state, adds those labelled
states to the data and trains again. The synthetic expert is stateless (it decides from the current
``info`` alone), which is exactly what labelling off-path states needs.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym

from deskpilot.agent.evaluate import EvalReport, evaluate
from deskpilot.collectors.collect import episode_id, make_expert
from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.trajectory import PARTIAL_SUFFIX, EpisodeMeta, TrajectoryWriter
from deskpilot.envs.spaces import Actor, ExpertCannotAct

__all__ = ["ImproveConfig", "dagger_round", "improve"]

log = logging.getLogger(__name__)
# DAgger rounds use their own seed block (below the evaluation offset), far from collection's.
DAGGER_SEED_BASE = 500_000_000


@dataclasses.dataclass(frozen=True)
class ImproveConfig:
    """How many rounds of DAgger and how much each round collects and trains."""

    data: Path  # dataset folder of expert data; each round adds its labelled episodes to it
    run: Path  # run folder of the policy to improve; each round writes ``<run>-r<k>``
    env_ids: tuple[str, ...]  # envs to run the policy in (they need a scripted expert)
    rounds: int = 3  # DAgger rounds
    episodes: int = 50  # policy episodes per env per round (each labelled by the expert)
    minutes: float = 5.0  # training budget per round (continues from the previous weights)
    eval_episodes: int = 50  # held-out episodes per env for the success table after each round
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rounds", "episodes", "eval_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.minutes <= 0:
            raise ValueError(f"minutes: expected > 0, got {self.minutes}")


def dagger_round(
    policy: Actor, env_ids: tuple[str, ...], episodes: int, out: Path, seed: int
) -> dict[str, float]:
    """Run ``policy`` and write expert-labelled trajectories of the states it visits to ``out``.

    Returns the policy's success rate per env over these (training-seed) episodes.
    """
    rates: dict[str, float] = {}
    for env_id in env_ids:
        env = gym.make(env_id)
        expert = make_expert(env)
        wins = dropped = 0
        try:
            for i in range(episodes):
                s = seed + i
                if (out / episode_id(env_id, s)).exists():
                    continue

                def writer(meta: EpisodeMeta, s: int = s, env_id: str = env_id) -> TrajectoryWriter:
                    return TrajectoryWriter(
                        out, episode_id(env_id, s), dataclasses.replace(meta, source="expert")
                    )

                try:
                    result = run_episode(
                        env,
                        policy,
                        source="expert",
                        seed=s,
                        writer_factory=writer,
                        teacher=expert,
                        keep_screenshots=False,
                    )
                except ExpertCannotAct as e:
                    # The policy reached a state the scripted expert has no answer for (say, a menu
                    # opened on the wrong item). Its labels so far are right but the episode is
                    # cut; drop it rather than train on a truncated story.
                    log.info("%s seed %d: %s; episode dropped", env_id, s, e)
                    shutil.rmtree(out / (episode_id(env_id, s) + PARTIAL_SUFFIX), ignore_errors=True)
                    dropped += 1
                    continue
                wins += result.success
        finally:
            env.close()
        if dropped:
            log.warning(
                "%s: %d of %d episodes dropped (the expert could not label them)", env_id, dropped, episodes
            )
        rates[env_id] = wins / episodes
    return rates


def improve(
    config: ImproveConfig,
    load_policy: Callable[[Path], Actor],
    train: Callable[[Path, Path, Path, float], Any],
    log: Callable[[str], None] = print,
) -> list[EvalReport]:
    """Run ``config.rounds`` rounds of DAgger; return the held-out evaluation after each round.

    ``train(data_dirs, init_run, out_run, minutes)`` fine-tunes the weights of ``init_run`` on all
    of ``data_dirs`` into ``out_run``. It is injected so this module stays free of the training code.
    """
    reports = []
    run = config.run
    for k in range(1, config.rounds + 1):
        policy = load_policy(run)
        seed = DAGGER_SEED_BASE + 100_000 * k + config.seed
        rates = dagger_round(policy, config.env_ids, config.episodes, config.data, seed)
        log(f"round {k}: policy success while collecting: {sum(rates.values()) / len(rates):.1%}")
        next_run = run.parent / f"{config.run.name}-r{k}"
        train(config.data, run, next_run, config.minutes)
        run = next_run
        report = evaluate(load_policy(run), config.env_ids, episodes=config.eval_episodes, seed=config.seed)
        log(f"round {k}: held-out mean success {report.mean_success:.1%}")
        report.save(run / "eval.json")
        reports.append(report)
    return reports
