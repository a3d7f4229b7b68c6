import json

import pytest

from deskpilot.agent.pipeline import DemoConfig, run_demo

pytestmark = pytest.mark.slow


def test_demo_pipeline_end_to_end_with_tiny_budgets(tmp_path):
    """The main job's code path (collect, train, evaluate, table, GIFs) on a tiny budget."""
    logs = []
    config = DemoConfig(
        out=tmp_path,
        env="deskpilot/mock-easy",
        episodes=3,
        workers=1,
        config="tiny",
        minutes=0.05,
        eval_episodes=2,
    )
    report = run_demo(config, log=logs.append)
    assert set(report.tasks) == {"deskpilot/mock-click-button-v0", "deskpilot/mock-context-menu-v0"}
    assert all(t.episodes == 2 for t in report.tasks.values())
    saved = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert saved["mean_success"] == report.mean_success
    assert len(list((tmp_path / "data").iterdir())) == 6
    assert list((tmp_path / "eval").glob("*.gif"))
    assert "Expect about" in logs[0] and any("trained" in line for line in logs)
    # Re-running resumes: nothing is collected twice and training continues from its checkpoint.
    run_demo(config, log=logs.append)
    assert len(list((tmp_path / "data").iterdir())) == 6


def test_demo_config_is_validated():
    with pytest.raises(ValueError, match="minutes"):
        DemoConfig(minutes=0)
    with pytest.raises(ValueError, match="balance"):
        DemoConfig(balance="task")
