"""``deskpilot pretrain``: the weights that ship with deskpilot, made reproducibly.

Pretraining is the demo's training, kept: the ``small`` model learns the synthetic suite from fresh
expert episodes (every task, theme, type size and layout the suite renders, lookalike labels
included, the expert's slips and recoveries too) for a time budget, is evaluated on held-out seeds,
and its parameters are exported into the package (``policies.pretrained``) with a card that says
how they were made and how well they do. A finished demo run can be exported as it is
(``source_run``): it is the same training.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.agent.pipeline import DemoConfig, run_demo

__all__ = ["pretrain"]


def pretrain(
    demo: DemoConfig,
    weights: Path | None = None,
    source_run: Path | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Train as the demo does (or take ``source_run``, a finished demo's ``run/``) and export its weights.

    Returns the path of the ``.npz`` written (default: the shipped file for the preset).
    """
    from deskpilot.policies import checkpoint, pretrained
    from deskpilot.policies.bench import matmul_flops
    from deskpilot.policies.loop import load_params

    if source_run is None:
        run_demo(demo, log=log)
        source_run = demo.out / "run"
    config, _, params = load_params(source_run)
    evaluated = source_run.parent / "eval" / "eval.json"
    card: dict[str, Any] = {
        "made_by": "deskpilot pretrain",
        "source_run": str(source_run),
        "step": checkpoint.latest_step(source_run),
        "train_minutes": config.train.minutes,
        "batch_size": config.train.batch_size,
        "data": f"fresh expert episodes of {demo.env} (streamed), slips {config.train.slips}",
        "exported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "matmul_gflops_at_export": round(matmul_flops() / 1e9),
    }
    if evaluated.is_file():
        report = json.loads(evaluated.read_text())
        card["held_out"] = {
            "mean_success": report.get("mean_success"),
            "tasks": {t["env_id"]: [t["success_rate"], t["episodes"]] for t in report.get("tasks", [])},
        }
    path = pretrained.export(config, params, weights or pretrained.weights_path(demo.config), card)
    log(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB) and {path.with_suffix('.json').name}")
    return path


def demo_config(out: Path, minutes: float, config: str, overrides: tuple[str, ...]) -> DemoConfig:
    """The demo's configuration for a pretraining run (its defaults, but the budget and folder)."""
    return dataclasses.replace(DemoConfig(), out=out, minutes=minutes, config=config, overrides=overrides)
