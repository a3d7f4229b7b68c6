import pytest

from deskpilot.agent.improve import DAGGER_SEED_BASE, ImproveConfig, improve
from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.collectors.reading import read_dataset
from deskpilot.policies.actor import PolicyActor
from deskpilot.policies.config import get_config, override
from deskpilot.policies.train import finetune, train_from_directory

pytestmark = pytest.mark.slow

TASKS = ("deskpilot/mock-click-button-v0",)


def test_dagger_round_labels_policy_states_and_fine_tunes(tmp_path):
    data, run = tmp_path / "data", tmp_path / "run"
    collect(CollectConfig(TASKS[0], episodes=6, out=data), list(TASKS))
    config = override(get_config("tiny"), ["steps=20", "val_fraction=0", "log_every=1000"])
    train_from_directory(data, run, config, progress=False)
    logs = []
    reports = improve(
        ImproveConfig(data, run, TASKS, rounds=1, episodes=3, minutes=0.05, eval_episodes=2),
        PolicyActor.from_checkpoint,
        finetune,
        log=logs.append,
    )
    assert len(reports) == 1 and reports[0].tasks[TASKS[0]].episodes == 2
    assert (tmp_path / "run-r1" / "eval.json").exists() and len(logs) == 2
    episodes = read_dataset(data).trajectories
    dagger = [t for t in episodes if t.meta.seed >= DAGGER_SEED_BASE]
    assert len(episodes) == 9 and len(dagger) == 3
    # Labels are the expert's (clicks), whatever the untrained policy did in those states.
    assert all(t.meta.source == "expert" and t.actions[-1].type.name == "CLICK" for t in dagger)
