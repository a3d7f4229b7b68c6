"""``deskpilot pretrain``: train the weights that ship with deskpilot and export them into the package."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from deskpilot.scripts.cli import add_set_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's training budget and preset; ``--from`` exports a finished run instead of training."""
    parser.add_argument("--out", type=Path, default=Path("runs/pretrain"), help="folder for the run and eval")
    parser.add_argument("--minutes", type=float, default=28.0, help="training budget in minutes")
    parser.add_argument("--config", default="small", help="preset whose weights to make (small)")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="RUN",
        help="export this finished demo or pretrain run (its run/ folder) instead of training; "
        "'pretrained': continue the shipped weights with one more --varied-minutes stage",
    )
    parser.add_argument(
        "--varied-minutes",
        type=float,
        default=12.0,
        help="the last stage: minutes on the suite in other typefaces and reduced from bigger screens (0: none)",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        help="write here instead of the package's policies/weights/<preset>-v<model version>.npz",
    )
    add_set_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Train (or take ``--from``), evaluate, export; print where the weights went."""
    from deskpilot.agent.pretrain import demo_config, pretrain

    demo = demo_config(args.out, args.minutes, args.config, tuple(args.set))
    # Flushed at once: a line left in the buffer is copied into any process forked meanwhile.
    pretrain(demo, args.weights, args.source, args.varied_minutes, log=functools.partial(print, flush=True))
    return 0
