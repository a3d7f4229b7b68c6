"""``deskpilot export``: write a dataset in another ecosystem's format (``hf``: Hugging Face datasets)."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.collectors.export import EXPORT_FORMATS, export


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The dataset folder, the format and the output folder."""
    parser.add_argument("data", type=Path, help="dataset folder (episode folders inside)")
    parser.add_argument("out", type=Path, help="folder to write (must not exist yet)")
    parser.add_argument(
        "--format",
        required=True,
        choices=EXPORT_FORMATS,
        help="hf: a Hugging Face datasets folder (load with datasets.load_from_disk), one row per step",
    )


def run(args: argparse.Namespace) -> int:
    """Export, then say what was written and what was left out."""
    summary = export(args.data, args.out, args.format)
    print(f"{summary.out}: {summary.episodes} episodes, {summary.steps} steps")
    for error in summary.skipped:
        print(f"skipped (damaged): {error}")
    return 0
