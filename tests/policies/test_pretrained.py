"""The shipped pretrained weights: they load into today's model, round-trip, and small data fine-tunes them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax
import numpy as np
import pytest

from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.envs.actions import Action
from deskpilot.policies import pretrained
from deskpilot.policies.actor import PolicyActor
from deskpilot.policies.assemble import choose_start
from deskpilot.policies.checkpoint import CheckpointError
from deskpilot.policies.config import get_config
from deskpilot.policies.model import MODEL_VERSION
from deskpilot.policies.numpy_init import init_params


def test_the_shipped_weights_load_into_the_current_model_and_act() -> None:
    """Fails when the model changes without regenerated weights (`deskpilot pretrain`)."""
    path = pretrained.weights_path("small")
    assert path.name == f"small-v{MODEL_VERSION}.npz" and path.is_file(), (
        f"{path} is missing: a model change needs `deskpilot pretrain` to make its weights"
    )
    config, _, params = pretrained.load()
    assert config.model == get_config("small").model
    card = pretrained.read_card()
    assert card["parameters"] == sum(int(np.prod(p.shape)) for p in jax.tree.leaves(params))
    assert card["held_out"]["mean_success"] > 0.8  # the figures it ships with
    actor = PolicyActor.from_checkpoint(pretrained.PRETRAINED)
    actor.reset()
    screen = np.full((210, 160, 3), 230, np.uint8)
    action = actor.act({"screenshot": screen, "task": "Click the 'OK' button."}, {})
    assert isinstance(action, Action)


def test_weights_round_trip_and_a_mismatch_names_the_file(tmp_path: Path) -> None:
    config = get_config("tiny")
    _, params = init_params(config.model, 3)
    path = pretrained.export(config, params, tmp_path / "tiny-v1.npz", {"step": 7})
    loaded_config, _, loaded = pretrained.load(path)
    assert loaded_config == config and json.loads(path.with_suffix(".json").read_text())["step"] == 7
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    # The same card with another model's arrays: refused, naming the file and what differs.
    other = dataclasses.replace(config.model, width=config.model.width * 2)
    _, wide = init_params(other, 0)
    pretrained.export(config, wide, tmp_path / "wide.npz", {})  # the card says tiny, the arrays are wider
    with pytest.raises(CheckpointError, match=r"wide\.npz.*do not fit.*deskpilot pretrain"):
        pretrained.load(tmp_path / "wide.npz")
    with pytest.raises(CheckpointError, match=r"no pretrained weights.*deskpilot pretrain"):
        pretrained.load(tmp_path / "missing.npz")
    card = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**card, "model_version": MODEL_VERSION - 1}))
    with pytest.raises(CheckpointError, match="model version"):
        pretrained.load(path)


def _episodes(folder: Path, n: int) -> Path:
    for i in range(n):
        writer = TrajectoryWriter(
            folder, f"ep{i}", EpisodeMeta(task="Click 'OK'.", source="human", obs_size=(210, 160))
        )
        writer.add_step(np.zeros((210, 160, 3), np.uint8), Action.click(0.5, 0.5))
        writer.add_step(np.zeros((210, 160, 3), np.uint8), Action.done(), reward=1.0, terminated=True)
        writer.finish(True, 1.0)
    return folder


def test_a_small_dataset_fine_tunes_the_shipped_weights_unless_told_otherwise(tmp_path: Path) -> None:
    data = _episodes(tmp_path / "data", 3)
    config, start, line = choose_start(data, "small", ["train.batch_size=8"], None)
    assert start == pretrained.PRETRAINED and "fine-tuning" in line and "--init-from none" in line
    assert config.train.learning_rate == 1e-3 and config.train.reader_first == 0.0
    assert config.train.frozen == "reader,fusion"  # the reading and the fusion keep what they know
    assert config.train.batch_size == 8  # the caller's settings win over the fine-tuning ones
    mine, _, _ = choose_start(data, "small", ["train.learning_rate=1e-4"], None)
    assert mine.train.learning_rate == 1e-4
    config, start, line = choose_start(data, "small", [], "none")
    assert (
        start is None
        and line == "from scratch"
        and config.train.learning_rate == get_config("small").train.learning_rate
    )
    _, start, line = choose_start(data, "tiny", [], None)  # no shipped weights for this model
    assert start is None and "no shipped weights" in line
    _, start, _ = choose_start(data, "small", [], tmp_path / "run")
    assert start == tmp_path / "run"


def test_pretrain_from_a_finished_run_exports_its_weights_with_a_card(tmp_path: Path) -> None:
    from deskpilot.scripts.cli import main

    data, run = _episodes(tmp_path / "data", 3), tmp_path / "demo" / "run"
    common = ["--config", "tiny", "--steps", "2", "--set", "batch_size=4", "--init-from", "none"]
    assert main(["train", "--data", str(data), "--out", str(run), *common]) == 0
    weights = tmp_path / "w" / "tiny-v.npz"
    command = [
        "pretrain",
        "--from",
        str(run),
        "--config",
        "tiny",
        "--weights",
        str(weights),
        "--varied-minutes",
        "0",
    ]
    assert main(command) == 0
    config, _, params = pretrained.load(weights)
    card = pretrained.read_card(weights)
    assert config == get_config(run / "config.json") and "stage2" not in card
    assert card["stage1"]["step"] == 2 and card["stage1"]["source_run"] == str(run)
    from deskpilot.policies.train import load_params

    for a, b in zip(jax.tree.leaves(load_params(run)[2]), jax.tree.leaves(params), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_fine_tuned_small_dataset_run_resumes_under_its_own_settings(tmp_path: Path) -> None:
    from deskpilot.policies.checkpoint import latest_step, read_config
    from deskpilot.scripts.cli import main

    data, run = _episodes(tmp_path / "data", 3), tmp_path / "run"
    common = ["train", "--data", str(data), "--out", str(run), "--set", "batch_size=4", "chains=1"]
    assert main([*common, "--steps", "1"]) == 0
    assert read_config(run).train.frozen == "reader,fusion"  # fine-tuned by default
    assert read_config(run).model.click_memory  # a part the shipped weights lack, started fresh
    from deskpilot.policies.train import load_params

    tuned, shipped = load_params(run)[2], pretrained.load()[2]
    assert "clicked_pick" in tuned and "clicked_pick" not in shipped
    for a, b in zip(jax.tree.leaves(tuned["screen"]), jax.tree.leaves(shipped["screen"]), strict=True):
        np.testing.assert_array_equal(a, b)  # the rest from the shipped weights (the reader frozen)
    assert main([*common, "--steps", "2", "--resume"]) == 0  # not refused as another configuration
    assert latest_step(run) == 2


def test_weights_with_an_added_part_do_not_start_a_model_without_it(tmp_path: Path) -> None:
    from deskpilot.policies.checkpoint import added_fields, check_compatible, grown_fields
    from deskpilot.policies.parts import ADDED_BY, GROWN_BY, PARAMETER_FREE

    tiny = get_config("tiny").model
    for field, parts in ADDED_BY.items():  # each added part is there with its field on, and only then
        on, off = (
            set(init_params(dataclasses.replace(tiny, **{"typed_len": 8, field: v}), 0)[1].keys())
            for v in (True, False)
        )  # with a writer: the screen copy is the writer's
        assert on - off == set(parts), field
    plain = get_config("small")
    memory = dataclasses.replace(plain, model=dataclasses.replace(plain.model, click_memory=True))
    assert added_fields(plain, memory) == ["click_memory"] and added_fields(memory, plain) == []
    check_compatible(plain, memory, tmp_path, model_only=True)  # the added part starts fresh
    with pytest.raises(CheckpointError, match="model.click_memory: True != False"):
        check_compatible(memory, plain, tmp_path, model_only=True)
    with pytest.raises(CheckpointError, match="click_memory"):  # resuming is not fine-tuning
        check_compatible(plain, memory, tmp_path)
    # A field that moves no parameter (a loss's weight, what the spelling comparison reads) is the new
    # run's own; a shape is not.
    copying = dataclasses.replace(tiny, typed_len=8, screen_copy=True)
    changed = {"pointer_tie": 0.5, "spell_digits": True}
    assert set(changed) == set(PARAMETER_FREE)
    for field, value in changed.items():
        shapes = [
            jax.tree.map(np.shape, init_params(m, 0)[1])
            for m in (copying, dataclasses.replace(copying, **{field: value}))
        ]
        assert shapes[0] == shapes[1], field
        base = dataclasses.replace(
            plain, model=dataclasses.replace(plain.model, typed_len=8, screen_copy=True)
        )
        other = dataclasses.replace(base, model=dataclasses.replace(base.model, **{field: value}))
        check_compatible(base, other, tmp_path, model_only=True)
        with pytest.raises(CheckpointError, match=field):
            check_compatible(base, other, tmp_path)
    for field, (path, outside) in GROWN_BY.items():  # each layer list is where the table says, as long
        model = dataclasses.replace(tiny, typed_len=8, **{field: 3})
        layers = init_params(model, 0)[1]
        for part in path:
            layers = layers[part]
        assert len(layers) == 3 - outside, field
    # More layers grow from fewer (the added ones start as the identity); fewer do not drop any.
    deeper = dataclasses.replace(plain, model=dataclasses.replace(plain.model, depth=4))
    assert grown_fields(plain, deeper) == {"depth": 2} and grown_fields(deeper, plain) == {}
    check_compatible(plain, deeper, tmp_path, model_only=True)
    with pytest.raises(CheckpointError, match="model.depth: 4 != 2"):
        check_compatible(deeper, plain, tmp_path, model_only=True)
    with pytest.raises(CheckpointError, match="model.depth: 2 != 4"):  # resuming is not growing
        check_compatible(plain, deeper, tmp_path)
    wider = dataclasses.replace(plain, model=dataclasses.replace(plain.model, width=96))
    with pytest.raises(CheckpointError, match="model.width: 64 != 96"):
        check_compatible(plain, wider, tmp_path, model_only=True)


def test_pretrain_from_pretrained_adds_a_stage_to_the_shipped_weights(tmp_path: Path) -> None:
    from deskpilot.agent.pipeline import DemoConfig
    from deskpilot.agent.pretrain import pretrain

    demo = DemoConfig(
        out=tmp_path / "pre",
        env="deskpilot/mock-click-button-v0",
        eval_episodes=2,
        overrides=("train.batch_size=4", "train.eval_every=1000", "train.chains=1"),
    )
    with pytest.raises(ValueError, match="--varied-minutes > 0"):
        pretrain(demo, tmp_path / "w.npz", "pretrained", varied_minutes=0)
    path = pretrain(demo, tmp_path / "w.npz", "pretrained", varied_minutes=0.01, log=lambda _: None)
    shipped, card = pretrained.read_card(), pretrained.read_card(path)
    stage = f"stage{1 + sum(k.startswith('stage') for k in shipped)}"
    assert {k: card[k] for k in shipped if k.startswith("stage")} == {
        k: v for k, v in shipped.items() if k.startswith("stage")
    }  # the stages that made the shipped weights stay on the card
    assert card[stage]["from"] == "pretrained" and card[stage]["step"] >= 1
    assert card["held_out"] == card[stage]["held_out"] and len(card["held_out"]["tasks"]) == 1
    moved = [
        float(np.abs(np.asarray(a) - np.asarray(b)).max())
        for a, b in zip(
            jax.tree.leaves(pretrained.load()[2]), jax.tree.leaves(pretrained.load(path)[2]), strict=True
        )
    ]
    assert max(moved) > 0  # trained on from the shipped weights, written elsewhere
