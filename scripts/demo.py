"""``deskpilot demo``: the main job end to end on the synthetic suite (what ``make demo`` runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.agent.pipeline import DemoConfig
from deskpilot.scripts.cli import add_set_argument


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
    parser.add_argument(
        "--config", default=d.config, help="preset (tiny, small, base) or a run's config.json"
    )
    parser.add_argument("--minutes", type=float, default=d.minutes, help="training budget in minutes")
    parser.add_argument(
        "--eval-episodes", type=int, default=d.eval_episodes, help="held-out episodes per env"
    )
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument(
        "--balance",
        choices=("example", "episode", "task"),
        default=d.balance,
        help="training sample weighting (default: task when streamed, episode for a fixed set)",
    )
    add_set_argument(parser)
    parser.add_argument(
        "--task-option",
        type=_task_option,
        action="append",
        default=[],
        metavar="FAMILY.OPTION=SHARE",
        help="a synthetic task family's training-time option, e.g. click-checkboxes.start_ticked=0.4 "
        f"(default: {_spell(d.task_options)}); evaluation keeps each family's own draws",
    )
    parser.add_argument(
        "--curve",
        type=_minutes_list,
        metavar="M1,M2,...",
        help="run the demo once per training budget (e.g. 5,10,20,30,60,120) and plot success "
        "against minutes into OUT/curve.png (--minutes is then ignored)",
    )


def _spell(options: dict[str, dict[str, float]]) -> str:
    return ", ".join(f"{f}.{k}={v:g}" for f, o in options.items() for k, v in o.items()) or "none"


def _task_option(text: str) -> tuple[str, str, float]:
    name, _, value = text.partition("=")
    family, _, option = name.rpartition(".")
    try:
        return family, option, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FAMILY.OPTION=SHARE, got {text!r}") from None


def _minutes_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive minutes separated by commas, got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    """Run the demo and print the per-task table."""
    from rich.console import Console

    from deskpilot.agent.pipeline import run_demo

    console = Console()
    task_options = {f: dict(o) for f, o in DemoConfig().task_options.items()}
    for family, option, value in args.task_option:
        task_options.setdefault(family, {})[option] = value
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
        task_options=task_options,
    )
    if args.curve:
        from deskpilot.agent.curve import learning_curve

        rows = learning_curve(config, args.curve, log=console.print)
        for row in rows:
            console.print(f"{row['minutes']:>6g} min: mean {row['mean']:.1%}, worst task {row['worst']:.1%}")
        console.print(f"plot: {config.out / 'curve.png'}")
        return 0
    report = run_demo(config, log=console.print)
    console.print(report.table())
    return 0
