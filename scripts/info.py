"""``deskpilot info``: what a dataset holds, as tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from deskpilot.collectors.info import DatasetInfo, Group, dataset_info


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The dataset folder, and whether to decode every screenshot."""
    parser.add_argument("data", type=Path, help="dataset folder (episode folders inside)")
    parser.add_argument(
        "--no-images",
        dest="check_images",
        action="store_false",
        help="do not decode screenshots: faster, but damaged images go unnoticed",
    )


def _rate(group: Group) -> str:
    rate = group.success_rate
    return "-" if rate is None else f"{rate:.1%}"


def _table(title: str, columns: tuple[str, ...], text_columns: int = 1) -> Table:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        # fold, not cut: env ids and paths must stay whole on a narrow terminal
        table.add_column(column, justify="left" if i < text_columns else "right", overflow="fold")
    return table


def tables(info: DatasetInfo) -> list[Table]:
    """The tables ``run`` prints: by env, by source, actions, then bad and unfinished episodes."""
    envs = _table("by env", ("env", "episodes", "steps", "tasks", "success", "truncated"))
    for name, g in [*info.by_env.items(), ("all", info.total)]:
        envs.add_row(Text(name), str(g.episodes), str(g.steps), str(len(g.tasks)), _rate(g), str(g.truncated))
    sources = _table("by source", ("source", "episodes", "steps", "success"))
    for name, g in info.by_source.items():
        sources.add_row(name, str(g.episodes), str(g.steps), _rate(g))
    actions = _table("actions", ("type", "steps", "share"))
    for name, n in info.actions.items():
        actions.add_row(name, str(n), f"{n / info.total.steps:.1%}" if info.total.steps else "-")
    out = [envs, sources, actions]
    if info.bad:
        bad = _table(f"bad episodes ({len(info.bad)}, skipped)", ("file", "problem"), text_columns=2)
        for e in info.bad:
            bad.add_row(Text(str(e.path)), Text(e.problem))  # Text: paths and messages are not markup
        out.append(bad)
    if info.unfinished:
        partial = _table(f"unfinished episodes ({len(info.unfinished)})", ("folder", "steps"))
        for path, steps in info.unfinished:
            partial.add_row(Text(str(path)), "unreadable" if steps is None else str(steps))
        out.append(partial)
    return out


def run(args: argparse.Namespace) -> int:
    """Count and print."""
    info = dataset_info(args.data, check_images=args.check_images)
    versions = ", ".join(f"v{v}: {n}" for v, n in sorted(info.versions.items())) or "-"
    console = Console()
    console.print(
        f"[bold]{escape(str(info.root))}[/bold]: {info.total.episodes} episodes, {info.total.steps} steps, "
        f"{len(info.total.tasks)} distinct tasks, {len(info.by_env)} envs; format {versions}; "
        f"{len(info.bad)} bad, {len(info.unfinished)} unfinished"
    )
    for table in tables(info):
        console.print(table)
    return 0
