"""``deskpilot train``: train the action model on a folder of trajectories."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from deskpilot.scripts.cli import add_set_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map onto ``policies.config.Config``; ``--set`` reaches every field."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="dataset folder written by `deskpilot collect`")
    source.add_argument(
        "--stream",
        metavar="ENV",
        help="train on fresh expert episodes of an env id or suite instead of a dataset",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="run folder: checkpoints, metrics, TensorBoard"
    )
    parser.add_argument(
        "--config",
        default="small",
        help="preset (tiny, small: the CPU default, base) or a run's config.json to train that model again",
    )
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="step budget (train.steps)")
    budget.add_argument("--minutes", type=float, help="wall-clock budget (train.minutes)")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    parser.add_argument(
        "--init-from",
        type=Path,
        metavar="RUN",
        help="start from RUN's newest weights (fresh optimiser and schedule): fine-tune a model trained "
        "elsewhere on other data such as MiniWoB or your recordings; 'pretrained': the weights shipped "
        "with deskpilot (the default for a dataset of at most 200 episodes); 'none': from scratch",
    )
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="join a multi-host job with jax.distributed.initialize(), which reads the cluster's own "
        "variables (SLURM, Cloud TPU, ...); JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES and "
        "JAX_PROCESS_ID work with or without this flag",
    )
    add_set_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Build the config, train, print the last validation report."""
    if args.data is not None and not args.data.is_dir():
        # Checked here, before the seconds of importing JAX, rather than deep in the data reader.
        problem = "no such folder" if not args.data.exists() else "not a folder"
        raise FileNotFoundError(
            f"--data {args.data}: {problem}; expected a dataset folder written by `deskpilot collect` "
            "or `deskpilot record`"
        )
    from deskpilot.policies.config import get_config, override
    from deskpilot.policies.train import (
        UNTIL_STOPPED,
        maybe_initialize_distributed,
        train_from_directory,
        train_on_envs,
    )

    maybe_initialize_distributed(auto=args.distributed)  # before anything else touches JAX
    log = logging.getLogger("deskpilot")  # what the library says about the data and the start
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stderr))
    log.propagate = False  # once, even where something configured the root logger too
    from deskpilot.policies.assemble import choose_start, start_weights

    if args.data is not None:
        # Resuming too: a fine-tuned run's config holds the fine-tuning settings, and the checkpoint
        # is resumed only under the config it was saved with.
        config, init_from, start = choose_start(args.data, args.config, args.set, args.init_from)
        log.info("training %s", start)
    else:
        config, init_from = override(get_config(args.config), args.set), start_weights(args.init_from)
    if args.steps is not None:
        config = dataclasses.replace(
            config, train=dataclasses.replace(config.train, steps=args.steps, minutes=0.0)
        )
    if args.minutes is not None:
        # A minute budget alone: the step budget is set out of reach.
        config = dataclasses.replace(
            config, train=dataclasses.replace(config.train, minutes=args.minutes, steps=UNTIL_STOPPED)
        )
    if args.stream:
        import deskpilot.envs  # noqa: F401 - registers the env ids
        from deskpilot.envs.registry import resolve_env_ids

        report = train_on_envs(
            resolve_env_ids(args.stream), args.out, config, resume=args.resume, init_from=init_from
        )
    else:
        report = train_from_directory(args.data, args.out, config, resume=args.resume, init_from=init_from)
    print(json.dumps(report, indent=2))
    return 0
