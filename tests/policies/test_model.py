import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from deskpilot.envs.actions import Action, ActionType
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import ArrayDataset, encode_targets
from deskpilot.policies.losses import compute_loss
from deskpilot.policies.model import NUM_KEYS, NUM_SCROLL, NUM_TYPES, Policy
from deskpilot.policies.numpy_init import init_params
from deskpilot.policies.pointing import cell_to_point, point_to_cell
from deskpilot.policies.sources import FixedSource
from deskpilot.policies.tokenizer import encode_padded
from deskpilot.policies.train import TrainData, train_and_evaluate
from tests.policies.fakes import make_episodes


@nnx.jit
def _run(model: Policy, batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """The model's outputs, compiled once per config and batch keys (run op by op, its first call
    compiles each operation alone: 39 s against 4.6 s for the tiny model)."""
    return model(batch)


_loss = jax.jit(compute_loss)
_count_marks = nnx.jit(lambda model, marks, query: model.count_marks(marks, query))


def _batch(cfg, episodes):
    ds = ArrayDataset.from_trajectories(episodes, cfg)
    return {k: jnp.asarray(v) for k, v in ds.arrays.items()}


def test_base_shapes_without_allocating() -> None:
    cfg = get_config("base").model
    b = 2
    batch = {
        "screen": jax.ShapeDtypeStruct((b, *cfg.obs_size, 3), jnp.uint8),
        "task": jax.ShapeDtypeStruct((b, cfg.task_len), jnp.int32),
        "task_mask": jax.ShapeDtypeStruct((b, cfg.task_len), jnp.bool_),
        "step": jax.ShapeDtypeStruct((b,), jnp.int32),
        "hist_type": jax.ShapeDtypeStruct((b, cfg.history_len), jnp.int32),
        "hist_xy": jax.ShapeDtypeStruct((b, cfg.history_len, 4), jnp.float32),
        "hist_key": jax.ShapeDtypeStruct((b, cfg.history_len), jnp.int32),
        "hist_scroll": jax.ShapeDtypeStruct((b, cfg.history_len), jnp.int32),
        "hist_text": jax.ShapeDtypeStruct((b, cfg.history_len, cfg.history_text_len), jnp.int32),
    }

    def run(batch):
        return Policy(cfg, nnx.Rngs(0))(batch)

    out = jax.eval_shape(run, batch)
    g = cfg.num_cells
    assert cfg.grid == (27, 20)
    assert out["type"].shape == (b, NUM_TYPES)
    assert out["pointer"].shape == out["pointer2"].shape == (b, g)
    assert out["cell_letters"].shape == (b, g, 26)
    assert out["cell_match"].shape == (b, g)
    assert out["span_start"].shape == (b, cfg.task_len)
    assert out["key"].shape == (b, NUM_KEYS)
    assert out["scroll"].shape == (b, NUM_SCROLL)


def test_click_loss_ignores_text_key_scroll_and_drag_heads() -> None:
    cfg = get_config("tiny").model
    batch = _batch(cfg, [ep for ep in make_episodes(4) if ep.meta.env_id == "test/click"])
    assert int(batch["type"][0]) == ActionType.CLICK
    click = {k: v[:1] for k, v in batch.items()}
    graphdef, params = init_params(cfg, 0)

    @jax.jit
    @jax.value_and_grad
    def loss(params, scramble):
        out = nnx.merge(graphdef, params)(click)
        for head in ("span_start", "span_end", "key", "scroll", "pointer2"):
            out[head] = out[head] + scramble * jnp.arange(out[head].shape[-1])
        return compute_loss(out, click, {})[0]

    (value, grads), (scrambled, _) = loss(params, 0.0), loss(params, 5.0)
    assert float(value) == pytest.approx(float(scrambled))
    for name in ("span_head", "key_head", "scroll_head"):
        assert all(float(jnp.abs(g).max()) == 0.0 for g in jax.tree.leaves(grads[name]))
    assert float(jnp.abs(grads["type_head"]["kernel"][...]).max()) > 0


def test_an_unasked_word_scored_as_asked_costs_as_much_however_empty_the_page() -> None:
    cfg = get_config("tiny").model
    batch = _batch(cfg, make_episodes(1))
    one = {k: v[:1] for k, v in batch.items()}
    g = cfg.num_cells
    asked, other = jnp.arange(g) < 4, (jnp.arange(g) >= 4) & (jnp.arange(g) < 8)
    word_id = jnp.where(asked, 1, jnp.where(other, 0, -1)).astype(jnp.int16)
    one.update(cell_match=asked[None], cell_word_id=word_id[None], w_cell_match=jnp.ones(1))
    out = _run(nnx.merge(*init_params(cfg, 0)), one)
    confused = jnp.where(asked | other, 10.0, -10.0)[None]  # the other word scored as asked
    right = jnp.where(asked, 10.0, -10.0)[None]
    assert float(_loss({**out, "cell_match": right}, one, {})[1]["cell_match"]) < 0.01
    # the confusion is judged over the other word's 4 cells, not diluted by hundreds of empty ones
    assert float(_loss({**out, "cell_match": confused}, one, {})[1]["cell_match"]) > 9.0


def test_word_alignment_pairs_each_screen_word_with_its_own_task_word() -> None:
    cfg = get_config("tiny").model
    batch = _batch(cfg, make_episodes(1))
    one = {k: v[:1] for k, v in batch.items()}
    g, t = cfg.num_cells, cfg.task_len
    cells, bytes_ = jnp.arange(g), jnp.arange(t)
    # screen: cells 0-3 show task word 1, cells 4-7 task word 2, 8-11 an unasked word; task bytes
    # 0-4 are word 1, 6-9 word 2
    cell_id = jnp.select([cells < 4, cells < 8, cells < 12], [1, 2, 0], -1).astype(jnp.int16)
    task_id = jnp.select([bytes_ < 5, (bytes_ > 5) & (bytes_ < 10)], [1, 2], 0).astype(jnp.int16)
    one.update(
        cell_word_id=cell_id[None],
        task_word_id=task_id[None],
        w_word_align=jnp.ones(1),
        w_word_align_hard=jnp.ones(1),
    )
    out = _run(nnx.merge(*init_params(cfg, 0)), one)

    def loss(sim, head="word_align"):
        return float(_loss({**out, "word_sim": sim[None]}, one, {})[1][head])

    same = cell_id[:, None] == task_id[None, :]
    right = jnp.where(same, 10.0, -10.0)
    words_only = jnp.where((cell_id[:, None] > 0) & (task_id[None, :] > 0), 10.0, -10.0)  # any asked word
    assert loss(right) < 0.01
    assert loss(words_only) > 3.0  # word 1's cells must not match word 2's bytes
    # pairs with no word on either side are not judged
    assert loss(jnp.where(same | (cell_id[:, None] < 0) | (task_id[None, :] == 0), 10.0, -10.0)) < 0.01
    # one cell of the unasked word taken for word 1 (a lookalike): 5 pairs of the 72 mismatched ones
    # in the mean over them all, the whole of the confident mismatches (train.align_hard)
    lookalike = right.at[8].set(jnp.where(task_id == 1, 10.0, -10.0))
    assert loss(right, "word_align_hard") < 0.01
    assert loss(lookalike) < 1.0 and loss(lookalike, "word_align_hard") > 9.0


def test_targets_cover_the_whole_target_element() -> None:
    cfg = get_config("tiny").model
    box = [0.25, 0.5, 0.5, 0.6]
    ann = {
        "elements": [
            {"box": [0, 0, 1, 1], "label": "window", "role": "pane"},
            {"box": box, "label": "OK", "role": "button"},
        ]
    }
    t = encode_targets(Action.click(0.3, 0.55), ann, encode_padded("Click OK", cfg.task_len)[0], cfg)
    cells = np.flatnonzero(t["pointer"])
    assert len(cells) > 1 and t["w_letters"] == 1 and t["letters"] == (1 << 10) | (1 << 14)
    for c in cells:
        x, y = cell_to_point(c, cfg)
        assert box[0] <= x < box[2] and box[1] <= y < box[3]
    # no annotations: the single cell under the point, auxiliary losses masked
    t = encode_targets(Action.click(0.3, 0.55), {}, encode_padded("x", cfg.task_len)[0], cfg)
    assert np.flatnonzero(t["pointer"]).tolist() == [point_to_cell(0.3, 0.55, cfg)]
    assert t["w_letters"] == t["w_cell_letters"] == t["w_cell_match"] == t["w_word_align"] == 0
    assert t["w_word_align_hard"] == 0


def test_tiny_overfits_handful_of_episodes(tmp_path) -> None:
    config = override(get_config("tiny"), ["steps=120", "val_fraction=0", "log_every=1000"])
    episodes = make_episodes(8)
    ds = ArrayDataset.from_trajectories(episodes, config.model)
    data = TrainData(FixedSource(ds, config.train.batch_size, 0), ds)
    report = train_and_evaluate(config, data, tmp_path, progress=False)
    accs = {k: v for k, v in report["val"].items() if k.endswith("_acc")}
    assert set(accs) == {f"{h}_acc" for h in ("type", "pointer", "pointer2", "span", "key", "scroll")}
    assert all(v == 1.0 for v in accs.values()), accs
    assert report["val"]["exact"] == 1.0 and report["val"]["episodes"] == 8
    assert report["val_task/test/form"]["episodes"] == 2 and report["val_task/test/form"]["examples"] == 6
    assert (tmp_path / "metrics.jsonl").exists() and (tmp_path / "config.json").exists()


def test_config_validation_and_override() -> None:
    with pytest.raises(ValueError, match="num_kv_heads"):
        override(get_config("tiny"), ["model.num_kv_heads=3"])
    with pytest.raises(ValueError, match="no field"):
        override(get_config("tiny"), ["model.nope=3"])
    with pytest.raises(ValueError, match="train.relabel"):
        override(get_config("tiny"), ["train.relabel=-1"])
    with pytest.raises(ValueError, match="train.more_drills"):
        override(get_config("tiny"), ["train.more_drills=find-word,sums"])
    with pytest.raises(ValueError, match="screen_copy"):
        override(get_config("tiny"), ["model.screen_copy=true"])  # the writer's: needs typed_len
    with pytest.raises(ValueError, match="train.stream_fresh"):
        override(get_config("tiny"), ["train.stream_fresh=0"])
    with pytest.raises(ValueError, match="spell_digits"):  # digits are read by the screen copy's head
        override(get_config("tiny"), ["model.typed_len=8", "model.spell_digits=true"])
    assert override(get_config("tiny"), ["train.more_drills=find-word, algebra"]).train.more_drill_kinds == (
        "find-word",
        "algebra",
    )
    cfg = override(get_config("small"), ["model.width=96", "batch_size=8", "model.conv_channels=8,16,32"])
    assert cfg.model.width == 96 and cfg.train.batch_size == 8 and cfg.model.conv_channels == (8, 16, 32)
    assert dataclasses.asdict(cfg)


def test_with_neighbours_puts_each_token_beside_the_ones_around_it() -> None:
    from deskpilot.policies.transformer import with_neighbours

    x = jnp.arange(1, 4, dtype=jnp.float32).reshape(1, 3, 1)  # tokens 1, 2, 3
    out = with_neighbours(x)[0]  # T(3D): previous, itself, next
    np.testing.assert_array_equal(out, [[0, 1, 2], [1, 2, 3], [2, 3, 0]])


def test_space_to_depth_then_a_matrix_product_is_a_stride_k_conv() -> None:
    from deskpilot.policies.patch_encoder import space_to_depth

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((2, 16, 24, 3)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((4, 4, 3, 5)), jnp.float32)
    conv = jax.lax.conv_general_dilated(
        x, kernel, (4, 4), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    np.testing.assert_allclose(space_to_depth(x, 4) @ kernel.reshape(48, 5), conv, rtol=1e-4, atol=1e-4)


def test_overlapping_patches_then_a_matrix_product_is_an_8x8_stride_4_conv() -> None:
    from deskpilot.policies.patch_encoder import space_to_depth, with_lower_right

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((2, 16, 24, 3)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((8, 8, 3, 5)), jnp.float32)
    conv = jax.lax.conv_general_dilated(
        x, kernel, (4, 4), ((0, 4), (0, 4)), dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    # the window's four 4x4 quarters in the order with_lower_right stacks them
    quarters = [kernel[r : r + 4, c : c + 4].reshape(48, 5) for r, c in ((0, 0), (0, 4), (4, 0), (4, 4))]
    out = with_lower_right(space_to_depth(x, 4)) @ jnp.concatenate(quarters)
    np.testing.assert_allclose(out, conv, rtol=1e-4, atol=1e-4)


def test_pool_cells_averages_each_block_with_zeros_past_the_edge() -> None:
    from deskpilot.policies.transformer import pool_cells

    x = jnp.asarray(np.random.default_rng(0).standard_normal((2, 27, 20, 3)), jnp.float32)
    pooled = pool_cells(x, 4)
    assert pooled.shape == (2, 7, 5, 3)
    # 27 rows pad by one at the end, where "SAME" pooling puts it too
    np.testing.assert_allclose(pooled, nnx.avg_pool(x, (4, 4), strides=(4, 4), padding="SAME"), atol=1e-6)


def test_reader_gate_lets_only_the_glyph_loss_teach_the_reader_at_first() -> None:
    from deskpilot.policies.step import reader_gate

    cfg = get_config("tiny")
    batch = {k: v[:1] for k, v in _batch(cfg.model, make_episodes(2)).items()}
    graphdef, params = init_params(cfg.model, 0)
    reader, rest = nnx.split(nnx.merge(graphdef, params), lambda path, _: path[0] == "screen", ...)[1:]

    @jax.jit
    def reader_grads(gate: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Norms of the reader's gradient from the pointer and from the glyph head; the pointer logits."""

        def f(reader_params, head):
            out = nnx.merge(graphdef, reader_params, rest)(batch, reader_grad=jnp.full((1,), gate))
            return out[head].std(), out["pointer"]

        (pointer_grad, logits), glyph_grad = (
            jax.grad(f, has_aux=True)(reader, h) for h in ("pointer", "cell_glyphs")
        )
        return optax.tree.norm(pointer_grad), optax.tree.norm(glyph_grad[0]), logits

    shut, opened = reader_grads(jnp.float32(0.0)), reader_grads(jnp.float32(1.0))
    assert float(shut[0]) == 0.0  # the click's gradient stops at the reader's cells
    assert float(shut[1]) > 0.0 and float(opened[0]) > 0.0  # the glyph head teaches it; open, all do
    np.testing.assert_allclose(shut[2], opened[2], rtol=1e-6)  # the gate never changes the outputs
    tc = dataclasses.replace(cfg.train, reader_first=0.2)
    assert [reader_gate(p, tc) for p in (0.0, 0.2, 0.3, 0.4, 1.0)] == pytest.approx([0, 0, 0.5, 1, 1])
    assert reader_gate(0.0, dataclasses.replace(tc, reader_first=0.0)) == 1.0


def test_near_offsets_index_each_pair_of_cells_by_their_offset_within_reach() -> None:
    from deskpilot.policies.pointing import NEAR_COLS, NEAR_ROWS, near_offsets

    y, x = 6, 20
    index = near_offsets((y, x))
    size = (2 * NEAR_ROWS + 1) * (2 * NEAR_COLS + 1)
    cell = lambda r, c: r * x + c  # noqa: E731
    centre = NEAR_ROWS * (2 * NEAR_COLS + 1) + NEAR_COLS
    assert index[cell(2, 5), cell(2, 5)] == centre
    assert index[cell(2, 5), cell(2, 7)] == centre + 2  # two cells to the right
    assert index[cell(2, 5), cell(3, 4)] == centre + (2 * NEAR_COLS + 1) - 1  # one row down, one left
    assert index[cell(0, 0), cell(0, NEAR_COLS + 1)] == size  # out of reach: the padded zero
    assert index[cell(0, 0), cell(NEAR_ROWS + 1, 0)] == size
    assert index[cell(1, x - 1), cell(2, 0)] == size  # a row's end does not wrap onto the next row


@pytest.mark.parametrize("value", [0, 2, 3])
def test_the_drag_end_counts_marks_from_the_left_of_the_row_to_the_asked_value(value: int) -> None:
    from deskpilot.policies.pointing import NUM_VALUES

    cfg = get_config("tiny").model
    rows, cols = cfg.grid
    graphdef, params = init_params(cfg, 0)
    model = nnx.merge(graphdef, params)
    # A query of zeros: the value and the gain are the biases alone, "count to `value`", strongly.
    model.count_value.bias[...] = jnp.where(jnp.arange(NUM_VALUES) == value, 8.0, -8.0)
    model.count_gain.bias[...] = jnp.array([20.0])
    halves = [5, 9, 12, 17, 30]  # 4-px columns of the marks on row 3, left to right

    def count(marked: dict[int, list[int]]) -> np.ndarray:
        marks = np.full((1, rows, 2 * cols), -8.0, np.float32)
        for row, where in marked.items():
            marks[0, row, where] = 8.0
        score = _count_marks(model, jnp.asarray(marks.reshape(1, rows * cols, 2)), jnp.zeros((1, cfg.width)))
        return np.asarray(score[0])

    score = count({3: halves}).reshape(rows, cols)
    order = np.argsort(-score.reshape(-1))
    # The mark's cell on the ticks' row, and the cell above it (where a thumb's middle row lies),
    # by far above every other cell.
    assert sorted(order[:2].tolist()) == [2 * cols + halves[value] // 2, 3 * cols + halves[value] // 2]
    assert score.reshape(-1)[order[1]] - score.reshape(-1)[order[2]] > 10.0
    # Each row counts its own marks: a second slider's row below finds its own mark of that value.
    other = [0, 2, 4, 6, 8]
    both = count({3: halves, 11: other}).reshape(rows, cols)
    assert int(both[11].argmax()) == other[value] // 2
    assert both[11].max() == pytest.approx(both[3].max(), abs=0.5)  # as sure as the first row


def test_the_span_field_scores_the_end_from_the_start_it_is_given_or_chooses() -> None:
    plain = get_config("tiny").model
    assert "span_keys" not in init_params(plain, 0)[1]  # off by default: the shipped weights' shapes
    cfg = dataclasses.replace(plain, span_field=True)
    graphdef, params = init_params(cfg, 0)
    model = nnx.merge(graphdef, params)
    batch = _batch(cfg, make_episodes(2))
    acting = {k: v for k, v in batch.items() if k != "span_start"}  # as when the policy acts
    chosen = _run(model, acting)
    start = jnp.argmax(chosen["span_start"], -1)
    told = _run(model, {**acting, "span_start": start})
    np.testing.assert_allclose(told["span_end"], chosen["span_end"], rtol=1e-5, atol=1e-5)
    moved = _run(model, {**acting, "span_start": (start + 1) % cfg.task_len})
    np.testing.assert_allclose(moved["span_start"], chosen["span_start"], rtol=1e-5, atol=1e-5)
    assert float(jnp.abs(moved["span_end"] - chosen["span_end"]).max()) > 1e-3


def test_caption_offsets_tell_rows_apart_and_only_the_side_of_the_click() -> None:
    from deskpilot.policies.pointing import CAPTION_UP, CAPTION_WINDOW, caption_offsets

    grid = (6, 5)
    index = caption_offsets(grid)
    clicked = 3 * 5 + 2  # row 3, the middle column
    assert index[clicked, clicked] == CAPTION_UP * 3 + 1  # its own cell
    assert index[clicked, 3 * 5 + 0] == index[clicked, 3 * 5 + 1] == CAPTION_UP * 3  # left, any distance
    assert index[clicked, 0 * 5 + 4] == 2  # three rows up, right of it
    assert index[clicked, 4 * 5 + 0] == (CAPTION_UP + 1) * 3  # the row below, left
    assert index[clicked, 5 * 5 + 2] == CAPTION_WINDOW  # two rows below: outside (a padded zero)
    assert index.max() == CAPTION_WINDOW


def test_the_caption_feature_looks_around_the_cell_point_to_cell_names() -> None:
    from deskpilot.policies.pointing import CAPTION_UP, CAPTION_WINDOW, caption_match, point_to_cell

    cfg = get_config("tiny").model
    points = np.random.default_rng(0).random((16, 2)).astype(np.float32)
    own = CAPTION_UP * 3 + 1  # the window index of the clicked cell itself
    kernels = jnp.zeros((1, CAPTION_WINDOW)).at[0, own].set(1.0)
    sim = jnp.eye(cfg.num_cells)[None] * 40.0 - 20.0  # cell g matches "token" g alone
    kind = jnp.full((16,), int(ActionType.CLICK) + 1)
    seen = caption_match(kernels, jnp.broadcast_to(sim, (16, *sim.shape[1:])), jnp.asarray(points), kind, cfg)
    assert [int(g) for g in jnp.argmax(seen[..., 0], -1)] == [point_to_cell(x, y, cfg) for x, y in points]


def test_the_caption_feature_sees_task_words_matched_near_the_last_click_only() -> None:
    from deskpilot.policies.pointing import caption_match

    def last(batch: dict) -> tuple:
        return batch["hist_xy"][:, -1, :2], batch["hist_type"][:, -1]

    cfg = dataclasses.replace(get_config("tiny").model, span_field=True)
    graphdef, params = init_params(cfg, 0)
    model = nnx.merge(graphdef, params)
    batch = _batch(cfg, make_episodes(1))
    cols, t = cfg.grid[1], 5
    sim = (
        jnp.full((1, cfg.num_cells, cfg.task_len), -20.0).at[0, 2 * cols + 3, t].set(20.0)
    )  # token t at row 2
    clicked = {k: v[:1] for k, v in batch.items()}
    clicked["hist_type"] = clicked["hist_type"].at[0, -1].set(int(ActionType.CLICK) + 1)
    for row, near in ((4, True), (9, False)):  # row 4: two rows below the word; row 9: far below it
        x, y = (3 * 8 + 4) / cfg.obs_size[1], (row * 8 + 4) / cfg.obs_size[0]
        clicked["hist_xy"] = clicked["hist_xy"].at[0, -1, :2].set(jnp.asarray([x, y]))
        seen = caption_match(model.caption_kernels[...], sim, *last(clicked), cfg)  # BTO
        assert (float(jnp.abs(seen[0, t]).max()) > 1e-3) is near
        assert float(jnp.abs(seen[0, t + 1]).max()) < 1e-6
    typed = {**clicked, "hist_type": clicked["hist_type"].at[0, -1].set(int(ActionType.TYPE) + 1)}
    assert (
        float(jnp.abs(caption_match(model.caption_kernels[...], sim, *last(typed), cfg)).max()) == 0.0
    )  # no point, no caption


def test_click_memory_marks_the_cells_and_task_words_past_clicks_landed_on() -> None:
    from deskpilot.policies.pointing import CLICKED_COLS, CLICKED_ROWS, clicked_cells, clicked_words

    cfg = get_config("tiny").model
    cols = cfg.grid[1]
    # token 0's word stands at row 2, column 3; token 1's at row 6, column 3; token 2 is nowhere
    sim = (
        jnp.full((1, cfg.num_cells, 3), -5.0).at[0, 2 * cols + 3, 0].set(5.0).at[0, 6 * cols + 3, 1].set(5.0)
    )

    def cells(kind: ActionType, row: int, col: int) -> jax.Array:
        xy = jnp.asarray([[[(col * 8 + 4) / cfg.obs_size[1], (row * 8 + 4) / cfg.obs_size[0], 0.0, 0.0]]])
        return clicked_cells(xy, jnp.asarray([[int(kind) + 1]]), cfg)

    def clicked(kind: ActionType, row: int, col: int) -> np.ndarray:
        return np.asarray(clicked_words(sim, cells(kind, row, col)))[0]

    near = np.asarray(cells(ActionType.CLICK, 4, 6)[0]).reshape(cfg.grid)
    assert near.sum() == (2 * CLICKED_ROWS + 1) * (2 * CLICKED_COLS + 1) and near[4, 6] == near[5, 10] == 1
    on_first = clicked(ActionType.CLICK, 2, 3 + CLICKED_COLS)  # along the word's row, within reach
    assert on_first[0] > 0.9 and on_first[1] < 0.1 and on_first[2] < 0.2
    assert clicked(ActionType.DOUBLE_CLICK, 6, 3)[1] > 0.9
    assert clicked(ActionType.CLICK, 2, 3 + CLICKED_COLS + 1)[0] < 0.1  # past its reach
    assert clicked(ActionType.CLICK, 2 + CLICKED_ROWS, 3)[0] > 0.9  # the line's other row
    assert clicked(ActionType.CLICK, 2 + CLICKED_ROWS + 1, 3)[0] < 0.1  # the line below
    assert clicked(ActionType.SCROLL, 2, 3).max() == 0.0  # only clicks count
    assert float(clicked_cells(jnp.zeros((1, 1, 4)), jnp.zeros((1, 1), jnp.int32), cfg).max()) == 0.0


def test_click_memory_acts_on_the_pointers_alone() -> None:
    cfg = get_config("tiny").model
    graphdef, params = init_params(dataclasses.replace(cfg, click_memory=True), 0)
    model = nnx.merge(graphdef, params)
    plain = nnx.merge(*init_params(cfg, 0))
    added = ("clicked_pick", "clicked_point")
    nnx.update(plain, nnx.State({k: v for k, v in nnx.state(model, nnx.Param).items() if k not in added}))
    batch = {k: v[:2] for k, v in _batch(cfg, make_episodes(2)).items()}
    batch["hist_type"] = batch["hist_type"].at[:, -1].set(int(ActionType.CLICK) + 1)
    batch["hist_xy"] = batch["hist_xy"].at[:, -1, :2].set(0.5)
    with_memory, without = _run(model, batch), _run(plain, batch)
    for name in ("word_sim", "cell_match", "cell_ticked"):  # the reading does not change
        np.testing.assert_allclose(with_memory[name], without[name], atol=1e-5)
    assert float(jnp.abs(with_memory["pointer"] - without["pointer"]).max()) > 1e-4  # the pointers do
    model.clicked_pick[...] = model.clicked_point[...] = -jnp.ones((2,))  # no strength: no memory
    np.testing.assert_allclose(_run(model, batch)["pointer"], without["pointer"], atol=1e-4)
