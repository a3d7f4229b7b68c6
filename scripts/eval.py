"""``deskpilot eval``: success per task of a checkpoint on held-out seeds, as a table, JSON and GIFs."""

from __future__ import annotations

import argparse
from pathlib import Path


def _num_envs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``agent.evaluate.evaluate``."""
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="run folder written by `deskpilot train`"
    )
    parser.add_argument("--env", required=True, help="env id or suite name, e.g. deskpilot/mock-suite")
    parser.add_argument("--episodes", type=int, default=50, help="held-out episodes per env")
    parser.add_argument("--seed", type=int, default=0, help="episode i uses seed EVAL_OFFSET + SEED + i")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy; > 0 samples")
    parser.add_argument(
        "--num-envs",
        type=_num_envs,
        default=1,
        help="envs per task stepped side by side with one batched model call per step (same seeds as "
        "1; greedy only; not for MiniWoB, whose envs share one browser per process)",
    )
    parser.add_argument("--out", type=Path, help="where eval.json and the GIFs go (default: CHECKPOINT/eval)")


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the table, save the JSON and pictures of failures."""
    from rich.console import Console

    from deskpilot.agent.evaluate import evaluate
    from deskpilot.envs.registry import resolve_env_ids
    from deskpilot.policies.actor import PolicyActor, PolicyBatchActor

    if args.num_envs > 1 and args.temperature > 0:
        raise ValueError("--num-envs > 1 decides greedily; use --temperature 0 or --num-envs 1")
    env_ids = resolve_env_ids(args.env)
    actor: PolicyActor | PolicyBatchActor
    if args.num_envs > 1:
        actor = PolicyBatchActor.from_checkpoint(args.checkpoint, num_slots=args.num_envs)
    else:
        actor = PolicyActor.from_checkpoint(args.checkpoint, temperature=args.temperature, seed=args.seed)
    report = evaluate(actor, env_ids, episodes=args.episodes, seed=args.seed, num_envs=args.num_envs)
    out = args.out or args.checkpoint / "eval"
    report.save(out / "eval.json")
    pictures = report.save_pictures(out)
    console = Console()
    console.print(report.table())
    console.print(f"wrote {out / 'eval.json'} and {len(pictures)} GIFs in {out}")
    return 0
