"""Teach by showing on Xvfb: a scripted person records, the shipped weights are fine-tuned, the agent acts and stops."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from deskpilot.collectors.reading import read_dataset
from deskpilot.policies.actor import PolicyActor
from deskpilot.policies.assemble import choose_start
from deskpilot.policies.pretrained import PRETRAINED
from deskpilot.policies.train import train_from_directory

pytestmark = [pytest.mark.display, pytest.mark.slow]


def test_record_three_demonstrations_fine_tune_and_run_live(xvfb: str, tmp_path: Path) -> None:
    pytest.importorskip("tkinter", reason="tkinter (python3-tk) runs the example app")
    from examples.teach import person

    data = tmp_path / "data"
    for seed in range(3):
        app = person.App("button", seed)
        try:
            person.record(app, data, f"button-{seed}")
        finally:
            app.close()
    episodes = read_dataset(data).trajectories
    assert len(episodes) == 3 and all(t.success for t in episodes)
    assert all([a.type.name for a in t.actions] == ["CLICK", "DONE"] for t in episodes)

    # One chain: compiles 7 s sooner; the chained step has its own test (tests/policies/test_train.py).
    settings = ["train.batch_size=8", "train.eval_every=1000", "train.chains=1"]
    config, start, _ = choose_start(data, "small", settings, None)
    assert start == PRETRAINED
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, steps=60))
    train_from_directory(data, tmp_path / "run", config, init_from=start, progress=False)

    app = person.App("button", 1)  # a layout it was shown: this checks the mechanics, not generalisation
    try:
        attempt = person.attempt(PolicyActor.from_checkpoint(tmp_path / "run"), app, tmp_path / "live", 4)
    finally:
        app.close()
    assert attempt.success and attempt.stopped and attempt.steps == 2, attempt
