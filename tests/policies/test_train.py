import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np
import pytest

from deskpilot.policies import checkpoint
from deskpilot.policies.checkpoint import CheckpointError
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import ArrayDataset
from deskpilot.policies.model import MODEL_VERSION
from deskpilot.policies.sources import FixedSource
from deskpilot.policies.train import TrainData, load_params, train_and_evaluate
from tests.policies.fakes import make_episodes

REPO = Path(__file__).resolve().parents[2]
SETTINGS = ["steps=6", "batch_size=4", "checkpoint_every=3", "eval_every=1000", "log_every=1000"]


@pytest.fixture(scope="module")
def dataset() -> ArrayDataset:
    return ArrayDataset.from_trajectories(make_episodes(4), get_config("tiny").model)


def _train(config, dataset, workdir, **kwargs):
    data = TrainData(FixedSource(dataset, config.train.batch_size, config.train.seed))
    return train_and_evaluate(config, data, workdir, progress=False, **kwargs)


def _params(workdir):
    return jax.tree.leaves(jax.tree.map(np.asarray, load_params(workdir)[2]))


def test_resume_continues_exactly(tmp_path, dataset) -> None:
    config = override(get_config("tiny"), SETTINGS)
    _train(config, dataset, tmp_path / "straight")
    assert _train(config, dataset, tmp_path / "split", stop_after=3)["step"] == 3
    assert checkpoint.latest_step(tmp_path / "split") == 3
    assert _train(config, dataset, tmp_path / "split", resume=True)["step"] == 6
    straight, split = _params(tmp_path / "straight"), _params(tmp_path / "split")
    assert len(straight) == len(split)
    for a, b in zip(straight, split, strict=True):
        np.testing.assert_array_equal(a, b)
    # a checkpoint from another model configuration is refused, naming the field
    other = override(config, ["model.width=48"])
    with pytest.raises(CheckpointError, match="another configuration.*model.width: 32 != 48"):
        _train(other, dataset, tmp_path / "split", resume=True)


def test_corrupt_checkpoint_names_its_path(tmp_path, dataset) -> None:
    config = override(get_config("tiny"), [*SETTINGS, "steps=1"])
    _train(config, dataset, tmp_path)
    step_dir = tmp_path / "checkpoints" / "1"
    damaged = 0
    for f in (step_dir / "state").rglob("*"):
        if f.is_file():
            f.write_bytes(b"garbage")
            damaged += 1
    assert damaged
    with pytest.raises(CheckpointError, match=str(step_dir)):
        load_params(tmp_path)
    with pytest.raises(CheckpointError, match="no checkpoints"):
        load_params(tmp_path / "nowhere")


def test_checkpoint_of_another_model_version_is_refused_by_name(tmp_path, dataset, monkeypatch) -> None:
    config = override(get_config("tiny"), [*SETTINGS, "steps=1"])
    monkeypatch.setattr(checkpoint, "MODEL_VERSION", 1)  # as an older deskpilot wrote it
    _train(config, dataset, tmp_path)
    monkeypatch.undo()
    with pytest.raises(
        CheckpointError, match=f"model version 1, this deskpilot reads version {MODEL_VERSION}"
    ):
        load_params(tmp_path)


SHARDED_SCRIPT = textwrap.dedent(
    """
    import json, jax, numpy as np
    from jax.sharding import AxisType
    from deskpilot.policies.config import get_config, override
    from deskpilot.policies.data import ArrayDataset
    from deskpilot.policies.step import Trainer
    from tests.policies.fakes import make_episodes

    assert jax.device_count() == 4, jax.devices()
    config = override(get_config("tiny"), ["batch_size=8"])
    ds = ArrayDataset.from_trajectories(make_episodes(4), config.model)
    batch = ds.take(np.arange(8))
    results = []
    # One device computes the batch in two chains of four; four devices, two examples each, in one.
    for devices, chains in ((jax.devices()[:1], 2), (jax.devices(), 1)):
        mesh = jax.make_mesh((len(devices),), ("data",), axis_types=(AxisType.Auto,), devices=devices)
        trainer = Trainer(override(config, [f"chains={chains}"]), mesh)
        # The step alone (its loss, gradient norm and Adam's first update, about lr * sign(g) per
        # parameter): compiling loss_and_grads as well doubled the test's time.
        metrics = jax.device_get(trainer.step(batch, 1e-3))
        results.append((float(metrics["loss"]), float(metrics["grad_norm"]), jax.tree.leaves(jax.device_get(trainer.params))))
    (l1, g1, p1), (l4, g4, p4) = results
    param_err = max(float(np.abs(a - b).max()) for a, b in zip(p1, p4))
    print(json.dumps({"loss1": l1, "loss4": l4, "grad_err": abs(g1 - g4) / g1, "param_err": param_err}))
    """
)


def test_sharded_step_in_chains_equals_single_device_step() -> None:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "PYTHONPATH": str(REPO)}
    # The bound only stops a hang: compiling both meshes' steps took over 300 s on a machine busy
    # with a training run beside the suite, well under that with the machine to itself.
    proc = subprocess.run(
        [sys.executable, "-c", SHARDED_SCRIPT], env=env, cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["loss1"] == pytest.approx(result["loss4"], rel=1e-5)
    assert result["grad_err"] < 1e-4, result  # the gradient norms, relative
    # Adam's first update is about lr * sign(g): grads at rounding level may flip, nothing more
    assert result["param_err"] < 1e-3, result


def test_runs_differing_in_budget_share_one_compiled_step() -> None:
    from deskpilot.policies.step import Trainer

    base = get_config("tiny")
    same = Trainer(base), Trainer(override(base, ["steps=7", "eval_every=3", "learning_rate=1e-2"]))
    other = Trainer(override(base, ["aux_weight=0.5"]))
    assert same[0].train_step is same[1].train_step
    assert other.train_step is not same[0].train_step  # a field the step reads compiles its own


def test_reader_lr_scales_only_the_readers_step(dataset) -> None:
    from deskpilot.policies.step import READER_PARAMS, Trainer

    base = override(get_config("tiny"), ["batch_size=4"])
    batch = FixedSource(dataset, 4, seed=0).next_batch()
    moved = []
    for scale in (1.0, 3.0):
        trainer = Trainer(override(base, [f"reader_lr={scale}"]))
        before = jax.tree.map(np.asarray, trainer.params)
        trainer.step(batch, lr=0.1)  # steps well above float32 rounding of the parameters
        moved.append(jax.tree.map(lambda a, b: np.abs(np.asarray(b) - a).sum(), before, trainer.params))
    flat = [jax.tree_util.tree_flatten_with_path(m)[0] for m in moved]
    reader = 0
    for (path, one), (_, three) in zip(*flat, strict=True):
        if path[0].key in READER_PARAMS:
            reader += 1
            np.testing.assert_allclose(three, 3.0 * one, rtol=1e-2, err_msg=str(path))
        else:
            np.testing.assert_allclose(three, one, rtol=1e-2, err_msg=str(path))
    assert reader >= 4  # the screen reader's layers and the glyph head were found by name


def test_frozen_parts_stay_and_the_rest_trains(dataset) -> None:
    from deskpilot.policies.parts import PARAM_GROUPS
    from deskpilot.policies.step import Trainer

    trainer = Trainer(override(get_config("tiny"), ["batch_size=4", "frozen=reader,fusion,type_head"]))
    before = jax.tree.map(np.asarray, trainer.params)
    trainer.step(FixedSource(dataset, 4, seed=0).next_batch(), lr=0.1)
    moved = jax.tree.map(lambda a, b: float(np.abs(np.asarray(b) - a).max()), before, trainer.params)
    by_part: dict[str, float] = {}
    for path, change in jax.tree_util.tree_flatten_with_path(moved)[0]:
        by_part[path[0].key] = max(by_part.get(path[0].key, 0.0), change)
    frozen = {*PARAM_GROUPS["reader"], *PARAM_GROUPS["fusion"], "type_head"}
    assert frozen <= set(by_part)  # every group member is a part of the model
    assert all(by_part[p] == 0.0 for p in frozen)
    assert by_part["query"] > 0 and by_part["cell_keys"] > 0 and by_part["key_head"] > 0


def test_frozen_parts_get_no_gradient(dataset) -> None:
    from deskpilot.policies.parts import PARAM_GROUPS
    from deskpilot.policies.step import Trainer

    batch = FixedSource(dataset, 4, seed=0).next_batch()
    trainer = Trainer(override(get_config("tiny"), ["batch_size=4", "frozen=reader"]))
    _, grads = trainer.loss_and_grads(trainer.params, trainer.shard(batch))
    norms: dict[str, float] = {}
    for path, g in jax.tree_util.tree_flatten_with_path(grads)[0]:
        norms[path[0].key] = norms.get(path[0].key, 0.0) + float(np.sum(np.square(np.asarray(g))))
    # Zero, so the global norm that clipping scales by (and the logged grad_norm) is what trains.
    assert all(norms[p] == 0.0 for p in PARAM_GROUPS["reader"] if p in norms)
    assert norms["query"] > 0 and norms["cell_keys"] > 0


def test_a_frozen_name_that_is_no_part_is_refused_by_name() -> None:
    from deskpilot.policies.step import Trainer

    with pytest.raises(ValueError, match="'screne' is neither a group"):
        Trainer(override(get_config("tiny"), ["frozen=reader,screne"]))
    with pytest.raises(ValueError, match="train.frozen: expected comma-separated names"):
        override(get_config("tiny"), ["frozen=reader fusion"])


def test_glyph_weight_and_align_hard_scale_only_their_own_losses() -> None:
    from deskpilot.policies.step import StepConfig, loss_weights

    tc = override(get_config("tiny"), ["aux_weight=0.5", "glyph_weight=4"]).train
    weights = loss_weights(StepConfig.of(tc))
    assert weights.pop("cell_glyphs") == weights.pop("cell_chars") == 2.0  # both glyph readings
    assert weights.pop("word_align_hard") == 0.0  # off unless asked for
    assert weights and all(w == 0.5 for w in weights.values())
    tc = override(get_config("tiny"), ["aux_weight=0.5", "align_hard=2"]).train
    assert loss_weights(StepConfig.of(tc))["word_align_hard"] == 1.0
    with pytest.raises(ValueError, match="train.align_hard"):
        override(get_config("tiny"), ["align_hard=-1"])
