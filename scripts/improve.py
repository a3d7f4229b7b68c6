"""``deskpilot improve``: online improvement by DAgger on the synthetic envs."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.agent.improve import ImproveConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map one to one onto ``agent.improve.ImproveConfig``."""
    d = ImproveConfig(Path("data"), Path("run"), ("x",))
    parser.add_argument(
        "--data", type=Path, required=True, help="the expert dataset the policy was trained on"
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="run folder of the policy to improve")
    parser.add_argument("--env", required=True, help="suite or env id (envs with a scripted expert)")
    parser.add_argument("--rounds", type=int, default=d.rounds, help="DAgger rounds")
    parser.add_argument("--episodes", type=int, default=d.episodes, help="policy episodes per env per round")
    parser.add_argument("--minutes", type=float, default=d.minutes, help="fine-tuning minutes per round")
    parser.add_argument(
        "--eval-episodes", type=int, default=d.eval_episodes, help="held-out episodes per env"
    )
    parser.add_argument("--seed", type=int, default=d.seed)


def run(args: argparse.Namespace) -> int:
    """Run the rounds, printing the held-out table after each."""
    from rich.console import Console

    from deskpilot.agent.improve import improve
    from deskpilot.envs.registry import resolve_env_ids
    from deskpilot.policies.actor import PolicyActor
    from deskpilot.policies.train import finetune

    console = Console()
    config = ImproveConfig(
        args.data,
        args.checkpoint,
        tuple(resolve_env_ids(args.env)),
        args.rounds,
        args.episodes,
        args.minutes,
        args.eval_episodes,
        args.seed,
    )
    reports = improve(config, PolicyActor.from_checkpoint, finetune, log=console.print)
    for k, report in enumerate(reports, 1):
        console.print(report.table(f"after DAgger round {k}"))
    return 0
