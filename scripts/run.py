"""``deskpilot run``: a checkpoint on the live desktop. Dry run unless ``--execute``."""

from __future__ import annotations

import argparse
from pathlib import Path

LIVE_VIEWS = 5  # each live decision pools the screen seen from five places (``policies.actor.VIEW_SHIFTS``)


def _region(text: str):  # noqa: ANN202 - returns envs.desktop.Region
    from deskpilot.envs.desktop import Region

    try:
        left, top, width, height = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--region: expected LEFT,TOP,WIDTH,HEIGHT in pixels, got {text!r}"
        ) from None
    return Region(left, top, width, height)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map one to one onto ``agent.live.LiveConfig``."""
    parser.add_argument(
        "--checkpoint",
        type=Path,
        required=True,
        help="run folder written by `deskpilot train`, or 'pretrained' for the weights shipped with deskpilot",
    )
    parser.add_argument("--task", required=True, help="the instruction, e.g. \"Click the 'OK' button.\"")
    parser.add_argument("--execute", action="store_true", help="really act on the screen (default: dry run)")
    parser.add_argument("--steps", type=int, help="step limit (default 1 for a dry run, 20 with --execute)")
    area = parser.add_mutually_exclusive_group()
    area.add_argument("--region", type=_region, help="observe and act in LEFT,TOP,WIDTH,HEIGHT only")
    area.add_argument("--window", help="observe and act in the window with this title")
    parser.add_argument("--out", type=Path, default=Path("runs/live"), help="trajectory and previews go here")
    parser.add_argument(
        "--stop-key", default="f12", help="key that stops the run at once ('none' to disable)"
    )
    parser.add_argument(
        "--views",
        type=int,
        default=LIVE_VIEWS,
        help=f"views of each screen a decision pools, moved a few pixels apart (1 to {LIVE_VIEWS}; "
        f"default {LIVE_VIEWS}: a live step has time for them, and they misread fewer labels)",
    )


_ENDS = {
    "done": "stopped: the policy said it is done",
    "success": "stopped: done",
    "truncated": "stopped at the step limit, by the stop key or by a signal",
}


def run(args: argparse.Namespace) -> int:
    """Load the policy, run one live episode, print where it was saved."""
    from deskpilot.agent.live import LiveConfig, run_live
    from deskpilot.policies.actor import PolicyActor

    steps = args.steps if args.steps is not None else (20 if args.execute else 1)
    stop_key = None if args.stop_key.lower() == "none" else args.stop_key
    config = LiveConfig(args.task, args.out, args.execute, steps, args.region, args.window, stop_key)
    if args.execute:
        print(
            f"EXECUTING on the real screen, at most {steps} steps. Stop: {stop_key or 'Ctrl+C'}, or move the pointer into a corner."
        )
    result = run_live(PolicyActor.from_checkpoint(args.checkpoint, views=args.views), config)
    why = _ENDS.get(result.end, result.end)
    print(f"{why} after {len(result.trajectory.steps)} steps; saved under {config.out}")
    return 0
