import json

import pytest

from deskpilot.agent.pipeline import DemoConfig, run_demo

pytestmark = pytest.mark.slow


def test_demo_pipeline_end_to_end_with_tiny_budgets(tmp_path):
    """The main job's code path (stream, train, evaluate, table, GIFs) on a tiny budget."""
    logs = []
    config = DemoConfig(out=tmp_path, env="deskpilot/mock-easy", config="tiny", minutes=0.05, eval_episodes=2)
    report = run_demo(config, log=logs.append)
    assert set(report.tasks) == {"deskpilot/mock-click-button-v0", "deskpilot/mock-context-menu-v0"}
    assert all(t.episodes == 2 for t in report.tasks.values())
    saved = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert saved["mean_success"] == report.mean_success
    assert saved["checkpoint"] == str((tmp_path / "run").resolve()) and saved["step"] >= 1  # traceable
    assert not (tmp_path / "data").exists()  # streamed: nothing collected to disk
    assert list((tmp_path / "eval").glob("*.gif"))
    assert "Expect about" in logs[0] and "GFLOP/s" in logs[0] and any("trained" in line for line in logs)


def test_demo_pipeline_on_a_fixed_dataset_resumes(tmp_path):
    """``data="fixed"``: collect, train, evaluate; a re-run collects nothing twice."""
    logs = []
    config = DemoConfig(
        out=tmp_path,
        env="deskpilot/mock-easy",
        data="fixed",
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
        DemoConfig(balance="steps")
    with pytest.raises(ValueError, match="balance='task'"):
        DemoConfig(balance="task", data="fixed")
    assert DemoConfig().train_balance == "task" and DemoConfig(data="fixed").train_balance == "episode"
    with pytest.raises(ValueError, match="data"):
        DemoConfig(data="disk")
    with pytest.raises(ValueError, match="unknown option 'start_tickd'"):
        DemoConfig(task_options={"click-checkboxes": {"start_tickd": 0.5}})
    with pytest.raises(ValueError, match="unknown task family"):
        DemoConfig(task_options={"click-boxes": {"start_ticked": 0.5}})


def test_the_demo_passes_task_options_to_the_synthetic_suite_only():
    from deskpilot.envs.synthetic import ENV_IDS

    config = DemoConfig(task_options={"click-checkboxes": {"start_ticked": 0.8}})
    options = {"task_options": {"click-checkboxes": {"start_ticked": 0.8}}}
    assert config.train_env_kwargs(list(ENV_IDS)) == options
    assert config.train_env_kwargs([*ENV_IDS, "deskpilot/miniwob-click-test-v0"]) == {}
    assert DemoConfig(task_options={}).train_env_kwargs(list(ENV_IDS)) == {}


def test_learning_curve_reads_finished_budgets_and_plots_them(tmp_path):
    from deskpilot.agent.curve import learning_curve

    for minutes, rates in ((5, (0.5, 0.1)), (10, (0.9, 0.7))):
        folder = tmp_path / f"{minutes}min" / "eval"
        folder.mkdir(parents=True)
        tasks = [{"env_id": e, "success_rate": r} for e, r in zip(("a", "b"), rates, strict=True)]
        (folder / "eval.json").write_text(json.dumps({"mean_success": sum(rates) / 2, "tasks": tasks}))
    rows = learning_curve(DemoConfig(out=tmp_path), [10, 5], log=lambda line: None)  # nothing to train
    assert [(r["minutes"], r["mean"], r["worst"]) for r in rows] == [
        (5, pytest.approx(0.3), 0.1),
        (10, pytest.approx(0.8), 0.7),
    ]
    assert json.loads((tmp_path / "curve.json").read_text()) == rows
    assert (tmp_path / "curve.png").stat().st_size > 0
