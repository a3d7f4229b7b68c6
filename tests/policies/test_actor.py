import gymnasium as gym
import numpy as np
import pytest

import deskpilot.envs  # noqa: F401 - registers the synthetic envs
from deskpilot.collectors.loop import run_episode
from deskpilot.envs.actions import KEY_COMBOS, Action, ActionType
from deskpilot.policies.actor import PolicyActor, Predictor, choice_to_action
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import ArrayDataset
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
