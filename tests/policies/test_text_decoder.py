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
from deskpilot.policies.tokenizer import END, NUM_SPECIALS, PAD, SPAN, encode
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


def test_the_screen_copy_types_the_glyph_it_looks_at_and_reads_on_along_the_row() -> None:
    """Its byte is the exact glyph read where it looks (case kept); the next look goes a few halves right."""
    from deskpilot.policies.text_decoder import FIRST_CHAR, NUM_CHARS, ScreenCopy

    d, columns = 8, 4  # two rows of four cells: halves 0-7 and 8-15
    copy = ScreenCopy(d, columns, nnx.Rngs(0))
    copy.query.kernel.set_value(jnp.eye(d))
    copy.query.bias.set_value(jnp.zeros(d))
    keys = jnp.zeros((d, 2 * d)).at[:, :d].set(100 * jnp.eye(d))  # a cell's first half keyed by its feature
    copy.keys.kernel.set_value(keys)
    copy.keys.bias.set_value(jnp.zeros(2 * d))
    cells = jnp.zeros((1, 2 * columns, d)).at[0, 1, 0].set(1.0).at[0, 3, 1].set(1.0)  # cells 1 and 3 keyed
    chars = jnp.full((1, 2 * columns, 2, NUM_CHARS), -20.0).at[..., NUM_CHARS - 1].set(20.0)  # no glyph
    for half, char in ((2, "C"), (3, "a"), (4, "t"), (6, "Q"), (8, "x")):  # "Cat" then "Q" ending row 0
        chars = chars.at[0, half // 2, half % 2].set(
            jnp.full(NUM_CHARS, -20.0).at[ord(char) - FIRST_CHAR].set(20.0)
        )
    slots = jnp.zeros((1, 2, d)).at[0, 0, 0].set(1.0)  # slot 0 asks for cell 1's key; slot 1 asks nothing
    token = lambda c: NUM_SPECIALS + ord(c)  # noqa: E731
    copied, _, _ = copy(slots, *copy.prepare(cells, chars))
    assert float(copied[0, 0, token("C")]) > 0.99 and float(copied[0, 0, token("c")]) < 1e-3
    assert float(copied[0, 1, token("a")] + copied[0, 1, token("t")]) > 0.9  # read on from 'C'
    slots = jnp.zeros((1, 2, d)).at[0, 0, 1].set(1.0)  # now slot 0 looks at 'Q', the row's last glyph
    copied, _, _ = copy(slots, *copy.prepare(cells, chars))
    assert float(copied[0, 0, token("Q")]) > 0.99
    assert float(copied[0, 1, token("x")]) < 0.5  # the next row's first glyph is not "right of" it


def test_weights_without_the_screen_copy_start_a_writer_with_it_that_writes_nearly_the_same() -> None:
    from deskpilot.policies.loop import with_added

    plain, copying = _config(6).model, override(_config(6), ["model.screen_copy=true"]).model
    graph1, params1 = init_params(plain, 3)
    graph2, fresh = init_params(copying, 4)
    params2 = with_added(fresh, params1, ["screen_copy"])
    batch = {
        k: jnp.asarray(v) for k, v in ArrayDataset.from_trajectories(make_episodes(4), plain).arrays.items()
    }
    run = jax.jit(lambda graph, params: nnx.merge(graph, params)(batch), static_argnums=0)
    before, after = run(graph1, params1), run(graph2, params2)
    np.testing.assert_allclose(jnp.exp(after["text"]).sum(-1), 1.0, atol=1e-4)  # still a distribution
    assert float(jnp.abs(jnp.exp(after["text"]) - jnp.exp(before["text"])).max()) < 0.1
    np.testing.assert_allclose(before["pointer"], after["pointer"], atol=1e-5)  # nothing else moves
    assert after["cell_chars"].shape[-1] > 0 and before["cell_chars"].shape[-1] == 0
    b = len(batch["step"])
    assert after["text_look"].shape == (b, 6, 2 * copying.num_cells) and before["text_look"].shape == (
        b,
        6,
        0,
    )
    np.testing.assert_allclose(after["text_look"].sum(-1), 1.0, atol=1e-4)  # one look per written byte

    def text_loss(params: nnx.State) -> jax.Array:
        return -nnx.merge(graph2, params)(batch)["text"].max(-1).sum()

    grads = jax.jit(jax.grad(text_loss))(params2)["screen_copy"]
    assert float(jnp.abs(grads["gate"]["kernel"].get_value()).sum()) > 0  # its share learns


def test_a_fresh_writer_starts_with_its_copy_prior_as_its_own_initializer_sets_it() -> None:
    """``numpy_init`` draws what the modules would; a prior set to a value is that value, not a draw."""
    from deskpilot.policies.text_decoder import TextDecoder

    cfg = _config(6).model
    writer = TextDecoder(
        cfg.width, cfg.num_heads, 6, nnx.Embed(300, cfg.width, rngs=nnx.Rngs(0)), nnx.Rngs(0)
    )
    drawn = init_params(cfg, 0)[1]["writer"]["follow"].get_value()
    assert float(drawn) == float(writer.follow.get_value()) == 5.0
