"""``deskpilot record``: record a person doing a task on the live desktop."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from deskpilot.collectors.folding import FoldingConfig
from deskpilot.collectors.listeners import system_double_click_interval
from deskpilot.collectors.recorder import Recorder, RecorderConfig
from deskpilot.envs.desktop.capture import CaptureError, Region


def _ints(text: str, n: int, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != n:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map one to one onto ``RecorderConfig``."""
    parser.add_argument("--task", required=True, help="what the person is asked to do")
    parser.add_argument("--out", type=Path, required=True, help="dataset folder for the episode")
    parser.add_argument(
        "--region",
        type=lambda s: Region(*_ints(s, 4, "LEFT,TOP,WIDTH,HEIGHT")),
        default=None,
        help="LEFT,TOP,WIDTH,HEIGHT in screen pixels (default: the whole first monitor)",
    )
    parser.add_argument(
        "--obs-size", type=lambda s: _ints(s, 2, "H,W"), default=None, help="screenshot H,W (default 210,160)"
    )
    outcome = parser.add_mutually_exclusive_group()
    outcome.add_argument(
        "--success", dest="success", action="store_true", default=None, help="mark it a success"
    )
    outcome.add_argument("--failure", dest="success", action="store_false", help="mark it a failure")
    parser.add_argument("--stop-key", default="f9", help="pynput key name that stops and saves (f9)")
    parser.add_argument("--pause-key", default="f8", help="pynput key name that pauses / resumes (f8)")
    parser.add_argument("--discard-key", default="f7", help="pynput key name that discards (f7)")
    parser.add_argument("--double-click", type=float, default=None, help="double-click interval in s")
    parser.add_argument("--episode-id", default=None, help="folder name of the episode")


def _ask() -> bool:
    answer = input("Did you complete the task? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    """Record until the stop key, the discard key, Ctrl+C or SIGTERM."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        # pynput would fail at import with a page of backend errors; say what is missing instead.
        raise CaptureError(
            "recording needs an X display and DISPLAY is not set: run it in a desktop session, "
            "or under Xvfb (xvfb-run -a deskpilot record ...)"
        )
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    interval = args.double_click or system_double_click_interval()
    config = RecorderConfig(
        task=args.task,
        out=args.out,
        region=args.region,
        success=args.success,
        stop_key=args.stop_key,
        pause_key=args.pause_key,
        discard_key=args.discard_key,
        folding=FoldingConfig(double_click_interval=interval),
        episode_id=args.episode_id,
        **({"obs_size": args.obs_size} if args.obs_size else {}),
    )
    asked = sys.stdin.isatty()
    result = Recorder(config, ask_success=_ask if asked else None).run()
    if result.path is None:
        print(f"discarded ({result.num_steps} steps)")
    elif result.success is False and args.success is None and not asked and result.status != "signal":
        print(
            f"{result.path}: {result.num_steps} steps, saved as NOT successful: no --success and no "
            "terminal to ask on. Training leaves failed episodes out; if you did complete the task, "
            "record it again with --success (a success also ends with DONE, which teaches stopping)"
        )
    else:
        print(f"{result.path}: {result.num_steps} steps, success={result.success} ({result.status})")
    return 0
