"""``deskpilot collect``: roll the scripted expert through envs and write trajectories."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.envs.registry import resolve_env_ids
from deskpilot.scripts.cli import add_backend_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map one to one onto ``CollectConfig``."""
    parser.add_argument(
        "--env",
        required=True,
        help="env ids or suite names, comma-separated, e.g. deskpilot/mock-login-v0,deskpilot/mock-easy",
    )
    parser.add_argument("--episodes", type=int, required=True, help="episodes per env id")
    parser.add_argument("--out", type=Path, required=True, help="dataset folder (re-run to resume)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (local) or Ray actors (ray)")
    parser.add_argument("--seed", type=int, default=0, help="episode i uses reset seed SEED + i")
    add_backend_arguments(parser)  # --backend, --ray-address


def run(args: argparse.Namespace) -> int:
    """Collect, with a progress bar, then print the summary table and what raised."""
    config = CollectConfig(
        args.env,
        args.episodes,
        args.out,
        args.workers,
        args.seed,
        backend=args.backend,
        ray_address=args.ray_address,
    )
    env_ids = resolve_env_ids(config.env)

    def progress(results, total):  # type: ignore[no-untyped-def]
        return tqdm(results, total=total, desc="episodes", unit="ep", smoothing=0.05)

    summary = collect(config, env_ids, progress)
    table = Table(title=f"{config.out}: {summary.written} written, {summary.skipped} already there")
    for column in ("env", "episodes", "steps", "success"):
        table.add_column(column, justify="left" if column == "env" else "right")
    for env_id, n, steps, rate in summary.rows():
        table.add_row(env_id, str(n), str(steps), f"{rate:.1%}")
    console = Console()
    console.print(table)
    rate = summary.written / summary.seconds if summary.seconds else 0.0
    console.print(f"{summary.bytes_on_disk / 2**20:.1f} MiB on disk; {rate:.1f} episodes/s this run")
    errors = sum(summary.errors.values())
    if errors:
        console.print(f"{errors} episodes raised an error and count as failed; the first:", style="yellow")
        for line in summary.first_errors:
            console.print(f"  {line}", markup=False, highlight=False)
    return 0
