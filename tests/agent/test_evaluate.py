import json

import gymnasium as gym
import pytest

from deskpilot.agent.evaluate import evaluate, wilson_interval
from deskpilot.collectors.collect import EVAL_SEED_OFFSET
from deskpilot.envs import Action

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-enter-text-v0"]


class Expert:
    """The scripted expert, looked up per env from the info it is given (a perfect stub policy)."""

    def __init__(self):
        self.expert = gym.make(ENVS[0]).unwrapped.make_expert()

    def reset(self):
        self.expert.reset()

    def act(self, observation, info):
        return self.expert.act(observation, info)


class Quitter:
    def reset(self):
        pass

    def act(self, observation, info):
        return Action.done()


def test_wilson_interval():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(50, 50)
    assert high == pytest.approx(1.0) and 0.92 < low < 0.94
    low, high = wilson_interval(25, 50)
    assert low < 0.5 < high and high - low == pytest.approx(2 * (0.5 - low))


def test_expert_scores_100_and_quitter_0_with_failure_kinds(tmp_path):
    report = evaluate(Expert(), ENVS, episodes=6, seed=3, keep_failures=0, keep_successes=1)
    assert report.mean_success == 1.0
    assert {t.env_id: t.success_rate for t in report.tasks.values()} == dict.fromkeys(ENVS, 1.0)
    assert [t.ends["success"] for t in report.tasks.values()] == [6, 6]
    quit_report = evaluate(Quitter(), ENVS, episodes=4, keep_failures=2)
    assert quit_report.mean_success == 0.0
    assert all(t.ends == {"done": 4} for t in quit_report.tasks.values())
    assert len(quit_report.failures) == 4
    report.save(tmp_path / "eval.json")
    data = json.loads((tmp_path / "eval.json").read_text())
    assert data["mean_success"] == 1.0 and data["tasks"][0]["ci95"][1] == pytest.approx(1.0)
    gifs = quit_report.save_pictures(tmp_path / "pics") + report.save_pictures(tmp_path / "pics")
    assert len(gifs) == 6 and all(p.stat().st_size > 0 for p in gifs)


def test_evaluation_seeds_are_held_out(monkeypatch):
    seen = []
    real_reset = gym.wrappers.OrderEnforcing.reset

    def spy(self, *, seed=None, options=None):
        seen.append(seed)
        return real_reset(self, seed=seed, options=options)

    monkeypatch.setattr(gym.wrappers.OrderEnforcing, "reset", spy)
    evaluate(Quitter(), ENVS[:1], episodes=3, seed=7)
    assert seen == [EVAL_SEED_OFFSET + 7 + i for i in range(3)]


def test_report_lists_every_episode(tmp_path):
    report = evaluate(Quitter(), ENVS, episodes=2, seed=5)
    report.save(tmp_path / "eval.json")
    data = json.loads((tmp_path / "eval.json").read_text())
    # a plain actor has no run folder; deskpilot eval fills these in (tests/agent/test_run_eval.py)
    assert data["checkpoint"] is None and data["step"] is None
    assert data["episodes"] == [
        {"env_id": e, "seed": EVAL_SEED_OFFSET + 5 + i, "success": False, "steps": 1, "end": "done"}
        for e in ENVS
        for i in range(2)
    ]
