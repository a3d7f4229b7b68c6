"""The text writer: it writes what no span of the task holds, defers to the span for what one does."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory
from deskpilot.envs.actions import Action, ActionType
from deskpilot.policies.actor import choice_to_action
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import ArrayDataset, encode_inputs
from deskpilot.policies.numpy_init import init_params
from deskpilot.policies.text_decoder import text_targets
from deskpilot.policies.tokenizer import END, PAD, SPAN, encode
from tests.policies.fakes import make_episodes


def _typing(task: str, text: str) -> Trajectory:
    screen = np.full((210, 160, 3), 255, np.uint8)
    meta = EpisodeMeta(task=task, source="expert", obs_size=(210, 160), env_id="test/type", seed=0)
    return Trajectory(
        meta, [Step(screen, Action.type_text(text), {"elements": []})], success=True, reward=1.0
    )


def _config(typed_len: int):
    return override(get_config("tiny"), [f"model.typed_len={typed_len}"])


def test_targets_end_with_end_and_what_does_not_fit_is_refused() -> None:
    assert text_targets(encode("42"), 4) == (encode("42") + [END, PAD], True)
    assert text_targets(encode("abcd"), 4) == ([PAD] * 4, False)  # no room left for END


def test_training_data_says_how_many_typed_texts_no_head_can_type() -> None:
    episodes = [_typing('Type "kiwi".', "kiwi"), _typing("Solve 3 + 4.", "7"), _typing("Solve it.", "x" * 20)]
    assert ArrayDataset.from_trajectories(episodes, _config(0).model).untypeable() == (3, 2)
    data = ArrayDataset.from_trajectories(episodes, _config(8).model)
    assert data.untypeable() == (3, 1)  # only the 20 bytes that do not fit in 8
    assert list(data.arrays["text"][0][:2]) == [SPAN, END]  # a span of the task: the span head types it
    assert list(data.arrays["text"][1][:2]) == [*encode("7"), END]


def test_greedy_writing_is_what_teacher_forcing_scores() -> None:
    """Fed back its own greedy bytes, the writer picks them again: decode and metric agree."""
    cfg = _config(6).model
    graphdef, params = init_params(cfg, 3)
    batch = {
        k: jnp.asarray(v) for k, v in ArrayDataset.from_trajectories(make_episodes(4), cfg).arrays.items()
    }
    inputs = {k: v for k, v in batch.items() if k != "text"}
    run = jax.jit(lambda p, b: nnx.merge(graphdef, p)(b)["text"])
    greedy = jnp.argmax(run(params, inputs), -1)
    forced = jnp.argmax(run(params, {**inputs, "text": greedy}), -1)
    assert greedy.shape == (len(batch["step"]), 6)
    assert bool((forced == greedy).all())


def test_the_actor_types_the_written_text_or_defers_to_the_span() -> None:
    cfg = _config(8).model
    task = 'Type "kiwi" in capitals.'
    ids = encode_inputs(np.zeros((210, 160, 3), np.uint8), task, [], 0, cfg)["task"]
    choice = {"type": int(ActionType.TYPE), "pointer": 0, "pointer2": 0, "key": 0, "scroll": 0}
    choice |= {"span_start": 6, "span_end": 9}  # the bytes of kiwi
    written = np.asarray([*encode("KIWI"), END, PAD, PAD, PAD])
    assert choice_to_action({**choice, "text": written}, ids, task, cfg) == Action.type_text("KIWI")
    deferred = np.asarray([SPAN, END] + [PAD] * 6)
    assert choice_to_action({**choice, "text": deferred}, ids, task, cfg) == Action.type_text("kiwi")


def test_a_writer_grown_by_a_layer_writes_what_it_wrote_and_the_new_layer_learns() -> None:
    """Weights of a one-layer writer start a two-layer one that acts the same (``loop.with_grown``)."""
    from deskpilot.policies.loop import with_grown

    one, two = _config(6).model, override(_config(6), ["model.writer_layers=2"]).model
    graph1, params1 = init_params(one, 3)
    graph2, fresh = init_params(two, 4)
    grown = with_grown(fresh, params1, {"writer_layers": 1})
    assert len(grown["writer"]["more"]) == 1 and not params1["writer"].get("more")
    batch = {
        k: jnp.asarray(v) for k, v in ArrayDataset.from_trajectories(make_episodes(4), one).arrays.items()
    }
    run = jax.jit(lambda graph, params: nnx.merge(graph, params)(batch), static_argnums=0)  # teacher-forced
    before, after = run(graph1, params1), run(graph2, grown)
    for key in before:
        np.testing.assert_allclose(before[key], after[key], atol=1e-5, err_msg=key)

    def text_loss(params: nnx.State) -> jax.Array:
        return -nnx.merge(graph2, params)(batch)["text"].max(-1).sum()

    grads = jax.jit(jax.grad(text_loss))(grown)["writer"]["more"][0]
    assert float(jnp.abs(grads["o"]["kernel"].get_value()).sum()) > 0  # the added layer is not stuck
