import dataclasses
import threading
import time

import numpy as np
import pytest

from deskpilot.envs.actions import Action
from deskpilot.policies.config import get_config
from deskpilot.policies.data import (
    ArrayDataset,
    encode_history,
    split_by_episode,
    trajectory_to_examples,
)
from deskpilot.policies.pointing import cell_centres
from deskpilot.policies.sources import FixedSource, StreamingSource
from tests.policies.fakes import make_episode, make_episodes

CFG = get_config("tiny").model


def test_examples_have_fixed_shapes_and_head_masks() -> None:
    ex = trajectory_to_examples(make_episode("form", 3), CFG)  # click, type, enter
    assert ex["screen"].shape == (3, 210, 160, 3) and ex["pointer"].shape == (3, CFG.num_cells)
    assert ex["w_pointer"].tolist() == [1, 0, 0]
    assert ex["w_span"].tolist() == [0, 1, 0] and ex["w_key"].tolist() == [0, 0, 1]
    task_bytes = bytes(int(i) - 4 for i in ex["task"][1] if i)
    word = task_bytes[ex["span_start"][1] : ex["span_end"][1] + 1].decode()
    assert f"Type '{word}'" in make_episode("form", 3).task
    # history: right-aligned, the last slot is the previous action
    assert ex["hist_type"][0].tolist() == [0, 0, 0, 0]
    assert ex["hist_type"][2].tolist()[-2:] == [1, 4]  # CLICK + 1, TYPE + 1
    assert ex["step"].tolist() == [0, 1, 2]


def test_history_keeps_the_latest_actions() -> None:
    hist = [
        Action.press("enter"),
        Action.scroll_at(0.5, 0.5, -3),
        *[Action.click(0.1, 0.2)] * 3,
        Action.type_text("hi"),
    ]
    h = encode_history(hist, CFG)
    assert h["hist_type"].tolist() == [1, 1, 1, 4]
    assert h["hist_text"][3][:2].tolist() == [ord("h") + 4, ord("i") + 4]


def test_split_is_by_episode_and_seeded() -> None:
    eps = make_episodes(10)
    train, val = split_by_episode(eps, 0.2, seed=1)
    assert len(val) == 2 and len(train) == 8 and not {id(e) for e in train} & {id(e) for e in val}
    assert [e.meta.seed for e in split_by_episode(eps, 0.2, seed=1)[1]] == [e.meta.seed for e in val]


def test_fixed_source_resumes_its_order() -> None:
    ds = ArrayDataset.from_trajectories(make_episodes(4), CFG)
    a = FixedSource(ds, 5, seed=3)
    first = [a.next_batch()["step"] for _ in range(3)]
    b = FixedSource(ds, 5, seed=3)
    b.restore(a.state())
    c = FixedSource(ds, 5, seed=3)
    for _ in range(3):
        c.next_batch()
    np.testing.assert_array_equal(b.next_batch()["step"], c.next_batch()["step"])
    assert len(np.concatenate(first)) == 15


def test_episode_balance_weighs_every_episode_alike_and_resumes() -> None:
    import dataclasses

    long = make_episode("form", 1)
    long = dataclasses.replace(long, steps=long.steps * 3)  # one long episode ...
    short = [
        dataclasses.replace(make_episode("click", i), steps=make_episode("click", i).steps[:1])
        for i in range(3)
    ]
    ds = ArrayDataset.from_trajectories([long, *short], CFG)  # ... and three one-step ones
    n_long = len(long.steps)
    assert n_long >= 6 and list(ds.episode_lengths) == [n_long] * n_long + [1, 1, 1]

    def share_of_long(balance: str) -> float:
        src = FixedSource(ds, 50, seed=0, balance=balance)
        steps = np.concatenate([src.next_batch()["step"] for _ in range(40)])
        return float((steps > 0).mean())  # only the long episode has steps past its first

    # By example the long episode gets (n-1)/(n+3) of the draws beyond its first step; by episode a
    # quarter of all draws go to it, (n-1)/n of those beyond its first step.
    assert abs(share_of_long("example") - (n_long - 1) / (n_long + 3)) < 0.05
    assert abs(share_of_long("episode") - 0.25 * (n_long - 1) / n_long) < 0.05
    a = FixedSource(ds, 7, seed=2, balance="episode")
    for _ in range(3):
        a.next_batch()
    b = FixedSource(ds, 7, seed=2, balance="episode")
    b.restore(a.state())
    np.testing.assert_array_equal(a.next_batch()["step"], b.next_batch()["step"])
    # Another process's source (its own seed) resumed from process 0's state keeps its own order.
    other, other_ref = (
        FixedSource(ds, 7, seed=3, balance="episode"),
        FixedSource(ds, 7, seed=3, balance="episode"),
    )
    for _ in range(4):  # ``a`` has taken four batches by now
        other_ref.next_batch()
    other.restore(a.state())
    np.testing.assert_array_equal(other.next_batch()["step"], other_ref.next_batch()["step"])
    with pytest.raises(ValueError, match="balance='task'"):
        FixedSource(ds, 7, seed=0, balance="task")


def test_focus_draws_the_tasks_validation_finds_weak_and_resumes_exactly() -> None:
    ds = ArrayDataset.from_trajectories(make_episodes(8), CFG)  # click 2, form 3, scroll 2, drag 2 steps

    src = FixedSource(ds, 40, seed=1, balance="episode", focus=0.8)
    assert src.mix is not None and src.mix.env_ids == ["test/click", "test/drag", "test/form", "test/scroll"]
    np.testing.assert_allclose(src.mix.probabilities, 0.25)  # by episode: every task alike to begin with
    even = np.concatenate([src.next_batch()["step"] for _ in range(60)])
    src.mix.update(
        {
            "val_task/test/click": {"type_acc": 1.0, "pointer_acc": 1.0},
            "val_task/test/drag": {"type_acc": 1.0, "pointer_acc": 1.0},
            "val_task/test/form": {"type_acc": 0.5, "pointer_acc": 0.5, "span_acc": 0.5},
            "val_task/test/scroll": {"type_acc": 1.0, "pointer_acc": 1.0},
        }
    )
    # Only form is wrong: it gets 0.2 / 4 + 0.8 of the draws; its episodes are the only three-step ones.
    np.testing.assert_allclose(src.mix.probabilities, [0.05, 0.05, 0.85, 0.05])
    focused = np.concatenate([src.next_batch()["step"] for _ in range(60)])
    assert (focused == 2).mean() > 0.25 > 0.12 > (even == 2).mean()  # third steps: 0.85/3 vs 0.25/3
    # A resumed source draws what the first would have, task shares included.
    again = FixedSource(ds, 40, seed=1, balance="episode", focus=0.8)
    again.restore(src.state())
    np.testing.assert_array_equal(again.next_batch()["step"], src.next_batch()["step"])
    np.testing.assert_allclose(again.mix.probabilities, src.mix.probabilities)  # type: ignore[union-attr]


def test_task_mix_scores_a_drill_by_the_task_it_imitates_and_keeps_given_shares() -> None:
    from deskpilot.policies.sources import TaskMix

    mix = TaskMix(["drill-a", "drill-b"], focus=0.5, shares=[3, 1], judged_by=["a", "b"])
    np.testing.assert_allclose(mix.probabilities, [0.75, 0.25])
    mix.update({"val_task/a": {"pointer_acc": 1.0}, "val_task/b": {"pointer_acc": 0.0}})
    np.testing.assert_allclose(mix.probabilities, [0.375, 0.125 + 0.5])
    with pytest.raises(ValueError, match="one non-negative share and one validation row per task"):
        TaskMix(["a", "b"], focus=0.5, judged_by=["a"])


def test_task_mix_by_episodes_weighs_a_long_task_by_its_chance_of_a_whole_episode_right() -> None:
    from deskpilot.policies.sources import TaskMix

    rows = {  # "long": 7-step episodes at 80% a step; "short": 1-step episodes at 60%
        "val_task/long": {"pointer_acc": 0.8, "exact": 0.8, "examples": 70, "episodes": 10.0},
        "val_task/short": {"pointer_acc": 0.6, "exact": 0.6, "examples": 10, "episodes": 10.0},
    }
    by_heads, by_episodes = TaskMix(["long", "short"], 1.0), TaskMix(["long", "short"], 1.0, by="episodes")
    by_heads.update(rows)
    by_episodes.update(rows)
    np.testing.assert_allclose(by_heads.probabilities, [0.2 / 0.6, 0.4 / 0.6])
    long_error = 1 - 0.8**7
    np.testing.assert_allclose(
        by_episodes.probabilities, [long_error / (long_error + 0.4), 0.4 / (long_error + 0.4)]
    )
    with pytest.raises(ValueError, match="focus by"):
        TaskMix(["a"], 0.5, by="steps")


def _endless_episodes():
    """The fake episodes, four new ones a seed, for as long as a producer asks."""
    seed = 0
    while True:
        yield from make_episodes(4, seed)
        seed += 1


def test_streaming_source_batches_from_fresh_episodes() -> None:
    source = StreamingSource(_endless_episodes(), CFG, batch_size=8, seed=0, capacity=64)
    try:
        for _ in range(5):
            batch = source.next_batch()
            assert batch["screen"].shape == (8, 210, 160, 3)
        assert source.produced >= 8
    finally:
        source.close()
    assert not any(t is source._thread for t in threading.enumerate())


def test_a_streaming_source_below_one_fresh_example_each_takes_in_fewer() -> None:
    longest = max(len(t.steps) for t in make_episodes(4, 0))
    source = StreamingSource(_endless_episodes(), CFG, batch_size=8, seed=0, capacity=64, fresh=0.25)
    try:
        assert source.next_batch()["screen"].shape == (8, 210, 160, 3)
        assert source.size >= 8  # the first batch is drawn from a batch's worth
        first = source.produced
        for _ in range(20):
            deadline = time.monotonic() + 60.0  # the producer is ahead: it has filled its queue
            while not source._queue.full() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert source._queue.full()
            source.next_batch()
        # Each batch takes in episodes until 2 new examples (a quarter of the batch) came in, though
        # more wait: at 1 it would be 8 or more.
        assert 20 * 2 <= source.produced - first <= 20 * (2 - 1 + longest)
    finally:
        source.close()


@pytest.mark.parametrize(("balance", "low", "high"), [("episode", 0.12, 0.21), ("example", 0.21, 0.30)])
def test_streaming_source_can_weigh_every_episode_alike(balance, low, high) -> None:
    import dataclasses

    def episodes():
        for seed in range(10**6):  # one-step clicks and three-step forms (click, type, enter), in turn
            click = make_episode("click", seed)
            yield dataclasses.replace(click, steps=click.steps[:1])
            yield make_episode("form", seed)

    source = StreamingSource(episodes(), CFG, batch_size=32, seed=0, capacity=256, balance=balance)
    try:
        typed = np.mean([source.next_batch()["w_span"].mean() for _ in range(60)])
    finally:
        source.close()
    # TYPE is one step of each form: 1/6 of draws when both episode kinds weigh alike, 1/4 by step.
    assert low < typed < high


def test_streaming_source_task_balance_keeps_each_tasks_steps_in_proportion() -> None:
    import dataclasses

    def episodes():
        # Task "test/mixed": a one-step click, then a three-step form (click, type, enter); task
        # "test/scroll": two one-step scrolls. Both tasks have as many episodes.
        for seed in range(10**6):
            click = make_episode("click", seed)
            yield dataclasses.replace(
                click, steps=click.steps[:1], meta=dataclasses.replace(click.meta, env_id="test/mixed")
            )
            form = make_episode("form", seed)
            yield dataclasses.replace(form, meta=dataclasses.replace(form.meta, env_id="test/mixed"))
            for n in (0, 1):
                scroll = make_episode("scroll", 2 * seed + n)
                yield dataclasses.replace(scroll, steps=scroll.steps[:1])

    source = StreamingSource(episodes(), CFG, batch_size=32, seed=0, capacity=256, balance="task")
    try:
        batches = [source.next_batch() for _ in range(60)]
    finally:
        source.close()
    scrolled = np.concatenate([b["w_scroll"] for b in batches]) > 0
    typed = np.concatenate([b["w_span"] for b in batches]) > 0
    # Each task half the draws (by step the scroll task would get 1/3) ...
    assert 0.42 < scrolled.mean() < 0.58
    # ... and within "test/mixed" its steps as the data has them: TYPE is 1 of 4 (1/6 by episode).
    assert 0.20 < typed[~scrolled].mean() < 0.30


def test_streaming_source_reports_a_failing_producer() -> None:
    def broken():
        yield make_episode("click", 0)
        raise OSError("renderer crashed")

    source = StreamingSource(broken(), CFG, batch_size=8, seed=0, capacity=64, start_timeout=10)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        for _ in range(3):
            source.next_batch()
    source.close()


def test_bench_train_rows() -> None:
    from deskpilot.policies.bench import bench_train, cpu_ticks

    rows = bench_train(seconds=0.0, config_name="tiny", matmul_n=256)
    units = ["ex/s", "ms", "GFLOP", "GFLOP/s", "GFLOP/s", "%", "x", "ex/s"]
    assert [unit for _, _, unit in rows[:8]] == units
    assert all(value > 0 for _, value, _ in rows[:8])
    # Where /proc/stat is readable, one more row: the hypervisor's share of the CPU while timing
    extra = rows[8:]
    assert len(extra) == (cpu_ticks() is not None)
    assert all(unit == "%" and 0 <= value <= 100 for _, value, unit in extra)


def test_boxes_smaller_than_a_cell_still_name_the_cell_under_them() -> None:
    from deskpilot.policies.data import encode_targets
    from deskpilot.policies.pointing import point_to_cell
    from deskpilot.policies.reading_targets import letter_bits

    # A word whose ink box holds no cell centre (x 41..45 px, y 49..53 px of 160 x 210).
    word = {"box": [41 / 160, 49 / 210, 45 / 160, 53 / 210], "label": "Ox", "role": "text"}
    button = {"box": [0.5, 0.5, 0.9, 0.6], "label": "ok", "role": "button"}
    out = encode_targets(Action.click(0.7, 0.55), {"elements": [word, button]}, np.zeros(CFG.task_len), CFG)
    cell = point_to_cell(43 / 160, 51 / 210, CFG)
    assert out["cell_letters"][cell] == letter_bits("ox")
    assert (out["cell_letters"] == letter_bits("ox")).sum() == 1
    assert out["pointer"].sum() > 1 and out["letters"] == letter_bits("ok")


def test_cells_of_words_the_task_mentions_are_marked() -> None:
    from deskpilot.policies.data import encode_targets, words
    from deskpilot.policies.tokenizer import encode_padded

    assert words('Click on the link "velit,".') == {"click", "on", "the", "link", "velit"}
    elements = [
        {"box": [0.1, 0.3, 0.3, 0.36], "label": "velit,", "role": "text"},  # mentioned (punctuation aside)
        {"box": [0.4, 0.3, 0.6, 0.36], "label": "Neque", "role": "text"},
        {"box": [0.1, 0.3, 0.3, 0.36], "label": "velit,", "role": "link"},  # widgets do not count
        {"box": [0.0, 0.5, 1.0, 0.9], "label": "Click", "role": "button"},
    ]
    task = encode_padded('Click on the link "Velit,".', CFG.task_len)[0]
    out = encode_targets(Action.click(0.2, 0.33), {"elements": elements}, task, CFG)
    centres = cell_centres(CFG)
    in_word = (centres[:, 0] >= 0.1) & (centres[:, 0] < 0.3) & (centres[:, 1] >= 0.3) & (centres[:, 1] < 0.36)
    assert in_word.any() and out["w_cell_match"] == 1.0
    np.testing.assert_array_equal(out["cell_match"], in_word)
    in_other = (
        (centres[:, 0] >= 0.4) & (centres[:, 0] < 0.6) & (centres[:, 1] >= 0.3) & (centres[:, 1] < 0.36)
    )
    # "velit" is the task's 5th word; "Neque" is not in it; widgets and background carry no word
    np.testing.assert_array_equal(out["cell_word_id"], np.where(in_word, 5, np.where(in_other, 0, -1)))
    ids = out["task_word_id"][: len(b'Click on the link "Velit,".')]
    assert list(ids) == [1] * 5 + [0] + [2] * 2 + [0] + [3] * 3 + [0] + [4] * 4 + [0, 0] + [5] * 5 + [0] * 3


def test_every_cell_of_a_tick_box_carries_its_caption_word_and_its_tick() -> None:
    from deskpilot.policies.data import encode_targets
    from deskpilot.policies.tokenizer import encode_padded

    named = {"box": [0.1, 0.2, 0.6, 0.27], "label": "Alpha", "role": "checkbox", "checked": True}
    other = {"box": [0.1, 0.3, 0.6, 0.37], "label": "Beta", "role": "checkbox", "checked": False}
    caption = {"box": [0.25, 0.21, 0.4, 0.26], "label": "Alpha", "role": "text"}
    task = encode_padded("Select 'alpha' and nothing else.", CFG.task_len)[0]
    out = encode_targets(Action.click(0.3, 0.23), {"elements": [caption, named, other]}, task, CFG)
    centres = cell_centres(CFG)

    def in_box(b: list[float]) -> np.ndarray:
        x, y = centres[:, 0], centres[:, 1]
        return (x >= b[0]) & (x < b[2]) & (y >= b[1]) & (y < b[3])

    # the square's cells too, not only the caption's ink; the unnamed box's cells are a word (id 0)
    np.testing.assert_array_equal(out["cell_match"], in_box(named["box"]))
    assert in_box(named["box"]).sum() > in_box(caption["box"]).sum() > 0
    expected = np.where(in_box(named["box"]), 2, np.where(in_box(other["box"]), 0, -1))
    np.testing.assert_array_equal(out["cell_word_id"], expected)
    np.testing.assert_array_equal(out["cell_ticked"] == 1, in_box(named["box"]))


def test_every_box_listed_as_a_right_click_is_a_pointer_target() -> None:
    from deskpilot.policies.data import encode_targets

    left = {"box": [0.0, 0.3, 0.3, 0.4], "label": "AA", "role": "label"}
    right = {"box": [0.6, 0.3, 0.9, 0.4], "label": "BB", "role": "label"}
    annotations = {"elements": [left, right], "targets": [left["box"], right["box"]]}
    out = encode_targets(Action.click(0.1, 0.35), annotations, np.zeros(CFG.task_len, np.int32), CFG)
    centres = cell_centres(CFG)

    def in_box(b: list[float]) -> np.ndarray:
        x, y = centres[:, 0], centres[:, 1]
        return (x >= b[0]) & (x < b[2]) & (y >= b[1]) & (y < b[3])

    np.testing.assert_array_equal(out["pointer"], in_box(left["box"]) | in_box(right["box"]))
    only = encode_targets(
        Action.click(0.1, 0.35), {"elements": [left, right]}, np.zeros(CFG.task_len, np.int32), CFG
    )
    np.testing.assert_array_equal(only["pointer"], in_box(left["box"]))


def test_task_mix_draws_weak_tasks_more_and_never_starves_any() -> None:
    from deskpilot.policies.sources import TaskMix

    mix = TaskMix(["a", "b", "c"], focus=0.6)
    assert np.allclose(mix.probabilities, 1 / 3)
    mix.update(
        {
            "val": {"type_acc": 0.8},
            "val_task/a": {"type_acc": 1.0, "pointer_acc": 1.0, "examples": 9},
            "val_task/b": {"type_acc": 1.0, "pointer_acc": 0.5, "examples": 9},
            "val_task/c": {"type_acc": 0.5, "pointer_acc": 0.5, "examples": 9},
        }
    )
    # errors 0, 0.25, 0.5 -> 0.4 / 3 evenly plus 0.6 * (0, 1/3, 2/3)
    np.testing.assert_allclose(mix.probabilities, [0.4 / 3, 0.4 / 3 + 0.2, 0.4 / 3 + 0.4])
    with pytest.raises(ValueError, match="focus"):
        TaskMix(["a"], focus=1.5)


def test_each_glyph_of_a_word_is_a_target_at_its_place_on_the_word_rows() -> None:
    from deskpilot.policies.data import encode_targets
    from deskpilot.policies.model import FIRST_CHAR, NUM_CHARS, NUM_GLYPHS
    from deskpilot.policies.reading_targets import char_class, glyph_centres

    # "moon" drawn 40 px wide from x = 40 px, on cell rows 6..7 (y 48..64 px of 210)
    word = {"box": [40 / 160, 48 / 210, 80 / 160, 64 / 210], "label": "Mo-n", "role": "text"}
    button = {"box": [0.5, 0.8, 0.9, 0.9], "label": "ok", "role": "button"}  # widgets carry no glyphs
    out = encode_targets(Action.click(0.7, 0.85), {"elements": [word, button]}, np.zeros(CFG.task_len), CFG)
    glyphs = out["cell_glyphs"].reshape(*CFG.grid, 2)
    assert out["w_cell_glyphs"] == 1.0
    rows = np.nonzero((glyphs >= 0).any((1, 2)))[0]
    assert rows.tolist() == [6, 7]
    for row in rows:
        halves = glyphs[row].reshape(-1)  # one entry per 4-px column
        placed = [(int(i), int(c)) for i, c in enumerate(halves) if 0 <= c < NUM_GLYPHS - 1]
        assert [c for _, c in placed] == [12, 14, NUM_GLYPHS - 2, 13]  # m o (other glyph) n, in order
        assert all(10 <= i < 20 for i, _ in placed)  # inside the word's 40..80 px
        assert set(halves[10:20]) - {c for _, c in placed} <= {NUM_GLYPHS - 1}  # the rest: no glyph
    assert (glyphs[:6] == -1).all() and (glyphs[8:] == -1).all()  # away from words: not trained
    # The exact classes stand where the case-folded ones do, each its own byte.
    chars = out["cell_chars"].reshape(*CFG.grid, 2)
    assert out["w_cell_chars"] == 1.0 and ((chars >= 0) == (glyphs >= 0)).all()
    for row in rows:
        halves = chars[row].reshape(-1)
        assert [chr(c + FIRST_CHAR) for c in halves if 0 <= c < NUM_CHARS - 1] == ["M", "o", "-", "n"]
        assert set(halves[glyphs[row].reshape(-1) == NUM_GLYPHS - 1]) == {NUM_CHARS - 1}
    assert [char_class(c) for c in "A~é"] == [ord("A") - FIRST_CHAR, ord("~") - FIRST_CHAR, NUM_CHARS - 2]
    fracs = [f for f, _ in glyph_centres("Mo-n")]
    assert fracs == sorted(fracs) and 0 < fracs[0] < fracs[-1] < 1


def test_a_typed_text_drawn_on_the_page_is_looked_for_where_each_byte_is_drawn() -> None:
    from deskpilot.policies.data import encode_targets
    from deskpilot.policies.reading_targets import LOOK_ROWS

    cfg = dataclasses.replace(CFG, typed_len=10)
    cols = cfg.grid[1]
    box = lambda x0, x1: [x0 / 160, 48 / 210, x1 / 160, 64 / 210]  # noqa: E731  (cell rows 6..7)
    words = [
        ("The", box(4, 24)),
        ("potenti.", box(28, 68)),
        *(
            (c, box(80 + 8 * i, 86 + 8 * i))
            for i, c in enumerate("YMek")  # a letter per element
        ),
    ]
    elements = [{"box": b, "label": label, "role": "text"} for label, b in words]
    task = np.zeros(cfg.task_len)

    def look(text: str) -> np.ndarray:
        out = encode_targets(Action.type_text(text), {"elements": elements}, task, cfg)
        assert (
            out["text_look"].shape == (10, LOOK_ROWS) and out["w_text_look"] == (out["text_look"] >= 0).any()
        )
        return out["text_look"]

    found = look("potenti")
    assert (found[:7, :2] >= 0).all() and (found[:, 2] == -1).all() and (found[7:] == -1).all()
    assert (found[:7, 1] - found[:7, 0] == 2 * cols).all()  # the same half on both rows of the line
    columns = found[:7, 0] % (2 * cols)
    assert (np.diff(columns) >= 0).all() and columns[0] >= 28 // 4 and columns[-1] < 68 // 4
    letters = look("YMek")
    assert [int(h) % (2 * cols) for h in letters[:4, 0]] == [(83 + 8 * i) // 4 for i in range(4)]
    for absent in ("tent", "Zed", "The potenti"):  # not from a word's start, not drawn, a space
        assert (look(absent) == -1).all()


def test_a_slider_marks_each_value_column_on_the_row_of_its_ticks() -> None:
    from deskpilot.policies.data import encode_targets

    # A slider over x 40..120 px, y 64..78 px (ticks on its last pixel rows 76-77: cell row 9),
    # values 0..4 every 20 px from 42 px.
    columns = [42, 62, 82, 102, 118]
    slider = {
        "box": [40 / 160, 64 / 210, 120 / 160, 78 / 210],
        "label": "v",
        "role": "slider",
        "values": [(c + 0.5) / 160 for c in columns],
    }
    button = {"box": [0.5, 0.8, 0.9, 0.9], "label": "ok", "role": "button"}
    out = encode_targets(Action.click(0.7, 0.85), {"elements": [slider, button]}, np.zeros(CFG.task_len), CFG)
    marks = out["cell_marks"].reshape(CFG.grid[0], -1)  # one entry per 4-px column
    assert out["w_cell_marks"] == 1.0
    assert np.nonzero((marks > 0).any(1))[0].tolist() == [9]
    assert np.nonzero(marks[9] == 1)[0].tolist() == [c // 4 for c in columns]
    assert set(np.nonzero(marks[9] == 2)[0]) == set(range(10, 30)) - {c // 4 for c in columns}
    none = encode_targets(Action.click(0.7, 0.85), {"elements": [button]}, np.zeros(CFG.task_len), CFG)
    assert none["w_cell_marks"] == 1.0 and not none["cell_marks"].any()  # no slider: no marks anywhere
    unknown = encode_targets(Action.click(0.7, 0.85), {}, np.zeros(CFG.task_len), CFG)
    assert unknown["w_cell_marks"] == 0.0  # without the renderer's elements nothing is known
