"""``deskpilot bench [what]``: print benchmark figures as one table.

Each benchmark is a library function returning ``(name, value, unit)`` rows; this script only picks
them, skips those not built yet (or needing a display that is absent), and prints the rows.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

Rows = list[tuple[str, float, str]]

# what -> (module, function, needs an X display)
BENCHMARKS: dict[str, tuple[str, str, bool]] = {
    "env": ("deskpilot.envs.synthetic.bench", "bench_env", False),
    "desktop": ("deskpilot.envs.desktop.bench", "bench_desktop", True),
    "train": ("deskpilot.policies.bench", "bench_train", False),
    "agent": ("deskpilot.agent.bench", "bench_agent", False),
    "miniwob": ("deskpilot.envs.miniwob.bench", "bench_miniwob", False),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``what`` picks one benchmark or all; ``--seconds`` is each benchmark's time budget."""
    parser.add_argument(
        "what", nargs="?", default="all", choices=["all", *BENCHMARKS], help="which benchmark"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="time budget per benchmark")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="train: also time this tree's step against commit REV's, alternated (a git checkout only)",
    )


def _load(module: str, function: str) -> Callable[..., Rows] | None:
    try:
        return getattr(importlib.import_module(module), function)
    except ModuleNotFoundError as e:
        if e.name is not None and module.startswith(e.name):
            return None  # that benchmark is not built yet
        raise


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmarks and print one table."""
    console = Console()
    table = Table(title="deskpilot bench")
    for column in ("benchmark", "figure", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    names = list(BENCHMARKS) if args.what == "all" else [args.what]
    if args.against is not None and "train" not in names:
        raise ValueError(f"--against compares train steps: expected 'train' or 'all', got {args.what!r}")
    for name in names:
        module, function, needs_display = BENCHMARKS[name]
        if needs_display and not os.environ.get("DISPLAY"):
            console.print(f"[yellow]skipped {name}: no DISPLAY (try xvfb-run -a deskpilot bench {name})")
            continue
        bench = _load(module, function)
        if bench is None:
            console.print(f"[yellow]skipped {name}: {module} is not built yet")
            continue
        console.print(f"running {name} ({module}.{function}) ...")
        extra = {"against": args.against} if name == "train" and args.against is not None else {}
        for figure, value, unit in bench(seconds=args.seconds, **extra):
            table.add_row(name, figure, f"{value:,.2f}" if unit == "x" else f"{value:,.1f}", unit)
    console.print(table)
    return 0
