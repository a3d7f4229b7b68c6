"""``deskpilot eval``: success per task of a checkpoint on held-out seeds, as a table, JSON, GIFs and TensorBoard."""

from __future__ import annotations

import argparse
from pathlib import Path

from deskpilot.scripts.cli import add_backend_arguments


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags map one to one onto ``agent.run_eval.EvalRunConfig``."""
    parser.add_argument(
        "--checkpoint",
        type=Path,
        required=True,
        help="run folder written by `deskpilot train`, or 'pretrained' for the weights shipped with deskpilot",
    )
    parser.add_argument(
        "--env",
        required=True,
        help="env ids or suite names, comma-separated, e.g. deskpilot/mock-login-v0,deskpilot/mock-easy",
    )
    parser.add_argument("--episodes", type=int, default=50, help="held-out episodes per env")
    parser.add_argument("--seed", type=int, default=0, help="episode i uses seed EVAL_OFFSET + SEED + i")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy; > 0 samples")
    parser.add_argument(
        "--num-envs",
        type=_positive,
        default=1,
        help="envs per task stepped side by side with one batched model call per step (same seeds as "
        "1; greedy only; not for MiniWoB, whose envs share one browser per process)",
    )
    parser.add_argument(
        "--views",
        type=_positive,
        default=1,
        help="views of each screen a decision pools, moved a few pixels apart (1 to 5, at that many "
        "times the model's work; they read screens a model was not trained on better, a desktop app's, "
        "and cost a model trained on MiniWoB's fixed pages a few points)",
    )
    parser.add_argument("--out", type=Path, help="where eval.json and the GIFs go (default: CHECKPOINT/eval)")
    add_backend_arguments(parser)  # --backend, --ray-address
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="with --backend ray: Ray actors, each with its own envs and copy of the policy",
    )


def run(args: argparse.Namespace) -> int:
    """Evaluate under a progress bar, print the table; eval.json, GIFs and TensorBoard are written."""
    from rich.console import Console

    from deskpilot.agent.run_eval import EvalRunConfig, evaluate_run

    config = EvalRunConfig(
        args.checkpoint,
        args.env,
        args.episodes,
        args.seed,
        args.temperature,
        args.num_envs,
        args.out,
        backend=args.backend,
        workers=args.workers,
        ray_address=args.ray_address,
        views=args.views,
    )
    report, pictures = evaluate_run(config)
    console = Console()
    console.print(report.table(f"held-out success at step {report.step}"))
    board = f"; TensorBoard: {config.tensorboard_dir}" if config.tensorboard_dir is not None else ""
    console.print(f"wrote {config.out_dir / 'eval.json'} and {len(pictures)} GIFs in {config.out_dir}{board}")
    return 0
