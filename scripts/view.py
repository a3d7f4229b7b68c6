"""``deskpilot view``: render an episode with each action drawn on its screenshot."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.collectors.view import view


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The episode folder, the output file and the frame duration."""
    parser.add_argument("episode", type=Path, help="episode folder (finished or .partial)")
    parser.add_argument("--out", type=Path, required=True, help="FILE.gif or FILE.html")
    parser.add_argument("--seconds-per-step", type=float, default=1.0, help="GIF frame duration")


def run(args: argparse.Namespace) -> int:
    """Render and print where the picture went."""
    path = view(args.episode, args.out, args.seconds_per_step)
    print(path)
    return 0
