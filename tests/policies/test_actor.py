import gymnasium as gym
import numpy as np
import pytest

import deskpilot.envs  # noqa: F401 - registers the synthetic envs
from deskpilot.collectors.loop import run_episode
from deskpilot.envs.actions import KEY_COMBOS, Action, ActionType
from deskpilot.policies.actor import (
    VIEW_SHIFTS,
    PolicyActor,
    Predictor,
    choice_to_action,
    pooled_views,
    shifted_views,
)
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import ArrayDataset, encode_inputs
from deskpilot.policies.numpy_init import init_params
from deskpilot.policies.pointing import cell_to_point
from deskpilot.policies.sources import FixedSource
from deskpilot.policies.tokenizer import encode_padded
from deskpilot.policies.train import TrainData, train_and_evaluate
from tests.policies.fakes import make_episodes


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    config = get_config("tiny")
    return Predictor(config, *init_params(config.model, 0))


def test_compiles_once_over_a_long_episode(predictor) -> None:
    env = gym.make("deskpilot/mock-click-checkboxes-v0", max_steps=40)
    actor = PolicyActor(predictor)
    decisions = 0
    for seed in range(20):  # an untrained policy may end an episode early (DONE): run until 40 steps
        decisions += len(run_episode(env, actor, source="policy", seed=seed).trajectory.steps)
        if decisions >= 40:
            break
    assert decisions >= 40
    assert predictor.fn._cache_size() == 1
    env.close()


def test_sampling_uses_an_explicit_key(predictor) -> None:
    obs = {"screenshot": np.full((210, 160, 3), 128, np.uint8), "task": "Click 'ok'."}
    a, b, c = (PolicyActor(predictor, temperature=2.0, seed=s) for s in (1, 1, 2))
    runs = [[actor.act(obs) for _ in range(6)] for actor in (a, b, c)]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    greedy = PolicyActor(predictor)
    assert len({greedy.act(obs) for _ in range(3)}) >= 1
    with pytest.raises(ValueError, match="temperature"):
        PolicyActor(predictor, temperature=-1)


def test_views_move_the_screen_and_the_clicks_with_it() -> None:
    cfg = get_config("tiny").model
    h, w = cfg.obs_size
    screen = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    history = [Action.click(0.5, 0.5), Action.press("enter")]
    row = encode_inputs(screen, "Click 'ok'.", history, 2, cfg)
    views = shifted_views({k: v[None] for k, v in row.items()}, [(0, 0), (0, 3), (-3, 0)], cfg)
    assert views["screen"].shape == (3, h, w, 3)
    np.testing.assert_array_equal(views["screen"][0], screen)
    np.testing.assert_array_equal(views["screen"][1][:, 3:], screen[:, :-3])  # 3 px right
    np.testing.assert_array_equal(views["screen"][1][:, :3], np.repeat(screen[:, :1], 3, 1))  # edge fill
    np.testing.assert_array_equal(views["screen"][2][:-3], screen[3:])  # 3 px up
    clicked = int(np.flatnonzero(row["hist_type"] == row["hist_type"][-2])[0])
    xy = np.asarray(views["hist_xy"])
    np.testing.assert_allclose(xy[1, clicked, :2], [0.5 + 3 / w, 0.5], atol=1e-6)
    np.testing.assert_allclose(xy[2, clicked, :2], [0.5, 0.5 - 3 / h], atol=1e-6)
    np.testing.assert_array_equal(xy[:, -1], 0.0)  # the key press has no point to move
    np.testing.assert_array_equal(views["task"], np.stack([row["task"]] * 3))


def test_pooled_views_average_log_probabilities() -> None:
    # Two rows, two views each (view-major): row 0's views agree on class 0 by 0.9 and lean to class 1
    # by 0.7, so the pool keeps 0; row 1's second view is sure of 1 (0.99), which outweighs 0.6 for 0.
    probs = np.asarray([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.01, 0.99]], np.float32)
    names = ("pointer", "pointer2", "key", "scroll", "span_start", "span_end")
    out = {k: np.zeros((4, 3), np.float32) for k in names}
    # The written text is a sequence: the first view's, not a splice of both views' bytes.
    text = np.log(np.asarray([[[0.6, 0.4], [0.4, 0.6]]] * 2 + [[[0.1, 0.9], [0.9, 0.1]]] * 2, np.float32))
    out |= {"type": np.log(probs) + 5.0, "text": text}  # logits: any offset
    pooled = pooled_views(out, 2)
    np.testing.assert_allclose(pooled["type"], (np.log(probs[:2]) + np.log(probs[2:])) / 2, rtol=1e-5)
    assert np.argmax(pooled["type"], -1).tolist() == [0, 1]
    assert np.argmax(pooled["text"], -1).tolist() == [[0, 1], [0, 1]]
    assert pooled["pointer"].shape == (2, 3) and pooled["text"].shape == (2, 2, 2)


def test_views_of_a_plain_screen_decide_as_one_view(predictor) -> None:
    # A screen of one colour (and no clicks behind) looks the same from every view, so pooling must not
    # change a decision; and each row keeps its views to itself.
    cfg = predictor.config.model
    pooled = Predictor(predictor.config, predictor.graphdef, predictor.params, views=len(VIEW_SHIFTS))
    rows = [
        encode_inputs(np.full((*cfg.obs_size, 3), v, np.uint8), task, [Action.press("enter")], 1, cfg)
        for v, task in ((30, "Click 'ok'."), (220, "Type 'kiwi' and press enter"))
    ]
    batch = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    for one, many in zip(predictor(batch), pooled(batch), strict=True):
        assert one.keys() == many.keys()
        for key in one:
            np.testing.assert_array_equal(one[key], many[key])
    with pytest.raises(ValueError, match="views: expected 1 to 5, got 6"):
        Predictor(predictor.config, predictor.graphdef, predictor.params, views=6)


def test_choices_become_valid_actions() -> None:
    cfg = get_config("tiny").model
    task = "Type 'kiwi' into the box"
    ids = encode_padded(task, cfg.task_len)[0]
    base = {
        "type": 0,
        "pointer": cfg.num_cells - 1,
        "pointer2": 0,
        "key": 3,
        "scroll": 0,
        "span_start": 6,
        "span_end": 9,
    }
    click = choice_to_action(base, ids, task, cfg)
    assert click.type is ActionType.CLICK and click.point == cell_to_point(cfg.num_cells - 1, cfg)
    assert choice_to_action({**base, "type": 3}, ids, task, cfg) == Action.type_text("kiwi")
    # an empty span (padding) falls back to the quoted string
    assert (
        choice_to_action({**base, "type": 3, "span_start": 40, "span_end": 40}, ids, task, cfg).text == "kiwi"
    )
    assert choice_to_action({**base, "type": 4}, ids, task, cfg).key == KEY_COMBOS[3]
    assert choice_to_action({**base, "type": 5}, ids, task, cfg).scroll == -20
    assert choice_to_action({**base, "type": 6}, ids, task, cfg).end == cell_to_point(0, cfg)
    assert choice_to_action({**base, "type": 8}, ids, task, cfg) == Action.done()


def test_trained_actor_replays_its_episodes(tmp_path) -> None:
    config = override(get_config("tiny"), ["steps=120", "log_every=1000"])
    episodes = make_episodes(8)
    ds = ArrayDataset.from_trajectories(episodes, config.model)
    train_and_evaluate(config, TrainData(FixedSource(ds, 16, 0)), tmp_path, progress=False)
    actor = PolicyActor.from_checkpoint(tmp_path)
    for ep in episodes[:4]:
        actor.reset()
        for step in ep.steps:
            action = actor.act({"screenshot": step.screenshot, "task": ep.task})
            assert action.type == step.action.type
            assert action.text == step.action.text and action.key == step.action.key
