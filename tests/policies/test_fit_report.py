"""Training episodes scored beside validation at the end of a run: memorised against not learnt."""

from __future__ import annotations

import json
import logging
from collections import Counter

from deskpilot.collectors.collect import CollectConfig, collect
from deskpilot.policies import assemble
from deskpilot.policies.config import get_config, override
from deskpilot.policies.data import split_by_episode
from tests.policies.fakes import make_episodes

TASKS = ["deskpilot/mock-shortcut-v0", "deskpilot/mock-focus-type-v0"]


def test_a_run_on_a_dataset_scores_training_episodes_like_its_validation(tmp_path, caplog) -> None:
    collect(CollectConfig(",".join(TASKS), episodes=6, out=tmp_path / "data", seed=0), TASKS)
    config = override(get_config("tiny"), ["steps=2", "eval_every=1", "val_fraction=0.4", "log_every=1000"])
    with caplog.at_level(logging.INFO, logger="deskpilot.policies.assemble"):
        report = assemble.train_from_directory(tmp_path / "data", tmp_path / "run", config, progress=False)
    for task in TASKS:
        fit, val = report[f"fit_task/{task}"], report[f"val_task/{task}"]
        # As many episodes of each task as validation has (each 1-step episode counts 1).
        assert fit["episodes"] == val["episodes"] > 0
        assert 0.0 <= fit["exact"] <= 1.0
    assert report["fit"]["examples"] == sum(report[f"fit_task/{t}"]["examples"] for t in TASKS)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert "fit" in rows[-1] and rows[-1]["step"] == 2  # logged once, after the last validation
    assert sum("fit" in r for r in rows) == 1
    # The random model fits nothing: every task is named as not fitted.
    assert all(task in caplog.text for task in TASKS) and "not fitted" in caplog.text


def test_the_training_sample_matches_validation_task_by_task_and_never_holds_a_validation_episode() -> None:
    episodes = make_episodes(40)
    train, val = split_by_episode(episodes, 0.25, seed=0)
    drawn = assemble.like_validation(train, val, seed=3)
    want = Counter(t.meta.env_id for t in val)
    assert Counter(t.meta.env_id for t in drawn) == want
    assert {id(t) for t in drawn} <= {id(t) for t in train}
    assert assemble.like_validation(train, val, seed=3) == drawn  # seeded
    assert assemble.like_validation(train, [], seed=3) == []


def test_findings_name_the_memorised_and_the_unfitted_tasks() -> None:
    report = {
        "val_task/a": {"exact": 0.5},
        "fit_task/a": {"exact": 0.95},  # memorised: right on its training screens only
        "val_task/b": {"exact": 0.6},
        "fit_task/b": {"exact": 0.65},  # not learnt: wrong on its own training screens too
        "val_task/c": {"exact": 0.97},
        "fit_task/c": {"exact": 1.0},  # neither
        "val_task/d": {"exact": 0.9},
        "fit_task/d": {"exact": 0.898},  # not fitted, however close
    }
    lines = assemble.fit_findings(report)
    assert lines == [
        "memorised (exact on training episodes vs validation): a 0.950 vs 0.500",
        "not fitted (exact below 0.9 on its own training episodes): b 0.650, d 0.898",
    ]
    assert assemble.fit_findings({"val_task/c": {"exact": 1.0}}) == []
