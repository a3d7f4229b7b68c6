"""The table of heads is complete, and the model, the data and decoding agree with it."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from deskpilot.policies.config import get_config
from deskpilot.policies.data import ArrayDataset, trajectory_to_examples
from deskpilot.policies.decode import predict
from deskpilot.policies.heads import HEADS, Head
from deskpilot.policies.losses import compute_loss, evaluate, head_counts
from deskpilot.policies.model import NUM_CHARS, NUM_GLYPHS, NUM_KEYS, NUM_LETTERS, NUM_SCROLL, NUM_TYPES
from deskpilot.policies.numpy_init import init_params
from deskpilot.policies.pointing import point_to_cell
from deskpilot.policies.tokenizer import VOCAB_SIZE
from tests.policies.fakes import make_episode, make_episodes

# Compiled whole: run op by op, each operation's first call compiles it alone (several times slower).
_loss, _evaluate, _predict = jax.jit(compute_loss), jax.jit(evaluate), jax.jit(predict)


@pytest.fixture(scope="module")
def run():
    """(config, batch, outputs) of the tiny model on a fake batch of every kind of step."""
    cfg = get_config("tiny").model
    batch = {
        k: jnp.asarray(v) for k, v in ArrayDataset.from_trajectories(make_episodes(4), cfg).arrays.items()
    }
    graphdef, params = init_params(cfg, 0)
    return cfg, batch, jax.jit(lambda p, b: nnx.merge(graphdef, p)(b))(params, batch)


def test_every_head_has_all_its_parts() -> None:
    names = [h.name for h in HEADS]
    assert len(set(names)) == len(names), "two heads share a name"
    # An output is decoded by one head at most; auxiliary losses may add terms on one (word_sim).
    outputs = [k for h in HEADS if not h.aux for k in h.outputs]
    assert len(set(outputs)) == len(outputs), "two heads claim one output"
    for head in HEADS:
        assert head.outputs and head.targets and callable(head.loss), head.name
        assert all(set(shape) <= set("BAGZTVRIJLvch") and shape[0] == "B" for shape in head.outputs.values())
        # A head is either read at inference (decoded and scored) or an auxiliary reading loss.
        if head.aux:
            assert head.decode is None and head.metric is None, head.name
        else:
            assert head.decode is not None and head.metric is not None, head.name
    with pytest.raises(ValueError, match="metric"):
        Head("x", {"x": "BA"}, ("x",), loss=lambda o, b: o["x"], metric=lambda p, b: p["x"])


def test_model_outputs_match_the_table(run) -> None:
    cfg, batch, out = run
    b = len(batch["step"])
    size = {
        "B": b,
        "A": NUM_TYPES,
        "G": cfg.num_cells,
        "Z": NUM_LETTERS,
        "T": cfg.task_len,
        "V": NUM_KEYS,
        "R": NUM_SCROLL,
        "I": 2,
        "J": NUM_GLYPHS,
        "L": cfg.typed_len,
        "v": VOCAB_SIZE,
        "c": NUM_CHARS if cfg.screen_copy else 0,
        "h": 2 * cfg.num_cells if cfg.screen_copy else 0,
    }
    declared = {k: shape for h in HEADS for k, shape in h.outputs.items()}
    assert set(out) == set(declared)
    for key, shape in declared.items():
        assert out[key].shape == tuple(size[c] for c in shape), key


def test_data_writes_every_target_and_weight_and_nothing_else(run) -> None:
    _, batch, _ = run
    inputs = {
        "screen",
        "task",
        "task_mask",
        "step",
        "hist_type",
        "hist_xy",
        "hist_key",
        "hist_scroll",
        "hist_text",
    }
    targets = {t for h in HEADS for t in h.targets} | {h.weight for h in HEADS if h.masked}
    assert set(batch) - inputs == targets


def test_losses_metrics_and_decoding_cover_the_table(run) -> None:
    _, batch, out = run
    order: list[str] = []  # the loss's own order of heads (a compiled call returns its keys sorted)
    jax.eval_shape(lambda o, b: order.extend(compute_loss(o, b, {})[1]), out, batch)
    assert order == [h.name for h in HEADS]
    _, parts = _loss(out, batch, {})
    assert all(bool(jnp.isfinite(v)) for v in parts.values())
    scored = {h.name for h in HEADS if h.metric is not None}
    assert set(_evaluate(out, batch)) == {f"{n}_{s}" for n in scored for s in ("correct", "n")}
    decoded = {k for h in HEADS if h.decode is not None for k in h.outputs}
    for rng in (None, jax.random.key(0)):
        choices = _predict(out, rng)
        assert set(choices) == decoded
        assert all(v.shape == out[k].shape[:-1] for k, v in choices.items())  # one pick per row


def test_the_parts_of_a_batch_add_up_to_its_loss_with_its_counts(run) -> None:
    """How the train step sums slices of a batch (devices, chains): each head over the whole count."""
    _, batch, out = run
    total, parts = _loss(out, batch, {"cell_glyphs": 3.0})
    counts = head_counts(batch)
    cut = len(batch["step"]) // 3  # an uneven cut: the heads' examples fall unevenly
    sliced = [
        _loss(
            {k: v[s] for k, v in out.items()},
            {k: v[s] for k, v in batch.items()},
            {"cell_glyphs": 3.0},
            counts,
        )
        for s in (slice(None, cut), slice(cut, None))
    ]
    np.testing.assert_allclose(sliced[0][0] + sliced[1][0], total, rtol=1e-5)
    for name, value in parts.items():
        np.testing.assert_allclose(sliced[0][1][name] + sliced[1][1][name], value, rtol=1e-5, atol=1e-6)
    # Each slice on its own counts (the mean of the slices' means) is another loss: what the counts fix.
    own = [
        _loss({k: v[s] for k, v in out.items()}, {k: v[s] for k, v in batch.items()}, {})[0]
        for s in (slice(None, cut), slice(cut, None))
    ]
    assert abs(float(own[0] + own[1]) / 2 - float(_loss(out, batch, {})[0])) > 1e-3


def test_pointer_tie_leans_the_pointer_toward_the_demonstrated_cell() -> None:
    cfg = get_config("tiny").model
    episode = make_episode("click", 2)
    click = episode.steps[0].action
    assert click.x is not None and click.y is not None
    even = trajectory_to_examples(episode, cfg)["pointer"][0]
    leaning = trajectory_to_examples(episode, dataclasses.replace(cfg, pointer_tie=0.5))["pointer"][0]
    clicked = point_to_cell(click.x, click.y, cfg)
    np.testing.assert_array_equal(leaning > 0, even > 0)  # the same cells are right
    assert even[even > 0].tolist() == [1.0] * int((even > 0).sum())
    assert leaning[clicked] == 1.0 and sorted(set(leaning[leaning > 0].tolist())) == [0.5, 1.0]
    other = int(np.flatnonzero((leaning > 0) & (np.arange(len(leaning)) != clicked))[0])

    pointer = next(h for h in HEADS if h.name == "pointer")

    def loss_at(cell: int, targets: np.ndarray) -> float:
        logits = jnp.full((1, len(targets)), -20.0).at[0, cell].set(20.0)  # all mass on one cell
        return float(pointer.loss({"pointer": logits}, {"pointer": jnp.asarray(targets)[None]})[0])

    assert loss_at(clicked, even) == pytest.approx(loss_at(other, even), abs=1e-4)  # any cell alike
    assert loss_at(other, leaning) - loss_at(clicked, leaning) == pytest.approx(np.log(2), abs=1e-3)
    with pytest.raises(ValueError, match="pointer_tie"):
        dataclasses.replace(cfg, pointer_tie=0.0)


def test_the_look_loss_asks_for_the_halves_where_each_byte_is_drawn() -> None:
    (head,) = [h for h in HEADS if h.name == "text_look"]
    look = jnp.stack([jax.nn.one_hot(5, 12), jnp.full(12, 1 / 12)])[None]  # BLh: slot 0 on half 5
    loss = lambda targets: float(head.loss({"text_look": look}, {"text_look": jnp.asarray([targets])})[0])  # noqa: E731
    assert loss([[5, 9, -1], [-1, -1, -1]]) < 1e-4  # on one of its rows' halves; slot 1 not taught
    assert loss([[7, -1, -1], [-1, -1, -1]]) > 10  # elsewhere
    np.testing.assert_allclose(loss([[5, -1, -1], [3, -1, -1]]), np.log(12) / 2, rtol=1e-4)
    assert float(head.loss({"text_look": jnp.zeros((1, 2, 0))}, {"text_look": jnp.zeros((1, 2, 3))})[0]) == 0
