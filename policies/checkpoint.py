"""Checkpoints: orbax-written parameters and optimiser state, plus JSON metadata; no pickle.

Layout of a run folder::

    RUN_DIR/config.json              the run's Config (written once, atomically)
    RUN_DIR/checkpoints/<step>/      one orbax checkpoint per saved step, renamed into place when
        state/                       complete (orbax writes to a temporary folder first): params and
        meta/                        optimiser state; JSON {step, config, data_state, elapsed_s}

A checkpoint made with another model or optimiser configuration is refused with a message naming
the fields that differ, one written by another model version (``policies.model.MODEL_VERSION``)
with a message naming both versions; a damaged one raises ``CheckpointError`` naming its path.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import jax
import orbax.checkpoint as ocp

from deskpilot.policies.config import CONFIG_FILE, Config
from deskpilot.policies.model import MODEL_VERSION
from deskpilot.policies.parts import ADDED_BY, GROWN_BY, PARAMETER_FREE

__all__ = [
    "CheckpointError",
    "Saved",
    "added_fields",
    "check_compatible",
    "grown_fields",
    "latest_step",
    "read_config",
    "restore",
    "save",
]

CHECKPOINT_DIR = "checkpoints"
_EXPECTED_RUN = (
    f"expected a run folder written by `deskpilot train --out` ({CONFIG_FILE} and {CHECKPOINT_DIR}/)"
)
_EXPECTED_STEP = (
    "expected the orbax checkpoint `deskpilot train` writes (meta/ and state/); move this folder aside to "
    "fall back on the previous checkpoint, if there is one, or train again"
)
_DETAIL_CHARS = 200  # of the underlying error kept in a damaged checkpoint's message
# Loop, budget and how-the-step-is-computed fields may change between a run and its resumption.
_LOOP_FIELDS = {"steps", "minutes", "eval_every", "checkpoint_every", "log_every", "chains"}


class CheckpointError(Exception):
    """A checkpoint is missing, damaged or of another configuration; the message names the path."""


@dataclasses.dataclass
class Saved:
    """What a checkpoint holds besides the arrays."""

    step: int  # optimiser steps taken
    config: Config  # the run's configuration
    data_state: dict[str, Any]  # the data source's position (FixedSource: seed, epoch, offset)
    elapsed_s: float  # training wall-clock seconds so far (for minute budgets)


def _check_run_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        problem = "no such folder" if not run_dir.exists() else "not a folder"
        raise CheckpointError(f"{run_dir}: {problem}, so no checkpoints; {_EXPECTED_RUN}")
    if not (run_dir / CHECKPOINT_DIR).is_dir():
        raise CheckpointError(f"{run_dir}: no checkpoints folder; {_EXPECTED_RUN}")


def _damaged(path: Path, part: str, error: Exception) -> CheckpointError:
    # tensorstore appends its whole JSON spec (kilobytes) to its errors; the head is what explains.
    detail = " ".join(str(error).split(" [tensorstore_spec=")[0].split())
    if len(detail) > _DETAIL_CHARS:
        detail = detail[:_DETAIL_CHARS] + "..."
    return CheckpointError(
        f"{path}: damaged checkpoint: cannot read its {part} ({type(error).__name__}: {detail}); {_EXPECTED_STEP}"
    )


def _manager(run_dir: Path) -> ocp.CheckpointManager:
    options = ocp.CheckpointManagerOptions(max_to_keep=2, create=True, enable_async_checkpointing=False)
    return ocp.CheckpointManager((run_dir / CHECKPOINT_DIR).absolute(), options=options)


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


def latest_step(run_dir: Path | str) -> int | None:
    """The newest complete checkpoint's step in ``run_dir``, or None."""
    path = Path(run_dir) / CHECKPOINT_DIR
    if not path.is_dir():
        return None
    with _manager(Path(run_dir)) as manager:
        return manager.latest_step()


def save(run_dir: Path | str, state: dict[str, Any], saved: Saved) -> None:
    """Write ``state`` (a pytree of arrays: params, optimiser state) and ``saved`` at ``saved.step``.

    In a multi-host run every process calls this with the same step (orbax's barriers wait for all
    of them); ``run_dir`` must be a folder they share.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if jax.process_index() == 0:
        # One writer: every process of a multi-host run saves into the same (shared) folder at the
        # same moment, and two renames of one temporary file race; the loser raised, and the
        # others then waited for it forever in orbax's barrier below.
        _write_json_atomic(run_dir / CONFIG_FILE, saved.config.to_json())
    meta = {
        "model_version": MODEL_VERSION,
        "step": saved.step,
        "config": saved.config.to_json(),
        "data_state": saved.data_state,
        "elapsed_s": saved.elapsed_s,
    }
    with _manager(run_dir) as manager:
        manager.save(
            saved.step,
            args=ocp.args.Composite(state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)),
            force=True,
        )
        manager.wait_until_finished()


def check_compatible(saved: Config, current: Config, path: Path, *, model_only: bool = False) -> None:
    """Raise ``CheckpointError`` unless ``saved`` differs from ``current`` only in loop fields.

    ``model_only``: compare the model's shapes alone (fine-tuning from a run's weights starts a fresh
    optimiser, so its learning rate, schedule and batch size are the new run's own), let ``current``
    turn on a part of ``parts.ADDED_BY`` that ``saved`` lacks (its parameters start fresh), have more
    layers where ``parts.GROWN_BY`` counts them (the added ones start as the identity), and change a
    field that moves no parameter (``parts.PARAMETER_FREE``: a loss's weight, the spelling of digits).
    """
    a, b = saved.to_json(), current.to_json()
    if model_only:
        a["train"] = b["train"]
        for field in [*added_fields(saved, current), *grown_fields(saved, current), *PARAMETER_FREE]:
            a["model"][field] = b["model"][field]
    diffs = [
        f"model.{k}: {a['model'][k]} != {b['model'].get(k)}"
        for k in a["model"]
        if a["model"][k] != b["model"].get(k)
    ]
    diffs += [
        f"train.{k}: {a['train'][k]} != {b['train'].get(k)}"
        for k in a["train"]
        if k not in _LOOP_FIELDS and a["train"][k] != b["train"].get(k)
    ]
    if diffs:
        raise CheckpointError(
            f"{path}: checkpoint was made with another configuration (saved != current): " + "; ".join(diffs)
        )


def added_fields(saved: Config, current: Config) -> list[str]:
    """The ``parts.ADDED_BY`` fields off in ``saved`` and on in ``current``."""
    return [f for f in ADDED_BY if not getattr(saved.model, f) and getattr(current.model, f)]


def grown_fields(saved: Config, current: Config) -> dict[str, int]:
    """The ``parts.GROWN_BY`` fields with more layers in ``current`` than in ``saved``, and ``saved``'s count."""
    return {
        f: getattr(saved.model, f) for f in GROWN_BY if getattr(saved.model, f) < getattr(current.model, f)
    }


def read_config(run_dir: Path | str) -> Config:
    """The Config a run folder was trained with."""
    _check_run_dir(Path(run_dir))
    path = Path(run_dir) / CONFIG_FILE
    try:
        return Config.from_json(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot read the run's configuration ({e}); {_EXPECTED_RUN}") from e


def restore(
    run_dir: Path | str, abstract_state: dict[str, Any], config: Config | None = None, step: int | None = None
) -> tuple[dict[str, Any], Saved]:
    """Read the checkpoint at ``step`` (default: newest) into the structure of ``abstract_state``.

    ``config``, when given, must match the saved one (see ``check_compatible``).
    """
    run_dir = Path(run_dir)
    _check_run_dir(run_dir)
    with _manager(run_dir) as manager:
        step = manager.latest_step() if step is None else step
        if step is None:
            raise CheckpointError(f"{run_dir / CHECKPOINT_DIR}: no complete checkpoint found")
        path = run_dir / CHECKPOINT_DIR / str(step)
        try:
            meta = manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
            saved = Saved(
                int(meta["step"]),
                Config.from_json(meta["config"]),
                meta["data_state"],
                float(meta["elapsed_s"]),
            )
        except Exception as e:  # noqa: BLE001 - orbax raises many types for damaged files
            raise _damaged(path, "metadata (meta/)", e) from e
        version = meta.get("model_version", 1)  # version 1 checkpoints predate the field
        if version != MODEL_VERSION:
            raise CheckpointError(
                f"{path}: written by deskpilot model version {version}, this deskpilot reads version "
                f"{MODEL_VERSION} (its parameters differ); retrain, or load it with the deskpilot that wrote it"
            )
        if config is not None:
            check_compatible(saved.config, config, path)
        try:
            restored = manager.restore(
                step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract_state))
            )["state"]
        except Exception as e:  # noqa: BLE001
            raise _damaged(path, "arrays (state/)", e) from e
    leaves = jax.tree.leaves(restored)
    if len(leaves) != len(jax.tree.leaves(abstract_state)):
        raise CheckpointError(
            f"{path}: checkpoint holds another set of arrays than this model expects; {_EXPECTED_STEP}"
        )
    return restored, saved
