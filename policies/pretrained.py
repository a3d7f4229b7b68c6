"""Weights that ship with deskpilot: a starting point that already reads screens and acts on them.

``deskpilot pretrain`` trains a preset on fresh expert episodes of everything the synthetic suite
renders and labels, then ``export`` writes the parameters alone (no optimiser state, a few MB) into
this package as ``weights/<preset>-v<MODEL_VERSION>.npz``, with a JSON card beside it: the config,
the steps, the minutes and the machine they took. The file name carries the model version, so a
model change leaves no stale file that half loads: ``load`` names the file it expected and the
command that makes it. ``"pretrained"`` stands for these weights wherever a run folder is read
(``deskpilot train --init-from pretrained``, ``deskpilot run --checkpoint pretrained``).

Arrays go through ``numpy.savez`` and come back with ``allow_pickle=False``, keyed by their path in
the model (``blocks/0/attn/kv/kernel``), so a file can be read with numpy alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
from flax import nnx

from deskpilot.policies.checkpoint import CheckpointError
from deskpilot.policies.config import Config
from deskpilot.policies.model import MODEL_VERSION, Policy

__all__ = [
    "FEW_EPISODES",
    "FINETUNE",
    "PRETRAINED",
    "WEIGHTS_DIR",
    "export",
    "fits",
    "is_pretrained",
    "load",
    "read_card",
    "weights_path",
]

PRETRAINED = "pretrained"  # the name that stands for the shipped weights
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_REMAKE = "make them with `deskpilot pretrain` (see its --help)"


def is_pretrained(run: Path | str | None) -> bool:
    """Whether ``run`` names the shipped weights rather than a run folder."""
    return run is not None and str(run) == PRETRAINED


def weights_path(preset: str = "small", directory: Path = WEIGHTS_DIR) -> Path:
    """Where ``preset``'s weights for this model version live (``<preset>-v<MODEL_VERSION>.npz``)."""
    return directory / f"{preset}-v{MODEL_VERSION}.npz"


def _card_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _flat(params: nnx.State) -> dict[str, np.ndarray]:
    return {
        "/".join(str(k) for k in key): np.asarray(var.get_value()) for key, var in nnx.to_flat_state(params)
    }


def export(config: Config, params: nnx.State, path: Path, card: dict[str, Any]) -> Path:
    """Write ``params`` to ``path`` (``.npz``) and ``card`` plus ``config`` beside it (``.json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = _flat(params)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)
    meta = {
        "model_version": MODEL_VERSION,
        "parameters": int(sum(a.size for a in arrays.values())),
        **card,
        "config": config.to_json(),
    }
    card_path = _card_path(path)
    card_path.with_suffix(".tmp").write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(card_path.with_suffix(".tmp"), card_path)
    return path


def read_card(path: Path | None = None) -> dict[str, Any]:
    """The JSON card of the weights at ``path`` (default: the shipped ``small``)."""
    path = path or weights_path()
    card_path = _card_path(path)
    if not path.is_file() or not card_path.is_file():
        raise CheckpointError(
            f"{path}: no pretrained weights for deskpilot model version {MODEL_VERSION} "
            f"(expected {path.name} and {card_path.name}); {_REMAKE}"
        )
    try:
        card = json.loads(card_path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{card_path}: cannot read the weights' card ({e}); {_REMAKE}") from e
    if card.get("model_version") != MODEL_VERSION:
        raise CheckpointError(
            f"{card_path}: weights of model version {card.get('model_version')}, this deskpilot reads "
            f"version {MODEL_VERSION}; {_REMAKE}"
        )
    return card


def load(path: Path | None = None) -> tuple[Config, nnx.GraphDef, nnx.State]:
    """The model and parameters of the weights at ``path`` (default: the shipped ``small``)."""
    path = path or weights_path()
    config = Config.from_json(read_card(path)["config"])
    graphdef, params = nnx.split(nnx.eval_shape(lambda: Policy(config.model, nnx.Rngs(0))))
    expected = {"/".join(str(k) for k in key): var for key, var in nnx.to_flat_state(params)}
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {k: stored[k] for k in stored.files}
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot read the weights ({e}); {_REMAKE}") from e
    missing, extra = sorted(expected.keys() - arrays.keys()), sorted(arrays.keys() - expected.keys())
    wrong = [
        f"{k}: {arrays[k].shape} != {expected[k].get_value().shape}"
        for k in sorted(expected.keys() & arrays.keys())
        if arrays[k].shape != expected[k].get_value().shape
    ]
    if missing or extra or wrong:
        raise CheckpointError(
            f"{path}: the weights do not fit the current model (missing {missing[:3]}, unexpected "
            f"{extra[:3]}, shapes (stored != model) {wrong[:3]}); {_REMAKE}"
        )
    for key, var in expected.items():
        var.set_value(jnp.asarray(arrays[key], dtype=var.get_value().dtype))
    return config, graphdef, params


# Fine-tuning the shipped weights on a handful of recordings: settings that keep what they know.
# The screen reader and the fusion of screen, history and task stay as they are (``train.frozen``):
# retuned on a few hundred examples seen a hundred times over, they lose part of what they read
# (on 20 recordings each of three Tk tasks, 5 minutes with every part training at 1.5e-4 clicked the
# named field in 22 of 30 new layouts live; frozen, 29). The pointers' queries and keys and the action
# heads train, at a rate suited to heads (1e-3); the reader does not train alone first (reader_first
# 0). The pointers remember where past clicks landed and on which task words (``model.click_memory``,
# parts the shipped weights lack, started fresh): acting on its own clicks, a policy fine-tuned
# without it ticked a box twice or submitted with a named box left (live, 5 minutes, two seeds: 20
# and 23 tick-box tasks right of 30; with it 27 and 25). A dataset of at most FEW_EPISODES episodes
# is fine-tuned by default (``deskpilot train --data``; ``--init-from none`` trains from scratch).
FINETUNE: tuple[str, ...] = (
    "train.learning_rate=1e-3",
    "train.reader_first=0.0",
    "train.warmup_fraction=0.1",
    "train.frozen=reader,fusion",
    "model.click_memory=true",
)
FEW_EPISODES = 200


def fits(config: Config, path: Path | None = None) -> bool:
    """Whether shipped weights exist for ``config``'s model (same shapes) and this model version."""
    try:
        card = read_card(path)
    except CheckpointError:
        return False
    return bool(Config.from_json(card["config"]).model == config.model)
