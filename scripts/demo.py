"""``deskpilot demo``: the main job end to end on the synthetic suite (what ``make demo`` runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.agent.pipeline import DemoConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map one to one onto ``agent.pipeline.DemoConfig``."""
    d = DemoConfig()
    parser.add_argument("--out", type=Path, default=d.out, help="folder for data, run and eval")
    parser.add_argument("--env", default=d.env, help="suite or env id")
    parser.add_argument(
        "--data",
        choices=("stream", "fixed"),
        default=d.data,
        help="stream fresh expert episodes into training, or collect a fixed dataset first",
    )
    parser.add_argument(
        "--episodes", type=int, default=d.episodes, help="expert episodes per env (--data fixed)"
    )
    parser.add_argument("--workers", type=int, default=d.workers, help="collection processes")
    parser.add_argument("--config", default=d.config, help="model preset")
    parser.add_argument("--minutes", type=float, default=d.minutes, help="training budget in minutes")
    parser.add_argument(
        "--eval-episodes", type=int, default=d.eval_episodes, help="held-out episodes per env"
    )
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument(
        "--balance", choices=("example", "episode"), default=d.balance, help="training sample weighting"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")


def run(args: argparse.Namespace) -> int:
    """Run the demo and print the per-task table."""
    from rich.console import Console

    from deskpilot.agent.pipeline import run_demo

    console = Console()
    config = DemoConfig(
        out=args.out,
        env=args.env,
        data=args.data,
        episodes=args.episodes,
        workers=args.workers,
        config=args.config,
        minutes=args.minutes,
        eval_episodes=args.eval_episodes,
        seed=args.seed,
        overrides=tuple(args.set),
        balance=args.balance,
    )
    report = run_demo(config, log=console.print)
    console.print(report.table())
    return 0
