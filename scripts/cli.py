"""``deskpilot <command>``: one console script, one module per subcommand.

Each subcommand lives in ``scripts/<name>.py`` and exposes ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their command runs, so ``deskpilot --help``
is fast and a command whose optional dependencies are missing fails alone, with a clear message.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, str] = {
    "collect": "Roll the scripted expert through synthetic envs and write trajectories.",
    "record": "Record a person doing a task on the live desktop.",
    "train": "Train the action transformer on trajectories.",
    "eval": "Evaluate a checkpoint on envs: success per task with confidence intervals.",
    "run": "Run a checkpoint on the live desktop (dry-run unless --execute).",
    "improve": "Online improvement (DAgger): run the policy, label visited states with the expert, retrain.",
    "view": "Render an episode as a GIF or HTML page with each action drawn on its screenshot.",
    "bench": "Print benchmark figures (env, desktop, train, agent, miniwob).",
    "demo": "The main job end to end: collect, train, evaluate on held-out seeds, print the table.",
}


def _load(name: str):  # noqa: ANN202 - returns a module
    try:
        return importlib.import_module(f"deskpilot.scripts.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"deskpilot.scripts.{name}":
            return None
        raise


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only the ``selected`` command's module is imported for its flags."""
    parser = argparse.ArgumentParser(prog="deskpilot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        module = _load(name) if name == selected else None
        if module is not None:
            module.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deskpilot`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = argv[0] if argv and argv[0] in COMMANDS else None
    if argv and not argv[0].startswith("-") and selected is None:
        print(f"deskpilot: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = _load(args.command)
    if module is None:
        print(f"deskpilot: the {args.command!r} command is not built yet", file=sys.stderr)
        return 2
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
