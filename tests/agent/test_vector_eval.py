import zlib

import numpy as np
import pytest

from deskpilot.agent.evaluate import evaluate
from deskpilot.agent.vector_eval import SlotActors
from deskpilot.collectors.collect import EVAL_SEED_OFFSET
from deskpilot.envs import Action
from deskpilot.envs.synthetic.env import SyntheticEnv
from deskpilot.envs.synthetic.expert import ExpertActor
from deskpilot.policies.actor import PolicyBatchActor, Predictor
from deskpilot.policies.config import get_config
from deskpilot.policies.numpy_init import init_params

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-shortcut-v0"]
MAX_STEPS = 6


class Moody:
    """Deterministic, stateful and mixed: per episode (chosen from the first task it sees) it solves
    the task, says DONE after two waits, clicks the middle of the window, or waits to truncation.
    A slot that was not reset keeps its old mood and step count, so results would change."""

    def __init__(self):
        self.expert = ExpertActor()
        self.mood = None
        self.t = 0

    def reset(self):
        self.mood, self.t = None, 0

    def act(self, observation, info):
        if self.mood is None:
            self.mood = zlib.crc32(observation["task"].encode()) % 4
        self.t += 1
        if self.mood == 0:
            return self.expert.act(observation, info)
        if self.mood == 1:
            return Action.done() if self.t > 2 else Action.wait()
        if self.mood == 2:
            return Action.click(0.5, 0.5)
        return Action.wait()


class CountingSlots(SlotActors):
    """Records how many envs each tick decided for."""

    def __init__(self, make_actor, num_slots):
        super().__init__(make_actor, num_slots)
        self.batch_sizes = []

    def act_batch(self, observations, infos, slots):
        self.batch_sizes.append(len(slots))
        return super().act_batch(observations, infos, slots)


def _run(actor, num_envs, episodes=5, **kwargs):
    seen = []
    report = evaluate(
        actor,
        ENVS,
        episodes=episodes,
        seed=11,
        env_kwargs={"max_steps": MAX_STEPS},
        keep_failures=2,
        keep_successes=2,
        progress=lambda env_id, ep: seen.append((env_id, ep)),
        num_envs=num_envs,
        **kwargs,
    )
    return report, seen


def _summary(seen):
    return [
        (env_id, ep.trajectory.meta.seed, ep.trajectory.task, ep.end, [s.action for s in ep.trajectory.steps])
        for env_id, ep in seen
    ]


def test_vectorised_matches_sequential_episode_by_episode(monkeypatch):
    closed = []
    real_close = SyntheticEnv.close
    monkeypatch.setattr(SyntheticEnv, "close", lambda self: closed.append(self) or real_close(self))

    seq_report, seq = _run(Moody(), 1)
    assert len(closed) == 2
    batch_actor = CountingSlots(Moody, 3)
    vec_report, vec = _run(batch_actor, 3)
    assert len(closed) == 2 + 2 * 3  # three envs per task, all closed at the end

    # episode i of each task ran on its held-out seed, and progress saw them in order
    assert [(e, ep.trajectory.meta.seed) for e, ep in vec] == [
        (e, EVAL_SEED_OFFSET + 11 + i) for e in ENVS for i in range(5)
    ]
    assert _summary(vec) == _summary(seq)
    for (_, a), (_, b) in zip(seq, vec, strict=True):
        assert len(a.trajectory.steps) <= MAX_STEPS  # env_kwargs reached the envs
        assert a.trajectory.meta.env_id == b.trajectory.meta.env_id
        assert all(
            np.array_equal(x.screenshot, y.screenshot) and x.annotations == y.annotations
            for x, y in zip(a.trajectory.steps, b.trajectory.steps, strict=True)
        )
        # both loops keep what env.step returned, and the last step says how the episode ended
        assert [(s.reward, s.terminated, s.truncated) for s in a.trajectory.steps] == [
            (s.reward, s.terminated, s.truncated) for s in b.trajectory.steps
        ]
        last = b.trajectory.steps[-1]
        assert last.terminated or last.truncated
    assert vec_report.to_json() == seq_report.to_json()
    assert {(t.env_id, t.successes, t.steps) for t in vec_report.tasks.values()} == {
        (t.env_id, t.successes, t.steps) for t in seq_report.tasks.values()
    }
    assert [ep.trajectory.meta.seed for ep in vec_report.failures + vec_report.successes] == [
        ep.trajectory.meta.seed for ep in seq_report.failures + seq_report.successes
    ]
    # the comparison means something: episodes ended in several ways, and the envs really ran
    # side by side, including ticks with fewer envs than slots (the last episodes of a task)
    ends = {ep.end for _, ep in seq}
    assert {"success", "done", "truncated"} <= ends, ends
    assert max(batch_actor.batch_sizes) == 3 and min(batch_actor.batch_sizes) < 3


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    config = get_config("tiny")
    return Predictor(config, *init_params(config.model, 0))


def test_policy_batch_actor_compiles_once_over_a_vectorised_evaluation(predictor):
    actor = PolicyBatchActor(predictor, 3)
    sizes = []
    real_act_batch = actor.act_batch

    def spy(observations, infos, slots):
        sizes.append(len(slots))
        return real_act_batch(observations, infos, slots)

    actor.act_batch = spy
    report, seen = _run(actor, 3)
    _run(actor, 3, episodes=2)  # only two envs per task: every call is padded
    assert sum(t.episodes for t in report.tasks.values()) == 10 and len(seen) == 10
    assert 2 in sizes and max(sizes) == 3
    assert actor.predictor.fn._cache_size() == 1


def test_policy_batch_actor_keeps_one_history_per_slot(predictor):
    actor = PolicyBatchActor(predictor, 3)
    obs = {"screenshot": np.full((210, 160, 3), 128, np.uint8), "task": "Click 'ok'."}
    first = actor.act_batch([obs, obs], [{}, {}], [2, 0])
    second = actor.act_batch([obs], [{}], [2])
    assert actor.histories == [[first[1]], [], [first[0], second[0]]]
    actor.reset(2)
    assert actor.histories == [[first[1]], [], []]
    with pytest.raises(ValueError, match="slots"):
        actor.act_batch([obs], [{}], [3])
    with pytest.raises(ValueError, match="slots"):
        actor.act_batch([obs, obs], [{}, {}], [1, 1])
    with pytest.raises(ValueError, match="num_slots"):
        PolicyBatchActor(predictor, 0)


def test_num_envs_is_validated():
    with pytest.raises(ValueError, match="num_envs"):
        evaluate(SlotActors(Moody, 1), ENVS, episodes=2, num_envs=0)
    with pytest.raises(TypeError, match="BatchActor"):
        evaluate(Moody(), ENVS, episodes=2, num_envs=2)
    # MiniWoB envs share one browser per process: refused before any env (or browser) is made
    with pytest.raises(ValueError, match="num_envs=1"):
        evaluate(SlotActors(Moody, 2), ["deskpilot/miniwob-click-test-v0"], episodes=2, num_envs=2)
