"""``deskpilot pretrain``: the weights that ship with deskpilot, made reproducibly.

Two stages. First the demo's training: the ``small`` model learns the synthetic suite from fresh
expert episodes (every task, theme, type size and layout the suite renders, lookalike labels
included, the expert's slips and recoveries too) and is evaluated on held-out seeds; a finished
demo run can stand in for it (``source_run``), being the same training. Then, from those weights,
the same suite drawn the ways a real screen differs from it (``VARIED``): text in the desktop's and
the web's typefaces as well as the suite's own, and screens drawn at twice the model's input and
reduced, as the desktop env reduces a screen region. The last weights are evaluated on the suite
as the demo draws it and exported into the package (``policies.pretrained``) with a card that says
how they were made and how well they do. ``--from pretrained`` gives the shipped weights one more
stage of those screens (the stage numbered after the card's last) and keeps their card's stages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.agent.pipeline import DemoConfig, run_demo
from deskpilot.envs.synthetic.paint import TYPEFACES

__all__ = ["pretrain"]


# The second stage's screens: every typeface the suite has, drawn at the input's size and at twice it.
VARIED: dict[str, Any] = {"typefaces": ("", *TYPEFACES), "render_scales": (1, 2)}
# The second stage starts from trained weights: no reader-only warm-up, half the first stage's rate.
STAGE2: tuple[str, ...] = ("train.learning_rate=7e-4", "train.reader_first=0.0")


# What an export writes afresh on a card (``policies.pretrained.export`` and ``pretrain``'s last lines).
_EXPORT_FIELDS = ("model_version", "parameters", "config", "held_out", "exported", "matmul_gflops_at_export")


def _held_out(eval_json: Path) -> dict[str, Any] | None:
    if not eval_json.is_file():
        return None
    report = json.loads(eval_json.read_text())
    return {
        "mean_success": report.get("mean_success"),
        "tasks": {t["env_id"]: [t["success_rate"], t["episodes"]] for t in report.get("tasks", [])},
    }


def pretrain(
    demo: DemoConfig,
    weights: Path | None = None,
    source_run: Path | str | None = None,
    varied_minutes: float = 12.0,
    log: Callable[[str], None] = print,
) -> Path:
    """Train as the demo does (or take ``source_run``), then on ``VARIED`` screens; export the weights.

    ``varied_minutes`` = 0 exports the first stage's weights. ``source_run`` = ``"pretrained"``
    continues the preset's shipped weights with one more ``VARIED`` stage, under the preset's
    settings and ``STAGE2``, and adds it to their card. Returns the path of the ``.npz`` written
    (default: the shipped file for the preset).
    """
    from deskpilot.agent.evaluate import evaluate
    from deskpilot.envs.registry import resolve_env_ids
    from deskpilot.policies import checkpoint, pretrained
    from deskpilot.policies.actor import PolicyActor
    from deskpilot.policies.bench import matmul_flops
    from deskpilot.policies.config import get_config, override
    from deskpilot.policies.loop import UNTIL_STOPPED, load_params
    from deskpilot.policies.train import train_on_envs

    path = weights or pretrained.weights_path(demo.config)
    if pretrained.is_pretrained(source_run):
        if varied_minutes <= 0:
            raise ValueError("pretrain --from pretrained: expected --varied-minutes > 0 (a stage to add)")
        # The stages the weights were made by, and what they score, stay on the card.
        shipped = pretrained.read_card(pretrained.weights_path(demo.config))
        card = {k: v for k, v in shipped.items() if k not in _EXPORT_FIELDS}
        config = override(get_config(demo.config), [*STAGE2, *demo.overrides])
        settings = [*STAGE2, f"preset {demo.config}", *demo.overrides]
        init_from: Path | str = pretrained.PRETRAINED
    else:
        options = "unknown (--from another run)"
        if source_run is None:
            run_demo(demo, log=log)
            source_run = demo.out / "run"
            options = str(demo.task_options or "none")
        source_run = Path(source_run)
        first = checkpoint.read_config(source_run)
        card = {
            "made_by": "deskpilot pretrain",
            "stage1": {
                "source_run": str(source_run),
                "step": checkpoint.latest_step(source_run),
                "train_minutes": first.train.minutes,
                "batch_size": first.train.batch_size,
                "data": f"fresh expert episodes of {demo.env} (streamed), slips {first.train.slips}, task options {options}",
                "held_out": _held_out(source_run.parent / "eval" / "eval.json"),
            },
        }
        config, settings, init_from = override(first, list(STAGE2)), list(STAGE2), source_run
    stage = 1 + sum(k.startswith("stage") for k in card)
    final: Path | str = init_from
    if varied_minutes > 0:
        final = demo.out / "varied"
        train = dataclasses.replace(config.train, minutes=varied_minutes, steps=UNTIL_STOPPED)
        config = dataclasses.replace(config, train=train)
        env_ids = resolve_env_ids(demo.env)
        varied = {**VARIED, **demo.train_env_kwargs(env_ids)}  # and the demo's task options
        log(f"stage {stage}: {varied_minutes:g} min on {demo.env} drawn with {varied}, from {init_from}")
        report = train_on_envs(
            env_ids,
            final,
            config,
            seed=10_000_000 * (stage + 1),
            resume=True,
            init_from=init_from,
            env_kwargs=varied,
        )
        result = evaluate(
            PolicyActor.from_checkpoint(final), env_ids, episodes=demo.eval_episodes, seed=demo.seed
        )
        result = dataclasses.replace(result, checkpoint=str(final.resolve()), step=report.get("step"))
        result.save(demo.out / "varied-eval" / "eval.json")
        log(
            f"stage {stage}: step {report.get('step')}, held-out mean {result.mean_success:.1%} on the suite as the demo draws it"
        )
        card[f"stage{stage}"] = {
            "run": str(final),
            "from": str(init_from),
            "step": checkpoint.latest_step(final),
            "train_minutes": varied_minutes,
            "settings": settings,
            "data": f"fresh expert episodes of {demo.env} with {varied}",
            "held_out": _held_out(demo.out / "varied-eval" / "eval.json"),
        }
    card["exported"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    card["matmul_gflops_at_export"] = round(matmul_flops() / 1e9)
    config, _, params = load_params(final)
    card["held_out"] = card[f"stage{stage if varied_minutes > 0 else stage - 1}"]["held_out"]
    path = pretrained.export(config, params, path, card)
    log(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB) and {path.with_suffix('.json').name}")
    return path


def demo_config(out: Path, minutes: float, config: str, overrides: tuple[str, ...]) -> DemoConfig:
    """The demo's configuration for a pretraining run (its defaults, but the budget and folder)."""
    return dataclasses.replace(DemoConfig(), out=out, minutes=minutes, config=config, overrides=overrides)
