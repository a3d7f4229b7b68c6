"""``deskpilot <command>``: one console script, one module per subcommand.

Each subcommand lives in ``scripts/<name>.py`` and exposes ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their command runs, so ``deskpilot --help``
is fast and a command whose optional dependencies are missing fails alone, with a clear message.

An error in what the person asked for (a missing folder, an unknown env id, a bad ``--set``, a
damaged checkpoint, no display) is printed as one line, ``deskpilot: error: <message>``, with exit
status 2; ``--debug`` shows the traceback instead. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from deskpilot import __version__

COMMANDS: dict[str, str] = {
    "collect": "Roll the scripted expert through synthetic envs and write trajectories.",
    "record": "Record a person doing a task on the live desktop.",
    "train": "Train the action transformer on trajectories.",
    "eval": "Evaluate a checkpoint on envs: success per task with confidence intervals.",
    "run": "Run a checkpoint on the live desktop (dry-run unless --execute).",
    "improve": "Online improvement (DAgger): run the policy, label visited states with the expert, retrain.",
    "view": "Render an episode as a GIF or HTML page with each action drawn on its screenshot.",
    "info": "Summarise a dataset: episodes, steps, success by env and source, actions, damage.",
    "export": "Export a dataset to another format (hf: a Hugging Face datasets folder, one row per step).",
    "bench": "Print benchmark figures (env, desktop, train, agent, miniwob).",
    "pretrain": "Train the shipped starting weights (the demo's training) and export them into the package.",
    "demo": "The main job end to end: train on expert episodes, evaluate on held-out seeds, print the table.",
}

# The exceptions that report bad input or a missing prerequisite rather than a bug, by module.
# Named rather than imported so that the CLI stays light: an exception of a module that was
# never imported cannot have been raised, so only the modules already loaded are looked in.
USER_ERRORS: dict[str, tuple[str, ...]] = {
    "builtins": (
        "ValueError",  # every config, flag and argument check in the library
        "FileNotFoundError",
        "FileExistsError",
        "NotADirectoryError",
        "IsADirectoryError",
        "PermissionError",
    ),
    "gymnasium.error": ("Error",),  # an env id gymnasium cannot make, a missing env dependency
    "deskpilot.collectors.schema": ("TrajectoryError",),  # a missing or damaged episode
    "deskpilot.policies.checkpoint": ("CheckpointError",),  # a missing, damaged or mismatched run
    "deskpilot.envs.desktop.capture": ("CaptureError",),  # no display, region off screen, no window
    "deskpilot.envs.desktop.executor": ("ExecutorError",),  # no display, missing xdotool
    "deskpilot.envs.desktop.xvfb": ("XvfbError",),  # Xvfb missing
    "deskpilot.envs.miniwob.browser": ("BrowserNotFoundError",),  # Chromium or chromedriver missing
    "deskpilot.collectors.ray_backend": ("RayNotInstalledError",),  # --backend ray without Ray
}
COMPILATION_CACHE_BYTES = 2**30  # use_compilation_cache's bound on its folder
DEBUG_HELP = "on an error, show the full traceback instead of one line"


def add_set_argument(parser: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE ...``: config overrides (``policies.config.override``), for every command that trains."""
    parser.add_argument(
        "--set",
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override config fields (SECTION.FIELD or a train field's name; repeatable), "
        "e.g. --set model.width=96 train.batch_size=64",
    )


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend`` and ``--ray-address``, for the commands that run many episodes (collect, eval)."""
    from deskpilot.collectors.collect import BACKENDS

    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="local: this machine (processes for collect); ray: Ray actors, each with its own envs, "
        "on this machine or a cluster (pip install 'deskpilot[ray]')",
    )
    parser.add_argument(
        "--ray-address",
        help="with --backend ray: the cluster to join, e.g. HEAD_IP:6379 (default: $RAY_ADDRESS, else a "
        "private local Ray instance)",
    )


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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # Also accepted after the command; SUPPRESS keeps an absent flag from resetting the global one.
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        module = _load(name) if name == selected else None
        if module is not None:
            module.add_arguments(p)
    return parser


def user_errors() -> tuple[type[BaseException], ...]:
    """The exception types of ``USER_ERRORS`` whose modules are loaded."""
    found: list[type[BaseException]] = []
    for module_name, names in USER_ERRORS.items():
        module = sys.modules.get(module_name)
        if module is not None:
            found += [getattr(module, name) for name in names]
    return tuple(found)


def error_line(error: BaseException) -> str:
    """``error`` as the one line the CLI prints."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    else:
        text = str(error) or type(error).__name__
    # Some libraries' messages span several lines; one line is the contract.
    return "deskpilot: error: " + " ".join(text.split())


def use_compilation_cache() -> None:
    """Keep XLA's compiled programs between commands, in ``$XDG_CACHE_HOME/deskpilot/xla``.

    Compiling the ``small`` model's train step takes 20-30 s on a 2-core CPU, and every ``train``,
    ``eval`` and ``run`` compiles the same few programs again; JAX's persistent cache reads them back
    in a second or two. ``JAX_COMPILATION_CACHE_DIR`` set beforehand wins (empty: no cache). Set as
    environment variables so that the processes a command starts (collection workers, the hosts of
    a multi-process run) share it; the size limit bounds the folder (least recently used entries go
    first) and turns on the cache's file lock, so concurrent processes never read half an entry.
    """
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(base / "deskpilot" / "xla")
    os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(COMPILATION_CACHE_BYTES))
    jax = sys.modules.get("jax")
    if jax is not None:  # imported before (a test, a notebook): JAX read its environment then
        jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
        jax.config.update("jax_compilation_cache_max_size", int(os.environ["JAX_COMPILATION_CACHE_MAX_SIZE"]))


def _fail(message: str) -> int:
    print(f"deskpilot: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deskpilot`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The global flags take no values, so the first word that is not a flag names the command.
    selected = next((a for a in argv if not a.startswith("-")), None)
    if selected is not None and selected not in COMMANDS:
        close = difflib.get_close_matches(selected, COMMANDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return _fail(f"unknown command {selected!r}; {hint}commands: {', '.join(COMMANDS)}")
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = _load(args.command)
    if module is None:
        return _fail(f"the {args.command!r} command is not built yet")
    use_compilation_cache()
    try:
        return int(module.run(args) or 0)
    except Exception as e:
        if args.debug or not isinstance(e, user_errors()):
            raise
        print(error_line(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
