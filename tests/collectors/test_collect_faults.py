"""A failing episode is recorded as failed with its error; collection goes on and reports it."""

import json

from deskpilot.collectors.collect import CollectConfig, collect, episode_id
from deskpilot.collectors.reading import read_dataset, read_trajectory
from deskpilot.collectors.schema import EpisodeMeta, Trajectory, scored_failed
from deskpilot.scripts.cli import main
from tests.collectors import faulty

FAIL = (1, 3)


def test_an_episode_whose_expert_raises_is_finished_as_failed_and_collection_goes_on(tmp_path):
    config = CollectConfig("unused", episodes=5, out=tmp_path, env_kwargs={"fail_seeds": FAIL})
    summary = collect(config, [faulty.ENV])
    assert summary.written == 5 and sum(summary.episodes.values()) == 5
    assert summary.errors == {faulty.ENV: 2}
    assert summary.first_errors == [
        f"{episode_id(faulty.ID, s)}: ValueError: {faulty.EXPERT_ERROR}" for s in FAIL
    ]
    report = read_dataset(tmp_path)
    assert not report.errors and not report.partial  # no .partial folder left behind
    by_seed = {t.meta.seed: t for t in report.trajectories}
    for seed, traj in by_seed.items():
        if seed in FAIL:
            assert traj.success is False and traj.error == f"ValueError: {faulty.EXPERT_ERROR}"
            # cut short after the one step that was taken: truncated, as the format says
            assert len(traj.steps) == 1 and traj.steps[-1].truncated and not traj.steps[-1].terminated
            assert scored_failed(traj)
        else:
            assert traj.success is True and traj.error is None and traj.steps[-1].terminated
    outcome = json.loads((tmp_path / episode_id(faulty.ID, 1) / "meta.json").read_text())["outcome"]
    assert outcome == {
        "success": False,
        "reward": 0.0,
        "num_steps": 1,
        "error": f"ValueError: {faulty.EXPERT_ERROR}",
    }
    again = collect(config, [faulty.ENV])  # a re-run skips them, and still reports them
    assert again.written == 0 and again.skipped == 5 and again.errors == {faulty.ENV: 2}


def test_a_reset_that_raises_writes_nothing_and_a_rerun_retries_it(tmp_path):
    config = CollectConfig("unused", episodes=3, out=tmp_path, env_kwargs={"reset_fail_seeds": (2,)})
    summary = collect(config, [faulty.ENV])
    assert summary.written == 2 and summary.errors == {faulty.ENV: 1}
    assert summary.first_errors == [f"{episode_id(faulty.ID, 2)}: OSError: reset failed for seed 2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [episode_id(faulty.ID, s) for s in (0, 1)]
    fixed = collect(CollectConfig("unused", episodes=3, out=tmp_path), [faulty.ENV])
    assert fixed.written == 1 and fixed.skipped == 2 and not fixed.errors


def test_worker_processes_record_errors_too(tmp_path):
    config = CollectConfig("unused", episodes=6, out=tmp_path, workers=2, env_kwargs={"fail_seeds": FAIL})
    summary = collect(config, [faulty.ENV])
    assert summary.written == 6 and summary.errors == {faulty.ENV: 2}
    assert sorted(m.split(":")[0] for m in summary.first_errors) == [episode_id(faulty.ID, s) for s in FAIL]


def test_the_command_reports_how_many_raised_and_why(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["collect", "--env", faulty.FAILING_ID, "--episodes", "4", "--out", str(out)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "2 episodes raised an error and count as failed" in shown
    assert f"{episode_id(faulty.FAILING_ID, 1)}: ValueError: expert: no visible button" in shown


def _traj(source: str, success: bool, **extra) -> Trajectory:
    return Trajectory(EpisodeMeta("t", source, (8, 8), extra=extra), [], success, float(success))


def test_which_outcomes_say_failed():
    assert scored_failed(_traj("expert", False)) and scored_failed(_traj("policy", False))
    assert not scored_failed(_traj("expert", True))
    assert not scored_failed(Trajectory(EpisodeMeta("t", "expert", (8, 8)), [], None))  # unfinished
    # a person's recording: out only when the person said it failed
    assert scored_failed(_traj("human", False, stopped_by="stop_key"))
    assert not scored_failed(_traj("human", False, stopped_by="stop_key", success_unknown=True))
    assert not scored_failed(_traj("human", False, stopped_by="signal"))
    assert not scored_failed(_traj("human", True, stopped_by="stop_key"))
    # DAgger: the env scored the policy that acted, not the expert's labels
    assert not scored_failed(_traj("expert", False, teacher_labels=True))


def test_an_episode_that_did_not_raise_reads_with_no_error(tmp_path):
    collect(CollectConfig("unused", episodes=1, out=tmp_path), [faulty.ENV])
    traj = read_trajectory(tmp_path / episode_id(faulty.ID, 0))
    assert traj.error is None and traj.success


def test_teacher_labelled_episodes_say_so(tmp_path):
    import gymnasium as gym

    from deskpilot.collectors.loop import run_episode

    env = gym.make("deskpilot/mock-click-button-v0")
    expert = env.unwrapped.make_expert()
    result = run_episode(env, expert, source="expert", seed=0, teacher=env.unwrapped.make_expert())
    assert result.trajectory.meta.extra == {"teacher_labels": True}
    assert run_episode(env, expert, source="expert", seed=0).trajectory.meta.extra == {}


def test_a_job_run_again_reports_the_episode_already_on_disk(tmp_path):
    from deskpilot.collectors.collect import EpisodeJob, EpisodeRunner

    # A Ray actor can die after finishing a job but before its report arrives; the job then runs again.
    runner = EpisodeRunner()
    try:
        job = EpisodeJob(faulty.FAILING_ENV, 1, str(tmp_path), {})
        first = runner.run(job)
        assert runner.run(job) == first and first.error and first.written
    finally:
        runner.close()
