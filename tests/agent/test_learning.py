"""The learning test: the ``tiny`` model, trained briefly on two easy tasks, really solves them.

Fixed seeds everywhere (collection, initialisation, data order, evaluation). Measured with today's
model on 100 episodes per task: shortcut and focus-type both 100% held-out success after 300, 400,
600 and 1,000 steps (400 steps with seed 1 as well); an untrained model scores 0% on both (it says
DONE or types nothing useful). The thresholds leave room for platform-level float differences, not
for a model that stopped learning.
"""

import pytest

from deskpilot.agent.evaluate import evaluate
from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.policies.actor import PolicyActor
from deskpilot.policies.config import get_config, override
from deskpilot.policies.train import train_from_directory

pytestmark = pytest.mark.slow

TASKS = ["deskpilot/mock-shortcut-v0", "deskpilot/mock-focus-type-v0"]


def test_tiny_learns_two_easy_tasks(tmp_path):
    data = tmp_path / "data"
    collect(CollectConfig(TASKS[0], episodes=100, out=data, seed=0), TASKS)
    config = override(
        get_config("tiny"),
        [
            "steps=400",
            "val_fraction=0",
            "seed=0",
            "log_every=1000",
            "eval_every=100000",
            "checkpoint_every=100000",
        ],
    )
    train_from_directory(data, tmp_path / "run", config, progress=False)
    report = evaluate(PolicyActor.from_checkpoint(tmp_path / "run"), TASKS, episodes=30, seed=0)
    rates = {env_id: t.success_rate for env_id, t in report.tasks.items()}
    assert rates[TASKS[0]] >= 0.9, rates
    assert rates[TASKS[1]] >= 0.7, rates
